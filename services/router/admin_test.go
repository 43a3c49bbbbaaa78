package router_test

import (
	"testing"
	"time"

	"connectrpc.com/connect"

	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	openaiemu "github.com/manifoldgw/manifold/services/internal/emulator/openai"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/demo"
)

func putRoute(t *testing.T, c routerClient, r *routerv1.Route) (*routerv1.Route, error) {
	t.Helper()
	res, err := c.PutRoute(t.Context(), connect.NewRequest(&routerv1.PutRouteRequest{Route: r}))
	if err != nil {
		return nil, err
	}
	return res.Msg.GetRoute(), nil
}

func routeNames(t *testing.T, c routerClient) []string {
	t.Helper()
	res, err := c.ListRoutes(t.Context(), connect.NewRequest(&routerv1.ListRoutesRequest{}))
	if err != nil {
		t.Fatalf("ListRoutes: %v", err)
	}
	var names []string
	for _, r := range res.Msg.GetRoutes() {
		names = append(names, r.GetName())
	}
	return names
}

func wantCode(t *testing.T, what string, err error, want connect.Code) {
	t.Helper()
	if err == nil {
		t.Errorf("%s succeeded, want %v", what, want)
		return
	}
	if got, _ := connectError(t, err); got != want {
		t.Errorf("%s: %v, want %v", what, err, want)
	}
}

func TestAdmin(t *testing.T) {
	up := startUpstream(t, "openai", routerv1.ProviderKind_PROVIDER_KIND_OPENAI, openaiemu.New())
	// Only the credentials come from configuration; the rest is added at
	// run time.
	c := serve(t, newService(t, router.Spec{Credentials: up.creds}))
	ctx := t.Context()

	if _, err := c.PutProvider(ctx, connect.NewRequest(&routerv1.PutProviderRequest{Provider: up.provider})); err != nil {
		t.Fatalf("PutProvider: %v", err)
	}
	if _, err := c.PutModel(ctx, connect.NewRequest(&routerv1.PutModelRequest{Model: up.model})); err != nil {
		t.Fatalf("PutModel: %v", err)
	}
	live := &routerv1.Route{Name: "live", Targets: []*routerv1.Target{{Model: "openai-model"}}}
	stored, err := putRoute(t, c, live)
	if err != nil {
		t.Fatalf("PutRoute: %v", err)
	}
	if stored.GetUpdatedAt() == nil {
		t.Error("PutRoute returned no updated_at")
	}
	res := mustGenerate(t, c, ask("live", "New route."))
	if res.GetMetadata().GetRoute() != "live" || res.GetMetadata().GetProvider() != "openai" || len(up.Requests()) != 1 {
		t.Errorf("metadata = %v with %d emulator requests, want route live served by openai", res.GetMetadata(), len(up.Requests()))
	}
	got, err := c.GetRoute(ctx, connect.NewRequest(&routerv1.GetRouteRequest{Name: "live"}))
	if err != nil || got.Msg.GetRoute().GetTargets()[0].GetModel() != "openai-model" {
		t.Errorf("GetRoute = %v, %v", got, err)
	}
	models, err := c.ListModels(ctx, connect.NewRequest(&routerv1.ListModelsRequest{}))
	if err != nil || len(models.Msg.GetRoutes()) != 1 || models.Msg.GetRoutes()[0] != "live" || len(models.Msg.GetModels()) != 2 {
		t.Errorf("ListModels = %v, %v; want the demo and openai models and route live", models, err)
	}

	t.Run("invalid changes change nothing", func(t *testing.T) {
		_, err := putRoute(t, c, &routerv1.Route{Name: "broken", Targets: []*routerv1.Target{{Model: "nope"}}})
		wantCode(t, "PutRoute to an unknown model", err, connect.CodeInvalidArgument)
		_, err = c.GetRoute(ctx, connect.NewRequest(&routerv1.GetRouteRequest{Name: "broken"}))
		wantCode(t, "GetRoute of the rejected route", err, connect.CodeNotFound)

		_, err = putRoute(t, c, &routerv1.Route{Name: "live", Targets: []*routerv1.Target{{Model: "nope"}}})
		wantCode(t, "PutRoute replacing live with an unknown model", err, connect.CodeInvalidArgument)
		if res := mustGenerate(t, c, ask("live", "Still here?")); answer(res) != "Echo: Still here?" {
			t.Errorf("live answers %q after a rejected change", answer(res))
		}

		_, err = c.PutModel(ctx, connect.NewRequest(&routerv1.PutModelRequest{Model: &routerv1.Model{Name: "orphan", Provider: "nobody"}}))
		wantCode(t, "PutModel on an unknown provider", err, connect.CodeInvalidArgument)
		_, err = c.DeleteModel(ctx, connect.NewRequest(&routerv1.DeleteModelRequest{Name: "openai-model"}))
		wantCode(t, "DeleteModel of a model a route uses", err, connect.CodeInvalidArgument)
		_, err = c.DeleteProvider(ctx, connect.NewRequest(&routerv1.DeleteProviderRequest{Name: "openai"}))
		wantCode(t, "DeleteProvider of a provider a model uses", err, connect.CodeInvalidArgument)
		_, err = c.PutModel(ctx, connect.NewRequest(&routerv1.PutModelRequest{Model: &routerv1.Model{Name: demo.Model, Provider: "openai"}}))
		wantCode(t, "PutModel replacing the demo model", err, connect.CodeInvalidArgument)
		_, err = putRoute(t, c, &routerv1.Route{Name: "bad name!", Targets: []*routerv1.Target{{Model: "openai-model"}}})
		wantCode(t, "PutRoute with an invalid name", err, connect.CodeInvalidArgument)

		if names := routeNames(t, c); len(names) != 1 || names[0] != "live" {
			t.Errorf("routes = %v, want only live", names)
		}
		if res := mustGenerate(t, c, ask("openai-model", "Model still here?")); res.GetMetadata().GetProvider() != "openai" {
			t.Errorf("openai-model served by %q", res.GetMetadata().GetProvider())
		}
	})

	t.Run("delete", func(t *testing.T) {
		if _, err := c.DeleteRoute(ctx, connect.NewRequest(&routerv1.DeleteRouteRequest{Name: "live"})); err != nil {
			t.Fatalf("DeleteRoute: %v", err)
		}
		_, err := generate(t, c, ask("live", "Gone?"))
		wantCode(t, "Generate on a deleted route", err, connect.CodeNotFound)
		_, err = c.DeleteRoute(ctx, connect.NewRequest(&routerv1.DeleteRouteRequest{Name: "live"}))
		wantCode(t, "DeleteRoute twice", err, connect.CodeNotFound)
		// With no route left, the model and then the provider can go.
		if _, err := c.DeleteModel(ctx, connect.NewRequest(&routerv1.DeleteModelRequest{Name: "openai-model"})); err != nil {
			t.Fatalf("DeleteModel: %v", err)
		}
		if _, err := c.DeleteProvider(ctx, connect.NewRequest(&routerv1.DeleteProviderRequest{Name: "openai"})); err != nil {
			t.Fatalf("DeleteProvider: %v", err)
		}
		_, err = c.GetProvider(ctx, connect.NewRequest(&routerv1.GetProviderRequest{Name: "openai"}))
		wantCode(t, "GetProvider after delete", err, connect.CodeNotFound)
	})
}

// eventually polls cond every 20ms for up to 5s: replicas pick up changes
// from the store's change feed, so they arrive after a short while.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("%s: not within 5s", what)
		}
	}
}

func TestReplicas(t *testing.T) {
	for _, driver := range []struct {
		name string
		// open returns a new handle on the test's one database.
		open func(t *testing.T) func() *storage.DB
	}{
		{"sqlite", func(t *testing.T) func() *storage.DB {
			dir := t.TempDir()
			return func() *storage.DB { return openSQLite(t, dir) }
		}},
		{"postgres", func(t *testing.T) func() *storage.DB {
			dbURL := postgresSchema(t)
			return func() *storage.DB { return openPostgres(t, dbURL) }
		}},
	} {
		t.Run(driver.name, func(t *testing.T) {
			open := driver.open(t)
			up := startUpstream(t, "openai", routerv1.ProviderKind_PROVIDER_KIND_OPENAI, openaiemu.New())
			cfg := router.DefaultConfig()
			cfg.Catalog = spec([]*upstream{up})
			replica := func() routerClient {
				t.Helper()
				svc := router.New(cfg, quietLogger())
				if err := svc.Attach(t.Context(), open().Documents()); err != nil {
					t.Fatalf("Attach: %v", err)
				}
				return serve(t, svc)
			}
			a, b := replica(), replica()

			_, err := generate(t, b, ask("shared", "Not yet."))
			wantCode(t, "Generate on B before the route exists", err, connect.CodeNotFound)

			mini := &routerv1.Model{Name: "openai-mini", Provider: "openai", UpstreamModel: "gpt-4.1"}
			if _, err := a.PutModel(t.Context(), connect.NewRequest(&routerv1.PutModelRequest{Model: mini})); err != nil {
				t.Fatalf("PutModel on A: %v", err)
			}
			if _, err := putRoute(t, a, &routerv1.Route{Name: "shared", Targets: []*routerv1.Target{{Model: "openai-mini"}}}); err != nil {
				t.Fatalf("PutRoute on A: %v", err)
			}
			var res *connect.Response[routerv1.GenerateResponse]
			eventually(t, "route put on A usable on B", func() bool {
				res, err = b.Generate(t.Context(), connect.NewRequest(&routerv1.GenerateRequest{Request: ask("shared", "Hello from B.")}))
				return err == nil
			})
			if md := res.Msg.GetResponse().GetMetadata(); md.GetRoute() != "shared" || md.GetModel() != "gpt-4.1" {
				t.Errorf("B served %v, want route shared on gpt-4.1", md)
			}

			// A replica started later loads the change from the store.
			c := replica()
			if res := mustGenerate(t, c, ask("shared", "Hello after restart.")); res.GetMetadata().GetModel() != "gpt-4.1" {
				t.Errorf("restarted replica served %v", res.GetMetadata())
			}

			// Deletes travel too, the other way.
			if _, err := b.DeleteRoute(t.Context(), connect.NewRequest(&routerv1.DeleteRouteRequest{Name: "shared"})); err != nil {
				t.Fatalf("DeleteRoute on B: %v", err)
			}
			eventually(t, "route deleted on B gone from A", func() bool {
				_, err := generate(t, a, ask("shared", "Gone?"))
				return connect.CodeOf(err) == connect.CodeNotFound
			})
			d := replica()
			for _, name := range routeNames(t, d) {
				if name == "shared" {
					t.Error("a replica started after the delete still has the route")
				}
			}
		})
	}
}
