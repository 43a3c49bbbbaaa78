package quotalease_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/dial"
	"github.com/manifoldgw/manifold/services/quota"
	"github.com/manifoldgw/manifold/services/quota/quotatest"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/quotalease"
)

// clock is a test clock shared by the quota service and a replica.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// TestChangesReachLiveLeases: budgets and rate limits put on a subject
// whose leases stay live (a busy key's budget lease is renewed, never
// expires) apply at the target's next recheck, quota.lease-ttl after it
// was acquired, and a lease whose budget no longer applies to the subject
// is returned then, so it stops holding part of the budget.
func TestChangesReachLiveLeases(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a minute's start
	clk := &clock{t: t0}
	svc, url := quotatest.Serve(t, quotatest.OpenSQLite(t), quota.DefaultConfig()) // leases live 30 s
	svc.Store().Now = clk.now
	c := client(url)
	k1 := &quotav1.Subject{Kind: quotav1.SubjectKind_SUBJECT_KIND_VIRTUAL_KEY, Id: "k1"}
	setup(t, c, &quotav1.Budget{Id: "k1-budget", Subject: k1, Period: quotav1.BudgetPeriod_BUDGET_PERIOD_LIFETIME, LimitMicros: 1_000_000})
	adm := quotalease.New(dial.Target{BaseURL: url, Client: http.DefaultClient}, quotalease.DefaultConfig("r1"), quiet())
	adm.SetClock(clk.now)
	if err := adm.LoadPrices(t.Context()); err != nil {
		t.Fatal(err)
	}
	n := 0
	call := func() error {
		n++
		tk, err := adm.Admit(t.Context(), &router.CallInfo{ID: fmt.Sprint("call_", n), Caller: &router.Caller{KeyID: "k1"}, Model: model, EstimatedInputTokens: 10, MaxOutputTokens: 10})
		if err == nil {
			tk.Settle(&mcpv1.Usage{InputTokens: 10, OutputTokens: 10})
		}
		return err
	}
	if err := call(); err != nil { // the budget lease: expires and rechecked at t0+30s
		t.Fatal(err)
	}
	if _, err := c.PutRateLimit(t.Context(), connect.NewRequest(&quotav1.PutRateLimitRequest{RateLimit: &quotav1.RateLimit{Id: "k1-rpm", Subject: k1, RequestsPerMinute: 2}})); err != nil {
		t.Fatal(err)
	}
	clk.set(t0.Add(25 * time.Second))
	adm.RenewDue(t.Context()) // renewed: lives until t0+55s

	clk.set(t0.Add(31 * time.Second))
	for i := range 2 {
		if err := call(); err != nil {
			t.Fatalf("call %d of 2 a minute: %v", i+1, err)
		}
	}
	if e := apierror.As(call()); e == nil || e.Class != mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED || e.LimitName != "rpm:k1-rpm" {
		t.Fatalf("a third call in the minute: %+v, want rate_limited on rpm:k1-rpm (the limit was put 31 s ago)", e)
	}

	// The budget moves to another key; the replica's lease of it is still
	// live (renewed at t0+50s) when the key's target is next acquired.
	if _, err := c.PutBudget(t.Context(), connect.NewRequest(&quotav1.PutBudgetRequest{Budget: &quotav1.Budget{Id: "k1-budget",
		Subject: &quotav1.Subject{Kind: quotav1.SubjectKind_SUBJECT_KIND_VIRTUAL_KEY, Id: "k2"}, Period: quotav1.BudgetPeriod_BUDGET_PERIOD_LIFETIME, LimitMicros: 1_000_000}})); err != nil {
		t.Fatal(err)
	}
	clk.set(t0.Add(50 * time.Second))
	adm.RenewDue(t.Context())
	clk.set(t0.Add(62 * time.Second))
	if err := call(); err != nil {
		t.Fatal(err)
	}
	if err := adm.Flush(t.Context()); err != nil { // what the lease spent is settled
		t.Fatal(err)
	}
	b, err := c.GetBudget(t.Context(), connect.NewRequest(&quotav1.GetBudgetRequest{Id: "k1-budget"}))
	if err != nil {
		t.Fatal(err)
	}
	if st := b.Msg.GetBudget().GetStatus(); st.GetHeldMicros() != 0 {
		t.Fatalf("status %v: the lease of a budget that no longer applies to k1 still holds part of it", st)
	}
}

// TestRecheckWhileQuotaDown: when a target's recheck is due but the quota
// service cannot be reached, its live leases keep admitting calls, as
// they would have without the recheck; a target without leases is refused
// (quota_unconfirmed) as before.
func TestRecheckWhileQuotaDown(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	svc, url := quotatest.Serve(t, quotatest.OpenSQLite(t), quota.DefaultConfig())
	svc.Store().Now = clk.now
	setup(t, client(url), &quotav1.Budget{Id: "k1-budget", Subject: &quotav1.Subject{Kind: quotav1.SubjectKind_SUBJECT_KIND_VIRTUAL_KEY, Id: "k1"},
		Period: quotav1.BudgetPeriod_BUDGET_PERIOD_LIFETIME, LimitMicros: 1_000_000})
	var down atomic.Bool
	target, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "quota service away", http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	adm := quotalease.New(dial.Target{BaseURL: front.URL, Client: http.DefaultClient}, quotalease.DefaultConfig("r1"), quiet())
	adm.SetClock(clk.now)
	if err := adm.LoadPrices(t.Context()); err != nil {
		t.Fatal(err)
	}
	call := func(key string) error {
		tk, err := adm.Admit(t.Context(), &router.CallInfo{ID: "c", Caller: &router.Caller{KeyID: key}, Model: model, EstimatedInputTokens: 10, MaxOutputTokens: 10})
		if err == nil {
			tk.Settle(nil)
		}
		return err
	}
	if err := call("k1"); err != nil {
		t.Fatal(err)
	}
	clk.set(t0.Add(25 * time.Second))
	adm.RenewDue(t.Context()) // the lease lives until t0+55s; its target is rechecked from t0+30s
	clk.set(t0.Add(31 * time.Second))
	down.Store(true)
	for range 2 {
		if err := call("k1"); err != nil {
			t.Fatalf("a call on a live lease while the recheck fails: %v", err)
		}
	}
	if e := apierror.As(call("k2")); e == nil || e.Class != mcpv1.ErrorClass_ERROR_CLASS_QUOTA_UNCONFIRMED {
		t.Fatalf("a call of a key without leases: %+v, want quota_unconfirmed", e)
	}
}

// TestLoweredBudgetAppliesAtRenewal: a budget lowered below what a
// replica's lease was granted stops admitting calls at the lease's next
// renewal, not once the old grant is spent.
func TestLoweredBudgetAppliesAtRenewal(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	svc, url := quotatest.Serve(t, quotatest.OpenSQLite(t), quota.DefaultConfig())
	svc.Store().Now = clk.now
	c := client(url)
	budget := func(limit int64) *quotav1.Budget {
		return &quotav1.Budget{Id: "k1-budget", Subject: &quotav1.Subject{Kind: quotav1.SubjectKind_SUBJECT_KIND_VIRTUAL_KEY, Id: "k1"},
			Period: quotav1.BudgetPeriod_BUDGET_PERIOD_LIFETIME, LimitMicros: limit}
	}
	setup(t, c, budget(1_000_000))
	adm := quotalease.New(dial.Target{BaseURL: url, Client: http.DefaultClient}, quotalease.DefaultConfig("r1"), quiet())
	adm.SetClock(clk.now)
	if err := adm.LoadPrices(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Worst case 10×$1 + 10×$3 = 40 µ$; it costs 10×$1 + 10×$2 = 30 µ$.
	call := func(id string) error {
		tk, err := adm.Admit(t.Context(), &router.CallInfo{ID: id, Caller: &router.Caller{KeyID: "k1"}, Model: model, EstimatedInputTokens: 10, MaxOutputTokens: 10})
		if err == nil {
			tk.Settle(&mcpv1.Usage{InputTokens: 10, OutputTokens: 10})
		}
		return err
	}
	if err := call("call_1"); err != nil { // the lease is granted 2% of the budget
		t.Fatal(err)
	}
	if err := adm.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBudget(t.Context(), connect.NewRequest(&quotav1.PutBudgetRequest{Budget: budget(50)})); err != nil {
		t.Fatal(err)
	}
	clk.set(t0.Add(25 * time.Second))
	adm.RenewDue(t.Context())
	if e := apierror.As(call("call_2")); e == nil || e.Class != mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED || e.LimitName != "budget:k1-budget" || e.LimitValue != 50 {
		t.Fatalf("a 40 µ$ call with 20 µ$ left of the lowered budget: %+v, want quota_exceeded on budget:k1-budget, limit 50", e)
	}
}
