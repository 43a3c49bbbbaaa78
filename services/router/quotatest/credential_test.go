package quotatest_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"connectrpc.com/connect"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"
	openaiemu "github.com/manifoldgw/manifold/services/internal/emulator/openai"
)

// TestCredentialRateLimit: a provider credential limited to one request a
// minute serves one attempt; later calls go to the pool's other key
// without the provider seeing the limited key again, and all succeed.
func TestCredentialRateLimit(t *testing.T) {
	emu := openaiemu.New()
	up := httptest.NewServer(emu)
	defer up.Close()
	t.Setenv("QUOTATEST_KEY_A", "sk-quotatest-key-a")
	t.Setenv("QUOTATEST_KEY_B", "sk-quotatest-key-b")
	config := filepath.Join(t.TempDir(), "catalog.yaml")
	// key-a is nearly always picked first: the limit, not chance, moves
	// the later calls to key-b.
	err := os.WriteFile(config, []byte(`catalog:
  providers:
    - name: emu
      kind: openai
      base_url: `+up.URL+`/v1
      credentials: [{name: key-a, weight: 1000}, {name: key-b, weight: 1}]
  models:
    - name: emu-chat
      provider: emu
      upstream_model: gpt-4o-mini
  credentials:
    - name: key-a
      api_key_env: QUOTATEST_KEY_A
    - name: key-b
      api_key_env: QUOTATEST_KEY_B
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	url := startGateway(t, "--config", config)
	ctx := t.Context()
	quota := quotav1connect.NewQuotaServiceClient(clientWith(adminToken), url)
	if _, err := quota.PutRateLimit(ctx, connect.NewRequest(&quotav1.PutRateLimitRequest{RateLimit: &quotav1.RateLimit{
		Id: "key-a-rpm", Subject: &quotav1.Subject{Kind: quotav1.SubjectKind_SUBJECT_KIND_CREDENTIAL, Id: "key-a"}, RequestsPerMinute: 1,
	}})); err != nil {
		t.Fatalf("PutRateLimit: %v", err)
	}
	kv := keyvaultv1connect.NewKeyVaultServiceClient(clientWith(adminToken), url)
	res, err := kv.CreateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
		Name: "credential limit", Owner: &keyvaultv1.KeyOwner{Team: "qa"}, Scopes: &keyvaultv1.KeyScopes{Models: []string{"emu-chat"}},
	}))
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	for i := range 4 {
		r := post(t, url, "/v1/chat/completions", res.Msg.GetSecret(), `{"model":"emu-chat","messages":[{"role":"user","content":"Hi"}]}`)
		if r.status != http.StatusOK {
			t.Fatalf("call %d: %d %s", i, r.status, r.raw)
		}
	}
	used := map[string]int{}
	for _, r := range emu.Requests() {
		used[r.Header.Get("Authorization")]++
	}
	if used["Bearer sk-quotatest-key-a"] != 1 || used["Bearer sk-quotatest-key-b"] != 3 {
		t.Errorf("upstream saw %v; want key-a once (its limit) and key-b for the other 3 calls", used)
	}
}
