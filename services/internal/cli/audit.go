package cli

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
)

// errChainBroken reports a failed verification; the details are printed.
var errChainBroken = errors.New("audit log verification failed")

func auditCmd(ctx context.Context, args []string, env Env) error {
	if _, _, err := subcommand("audit", args, env, "verify"); err != nil {
		return err
	}
	var (
		r        remote
		log      string
		from, to int64
	)
	fs := newFlagSet("audit verify", "Recomputes the hash chain of the call log (or the admin-action log) and reports the first record that was changed, inserted or deleted.", env)
	r.register(fs)
	fs.StringVar(&log, "log", "calls", "which log: calls or admin-actions")
	fs.Int64Var(&from, "from", 0, "first sequence number to check (0 is the oldest kept)")
	fs.Int64Var(&to, "to", 0, "last sequence number to check (0 is the newest)")
	if err := parse(fs, args[1:], env); err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return err
	}
	which, ok := map[string]auditv1.AuditLog{"calls": auditv1.AuditLog_AUDIT_LOG_CALLS, "admin-actions": auditv1.AuditLog_AUDIT_LOG_ADMIN_ACTIONS}[log]
	if !ok {
		return usageError{fmt.Errorf("invalid --log %q: want calls or admin-actions", log)}
	}
	if from < 0 || to < 0 || (to != 0 && to < from) {
		return usageError{fmt.Errorf("invalid --from %d / --to %d", from, to)}
	}
	res, err := auditClient(&r).VerifyChain(ctx, connect.NewRequest(&auditv1.VerifyChainRequest{Log: which, FromSequence: from, ToSequence: to}))
	if err != nil {
		return rpcError(err)
	}
	v := res.Msg
	if r.output == "json" {
		if err := printJSON(env.Stdout, v); err != nil {
			return err
		}
	} else if v.GetOk() && v.GetRecordsChecked() == 0 {
		fmt.Fprintln(env.Stdout, "nothing verified: the log has no records in that range")
	} else if v.GetOk() {
		fmt.Fprintf(env.Stdout, "ok: %d records verified, through sequence %d (hash %x)\n", v.GetRecordsChecked(), v.GetVerifiedThroughSequence(), v.GetVerifiedThroughHash())
	} else {
		fmt.Fprintf(env.Stdout, "FAILED at sequence %d", v.GetFirstBadSequence())
		if v.GetFirstBadRecordId() != "" {
			fmt.Fprintf(env.Stdout, " (record %s)", v.GetFirstBadRecordId())
		}
		fmt.Fprintf(env.Stdout, ": %s\n%d records verified before it.\n", v.GetReason(), v.GetRecordsChecked())
	}
	if !v.GetOk() {
		return errChainBroken
	}
	return nil
}
