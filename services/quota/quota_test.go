package quota_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/quota"
	"github.com/manifoldgw/manifold/services/quota/quotatest"
	"github.com/manifoldgw/manifold/services/quota/store"
)

// each runs fn against a quota service on each storage engine.
func each(t *testing.T, fn func(t *testing.T, c quotav1connect.QuotaServiceClient, svc *quota.Service)) {
	for _, d := range quotatest.Drivers {
		t.Run(d.Name, func(t *testing.T) {
			svc, url := quotatest.Serve(t, d.Open(t), quota.DefaultConfig())
			fn(t, quotav1connect.NewQuotaServiceClient(http.DefaultClient, url), svc)
		})
	}
}

func detail(t *testing.T, err error) *apierror.Error {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("want a Connect error, got %v", err)
	}
	return apierror.As(err)
}

func budget(id string, kind quotav1.SubjectKind, subject string, limit int64, thresholds ...uint32) *quotav1.PutBudgetRequest {
	return &quotav1.PutBudgetRequest{Budget: &quotav1.Budget{Id: id, Subject: &quotav1.Subject{Kind: kind, Id: subject},
		Period: quotav1.BudgetPeriod_BUDGET_PERIOD_MONTHLY, LimitMicros: limit, AlertThresholdsPercent: thresholds}}
}

func TestPrices(t *testing.T) {
	each(t, func(t *testing.T, c quotav1connect.QuotaServiceClient, _ *quota.Service) {
		ctx := t.Context()
		for _, m := range []string{"gpt-4.1", "claude-sonnet-4", "o3"} {
			if _, err := c.PutPrice(ctx, connect.NewRequest(&quotav1.PutPriceRequest{Price: &quotav1.Price{Model: m, InputPerMtokMicros: 2_000_000, OutputPerMtokMicros: 8_000_000}})); err != nil {
				t.Fatalf("PutPrice %s: %v", m, err)
			}
		}
		_, err := c.PutPrice(ctx, connect.NewRequest(&quotav1.PutPriceRequest{Price: &quotav1.Price{Model: "bad", InputPerMtokMicros: -1}}))
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("negative price: got %v, want invalid_argument", err)
		}
		page, err := c.ListPrices(ctx, connect.NewRequest(&quotav1.ListPricesRequest{PageSize: 2}))
		if err != nil {
			t.Fatal(err)
		}
		if got := len(page.Msg.GetPrices()); got != 2 || page.Msg.GetPrices()[0].GetModel() != "claude-sonnet-4" || page.Msg.GetNextPageToken() == "" {
			t.Fatalf("first page: %v", page.Msg)
		}
		next, err := c.ListPrices(ctx, connect.NewRequest(&quotav1.ListPricesRequest{PageSize: 2, PageToken: page.Msg.GetNextPageToken()}))
		if err != nil || len(next.Msg.GetPrices()) != 1 || next.Msg.GetPrices()[0].GetModel() != "o3" || next.Msg.GetNextPageToken() != "" {
			t.Fatalf("second page: %v %v", next, err)
		}
		if _, err := c.DeletePrice(ctx, connect.NewRequest(&quotav1.DeletePriceRequest{Model: "o3"})); err != nil {
			t.Fatal(err)
		}
		all, _ := c.ListPrices(ctx, connect.NewRequest(&quotav1.ListPricesRequest{}))
		if len(all.Msg.GetPrices()) != 2 {
			t.Fatalf("after delete: %d prices (bad input must change nothing)", len(all.Msg.GetPrices()))
		}
	})
}

// TestCost compares costs to hand-computed values for the usage shapes of
// OpenAI (cached input inside input, reasoning inside output) and Anthropic
// (cache reads and writes).
func TestCost(t *testing.T) {
	openai := &quotav1.Price{Model: "gpt-4.1", InputPerMtokMicros: 2_000_000, CachedInputPerMtokMicros: 500_000, OutputPerMtokMicros: 8_000_000}
	o3 := &quotav1.Price{Model: "o3", InputPerMtokMicros: 2_000_000, OutputPerMtokMicros: 8_000_000, ReasoningPerMtokMicros: 10_000_000}
	anthropic := &quotav1.Price{Model: "claude-sonnet-4", InputPerMtokMicros: 3_000_000, CachedInputPerMtokMicros: 300_000, CacheWritePerMtokMicros: 3_750_000, OutputPerMtokMicros: 15_000_000}
	for _, tc := range []struct {
		name  string
		price *quotav1.Price
		usage *mcpv1.Usage
		want  int64
	}{
		// 1000 uncached × $2 + 3000 cached × $0.5 + 500 out × $8 = 2000+1500+4000 µ$... per 1e6
		{"openai cached", openai, &mcpv1.Usage{InputTokens: 4000, CachedInputTokens: 3000, OutputTokens: 500}, (1000*2_000_000 + 3000*500_000 + 500*8_000_000) / 1_000_000},
		// 200 visible × $8 + 800 reasoning × $10 + 100 in × $2
		{"openai reasoning", o3, &mcpv1.Usage{InputTokens: 100, OutputTokens: 1000, ReasoningTokens: 800}, (100*2_000_000 + 200*8_000_000 + 800*10_000_000) / 1_000_000},
		// reasoning at the output price when not priced apart
		{"reasoning default", openai, &mcpv1.Usage{InputTokens: 0, OutputTokens: 1000, ReasoningTokens: 800}, 8000},
		// 100 uncached × $3 + 2000 read × $0.3 + 1000 written × $3.75 + 300 out × $15
		{"anthropic cache", anthropic, &mcpv1.Usage{InputTokens: 3100, CachedInputTokens: 2000, CacheWriteTokens: 1000, OutputTokens: 300}, (100*3_000_000 + 2000*300_000 + 1000*3_750_000 + 300*15_000_000) / 1_000_000},
		// rounds up to a whole micro-dollar
		{"round up", openai, &mcpv1.Usage{InputTokens: 1}, 2},
	} {
		if got := store.Cost(tc.price, tc.usage); got != tc.want {
			t.Errorf("%s: cost %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestReserveSettleRelease(t *testing.T) {
	each(t, func(t *testing.T, c quotav1connect.QuotaServiceClient, _ *quota.Service) {
		ctx := t.Context()
		if _, err := c.PutPrice(ctx, connect.NewRequest(&quotav1.PutPriceRequest{Price: &quotav1.Price{Model: "m", InputPerMtokMicros: 1_000_000, OutputPerMtokMicros: 2_000_000}})); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutBudget(ctx, connect.NewRequest(budget("team-a", quotav1.SubjectKind_SUBJECT_KIND_TEAM, "a", 1000, 50, 100))); err != nil {
			t.Fatal(err)
		}
		scope := &quotav1.ChargeScope{VirtualKeyId: "k1", Team: "a", Model: "m"}
		reserve := func(key string, cost int64) (*quotav1.Reservation, error) {
			r, err := c.Reserve(ctx, connect.NewRequest(&quotav1.ReserveRequest{Scope: scope, IdempotencyKey: key, EstimatedCostMicros: cost, EstimatedTokens: 10}))
			if err != nil {
				return nil, err
			}
			return r.Msg.GetReservation(), nil
		}
		r1, err := reserve("call-1", 600)
		if err != nil {
			t.Fatal(err)
		}
		again, err := reserve("call-1", 600)
		if err != nil || again.GetId() != r1.GetId() {
			t.Fatalf("idempotent retry: %v %v", again, err)
		}
		_, err = reserve("call-2", 600)
		e := detail(t, err)
		if connect.CodeOf(err) != connect.CodeResourceExhausted || e.Class != mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED || e.LimitName != "budget:team-a" || e.LimitValue != 1000 || e.LimitRemaining != 400 {
			t.Fatalf("over budget: %v %+v", err, e)
		}
		// 300 input × $1 + 100 output × $2 = 500 µ$.
		settle := &quotav1.Settlement{CallId: "call-1", ReservationId: r1.GetId(), Usage: &mcpv1.Usage{InputTokens: 300, OutputTokens: 100}, FinishedAt: timestamppb.Now()}
		res, err := c.Settle(ctx, connect.NewRequest(&quotav1.SettleRequest{Settlements: []*quotav1.Settlement{settle, settle}}))
		if err != nil {
			t.Fatal(err)
		}
		if o := res.Msg.GetResults(); o[0].GetOutcome() != quotav1.SettlementOutcome_SETTLEMENT_OUTCOME_SETTLED || o[1].GetOutcome() != quotav1.SettlementOutcome_SETTLEMENT_OUTCOME_DUPLICATE {
			t.Fatalf("outcomes: %v", o)
		}
		b, err := c.GetBudget(ctx, connect.NewRequest(&quotav1.GetBudgetRequest{Id: "team-a"}))
		if err != nil {
			t.Fatal(err)
		}
		if st := b.Msg.GetBudget().GetStatus(); st.GetSpentMicros() != 500 || st.GetHeldMicros() != 0 || st.GetRemainingMicros() != 500 {
			t.Fatalf("status after settle: %v", st)
		}
		alerts, err := c.ListBudgetAlerts(ctx, connect.NewRequest(&quotav1.ListBudgetAlertsRequest{BudgetId: "team-a"}))
		if err != nil || len(alerts.Msg.GetAlerts()) != 1 || alerts.Msg.GetAlerts()[0].GetThresholdPercent() != 50 || alerts.Msg.GetAlerts()[0].GetSpentMicros() != 500 {
			t.Fatalf("alerts: %v %v", alerts, err)
		}
		r3, err := reserve("call-3", 400)
		if err != nil {
			t.Fatal(err)
		}
		rel, err := c.Release(ctx, connect.NewRequest(&quotav1.ReleaseRequest{ReservationIds: []string{r3.GetId(), r3.GetId(), "res_unknown"}}))
		if err != nil || rel.Msg.GetReleased() != 1 || rel.Msg.GetUnchanged() != 2 {
			t.Fatalf("release: %v %v", rel, err)
		}
		b, _ = c.GetBudget(ctx, connect.NewRequest(&quotav1.GetBudgetRequest{Id: "team-a"}))
		if st := b.Msg.GetBudget().GetStatus(); st.GetHeldMicros() != 0 || st.GetSpentMicros() != 500 {
			t.Fatalf("status after release: %v", st)
		}
		_, err = c.Settle(ctx, connect.NewRequest(&quotav1.SettleRequest{Settlements: []*quotav1.Settlement{{CallId: "x", Usage: &mcpv1.Usage{}, FinishedAt: timestamppb.Now()}}}))
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("settlement without basis: %v", err)
		}
	})
}

func TestRateLimit(t *testing.T) {
	each(t, func(t *testing.T, c quotav1connect.QuotaServiceClient, _ *quota.Service) {
		ctx := t.Context()
		if _, err := c.PutRateLimit(ctx, connect.NewRequest(&quotav1.PutRateLimitRequest{RateLimit: &quotav1.RateLimit{Id: "k1-rpm",
			Subject: &quotav1.Subject{Kind: quotav1.SubjectKind_SUBJECT_KIND_VIRTUAL_KEY, Id: "k1"}, RequestsPerMinute: 2}})); err != nil {
			t.Fatal(err)
		}
		_, err := c.PutRateLimit(ctx, connect.NewRequest(&quotav1.PutRateLimitRequest{RateLimit: &quotav1.RateLimit{Id: "none"}}))
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("limit without rates: %v", err)
		}
		var refused error
		for i := range 3 {
			_, err := c.Reserve(ctx, connect.NewRequest(&quotav1.ReserveRequest{Scope: &quotav1.ChargeScope{VirtualKeyId: "k1"}, IdempotencyKey: fmt.Sprint("c", i)}))
			if i < 2 && err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
			refused = err
		}
		e := detail(t, refused)
		if connect.CodeOf(refused) != connect.CodeResourceExhausted || e.Class != mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED || e.LimitName != "rpm:k1-rpm" || e.LimitValue != 2 || e.RetryAfter <= 0 || e.RetryAfter > time.Minute {
			t.Fatalf("third call: %v %+v", refused, e)
		}
	})
}

// TestConcurrentReserve proves reservations never overspend: 64 callers
// race to reserve and settle against one budget.
func TestConcurrentReserve(t *testing.T) {
	each(t, func(t *testing.T, c quotav1connect.QuotaServiceClient, _ *quota.Service) {
		ctx := t.Context()
		const limit = 10_000
		if _, err := c.PutBudget(ctx, connect.NewRequest(budget("p", quotav1.SubjectKind_SUBJECT_KIND_PROJECT, "p", limit))); err != nil {
			t.Fatal(err)
		}
		var (
			wg      sync.WaitGroup
			settled atomic.Int64
		)
		for i := range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := c.Reserve(ctx, connect.NewRequest(&quotav1.ReserveRequest{Scope: &quotav1.ChargeScope{Project: "p"}, IdempotencyKey: fmt.Sprint("c", i), EstimatedCostMicros: 500}))
				if err != nil {
					if connect.CodeOf(err) != connect.CodeResourceExhausted {
						t.Errorf("reserve: %v", err)
					}
					return
				}
				cost := int64(100 + i*7%400)
				_, err = c.Settle(ctx, connect.NewRequest(&quotav1.SettleRequest{Settlements: []*quotav1.Settlement{{CallId: fmt.Sprint("c", i), ReservationId: r.Msg.GetReservation().GetId(),
					Usage: &mcpv1.Usage{CostMicros: cost}, FinishedAt: timestamppb.Now()}}}))
				if err != nil {
					t.Errorf("settle: %v", err)
					return
				}
				settled.Add(cost)
			}()
		}
		wg.Wait()
		b, err := c.GetBudget(ctx, connect.NewRequest(&quotav1.GetBudgetRequest{Id: "p"}))
		if err != nil {
			t.Fatal(err)
		}
		st := b.Msg.GetBudget().GetStatus()
		if st.GetSpentMicros() != settled.Load() || st.GetSpentMicros() > limit || st.GetHeldMicros() != 0 {
			t.Fatalf("status %v, settled %d, limit %d", st, settled.Load(), limit)
		}
	})
}

func TestLeases(t *testing.T) {
	each(t, func(t *testing.T, c quotav1connect.QuotaServiceClient, _ *quota.Service) {
		ctx := t.Context()
		if _, err := c.PutBudget(ctx, connect.NewRequest(budget("k", quotav1.SubjectKind_SUBJECT_KIND_VIRTUAL_KEY, "k1", 1000))); err != nil {
			t.Fatal(err)
		}
		acq, err := c.AcquireLease(ctx, connect.NewRequest(&quotav1.AcquireLeaseRequest{ReplicaId: "r1",
			Target: &quotav1.AcquireLeaseRequest_Subject{Subject: &quotav1.Subject{Kind: quotav1.SubjectKind_SUBJECT_KIND_VIRTUAL_KEY, Id: "k1"}},
			Demand: &quotav1.LeaseDemand{CostMicros: 200}}))
		if err != nil {
			t.Fatal(err)
		}
		if len(acq.Msg.GetLeases()) != 1 {
			t.Fatalf("leases: %v", acq.Msg)
		}
		l := acq.Msg.GetLeases()[0]
		if l.GetGranted() != 200 || l.GetBudgetId() != "k" || l.GetLimit() != 1000 || l.GetRemaining() != 800 {
			t.Fatalf("lease: %v", l)
		}
		// Spend 150 through the lease and settle it.
		if _, err := c.Settle(ctx, connect.NewRequest(&quotav1.SettleRequest{Settlements: []*quotav1.Settlement{{CallId: "c1", LeaseIds: []string{l.GetId()},
			Scope: &quotav1.ChargeScope{VirtualKeyId: "k1"}, Usage: &mcpv1.Usage{CostMicros: 150}, FinishedAt: timestamppb.Now()}}})); err != nil {
			t.Fatal(err)
		}
		ren, err := c.RenewLease(ctx, connect.NewRequest(&quotav1.RenewLeaseRequest{LeaseId: l.GetId(), ReplicaId: "r1", Spent: 150, Demand: &quotav1.LeaseDemand{CostMicros: 200}}))
		if err != nil {
			t.Fatal(err)
		}
		if g := ren.Msg.GetLease().GetGranted(); g != 350 {
			t.Fatalf("renewed grant %d, want 150 spent + 200 fresh", g)
		}
		if _, err := c.RenewLease(ctx, connect.NewRequest(&quotav1.RenewLeaseRequest{LeaseId: l.GetId(), ReplicaId: "r2"})); connect.CodeOf(err) != connect.CodeNotFound {
			t.Fatalf("renew from another replica: %v", err)
		}
		ret, err := c.ReturnLease(ctx, connect.NewRequest(&quotav1.ReturnLeaseRequest{LeaseId: l.GetId(), ReplicaId: "r1", Spent: 150}))
		if err != nil || ret.Msg.GetReturned() != 200 {
			t.Fatalf("return: %v %v", ret, err)
		}
		b, _ := c.GetBudget(ctx, connect.NewRequest(&quotav1.GetBudgetRequest{Id: "k"}))
		if st := b.Msg.GetBudget().GetStatus(); st.GetSpentMicros() != 150 || st.GetHeldMicros() != 0 || st.GetRemainingMicros() != 850 {
			t.Fatalf("status after return: %v", st)
		}
	})
}

func TestUsageReport(t *testing.T) {
	each(t, func(t *testing.T, c quotav1connect.QuotaServiceClient, _ *quota.Service) {
		ctx := t.Context()
		day1 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		for i, s := range []struct {
			key, model string
			at         time.Time
			cost       int64
		}{{"k1", "m1", day1, 100}, {"k1", "m1", day1.Add(time.Hour), 50}, {"k1", "m2", day1.Add(24 * time.Hour), 7}, {"k2", "m1", day1, 1}} {
			// Lease-based settlements of unknown leases still write the ledger.
			if _, err := c.Settle(ctx, connect.NewRequest(&quotav1.SettleRequest{Settlements: []*quotav1.Settlement{{CallId: fmt.Sprint("c", i), LeaseIds: []string{"gone"},
				Scope: &quotav1.ChargeScope{VirtualKeyId: s.key, Model: s.model}, Usage: &mcpv1.Usage{InputTokens: 10, OutputTokens: 5, CostMicros: s.cost}, FinishedAt: timestamppb.New(s.at)}}})); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := c.GetUsageReport(ctx, connect.NewRequest(&quotav1.GetUsageReportRequest{
			Range:         &quotav1.TimeRange{Start: timestamppb.New(day1.Add(-time.Hour)), End: timestamppb.New(day1.Add(72 * time.Hour))},
			GroupBy:       []quotav1.UsageDimension{quotav1.UsageDimension_USAGE_DIMENSION_MODEL, quotav1.UsageDimension_USAGE_DIMENSION_DAY},
			VirtualKeyIds: []string{"k1"},
		}))
		if err != nil {
			t.Fatal(err)
		}
		rows := rep.Msg.GetRows()
		if len(rows) != 2 || rows[0].GetModel() != "m1" || rows[0].GetRequests() != 2 || rows[0].GetUsage().GetCostMicros() != 150 ||
			!rows[0].GetDay().AsTime().Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) || rows[1].GetModel() != "m2" || rows[1].GetUsage().GetCostMicros() != 7 {
			t.Fatalf("rows: %v", rows)
		}
		if tot := rep.Msg.GetTotal(); tot.GetRequests() != 3 || tot.GetUsage().GetCostMicros() != 157 || tot.GetUsage().GetTotalTokens() != 45 {
			t.Fatalf("total: %v", tot)
		}
		_, err = c.GetUsageReport(ctx, connect.NewRequest(&quotav1.GetUsageReportRequest{Range: &quotav1.TimeRange{Start: timestamppb.New(day1), End: timestamppb.New(day1)}}))
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("empty range: %v", err)
		}
	})
}

// TestDeleteMissing: deleting a price, budget or rate limit that does not
// exist fails with NOT_FOUND naming it and changes nothing (the price
// catalog's revision stays, so routers' watches see no change); deleting
// one that exists succeeds once, then is NOT_FOUND too.
func TestDeleteMissing(t *testing.T) {
	each(t, func(t *testing.T, c quotav1connect.QuotaServiceClient, svc *quota.Service) {
		ctx := t.Context()
		if _, err := c.PutPrice(ctx, connect.NewRequest(&quotav1.PutPriceRequest{Price: &quotav1.Price{Model: "m", InputPerMtokMicros: 1}})); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutBudget(ctx, connect.NewRequest(budget("b", quotav1.SubjectKind_SUBJECT_KIND_TEAM, "a", 1000))); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutRateLimit(ctx, connect.NewRequest(&quotav1.PutRateLimitRequest{RateLimit: &quotav1.RateLimit{Id: "l", RequestsPerMinute: 5}})); err != nil {
			t.Fatal(err)
		}
		rev, err := svc.Store().PriceRevision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		deletes := []struct {
			what string
			del  func(id string) error
		}{
			{"price of model", func(id string) error {
				_, err := c.DeletePrice(ctx, connect.NewRequest(&quotav1.DeletePriceRequest{Model: id}))
				return err
			}},
			{"budget", func(id string) error {
				_, err := c.DeleteBudget(ctx, connect.NewRequest(&quotav1.DeleteBudgetRequest{Id: id}))
				return err
			}},
			{"rate limit", func(id string) error {
				_, err := c.DeleteRateLimit(ctx, connect.NewRequest(&quotav1.DeleteRateLimitRequest{Id: id}))
				return err
			}},
		}
		for _, d := range deletes {
			err := d.del("nope")
			if connect.CodeOf(err) != connect.CodeNotFound || detail(t, err).Class != mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND ||
				!strings.Contains(err.Error(), d.what+` "nope" not found`) {
				t.Errorf("delete a missing %s: %v, want not_found naming it", d.what, err)
			}
		}
		if got, err := svc.Store().PriceRevision(ctx); err != nil || got != rev {
			t.Errorf("price revision %d (%v) after deleting a missing price, want %d", got, err, rev)
		}
		prices, _ := c.ListPrices(ctx, connect.NewRequest(&quotav1.ListPricesRequest{}))
		budgets, _ := c.ListBudgets(ctx, connect.NewRequest(&quotav1.ListBudgetsRequest{}))
		limits, _ := c.ListRateLimits(ctx, connect.NewRequest(&quotav1.ListRateLimitsRequest{}))
		if len(prices.Msg.GetPrices()) != 1 || len(budgets.Msg.GetBudgets()) != 1 || len(limits.Msg.GetRateLimits()) != 1 {
			t.Fatalf("after failed deletes: %v %v %v, want each resource still there", prices.Msg, budgets.Msg, limits.Msg)
		}
		for i, id := range []string{"m", "b", "l"} {
			if err := deletes[i].del(id); err != nil {
				t.Errorf("delete %s %q: %v", deletes[i].what, id, err)
			}
			if err := deletes[i].del(id); connect.CodeOf(err) != connect.CodeNotFound {
				t.Errorf("delete %s %q again: %v, want not_found", deletes[i].what, id, err)
			}
		}
	})
}

// TestLoweredLimitShrinksLeases: after a budget's or rate limit's limit is
// lowered below what its leases were granted, a lease's next renewal gives
// back as much of its unspent grant as the source is over (never what it
// spent), so the lowered limit applies at the renewal instead of after the
// replica has spent its old grant.
func TestLoweredLimitShrinksLeases(t *testing.T) {
	each(t, func(t *testing.T, c quotav1connect.QuotaServiceClient, svc *quota.Service) {
		ctx := t.Context()
		now := time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC) // the rate window stays open
		svc.Store().Now = func() time.Time { return now }
		k1 := &quotav1.Subject{Kind: quotav1.SubjectKind_SUBJECT_KIND_VIRTUAL_KEY, Id: "k1"}
		if _, err := c.PutBudget(ctx, connect.NewRequest(budget("k", k1.GetKind(), k1.GetId(), 1000))); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutRateLimit(ctx, connect.NewRequest(&quotav1.PutRateLimitRequest{RateLimit: &quotav1.RateLimit{Id: "k-tpm", Subject: k1, TokensPerMinute: 1000}})); err != nil {
			t.Fatal(err)
		}
		acq, err := c.AcquireLease(ctx, connect.NewRequest(&quotav1.AcquireLeaseRequest{ReplicaId: "r1", Target: &quotav1.AcquireLeaseRequest_Subject{Subject: k1},
			Demand: &quotav1.LeaseDemand{CostMicros: 200, Tokens: 250}}))
		if err != nil {
			t.Fatal(err)
		}
		var cost, tokens *quotav1.Lease
		for _, l := range acq.Msg.GetLeases() {
			if l.GetBudgetId() != "" {
				cost = l
			} else {
				tokens = l
			}
		}
		if cost.GetGranted() != 200 || tokens.GetGranted() != 250 {
			t.Fatalf("leases %v, want 200 µ$ and 250 tokens", acq.Msg.GetLeases())
		}
		// 50 µ$ spent and settled through the budget lease.
		if _, err := c.Settle(ctx, connect.NewRequest(&quotav1.SettleRequest{Settlements: []*quotav1.Settlement{{CallId: "c1", LeaseIds: []string{cost.GetId()},
			Scope: &quotav1.ChargeScope{VirtualKeyId: "k1"}, Usage: &mcpv1.Usage{CostMicros: 50}, FinishedAt: timestamppb.Now()}}})); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutBudget(ctx, connect.NewRequest(budget("k", k1.GetKind(), k1.GetId(), 100))); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutRateLimit(ctx, connect.NewRequest(&quotav1.PutRateLimitRequest{RateLimit: &quotav1.RateLimit{Id: "k-tpm", Subject: k1, TokensPerMinute: 100}})); err != nil {
			t.Fatal(err)
		}
		// The budget: 50 spent + 150 unspent held, 100 over the new limit.
		ren, err := c.RenewLease(ctx, connect.NewRequest(&quotav1.RenewLeaseRequest{LeaseId: cost.GetId(), ReplicaId: "r1", Spent: 50, Demand: &quotav1.LeaseDemand{CostMicros: 200}}))
		if err != nil {
			t.Fatal(err)
		}
		if l := ren.Msg.GetLease(); l.GetGranted() != 100 || l.GetLimit() != 100 || l.GetRemaining() != 0 {
			t.Errorf("renewed budget lease %v, want granted 100 (150 unspent less the 100 over), limit 100, remaining 0", l)
		}
		b, _ := c.GetBudget(ctx, connect.NewRequest(&quotav1.GetBudgetRequest{Id: "k"}))
		if st := b.Msg.GetBudget().GetStatus(); st.GetSpentMicros() != 50 || st.GetHeldMicros() != 50 || st.GetRemainingMicros() != 0 {
			t.Errorf("budget status %v, want 50 spent, 50 held, 0 remaining", st)
		}
		// The tokens: 250 granted in the minute, 30 used, 150 over.
		ren, err = c.RenewLease(ctx, connect.NewRequest(&quotav1.RenewLeaseRequest{LeaseId: tokens.GetId(), ReplicaId: "r1", Spent: 30, Demand: &quotav1.LeaseDemand{Tokens: 250}}))
		if err != nil {
			t.Fatal(err)
		}
		if l := ren.Msg.GetLease(); l.GetGranted() != 100 || l.GetLimit() != 100 || l.GetRemaining() != 0 {
			t.Errorf("renewed token lease %v, want granted 100, limit 100, remaining 0", l)
		}
		// Over by more than the unspent grant: it shrinks to what was spent.
		if _, err := c.PutBudget(ctx, connect.NewRequest(budget("k", k1.GetKind(), k1.GetId(), 10))); err != nil {
			t.Fatal(err)
		}
		ren, err = c.RenewLease(ctx, connect.NewRequest(&quotav1.RenewLeaseRequest{LeaseId: cost.GetId(), ReplicaId: "r1", Spent: 50, Demand: &quotav1.LeaseDemand{CostMicros: 200}}))
		if err != nil {
			t.Fatal(err)
		}
		if l := ren.Msg.GetLease(); l.GetGranted() != 50 || l.GetRemaining() != -40 {
			t.Errorf("renewed budget lease %v, want granted 50 (what it spent), remaining -40", l)
		}
	})
}
