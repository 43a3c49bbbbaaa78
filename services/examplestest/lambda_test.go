package examplestest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1/promptsv1connect"
	"github.com/manifoldgw/manifold/services/internal/gatewaytest"
)

// summarizeTemplate is the published prompt's only message.
const summarizeTemplate = "Summarise this text in one sentence:\n\n{{text}}"

// TestLambdaSummarize builds examples/lambda-summarize into the `bootstrap`
// binary a provided.al2023 Lambda runs, starts it against an emulated
// Lambda Runtime API, and invokes it with API Gateway proxy events; the
// function calls a prompt API published on a running gateway.
func TestLambdaSummarize(t *testing.T) {
	root := repoRoot(t)
	gw := startGateway(t)
	publishSummarize(t, gw)

	bootstrap := filepath.Join(t.TempDir(), "bootstrap")
	runOK(t, root, []string{"CGO_ENABLED=0"}, "go", "build", "-o", bootstrap, "./examples/lambda-summarize")
	rt := startLambda(t, bootstrap,
		"MANIFOLD_URL="+gw.url, "MANIFOLD_PROMPT_API=summarize", "MANIFOLD_API_KEY="+gw.key)

	event, err := os.ReadFile(filepath.Join(root, "examples", "lambda-summarize", "testdata", "event.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sent struct{ Body string }
	if err := json.Unmarshal(event, &sent); err != nil {
		t.Fatalf("testdata/event.json: %v", err)
	}
	var in struct{ Text string }
	if err := json.Unmarshal([]byte(sent.Body), &in); err != nil || in.Text == "" {
		t.Fatalf("testdata/event.json body %q: want {\"text\": ...} (%v)", sent.Body, err)
	}

	t.Run("summary", func(t *testing.T) {
		res := rt.invoke(t, event)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status = %d, want 200; body %s", res.StatusCode, res.Body)
		}
		if ct := res.Headers["Content-Type"]; ct != "application/json" {
			t.Errorf("Content-Type = %q, want application/json", ct)
		}
		var got struct {
			Summary      string `json:"summary"`
			InputTokens  int64  `json:"input_tokens"`
			OutputTokens int64  `json:"output_tokens"`
		}
		if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
			t.Fatalf("body %q: %v", res.Body, err)
		}
		// The demo model echoes the rendered prompt: proof that the
		// published template, not the raw text, reached the model.
		want := demoSaid + strings.ReplaceAll(summarizeTemplate, "{{text}}", in.Text)
		if got.Summary != want {
			t.Errorf("summary = %q, want %q", got.Summary, want)
		}
		if got.InputTokens <= 0 || got.OutputTokens <= 0 {
			t.Errorf("tokens = %d in, %d out, want both > 0", got.InputTokens, got.OutputTokens)
		}
	})

	t.Run("bad body", func(t *testing.T) {
		for name, body := range map[string]string{
			"not JSON":   "summarise this",
			"empty text": `{"text": "  "}`,
		} {
			res := rt.invoke(t, withBody(t, event, body))
			if res.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: status = %d, want 400; body %s", name, res.StatusCode, res.Body)
			}
			var e struct{ Error string }
			if err := json.Unmarshal([]byte(res.Body), &e); err != nil || e.Error == "" {
				t.Errorf("%s: body %q, want {\"error\": ...}", name, res.Body)
			}
		}
	})
}

// publishSummarize creates the `summarize` prompt through the generated
// client, publishes it at /apis/summarize, and waits until the router's
// prompt cache serves it.
func publishSummarize(t *testing.T, gw *gateway) {
	t.Helper()
	prompts := promptsv1connect.NewPromptServiceClient(http.DefaultClient, gw.url, bearer(adminToken))
	_, err := prompts.CreatePrompt(t.Context(), connect.NewRequest(&promptsv1.CreatePromptRequest{
		Name: "summarize",
		Template: &promptsv1.PromptTemplate{
			Messages: []*mcpv1.Message{{
				Role:    mcpv1.Role_ROLE_USER,
				Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: summarizeTemplate}}},
			}},
			Defaults: &promptsv1.RequestDefaults{Model: "demo"},
		},
		Labels: []string{"production"},
	}))
	if err != nil {
		t.Fatalf("CreatePrompt: %v", err)
	}
	_, err = prompts.PublishPrompt(t.Context(), connect.NewRequest(&promptsv1.PublishPromptRequest{
		Slug: "summarize", PromptName: "summarize", Label: "production", Description: "Summarises a text.",
	}))
	if err != nil {
		t.Fatalf("PublishPrompt: %v", err)
	}
	// The router learns of publications from the registry's watch stream;
	// poll its OpenAPI document (no side effects) until the path is there.
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(gw.url + "/apis/openapi.json")
		if err != nil {
			t.Fatalf("GET /apis/openapi.json: %v", err)
		}
		doc, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusOK && bytes.Contains(doc, []byte(`"/apis/summarize"`)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/apis/summarize not in the OpenAPI document after 10s: %d %s", res.StatusCode, doc)
		}
		select {
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// withBody returns the event with its body replaced.
func withBody(t *testing.T, event []byte, body string) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	ev["body"] = body
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// proxyResponse is the API Gateway proxy response a function returns.
type proxyResponse struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// invocation is one event handed to the function and what it answered.
type invocation struct {
	id     string
	event  []byte
	result chan invocationResult
}

type invocationResult struct {
	kind string // "response" or "error"
	body []byte
}

// lambdaRuntime emulates the Lambda Runtime API
// (/2018-06-01/runtime/invocation/...) that a function's runtime loop,
// here aws-lambda-go's lambda.Start, polls for events and posts answers to.
type lambdaRuntime struct {
	pending chan *invocation
	exited  chan struct{}
	stderr  *gatewaytest.Buffer

	mu       sync.Mutex
	inflight map[string]*invocation
	nextID   int
}

func (rt *lambdaRuntime) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const prefix = "/2018-06-01/runtime/invocation/"
	rest, ok := strings.CutPrefix(r.URL.Path, prefix)
	switch {
	case ok && rest == "next" && r.Method == http.MethodGet:
		select {
		case <-r.Context().Done():
			return
		case inv := <-rt.pending:
			rt.mu.Lock()
			rt.inflight[inv.id] = inv
			rt.mu.Unlock()
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:summarize")
			h.Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
			h.Set("Content-Type", "application/json")
			_, _ = w.Write(inv.event)
		}
	case ok && r.Method == http.MethodPost:
		id, kind, _ := strings.Cut(rest, "/")
		rt.mu.Lock()
		inv := rt.inflight[id]
		delete(rt.inflight, id)
		rt.mu.Unlock()
		if inv == nil || (kind != "response" && kind != "error") {
			http.Error(w, "unknown invocation", http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		inv.result <- invocationResult{kind: kind, body: body}
		w.WriteHeader(http.StatusAccepted)
	default:
		// Includes /2018-06-01/runtime/init/error: a function that cannot
		// start. Its stderr, shown on failure, says why.
		http.Error(w, "not emulated: "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}

// startLambda runs the function binary against a new emulated Runtime API
// until the test ends.
func startLambda(t *testing.T, bin string, env ...string) *lambdaRuntime {
	t.Helper()
	rt := &lambdaRuntime{
		pending:  make(chan *invocation),
		exited:   make(chan struct{}),
		stderr:   &gatewaytest.Buffer{},
		inflight: map[string]*invocation{},
	}
	api := httptest.NewServer(rt)
	t.Cleanup(api.Close)

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(api.URL, "http://"),
		"AWS_LAMBDA_FUNCTION_NAME=summarize", "AWS_REGION=eu-west-1"), env...)
	cmd.Stdout, cmd.Stderr = rt.stderr, rt.stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		_ = cmd.Wait()
		close(rt.exited)
	}()
	t.Cleanup(func() {
		cancel()
		<-rt.exited
	})
	return rt
}

// invoke hands the function one event and returns its API Gateway answer.
func (rt *lambdaRuntime) invoke(t *testing.T, event []byte) proxyResponse {
	t.Helper()
	rt.mu.Lock()
	rt.nextID++
	inv := &invocation{id: fmt.Sprintf("req-%d", rt.nextID), event: event, result: make(chan invocationResult, 1)}
	rt.mu.Unlock()
	var res invocationResult
	select {
	case rt.pending <- inv:
	case <-rt.exited:
		t.Fatalf("the function exited before it asked for an event; its output:\n%s", rt.stderr)
	}
	select {
	case res = <-inv.result:
	case <-rt.exited:
		t.Fatalf("the function exited during an invocation; its output:\n%s", rt.stderr)
	}
	if res.kind != "response" {
		t.Fatalf("the function failed: %s\nits output:\n%s", res.body, rt.stderr)
	}
	var out proxyResponse
	if err := json.Unmarshal(res.body, &out); err != nil {
		t.Fatalf("response %q is not an API Gateway proxy response: %v", res.body, err)
	}
	return out
}
