package cli_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/manifoldgw/manifold/services/internal/cli"
)

const testAdminToken = "cli-test-bootstrap-admin-token"

func manifoldEnv(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Main(t.Context(), args, cli.Env{Stdout: &out, Stderr: &errOut, Getenv: environ(env...)})
	return code, out.String(), errOut.String()
}

// chat posts a chat completion to the OpenAI surface and returns the status.
func chat(t *testing.T, url, key string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url+"/v1/chat/completions",
		strings.NewReader(`{"model":"demo","messages":[{"role":"user","content":"Hi"}]}`))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	return res.StatusCode
}

// TestKeysAndCredentials runs the real gateway with keys required (the
// default) and drives `manifold keys` and `manifold credentials` against it,
// as the README's first call does.
func TestKeysAndCredentials(t *testing.T) {
	gw := startGateway(t, "--auth.required=true", "--admin-token", testAdminToken, "--log.level", "debug")
	remote := []string{"--server", gw.url, "--token", testAdminToken}
	run := func(env []string, args ...string) (int, string, string) {
		t.Helper()
		return manifoldEnv(t, env, append(args, remote...)...)
	}

	if got := chat(t, gw.url, ""); got != http.StatusUnauthorized {
		t.Fatalf("call without a key: %d, want 401", got)
	}
	code, out, errOut := run(nil, "keys", "create", "--name", "first call", "--team", "docs", "--models", "demo", "--output", "json")
	if code != cli.ExitOK {
		t.Fatalf("keys create: exit %d: %s", code, errOut)
	}
	var created struct {
		Key struct {
			ID string `json:"id"`
		} `json:"key"`
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || !strings.HasPrefix(created.Secret, "mk-") {
		t.Fatalf("keys create output %q: %v", out, err)
	}
	if got := chat(t, gw.url, created.Secret); got != http.StatusOK {
		t.Fatalf("call with the new key: %d, want 200", got)
	}
	code, out, _ = run(nil, "keys", "list")
	if code != cli.ExitOK || !strings.Contains(out, created.Key.ID) || strings.Contains(out, created.Secret) {
		t.Fatalf("keys list: exit %d, output:\n%s\n(want the id, never the secret)", code, out)
	}

	// Credentials: the secret comes from the environment and is never shown.
	secretEnv := []string{"OPENAI_KEY", "sk-cli-test-credential-9876", "OPENAI_KEY_2", "sk-cli-test-credential-rot2"}
	code, out, errOut = run(secretEnv, "credentials", "put", "--name", "openai-1", "--provider", "openai", "--api-key-env", "OPENAI_KEY")
	if code != cli.ExitOK || !strings.Contains(out, "…9876") || strings.Contains(out, "sk-cli-test") {
		t.Fatalf("credentials put: exit %d, output:\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(secretEnv, "credentials", "rotate", "--name", "openai-1", "--api-key-env", "OPENAI_KEY_2", "--grace", "10m")
	if code != cli.ExitOK || !strings.Contains(out, "…rot2") {
		t.Fatalf("credentials rotate: exit %d, output:\n%s%s", code, out, errOut)
	}
	code, out, _ = run(nil, "credentials", "list", "--output", "json")
	if code != cli.ExitOK || !strings.Contains(out, "CREDENTIAL_VERSION_STATE_GRACE") || strings.Contains(out, "sk-cli-test") {
		t.Fatalf("credentials list: exit %d, output:\n%s", code, out)
	}
	code, _, errOut = run(nil, "credentials", "put", "--name", "openai-2", "--provider", "openai", "--api-key-env", "UNSET_VAR")
	if code != cli.ExitUsage || !strings.Contains(errOut, "UNSET_VAR") {
		t.Errorf("credentials put with an empty variable: exit %d, %s", code, errOut)
	}
	if code, _, _ = run(nil, "credentials", "delete", "--name", "openai-1"); code != cli.ExitOK {
		t.Errorf("credentials delete: exit %d", code)
	}

	// An unknown admin key changes nothing.
	code, _, errOut = manifoldEnv(t, nil, "keys", "revoke", "--id", created.Key.ID, "--server", gw.url, "--token", "mka-"+strings.Repeat("0", 43))
	if code != cli.ExitError || !strings.Contains(errOut, "authentication") {
		t.Errorf("keys revoke with an unknown admin key: exit %d, %s", code, errOut)
	}

	// Revocation through the CLI reaches the router within a second.
	if code, _, errOut = run(nil, "keys", "revoke", "--id", created.Key.ID, "--reason", "test"); code != cli.ExitOK {
		t.Fatalf("keys revoke: exit %d: %s", code, errOut)
	}
	revoked := time.Now()
	for chat(t, gw.url, created.Secret) != http.StatusUnauthorized {
		if time.Since(revoked) > time.Second {
			t.Fatal("the revoked key still works after a second")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The call log records the key's id, never its secret; nor do the logs.
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, out, _ := run(nil, "logs", "--output", "json")
		if code == cli.ExitOK && strings.Contains(out, created.Key.ID) {
			if strings.Contains(out, created.Secret) {
				t.Error("the call log holds a virtual key's secret")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the call log never showed a call of key %s (exit %d):\n%s", created.Key.ID, code, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The export streams; the admin key goes with streaming calls too.
	code, out, errOut = run(nil, "logs", "--export", "jsonl", "--bodies")
	if code != cli.ExitOK || !strings.Contains(out, created.Key.ID) || strings.Contains(out, created.Secret) {
		t.Errorf("logs --export jsonl --bodies: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(gw.stderr.String(), "credential put") {
		t.Fatal("the gateway logged nothing about credentials: the log check would prove nothing")
	}
	for _, secret := range []string{created.Secret, testAdminToken, "sk-cli-test-credential"} {
		if strings.Contains(gw.stderr.String(), secret) {
			t.Errorf("the gateway's log holds a secret %q…", secret[:8])
		}
	}

	// Usage errors name the problem.
	for _, args := range [][]string{{"keys"}, {"keys", "frobnicate"}, {"keys", "create", "--team", "x"}, {"keys", "revoke"}, {"credentials", "rotate", "--name", "x"}} {
		code, _, errOut := run(nil, args...)
		if code != cli.ExitUsage || errOut == "" {
			t.Errorf("manifold %s: exit %d (%q), want a usage error", strings.Join(args, " "), code, errOut)
		}
	}
}
