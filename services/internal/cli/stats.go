package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

func stats(ctx context.Context, args []string, env Env) error {
	var (
		r       remote
		f       callFilter
		bucket  time.Duration
		groupBy string
	)
	fs := newFlagSet("stats", "Aggregates the call log into time buckets: requests, tokens, cost, latency percentiles, errors by class, cache hits.", env)
	r.register(fs)
	f.register(fs, 24*time.Hour)
	fs.DurationVar(&bucket, "bucket", time.Hour, "bucket width")
	fs.StringVar(&groupBy, "group-by", "", "comma-separated dimensions to group by: key, team, project, model, route")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return err
	}
	tr, cf, err := f.build(time.Now())
	if err != nil {
		return err
	}
	if bucket <= 0 {
		return usageError{fmt.Errorf("invalid --bucket %s: must be positive", bucket)}
	}
	req := &auditv1.GetStatsRequest{Range: tr, Filter: cf, BucketWidth: durationpb.New(bucket)}
	if groupBy != "" {
		for _, d := range strings.Split(groupBy, ",") {
			v, ok := auditv1.StatsDimension_value["STATS_DIMENSION_"+strings.ToUpper(strings.TrimSpace(d))]
			if !ok || v == 0 {
				return usageError{fmt.Errorf("invalid --group-by %q: want key, team, project, model or route", d)}
			}
			req.GroupBy = append(req.GroupBy, auditv1.StatsDimension(v))
		}
	}
	res, err := auditClient(&r).GetStats(ctx, connect.NewRequest(req))
	if err != nil {
		return rpcError(err)
	}
	if r.output == "json" {
		return printJSON(env.Stdout, res.Msg)
	}
	rows := make([][]string, 0, len(res.Msg.GetBuckets()))
	for _, b := range res.Msg.GetBuckets() {
		g := b.GetGroup()
		var group []string
		for _, v := range []string{g.GetKeyId(), g.GetTeam(), g.GetProject(), g.GetModel(), g.GetRoute()} {
			if v != "" {
				group = append(group, v)
			}
		}
		var errs []string
		for _, e := range b.GetErrors() {
			errs = append(errs, fmt.Sprintf("%s=%d", apierror.ClassName(e.GetErrorClass()), e.GetCount()))
		}
		i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
		ms := func(d *durationpb.Duration) string { return formatLatency(d.AsDuration()) }
		rows = append(rows, []string{
			b.GetStart().AsTime().Local().Format(time.DateTime), strings.Join(group, "/"), i64(b.GetRequests()),
			i64(b.GetInputTokens()), i64(b.GetOutputTokens()), formatCost(b.GetCostMicros()),
			ms(b.GetLatencyP50()), ms(b.GetLatencyP95()), ms(b.GetLatencyP99()), i64(b.GetCacheHits()), strings.Join(errs, " "),
		})
	}
	return printTable(env.Stdout, []string{"BUCKET", "GROUP", "REQUESTS", "TOKENS IN", "TOKENS OUT", "COST", "P50", "P95", "P99", "CACHE HITS", "ERRORS"}, rows)
}
