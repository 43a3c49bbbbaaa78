package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"
)

func quotaClient(r *remote) quotav1connect.QuotaServiceClient {
	hc, opts := r.client()
	return quotav1connect.NewQuotaServiceClient(hc, r.server, opts...)
}

var quotaSummary = map[string]map[string]string{
	"prices": {
		"put":    "Sets a model's prices from a YAML or JSON file (fields of manifold.quota.v1.Price, in micro-dollars per million tokens).",
		"list":   "Lists the price catalog.",
		"delete": "Removes a model's prices.",
	},
	"budgets": {
		"put":    "Creates or replaces a budget from a YAML or JSON file (fields of manifold.quota.v1.Budget: id, subject, period, limit_micros, alert_thresholds_percent).",
		"get":    "Shows a budget with its spend in the current period.",
		"list":   "Lists the budgets.",
		"delete": "Deletes a budget.",
		"alerts": "Lists the alerts budgets raised when spend crossed a threshold.",
	},
	"limits": {
		"put":    "Creates or replaces a rate limit from a YAML or JSON file (fields of manifold.quota.v1.RateLimit: id, subject, requests_per_minute, tokens_per_minute).",
		"list":   "Lists the rate limits.",
		"delete": "Deletes a rate limit.",
	},
}

// prices, budgets and limits manage the quota service's price catalog,
// budgets and rate limits.
func prices(ctx context.Context, args []string, env Env) error {
	return quotaCmd(ctx, "prices", []string{"put", "list", "delete"}, args, env)
}

func budgets(ctx context.Context, args []string, env Env) error {
	return quotaCmd(ctx, "budgets", []string{"put", "get", "list", "delete", "alerts"}, args, env)
}

func limits(ctx context.Context, args []string, env Env) error {
	return quotaCmd(ctx, "limits", []string{"put", "list", "delete"}, args, env)
}

func quotaCmd(ctx context.Context, cmd string, verbs, args []string, env Env) error {
	verb, args, err := subcommand(cmd, args, env, verbs...)
	if err != nil {
		return err
	}
	var r remote
	fs := newFlagSet(cmd+" "+verb, quotaSummary[cmd][verb], env)
	r.register(fs)
	var file, id string
	switch {
	case verb == "put":
		fs.StringVar(&file, "file", "", "YAML or JSON file with the resource, or - for standard input (required)")
	case cmd == "prices" && verb == "delete":
		fs.StringVar(&id, "model", "", "the model whose prices to remove (required)")
	case verb == "get" || verb == "delete":
		fs.StringVar(&id, "id", "", "the resource's id (required)")
	case verb == "alerts":
		fs.StringVar(&id, "budget", "", "only this budget's alerts")
	}
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return err
	}
	switch {
	case verb == "put" && file == "":
		return usageError{errors.New("missing --file")}
	case (verb == "get" || verb == "delete") && id == "":
		if cmd == "prices" {
			return usageError{errors.New("missing --model")}
		}
		return usageError{errors.New("missing --id")}
	}
	c := quotaClient(&r)
	var (
		out    proto.Message
		header []string
		rows   [][]string
	)
	switch cmd {
	case "prices":
		header = []string{"MODEL", "INPUT $/MTOK", "OUTPUT $/MTOK", "CACHED INPUT $/MTOK", "CACHE WRITE $/MTOK", "REASONING $/MTOK"}
	case "budgets":
		header = []string{"ID", "SUBJECT", "PERIOD", "LIMIT $", "SPENT $", "HELD $", "REMAINING $", "ALERTS AT %"}
	case "limits":
		header = []string{"ID", "SUBJECT", "REQUESTS/MIN", "TOKENS/MIN"}
	}
	deleted := func(m proto.Message) {
		out, header, rows = m, []string{"DELETED"}, [][]string{{id}}
	}
	switch cmd + " " + verb {
	case "prices put":
		p := &quotav1.Price{}
		if err := readResource(file, os.Stdin, p); err != nil {
			return err
		}
		res, err := c.PutPrice(ctx, connect.NewRequest(&quotav1.PutPriceRequest{Price: p}))
		if err != nil {
			return rpcError(err)
		}
		out, rows = res.Msg, priceRows(res.Msg.GetPrice())
	case "prices list":
		res, err := c.ListPrices(ctx, connect.NewRequest(&quotav1.ListPricesRequest{PageSize: 1000}))
		if err != nil {
			return rpcError(err)
		}
		out, rows = res.Msg, priceRows(res.Msg.GetPrices()...)
	case "prices delete":
		res, err := c.DeletePrice(ctx, connect.NewRequest(&quotav1.DeletePriceRequest{Model: id}))
		if err != nil {
			return rpcError(err)
		}
		deleted(res.Msg)
	case "budgets put":
		b := &quotav1.Budget{}
		if err := readResource(file, os.Stdin, b); err != nil {
			return err
		}
		res, err := c.PutBudget(ctx, connect.NewRequest(&quotav1.PutBudgetRequest{Budget: b}))
		if err != nil {
			return rpcError(err)
		}
		out, rows = res.Msg, budgetRows(res.Msg.GetBudget())
	case "budgets get":
		res, err := c.GetBudget(ctx, connect.NewRequest(&quotav1.GetBudgetRequest{Id: id}))
		if err != nil {
			return rpcError(err)
		}
		out, rows = res.Msg, budgetRows(res.Msg.GetBudget())
	case "budgets list":
		res, err := c.ListBudgets(ctx, connect.NewRequest(&quotav1.ListBudgetsRequest{PageSize: 1000}))
		if err != nil {
			return rpcError(err)
		}
		out, rows = res.Msg, budgetRows(res.Msg.GetBudgets()...)
	case "budgets delete":
		res, err := c.DeleteBudget(ctx, connect.NewRequest(&quotav1.DeleteBudgetRequest{Id: id}))
		if err != nil {
			return rpcError(err)
		}
		deleted(res.Msg)
	case "budgets alerts":
		res, err := c.ListBudgetAlerts(ctx, connect.NewRequest(&quotav1.ListBudgetAlertsRequest{PageSize: 1000, BudgetId: id}))
		if err != nil {
			return rpcError(err)
		}
		out, header = res.Msg, []string{"BUDGET", "SUBJECT", "THRESHOLD %", "SPENT $", "LIMIT $", "FIRED"}
		for _, a := range res.Msg.GetAlerts() {
			rows = append(rows, []string{a.GetBudgetId(), subjectText(a.GetSubject()), fmt.Sprint(a.GetThresholdPercent()),
				usd(a.GetSpentMicros()), usd(a.GetLimitMicros()), a.GetFiredAt().AsTime().Format("2006-01-02T15:04:05Z07:00")})
		}
	case "limits put":
		l := &quotav1.RateLimit{}
		if err := readResource(file, os.Stdin, l); err != nil {
			return err
		}
		res, err := c.PutRateLimit(ctx, connect.NewRequest(&quotav1.PutRateLimitRequest{RateLimit: l}))
		if err != nil {
			return rpcError(err)
		}
		out, rows = res.Msg, limitRows(res.Msg.GetRateLimit())
	case "limits list":
		res, err := c.ListRateLimits(ctx, connect.NewRequest(&quotav1.ListRateLimitsRequest{PageSize: 1000}))
		if err != nil {
			return rpcError(err)
		}
		out, rows = res.Msg, limitRows(res.Msg.GetRateLimits()...)
	case "limits delete":
		res, err := c.DeleteRateLimit(ctx, connect.NewRequest(&quotav1.DeleteRateLimitRequest{Id: id}))
		if err != nil {
			return rpcError(err)
		}
		deleted(res.Msg)
	}
	if r.output == "json" {
		return printJSON(env.Stdout, out)
	}
	return printTable(env.Stdout, header, rows)
}

// subjectText names a budget's or rate limit's subject; one without a
// subject applies only to the keys that link it by id.
func subjectText(s *quotav1.Subject) string {
	if s.GetKind() == quotav1.SubjectKind_SUBJECT_KIND_UNSPECIFIED {
		return "(linked by id)"
	}
	return enumName(s.GetKind().String(), "SUBJECT_KIND_") + ":" + s.GetId()
}

// perMTok shows micro-dollars per million tokens as dollars.
func perMTok(micros int64) string { return fmt.Sprintf("%.4f", float64(micros)/1e6) }

// perMTokOr shows a price that falls back to another when unset (0), as
// the price that applies, marked with where it comes from.
func perMTokOr(micros, fallback int64, from string) string {
	if micros == 0 {
		return perMTok(fallback) + " (= " + from + ")"
	}
	return perMTok(micros)
}

func priceRows(ps ...*quotav1.Price) [][]string {
	var rows [][]string
	for _, p := range ps {
		in, out := p.GetInputPerMtokMicros(), p.GetOutputPerMtokMicros()
		rows = append(rows, []string{p.GetModel(), perMTok(in), perMTok(out),
			perMTokOr(p.GetCachedInputPerMtokMicros(), in, "input"), perMTokOr(p.GetCacheWritePerMtokMicros(), in, "input"),
			perMTokOr(p.GetReasoningPerMtokMicros(), out, "output")})
	}
	return rows
}

func budgetRows(bs ...*quotav1.Budget) [][]string {
	var rows [][]string
	for _, b := range bs {
		var alerts []string
		for _, a := range b.GetAlertThresholdsPercent() {
			alerts = append(alerts, fmt.Sprint(a))
		}
		rows = append(rows, []string{b.GetId(), subjectText(b.GetSubject()), enumName(b.GetPeriod().String(), "BUDGET_PERIOD_"),
			usd(b.GetLimitMicros()), usd(b.GetStatus().GetSpentMicros()), usd(b.GetStatus().GetHeldMicros()), usd(b.GetStatus().GetRemainingMicros()),
			strings.Join(alerts, ",")})
	}
	return rows
}

func limitRows(ls ...*quotav1.RateLimit) [][]string {
	var rows [][]string
	for _, l := range ls {
		rows = append(rows, []string{l.GetId(), subjectText(l.GetSubject()), fmt.Sprint(l.GetRequestsPerMinute()), fmt.Sprint(l.GetTokensPerMinute())})
	}
	return rows
}
