package cli_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/manifoldgw/manifold/services/internal/cli"
)

// callAPI posts variables to a prompt API, as curl would.
func callAPI(t *testing.T, url, slug, key, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url+"/apis/"+slug, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// eventually polls fn until it is true; the bound is far above the
// one-second propagation target.
func eventually(t *testing.T, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

// TestPrompts drives `manifold prompts` against the real gateway with keys
// required, and calls the published prompt with scoped and unscoped keys.
func TestPrompts(t *testing.T) {
	gw := startGateway(t, "--auth.required=true", "--admin-token", testAdminToken)
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return manifoldEnv(t, nil, append(args, "--server", gw.url, "--token", testAdminToken)...)
	}
	ok := func(args ...string) string {
		t.Helper()
		code, out, errOut := run(args...)
		if code != cli.ExitOK {
			t.Fatalf("manifold %s: exit %d: %s%s", strings.Join(args, " "), code, errOut, out)
		}
		return out
	}
	newKey := func(apis string) string {
		out := ok("keys", "create", "--name", "k "+apis, "--team", "docs", "--prompt-apis", apis, "--output", "json")
		var created struct{ Secret string }
		if err := json.Unmarshal([]byte(out), &created); err != nil || created.Secret == "" {
			t.Fatalf("keys create output %q: %v", out, err)
		}
		return created.Secret
	}

	file := filepath.Join(t.TempDir(), "summarize.yaml")
	if err := os.WriteFile(file, []byte(`
messages:
  - role: ROLE_SYSTEM
    content: [{text: "You summarize text."}]
  - role: ROLE_USER
    content: [{text: "Summarize: {{text}}"}]
defaults: {model: demo}
variablesSchema:
  type: object
  required: [text]
  properties: {text: {type: string}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := ok("prompts", "create", "--name", "summarize", "--file", file, "--labels", "production", "--message", "first"); !strings.Contains(out, "production=v1") {
		t.Errorf("prompts create output:\n%s", out)
	}
	if out := ok("prompts", "update", "--name", "summarize", "--text", "Summarize briefly: {{text}}", "--message", "shorter"); !strings.Contains(out, "summarize  2") && !strings.Contains(out, " 2 ") {
		t.Errorf("prompts update output:\n%s", out)
	}
	if out := ok("prompts", "versions", "--name", "summarize"); !strings.Contains(out, "shorter") || !strings.Contains(out, "first") {
		t.Errorf("prompts versions output:\n%s", out)
	}
	if out := ok("prompts", "diff", "--name", "summarize", "--from", "1", "--to", "2"); !strings.Contains(out, "+") || !strings.Contains(out, "Summarize briefly") {
		t.Errorf("prompts diff output:\n%s", out)
	}
	if out := ok("prompts", "render", "--name", "summarize", "--vars", `{"text": "{{other}}"}`); !strings.Contains(out, "v1") || !strings.Contains(out, "[user] Summarize: {{other}}") {
		t.Errorf("prompts render output:\n%s", out)
	}
	if out := ok("prompts", "get", "--name", "summarize", "--latest"); !strings.Contains(out, "Summarize briefly") {
		t.Errorf("prompts get --latest output:\n%s", out)
	}
	if out := ok("prompts", "list"); !strings.Contains(out, "summarize") || !strings.Contains(out, "production=v1") {
		t.Errorf("prompts list output:\n%s", out)
	}
	if out := ok("prompts", "publish", "--slug", "summarize", "--name", "summarize"); !strings.Contains(out, "POST /apis/summarize") {
		t.Errorf("prompts publish output:\n%s", out)
	}
	// Bad input: a clear error, exit code 1 (from the server) or 2 (usage).
	if code, _, errOut := run("prompts", "render", "--name", "summarize"); code != cli.ExitError || !strings.Contains(errOut, "text") {
		t.Errorf("render without the variable: exit %d, %s", code, errOut)
	}
	if code, _, errOut := run("prompts", "label", "--name", "summarize", "--label", "production", "--split", "1=x"); code != cli.ExitUsage || !strings.Contains(errOut, "--split") {
		t.Errorf("bad --split: exit %d, %s", code, errOut)
	}

	scoped, unscoped := newKey("summarize"), newKey("translate")
	var status int
	var body map[string]any
	eventually(t, "the publication", func() bool {
		status, body = callAPI(t, gw.url, "summarize", scoped, `{"text": "the report"}`)
		return status != http.StatusNotFound
	})
	if out, _ := body["output"].(string); status != 200 || !strings.HasSuffix(out, "Summarize: the report") {
		t.Fatalf("scoped key: %d %v", status, body)
	}
	if status, body := callAPI(t, gw.url, "summarize", unscoped, `{"text": "x"}`); status != http.StatusForbidden {
		t.Errorf("unscoped key: %d %v, want 403", status, body)
	}
	if status, body := callAPI(t, gw.url, "summarize", scoped, `{"text": 1}`); status != http.StatusBadRequest {
		t.Errorf("ill-typed variable: %d %v, want 400", status, body)
	}

	// Release v2, then roll back to v1.
	ok("prompts", "label", "--name", "summarize", "--label", "production", "--version", "2")
	eventually(t, "production -> v2", func() bool {
		_, body := callAPI(t, gw.url, "summarize", scoped, `{"text": "a"}`)
		out, _ := body["output"].(string)
		return strings.HasSuffix(out, "Summarize briefly: a")
	})
	ok("prompts", "label", "--name", "summarize", "--label", "production", "--version", "1")
	eventually(t, "production -> v1", func() bool {
		_, body := callAPI(t, gw.url, "summarize", scoped, `{"text": "a"}`)
		out, _ := body["output"].(string)
		return strings.HasSuffix(out, "Summarize: a")
	})

	ok("prompts", "unpublish", "--slug", "summarize")
	eventually(t, "the unpublish", func() bool {
		status, _ := callAPI(t, gw.url, "summarize", scoped, `{"text": "x"}`)
		return status == http.StatusNotFound
	})
}
