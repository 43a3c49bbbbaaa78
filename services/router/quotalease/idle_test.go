package quotalease_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/services/internal/dial"
	"github.com/manifoldgw/manifold/services/quota"
	"github.com/manifoldgw/manifold/services/quota/quotatest"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/quotalease"
)

// TestIdleLeaseReturned: a replica renews a budget lease it uses, returns
// it once it has gone a renewal without a call (so it no longer holds part
// of the budget), and acquires a fresh one for the next call.
func TestIdleLeaseReturned(t *testing.T) {
	db := quotatest.OpenSQLite(t)
	cfg := quota.DefaultConfig()
	cfg.LeaseTTL = 5 * time.Second // always inside the 10 s renewal window
	_, url := quotatest.Serve(t, db, cfg)
	c := client(url)
	setup(t, c, &quotav1.Budget{Id: "k", Subject: &quotav1.Subject{Kind: quotav1.SubjectKind_SUBJECT_KIND_VIRTUAL_KEY, Id: "k1"},
		Period: quotav1.BudgetPeriod_BUDGET_PERIOD_LIFETIME, LimitMicros: 100_000})
	adm := quotalease.New(dial.Target{BaseURL: url, Client: http.DefaultClient}, quotalease.DefaultConfig("r1"), quiet())
	if err := adm.LoadPrices(t.Context()); err != nil {
		t.Fatal(err)
	}
	call := func(id string) {
		t.Helper()
		tk, err := adm.Admit(t.Context(), &router.CallInfo{ID: id, Caller: &router.Caller{KeyID: "k1"}, Model: model, EstimatedInputTokens: 10, MaxOutputTokens: 10})
		if err != nil {
			t.Fatal(err)
		}
		tk.Settle(&mcpv1.Usage{InputTokens: 10, OutputTokens: 10}) // 10×$1 + 10×$2 = 30 µ$
	}
	status := func() *quotav1.BudgetStatus {
		t.Helper()
		b, err := c.GetBudget(t.Context(), connect.NewRequest(&quotav1.GetBudgetRequest{Id: "k"}))
		if err != nil {
			t.Fatal(err)
		}
		return b.Msg.GetBudget().GetStatus()
	}
	// waitFor polls the budget's status until cond holds (bounded).
	waitFor := func(what string, cond func(*quotav1.BudgetStatus) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for st := status(); !cond(st); st = status() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: status %v", what, st)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	call("call_1")
	if st := status(); st.GetHeldMicros() == 0 {
		t.Fatalf("status %v: the replica's lease should hold part of the budget", st)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); adm.Run(ctx) }()
	defer func() { cancel(); <-done }()
	// Renewed once (it admitted call_1), then returned as idle.
	waitFor("the idle lease is returned", func(st *quotav1.BudgetStatus) bool {
		return st.GetHeldMicros() == 0 && st.GetSpentMicros() == 30
	})
	call("call_2") // acquires a fresh lease
	waitFor("the second call settles", func(st *quotav1.BudgetStatus) bool { return st.GetSpentMicros() == 60 })
}
