package cli_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/manifoldgw/manifold/services/internal/cli"
	openaiemu "github.com/manifoldgw/manifold/services/internal/emulator/openai"
)

// TestCatalogAndAdminKeys drives `manifold providers|models|routes` and
// `manifold admin-keys` against the real gateway: an OpenAI provider whose
// key lives in the key vault, a model and a route put at run time serve a
// call at once; a developer's admin key may not change the catalog.
func TestCatalogAndAdminKeys(t *testing.T) {
	emu := httptest.NewServer(openaiemu.New())
	defer emu.Close()
	gw := startGateway(t, "--auth.required=true", "--admin-token", testAdminToken)
	as := func(token string, env []string, args ...string) (int, string, string) {
		t.Helper()
		return manifoldEnv(t, env, append(args, "--server", gw.url, "--token", token)...)
	}
	admin := func(args ...string) string {
		t.Helper()
		code, out, errOut := as(testAdminToken, []string{"EMU_KEY", "sk-catalog-test-0001"}, args...)
		if code != cli.ExitOK {
			t.Fatalf("manifold %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
		return out
	}
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	admin("credentials", "put", "--name", "emu-key", "--provider", "emu", "--api-key-env", "EMU_KEY")
	out := admin("providers", "put", "--file", file("provider.yaml", "name: emu\nkind: PROVIDER_KIND_OPENAI\nbase_url: "+emu.URL+"/v1\ncredentials: [{name: emu-key}]\n"))
	if !strings.Contains(out, "emu") || !strings.Contains(out, "openai") {
		t.Errorf("providers put printed:\n%s", out)
	}
	admin("models", "put", "--file", file("model.json", `{"name": "emu-chat", "provider": "emu", "upstream_model": "gpt-4o-mini", "context_window": 128000}`))
	admin("routes", "put", "--file", file("route.yaml", "name: chat\ntargets: [{model: emu-chat}]\nretry: {max_attempts: 2}\n"))
	if out := admin("routes", "list"); !strings.Contains(out, "chat") || !strings.Contains(out, "emu-chat") {
		t.Errorf("routes list:\n%s", out)
	}
	if out := admin("models", "list", "--output", "json"); !strings.Contains(out, `"emu-chat"`) {
		t.Errorf("models list --output json:\n%s", out)
	}

	// The new route serves a call at once.
	var created struct{ Secret string }
	if err := json.Unmarshal([]byte(admin("keys", "create", "--name", "chat", "--user", "app", "--routes", "chat", "--output", "json")), &created); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, gw.url+"/v1/chat/completions",
		strings.NewReader(`{"model":"chat","messages":[{"role":"user","content":"Hi there"}]}`))
	req.Header.Set("Authorization", "Bearer "+created.Secret)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("call through the new route: %s", res.Status)
	}

	// Admin keys: a developer may read the catalog but not change it.
	var dev struct{ Secret string }
	if err := json.Unmarshal([]byte(admin("admin-keys", "create", "--name", "dev", "--role", "developer", "--user", "dev", "--output", "json")), &dev); err != nil || dev.Secret == "" {
		t.Fatalf("admin-keys create: %v", err)
	}
	if out := admin("admin-keys", "list"); !strings.Contains(out, "developer") || strings.Contains(out, dev.Secret) {
		t.Errorf("admin-keys list (want the role, never the secret):\n%s", out)
	}
	if code, out, _ := as(dev.Secret, nil, "routes", "get", "--name", "chat"); code != cli.ExitOK || !strings.Contains(out, "emu-chat") {
		t.Errorf("developer routes get: exit %d:\n%s", code, out)
	}
	code, _, errOut := as(dev.Secret, nil, "routes", "delete", "--name", "chat")
	if code != cli.ExitError || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "permission_denied") {
		t.Errorf("developer routes delete: exit %d, stderr %q; want exit 1 and one permission_denied line", code, errOut)
	}
	if code, _, errOut := as(testAdminToken, nil, "routes", "put", "--file", file("bad.yaml", "name: broken\ntargets: [{model: emu-chat, no_such_field: 1}]\n")); code != cli.ExitUsage || !strings.Contains(errOut, "no_such_field") {
		t.Errorf("routes put with an unknown field: exit %d, stderr %q; want exit 2 naming the field", code, errOut)
	}
	admin("routes", "delete", "--name", "chat")
	if out := admin("routes", "list"); strings.Contains(out, "emu-chat") {
		t.Errorf("routes list after delete:\n%s", out)
	}
}
