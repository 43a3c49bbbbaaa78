package keycache_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	"github.com/manifoldgw/manifold/services/internal/access"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/cli"
	"github.com/manifoldgw/manifold/services/internal/dial"
	"github.com/manifoldgw/manifold/services/internal/emulator"
	openaiemu "github.com/manifoldgw/manifold/services/internal/emulator/openai"
	"github.com/manifoldgw/manifold/services/internal/server"
	"github.com/manifoldgw/manifold/services/keyvault/keyvaulttest"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/anthropicapi"
	"github.com/manifoldgw/manifold/services/router/keycache"
	"github.com/manifoldgw/manifold/services/router/openaiapi"
)

// gateway is a router served over real HTTP (Connect, OpenAI and Anthropic
// surfaces) whose authenticator and credentials come from a key cache fed by
// a key vault at another address.
type gateway struct {
	url    string
	client routerv1connect.RouterServiceClient
}

func startRouter(t *testing.T, vaultAddr string, spec router.Spec, logs io.Writer) *gateway {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := router.DefaultConfig()
	cfg.DemoTokenDelay = 0
	cfg.Catalog = spec
	if err := cfg.Validate(); err != nil {
		t.Fatalf("router config: %v", err)
	}
	svc := router.New(cfg, logger)
	cache := keycache.New(dial.Remote(vaultAddr), keyvaulttest.InternalToken, logger)
	ctx, cancel := context.WithCancel(context.Background())
	go cache.Run(ctx)
	svc.Use(router.Hooks{Auth: cache, Credentials: cache})
	srv, err := server.New(server.DefaultConfig(), logger)
	if err != nil {
		t.Fatal(err)
	}
	oa := svc.AuthenticateHTTP(openaiapi.New(svc, logger))
	for _, p := range openaiapi.Patterns {
		srv.Handle(p, oa)
	}
	an := svc.AuthenticateHTTP(anthropicapi.New(svc, logger))
	for _, p := range anthropicapi.Patterns {
		srv.Handle(p, an)
	}
	path, h := routerv1connect.NewRouterServiceHandler(svc, srv.HandlerOptions()...)
	srv.RegisterService(routerv1connect.RouterServiceName, path, h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case <-cache.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("key cache never received its first snapshot")
	}
	url := "http://" + ln.Addr().String()
	return &gateway{url: url, client: routerv1connect.NewRouterServiceClient(http.DefaultClient, url)}
}

// upstream is an OpenAI emulator with a provider whose key pool is named
// only: the vault holds the secrets.
func upstream(t *testing.T, creds ...string) (*openaiemu.Emulator, router.Spec) {
	emu := openaiemu.New()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	p := &routerv1.Provider{Name: "openai", Kind: routerv1.ProviderKind_PROVIDER_KIND_OPENAI, BaseUrl: srv.URL + "/v1"}
	for _, c := range creds {
		p.Credentials = append(p.Credentials, &routerv1.CredentialRef{Name: c})
	}
	return emu, router.Spec{
		Providers: []*routerv1.Provider{p},
		Models:    []*routerv1.Model{{Name: "openai-model", Provider: "openai", UpstreamModel: "gpt-4o-mini"}},
		Routes: []*routerv1.Route{
			{Name: "chat", Targets: []*routerv1.Target{{Model: "openai-model"}}, Retry: &routerv1.RetryPolicy{MaxAttempts: 2}},
			{Name: "other", Targets: []*routerv1.Target{{Model: "openai-model"}}},
		},
	}
}

func vaultClient(v *keyvaulttest.Vault) keyvaultv1connect.KeyVaultServiceClient {
	return keyvaultv1connect.NewKeyVaultServiceClient(http.DefaultClient, v.URL, access.WithToken(keyvaulttest.AdminToken))
}

// createKey creates a virtual key allowed the given routes and no direct
// model calls, except that a key for every route ("*") may call every
// model directly too.
func createKey(t *testing.T, v *keyvaulttest.Vault, routes []string, expires *timestamppb.Timestamp) (id, secret string) {
	t.Helper()
	scopes := &keyvaultv1.KeyScopes{Routes: routes}
	if len(routes) == 1 && routes[0] == "*" {
		scopes.Models = []string{"*"}
	}
	res, err := vaultClient(v).CreateVirtualKey(t.Context(), connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
		Name: "app", Owner: &keyvaultv1.KeyOwner{Team: "t1"}, Scopes: scopes, ExpiresAt: expires,
	}))
	if err != nil {
		t.Fatalf("CreateVirtualKey: %v", err)
	}
	return res.Msg.GetKey().GetId(), res.Msg.GetSecret()
}

func putCredential(t *testing.T, v *keyvaulttest.Vault, name, secret string) {
	t.Helper()
	_, err := vaultClient(v).PutCredential(t.Context(), connect.NewRequest(&keyvaultv1.PutCredentialRequest{
		Credential: &keyvaultv1.ProviderCredential{Name: name, Provider: "openai"},
		Secret:     &keyvaultv1.CredentialSecret{Secret: &keyvaultv1.CredentialSecret_ApiKey{ApiKey: secret}},
	}))
	if err != nil {
		t.Fatalf("PutCredential: %v", err)
	}
}

// result is one call's outcome on one surface.
type result struct {
	status    int    // HTTP status (Connect: 200 or the error's status)
	code      string // Connect code, or the error type of the JSON surfaces
	errorType string
}

// callOpenAI posts a chat completion with key (none when empty).
func callOpenAI(t *testing.T, g *gateway, key, model string) result {
	t.Helper()
	body := `{"model":"` + model + `","messages":[{"role":"user","content":"Hello"}]}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, g.url+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var env struct {
		Error *struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
		Choices []json.RawMessage `json:"choices"`
	}
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		t.Fatalf("OpenAI surface: undecodable answer (status %d): %v", res.StatusCode, err)
	}
	r := result{status: res.StatusCode}
	if env.Error != nil {
		r.errorType = env.Error.Type
	} else if len(env.Choices) == 0 {
		t.Fatalf("OpenAI surface: status %d with neither error nor choices", res.StatusCode)
	}
	return r
}

// callAnthropic posts a message with key as x-api-key.
func callAnthropic(t *testing.T, g *gateway, key, model string) result {
	t.Helper()
	body := `{"model":"` + model + `","max_tokens":64,"messages":[{"role":"user","content":"Hello"}]}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, g.url+"/v1/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("anthropic-version", "2023-06-01")
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var env struct {
		Type  string `json:"type"`
		Error *struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		t.Fatalf("Anthropic surface: undecodable answer (status %d): %v", res.StatusCode, err)
	}
	r := result{status: res.StatusCode}
	if env.Type == "error" && env.Error != nil {
		r.errorType = env.Error.Type
	} else if env.Type != "message" {
		t.Fatalf("Anthropic surface: status %d, type %q", res.StatusCode, env.Type)
	}
	return r
}

// callConnect generates with key as a bearer token.
func callConnect(t *testing.T, g *gateway, key, model string) result {
	t.Helper()
	req := connect.NewRequest(&routerv1.GenerateRequest{Request: &mcpv1.Request{Model: model, Messages: []*mcpv1.Message{{
		Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: "Hello"}}},
	}}}})
	if key != "" {
		req.Header().Set("Authorization", "Bearer "+key)
	}
	_, err := g.client.Generate(t.Context(), req)
	if err == nil {
		return result{status: 200}
	}
	if connect.CodeOf(err) == connect.CodeUnknown {
		t.Fatalf("Connect: %v", err)
	}
	return result{status: apierror.HTTPStatus(apierror.As(err).Class), code: connect.CodeOf(err).String()}
}

// expectRefused checks one refusal on every surface.
func expectRefused(t *testing.T, g *gateway, what, key, model string, status int) {
	t.Helper()
	oa, an, cn := callOpenAI(t, g, key, model), callAnthropic(t, g, key, model), callConnect(t, g, key, model)
	wantOA, wantAN, wantCN := "authentication_error", "authentication_error", "unauthenticated"
	if status == http.StatusForbidden {
		wantOA, wantAN, wantCN = "permission_error", "permission_error", "permission_denied"
	}
	if oa.status != status || oa.errorType != wantOA {
		t.Errorf("%s: OpenAI surface answered %d %q, want %d %q", what, oa.status, oa.errorType, status, wantOA)
	}
	if an.status != status || an.errorType != wantAN {
		t.Errorf("%s: Anthropic surface answered %d %q, want %d %q", what, an.status, an.errorType, status, wantAN)
	}
	if cn.code != wantCN {
		t.Errorf("%s: Connect answered %q, want %q", what, cn.code, wantCN)
	}
}

func expectServed(t *testing.T, g *gateway, what, key, model string) {
	t.Helper()
	if r := callOpenAI(t, g, key, model); r.status != 200 {
		t.Errorf("%s: OpenAI surface answered %d %q", what, r.status, r.errorType)
	}
	if r := callAnthropic(t, g, key, model); r.status != 200 {
		t.Errorf("%s: Anthropic surface answered %d %q", what, r.status, r.errorType)
	}
	if r := callConnect(t, g, key, model); r.status != 200 {
		t.Errorf("%s: Connect answered %q", what, r.code)
	}
}

// TestRefusals: missing, malformed, unknown, revoked and expired keys get
// 401 / unauthenticated, a key outside its scopes 403 / permission_denied,
// on every surface, and none of them reaches the provider.
func TestRefusals(t *testing.T) {
	for _, d := range keyvaulttest.Drivers {
		t.Run(d.Name, func(t *testing.T) {
			v := keyvaulttest.Serve(t, d.Open(t), keyvaulttest.Config(t))
			putCredential(t, v, "pool-a", "sk-upstream-secret-aaaa")
			emu, spec := upstream(t, "pool-a")
			logs := &keyvaulttest.Logs{}
			g := startRouter(t, v.Addr, spec, logs)

			_, good := createKey(t, v, []string{"chat"}, nil)
			revokedID, revoked := createKey(t, v, []string{"*"}, nil)
			expectServed(t, g, "revoked key before revocation", revoked, "chat")
			if _, err := vaultClient(v).RevokeVirtualKey(t.Context(), connect.NewRequest(&keyvaultv1.RevokeVirtualKeyRequest{KeyId: revokedID})); err != nil {
				t.Fatal(err)
			}
			_, expiring := createKey(t, v, []string{"*"}, timestamppb.New(time.Now().Add(500*time.Millisecond)))

			expectServed(t, g, "valid key", good, "chat")
			_, pattern := createKey(t, v, []string{"ch*"}, nil)
			expectServed(t, g, "key with a route pattern", pattern, "chat")
			served := len(emu.Requests())
			if served != 9 {
				t.Fatalf("provider saw %d requests, want 9", served)
			}
			pollUntil(t, 5*time.Second, "revocation reaches the router", func() bool {
				return callConnect(t, g, revoked, "chat").code == "unauthenticated"
			})
			pollUntil(t, 5*time.Second, "the key expires", func() bool {
				return callConnect(t, g, expiring, "chat").code == "unauthenticated"
			})
			before := len(emu.Requests())
			expectRefused(t, g, "missing key", "", "chat", http.StatusUnauthorized)
			expectRefused(t, g, "malformed key", "sk-not-a-manifold-key", "chat", http.StatusUnauthorized)
			expectRefused(t, g, "unknown key", "mk-"+strings.Repeat("Q", 43), "chat", http.StatusUnauthorized)
			expectRefused(t, g, "revoked key", revoked, "chat", http.StatusUnauthorized)
			expectRefused(t, g, "expired key", expiring, "chat", http.StatusUnauthorized)
			expectRefused(t, g, "route outside the key's scopes", good, "other", http.StatusForbidden)
			expectRefused(t, g, "model outside the key's scopes", good, "openai-model", http.StatusForbidden)
			expectRefused(t, g, "route outside the key's pattern", pattern, "other", http.StatusForbidden)
			if got := len(emu.Requests()); got != before {
				t.Errorf("refused calls reached the provider: %d requests, want %d", got, before)
			}
			for _, s := range []string{good, revoked, expiring, "sk-upstream-secret-aaaa"} {
				if strings.Contains(logs.String(), s) || strings.Contains(v.Logs.String(), s) {
					t.Errorf("a secret %q… is in the logs", s[:8])
				}
			}
		})
	}
}

// pollUntil polls cond until it holds or within passes.
func pollUntil(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// TestRevocationReachesEveryRouter: two routers share one vault; a key
// revoked with the CLI is refused by both within a second.
func TestRevocationReachesEveryRouter(t *testing.T) {
	v := keyvaulttest.Serve(t, keyvaulttest.OpenPostgres(t), keyvaulttest.Config(t))
	_, spec := upstream(t)
	routers := []*gateway{startRouter(t, v.Addr, spec, io.Discard), startRouter(t, v.Addr, spec, io.Discard)}
	id, key := createKey(t, v, []string{"*"}, nil)
	for i, g := range routers {
		// Twice: the second answer comes from the warm cache.
		for range 2 {
			if r := callConnect(t, g, key, "demo"); r.status != 200 {
				t.Fatalf("router %d before revocation: %q", i, r.code)
			}
		}
	}
	// Revoked the way an operator does it: `manifold keys revoke`.
	var out, errOut strings.Builder
	code := cli.Main(t.Context(), []string{"keys", "revoke", "--id", id, "--reason", "test", "--server", v.URL, "--token", keyvaulttest.AdminToken},
		cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	if code != cli.ExitOK {
		t.Fatalf("manifold keys revoke: exit %d: %s", code, errOut.String())
	}
	revoked := time.Now()
	for i, g := range routers {
		pollUntil(t, time.Second-time.Since(revoked), "router refuses the revoked key", func() bool {
			return callOpenAI(t, g, key, "demo").status == http.StatusUnauthorized
		})
		t.Logf("router %d refused the key %s after revocation", i, time.Since(revoked))
	}
}

// TestKeyPoolFromVault: the provider's credentials live only in the vault;
// the first one answering 429 cools down and the call succeeds on the
// second.
func TestKeyPoolFromVault(t *testing.T) {
	v := keyvaulttest.Serve(t, keyvaulttest.OpenSQLite(t), keyvaulttest.Config(t))
	keys := map[string]string{"key-a": "sk-vault-pool-aaaaaaaa", "key-b": "sk-vault-pool-bbbbbbbb"}
	for name, secret := range keys {
		putCredential(t, v, name, secret)
	}
	emu, spec := upstream(t, "key-a", "key-b")
	g := startRouter(t, v.Addr, spec, io.Discard)
	_, key := createKey(t, v, []string{"*"}, nil)

	emu.Script(emulator.Fault{Status: http.StatusTooManyRequests, Headers: map[string]string{"X-Ratelimit-Reset-Requests": "20s"}})
	if r := callConnect(t, g, key, "chat"); r.status != 200 {
		t.Fatalf("call with a rate-limited first key: %q", r.code)
	}
	reqs := emu.Requests()
	if len(reqs) != 2 {
		t.Fatalf("provider saw %d requests, want 2", len(reqs))
	}
	first, second := reqs[0].Header.Get("Authorization"), reqs[1].Header.Get("Authorization")
	valid := map[string]bool{"Bearer " + keys["key-a"]: true, "Bearer " + keys["key-b"]: true}
	if !valid[first] || !valid[second] || first == second {
		t.Fatalf("keys used: %q then %q; want both vault keys, the rate-limited one not reused", first, second)
	}
	for range 3 {
		if r := callConnect(t, g, key, "chat"); r.status != 200 {
			t.Fatalf("later call: %q", r.code)
		}
	}
	for _, r := range emu.Requests()[2:] {
		if got := r.Header.Get("Authorization"); got != second {
			t.Errorf("a later call used the cooling key")
		}
	}
}
