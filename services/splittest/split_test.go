package splittest

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/hashicorp/consul/api"

	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	"github.com/manifoldgw/manifold/services/internal/discovery/consultest"
	"github.com/manifoldgw/manifold/services/workflows"
)

// chat sends one OpenAI-style chat completion of the demo model through a
// router and returns the HTTP status and the answer's text.
func chat(t *testing.T, router, key, said string) (int, string) {
	t.Helper()
	return chatModel(t, router, key, "demo", said)
}

// chatModel is chat with another model or route.
func chatModel(t *testing.T, router, key, model, said string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"model": model, "messages": []map[string]string{{"role": "user", "content": said}}})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, router+"/v1/chat/completions", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("chat through %s: %v", router, err)
	}
	defer res.Body.Close()
	var out struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	_ = json.NewDecoder(res.Body).Decode(&out)
	if len(out.Choices) == 0 {
		return res.StatusCode, ""
	}
	return res.StatusCode, out.Choices[0].Message.Content
}

// callAPI posts variables to a published prompt through a router.
func callAPI(t *testing.T, router, slug, key, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, router+"/apis/"+slug, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("prompt API through %s: %v", router, err)
	}
	defer res.Body.Close()
	var out struct {
		Output string `json:"output"`
	}
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out.Output
}

// TestSplitDeployment: one process per service and two routers on Consul
// and PostgreSQL; calls through either router; then a router and a prompt
// registry are killed, and another router is stopped gracefully in the
// middle of a streamed answer.
func TestSplitDeployment(t *testing.T) {
	c := newCluster(t)
	// Started one at a time: each runs its migrations on start.
	keyvault := c.start("keyvault", "keyvault")
	quota := c.start("quota", "quota")
	prompts1 := c.start("prompts-1", "prompts")
	prompts2 := c.start("prompts-2", "prompts")
	audit := c.start("audit", "audit")
	// Workflows run on a real Temporal server (the dev server of the
	// Temporal CLI, standing in for a cluster).
	temporal, err := workflows.StartDevServer(t.Context(), consultest.Binary(t, "temporal"),
		filepath.Join(t.TempDir(), "temporal.db"), "default", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { <-temporal.Done() })
	flows := c.start("workflows", "workflows", "--temporal.address", temporal.Addr)
	// The second router paces the demo model's streamed tokens, so that a
	// stream is still running when it is told to stop.
	router1 := c.start("router-1", "router")
	router2 := c.start("router-2", "router", "--router.demo-token-delay", "40ms")

	// The catalog lists every instance, and every check passes.
	want := map[string][]*proc{
		"keyvault": {keyvault}, "quota": {quota}, "prompts": {prompts1, prompts2},
		"audit": {audit}, "workflows": {flows}, "router": {router1, router2},
	}
	for service, procs := range want {
		eventually(t, service+" passing in consul", func() bool {
			h := c.health(service)
			if len(h) != len(procs) {
				return false
			}
			for _, p := range procs {
				if h[p.addr] != api.HealthPassing {
					return false
				}
			}
			return true
		})
	}
	svcs, _, err := c.client.Catalog().Service("manifold-router", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs {
		if s.ServiceMeta["version"] == "" || s.ServiceMeta["service"] != "manifold.router.v1.RouterService" {
			t.Errorf("router instance %s registered with meta %v", s.ServiceID, s.ServiceMeta)
		}
	}

	// A virtual key made through the key vault's API reaches both routers
	// (through their watch of the key vault, found in Consul).
	var created struct{ Secret string }
	out := c.manifold("keys", "create", "--server", keyvault.URL(), "--token", adminToken,
		"--name", "split", "--team", "ops", "--models", "*", "--prompt-apis", "*", "--output", "json")
	if err := json.Unmarshal([]byte(out), &created); err != nil || !strings.HasPrefix(created.Secret, "mk-") {
		t.Fatalf("keys create: %q %v", out, err)
	}
	key := created.Secret
	for _, r := range []*proc{router1, router2} {
		eventually(t, "the key authenticating at "+r.name, func() bool {
			status, _ := chat(t, r.URL(), key, "hello")
			return status == http.StatusOK
		})
		for range 5 {
			if status, text := chat(t, r.URL(), key, "ping"); status != http.StatusOK || !strings.HasSuffix(text, "You said: ping") {
				t.Fatalf("chat through %s: %d %q", r.name, status, text)
			}
		}
	}

	// A prompt published through one registry is served by both routers.
	file := filepath.Join(t.TempDir(), "greet.yaml")
	if err := os.WriteFile(file, []byte("messages:\n  - role: ROLE_USER\n    content: [{text: \"Greet {{who}}\"}]\ndefaults: {model: demo}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.manifold("prompts", "create", "--server", prompts1.URL(), "--token", adminToken, "--name", "greet", "--file", file, "--labels", "production")
	c.manifold("prompts", "publish", "--server", prompts1.URL(), "--token", adminToken, "--slug", "greet", "--name", "greet")
	for _, r := range []*proc{router1, router2} {
		eventually(t, "prompt API at "+r.name, func() bool {
			status, out := callAPI(t, r.URL(), "greet", key, `{"who": "split"}`)
			return status == http.StatusOK && strings.HasSuffix(out, "Greet split")
		})
	}

	// A route added through one router's API is served by the other (the
	// routers share the catalog through PostgreSQL's change feed).
	routes := routerv1connect.NewRouterServiceClient(http.DefaultClient, router1.URL())
	put := connect.NewRequest(&routerv1.PutRouteRequest{Route: &routerv1.Route{
		Name: "split-route", Targets: []*routerv1.Target{{Model: "demo"}},
	}})
	put.Header().Set("Authorization", "Bearer "+adminToken)
	if _, err := routes.PutRoute(t.Context(), put); err != nil {
		t.Fatalf("put route through router-1: %v", err)
	}
	eventually(t, "the new route at router-2", func() bool {
		status, text := chatModel(t, router2.URL(), key, "split-route", "routed")
		return status == http.StatusOK && strings.HasSuffix(text, "You said: routed")
	})

	// A key revoked at the key vault stops working at both routers.
	var revoked struct {
		Key    struct{ ID string }
		Secret string
	}
	out = c.manifold("keys", "create", "--server", keyvault.URL(), "--token", adminToken,
		"--name", "to revoke", "--team", "ops", "--models", "*", "--output", "json")
	if err := json.Unmarshal([]byte(out), &revoked); err != nil || revoked.Key.ID == "" {
		t.Fatalf("keys create: %q %v", out, err)
	}
	for _, r := range []*proc{router1, router2} {
		eventually(t, "the second key at "+r.name, func() bool {
			status, _ := chat(t, r.URL(), revoked.Secret, "hello")
			return status == http.StatusOK
		})
	}
	c.manifold("keys", "revoke", "--server", keyvault.URL(), "--token", adminToken, "--id", revoked.Key.ID, "--reason", "split test")
	for _, r := range []*proc{router1, router2} {
		eventually(t, "the revocation at "+r.name, func() bool {
			status, _ := chat(t, r.URL(), revoked.Secret, "hello")
			return status == http.StatusUnauthorized
		})
	}

	// SIGKILL one router and one prompt registry: nothing deregisters them.
	router1.signal(t, syscall.SIGKILL)
	prompts1.signal(t, syscall.SIGKILL)
	router1.wait(t)
	prompts1.wait(t)
	// Calls through the surviving router keep succeeding, before and after
	// Consul notices.
	for i := range 10 {
		if status, text := chat(t, router2.URL(), key, "still there"); status != http.StatusOK || !strings.HasSuffix(text, "You said: still there") {
			t.Fatalf("call %d through router-2 after the kills: %d %q", i, status, text)
		}
	}
	eventually(t, "killed instances critical in consul", func() bool {
		return c.health("router")[router1.addr] == api.HealthCritical && c.health("prompts")[prompts1.addr] == api.HealthCritical
	})
	if h := c.health("router")[router2.addr]; h != api.HealthPassing {
		t.Fatalf("router-2 is %s", h)
	}
	// A prompt changed through the surviving registry reaches the router:
	// its prompt watch found prompts-2 through Consul.
	if err := os.WriteFile(file, []byte("messages:\n  - role: ROLE_USER\n    content: [{text: \"Welcome {{who}}\"}]\ndefaults: {model: demo}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.manifold("prompts", "update", "--server", prompts2.URL(), "--token", adminToken, "--name", "greet", "--file", file, "--message", "after the kill")
	c.manifold("prompts", "label", "--server", prompts2.URL(), "--token", adminToken, "--name", "greet", "--label", "production", "--version", "2")
	eventually(t, "prompt v2 at router-2", func() bool {
		status, out := callAPI(t, router2.URL(), "greet", key, `{"who": "split"}`)
		return status == http.StatusOK && strings.HasSuffix(out, "Welcome split")
	})

	// SIGTERM router-2 in the middle of a stream: the stream completes, new
	// connections are refused while it drains, and then it leaves Consul.
	said := strings.Repeat("the stream must finish even though the router is stopping ", 3)
	said = strings.TrimSpace(said)
	body, _ := json.Marshal(map[string]any{"model": "demo", "stream": true, "messages": []map[string]string{{"role": "user", "content": said}}})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, router2.URL()+"/v1/chat/completions", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("stream through router-2: %d", res.StatusCode)
	}
	events := bufio.NewScanner(res.Body)
	var text strings.Builder
	var done bool
	chunks, afterStop := 0, 0
	stopped := false
	for events.Scan() {
		data, ok := strings.CutPrefix(events.Text(), "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			done = true
			break
		}
		var chunk struct {
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			t.Fatalf("stream chunk %q: %v", data, err)
		}
		if len(chunk.Choices) > 0 {
			text.WriteString(chunk.Choices[0].Delta.Content)
		}
		chunks++
		if stopped {
			afterStop++
		}
		if chunks == 2 && !stopped {
			router2.signal(t, syscall.SIGTERM)
			// Draining: the listener is closed at once, so new calls go
			// elsewhere while this stream goes on.
			eventually(t, "router-2 refusing new connections", func() bool {
				conn, err := net.DialTimeout("tcp", router2.addr, time.Second)
				if err == nil {
					conn.Close()
				}
				return err != nil
			})
			stopped = true
		}
	}
	if err := events.Err(); err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	if want := "Hello from Manifold's demo model. You said: " + said; !done || text.String() != want {
		t.Fatalf("stream across SIGTERM: done=%v text %q, want %q", done, text.String(), want)
	}
	t.Logf("stream: %d chunks, %d read after router-2 was draining", chunks, afterStop)
	if afterStop == 0 {
		t.Fatal("the stream had ended before router-2 stopped; the test proves nothing")
	}
	if code := router2.wait(t); code != 0 {
		t.Fatalf("router-2 exited with %d after SIGTERM", code)
	}
	if h, ok := c.health("router")[router2.addr]; ok {
		t.Fatalf("router-2 still in consul (%s) after a graceful stop", h)
	}
}

// TestStartTogether starts every process at once on a fresh database, as
// Compose or Kubernetes do, routers included: migrations and registrations
// race, and routers come up before the services they watch. Calls then
// succeed through both routers.
func TestStartTogether(t *testing.T) {
	c := newCluster(t)
	routers := []*proc{c.launch("router-1", "router"), c.launch("router-2", "router")}
	procs := append([]*proc{
		c.launch("keyvault", "keyvault"), c.launch("quota", "quota"),
		c.launch("prompts", "prompts"), c.launch("audit", "audit"),
	}, routers...)
	for _, p := range procs {
		p.await(t)
	}
	for _, service := range []string{"keyvault", "quota", "prompts", "audit", "router"} {
		eventually(t, service+" passing in consul", func() bool {
			h := c.health(service)
			if len(h) == 0 {
				return false
			}
			for _, status := range h {
				if status != api.HealthPassing {
					return false
				}
			}
			return true
		})
	}
	var created struct{ Secret string }
	out := c.manifold("keys", "create", "--server", procs[0].URL(), "--token", adminToken,
		"--name", "together", "--team", "ops", "--models", "*", "--output", "json")
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Secret == "" {
		t.Fatalf("keys create: %q %v", out, err)
	}
	for _, r := range routers {
		eventually(t, "a call through "+r.name, func() bool {
			status, text := chat(t, r.URL(), created.Secret, "together")
			return status == http.StatusOK && strings.HasSuffix(text, "You said: together")
		})
	}
}

// TestAgentRegistration: with --consul.register=false the Consul agent's
// service definition (deploy/consul's, at this test's port) registers the
// key vault and checks its health; routers find it all the same, and a
// stopped key vault stays registered, critical, since the agent owns it.
func TestAgentRegistration(t *testing.T) {
	port := consultest.FreePort(t)
	def, err := os.ReadFile("../../deploy/consul/manifold-keyvault.json")
	if err != nil {
		t.Fatal(err)
	}
	def = []byte(strings.ReplaceAll(string(def), "8101", strconv.Itoa(port)))
	defFile := filepath.Join(t.TempDir(), "manifold-keyvault.json")
	if err := os.WriteFile(defFile, def, 0o600); err != nil {
		t.Fatal(err)
	}
	c := newClusterWith(t, "-config-file", defFile)
	keyvault := c.start("keyvault", "keyvault", "--addr", "127.0.0.1:"+strconv.Itoa(port), "--consul.register=false")
	c.start("quota", "quota") // routers admit no call without quota
	router := c.start("router", "router")
	eventually(t, "the agent-registered key vault passing", func() bool {
		return c.health("keyvault")[keyvault.addr] == api.HealthPassing
	})
	var created struct{ Secret string }
	out := c.manifold("keys", "create", "--server", keyvault.URL(), "--token", adminToken,
		"--name", "agent", "--team", "ops", "--models", "*", "--output", "json")
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Secret == "" {
		t.Fatalf("keys create: %q %v", out, err)
	}
	eventually(t, "a call through the router", func() bool {
		status, _ := chat(t, router.URL(), created.Secret, "agent")
		return status == http.StatusOK
	})
	keyvault.signal(t, syscall.SIGTERM)
	if code := keyvault.wait(t); code != 0 {
		t.Fatalf("keyvault exited with %d", code)
	}
	eventually(t, "the stopped key vault critical, still registered", func() bool {
		return c.health("keyvault")[keyvault.addr] == api.HealthCritical
	})
}
