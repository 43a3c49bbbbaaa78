package quotalease_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"connectrpc.com/connect"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/services/internal/dial"
	"github.com/manifoldgw/manifold/services/quota"
	"github.com/manifoldgw/manifold/services/quota/quotatest"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/quotalease"
)

// partition is a transport that can lose the network to the quota service.
type partition struct{ down atomic.Bool }

func (p *partition) RoundTrip(r *http.Request) (*http.Response, error) {
	if p.down.Load() {
		return nil, errors.New("connect: network is unreachable")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestSpoolKeepsSettlements stops a replica while the quota service cannot
// be reached: the settlement still queued and the one of a call ending
// after Close go to the spool, and the next replica started on the same
// directory sends them — each call lands in the ledger once.
func TestSpoolKeepsSettlements(t *testing.T) {
	db := quotatest.OpenSQLite(t)
	_, url := quotatest.Serve(t, db, quota.DefaultConfig())
	c := client(url)
	setup(t, c, &quotav1.Budget{Id: "k", Subject: &quotav1.Subject{Kind: quotav1.SubjectKind_SUBJECT_KIND_VIRTUAL_KEY, Id: "k1"},
		Period: quotav1.BudgetPeriod_BUDGET_PERIOD_LIFETIME, LimitMicros: 1_000_000})
	dir := t.TempDir()
	link := &partition{}
	replica := func(name string) *quotalease.Admission {
		cfg := quotalease.DefaultConfig(name)
		cfg.SpoolDir = dir
		adm := quotalease.New(dial.Target{BaseURL: url, Client: &http.Client{Transport: link}}, cfg, quiet())
		if err := adm.LoadPrices(t.Context()); err != nil {
			t.Fatal(err)
		}
		return adm
	}
	first := replica("r1")
	caller := &router.Caller{KeyID: "k1"}
	t1, err := first.Admit(t.Context(), &router.CallInfo{ID: "call_1", Caller: caller, Model: model, EstimatedInputTokens: 10, MaxOutputTokens: 20})
	if err != nil {
		t.Fatal(err)
	}
	t2, err := first.Admit(t.Context(), &router.CallInfo{ID: "call_2", Caller: caller, Model: model, EstimatedInputTokens: 20, MaxOutputTokens: 20})
	if err != nil {
		t.Fatal(err)
	}
	t1.Settle(&mcpv1.Usage{InputTokens: 10, OutputTokens: 5}) // 10×$1 + 5×$2 = 20 µ$
	link.down.Store(true)
	if err := first.Close(t.Context()); err == nil {
		t.Error("Close reported no error although no lease could be returned")
	}
	t2.Settle(&mcpv1.Usage{InputTokens: 20, OutputTokens: 10}) // after Close: 20×$1 + 10×$2 = 40 µ$
	b, err := os.ReadFile(filepath.Join(dir, "settlements-r1.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 2 || !strings.Contains(lines[0], "call_1") || !strings.Contains(lines[1], "call_2") {
		t.Fatalf("spool:\n%s\nwant call_1 then call_2", b)
	}

	link.down.Store(false)
	second := replica("r2")
	if !second.Resend(t.Context()) {
		t.Fatal("Resend left settlements behind")
	}
	if _, err := os.Stat(filepath.Join(dir, "settlements-r1.jsonl")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the sent spool file is still there: %v", err)
	}
	if !second.Resend(t.Context()) {
		t.Fatal("a second Resend found something to send")
	}
	r, err := c.GetUsageReport(t.Context(), connect.NewRequest(&quotav1.GetUsageReportRequest{Range: everything()}))
	if err != nil {
		t.Fatal(err)
	}
	if tot := r.Msg.GetTotal(); tot.GetRequests() != 2 || tot.GetUsage().GetCostMicros() != 60 {
		t.Fatalf("ledger: %d calls costing %d µ$, want 2 costing 60 µ$", tot.GetRequests(), tot.GetUsage().GetCostMicros())
	}
	bud, err := c.GetBudget(t.Context(), connect.NewRequest(&quotav1.GetBudgetRequest{Id: "k"}))
	if err != nil {
		t.Fatal(err)
	}
	if st := bud.Msg.GetBudget().GetStatus(); st.GetSpentMicros() != 60 {
		t.Errorf("budget spent %d µ$, want 60", st.GetSpentMicros())
	}
}
