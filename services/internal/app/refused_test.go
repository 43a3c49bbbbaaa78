package app_test

import (
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
)

// TestRefusedConnectCallIsRecorded: a model call over Connect with a wrong
// key is refused as unauthenticated and is in the call log as such.
func TestRefusedConnectCallIsRecorded(t *testing.T) {
	url := startGateway(t)
	ctx := t.Context()
	_, err := routerv1connect.NewRouterServiceClient(http.DefaultClient, url, as("mk-wrong-key")).Generate(ctx, connect.NewRequest(&routerv1.GenerateRequest{
		Request: &mcpv1.Request{Model: "demo", Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: "hi"}}}}}},
	}))
	if code(err) != connect.CodeUnauthenticated {
		t.Fatalf("Generate with a wrong key: %v, want unauthenticated", err)
	}
	var recs []*auditv1.CallRecord
	eventually(t, "the refused call in the call log", func() bool { recs = callLog(t, url); return len(recs) > 0 })
	if r := recs[0]; len(recs) != 1 || r.GetSurface() != auditv1.Surface_SURFACE_CONNECT || r.GetStatus() != auditv1.CallStatus_CALL_STATUS_FAILED ||
		r.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION {
		t.Errorf("call log = %v, want one failed Connect call with class authentication", recs)
	}
}

func TestEmbeddingsAreScopedAndRecorded(t *testing.T) {
	url := startGateway(t)
	ctx := t.Context()
	vault := keyvaultv1connect.NewKeyVaultServiceClient(http.DefaultClient, url, as(adminToken))
	key := func(models ...string) string {
		res, err := vault.CreateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
			Name: "embed", Owner: &keyvaultv1.KeyOwner{User: "app"}, Scopes: &keyvaultv1.KeyScopes{Models: models},
		}))
		if err != nil {
			t.Fatalf("CreateVirtualKey: %v", err)
		}
		return res.Msg.GetSecret()
	}
	embed := func(key string) int {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/embeddings", strings.NewReader(`{"model": "demo", "input": "embed me"}`))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := embed(key("other-model")); got != http.StatusForbidden {
		t.Errorf("embeddings with a key scoped to another model: %d, want 403", got)
	}
	if got := embed(key("demo")); got != http.StatusOK {
		t.Fatalf("embeddings with a key scoped to demo: %d, want 200", got)
	}
	var ok, refused int
	eventually(t, "both embedding calls in the call log", func() bool {
		ok, refused = 0, 0
		for _, r := range callLog(t, url) {
			if r.GetOperation() != auditv1.CallOperation_CALL_OPERATION_EMBED || r.GetSurface() != auditv1.Surface_SURFACE_OPENAI {
				t.Fatalf("record %v: want embed operations on the OpenAI surface", r)
			}
			switch {
			case r.GetStatus() == auditv1.CallStatus_CALL_STATUS_SUCCEEDED && r.GetUsage().GetInputTokens() > 0:
				ok++
			case r.GetErrorClass() == mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED:
				refused++
			}
		}
		return ok+refused >= 2
	})
	if ok != 1 || refused != 1 {
		t.Errorf("call log: %d succeeded, %d refused embed records; want 1 and 1", ok, refused)
	}
}

func TestWorkflowCallsAreTagged(t *testing.T) {
	url := startGateway(t)
	ctx := t.Context()
	vk, err := keyvaultv1connect.NewKeyVaultServiceClient(http.DefaultClient, url, as(adminToken)).CreateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
		Name: "run", Owner: &keyvaultv1.KeyOwner{User: "app"}, Scopes: &keyvaultv1.KeyScopes{Models: []string{"demo"}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = routerv1connect.NewRouterServiceClient(http.DefaultClient, url, as(vk.Msg.GetSecret())).Generate(ctx, connect.NewRequest(&routerv1.GenerateRequest{
		Request: &mcpv1.Request{Model: "demo", Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: "step"}}}}},
			Options: &mcpv1.RequestOptions{Metadata: map[string]string{"run_id": "run_123", "step_id": "draft"}}},
	}))
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	var recs []*auditv1.CallRecord
	eventually(t, "the call in the call log", func() bool { recs = callLog(t, url); return len(recs) > 0 })
	if r := recs[0]; len(recs) != 1 || r.GetSurface() != auditv1.Surface_SURFACE_WORKFLOW || r.GetRunId() != "run_123" {
		t.Errorf("call log = %v, want one call on the workflow surface of run_123", recs)
	}
}
