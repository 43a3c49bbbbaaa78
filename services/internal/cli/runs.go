package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/structpb"

	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/services/workflows"
	"github.com/manifoldgw/manifold/services/workflows/chainrun"
)

var runsSummary = map[string]string{
	"start":   "Starts a run of a chain (--label or --version; default the production label, else the latest version) with --input, a JSON object.",
	"list":    "Lists runs, newest first.",
	"get":     "Shows a run: status, every step with its usage and cost, and pending approvals with their digests.",
	"approve": "Approves a pending action of a run. --digest must be the one shown by 'manifold runs get'; the run goes on.",
	"reject":  "Rejects a pending action of a run; the run ends REJECTED (or the model is told, if the step says so).",
	"cancel":  "Cancels a run in progress; its current step ends CANCELLED. A run that already ended is refused (a cancelled one is left as it is).",
}

// runs manages chain runs and their approvals.
func runs(ctx context.Context, args []string, env Env) error {
	verb, args, err := subcommand("runs", args, env, "start", "list", "get", "approve", "reject", "cancel")
	if err != nil {
		return err
	}
	var r remote
	var run, step, digest, comment, chain, label, input, key, status, keyEnv string
	var version int
	fs := newFlagSet("runs "+verb, runsSummary[verb], env)
	r.register(fs)
	switch verb {
	case "start":
		fs.StringVar(&chain, "chain", "", "the chain's name (required)")
		fs.StringVar(&label, "label", "", "start the version this label points at")
		fs.IntVar(&version, "version", 0, "start an exact version")
		fs.StringVar(&input, "input", "{}", "the run's input as a JSON object")
		fs.StringVar(&key, "idempotency-key", "", "a repeated start with the same key returns the first run")
		fs.StringVar(&keyEnv, "run-key-env", "", "environment variable holding the virtual key the run's model calls are made and charged with; needed when the gateway requires keys and the chain calls models")
	case "list":
		fs.StringVar(&chain, "chain", "", "only runs of this chain")
		fs.StringVar(&status, "status", "", "only runs in this status, e.g. waiting_for_approval")
	case "get", "cancel":
		fs.StringVar(&run, "run", "", "the run's id (required)")
		fs.StringVar(&comment, "reason", "", "why (cancel)")
	case "approve", "reject":
		fs.StringVar(&run, "run", "", "the run's id (required)")
		fs.StringVar(&step, "step", "", "the step waiting; default: the run's only pending approval")
		fs.StringVar(&digest, "digest", "", "the digest of the pending action, as shown by 'manifold runs get' (required)")
		fs.StringVar(&comment, "comment", "", "recorded with the decision")
	}
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return err
	}
	switch {
	case verb == "start" && chain == "":
		return usageError{fmt.Errorf("runs start: --chain is required")}
	case verb != "start" && verb != "list" && run == "":
		return usageError{fmt.Errorf("runs %s: --run is required", verb)}
	case (verb == "approve" || verb == "reject") && digest == "":
		return usageError{fmt.Errorf("runs %s: --digest is required (see 'manifold runs get --run %s')", verb, run)}
	}
	c := workflowsClient(&r)
	switch verb {
	case "start":
		var in map[string]any
		if err := json.Unmarshal([]byte(input), &in); err != nil {
			return usageError{fmt.Errorf("invalid --input: want a JSON object: %v", err)}
		}
		s, err := structpb.NewStruct(in)
		if err != nil {
			return usageError{fmt.Errorf("invalid --input: %v", err)}
		}
		req := &workflowsv1.StartRunRequest{ChainName: chain, Input: s, IdempotencyKey: key}
		switch {
		case version > 0:
			req.Selector = &workflowsv1.StartRunRequest_Version{Version: int32(version)}
		case label != "":
			req.Selector = &workflowsv1.StartRunRequest_Label{Label: label}
		}
		creq := connect.NewRequest(req)
		if keyEnv != "" {
			secret := env.Getenv(keyEnv)
			if secret == "" {
				return usageError{fmt.Errorf("runs start: --run-key-env %s is empty or unset", keyEnv)}
			}
			creq.Header().Set(workflows.RunKeyHeader, secret)
		}
		res, err := c.StartRun(ctx, creq)
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		return printTable(env.Stdout, runHeader, [][]string{runRow(res.Msg.GetRun())})
	case "list":
		req := &workflowsv1.ListRunsRequest{ChainName: chain, PageSize: 100}
		if status != "" {
			st, ok := workflowsv1.RunStatus_value["RUN_STATUS_"+strings.ToUpper(status)]
			if !ok || st == 0 {
				return usageError{fmt.Errorf("invalid --status %q: want one of %s", status, strings.Join(runStatusNames(), ", "))}
			}
			req.Statuses = []workflowsv1.RunStatus{workflowsv1.RunStatus(st)}
		}
		res, err := c.ListRuns(ctx, connect.NewRequest(req))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		var rows [][]string
		for _, x := range res.Msg.GetRuns() {
			rows = append(rows, runRow(x))
		}
		return printTable(env.Stdout, runHeader, rows)
	case "get":
		res, err := c.GetRun(ctx, connect.NewRequest(&workflowsv1.GetRunRequest{RunId: run}))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		return printRun(env, res.Msg.GetRun())
	case "approve", "reject":
		if step == "" {
			res, err := c.GetRun(ctx, connect.NewRequest(&workflowsv1.GetRunRequest{RunId: run}))
			if err != nil {
				return rpcError(err)
			}
			x := res.Msg.GetRun()
			status := enumName(x.GetStatus().String(), "RUN_STATUS_")
			switch pending := x.GetPendingApprovals(); {
			case finished(x.GetStatus()):
				return fmt.Errorf("runs %s: run %s has finished (%s); it waits for no approval", verb, run, status)
			case len(pending) == 0:
				return fmt.Errorf("runs %s: run %s is not waiting for an approval (it is %s)", verb, run, status)
			case len(pending) > 1:
				return usageError{fmt.Errorf("runs %s: run %s has %d pending approvals; name one with --step", verb, run, len(pending))}
			}
			step = x.GetPendingApprovals()[0].GetStepId()
		}
		var rec *workflowsv1.ApprovalRecord
		if verb == "approve" {
			res, err := c.ApproveStep(ctx, connect.NewRequest(&workflowsv1.ApproveStepRequest{RunId: run, StepId: step, Digest: digest, Comment: comment}))
			if err != nil {
				return rpcError(err)
			}
			rec = res.Msg.GetApproval()
		} else {
			res, err := c.RejectStep(ctx, connect.NewRequest(&workflowsv1.RejectStepRequest{RunId: run, StepId: step, Digest: digest, Comment: comment}))
			if err != nil {
				return rpcError(err)
			}
			rec = res.Msg.GetApproval()
		}
		if r.output == "json" {
			return printJSON(env.Stdout, rec)
		}
		_, err := fmt.Fprintf(env.Stdout, "step %s of run %s: %s by %s\n", step, run, enumName(rec.GetDecision().String(), "APPROVAL_DECISION_"), rec.GetDecidedBy())
		return err
	case "cancel":
		got, err := c.GetRun(ctx, connect.NewRequest(&workflowsv1.GetRunRequest{RunId: run}))
		if err != nil {
			return rpcError(err)
		}
		if x := got.Msg.GetRun(); x.GetStatus() == workflowsv1.RunStatus_RUN_STATUS_CANCELLED {
			// Cancelling it again would change nothing; a run that ended
			// otherwise is refused by CancelRun.
			if r.output == "json" {
				return printJSON(env.Stdout, &workflowsv1.CancelRunResponse{Run: x})
			}
			_, err := fmt.Fprintf(env.Stdout, "run %s was already cancelled\n", run)
			return err
		}
		res, err := c.CancelRun(ctx, connect.NewRequest(&workflowsv1.CancelRunRequest{RunId: run, Reason: comment}))
		if err != nil {
			return rpcError(err)
		}
		if r.output == "json" {
			return printJSON(env.Stdout, res.Msg)
		}
		return printTable(env.Stdout, runHeader, [][]string{runRow(res.Msg.GetRun())})
	}
	return nil
}

var runHeader = []string{"RUN", "CHAIN", "VERSION", "STATUS", "STARTED_BY", "CREATED", "TOKENS", "COST_USD"}

// runStatusNames are the --status values, in the enum's order.
func runStatusNames() []string {
	var names []string
	for _, st := range slices.Sorted(maps.Keys(workflowsv1.RunStatus_name)) {
		if st > 0 {
			names = append(names, enumName(workflowsv1.RunStatus_name[st], "RUN_STATUS_"))
		}
	}
	return names
}

// finished reports whether a run has ended.
func finished(st workflowsv1.RunStatus) bool {
	switch st {
	case workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED, workflowsv1.RunStatus_RUN_STATUS_FAILED, workflowsv1.RunStatus_RUN_STATUS_CANCELLED,
		workflowsv1.RunStatus_RUN_STATUS_REJECTED, workflowsv1.RunStatus_RUN_STATUS_TIMED_OUT:
		return true
	}
	return false
}

func enumName(s, prefix string) string { return strings.ToLower(strings.TrimPrefix(s, prefix)) }

func usd(micros int64) string { return fmt.Sprintf("%.6f", float64(micros)/1e6) }

func runRow(x *workflowsv1.Run) []string {
	return []string{x.GetId(), x.GetChainName(), fmt.Sprint(x.GetChainVersion()), enumName(x.GetStatus().String(), "RUN_STATUS_"),
		x.GetStartedBy(), x.GetCreatedAt().AsTime().Format(time.RFC3339), fmt.Sprint(x.GetUsage().GetTotalTokens()), usd(x.GetUsage().GetCostMicros())}
}

// printRun shows a run, its steps and what waits for approval.
func printRun(env Env, x *workflowsv1.Run) error {
	if err := printTable(env.Stdout, runHeader, [][]string{runRow(x)}); err != nil {
		return err
	}
	if e := x.GetError(); e != nil {
		fmt.Fprintf(env.Stdout, "\nerror: %s\n", e.GetMessage())
	}
	if out := x.GetOutput(); out != nil {
		b, _ := json.Marshal(out.AsInterface())
		fmt.Fprintf(env.Stdout, "\noutput: %s\n", b)
	}
	fmt.Fprintln(env.Stdout)
	var rows [][]string
	for _, s := range x.GetSteps() {
		rows = append(rows, []string{s.GetStepId(), enumName(s.GetKind().String(), "STEP_KIND_"), enumName(s.GetStatus().String(), "STEP_STATUS_"),
			fmt.Sprint(s.GetIterations()), fmt.Sprint(len(s.GetToolInvocations())),
			fmt.Sprint(s.GetUsage().GetInputTokens()), fmt.Sprint(s.GetUsage().GetOutputTokens()), usd(s.GetUsage().GetCostMicros())})
	}
	if err := printTable(env.Stdout, []string{"STEP", "KIND", "STATUS", "TURNS", "TOOL_CALLS", "INPUT_TOKENS", "OUTPUT_TOKENS", "COST_USD"}, rows); err != nil {
		return err
	}
	for _, p := range x.GetPendingApprovals() {
		// The subject shown is the text the digest is the SHA-256 of.
		subject, err := chainrun.SubjectJSON(p)
		if err != nil {
			return fmt.Errorf("pending approval of step %s: %w", p.GetStepId(), err)
		}
		who := append(append([]string{}, p.GetApprovers().GetRoles()...), p.GetApprovers().GetPrincipals()...)
		fmt.Fprintf(env.Stdout, "\npending approval of step %s (deadline %s, approvers %s):\n  subject: %s\n  digest: %s\n",
			p.GetStepId(), p.GetDeadline().AsTime().Format(time.RFC3339), strings.Join(who, ","), subject, p.GetDigest())
		if p.GetInstructions() != "" {
			fmt.Fprintf(env.Stdout, "  instructions: %s\n", p.GetInstructions())
		}
	}
	return nil
}
