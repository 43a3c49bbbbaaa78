package cli_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"

	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	"github.com/manifoldgw/manifold/services/internal/cli"
)

// TestModelList checks who sees which models: the model list needs a key,
// a virtual key sees the models its scopes allow (OpenAI surface and
// Connect), an admin the whole catalog.
func TestModelList(t *testing.T) {
	gw := startGateway(t, "--auth.required=true", "--admin-token", testAdminToken)
	key := func(models string) string {
		t.Helper()
		code, out, errOut := manifoldEnv(t, nil, "keys", "create", "--name", "k-"+models, "--user", "me", "--models", models,
			"--server", gw.url, "--token", testAdminToken)
		secret := ""
		for line := range strings.Lines(out) {
			if s, ok := strings.CutPrefix(strings.TrimSpace(line), "secret: "); ok {
				secret = s
			}
		}
		if code != cli.ExitOK || secret == "" {
			t.Fatalf("keys create: exit %d: %s%s", code, out, errOut)
		}
		return secret
	}
	demoKey, otherKey := key("demo"), key("other-*")

	list := func(path, secret string) (int, []string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, gw.url+path, nil)
		if secret != "" {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var l struct {
			Data []struct{ ID string }
			ID   string
		}
		_ = json.Unmarshal(b, &l)
		var ids []string
		for _, m := range l.Data {
			ids = append(ids, m.ID)
		}
		if l.ID != "" {
			ids = append(ids, l.ID)
		}
		return res.StatusCode, ids
	}
	if code, _ := list("/v1/models", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /v1/models without a key: %d, want 401", code)
	}
	if code, ids := list("/v1/models", demoKey); code != http.StatusOK || !slices.Contains(ids, "demo") {
		t.Errorf("GET /v1/models with a key for demo: %d %v, want 200 with demo", code, ids)
	}
	if code, ids := list("/v1/models", otherKey); code != http.StatusOK || slices.Contains(ids, "demo") {
		t.Errorf("GET /v1/models with a key for other-*: %d %v, want 200 without demo", code, ids)
	}
	if code, _ := list("/v1/models/demo", otherKey); code != http.StatusNotFound {
		t.Errorf("GET /v1/models/demo with a key for other-*: %d, want 404", code)
	}

	c := routerv1connect.NewRouterServiceClient(http.DefaultClient, gw.url)
	models := func(secret string) ([]string, error) {
		req := connect.NewRequest(&routerv1.ListModelsRequest{})
		if secret != "" {
			req.Header().Set("Authorization", "Bearer "+secret)
		}
		res, err := c.ListModels(t.Context(), req)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, m := range res.Msg.GetModels() {
			names = append(names, m.GetName())
		}
		return names, nil
	}
	if _, err := models(""); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Errorf("ListModels without a key: %v, want unauthenticated", err)
	}
	if names, err := models(otherKey); err != nil || slices.Contains(names, "demo") {
		t.Errorf("ListModels with a key for other-*: %v %v, want no demo", names, err)
	}
	if names, err := models(demoKey); err != nil || !slices.Contains(names, "demo") {
		t.Errorf("ListModels with a key for demo: %v %v, want demo", names, err)
	}
	if names, err := models(testAdminToken); err != nil || !slices.Contains(names, "demo") {
		t.Errorf("ListModels with the admin token: %v %v, want the whole catalog", names, err)
	}
	if code, out, errOut := manifoldEnv(t, nil, "models", "list", "--server", gw.url, "--token", testAdminToken); code != cli.ExitOK || !strings.Contains(out, "demo") {
		t.Errorf("manifold models list: exit %d: %s%s", code, out, errOut)
	}
}
