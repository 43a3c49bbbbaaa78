package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1/promptsv1connect"
)

// TestOpenAISurfaceRendersPromptReferences: an unchanged OpenAI request with
// Manifold's "prompt" extension renders the managed prompt's production
// version with the variables, and the call log records the version used.
func TestOpenAISurfaceRendersPromptReferences(t *testing.T) {
	url := startGateway(t)
	ctx := t.Context()
	prompts := promptsv1connect.NewPromptServiceClient(http.DefaultClient, url, as(adminToken))
	_, err := prompts.CreatePrompt(ctx, connect.NewRequest(&promptsv1.CreatePromptRequest{
		Name: "greeting",
		Template: &promptsv1.PromptTemplate{
			Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: "Say hello to {{name}}"}}}}},
			Defaults: &promptsv1.RequestDefaults{Model: "demo"},
		},
		Labels: []string{"production"},
	}))
	if err != nil {
		t.Fatalf("CreatePrompt: %v", err)
	}
	vk, err := keyvaultv1connect.NewKeyVaultServiceClient(http.DefaultClient, url, as(adminToken)).CreateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
		Name: "prompted", Owner: &keyvaultv1.KeyOwner{User: "app"}, Scopes: &keyvaultv1.KeyScopes{Models: []string{"demo"}},
	}))
	if err != nil {
		t.Fatalf("CreateVirtualKey: %v", err)
	}

	call := func(body string) (int, map[string]any) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+vk.Msg.GetSecret())
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	content := func(out map[string]any) string {
		choices, _ := out["choices"].([]any)
		if len(choices) == 0 {
			return ""
		}
		msg, _ := choices[0].(map[string]any)["message"].(map[string]any)
		s, _ := msg["content"].(string)
		return s
	}

	// The router learns of the prompt from the registry's watch; poll.
	body := `{"prompt": {"name": "greeting", "variables": {"name": "Ada"}}}`
	var out map[string]any
	eventually(t, "the prompt reference answered", func() bool {
		var status int
		status, out = call(body)
		return status == http.StatusOK
	})
	if got, want := content(out), "Hello from Manifold's demo model. You said: Say hello to Ada"; got != want {
		t.Errorf("answer = %q, want %q", got, want)
	}

	for _, bad := range []struct{ body, param string }{
		{`{"prompt": {"name": "greeting", "variables": ["Ada"]}}`, "prompt.variables"},
		{`{"prompt": {"name": "greeting", "label": "production", "version": 1}}`, "prompt"},
	} {
		status, out := call(bad.body)
		e, _ := out["error"].(map[string]any)
		if status != http.StatusBadRequest || e["param"] != bad.param {
			t.Errorf("%s: %d %v, want 400 naming %s", bad.body, status, out, bad.param)
		}
	}

	var recs []*auditv1.CallRecord
	eventually(t, "the call in the call log", func() bool {
		recs = nil
		for _, c := range callLog(t, url) {
			if c.GetStatus() == auditv1.CallStatus_CALL_STATUS_SUCCEEDED {
				recs = append(recs, c)
			}
		}
		return len(recs) > 0
	})
	if c := recs[0]; c.GetPromptName() != "greeting" || c.GetPromptVersion() != 1 {
		t.Errorf("call record prompt = %q v%d, want greeting v1", c.GetPromptName(), c.GetPromptVersion())
	}
}
