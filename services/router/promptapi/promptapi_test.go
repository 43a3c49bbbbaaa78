package promptapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
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
	"github.com/manifoldgw/manifold/services/router/promptapi"
	"github.com/manifoldgw/manifold/services/router/promptcache"
)

// keys stands in for the key vault's cache: secrets to callers.
type keys map[string]*router.Caller

func (k keys) Authenticate(_ context.Context, secret string) (*router.Caller, error) {
	if c, ok := k[secret]; ok {
		return c, nil
	}
	return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, "invalid API key")
}

var testKeys = keys{
	"sk-scoped":   {KeyID: "key-scoped", PromptAPIs: []string{"summarize"}},
	"sk-wildcard": {KeyID: "key-wild", PromptAPIs: []string{"sum*"}},
	"sk-other":    {KeyID: "key-other", PromptAPIs: []string{"translate"}},
	"sk-noscope":  {KeyID: "key-noscope"},
}

// gateway is a prompt registry on a real database, and a router (demo
// model, prompt cache fed by the registry's watch) serving the prompt APIs
// over real HTTP.
type gateway struct {
	registry promptsv1connect.PromptServiceClient
	cache    *promptcache.Cache
	url      string // the router's base URL
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newGateway(t *testing.T, d promptstest.Driver) *gateway {
	t.Helper()
	regURL := promptstest.Serve(t, d.Open(t), prompts.DefaultConfig())
	cache := promptcache.New(dial.Target{BaseURL: regURL, Client: http.DefaultClient}, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); cache.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	svc := router.New(router.DefaultConfig(), quiet())
	svc.Use(router.Hooks{Auth: testKeys, Prompts: cache})
	mux := http.NewServeMux()
	mux.Handle(promptapi.Pattern, promptapi.New(svc, cache, "", quiet()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	g := &gateway{registry: promptsv1connect.NewPromptServiceClient(http.DefaultClient, regURL), cache: cache, url: srv.URL}
	g.waitFor(t, "the first snapshot", cache.Ready)
	return g
}

// waitFor waits until cond holds, re-checking at every change of the
// router's cache (no sleeping). The bound is far above the one-second
// propagation target, so that a loaded machine does not fail the test.
func (g *gateway) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		changed := g.cache.Changed()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s to reach the router", what)
		}
	}
}

// servesVersion reports whether the router's cache renders name@label as
// version.
func (g *gateway) servesVersion(name, label string, version int32) func() bool {
	return func() bool {
		_, _, v, err := g.cache.Render(context.Background(), nil, &mcpv1.Request{Prompt: &mcpv1.PromptRef{
			Name: name, Selector: &mcpv1.PromptRef_Label{Label: label},
			Variables: &structpb.Struct{Fields: map[string]*structpb.Value{"text": structpb.NewStringValue("x")}},
		}})
		return err == nil && v == version
	}
}

func (g *gateway) published(slug string, want bool) func() bool {
	return func() bool { _, ok := g.cache.Publication(slug); return ok == want }
}

func tmpl(s string) *promptsv1.PromptTemplate {
	return &promptsv1.PromptTemplate{
		Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: s}}}}},
		Defaults: &promptsv1.RequestDefaults{Model: "demo"},
	}
}

// must fails the test when a registry call fails: must(t)(client.X(...)).
func must(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("registry call: %v", err)
		}
	}
}

// call posts body to /apis/{slug} with key, like curl would.
func (g *gateway) call(t *testing.T, slug, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, g.url+"/apis/"+slug, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /apis/%s: %v", slug, err)
	}
	defer func() { _ = res.Body.Close() }()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("POST /apis/%s: status %d, body is not JSON: %v", slug, res.StatusCode, err)
	}
	// Every answer, refusals included, carries a request id, as the
	// OpenAI- and Anthropic-compatible surfaces' do.
	if id := res.Header.Get("X-Request-Id"); !strings.HasPrefix(id, "req_") {
		t.Errorf("POST /apis/%s: X-Request-Id %q, want req_…", slug, id)
	}
	return res.StatusCode, out
}

func errorOf(body map[string]any) (typ, field string) {
	e, _ := body["error"].(map[string]any)
	typ, _ = e["type"].(string)
	field, _ = e["field"].(string)
	return typ, field
}

func promptVersion(body map[string]any) int {
	p, _ := body["prompt"].(map[string]any)
	v, _ := p["version"].(float64)
	return int(v)
}

func forEachDriver(t *testing.T, fn func(t *testing.T, g *gateway)) {
	for _, d := range promptstest.Drivers {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, newGateway(t, d))
		})
	}
}

// publishSummarize creates the prompt "summarize" (v1, production) with a
// variables schema and publishes it at /apis/summarize.
func publishSummarize(t *testing.T, g *gateway, streaming bool) {
	t.Helper()
	tp := tmpl("Summarize: {{text}}")
	schema, err := structpb.NewStruct(map[string]any{
		"type": "object", "required": []any{"text"},
		"properties": map[string]any{"text": map[string]any{"type": "string", "minLength": 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tp.VariablesSchema = schema
	must(t)(g.registry.CreatePrompt(t.Context(), connect.NewRequest(&promptsv1.CreatePromptRequest{
		Name: "summarize", Template: tp, Labels: []string{"production"}, Description: "Summaries of text",
	})))
	must(t)(g.registry.PublishPrompt(t.Context(), connect.NewRequest(&promptsv1.PublishPromptRequest{
		Slug: "summarize", PromptName: "summarize", Label: "production", AllowStreaming: streaming,
	})))
	g.waitFor(t, "the publication", g.published("summarize", true))
}

func TestPublishedPromptAnswersScopedKeysOnly(t *testing.T) {
	forEachDriver(t, func(t *testing.T, g *gateway) {
		publishSummarize(t, g, false)

		for _, key := range []string{"sk-scoped", "sk-wildcard"} {
			status, body := g.call(t, "summarize", key, `{"text": "the quarterly report"}`)
			if status != http.StatusOK {
				t.Fatalf("%s: status %d %v, want 200", key, status, body)
			}
			if out, _ := body["output"].(string); out != "Hello from Manifold's demo model. You said: Summarize: the quarterly report" {
				t.Errorf("%s: output %q", key, out)
			}
			if promptVersion(body) != 1 {
				t.Errorf("%s: prompt %v, want version 1", key, body["prompt"])
			}
			u, _ := body["usage"].(map[string]any)
			if in, _ := u["input_tokens"].(float64); in <= 0 {
				t.Errorf("%s: usage %v lacks input tokens", key, u)
			}
			if _, ok := body["cost_micros"].(float64); !ok {
				t.Errorf("%s: no cost_micros in %v", key, body)
			}
		}
		for key, want := range map[string]int{"sk-other": 403, "sk-noscope": 403, "": 401, "sk-unknown": 401} {
			status, body := g.call(t, "summarize", key, `{"text": "x"}`)
			if status != want {
				t.Errorf("key %q: status %d %v, want %d", key, status, body, want)
			}
		}

		// Variables: missing, ill-typed, not an object; a placeholder in a
		// value is sent literally.
		for body, field := range map[string]string{`{}`: "variables.text", `{"text": 42}`: "variables.text", `{"text": ""}`: "variables.text", `[1]`: "variables"} {
			status, res := g.call(t, "summarize", "sk-scoped", body)
			if typ, f := errorOf(res); status != http.StatusBadRequest || f != field || typ != "invalid_request" {
				t.Errorf("body %s: status %d, error %v; want 400 naming %s", body, status, res, field)
			}
		}
		status, res := g.call(t, "summarize", "sk-scoped", `{"text": "{{other}} and {{text}}"}`)
		if out, _ := res["output"].(string); status != 200 || !strings.HasSuffix(out, "Summarize: {{other}} and {{text}}") {
			t.Errorf("placeholder in a value: status %d output %q", status, out)
		}
		// A stream parameter that is neither true nor false is refused.
		status, res = g.call(t, "summarize?stream=maybe", "sk-scoped", `{"text": "x"}`)
		if _, f := errorOf(res); status != 400 || f != "stream" {
			t.Errorf("stream=maybe: status %d %v, want 400 naming stream", status, res)
		}
		// Streaming is refused unless the publication allows it.
		status, res = g.call(t, "summarize?stream=true", "sk-scoped", `{"text": "x"}`)
		if _, f := errorOf(res); status != 400 || f != "stream" {
			t.Errorf("stream on a non-streaming API: %d %v", status, res)
		}

		// Unpublishing removes the endpoint.
		must(t)(g.registry.UnpublishPrompt(t.Context(), connect.NewRequest(&promptsv1.UnpublishPromptRequest{Slug: "summarize"})))
		g.waitFor(t, "the unpublish", g.published("summarize", false))
		if status, res := g.call(t, "summarize", "sk-scoped", `{"text": "x"}`); status != http.StatusNotFound {
			t.Errorf("after unpublish: status %d %v, want 404", status, res)
		}
	})
}

func TestRollbackServesTheOlderVersionNextCall(t *testing.T) {
	forEachDriver(t, func(t *testing.T, g *gateway) {
		publishSummarize(t, g, false)
		up, err := g.registry.UpdatePrompt(t.Context(), connect.NewRequest(&promptsv1.UpdatePromptRequest{
			Name: "summarize", Template: tmpl("Summarize briefly: {{text}}"), Labels: []string{"production"},
		}))
		if err != nil || up.Msg.GetVersion().GetVersion() != 2 {
			t.Fatalf("update made v%d, want v2", up.Msg.GetVersion().GetVersion())
		}
		g.waitFor(t, "production -> v2", g.servesVersion("summarize", "production", 2))
		status, body := g.call(t, "summarize", "sk-scoped", `{"text": "a"}`)
		if out, _ := body["output"].(string); status != 200 || promptVersion(body) != 2 || !strings.HasSuffix(out, "Summarize briefly: a") {
			t.Fatalf("v2 call: %d %v", status, body)
		}
		must(t)(g.registry.SetLabel(t.Context(), connect.NewRequest(&promptsv1.SetLabelRequest{
			Name: "summarize", Label: "production", Targets: []*promptsv1.LabelTarget{{Version: 1}},
		})))
		g.waitFor(t, "production -> v1", g.servesVersion("summarize", "production", 1))
		status, body = g.call(t, "summarize", "sk-scoped", `{"text": "a"}`)
		if out, _ := body["output"].(string); status != 200 || promptVersion(body) != 1 || !strings.HasSuffix(out, "You said: Summarize: a") {
			t.Fatalf("after rollback: %d %v, want version 1's text", status, body)
		}
	})
}

func TestSplitUsesBothVersions(t *testing.T) {
	forEachDriver(t, func(t *testing.T, g *gateway) {
		publishSummarize(t, g, false)
		must(t)(g.registry.UpdatePrompt(t.Context(), connect.NewRequest(&promptsv1.UpdatePromptRequest{Name: "summarize", Template: tmpl("B: {{text}}")})))
		must(t)(g.registry.SetLabel(t.Context(), connect.NewRequest(&promptsv1.SetLabelRequest{
			Name: "summarize", Label: "production", Targets: []*promptsv1.LabelTarget{{Version: 1, Weight: 50}, {Version: 2, Weight: 50}},
		})))
		g.waitFor(t, "the split", func() bool { return len(g.cache.Label("summarize", "production").GetTargets()) == 2 })
		const calls = 200
		counts := map[int]int{}
		for range calls {
			status, body := g.call(t, "summarize", "sk-scoped", `{"text": "t"}`)
			if status != 200 {
				t.Fatalf("call: %d %v", status, body)
			}
			counts[promptVersion(body)]++
		}
		if counts[1]+counts[2] != calls {
			t.Fatalf("versions used: %v", counts)
		}
		for v := 1; v <= 2; v++ {
			if share := float64(counts[v]) / calls; share < 0.35 || share > 0.65 {
				t.Errorf("version %d served %d of %d calls (%.0f%%), want 35%%..65%%", v, counts[v], calls, share*100)
			}
		}
	})
}

func TestStreamingAnswer(t *testing.T) {
	forEachDriver(t, func(t *testing.T, g *gateway) {
		publishSummarize(t, g, true)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, g.url+"/apis/summarize?stream=true", strings.NewReader(`{"text": "stream me"}`))
		req.Header.Set("Authorization", "Bearer sk-scoped")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = res.Body.Close() }()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("status %d, content type %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		var text strings.Builder
		var done map[string]any
		deltas := 0
		event := ""
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				var data map[string]any
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &data); err != nil {
					t.Fatalf("event %s: bad data %q", event, line)
				}
				switch event {
				case "delta":
					deltas++
					s, _ := data["text"].(string)
					text.WriteString(s)
				case "done":
					done = data
				default:
					t.Fatalf("unexpected event %s %v", event, data)
				}
			}
		}
		want := "Hello from Manifold's demo model. You said: Summarize: stream me"
		if deltas < 2 || text.String() != want {
			t.Errorf("%d deltas, text %q; want several making %q", deltas, text.String(), want)
		}
		if out, _ := done["output"].(string); out != want || promptVersion(done) != 1 {
			t.Errorf("done event %v", done)
		}
	})
}

func TestJSONOutputIsParsed(t *testing.T) {
	forEachDriver(t, func(t *testing.T, g *gateway) {
		tp := tmpl("Extract {{text}}")
		schema, _ := structpb.NewStruct(map[string]any{"type": "object", "properties": map[string]any{"answer": map[string]any{"type": "string"}}})
		tp.Defaults.ResponseFormat = &mcpv1.ResponseFormat{
			Type:       mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
			JsonSchema: &mcpv1.JsonSchema{Name: "extraction", Schema: schema},
		}
		must(t)(g.registry.CreatePrompt(t.Context(), connect.NewRequest(&promptsv1.CreatePromptRequest{Name: "extract", Template: tp, Labels: []string{"production"}})))
		must(t)(g.registry.PublishPrompt(t.Context(), connect.NewRequest(&promptsv1.PublishPromptRequest{Slug: "summarize-json", PromptName: "extract", Label: "production"})))
		g.waitFor(t, "the publication", g.published("summarize-json", true))
		status, body := g.call(t, "summarize-json", "sk-wildcard", `{"text": "names"}`)
		out, ok := body["output"].(map[string]any)
		if status != 200 || !ok || out["answer"] != "Hello from Manifold's demo model. You said: Extract names" {
			t.Errorf("status %d, output %#v; want the parsed JSON object", status, body["output"])
		}
	})
}
