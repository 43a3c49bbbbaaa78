package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// callFilter is the call-log filter flags `logs` and `stats` share.
type callFilter struct {
	since, until            time.Duration
	key, team, model, route string
	status, errorClass      string
	text                    string
}

func (f *callFilter) register(fs *flag.FlagSet, since time.Duration) {
	fs.DurationVar(&f.since, "since", since, "start of the time range, this long ago")
	fs.DurationVar(&f.until, "until", 0, "end of the time range, this long ago (0 is now)")
	fs.StringVar(&f.key, "key", "", "only calls made with this virtual key id")
	fs.StringVar(&f.team, "team", "", "only calls of this team")
	fs.StringVar(&f.model, "model", "", "only calls answered by this model")
	fs.StringVar(&f.route, "route", "", "only calls through this route")
	fs.StringVar(&f.status, "status", "", "only calls that ended so: succeeded, failed or cancelled")
	fs.StringVar(&f.errorClass, "error-class", "", "only calls that failed with this error class, e.g. rate_limited")
	fs.StringVar(&f.text, "text", "", "only calls whose stored request or response contains this text (any case)")
}

// build returns the time range and filter, or a usage error naming the bad
// flag.
func (f *callFilter) build(now time.Time) (*auditv1.TimeRange, *auditv1.CallFilter, error) {
	if f.since <= 0 || f.until < 0 || f.until >= f.since {
		return nil, nil, usageError{fmt.Errorf("invalid --since %s / --until %s: want --since > --until >= 0", f.since, f.until)}
	}
	r := &auditv1.TimeRange{Start: timestamppb.New(now.Add(-f.since)), End: timestamppb.New(now.Add(-f.until))}
	cf := &auditv1.CallFilter{Text: f.text}
	add := func(dst *[]string, v string) {
		if v != "" {
			*dst = append(*dst, v)
		}
	}
	add(&cf.KeyIds, f.key)
	add(&cf.Teams, f.team)
	add(&cf.Models, f.model)
	add(&cf.Routes, f.route)
	if f.status != "" {
		v, ok := auditv1.CallStatus_value["CALL_STATUS_"+strings.ToUpper(f.status)]
		if !ok || v == 0 {
			return nil, nil, usageError{fmt.Errorf("invalid --status %q: want succeeded, failed or cancelled", f.status)}
		}
		cf.Statuses = []auditv1.CallStatus{auditv1.CallStatus(v)}
	}
	if f.errorClass != "" {
		v, ok := mcpv1.ErrorClass_value["ERROR_CLASS_"+strings.ToUpper(f.errorClass)]
		if !ok || v == 0 {
			return nil, nil, usageError{fmt.Errorf("invalid --error-class %q: want a class such as rate_limited or timeout", f.errorClass)}
		}
		cf.ErrorClasses = []mcpv1.ErrorClass{mcpv1.ErrorClass(v)}
	}
	return r, cf, nil
}

func auditClient(r *remote) auditv1connect.AuditServiceClient {
	hc, opts := r.client()
	return auditv1connect.NewAuditServiceClient(hc, r.server, opts...)
}

func logs(ctx context.Context, args []string, env Env) error {
	var (
		r      remote
		f      callFilter
		limit  int
		id     string
		export string
		bodies bool
	)
	fs := newFlagSet("logs", "Lists calls from the call log, newest first; --id shows one call in full; --export writes the matching calls, oldest first, as JSONL or CSV.", env)
	r.register(fs)
	f.register(fs, time.Hour)
	fs.IntVar(&limit, "limit", 50, "most calls to list (1-1000)")
	fs.StringVar(&id, "id", "", "show this call, with its bodies")
	fs.StringVar(&export, "export", "", "write every matching call as jsonl or csv instead of a listing")
	fs.BoolVar(&bodies, "bodies", false, "with --export, include request and response bodies")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case id != "" && export != "":
		return usageError{errors.New("--id and --export do not go together: --id shows one call, with its bodies")}
	case set["bodies"] && export == "":
		return usageError{errors.New("--bodies goes with --export (--id shows a call's bodies already)")}
	case set["limit"] && export != "":
		return usageError{errors.New("--limit is for listings: --export writes every matching call")}
	}
	c := auditClient(&r)
	if id != "" {
		res, err := c.GetCall(ctx, connect.NewRequest(&auditv1.GetCallRequest{Id: id}))
		if err != nil {
			return rpcError(err)
		}
		return printJSON(env.Stdout, res.Msg.GetRecord())
	}
	tr, cf, err := f.build(time.Now())
	if err != nil {
		return err
	}
	if export != "" {
		format, ok := map[string]auditv1.ExportFormat{"jsonl": auditv1.ExportFormat_EXPORT_FORMAT_JSONL, "csv": auditv1.ExportFormat_EXPORT_FORMAT_CSV}[export]
		if !ok {
			return usageError{fmt.Errorf("invalid --export %q: want jsonl or csv", export)}
		}
		stream, err := c.ExportCalls(ctx, connect.NewRequest(&auditv1.ExportCallsRequest{Range: tr, Filter: cf, Format: format, IncludeBodies: bodies}))
		if err != nil {
			return rpcError(err)
		}
		for stream.Receive() {
			if _, err := env.Stdout.Write(stream.Msg().GetData()); err != nil {
				return err
			}
		}
		if err := stream.Err(); err != nil {
			return rpcError(err)
		}
		return nil
	}
	if limit < 1 || limit > 1000 {
		return usageError{fmt.Errorf("invalid --limit %d: want 1 to 1000", limit)}
	}
	res, err := c.QueryCalls(ctx, connect.NewRequest(&auditv1.QueryCallsRequest{Range: tr, Filter: cf, PageSize: int32(limit)}))
	if err != nil {
		return rpcError(err)
	}
	if r.output == "json" {
		return printJSON(env.Stdout, res.Msg)
	}
	rows := make([][]string, 0, len(res.Msg.GetRecords()))
	for _, rec := range res.Msg.GetRecords() {
		status := strings.ToLower(strings.TrimPrefix(rec.GetStatus().String(), "CALL_STATUS_"))
		if rec.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_UNSPECIFIED {
			status += " (" + apierror.ClassName(rec.GetErrorClass()) + ")"
		}
		rows = append(rows, []string{
			rec.GetReceivedAt().AsTime().Local().Format(time.DateTime), rec.GetId(), rec.GetPrincipal().GetKeyId(),
			rec.GetRoute(), rec.GetModel(), status,
			strconv.FormatInt(rec.GetUsage().GetInputTokens(), 10) + "/" + strconv.FormatInt(rec.GetUsage().GetOutputTokens(), 10),
			formatCost(rec.GetUsage().GetCostMicros()), formatLatency(rec.GetLatency().AsDuration()),
		})
	}
	return printTable(env.Stdout, []string{"TIME", "ID", "KEY", "ROUTE", "MODEL", "STATUS", "TOKENS IN/OUT", "COST", "LATENCY"}, rows)
}

// formatLatency rounds d to the millisecond, or to the microsecond below
// one (a cached or demo answer takes a fraction of a millisecond, which would
// otherwise print as 0s).
func formatLatency(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// formatCost renders micro-dollars as dollars.
func formatCost(micros int64) string {
	return fmt.Sprintf("$%.6f", float64(micros)/1e6)
}
