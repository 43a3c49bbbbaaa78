package access

import (
	"testing"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
)

func TestResourceType(t *testing.T) {
	for procedure, want := range map[string]string{
		"/manifold.router.v1.RouterService/PutRoute":             "route",
		"/manifold.keyvault.v1.KeyVaultService/RevokeVirtualKey": "virtual_key",
		"/manifold.keyvault.v1.KeyVaultService/RotateMasterKey":  "master_key",
		"/manifold.prompts.v1.PromptService/SetLabel":            "label",
		"/manifold.router.v1.RouterService/PurgeCache":           "cache",
	} {
		if got := resourceType(procedure); got != want {
			t.Errorf("resourceType(%s) = %q, want %q", procedure, got, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, c := range []struct {
		name        string
		id, comment string
		got         func() (string, string)
	}{
		{"a string id field and a reason", "vk_1", "leaked", func() (string, string) {
			return describe((&keyvaultv1.RevokeVirtualKeyRequest{KeyId: "vk_1", Reason: "leaked"}).ProtoReflect())
		}},
		{"a name field", "greeting", "", func() (string, string) {
			return describe((&promptsv1.DeletePromptRequest{Name: "greeting"}).ProtoReflect())
		}},
		{"the name of a message field", "support", "", func() (string, string) {
			return describe((&routerv1.PutRouteRequest{Route: &routerv1.Route{Name: "support"}}).ProtoReflect())
		}},
		{"the model of a price", "gpt-4o", "", func() (string, string) {
			return describe((&quotav1.PutPriceRequest{Price: &quotav1.Price{Model: "gpt-4o"}}).ProtoReflect())
		}},
		{"the id of a budget", "team-monthly", "", func() (string, string) {
			return describe((&quotav1.PutBudgetRequest{Budget: &quotav1.Budget{Id: "team-monthly"}}).ProtoReflect())
		}},
		{"the id of a rate limit", "docs-rpm", "", func() (string, string) {
			return describe((&quotav1.PutRateLimitRequest{RateLimit: &quotav1.RateLimit{Id: "docs-rpm"}}).ProtoReflect())
		}},
		{"the name of a credential", "openai-1", "", func() (string, string) {
			return describe((&keyvaultv1.PutCredentialRequest{Credential: &keyvaultv1.ProviderCredential{Name: "openai-1"}}).ProtoReflect())
		}},
	} {
		id, comment := c.got()
		if id != c.id || comment != c.comment {
			t.Errorf("%s: describe = %q, %q; want %q, %q", c.name, id, comment, c.id, c.comment)
		}
	}
}
