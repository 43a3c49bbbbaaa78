package router_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/internal/emulator"
	anthropicemu "github.com/manifoldgw/manifold/services/internal/emulator/anthropic"
	openaiemu "github.com/manifoldgw/manifold/services/internal/emulator/openai"
	"github.com/manifoldgw/manifold/services/router"
)

// pair is an OpenAI emulator (primary) and an Anthropic emulator
// (secondary) behind one router.
type pair struct {
	primary, secondary *upstream
	svc                *router.Service
	client             routerClient
}

func newPair(t *testing.T, routes ...*routerv1.Route) *pair {
	t.Helper()
	p := &pair{
		primary:   startUpstream(t, "openai", routerv1.ProviderKind_PROVIDER_KIND_OPENAI, openaiemu.New()),
		secondary: startUpstream(t, "anthropic", routerv1.ProviderKind_PROVIDER_KIND_ANTHROPIC, anthropicemu.New()),
	}
	p.svc = newService(t, spec([]*upstream{p.primary, p.secondary}, routes...))
	p.client = serve(t, p.svc)
	return p
}

// both is a route over the primary then the secondary.
func both(name string, strategy routerv1.Strategy) *routerv1.Route {
	return &routerv1.Route{Name: name, Strategy: strategy, Targets: []*routerv1.Target{{Model: "openai-model"}, {Model: "anthropic-model"}}}
}

func TestFallback(t *testing.T) {
	p := newPair(t, both("chat", routerv1.Strategy_STRATEGY_PRIORITY))
	check := func(t *testing.T, md *mcpv1.ResponseMetadata) {
		t.Helper()
		if md.GetProvider() != "anthropic" {
			t.Errorf("served by %q, want anthropic", md.GetProvider())
		}
		as := md.GetAttempts()
		if len(as) != 2 {
			t.Fatalf("attempts = %v, want 2", as)
		}
		if as[0].GetProvider() != "openai" || as[0].GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED || as[0].GetUpstreamStatus() != http.StatusServiceUnavailable || as[0].GetErrorMessage() == "" {
			t.Errorf("first attempt = %v, want openai failing OVERLOADED with upstream status 503 and a message", as[0])
		}
		if as[1].GetProvider() != "anthropic" || as[1].GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_UNSPECIFIED || as[1].GetUpstreamStatus() != 0 {
			t.Errorf("second attempt = %v, want a clean anthropic attempt", as[1])
		}
	}

	t.Run("generate", func(t *testing.T) {
		p.primary.Script(emulator.Fault{Status: http.StatusServiceUnavailable})
		res := mustGenerate(t, p.client, ask("chat", "Fall back, please."))
		if answer(res) != "Echo: Fall back, please." {
			t.Errorf("answer = %q", answer(res))
		}
		check(t, res.GetMetadata())
	})
	t.Run("stream", func(t *testing.T) {
		p.primary.Script(emulator.Fault{Status: http.StatusServiceUnavailable})
		s := stream(t, p.client, ask("chat", "Fall back, streaming."))
		if s.err != nil || s.errEvent != nil {
			t.Fatalf("stream failed: %v %v", s.err, s.errEvent)
		}
		if s.text != "Echo: Fall back, streaming." {
			t.Errorf("text = %q", s.text)
		}
		if start := s.events[0].GetStart(); start.GetProvider() != "anthropic" {
			t.Errorf("start = %v, want anthropic", s.events[0])
		}
		check(t, s.finish.GetMetadata())
	})
	t.Run("stream hanging before the first byte", func(t *testing.T) {
		// The per-attempt timeout bounds a stream's time to first event.
		route := both("hang", routerv1.Strategy_STRATEGY_PRIORITY)
		route.AttemptTimeout = durationpb.New(300 * time.Millisecond)
		if _, err := p.client.PutRoute(t.Context(), connect.NewRequest(&routerv1.PutRouteRequest{Route: route})); err != nil {
			t.Fatalf("PutRoute: %v", err)
		}
		p.primary.Script(emulator.Fault{Hang: true})
		s := stream(t, p.client, ask("hang", "Anyone there?"))
		if s.err != nil || s.errEvent != nil {
			t.Fatalf("stream failed: %v %v", s.err, s.errEvent)
		}
		as := s.finish.GetMetadata().GetAttempts()
		if len(as) != 2 || as[0].GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT || s.finish.GetMetadata().GetProvider() != "anthropic" {
			t.Errorf("attempts = %v, want a TIMEOUT on openai then anthropic", as)
		}
	})
	t.Run("every target failing", func(t *testing.T) {
		p.primary.Script(emulator.Fault{Status: http.StatusServiceUnavailable})
		p.secondary.Script(emulator.Fault{Status: http.StatusInternalServerError})
		_, err := generate(t, p.client, ask("chat", "Nobody home."))
		code, d := connectError(t, err)
		if code != connect.CodeUnavailable || d.GetProvider() != "anthropic" || d.GetUpstreamStatus() != http.StatusInternalServerError {
			t.Errorf("error = %v %v, want Unavailable from anthropic's 500 (the last attempt)", code, d)
		}
	})
}

func TestRetryAfter(t *testing.T) {
	route := &routerv1.Route{Name: "single", Targets: []*routerv1.Target{{Model: "openai-model"}}, Retry: &routerv1.RetryPolicy{
		MaxAttempts: 3, MaxRetryAfter: durationpb.New(2 * time.Second),
	}}
	p := newPair(t, route)

	t.Run("honoured", func(t *testing.T) {
		before := len(p.primary.Requests())
		p.primary.Script(emulator.Fault{Status: http.StatusTooManyRequests, Headers: map[string]string{"Retry-After": "1"}})
		res := mustGenerate(t, p.client, ask("single", "Patience."))
		if got := len(p.primary.Requests()) - before; got != 2 {
			t.Errorf("emulator got %d requests, want 2 (the 429, then the retry)", got)
		}
		as := res.GetMetadata().GetAttempts()
		if len(as) != 2 || as[0].GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED || as[0].GetUpstreamStatus() != http.StatusTooManyRequests ||
			as[1].GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_UNSPECIFIED {
			t.Errorf("attempts = %v, want RATE_LIMITED 429 then success", as)
		}
	})
	t.Run("too long", func(t *testing.T) {
		before := len(p.primary.Requests())
		p.primary.Script(emulator.Fault{Status: http.StatusTooManyRequests, Headers: map[string]string{"Retry-After": "30"}})
		_, err := generate(t, p.client, ask("single", "Impatience."))
		code, d := connectError(t, err)
		if code != connect.CodeResourceExhausted || d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED ||
			d.GetRetryAfter().AsDuration() != 30*time.Second || d.GetUpstreamStatus() != http.StatusTooManyRequests {
			t.Errorf("error = %v %v, want ResourceExhausted RATE_LIMITED with retry_after 30s", code, d)
		}
		if got := len(p.primary.Requests()) - before; got != 1 {
			t.Errorf("emulator got %d requests, want 1 (no retry)", got)
		}
	})
	t.Run("too long, streamed", func(t *testing.T) {
		p.primary.Script(emulator.Fault{Status: http.StatusTooManyRequests, Headers: map[string]string{"Retry-After": "30"}})
		s := stream(t, p.client, ask("single", "Impatience."))
		code, d := connectError(t, s.err)
		if code != connect.CodeResourceExhausted || d.GetRetryAfter().AsDuration() != 30*time.Second || len(s.events) != 0 {
			t.Errorf("stream error = %v %v after %d events, want ResourceExhausted with retry_after 30s and no events", code, d, len(s.events))
		}
	})
}

func TestStreamCutAfterFirstByte(t *testing.T) {
	p := newPair(t, both("chat", routerv1.Strategy_STRATEGY_PRIORITY))
	prompt := "Tell me a long story about routers, fallbacks and circuit breakers."
	for _, tc := range []struct {
		name  string
		fault emulator.Fault
	}{
		{"cut", emulator.Fault{CutAfterChunks: 4}},
		{"error event", emulator.Fault{ErrorAfterChunks: 4}},
		{"malformed chunk", emulator.Fault{MalformedAfterChunks: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.primary.Script(tc.fault)
			s := stream(t, p.client, ask("chat", prompt))
			if s.err != nil {
				t.Fatalf("stream status = %v, want an error event instead", s.err)
			}
			if s.text == "" {
				t.Errorf("no text before the failure; the fault did not come after the first byte")
			}
			if s.finish != nil {
				t.Errorf("stream finished %v, want no finish after a failure", s.finish)
			}
			last := s.events[len(s.events)-1]
			if last.GetError() == nil || last.GetError().GetErrorClass() == mcpv1.ErrorClass_ERROR_CLASS_UNSPECIFIED || last.GetError().GetProvider() != "openai" || last.GetError().GetCallId() == "" {
				t.Errorf("last event = %v, want a classified error event from openai with the call id", last)
			}
			if start := s.events[0].GetStart(); start.GetProvider() != "openai" || start.GetId() != last.GetError().GetCallId() {
				t.Errorf("start = %v, want openai with the error's call id", s.events[0])
			}
			if n := len(p.secondary.Requests()); n != 0 {
				t.Errorf("secondary got %d requests, want none (no fallback after the first byte)", n)
			}
		})
	}
}

func TestCircuitBreaker(t *testing.T) {
	route := both("guarded", routerv1.Strategy_STRATEGY_PRIORITY)
	route.CircuitBreaker = &routerv1.CircuitBreaker{FailureThreshold: 2, OpenFor: durationpb.New(time.Hour)}
	single := &routerv1.Route{Name: "alone", Targets: []*routerv1.Target{{Model: "openai-model"}},
		CircuitBreaker: &routerv1.CircuitBreaker{FailureThreshold: 2, OpenFor: durationpb.New(time.Hour)}}
	p := newPair(t, route, single)
	health := func(t *testing.T, route string) map[string]*routerv1.TargetHealth {
		t.Helper()
		res, err := p.client.GetTargetHealth(t.Context(), connect.NewRequest(&routerv1.GetTargetHealthRequest{Route: route}))
		if err != nil {
			t.Fatalf("GetTargetHealth: %v", err)
		}
		out := map[string]*routerv1.TargetHealth{}
		for _, th := range res.Msg.GetTargets() {
			if th.GetRoute() != route {
				t.Errorf("health for route %q listed under %q", th.GetRoute(), route)
			}
			out[th.GetModel()] = th
		}
		return out
	}

	t.Run("with a fallback", func(t *testing.T) {
		p.primary.Script(emulator.Fault{Status: http.StatusServiceUnavailable}, emulator.Fault{Status: http.StatusServiceUnavailable})
		for i := range 2 {
			res := mustGenerate(t, p.client, ask("guarded", "Knock knock."))
			if len(res.GetMetadata().GetAttempts()) != 2 {
				t.Errorf("call %d: attempts = %v, want the failure then the fallback", i, res.GetMetadata().GetAttempts())
			}
		}
		if n := len(p.primary.Requests()); n != 2 {
			t.Fatalf("primary got %d requests, want 2", n)
		}
		h := health(t, "guarded")
		if th := h["openai-model"]; !th.GetCircuitOpen() || th.GetConsecutiveFailures() != 2 {
			t.Errorf("primary health = %v, want open after 2 failures", th)
		}
		if th := h["anthropic-model"]; th.GetCircuitOpen() || th.GetConsecutiveFailures() != 0 || th.GetAverageLatency().AsDuration() <= 0 {
			t.Errorf("secondary health = %v, want closed with a latency", th)
		}
		for range 3 {
			res := mustGenerate(t, p.client, ask("guarded", "Knock knock."))
			if as := res.GetMetadata().GetAttempts(); len(as) != 1 || as[0].GetProvider() != "anthropic" {
				t.Errorf("attempts = %v, want only anthropic while the breaker is open", as)
			}
		}
		if n := len(p.primary.Requests()); n != 2 {
			t.Errorf("primary got %d requests, want still 2: an open breaker skips it", n)
		}
	})
	t.Run("alone", func(t *testing.T) {
		before := len(p.primary.Requests())
		p.primary.Script(emulator.Fault{Status: http.StatusInternalServerError}, emulator.Fault{Status: http.StatusInternalServerError})
		for range 2 {
			if _, err := generate(t, p.client, ask("alone", "Hello?")); err == nil {
				t.Fatal("Generate succeeded against a failing upstream")
			}
		}
		_, err := generate(t, p.client, ask("alone", "Hello?"))
		code, d := connectError(t, err)
		if code != connect.CodeUnavailable || d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE {
			t.Errorf("error = %v %v, want Unavailable: every target's circuit is open", code, d)
		}
		if got := len(p.primary.Requests()) - before; got != 2 {
			t.Errorf("primary got %d requests, want 2", got)
		}
		if th := health(t, "alone")["openai-model"]; !th.GetCircuitOpen() {
			t.Errorf("health = %v, want open", th)
		}
	})
}

func TestWeighted(t *testing.T) {
	route := both("split", routerv1.Strategy_STRATEGY_WEIGHTED)
	route.Targets[0].Weight = 3
	p := newPair(t, route)
	const calls = 200
	for i := range calls {
		if _, err := p.svc.Do(t.Context(), ask("split", "Share the load."), router.SurfaceConnect); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	a, b := len(p.primary.Requests()), len(p.secondary.Requests())
	if a+b != calls {
		t.Errorf("upstreams got %d+%d requests, want %d in all", a, b, calls)
	}
	// Expected 150:50; the bounds are many standard deviations wide.
	if a < 100 || b < 20 || a <= b {
		t.Errorf("weight 3:1 split the calls %d:%d", a, b)
	}
}

func TestLowestLatency(t *testing.T) {
	p := newPair(t, both("fast", routerv1.Strategy_STRATEGY_LOWEST_LATENCY))
	// The primary, listed first, is slow on every call.
	for range 40 {
		p.primary.Script(emulator.Fault{Latency: 60 * time.Millisecond})
	}
	const calls = 20
	for i := range calls {
		if _, err := p.svc.Do(t.Context(), ask("fast", "Quick!"), router.SurfaceConnect); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	slow, fast := len(p.primary.Requests()), len(p.secondary.Requests())
	// Each target is measured once; after that the fast one gets the calls.
	if slow+fast != calls || fast < calls-3 || slow > 3 {
		t.Errorf("slow target got %d calls and the fast one %d; want the fast one to get nearly all", slow, fast)
	}
}

func TestKeyPool(t *testing.T) {
	up := startUpstream(t, "openai", routerv1.ProviderKind_PROVIDER_KIND_OPENAI, openaiemu.New())
	keys := map[string]string{"key-a": "sk-pool-aaaaaaaaaaaa", "key-b": "sk-pool-bbbbbbbbbbbb"}
	up.creds = nil
	up.provider.Credentials = nil
	for name, key := range keys {
		env := "MANIFOLD_TEST_POOL_" + name[len(name)-1:]
		t.Setenv(env, key)
		up.creds = append(up.creds, router.CredentialSpec{Name: name, APIKeyEnv: env})
		up.provider.Credentials = append(up.provider.Credentials, &routerv1.CredentialRef{Name: name})
	}
	route := &routerv1.Route{Name: "pooled", Targets: []*routerv1.Target{{Model: "openai-model"}}, Retry: &routerv1.RetryPolicy{MaxAttempts: 2}}
	svc := newService(t, spec([]*upstream{up}, route))
	c := serve(t, svc)

	// OpenAI's own 429 for whichever key comes first, its rate-limit
	// headers saying the key's window resets in 20s: longer than the route
	// waits for, but the pool has another key.
	up.Script(emulator.Fault{Status: http.StatusTooManyRequests, Headers: map[string]string{"X-Ratelimit-Reset-Requests": "20s"}})
	res := mustGenerate(t, c, ask("pooled", "Use the other key."))
	if answer(res) != "Echo: Use the other key." {
		t.Errorf("answer = %q", answer(res))
	}
	reqs := up.Requests()
	if len(reqs) != 2 {
		t.Fatalf("emulator got %d requests, want 2", len(reqs))
	}
	first, second := reqs[0].Header.Get("Authorization"), reqs[1].Header.Get("Authorization")
	valid := map[string]bool{"Bearer " + keys["key-a"]: true, "Bearer " + keys["key-b"]: true}
	if !valid[first] || !valid[second] || first == second {
		t.Errorf("keys used: %q then %q; want both pool keys, the rate-limited one not reused", first, second)
	}
	// The rate-limited key rests; later calls use the other one.
	for range 5 {
		mustGenerate(t, c, ask("pooled", "Again."))
	}
	for _, r := range up.Requests()[2:] {
		if got := r.Header.Get("Authorization"); got != second {
			t.Errorf("a later call used %q, want %q while the other key cools down", got, second)
		}
	}
}

func TestCircuitBreakerIgnoresClientErrors(t *testing.T) {
	p := newPair(t)
	p.primary.model.ContextWindow = 50
	route := &routerv1.Route{Name: "guarded", Targets: []*routerv1.Target{{Model: "openai-model"}},
		CircuitBreaker: &routerv1.CircuitBreaker{FailureThreshold: 2, OpenFor: durationpb.New(time.Hour)}}
	p.svc = newService(t, spec([]*upstream{p.primary, p.secondary}, route))
	p.client = serve(t, p.svc)
	// A caller's oversized requests say nothing about the target's health.
	for range 3 {
		_, err := generate(t, p.client, ask("guarded", longText("word", 100)))
		if _, d := connectError(t, err); d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED {
			t.Fatalf("error = %v, want CONTEXT_LENGTH_EXCEEDED", d)
		}
	}
	if res, err := generate(t, p.client, ask("guarded", "Short one.")); err != nil || answer(res) != "Echo: Short one." {
		t.Errorf("Generate after client errors = %v, %v; want the target still serving", res, err)
	}
}

func TestCircuitBreakerHalfOpen(t *testing.T) {
	route := both("guarded", routerv1.Strategy_STRATEGY_PRIORITY)
	route.CircuitBreaker = &routerv1.CircuitBreaker{FailureThreshold: 1, OpenFor: durationpb.New(100 * time.Millisecond)}
	p := newPair(t, route)
	open := func() (primary, secondary bool) {
		res, err := p.client.GetTargetHealth(t.Context(), connect.NewRequest(&routerv1.GetTargetHealthRequest{Route: "guarded"}))
		if err != nil {
			t.Fatalf("GetTargetHealth: %v", err)
		}
		for _, th := range res.Msg.GetTargets() {
			switch th.GetModel() {
			case "openai-model":
				primary = th.GetCircuitOpen()
			case "anthropic-model":
				secondary = th.GetCircuitOpen()
			}
		}
		return primary, secondary
	}
	// Both targets fail once: both breakers open.
	p.primary.Script(emulator.Fault{Status: http.StatusServiceUnavailable})
	p.secondary.Script(emulator.Fault{Status: http.StatusServiceUnavailable})
	if _, err := generate(t, p.client, ask("guarded", "Both down.")); err == nil {
		t.Fatal("Generate succeeded with both targets failing")
	}
	if a, b := open(); !a || !b {
		t.Fatalf("breakers open = %v, %v; want both open", a, b)
	}
	eventually(t, "breakers half-open", func() bool { a, b := open(); return !a && !b })

	// The primary's trial fails; the secondary's trial must still be made.
	p.primary.Script(emulator.Fault{Status: http.StatusServiceUnavailable})
	res, err := generate(t, p.client, ask("guarded", "Trial."))
	if err != nil {
		t.Fatalf("Generate with a recovered secondary: %v", err)
	}
	if res.GetMetadata().GetProvider() != "anthropic" {
		t.Errorf("served by %q, want anthropic", res.GetMetadata().GetProvider())
	}
	// The secondary closed again and keeps serving (or the primary, should
	// its breaker have let a new trial through meanwhile).
	for range 3 {
		if _, err := generate(t, p.client, ask("guarded", "After.")); err != nil {
			t.Errorf("Generate after the trial: %v", err)
		}
	}
}

// TestPIIGuardrail: a route with the guardrail on sends personal data to the
// provider masked, plain and streamed; a route without it sends it as is.
func TestPIIGuardrail(t *testing.T) {
	up := startUpstream(t, "openai", routerv1.ProviderKind_PROVIDER_KIND_OPENAI, openaiemu.New())
	guarded := &routerv1.Route{Name: "guarded", Targets: []*routerv1.Target{{Model: "openai-model"}}, PiiGuardrail: true}
	open := &routerv1.Route{Name: "open", Targets: []*routerv1.Target{{Model: "openai-model"}}}
	c := serve(t, newService(t, spec([]*upstream{up}, guarded, open)))

	const email, card = "jane.doe@example.com", "4111 1111 1111 1111"
	prompt := "Write to " + email + " about card " + card + "."
	lastBody := func() string {
		reqs := up.Requests()
		if len(reqs) == 0 {
			t.Fatal("the emulator got no request")
		}
		return string(reqs[len(reqs)-1].Body)
	}

	req := ask("guarded", prompt)
	res := mustGenerate(t, c, req)
	body := lastBody()
	if strings.Contains(body, email) || strings.Contains(body, card) || !strings.Contains(body, "[EMAIL]") || !strings.Contains(body, "[CARD]") {
		t.Errorf("guarded route: upstream got %s, want the email and card masked", body)
	}
	if want := "Echo: Write to [EMAIL] about card [CARD]."; answer(res) != want {
		t.Errorf("guarded answer = %q, want %q", answer(res), want)
	}
	if got := req.GetMessages()[0].GetContent()[0].GetText(); got != prompt {
		t.Errorf("the caller's request was changed to %q", got)
	}

	stream(t, c, ask("guarded", prompt))
	if body := lastBody(); strings.Contains(body, email) || strings.Contains(body, card) {
		t.Errorf("guarded route, streamed: upstream got %s, want it masked", body)
	}

	mustGenerate(t, c, ask("open", prompt))
	if body := lastBody(); !strings.Contains(body, email) || !strings.Contains(body, card) {
		t.Errorf("route without the guardrail: upstream got %s, want the text unchanged", body)
	}
}

// TestProviderRefusesCredential: a provider refusing the gateway's own
// credential is not the caller's authentication failure. The caller is
// told the provider is unavailable, without the provider's words (which
// quote part of the key).
func TestProviderRefusesCredential(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		p := newPair(t)
		route := &routerv1.Route{Name: "refused", Targets: []*routerv1.Target{{Model: "openai-model"}}, Retry: &routerv1.RetryPolicy{MaxAttempts: 1}}
		p.svc = newService(t, spec([]*upstream{p.primary, p.secondary}, route))
		p.client = serve(t, p.svc)
		p.primary.Script(emulator.Fault{Status: status, Body: `{"error":{"message":"Incorrect API key provided: sk-gatew**************wxyz.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`})
		_, err := generate(t, p.client, ask("refused", "Hello."))
		code, d := connectError(t, err)
		if code != connect.CodeUnavailable || d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE || d.GetProvider() == "" {
			t.Errorf("upstream %d: %v %v, want unavailable naming the provider", status, code, d)
		}
		if strings.Contains(d.GetMessage(), "sk-") || strings.Contains(d.GetMessage(), "Incorrect API key") || strings.Contains(err.Error(), "sk-") {
			t.Errorf("upstream %d: the caller sees the provider's words: %v", status, err)
		}
	}
}
