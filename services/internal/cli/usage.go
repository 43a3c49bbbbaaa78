package cli

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"
)

// usageDimensions are the --group-by names, in the order columns print.
var usageDimensions = []struct {
	name string
	dim  quotav1.UsageDimension
}{
	{"day", quotav1.UsageDimension_USAGE_DIMENSION_DAY},
	{"key", quotav1.UsageDimension_USAGE_DIMENSION_VIRTUAL_KEY},
	{"team", quotav1.UsageDimension_USAGE_DIMENSION_TEAM},
	{"project", quotav1.UsageDimension_USAGE_DIMENSION_PROJECT},
	{"model", quotav1.UsageDimension_USAGE_DIMENSION_MODEL},
	{"route", quotav1.UsageDimension_USAGE_DIMENSION_ROUTE},
}

// usageCmd prints the spend ledger's usage and cost report.
func usageCmd(ctx context.Context, args []string, env Env) error {
	var (
		r                         remote
		since, until              time.Duration
		groupBy, timeZone         string
		key, team, project, model string
	)
	fs := newFlagSet("usage", "Reports usage and cost from the quota ledger (settled calls), grouped by day, key, team, project, model or route.", env)
	r.register(fs)
	fs.DurationVar(&since, "since", 30*24*time.Hour, "start of the time range, this long ago")
	fs.DurationVar(&until, "until", 0, "end of the time range, this long ago (0 is now)")
	fs.StringVar(&groupBy, "group-by", "day,model", "comma-separated dimensions to group by: day, key, team, project, model, route (empty: totals only)")
	fs.StringVar(&timeZone, "time-zone", "UTC", "IANA time zone that days follow")
	fs.StringVar(&key, "key", "", "only calls made with this virtual key id")
	fs.StringVar(&team, "team", "", "only calls of this team")
	fs.StringVar(&project, "project", "", "only calls of this project")
	fs.StringVar(&model, "model", "", "only calls answered by this model")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return err
	}
	if since <= 0 || until < 0 || until >= since {
		return usageError{fmt.Errorf("invalid --since %s / --until %s: want --since > --until >= 0", since, until)}
	}
	if _, err := time.LoadLocation(timeZone); err != nil {
		return usageError{fmt.Errorf("invalid --time-zone %q: not an IANA time zone", timeZone)}
	}
	now := time.Now()
	req := &quotav1.GetUsageReportRequest{
		Range:    &quotav1.TimeRange{Start: timestamppb.New(now.Add(-since)), End: timestamppb.New(now.Add(-until))},
		TimeZone: timeZone, PageSize: 1000,
	}
	var columns []string
	if groupBy != "" {
		for _, name := range strings.Split(groupBy, ",") {
			name = strings.TrimSpace(name)
			found := false
			for _, d := range usageDimensions {
				if d.name == name {
					req.GroupBy, columns, found = append(req.GroupBy, d.dim), append(columns, name), true
				}
			}
			if !found {
				return usageError{fmt.Errorf("invalid --group-by %q: want day, key, team, project, model or route", name)}
			}
		}
	}
	for _, f := range []struct {
		v   string
		dst *[]string
	}{{key, &req.VirtualKeyIds}, {team, &req.Teams}, {project, &req.Projects}, {model, &req.Models}} {
		if f.v != "" {
			*f.dst = append(*f.dst, f.v)
		}
	}
	hc, opts := r.client()
	client := quotav1connect.NewQuotaServiceClient(hc, strings.TrimRight(r.server, "/"), opts...)
	report := &quotav1.GetUsageReportResponse{}
	for {
		res, err := client.GetUsageReport(ctx, connect.NewRequest(req))
		if err != nil {
			return rpcError(err)
		}
		report.Rows = append(report.Rows, res.Msg.GetRows()...)
		report.Total = res.Msg.GetTotal()
		if req.PageToken = res.Msg.GetNextPageToken(); req.PageToken == "" {
			break
		}
	}
	if r.output == "json" {
		return printJSON(env.Stdout, report)
	}
	loc, _ := time.LoadLocation(timeZone)
	header := []string{}
	for _, c := range columns {
		header = append(header, strings.ToUpper(c))
	}
	header = append(header, "REQUESTS", "TOKENS IN", "CACHED IN", "TOKENS OUT", "REASONING", "COST")
	line := func(row *quotav1.UsageRow, group []string) []string {
		u := row.GetUsage()
		i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
		return append(group, i64(row.GetRequests()), i64(u.GetInputTokens()), i64(u.GetCachedInputTokens()),
			i64(u.GetOutputTokens()), i64(u.GetReasoningTokens()), formatCost(u.GetCostMicros()))
	}
	rows := make([][]string, 0, len(report.GetRows())+1)
	for _, row := range report.GetRows() {
		var group []string
		for _, c := range columns {
			v := map[string]string{
				"key": row.GetVirtualKeyId(), "team": row.GetTeam(), "project": row.GetProject(),
				"model": row.GetModel(), "route": row.GetRoute(),
			}[c]
			if c == "day" {
				v = row.GetDay().AsTime().In(loc).Format(time.DateOnly)
			}
			group = append(group, cmp.Or(v, "-"))
		}
		rows = append(rows, line(row, group))
	}
	total := make([]string, len(columns))
	if len(total) > 0 {
		total[0] = "TOTAL"
	} else {
		header = append([]string{""}, header...)
		total = []string{"TOTAL"}
	}
	rows = append(rows, line(report.GetTotal(), total))
	return printTable(env.Stdout, header, rows)
}
