package app_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1/promptsv1connect"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	"github.com/manifoldgw/manifold/services/internal/app"
	"github.com/manifoldgw/manifold/services/internal/gatewaytest"
)

const adminToken = "app-test-bootstrap-admin-token"

// startGateway runs every service in one process, keys required, until the
// test ends.
func startGateway(t *testing.T) string {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.Router.DemoTokenDelay = 0
	cfg.KeyVault.AdminToken = adminToken
	return "http://" + gatewaytest.Run(t, cfg)
}

// as makes a generated client send token as its bearer (none when empty).
func as(token string) connect.ClientOption {
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if token != "" {
				req.Header().Set("Authorization", "Bearer "+token)
			}
			return next(ctx, req)
		}
	}))
}

func code(err error) connect.Code {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Code()
	}
	return 0
}

// TestAdminGuard: every service's admin RPCs check the caller's admin key
// and role, refusals change nothing, model calls take virtual keys, and the
// changes admins make reach the admin-action log with their actor.
func TestAdminGuard(t *testing.T) {
	url := startGateway(t)
	ctx := t.Context()

	vault := keyvaultv1connect.NewKeyVaultServiceClient(http.DefaultClient, url, as(adminToken))
	adminKey := func(role keyvaultv1.AdminRole, user string) string {
		res, err := vault.CreateAdminKey(ctx, connect.NewRequest(&keyvaultv1.CreateAdminKeyRequest{Name: user, Role: role, User: user}))
		if err != nil {
			t.Fatalf("CreateAdminKey %s: %v", role, err)
		}
		return res.Msg.GetSecret()
	}
	viewer := adminKey(keyvaultv1.AdminRole_ADMIN_ROLE_VIEWER, "vera")
	developer := adminKey(keyvaultv1.AdminRole_ADMIN_ROLE_DEVELOPER, "dev")
	admin := adminKey(keyvaultv1.AdminRole_ADMIN_ROLE_ADMIN, "ada")
	vk, err := vault.CreateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
		Name: "app", Owner: &keyvaultv1.KeyOwner{User: "app"}, Scopes: &keyvaultv1.KeyScopes{Models: []string{"demo"}},
	}))
	if err != nil {
		t.Fatalf("CreateVirtualKey: %v", err)
	}
	virtual := vk.Msg.GetSecret()

	prompts := func(token string) promptsv1connect.PromptServiceClient {
		return promptsv1connect.NewPromptServiceClient(http.DefaultClient, url, as(token))
	}
	create := func(token string) error {
		_, err := prompts(token).CreatePrompt(ctx, connect.NewRequest(&promptsv1.CreatePromptRequest{
			Name: "greeting",
			Template: &promptsv1.PromptTemplate{
				Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: "Hello {{name}}"}}}}},
				Defaults: &promptsv1.RequestDefaults{Model: "demo"},
			},
		}))
		return err
	}
	list := func() int {
		res, err := prompts(admin).ListPrompts(ctx, connect.NewRequest(&promptsv1.ListPromptsRequest{}))
		if err != nil {
			t.Fatalf("ListPrompts as admin: %v", err)
		}
		return len(res.Msg.GetPrompts())
	}

	refusals := []struct {
		name string
		call func() error
		want connect.Code
	}{
		{"no key", func() error { return create("") }, connect.CodeUnauthenticated},
		{"unknown key", func() error { return create("mka-not-a-real-key-0000000000000000") }, connect.CodeUnauthenticated},
		{"virtual key", func() error { return create(virtual) }, connect.CodePermissionDenied},
		{"viewer writes", func() error { return create(viewer) }, connect.CodePermissionDenied},
		{"viewer calls an internal RPC", func() error {
			_, err := auditv1connect.NewAuditServiceClient(http.DefaultClient, url, as(viewer)).RecordAdminActions(ctx, connect.NewRequest(&auditv1.RecordAdminActionsRequest{}))
			return err
		}, connect.CodePermissionDenied},
		{"developer purges the router's cache", func() error {
			_, err := routerv1connect.NewRouterServiceClient(http.DefaultClient, url, as(developer)).PurgeCache(ctx, connect.NewRequest(&routerv1.PurgeCacheRequest{}))
			return err
		}, connect.CodePermissionDenied},
	}
	for _, r := range refusals {
		if err := r.call(); code(err) != r.want {
			t.Errorf("%s: got %v, want %v", r.name, err, r.want)
		}
	}
	if n := list(); n != 0 {
		t.Fatalf("after refused writes there are %d prompts, want 0", n)
	}

	// Reads are for any admin key; model calls for virtual keys.
	if _, err := prompts(viewer).ListPrompts(ctx, connect.NewRequest(&promptsv1.ListPromptsRequest{})); err != nil {
		t.Errorf("viewer ListPrompts: %v", err)
	}
	gen, err := routerv1connect.NewRouterServiceClient(http.DefaultClient, url, as(virtual)).Generate(ctx, connect.NewRequest(&routerv1.GenerateRequest{
		Request: &mcpv1.Request{Model: "demo", Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: "hi"}}}}}},
	}))
	if err != nil || gen.Msg.GetResponse() == nil {
		t.Errorf("Generate with a virtual key: %v", err)
	}

	// A developer manages prompts; deleting one takes an admin.
	if err := create(developer); err != nil {
		t.Fatalf("developer CreatePrompt: %v", err)
	}
	got, err := prompts(viewer).GetPrompt(ctx, connect.NewRequest(&promptsv1.GetPromptRequest{Name: "greeting", Selector: &promptsv1.GetPromptRequest_Version{Version: 1}}))
	if err != nil {
		t.Fatalf("GetPrompt: %v", err)
	}
	if a := got.Msg.GetVersion().GetAuthor(); a != "dev" {
		t.Errorf("prompt version author = %q, want the developer's user", a)
	}
	del := func(token string) error {
		_, err := prompts(token).DeletePrompt(ctx, connect.NewRequest(&promptsv1.DeletePromptRequest{Name: "greeting", Force: true}))
		return err
	}
	if err := del(developer); code(err) != connect.CodePermissionDenied {
		t.Errorf("developer DeletePrompt: got %v, want permission_denied", err)
	}
	if n := list(); n != 1 {
		t.Errorf("after a refused delete there are %d prompts, want 1", n)
	}
	if err := del(admin); err != nil {
		t.Fatalf("admin DeletePrompt: %v", err)
	}

	// The admin-action log shows both changes with their actors, and none
	// of the refused calls.
	auditClient := auditv1connect.NewAuditServiceClient(http.DefaultClient, url, as(viewer))
	want := map[string]string{
		promptsv1connect.PromptServiceCreatePromptProcedure: "developer",
		promptsv1connect.PromptServiceDeletePromptProcedure: "admin",
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := auditClient.QueryAdminActions(ctx, connect.NewRequest(&auditv1.QueryAdminActionsRequest{
			Range: &auditv1.TimeRange{Start: timestamppb.New(time.Now().Add(-time.Hour)), End: timestamppb.New(time.Now().Add(time.Hour))},
		}))
		if err != nil {
			t.Fatalf("QueryAdminActions: %v", err)
		}
		got := map[string]*auditv1.AdminAction{}
		created := ""
		for _, a := range res.Msg.GetActions() {
			if a.GetAction() == keyvaultv1connect.KeyVaultServiceCreateVirtualKeyProcedure {
				created = a.GetResourceId()
			}
			if a.GetResourceType() == "prompt" {
				if _, dup := got[a.GetAction()]; dup {
					t.Errorf("action %s recorded twice", a.GetAction())
				}
				got[a.GetAction()] = a
			}
		}
		if len(got) == len(want) {
			// A created key is named by the id it was given, not its name.
			if created != vk.Msg.GetKey().GetId() {
				t.Errorf("CreateVirtualKey recorded resource %q, want the new key's id %q", created, vk.Msg.GetKey().GetId())
			}
			for action, role := range want {
				a := got[action]
				if a == nil || a.GetActor().GetRole() != role || a.GetResourceId() != "greeting" || a.GetActor().GetKind() != auditv1.ActorKind_ACTOR_KIND_ADMIN_KEY {
					t.Errorf("%s: recorded %v, want by role %s on prompt greeting", action, a, role)
				}
			}
			break
		}
		if len(got) > len(want) || time.Now().After(deadline) {
			t.Fatalf("admin actions on prompts: %v, want exactly %v", got, want)
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
