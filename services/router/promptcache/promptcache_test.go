package promptcache_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1/promptsv1connect"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/dial"
	"github.com/manifoldgw/manifold/services/prompts"
	"github.com/manifoldgw/manifold/services/prompts/promptstest"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/promptcache"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// replica starts a cache watching the registry at url until the test ends.
func replica(t *testing.T, url string) *promptcache.Cache {
	t.Helper()
	c := promptcache.New(dial.Target{BaseURL: url, Client: http.DefaultClient}, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return c
}

// waitFor waits until cond holds, re-checking at every change of the cache
// (no sleeping). The bound is generous so that a loaded machine does not
// fail the test; the mechanism (in-process wake-up, or a poll every
// prompts.watch-poll across processes) is what keeps propagation under a
// second.
func waitFor(t *testing.T, c *promptcache.Cache, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		changed := c.Changed()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// field is the field an error names; "" for nil.
func field(err error) string {
	if err == nil {
		return ""
	}
	return apierror.As(err).Field
}

func tmpl(s string) *promptsv1.PromptTemplate {
	return &promptsv1.PromptTemplate{
		Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_SYSTEM, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: s}}}}},
		Defaults: &promptsv1.RequestDefaults{Model: "demo", Sampling: &mcpv1.SamplingParams{Temperature: new(0.25)}},
	}
}

func ref(name string, sel any, v map[string]any) *mcpv1.Request {
	vars, _ := structpb.NewStruct(v)
	r := &mcpv1.Request{
		Prompt:   &mcpv1.PromptRef{Name: name, Variables: vars},
		Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: "hi"}}}}},
	}
	switch s := sel.(type) {
	case string:
		r.Prompt.Selector = &mcpv1.PromptRef_Label{Label: s}
	case int32:
		r.Prompt.Selector = &mcpv1.PromptRef_Version{Version: s}
	}
	return r
}

// renders reports whether c renders name@label as version.
func renders(c *promptcache.Cache, name, label string, version int32) func() bool {
	return func() bool {
		_, _, v, err := c.Render(context.Background(), nil, ref(name, label, map[string]any{"who": "x"}))
		return err == nil && v == version
	}
}

func TestChangesReachEveryReplica(t *testing.T) {
	for _, d := range promptstest.Drivers {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			db := d.Open(t)
			// Two registry processes on one database: a write through one
			// reaches watchers of the other through the change log.
			urlA := promptstest.Serve(t, db, prompts.DefaultConfig())
			urlB := promptstest.Serve(t, db, prompts.DefaultConfig())
			reg := promptsv1connect.NewPromptServiceClient(http.DefaultClient, urlA)
			if _, err := reg.CreatePrompt(t.Context(), connect.NewRequest(&promptsv1.CreatePromptRequest{
				Name: "greet", Template: tmpl("Greet {{who}} (v1)"), Labels: []string{"production"},
			})); err != nil {
				t.Fatalf("CreatePrompt: %v", err)
			}
			replicas := []*promptcache.Cache{replica(t, urlA), replica(t, urlB)}
			for _, c := range replicas {
				waitFor(t, c, "the snapshot", renders(c, "greet", "production", 1))
			}
			// Render from the cache: the prompt's messages first, its
			// defaults under the request's own fields.
			out, name, v, err := replicas[1].Render(t.Context(), nil, ref("greet", nil, map[string]any{"who": "Ada"}))
			if err != nil || name != "greet" || v != 1 {
				t.Fatalf("Render = %s v%d, %v", name, v, err)
			}
			if len(out.GetMessages()) != 2 || out.GetMessages()[0].GetContent()[0].GetText() != "Greet Ada (v1)" ||
				out.GetModel() != "demo" || out.GetSampling().GetTemperature() != 0.25 || out.GetPrompt() != nil {
				t.Errorf("rendered request = %v", out)
			}

			// A new version moved to production, a publication, a delete:
			// every replica follows.
			if _, err := reg.UpdatePrompt(t.Context(), connect.NewRequest(&promptsv1.UpdatePromptRequest{
				Name: "greet", Template: tmpl("Greet {{who}} (v2)"), Labels: []string{"production"},
			})); err != nil {
				t.Fatalf("UpdatePrompt: %v", err)
			}
			if _, err := reg.PublishPrompt(t.Context(), connect.NewRequest(&promptsv1.PublishPromptRequest{Slug: "greet", PromptName: "greet", Label: "production"})); err != nil {
				t.Fatalf("PublishPrompt: %v", err)
			}
			for i, c := range replicas {
				waitFor(t, c, "production -> v2", renders(c, "greet", "production", 2))
				waitFor(t, c, "the publication", func() bool { _, ok := c.Publication("greet"); return ok })
				// v1 is no longer labeled: asked for by number it is fetched
				// once from the registry.
				if _, _, v, err := c.Render(t.Context(), nil, ref("greet", int32(1), map[string]any{"who": "x"})); err != nil || v != 1 {
					t.Errorf("replica %d: render v1 by number = v%d, %v", i, v, err)
				}
				if _, _, _, err := c.Render(t.Context(), nil, ref("greet", int32(7), map[string]any{"who": "x"})); field(err) != "request.prompt.version" {
					t.Errorf("replica %d: render of a missing version: %v", i, err)
				}
			}
			if _, err := reg.DeletePrompt(t.Context(), connect.NewRequest(&promptsv1.DeletePromptRequest{Name: "greet", Force: true})); err != nil {
				t.Fatalf("DeletePrompt: %v", err)
			}
			for _, c := range replicas {
				waitFor(t, c, "the delete", func() bool {
					_, published := c.Publication("greet")
					_, _, _, err := c.Render(context.Background(), nil, ref("greet", nil, map[string]any{"who": "x"}))
					return !published && field(err) == "request.prompt.name"
				})
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	db := promptstest.OpenSQLite(t)
	url := promptstest.Serve(t, db, prompts.DefaultConfig())
	c := replica(t, url)
	reg := promptsv1connect.NewPromptServiceClient(http.DefaultClient, url)
	if _, err := reg.CreatePrompt(t.Context(), connect.NewRequest(&promptsv1.CreatePromptRequest{
		Name: "greet", Template: tmpl("Greet {{who}}"), Labels: []string{"production"},
	})); err != nil {
		t.Fatalf("CreatePrompt: %v", err)
	}
	waitFor(t, c, "the prompt", renders(c, "greet", "production", 1))
	for _, tc := range []struct {
		name  string
		req   *mcpv1.Request
		class mcpv1.ErrorClass
		field string
	}{
		{"missing variable", ref("greet", nil, nil), mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "variables.who"},
		{"unknown prompt", ref("nope", nil, nil), mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "request.prompt.name"},
		{"unknown label", ref("greet", "staging", map[string]any{"who": "x"}), mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "request.prompt.label"},
	} {
		_, _, _, err := c.Render(t.Context(), &router.Caller{KeyID: "k"}, tc.req)
		if e := apierror.As(err); e == nil || e.Class != tc.class || e.Field != tc.field {
			t.Errorf("%s: error %v, want class %s field %s", tc.name, err, tc.class, tc.field)
		}
	}
}
