package quotatest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	"github.com/manifoldgw/manifold/services/internal/cli"
	"github.com/manifoldgw/manifold/services/internal/gatewaytest"
)

const adminToken = "quota-test-bootstrap-admin-token"

// startGateway runs the real program, `manifold serve` with keys required
// (the default), until the test ends, and returns its URL.
func startGateway(t *testing.T, extra ...string) string {
	t.Helper()
	addr, _ := gatewaytest.Serve(t, append([]string{"--log.level", "warn",
		"--router.demo-token-delay", "0", "--admin-token", adminToken}, extra...)...)
	return "http://" + addr
}

// bearer sends every request with "Authorization: Bearer <token>".
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func clientWith(token string) *http.Client { return &http.Client{Transport: bearer{token}} }

// createKey makes a virtual key of team "qa" linked to budgets and rate
// limits, and returns its secret.
func createKey(t *testing.T, url string, budgets, limits []string) string {
	t.Helper()
	kv := keyvaultv1connect.NewKeyVaultServiceClient(clientWith(adminToken), url)
	res, err := kv.CreateVirtualKey(t.Context(), connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
		Name: "quota test", Owner: &keyvaultv1.KeyOwner{Team: "qa"}, Scopes: &keyvaultv1.KeyScopes{Models: []string{"demo"}},
		BudgetIds: budgets, RateLimitIds: limits,
	}))
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	return res.Msg.GetSecret()
}

// reply is an HTTP answer, read in full.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func post(t *testing.T, url, path, key, body string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if strings.HasPrefix(path, "/v1/messages") {
		req.Header.Set("x-api-key", key)
		req.Header.Set("anthropic-version", "2023-06-01")
	} else {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: res.StatusCode, header: res.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func chatBody(maxTokens int, stream bool) string {
	return fmt.Sprintf(`{"model":"demo","max_tokens":%d,"stream":%t,"messages":[{"role":"user","content":"How are budgets enforced?"}]}`, maxTokens, stream)
}

func messagesBody(maxTokens int) string {
	return fmt.Sprintf(`{"model":"demo","max_tokens":%d,"messages":[{"role":"user","content":"How are budgets enforced?"}]}`, maxTokens)
}

// errorOf returns the "error" object of an OpenAI or Anthropic error body.
func errorOf(r reply) map[string]any {
	e, _ := r.body["error"].(map[string]any)
	return e
}

// until calls fn up to n times until it reports true; it fails the test
// when it never does.
func until(t *testing.T, n int, what string, fn func() bool) {
	t.Helper()
	for range n {
		if fn() {
			return
		}
	}
	t.Fatalf("%s: not after %d calls", what, n)
}

// connectDetail returns the ErrorDetail of a Connect error.
func connectDetail(t *testing.T, err error) *mcpv1.ErrorDetail {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v is not a Connect error", err)
	}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if derr != nil {
			continue
		}
		if ed, ok := v.(*mcpv1.ErrorDetail); ok {
			return ed
		}
	}
	t.Fatalf("Connect error %v carries no ErrorDetail", err)
	return nil
}

func generateRequest(maxTokens int32) *routerv1.GenerateRequest {
	return &routerv1.GenerateRequest{Request: &mcpv1.Request{Model: "demo",
		Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: "How are budgets enforced?"}}}}},
		Sampling: &mcpv1.SamplingParams{MaxOutputTokens: &maxTokens}}}
}

// TestRefusalShapes checks how rate limits and budgets refuse calls on each
// surface of the real gateway: RPM and TPM limits get 429 with retry-after
// and x-ratelimit-* headers on the OpenAI surface, rate_limit_error on the
// Anthropic surface and resource_exhausted with the limit in the
// ErrorDetail over Connect; a spent budget gets the distinct
// insufficient_quota (OpenAI), billing_error (Anthropic) and
// QUOTA_EXCEEDED (Connect) class, and fires its alert.
func TestRefusalShapes(t *testing.T) {
	url := startGateway(t)
	quota := quotav1connect.NewQuotaServiceClient(clientWith(adminToken), url)
	ctx := t.Context()
	for _, rl := range []*quotav1.RateLimit{
		{Id: "two-per-minute", RequestsPerMinute: 2},
		{Id: "few-tokens", TokensPerMinute: 50},
	} {
		if _, err := quota.PutRateLimit(ctx, connect.NewRequest(&quotav1.PutRateLimitRequest{RateLimit: rl})); err != nil {
			t.Fatalf("put rate limit: %v", err)
		}
	}
	// 10 µ$ a token in and out; the budget holds a handful of calls.
	const limit = 3_000
	if _, err := quota.PutPrice(ctx, connect.NewRequest(&quotav1.PutPriceRequest{Price: &quotav1.Price{Model: "demo", InputPerMtokMicros: 10_000_000, OutputPerMtokMicros: 10_000_000}})); err != nil {
		t.Fatalf("put price: %v", err)
	}
	if _, err := quota.PutBudget(ctx, connect.NewRequest(&quotav1.PutBudgetRequest{Budget: &quotav1.Budget{Id: "tiny", Period: quotav1.BudgetPeriod_BUDGET_PERIOD_DAILY,
		LimitMicros: limit, AlertThresholdsPercent: []uint32{50}}})); err != nil {
		t.Fatalf("put budget: %v", err)
	}

	t.Run("requests per minute", func(t *testing.T) {
		key := createKey(t, url, nil, []string{"two-per-minute"})
		if r := post(t, url, "/v1/chat/completions", key, chatBody(8, false)); r.status != http.StatusOK {
			t.Fatalf("first call: %d %s", r.status, r.raw)
		}
		// A minute boundary may refill the window once; a few more calls
		// always run out of it.
		var refused reply
		until(t, 8, "OpenAI surface refuses past 2 requests a minute", func() bool {
			refused = post(t, url, "/v1/chat/completions", key, chatBody(8, false))
			return refused.status == http.StatusTooManyRequests
		})
		e := errorOf(refused)
		if e["type"] != "rate_limit_error" || e["code"] != "rate_limit_exceeded" {
			t.Errorf("OpenAI error %v, want type rate_limit_error, code rate_limit_exceeded", e)
		}
		if s, err := strconv.Atoi(refused.header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
			t.Errorf("retry-after %q, want 1 to 60 seconds", refused.header.Get("Retry-After"))
		}
		if refused.header.Get("X-Ratelimit-Limit-Requests") != "2" || refused.header.Get("X-Ratelimit-Remaining-Requests") != "0" {
			t.Errorf("x-ratelimit-limit-requests %q, x-ratelimit-remaining-requests %q, want 2 and 0",
				refused.header.Get("X-Ratelimit-Limit-Requests"), refused.header.Get("X-Ratelimit-Remaining-Requests"))
		}
		if d, err := time.ParseDuration(refused.header.Get("X-Ratelimit-Reset-Requests")); err != nil || d <= 0 || d > time.Minute {
			t.Errorf("x-ratelimit-reset-requests %q, want a duration up to 1m", refused.header.Get("X-Ratelimit-Reset-Requests"))
		}
		// A streamed call is refused before its stream starts, alike.
		until(t, 8, "OpenAI surface refuses a streamed call", func() bool {
			r := post(t, url, "/v1/chat/completions", key, chatBody(8, true))
			return r.status == http.StatusTooManyRequests && errorOf(r)["type"] == "rate_limit_error" && r.header.Get("X-Ratelimit-Limit-Requests") == "2"
		})

		until(t, 8, "Anthropic surface refuses past 2 requests a minute", func() bool {
			refused = post(t, url, "/v1/messages", key, messagesBody(8))
			return refused.status == http.StatusTooManyRequests
		})
		if refused.body["type"] != "error" || errorOf(refused)["type"] != "rate_limit_error" || refused.header.Get("Retry-After") == "" {
			t.Errorf("Anthropic refusal %s (retry-after %q), want an error of type rate_limit_error with retry-after", refused.raw, refused.header.Get("Retry-After"))
		}

		rc := routerv1connect.NewRouterServiceClient(clientWith(key), url)
		var err error
		until(t, 8, "Connect refuses past 2 requests a minute", func() bool {
			_, err = rc.Generate(ctx, connect.NewRequest(generateRequest(8)))
			return err != nil
		})
		if connect.CodeOf(err) != connect.CodeResourceExhausted {
			t.Fatalf("Connect: %v, want resource_exhausted", err)
		}
		d := connectDetail(t, err)
		if d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED || d.GetLimitName() != "rpm:two-per-minute" || d.GetLimitValue() != 2 ||
			d.GetRetryAfter().AsDuration() <= 0 {
			t.Errorf("ErrorDetail %v, want RATE_LIMITED on rpm:two-per-minute, limit 2, with retry_after", d)
		}
	})

	t.Run("tokens per minute", func(t *testing.T) {
		key := createKey(t, url, nil, []string{"few-tokens"})
		// A call whose worst case (8 input + 200 output tokens) is more
		// than the whole 50 tokens a minute could never run: it is an
		// invalid request naming max_tokens, without retry-after.
		r := post(t, url, "/v1/chat/completions", key, chatBody(200, false))
		if r.status != http.StatusBadRequest || errorOf(r)["type"] != "invalid_request_error" || errorOf(r)["param"] != "max_completion_tokens" ||
			r.header.Get("Retry-After") != "" || r.header.Get("X-Ratelimit-Remaining-Tokens") != "" {
			t.Fatalf("OpenAI, 208 tokens under 50 a minute: %d %v %s, want 400 invalid_request_error on max_completion_tokens without retry-after", r.status, r.header, r.raw)
		}
		if r := post(t, url, "/v1/messages", key, messagesBody(200)); r.status != http.StatusBadRequest || !strings.Contains(fmt.Sprint(errorOf(r)["message"]), "max_tokens") {
			t.Errorf("Anthropic, 208 tokens under 50 a minute: %d %s, want 400 naming max_tokens", r.status, r.raw)
		}
		_, err := routerv1connect.NewRouterServiceClient(clientWith(key), url).Generate(ctx, connect.NewRequest(generateRequest(200)))
		if d := connectDetail(t, err); connect.CodeOf(err) != connect.CodeInvalidArgument || d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST ||
			d.GetLimitName() != "tpm:few-tokens" || d.GetLimitValue() != 50 || d.GetRetryAfter() != nil {
			t.Errorf("Connect, 208 tokens under 50 a minute: %v %v, want invalid_argument naming tpm:few-tokens, limit 50", err, d)
		}
		// Calls that fit (8 + 30 tokens) run the minute out: the second
		// does not fit in what is left. A minute boundary may refill the
		// window once.
		until(t, 8, "OpenAI surface refuses past 50 tokens a minute", func() bool {
			r = post(t, url, "/v1/chat/completions", key, chatBody(30, false))
			return r.status == http.StatusTooManyRequests
		})
		if errorOf(r)["type"] != "rate_limit_error" || r.header.Get("X-Ratelimit-Limit-Tokens") != "50" || r.header.Get("X-Ratelimit-Remaining-Tokens") == "" || r.header.Get("Retry-After") == "" {
			t.Errorf("OpenAI: %v %s, want rate_limit_error, x-ratelimit-limit-tokens 50, x-ratelimit-remaining-tokens and retry-after", r.header, r.raw)
		}
		until(t, 8, "Anthropic surface refuses past 50 tokens a minute", func() bool {
			r = post(t, url, "/v1/messages", key, messagesBody(30))
			return r.status == http.StatusTooManyRequests
		})
		if errorOf(r)["type"] != "rate_limit_error" {
			t.Errorf("Anthropic: %d %s, want 429 rate_limit_error", r.status, r.raw)
		}
		until(t, 8, "Connect refuses past 50 tokens a minute", func() bool {
			_, err = routerv1connect.NewRouterServiceClient(clientWith(key), url).Generate(ctx, connect.NewRequest(generateRequest(30)))
			return err != nil
		})
		if d := connectDetail(t, err); connect.CodeOf(err) != connect.CodeResourceExhausted || d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED ||
			d.GetLimitName() != "tpm:few-tokens" || d.GetLimitValue() != 50 {
			t.Errorf("Connect: %v %v, want resource_exhausted, RATE_LIMITED on tpm:few-tokens, limit 50", err, d)
		}
	})

	t.Run("budget", func(t *testing.T) {
		key := createKey(t, url, []string{"tiny"}, nil)
		served := 0
		var refused reply
		// Each call costs a few hundred µ$: the budget runs out after a
		// handful. (Calls admitted before the router's price watch has
		// the new price still count in the ledger.)
		until(t, 60, "the budget runs out", func() bool {
			refused = post(t, url, "/v1/chat/completions", key, chatBody(8, false))
			if refused.status == http.StatusOK {
				served++
			}
			return refused.status != http.StatusOK
		})
		if served == 0 {
			t.Errorf("no call was served before the budget ran out")
		}
		e := errorOf(refused)
		if refused.status != http.StatusTooManyRequests || e["type"] != "insufficient_quota" || e["code"] != "insufficient_quota" {
			t.Fatalf("OpenAI: %d %s, want 429 insufficient_quota", refused.status, refused.raw)
		}
		if refused.header.Get("X-Ratelimit-Limit-Requests") != "" {
			t.Errorf("a budget refusal carries rate limit headers: %v", refused.header)
		}
		if r := post(t, url, "/v1/messages", key, messagesBody(8)); r.status != http.StatusPaymentRequired || errorOf(r)["type"] != "billing_error" {
			t.Errorf("Anthropic: %d %s, want 402 billing_error", r.status, r.raw)
		}
		_, err := routerv1connect.NewRouterServiceClient(clientWith(key), url).Generate(ctx, connect.NewRequest(generateRequest(8)))
		if connect.CodeOf(err) != connect.CodeResourceExhausted {
			t.Fatalf("Connect: %v, want resource_exhausted", err)
		}
		if d := connectDetail(t, err); d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED || d.GetLimitName() != "budget:tiny" || d.GetLimitValue() != limit {
			t.Errorf("ErrorDetail %v, want QUOTA_EXCEEDED on budget:tiny, limit %d", d, limit)
		}
		// Settlements reach the quota service in batches: the 50% alert
		// fires once they have.
		deadline := time.Now().Add(10 * time.Second)
		for {
			res, err := quota.ListBudgetAlerts(ctx, connect.NewRequest(&quotav1.ListBudgetAlertsRequest{BudgetId: "tiny"}))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Msg.GetAlerts()) == 1 && res.Msg.GetAlerts()[0].GetThresholdPercent() == 50 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("alerts %v, want the 50%% alert of budget tiny", res.Msg.GetAlerts())
			}
			time.Sleep(50 * time.Millisecond)
		}
		b, err := quota.GetBudget(ctx, connect.NewRequest(&quotav1.GetBudgetRequest{Id: "tiny"}))
		if err != nil {
			t.Fatal(err)
		}
		if st := b.Msg.GetBudget().GetStatus(); st.GetSpentMicros() <= limit/2 {
			t.Errorf("status %v: want more than half of %d spent", st, limit)
		}
		if by := b.Msg.GetBudget().GetUpdatedBy(); by != "bootstrap" {
			t.Errorf("budget updated_by %q, want the bootstrap admin", by)
		}
		// The alert is in the audit log too, as an event of the quota
		// service.
		audit := auditv1connect.NewAuditServiceClient(clientWith(adminToken), url)
		for {
			res, err := audit.QueryAdminActions(ctx, connect.NewRequest(&auditv1.QueryAdminActionsRequest{
				Range:        &auditv1.TimeRange{Start: timestamppb.New(time.Now().Add(-time.Hour)), End: timestamppb.New(time.Now().Add(time.Hour))},
				ResourceType: "budget_alert",
			}))
			if err != nil {
				t.Fatal(err)
			}
			if as := res.Msg.GetActions(); len(as) > 0 {
				a := as[0]
				if len(as) != 1 || a.GetResourceId() != "tiny" || a.GetActor().GetKind() != auditv1.ActorKind_ACTOR_KIND_SERVICE || !strings.Contains(a.GetComment(), "50%") {
					t.Errorf("audit log budget alerts %v, want one for budget tiny at 50%%", as)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the budget alert never reached the audit log")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// TestQuotaAddrNeedsInternalToken: a router pointed at a quota service in
// another process must share the internal token; serve says so and exits
// with a usage error.
func TestQuotaAddrNeedsInternalToken(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // were the settings wrongly accepted, serve would return at once
	stderr := &gatewaytest.Buffer{}
	code := cli.Main(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--services", "router", "--quota.addr", "127.0.0.1:9"},
		cli.Env{Stdout: io.Discard, Stderr: stderr, Getenv: func(string) string { return "" }})
	if code != cli.ExitUsage || !strings.Contains(stderr.String(), "quota.addr") || !strings.Contains(stderr.String(), "internal-token") {
		t.Errorf("exit %d, stderr %q: want a usage error naming quota.addr and internal-token", code, stderr)
	}
}
