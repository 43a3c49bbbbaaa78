package quotalease_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"connectrpc.com/connect"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/dial"
	openaiemu "github.com/manifoldgw/manifold/services/internal/emulator/openai"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/quota"
	"github.com/manifoldgw/manifold/services/quota/quotatest"
	"github.com/manifoldgw/manifold/services/quota/store"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/demo"
	"github.com/manifoldgw/manifold/services/router/quotalease"
)

const model = "chat-model"

var price = &quotav1.Price{Model: model, InputPerMtokMicros: 1_000_000, CachedInputPerMtokMicros: 250_000, OutputPerMtokMicros: 2_000_000, ReasoningPerMtokMicros: 3_000_000}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// upstream serves an OpenAI emulator and returns a catalog with one model
// on it and a route "chat" to it.
func upstream(t *testing.T, opts openaiemu.Options) router.Spec {
	t.Helper()
	emu := openaiemu.New()
	emu.Configure(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Setenv("MANIFOLD_TEST_QUOTA_OPENAI", "sk-test-0123456789")
	return router.Spec{
		Providers:   []*routerv1.Provider{{Name: "openai", Kind: routerv1.ProviderKind_PROVIDER_KIND_OPENAI, BaseUrl: srv.URL + "/v1", Credentials: []*routerv1.CredentialRef{{Name: "openai-key"}}}},
		Models:      []*routerv1.Model{{Name: model, Provider: "openai", UpstreamModel: "gpt-4o-mini", MaxOutputTokens: 64}},
		Credentials: []router.CredentialSpec{{Name: "openai-key", APIKeyEnv: "MANIFOLD_TEST_QUOTA_OPENAI"}},
		Routes:      []*routerv1.Route{{Name: "chat", Targets: []*routerv1.Target{{Model: model}}}},
	}
}

// replica is one router with its own lease admission.
type replica struct {
	svc *router.Service
	adm *quotalease.Admission
}

func newReplica(t *testing.T, name string, catalog router.Spec, quotaURL string) *replica {
	t.Helper()
	cfg := router.DefaultConfig()
	cfg.Catalog = catalog
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	svc := router.New(cfg, quiet())
	adm := quotalease.New(dial.Target{BaseURL: quotaURL, Client: http.DefaultClient}, quotalease.DefaultConfig(name), quiet())
	if err := adm.LoadPrices(t.Context()); err != nil {
		t.Fatal(err)
	}
	svc.Use(router.Hooks{Quota: adm})
	return &replica{svc: svc, adm: adm}
}

func client(url string) quotav1connect.QuotaServiceClient {
	return quotav1connect.NewQuotaServiceClient(http.DefaultClient, url)
}

func setup(t *testing.T, c quotav1connect.QuotaServiceClient, budgets ...*quotav1.Budget) {
	t.Helper()
	if _, err := c.PutPrice(t.Context(), connect.NewRequest(&quotav1.PutPriceRequest{Price: price})); err != nil {
		t.Fatal(err)
	}
	for _, b := range budgets {
		if _, err := c.PutBudget(t.Context(), connect.NewRequest(&quotav1.PutBudgetRequest{Budget: b})); err != nil {
			t.Fatal(err)
		}
	}
}

func request(text string, maxOut int32) *mcpv1.Request {
	return &mcpv1.Request{Model: "chat", Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER,
		Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: text}}}}},
		Sampling: &mcpv1.SamplingParams{MaxOutputTokens: &maxOut}}
}

// estimate is the admission's worst case for r, by the documented formula.
func estimate(r *mcpv1.Request) int64 {
	in := demo.CountRequestTokens(r)
	return (in*price.GetInputPerMtokMicros() + int64(r.GetSampling().GetMaxOutputTokens())*price.GetReasoningPerMtokMicros() + 999_999) / 1_000_000
}

// TestReplicasNeverOverspend runs 4 router replicas with 200 concurrent
// streaming and non-streaming callers against one team budget: on SQLite
// with one quota service (all-in-one), and on PostgreSQL with two quota
// services sharing the database (split). The settled total equals the sum
// of each call's cost and stays within the documented bound.
func TestReplicasNeverOverspend(t *testing.T) {
	for _, d := range []struct {
		name     string
		open     func(testing.TB) *storage.DB
		services int
	}{{"sqlite", quotatest.OpenSQLite, 1}, {"postgres", quotatest.OpenPostgres, 2}} {
		t.Run(d.name, func(t *testing.T) {
			db := d.open(t)
			var urls []string
			for range d.services {
				_, url := quotatest.Serve(t, db, quota.DefaultConfig())
				urls = append(urls, url)
			}
			const limit = 4_000
			setup(t, client(urls[0]), &quotav1.Budget{Id: "team-ml", Subject: &quotav1.Subject{Kind: quotav1.SubjectKind_SUBJECT_KIND_TEAM, Id: "ml"},
				Period: quotav1.BudgetPeriod_BUDGET_PERIOD_MONTHLY, LimitMicros: limit})
			catalog := upstream(t, openaiemu.Options{})
			var replicas []*replica
			for i := range 4 {
				replicas = append(replicas, newReplica(t, fmt.Sprintf("replica-%d", i), catalog, urls[i%len(urls)]))
			}
			var (
				mu               sync.Mutex
				costs, overshoot int64
				served, refused  int
				wg               sync.WaitGroup
			)
			for i := range 200 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rep := replicas[i%4]
					ctx := router.WithCaller(t.Context(), &router.Caller{KeyID: fmt.Sprint("key-", i%7), Team: "ml"})
					r := request(fmt.Sprintf("caller %d asks a question about budgets", i), int32(8+i%24))
					var usage *mcpv1.Usage
					var err error
					if i%2 == 0 {
						var res *mcpv1.Response
						res, err = rep.svc.Do(ctx, r, router.SurfaceConnect)
						usage = res.GetUsage()
					} else {
						err = rep.svc.DoStream(ctx, r, router.SurfaceConnect, func(ev *mcpv1.StreamEvent) error {
							if u := ev.GetUsage(); u != nil {
								usage = u
							}
							return nil
						})
					}
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						if apierror.As(err).Class != mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED {
							t.Errorf("call %d: %v", i, err)
						}
						refused++
						return
					}
					if usage == nil {
						t.Errorf("call %d: no usage", i)
						return
					}
					cost := store.Cost(price, usage)
					costs += cost
					overshoot += max(0, cost-estimate(r))
					served++
				}()
			}
			wg.Wait()
			for _, rep := range replicas {
				if err := rep.adm.Close(t.Context()); err != nil {
					t.Fatalf("close: %v", err)
				}
			}
			b, err := client(urls[0]).GetBudget(t.Context(), connect.NewRequest(&quotav1.GetBudgetRequest{Id: "team-ml"}))
			if err != nil {
				t.Fatal(err)
			}
			st := b.Msg.GetBudget().GetStatus()
			t.Logf("served %d, refused %d, spent %d of %d, bound %d", served, refused, st.GetSpentMicros(), limit, overshoot)
			if st.GetSpentMicros() != costs {
				t.Errorf("settled %d, want the sum of call costs %d", st.GetSpentMicros(), costs)
			}
			if st.GetSpentMicros() > limit+overshoot {
				t.Errorf("spent %d exceeds limit %d + bound %d", st.GetSpentMicros(), limit, overshoot)
			}
			if st.GetHeldMicros() != 0 {
				t.Errorf("held %d after every replica returned its leases", st.GetHeldMicros())
			}
			if refused == 0 || served == 0 {
				t.Errorf("served %d, refused %d: the budget should run out part way", served, refused)
			}
			rep, err := client(urls[len(urls)-1]).GetUsageReport(t.Context(), connect.NewRequest(&quotav1.GetUsageReportRequest{
				Range: &quotav1.TimeRange{Start: st.GetPeriodStart(), End: st.GetPeriodEnd()}}))
			if err != nil {
				t.Fatal(err)
			}
			if tot := rep.Msg.GetTotal(); tot.GetRequests() != int64(served) || tot.GetUsage().GetCostMicros() != costs {
				t.Errorf("ledger: %d calls costing %d, want %d costing %d", tot.GetRequests(), tot.GetUsage().GetCostMicros(), served, costs)
			}
		})
	}
}

// TestFailedCallReleases checks a call that fails before any token is
// released in full: no ledger line, and the lease's room comes back.
func TestFailedCallReleases(t *testing.T) {
	db := quotatest.OpenSQLite(t)
	_, url := quotatest.Serve(t, db, quota.DefaultConfig())
	c := client(url)
	setup(t, c, &quotav1.Budget{Id: "k", Subject: &quotav1.Subject{Kind: quotav1.SubjectKind_SUBJECT_KIND_VIRTUAL_KEY, Id: "k1"},
		Period: quotav1.BudgetPeriod_BUDGET_PERIOD_LIFETIME, LimitMicros: 1_000})
	adm := quotalease.New(dial.Target{BaseURL: url, Client: http.DefaultClient}, quotalease.DefaultConfig("r1"), quiet())
	if err := adm.LoadPrices(t.Context()); err != nil {
		t.Fatal(err)
	}
	call := &router.CallInfo{ID: "call_1", Caller: &router.Caller{KeyID: "k1"}, Model: model, EstimatedInputTokens: 10, MaxOutputTokens: 40}
	// The worst case is 10×$1 + 40×$3 per million = 130 µ$; the first
	// grant is 25% of the limit, so a second held call does not fit.
	t1, err := adm.Admit(t.Context(), call)
	if err != nil {
		t.Fatal(err)
	}
	t1.Settle(nil)
	t1.Settle(&mcpv1.Usage{InputTokens: 10, OutputTokens: 40}) // ignored: settled once
	t2, err := adm.Admit(t.Context(), &router.CallInfo{ID: "call_2", Caller: call.Caller, Model: model, EstimatedInputTokens: 10, MaxOutputTokens: 40})
	if err != nil {
		t.Fatalf("after release the lease must have room again: %v", err)
	}
	t2.Settle(&mcpv1.Usage{InputTokens: 10, OutputTokens: 5})
	if err := adm.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	b, _ := c.GetBudget(t.Context(), connect.NewRequest(&quotav1.GetBudgetRequest{Id: "k"}))
	if st := b.Msg.GetBudget().GetStatus(); st.GetSpentMicros() != 20 || st.GetHeldMicros() != 0 {
		t.Fatalf("status %v: want only call_2's 10×$1 + 5×$2 = 20 µ$", st)
	}
}

// TestExhaustedBudgetRefuses checks the refusal's class and detail.
func TestExhaustedBudgetRefuses(t *testing.T) {
	db := quotatest.OpenSQLite(t)
	_, url := quotatest.Serve(t, db, quota.DefaultConfig())
	setup(t, client(url), &quotav1.Budget{Id: "tiny", Period: quotav1.BudgetPeriod_BUDGET_PERIOD_DAILY, LimitMicros: 100})
	adm := quotalease.New(dial.Target{BaseURL: url, Client: http.DefaultClient}, quotalease.DefaultConfig("r1"), quiet())
	if err := adm.LoadPrices(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err := adm.Admit(t.Context(), &router.CallInfo{ID: "c", Caller: &router.Caller{KeyID: "k", BudgetIDs: []string{"tiny"}}, Model: model, EstimatedInputTokens: 10, MaxOutputTokens: 100})
	e := apierror.As(err)
	if e == nil || e.Class != mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED || e.LimitName != "budget:tiny" || e.LimitValue != 100 || e.RetryAfter <= 0 {
		t.Fatalf("got %+v, want quota_exceeded on budget:tiny", e)
	}
}

func everything() *quotav1.TimeRange {
	return &quotav1.TimeRange{Start: tsOf(0), End: tsOf(1 << 40)}
}

// BenchmarkAdmit measures the quota decision on the hot path: admitting
// and settling a call from a warm lease (no RPC).
func BenchmarkAdmit(b *testing.B) {
	db := quotatest.OpenSQLite(b)
	_, url := quotatest.Serve(b, db, quota.DefaultConfig())
	c := client(url)
	ctx := context.Background()
	if _, err := c.PutBudget(ctx, connect.NewRequest(&quotav1.PutBudgetRequest{Budget: &quotav1.Budget{Id: "big", Subject: &quotav1.Subject{Kind: quotav1.SubjectKind_SUBJECT_KIND_VIRTUAL_KEY, Id: "k1"},
		Period: quotav1.BudgetPeriod_BUDGET_PERIOD_LIFETIME, LimitMicros: 1 << 50}})); err != nil {
		b.Fatal(err)
	}
	adm := quotalease.New(dial.Target{BaseURL: url, Client: http.DefaultClient}, quotalease.DefaultConfig("bench"), quiet())
	call := &router.CallInfo{ID: "call_bench", Caller: &router.Caller{KeyID: "k1"}, Model: model, EstimatedInputTokens: 100, MaxOutputTokens: 100}
	if _, err := adm.Admit(ctx, call); err != nil { // warm the lease
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		t, err := adm.Admit(ctx, call)
		if err != nil {
			b.Fatal(err)
		}
		t.Settle(nil)
	}
}

func tsOf(sec int64) *timestamppb.Timestamp { return timestamppb.New(time.Unix(sec, 0)) }
