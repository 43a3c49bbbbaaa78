package quotalease_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
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
	"github.com/manifoldgw/manifold/services/quota"
	"github.com/manifoldgw/manifold/services/quota/quotatest"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/quotalease"
)

const model = "chat-model"

var price = &quotav1.Price{Model: model, InputPerMtokMicros: 1_000_000, CachedInputPerMtokMicros: 250_000, OutputPerMtokMicros: 2_000_000, ReasoningPerMtokMicros: 3_000_000}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// upstream serves an OpenAI emulator and returns a catalog with one model
// on it and a route "chat" to it.
func upstream(t *testing.T, opts openaiemu.Options) router.Spec {
	t.Helper()
	spec, _ := upstreamEmulator(t, opts)
	return spec
}

// upstreamEmulator is upstream, also returning the emulator to script.
func upstreamEmulator(t *testing.T, opts openaiemu.Options) (router.Spec, *openaiemu.Emulator) {
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
	}, emu
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

// TestExhaustedBudgetRefuses checks the refusal's class and detail when
// a call would fit the budget's limit but not what is left of it.
func TestExhaustedBudgetRefuses(t *testing.T) {
	db := quotatest.OpenSQLite(t)
	_, url := quotatest.Serve(t, db, quota.DefaultConfig())
	c := client(url)
	setup(t, c, &quotav1.Budget{Id: "tiny", Period: quotav1.BudgetPeriod_BUDGET_PERIOD_DAILY, LimitMicros: 100})
	// Another caller holds 80 of the 100 µ$.
	if _, err := c.Reserve(t.Context(), connect.NewRequest(&quotav1.ReserveRequest{Scope: &quotav1.ChargeScope{BudgetIds: []string{"tiny"}},
		IdempotencyKey: "other", EstimatedCostMicros: 80})); err != nil {
		t.Fatal(err)
	}
	adm := quotalease.New(dial.Target{BaseURL: url, Client: http.DefaultClient}, quotalease.DefaultConfig("r1"), quiet())
	if err := adm.LoadPrices(t.Context()); err != nil {
		t.Fatal(err)
	}
	// 10×$1 + 10×$3 per million = 40 µ$: within the limit, not within the 20 left.
	_, err := adm.Admit(t.Context(), &router.CallInfo{ID: "c", Caller: &router.Caller{KeyID: "k", BudgetIDs: []string{"tiny"}}, Model: model, EstimatedInputTokens: 10, MaxOutputTokens: 10})
	e := apierror.As(err)
	if e == nil || e.Class != mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED || e.LimitName != "budget:tiny" || e.LimitValue != 100 || e.RetryAfter <= 0 {
		t.Fatalf("got %+v, want quota_exceeded on budget:tiny", e)
	}
}

// TestCallLargerThanLimit: a call whose worst case is more than a rate
// limit's or a budget's whole limit can never be admitted, so it is
// refused as an invalid request (400, no retry-after) that says how far
// to lower max_output_tokens — not as a rate limit that is "exceeded"
// with nothing remaining and a retry-after that would never help. It
// asks for no grant: another replica still gets most of the minute.
func TestCallLargerThanLimit(t *testing.T) {
	db := quotatest.OpenSQLite(t)
	_, url := quotatest.Serve(t, db, quota.DefaultConfig())
	c := client(url)
	setup(t, c, &quotav1.Budget{Id: "small", Period: quotav1.BudgetPeriod_BUDGET_PERIOD_DAILY, LimitMicros: 1_000})
	if _, err := c.PutRateLimit(t.Context(), connect.NewRequest(&quotav1.PutRateLimitRequest{RateLimit: &quotav1.RateLimit{Id: "tpm2", TokensPerMinute: 1000}})); err != nil {
		t.Fatal(err)
	}
	adm := quotalease.New(dial.Target{BaseURL: url, Client: http.DefaultClient}, quotalease.DefaultConfig("r1"), quiet())
	if err := adm.LoadPrices(t.Context()); err != nil {
		t.Fatal(err)
	}
	other := quotalease.New(dial.Target{BaseURL: url, Client: http.DefaultClient}, quotalease.DefaultConfig("r2"), quiet())
	admit := func(adm *quotalease.Admission, caller *router.Caller, in, out int64) (router.Ticket, *apierror.Error) {
		t.Helper()
		tk, err := adm.Admit(t.Context(), &router.CallInfo{ID: "c", Caller: caller, Model: model, EstimatedInputTokens: in, MaxOutputTokens: out})
		return tk, apierror.As(err)
	}
	refused := func(what string, e *apierror.Error, field, limit, message string) {
		t.Helper()
		if e == nil || e.Class != mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST || apierror.HTTPStatus(e.Class) != http.StatusBadRequest ||
			e.Field != field || e.LimitName != limit || e.RetryAfter != 0 || !strings.Contains(e.Message, message) {
			t.Errorf("%s: got %+v, want invalid_request on %s naming %s, saying %q, without retry-after", what, e, field, limit, message)
		}
	}

	tpm := &router.Caller{KeyID: "k", RateLimitIDs: []string{"tpm2"}}
	// No max_tokens: the model's 4096 output tokens are reserved.
	for range 2 {
		_, e := admit(adm, tpm, 10, 4096)
		refused("4106 tokens under 1000 a minute", e, "request.sampling.max_output_tokens", "tpm:tpm2",
			"may use up to 4106 tokens (about 10 input and up to 4096 output), more than rate limit tpm2 allows (1000 tokens per minute); set request.sampling.max_output_tokens to at most 990")
	}
	_, e := admit(adm, tpm, 1500, 10)
	refused("an input larger than the limit", e, "request.messages", "tpm:tpm2", "the input alone does not fit")
	// This replica holds only its first grant (2% of the minute).
	tk, e := admit(other, tpm, 10, 900)
	if e != nil {
		t.Fatalf("10 + 900 tokens on another replica: %v", e)
	}
	tk.Settle(nil)

	// 10×$1 + 400×$3 per million = 1210 µ$ > the whole 1000 µ$.
	budget := &router.Caller{KeyID: "k", BudgetIDs: []string{"small"}}
	_, e = admit(adm, budget, 10, 400)
	refused("1210 µ$ under a 1000 µ$ budget", e, "request.sampling.max_output_tokens", "budget:small",
		"may cost up to 1210 micro-dollars (about 10 input and up to 400 output tokens), more than budget small allows in a whole period (1000 micro-dollars)")
	if tk, e = admit(other, budget, 10, 300); e != nil {
		t.Fatalf("910 µ$ on another replica: %v", e)
	}
	tk.Settle(nil)
}

func everything() *quotav1.TimeRange {
	return &quotav1.TimeRange{Start: tsOf(0), End: tsOf(1 << 40)}
}

// BenchmarkAdmit measures the quota decision on the hot path: admitting
// a call from warm leases (no RPC) and releasing it; with one budget
// lease, with a budget and a rate limit's request and token leases, and
// the latter from every core at once.
func BenchmarkAdmit(b *testing.B) {
	db := quotatest.OpenSQLite(b)
	_, url := quotatest.Serve(b, db, quota.DefaultConfig())
	c := client(url)
	ctx := context.Background()
	if _, err := c.PutPrice(ctx, connect.NewRequest(&quotav1.PutPriceRequest{Price: price})); err != nil {
		b.Fatal(err)
	}
	if _, err := c.PutBudget(ctx, connect.NewRequest(&quotav1.PutBudgetRequest{Budget: &quotav1.Budget{Id: "big", Subject: &quotav1.Subject{Kind: quotav1.SubjectKind_SUBJECT_KIND_VIRTUAL_KEY, Id: "k1"},
		Period: quotav1.BudgetPeriod_BUDGET_PERIOD_LIFETIME, LimitMicros: 1 << 50}})); err != nil {
		b.Fatal(err)
	}
	if _, err := c.PutRateLimit(ctx, connect.NewRequest(&quotav1.PutRateLimitRequest{RateLimit: &quotav1.RateLimit{Id: "wide", RequestsPerMinute: 1 << 40, TokensPerMinute: 1 << 50}})); err != nil {
		b.Fatal(err)
	}
	adm := quotalease.New(dial.Target{BaseURL: url, Client: http.DefaultClient}, quotalease.DefaultConfig("bench"), quiet())
	for _, bc := range []struct {
		name     string
		caller   *router.Caller
		parallel bool
	}{
		{"budget", &router.Caller{KeyID: "k1"}, false},
		{"budget+rpm+tpm", &router.Caller{KeyID: "k1", RateLimitIDs: []string{"wide"}}, false},
		{"budget+rpm+tpm/parallel", &router.Caller{KeyID: "k1", RateLimitIDs: []string{"wide"}}, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			call := &router.CallInfo{ID: "call_bench", Caller: bc.caller, Model: model, EstimatedInputTokens: 100, MaxOutputTokens: 100}
			t, err := adm.Admit(ctx, call) // warm the leases
			if err != nil {
				b.Fatal(err)
			}
			t.Settle(nil)
			b.ReportAllocs()
			if bc.parallel {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						t, err := adm.Admit(ctx, call)
						if err != nil {
							b.Error(err)
							return
						}
						t.Settle(nil)
					}
				})
				return
			}
			for b.Loop() {
				t, err := adm.Admit(ctx, call)
				if err != nil {
					b.Fatal(err)
				}
				t.Settle(nil)
			}
		})
	}
}

func tsOf(sec int64) *timestamppb.Timestamp { return timestamppb.New(time.Unix(sec, 0)) }

// TestUnconfirmedFailsClosedUnlessFailOpen: with the quota service away
// and no lease in hand, a call is refused with QUOTA_UNCONFIRMED by
// default, and admitted unmetered with FailOpen.
func TestUnconfirmedFailsClosedUnlessFailOpen(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL
	down.Close() // nothing listens there any more
	call := &router.CallInfo{ID: "call_1", Caller: &router.Caller{KeyID: "k1"}, Model: model, EstimatedInputTokens: 10, MaxOutputTokens: 40}

	closed := quotalease.New(dial.Target{BaseURL: url, Client: http.DefaultClient}, quotalease.DefaultConfig("r1"), quiet())
	if _, err := closed.Admit(t.Context(), call); apierror.As(err).Class != mcpv1.ErrorClass_ERROR_CLASS_QUOTA_UNCONFIRMED {
		t.Fatalf("fail closed: %v, want QUOTA_UNCONFIRMED", err)
	}
	cfg := quotalease.DefaultConfig("r2")
	cfg.FailOpen = true
	open := quotalease.New(dial.Target{BaseURL: url, Client: http.DefaultClient}, cfg, quiet())
	ticket, err := open.Admit(t.Context(), call)
	if err != nil || ticket == nil {
		t.Fatalf("fail open: %v, want the call admitted", err)
	}
	ticket.Settle(&mcpv1.Usage{InputTokens: 10, OutputTokens: 5})
}
