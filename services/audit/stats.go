package audit

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// maxBuckets bounds the time buckets of one GetStats request.
const maxBuckets = 10000

// statsKey is one bucket of one group.
type statsKey struct {
	bucket int64
	group  [5]string // key_id, team, project, model, route
}

// statsAcc accumulates one bucket. Percentiles are computed in Go over the
// bucket's rows, so that both engines give the same answer.
type statsAcc struct {
	b         *auditv1.StatsBucket
	latencies []int64
	ttfts     []int64
	errors    map[mcpv1.ErrorClass]int64
}

// GetStats aggregates calls into time buckets.
func (s *Service) GetStats(ctx context.Context, req *connect.Request[auditv1.GetStatsRequest]) (*connect.Response[auditv1.GetStatsResponse], error) {
	m := req.Msg
	start, end := m.GetRange().GetStart().AsTime(), m.GetRange().GetEnd().AsTime()
	width := m.GetBucketWidth().AsDuration()
	if n := (end.Sub(start) + width - 1) / width; n > maxBuckets {
		return nil, apierror.Invalid("bucket_width", "the range holds %d buckets of %s; at most %d are allowed", n, width, maxBuckets)
	}
	var dims [5]bool
	for _, d := range m.GetGroupBy() {
		if i := int(d) - 1; i >= 0 && i < len(dims) {
			dims[i] = true
		}
	}
	startMicros, widthMicros := start.UnixMicro(), width.Microseconds()
	accs := map[statsKey]*statsAcc{}
	q := Query{Start: startMicros, End: end.UnixMicro(), Filter: m.GetFilter()}
	err := s.store.ScanStats(ctx, q, func(c Columns) error {
		var k statsKey
		k.bucket = (c.Time - startMicros) / widthMicros
		for i, v := range [5]string{c.KeyID, c.Team, c.Project, c.Model, c.Route} {
			if dims[i] {
				k.group[i] = v
			}
		}
		a := accs[k]
		if a == nil {
			a = &statsAcc{b: &auditv1.StatsBucket{
				Start: timestamppb.New(start.Add(time.Duration(k.bucket*widthMicros) * time.Microsecond)),
				Group: &auditv1.StatsGroup{KeyId: k.group[0], Team: k.group[1], Project: k.group[2], Model: k.group[3], Route: k.group[4]},
			}, errors: map[mcpv1.ErrorClass]int64{}}
			accs[k] = a
		}
		a.b.Requests++
		a.b.InputTokens += c.InputTokens
		a.b.OutputTokens += c.OutputTokens
		a.b.CostMicros += c.CostMicros
		if c.CacheHit {
			a.b.CacheHits++
		}
		if c.Status == int32(auditv1.CallStatus_CALL_STATUS_FAILED) {
			a.errors[mcpv1.ErrorClass(c.ErrorClass)]++
		}
		a.latencies = append(a.latencies, c.LatencyMicros)
		a.ttfts = append(a.ttfts, c.TTFTMicros)
		return nil
	})
	if err != nil {
		return nil, s.internal("get stats", err)
	}
	keys := slices.SortedFunc(maps.Keys(accs), func(a, b statsKey) int {
		if c := cmp.Compare(a.bucket, b.bucket); c != 0 {
			return c
		}
		return slices.Compare(a.group[:], b.group[:])
	})
	res := &auditv1.GetStatsResponse{}
	for _, k := range keys {
		a := accs[k]
		slices.Sort(a.latencies)
		slices.Sort(a.ttfts)
		a.b.LatencyP50 = micros(percentile(a.latencies, 0.50))
		a.b.LatencyP95 = micros(percentile(a.latencies, 0.95))
		a.b.LatencyP99 = micros(percentile(a.latencies, 0.99))
		a.b.TtftP50 = micros(percentile(a.ttfts, 0.50))
		for _, class := range slices.Sorted(maps.Keys(a.errors)) {
			a.b.Errors = append(a.b.Errors, &auditv1.ErrorCount{ErrorClass: class, Count: a.errors[class]})
		}
		res.Buckets = append(res.Buckets, a.b)
	}
	return connect.NewResponse(res), nil
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

func micros(us int64) *durationpb.Duration {
	return durationpb.New(time.Duration(us) * time.Microsecond)
}
