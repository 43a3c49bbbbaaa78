package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1/workflowsv1connect"
	"github.com/manifoldgw/manifold/services/internal/gatewaytest"
	"github.com/manifoldgw/manifold/services/workflows"
)

const adminToken = "workflows-test-bootstrap-admin-token"

// temporalBinary is the temporal CLI from .cache/bin (or PATH).
func temporalBinary(t *testing.T) string {
	t.Helper()
	bin, err := workflows.FindTemporal()
	if err != nil {
		t.Fatalf("%v (run make tools)", err)
	}
	return bin
}

// startTemporal runs a Temporal dev server for the test.
func startTemporal(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dev, err := workflows.StartDevServer(ctx, temporalBinary(t), filepath.Join(t.TempDir(), "temporal.db"), "default", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); <-dev.Done() })
	return dev.Addr
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// manifoldBinary builds cmd/manifold once per test binary.
func manifoldBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "manifold-workflows-test")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "manifold")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/manifold").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// gateway is a `manifold serve` process.
type gateway struct {
	url    string
	cmd    *exec.Cmd
	stderr *gatewaytest.Buffer
	done   chan struct{}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

// startGateway runs manifold serve on dataDir against the Temporal server
// and waits, bounded, until the workflow service answers.
func startGateway(t *testing.T, dataDir, configFile, temporalAddr string, authRequired bool) *gateway {
	t.Helper()
	addr := freeAddr(t)
	args := []string{"serve", "--addr", addr, "--data-dir", dataDir, "--config", configFile,
		fmt.Sprintf("--auth.required=%v", authRequired), "--admin-token", adminToken, "--router.demo-token-delay", "0", "--log.level", "warn"}
	if temporalAddr != "" {
		args = append(args, "--temporal.address", temporalAddr)
	}
	cmd := exec.Command(manifoldBinary(t), args...)
	cmd.Env = append(os.Environ(), "WORKFLOWS_TEST_OPENAI_KEY=sk-workflows-test")
	g := &gateway{url: "http://" + addr, cmd: cmd, stderr: &gatewaytest.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = g.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(g.done) }()
	t.Cleanup(func() { g.kill() })
	client := workflowsv1connect.NewWorkflowServiceClient(http.DefaultClient, g.url, withToken(adminToken))
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := client.ListRuns(t.Context(), connect.NewRequest(&workflowsv1.ListRunsRequest{PageSize: 1}))
		if err == nil {
			return g
		}
		select {
		case <-g.done:
			t.Fatalf("manifold serve exited: %s", g.stderr)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("manifold serve did not answer within 60s: %v\n%s", err, g.stderr)
		}
	}
}

// kill ends the process at once (SIGKILL), as a crash would.
func (g *gateway) kill() {
	if g.cmd.Process != nil {
		_ = g.cmd.Process.Kill()
	}
	<-g.done
}

// fakeModel is an OpenAI-compatible upstream scripted to call the weather
// tool for each city it has no result for yet, then answer with the
// results. It decides from the request alone, so a retried call gets the
// same answer. pauseAfter, when set, holds the first request that carries
// that many tool results until the client goes away, and reports it.
type fakeModel struct {
	cities     []string
	mu         sync.Mutex
	pauseAfter int
	paused     chan struct{}
}

func (f *fakeModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Messages []struct {
			Role    string `json:"role"`
			Content any    `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var results []string
	for _, m := range req.Messages {
		if m.Role == "tool" {
			if s, ok := m.Content.(string); ok {
				results = append(results, s)
			} else {
				b, _ := json.Marshal(m.Content)
				results = append(results, string(b))
			}
		}
	}
	f.mu.Lock()
	pause := f.paused != nil && f.pauseAfter == len(results)
	if pause {
		close(f.paused)
		f.paused = nil
	}
	f.mu.Unlock()
	if pause {
		<-r.Context().Done()
		return
	}
	msg := map[string]any{"role": "assistant"}
	finish := "stop"
	if n := len(results); n < len(f.cities) {
		args, _ := json.Marshal(map[string]string{"city": f.cities[n]})
		msg["content"] = nil
		msg["tool_calls"] = []map[string]any{{"id": fmt.Sprintf("call_%d", n+1), "type": "function", "function": map[string]any{"name": "weather", "arguments": string(args)}}}
		finish = "tool_calls"
	} else {
		msg["content"] = strings.Join(results, " | ")
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion", "created": time.Now().Unix(), "model": "fake",
		"choices": []map[string]any{{"index": 0, "message": msg, "finish_reason": finish}},
		"usage":   map[string]any{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
	})
}

// toolServer is the weather tool: it counts calls per idempotency key.
type toolServer struct {
	mu   sync.Mutex
	seen map[string]int
	all  int
	auth []string // the Authorization header of each call
}

func (s *toolServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var args map[string]any
	_ = json.NewDecoder(r.Body).Decode(&args)
	s.mu.Lock()
	s.seen[r.Header.Get("Idempotency-Key")]++
	s.all++
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"city":%q,"celsius":%d}`, args["city"], 10+len(fmt.Sprint(args["city"])))
}

func (s *toolServer) counts() (int, map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.seen {
		out[k] = v
	}
	return s.all, out
}

// writeConfig writes a catalog with the fake upstream as model "fake".
func writeConfig(t *testing.T, upstream string) string {
	t.Helper()
	cfg := map[string]any{"catalog": map[string]any{
		"credentials": []map[string]any{{"name": "fake-key", "api_key_env": "WORKFLOWS_TEST_OPENAI_KEY"}},
		"providers":   []map[string]any{{"name": "fake", "kind": "openai", "base_url": upstream + "/v1", "credentials": []map[string]any{{"name": "fake-key"}}}},
		"models": []map[string]any{{
			"name": "fake", "provider": "fake", "upstream_model": "fake", "capabilities": []string{"tools"},
			"context_window": 100000, "max_output_tokens": 1000,
			"prices": map[string]any{"input_per_mtok_micros": 1000000, "output_per_mtok_micros": 2000000},
		}},
	}}
	b, _ := json.Marshal(cfg)
	path := filepath.Join(t.TempDir(), "manifold.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func text(s string) *mcpv1.ContentPart {
	return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: s}}
}

func weatherChain(toolURL string) *workflowsv1.ChainSpec {
	u, _ := url.Parse(toolURL)
	params, _ := structpb.NewStruct(map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}})
	return &workflowsv1.ChainSpec{
		Tools: []*workflowsv1.ToolDefinition{{
			Tool:   &mcpv1.Tool{Name: "weather", Description: "current weather of a city", Parameters: params},
			Target: &workflowsv1.ToolDefinition_Http{Http: &workflowsv1.HttpTool{Url: toolURL + "/weather", Method: workflowsv1.HttpMethod_HTTP_METHOD_POST, AllowedHosts: []string{u.Host}}},
		}},
		Steps: []*workflowsv1.Step{{
			Id: "ask", Timeout: durationpb.New(5 * time.Second),
			Kind: &workflowsv1.Step_ToolLoop{ToolLoop: &workflowsv1.ToolLoopStep{
				Call: &workflowsv1.ModelCallStep{Model: "fake", Input: &workflowsv1.ModelCallStep_Messages{Messages: &workflowsv1.InlineMessages{Messages: []*mcpv1.Message{
					{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{text("Weather in {{cities}}?")}},
				}}}},
				Tools: []string{"weather"}, MaxIterations: 5,
			}},
		}},
	}
}

func approvalChain() *workflowsv1.ChainSpec {
	return &workflowsv1.ChainSpec{Steps: []*workflowsv1.Step{
		{Id: "draft", Kind: &workflowsv1.Step_ModelCall{ModelCall: &workflowsv1.ModelCallStep{Model: "fake", Input: &workflowsv1.ModelCallStep_Messages{Messages: &workflowsv1.InlineMessages{Messages: []*mcpv1.Message{
			{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{text("Draft a reply about {{topic}}")}},
		}}}}}},
		{Id: "review", Kind: &workflowsv1.Step_Approval{Approval: &workflowsv1.ApprovalStep{
			Subject: &workflowsv1.ValueRef{Step: "draft", Pointer: "/text"}, Instructions: "Check the reply about {{topic}}",
			Policy: &workflowsv1.ApprovalPolicy{
				Approvers: &workflowsv1.Approvers{Roles: []string{"developer"}},
				Timeout:   durationpb.New(time.Hour), OnTimeout: workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_REJECT,
			},
		}}},
	}, Output: &workflowsv1.ValueRef{Step: "draft", Pointer: "/text"}}
}

// withToken sends token as the bearer key of calls that set none.
func withToken(token string) connect.ClientOption {
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if token != "" && req.Header().Get("Authorization") == "" {
				req.Header().Set("Authorization", "Bearer "+token)
			}
			return next(ctx, req)
		}
	}))
}

type env struct {
	t        *testing.T
	auth     bool   // keys required
	token    string // the admin key the env's client sends
	temporal string
	dataDir  string
	config   string
	gw       *gateway
	model    *fakeModel
	tool     *toolServer
	toolURL  string
}

// newEnv starts Temporal, the fake model, the tool and the gateway.
func newEnv(t *testing.T) *env { return newEnvWith(t, startTemporal(t), false) }

// newEnvWith uses the Temporal server at temporalAddr; "" lets manifold
// start its embedded dev server.
func newEnvWith(t *testing.T, temporalAddr string, auth bool) *env {
	e := &env{t: t, auth: auth, temporal: temporalAddr, dataDir: t.TempDir(), model: &fakeModel{cities: []string{"Paris", "Rome"}}, tool: &toolServer{seen: map[string]int{}}}
	model := httptest.NewServer(e.model)
	t.Cleanup(model.Close)
	tool := httptest.NewServer(e.tool)
	t.Cleanup(tool.Close)
	e.toolURL = tool.URL
	e.config = writeConfig(t, model.URL)
	e.gw = startGateway(t, e.dataDir, e.config, e.temporal, auth)
	return e
}

func (e *env) restart() {
	e.gw.kill()
	e.gw = startGateway(e.t, e.dataDir, e.config, e.temporal, e.auth)
}

func (e *env) client() workflowsv1connect.WorkflowServiceClient {
	return workflowsv1connect.NewWorkflowServiceClient(http.DefaultClient, e.gw.url, withToken(e.token))
}

// adminKey creates an admin key for user with role and returns its secret.
func (e *env) adminKey(user string, role keyvaultv1.AdminRole) string {
	kv := keyvaultv1connect.NewKeyVaultServiceClient(http.DefaultClient, e.gw.url)
	req := connect.NewRequest(&keyvaultv1.CreateAdminKeyRequest{Name: user, Role: role, User: user})
	req.Header().Set("Authorization", "Bearer "+adminToken)
	res, err := kv.CreateAdminKey(e.t.Context(), req)
	if err != nil {
		e.t.Fatalf("create admin key: %v", err)
	}
	return res.Msg.GetSecret()
}

func (e *env) putChain(name string, spec *workflowsv1.ChainSpec) {
	if _, err := e.client().PutChain(e.t.Context(), connect.NewRequest(&workflowsv1.PutChainRequest{Name: name, Spec: spec})); err != nil {
		e.t.Fatalf("put chain %s: %v", name, err)
	}
}

func (e *env) start(chain string, input map[string]any) string {
	in, _ := structpb.NewStruct(input)
	res, err := e.client().StartRun(e.t.Context(), connect.NewRequest(&workflowsv1.StartRunRequest{ChainName: chain, Input: in}))
	if err != nil {
		e.t.Fatalf("start run of %s: %v", chain, err)
	}
	return res.Msg.GetRun().GetId()
}

// waitFor polls the run, bounded, until ok holds.
func (e *env) waitFor(id string, what string, ok func(*workflowsv1.Run) bool) *workflowsv1.Run {
	e.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var last *workflowsv1.Run
	for time.Now().Before(deadline) {
		res, err := e.client().GetRun(e.t.Context(), connect.NewRequest(&workflowsv1.GetRunRequest{RunId: id}))
		if err == nil {
			last = res.Msg.GetRun()
			if ok(last) {
				return last
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("run %s: not %s within 90s; last %v\nstderr:\n%s", id, what, last, e.gw.stderr)
	return nil
}

func (e *env) waitStatus(id string, st workflowsv1.RunStatus) *workflowsv1.Run {
	e.t.Helper()
	return e.waitFor(id, st.String(), func(r *workflowsv1.Run) bool {
		if r.GetStatus() != st && r.GetEndedAt() != nil {
			e.t.Fatalf("run %s ended %v, want %v: %v", id, r.GetStatus(), st, r.GetError())
		}
		return r.GetStatus() == st
	})
}

func (e *env) decide(id, step, digest, key string, approve bool) error {
	if approve {
		req := connect.NewRequest(&workflowsv1.ApproveStepRequest{RunId: id, StepId: step, Digest: digest, Comment: "ok"})
		req.Header().Set("Authorization", "Bearer "+key)
		_, err := e.client().ApproveStep(e.t.Context(), req)
		return err
	}
	req := connect.NewRequest(&workflowsv1.RejectStepRequest{RunId: id, StepId: step, Digest: digest, Comment: "no"})
	req.Header().Set("Authorization", "Bearer "+key)
	_, err := e.client().RejectStep(e.t.Context(), req)
	return err
}

// A tool loop against a real Temporal server: the model calls the HTTP
// tool twice, then answers; the run has the right output, per-step usage
// and cost, and `temporal workflow list` shows it.
func TestToolLoopOnTemporal(t *testing.T) {
	e := newEnv(t)
	// The tool authenticates with a key vault credential.
	kv := keyvaultv1connect.NewKeyVaultServiceClient(http.DefaultClient, e.gw.url, withToken(adminToken))
	if _, err := kv.PutCredential(t.Context(), connect.NewRequest(&keyvaultv1.PutCredentialRequest{
		Credential: &keyvaultv1.ProviderCredential{Name: "weather-tool", Provider: "weather"},
		Secret:     &keyvaultv1.CredentialSecret{Secret: &keyvaultv1.CredentialSecret_ApiKey{ApiKey: "sk-weather-tool"}},
	})); err != nil {
		t.Fatalf("put credential: %v", err)
	}
	authed := func(spec *workflowsv1.ChainSpec) *workflowsv1.ChainSpec {
		spec.Tools[0].GetHttp().Auth = &workflowsv1.HttpToolAuth{Credential: "weather-tool"}
		return spec
	}
	e.putChain("weather.report", authed(weatherChain(e.toolURL)))
	// The same spec again creates nothing; a change makes version 2.
	again, err := e.client().PutChain(t.Context(), connect.NewRequest(&workflowsv1.PutChainRequest{Name: "weather.report", Spec: authed(weatherChain(e.toolURL))}))
	if err != nil || !again.Msg.GetUnchanged() || again.Msg.GetVersion().GetVersion() != 1 {
		t.Fatalf("put the same spec: %v %v", err, again)
	}
	changed := authed(weatherChain(e.toolURL))
	changed.Steps[0].GetToolLoop().MaxIterations = 4
	v2, err := e.client().PutChain(t.Context(), connect.NewRequest(&workflowsv1.PutChainRequest{Name: "weather.report", Spec: changed, Labels: []string{"production"}}))
	if err != nil || v2.Msg.GetVersion().GetVersion() != 2 || v2.Msg.GetChain().GetLabels()[0].GetVersion() != 2 {
		t.Fatalf("put version 2: %v %v", err, v2)
	}
	id := e.start("weather.report", map[string]any{"cities": "Paris and Rome"})
	run := e.waitStatus(id, workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED)
	if run.GetChainVersion() != 2 {
		t.Fatalf("run of version %d, want 2 (the production label)", run.GetChainVersion())
	}

	want := `{"city":"Paris","celsius":15} | {"city":"Rome","celsius":14}`
	if got := run.GetOutput().GetStructValue().AsMap()["text"]; got != want {
		t.Fatalf("output %q, want %q", got, want)
	}
	step := run.GetSteps()[0]
	if step.GetIterations() != 3 || len(step.GetToolInvocations()) != 2 || len(step.GetCallIds()) != 3 {
		t.Fatalf("step: iterations %d, tool invocations %d, call ids %v", step.GetIterations(), len(step.GetToolInvocations()), step.GetCallIds())
	}
	// 3 calls of 10 input tokens at $1/Mtok and 5 output tokens at $2/Mtok.
	if u := step.GetUsage(); u.GetInputTokens() != 30 || u.GetOutputTokens() != 15 || u.GetCostMicros() != 60 {
		t.Fatalf("step usage %v", u)
	}
	if u := run.GetUsage(); u.GetCostMicros() != 60 {
		t.Fatalf("run usage %v", u)
	}
	if all, seen := e.tool.counts(); all != 2 || len(seen) != 2 {
		t.Fatalf("tool calls: %d, by key %v", all, seen)
	}
	e.tool.mu.Lock()
	auth := slices.Clone(e.tool.auth)
	e.tool.mu.Unlock()
	if auth[0] != "Bearer sk-weather-tool" || auth[1] != "Bearer sk-weather-tool" {
		t.Fatalf("the tool's credential from the key vault was not sent: %q", auth)
	}
	if strings.Contains(e.gw.stderr.String(), "sk-weather-tool") {
		t.Fatal("the tool's secret is in the log")
	}

	out, err := exec.Command(temporalBinary(t), "workflow", "list", "--address", e.temporal, "--namespace", "default").CombinedOutput()
	if err != nil || !strings.Contains(string(out), id) || !strings.Contains(string(out), "manifold.ChainRun") {
		t.Fatalf("temporal workflow list: %v\n%s", err, out)
	}

	e.recordHistory(id, "tool_loop")

	// Labels move; deleting the chain keeps its runs readable.
	c := e.client()
	if _, err := c.SetChainLabel(t.Context(), connect.NewRequest(&workflowsv1.SetChainLabelRequest{Name: "weather.report", Label: "production", Version: 1})); err != nil {
		t.Fatalf("set label: %v", err)
	}
	got, err := c.GetChain(t.Context(), connect.NewRequest(&workflowsv1.GetChainRequest{Name: "weather.report", Selector: &workflowsv1.GetChainRequest_Label{Label: "production"}}))
	if err != nil || got.Msg.GetVersion().GetVersion() != 1 {
		t.Fatalf("get by label after rollback: %v %v", err, got)
	}
	if _, err := c.SetChainLabel(t.Context(), connect.NewRequest(&workflowsv1.SetChainLabelRequest{Name: "weather.report", Label: "staging", Version: 9})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("label on a missing version: %v", err)
	}
	if _, err := c.DeleteChainLabel(t.Context(), connect.NewRequest(&workflowsv1.DeleteChainLabelRequest{Name: "weather.report", Label: "production"})); err != nil {
		t.Fatalf("delete label: %v", err)
	}
	if _, err := c.GetChain(t.Context(), connect.NewRequest(&workflowsv1.GetChainRequest{Name: "weather.report", Selector: &workflowsv1.GetChainRequest_Label{Label: "production"}})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("get by a deleted label: %v", err)
	}
	if _, err := c.DeleteChain(t.Context(), connect.NewRequest(&workflowsv1.DeleteChainRequest{Name: "weather.report"})); err != nil {
		t.Fatalf("delete chain: %v", err)
	}
	if _, err := c.GetChain(t.Context(), connect.NewRequest(&workflowsv1.GetChainRequest{Name: "weather.report"})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("get a deleted chain: %v", err)
	}
	if _, err := c.GetRun(t.Context(), connect.NewRequest(&workflowsv1.GetRunRequest{RunId: id})); err != nil {
		t.Fatalf("get a run of a deleted chain: %v", err)
	}

	list, err := e.client().ListRuns(t.Context(), connect.NewRequest(&workflowsv1.ListRunsRequest{ChainName: "weather.report"}))
	if err != nil || len(list.Msg.GetRuns()) != 1 || list.Msg.GetRuns()[0].GetId() != id {
		t.Fatalf("list runs: %v %v", err, list)
	}
}

// Approvals against a real Temporal server: the run waits; a wrong digest
// and a principal without the role are refused; approve continues it and
// reject ends it rejected.
func TestApprovalsOnTemporal(t *testing.T) {
	e := newEnv(t)
	alice := e.adminKey("alice", keyvaultv1.AdminRole_ADMIN_ROLE_DEVELOPER)
	bob := e.adminKey("bob", keyvaultv1.AdminRole_ADMIN_ROLE_VIEWER)
	e.putChain("reply.review", approvalChain())

	id := e.start("reply.review", map[string]any{"topic": "refunds"})
	watched := make(chan []*workflowsv1.WatchRunResponse, 1)
	watching := make(chan struct{}) // closed at the watch's first event
	go func() {
		var events []*workflowsv1.WatchRunResponse
		defer func() { watched <- events }()
		stream, err := e.client().WatchRun(t.Context(), connect.NewRequest(&workflowsv1.WatchRunRequest{RunId: id}))
		if err != nil {
			return
		}
		for stream.Receive() {
			if events = append(events, stream.Msg()); len(events) == 1 {
				close(watching)
			}
		}
	}()
	run := e.waitStatus(id, workflowsv1.RunStatus_RUN_STATUS_WAITING_FOR_APPROVAL)
	pa := run.GetPendingApprovals()
	if len(pa) != 1 || pa[0].GetStepId() != "review" || pa[0].GetInstructions() != "Check the reply about refunds" {
		t.Fatalf("pending approvals %v", pa)
	}
	digest := pa[0].GetDigest()
	// The inbox: alice (developer) may decide it, bob (viewer) may not.
	inbox := func(key string, req *workflowsv1.ListPendingApprovalsRequest) []*workflowsv1.PendingApproval {
		r := connect.NewRequest(req)
		r.Header().Set("Authorization", "Bearer "+key)
		res, err := e.client().ListPendingApprovals(t.Context(), r)
		if err != nil {
			t.Fatalf("list pending approvals: %v", err)
		}
		return res.Msg.GetApprovals()
	}
	if got := inbox(alice, &workflowsv1.ListPendingApprovalsRequest{Mine: true}); len(got) != 1 || got[0].GetRunId() != id || got[0].GetDigest() != digest {
		t.Fatalf("alice's inbox: %v", got)
	}
	if got := inbox(bob, &workflowsv1.ListPendingApprovalsRequest{Mine: true}); len(got) != 0 {
		t.Fatalf("bob's inbox: %v", got)
	}
	if got := inbox(bob, &workflowsv1.ListPendingApprovalsRequest{ApproverRole: "developer", ChainName: "reply.review"}); len(got) != 1 {
		t.Fatalf("developers' inbox: %v", got)
	}
	if err := e.decide(id, "review", strings.Repeat("0", 64), alice, true); connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("wrong digest: %v", err)
	}
	if err := e.decide(id, "review", digest, bob, true); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("viewer approving: %v", err)
	}
	if err := e.decide(id, "review", digest, "", true); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("approving without a key: %v", err)
	}
	select {
	case <-watching:
	case <-time.After(30 * time.Second):
		t.Fatal("WatchRun sent nothing within 30s")
	}
	if err := e.decide(id, "review", digest, alice, true); err != nil {
		t.Fatalf("approve: %v", err)
	}
	run = e.waitStatus(id, workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED)
	e.recordHistory(id, "approval_approved")
	// The watch began with a snapshot, saw the run wait and succeed, and
	// ended after that terminal status, with increasing sequence numbers.
	var events []*workflowsv1.WatchRunResponse
	select {
	case events = <-watched:
	case <-time.After(30 * time.Second):
		t.Fatal("WatchRun did not end after the run succeeded")
	}
	var statuses []workflowsv1.RunStatus // as the watcher saw them
	for i, ev := range events {
		if i > 0 && ev.GetSequence() <= events[i-1].GetSequence() {
			t.Fatalf("sequence %d after %d", ev.GetSequence(), events[i-1].GetSequence())
		}
		if sc := ev.GetStatusChanged(); sc != nil {
			statuses = append(statuses, sc.GetStatus())
		}
		if i == 0 {
			statuses = append(statuses, ev.GetSnapshot().GetStatus())
		}
	}
	if len(events) == 0 || events[0].GetSnapshot() == nil || len(statuses) == 0 ||
		!slices.Contains(statuses, workflowsv1.RunStatus_RUN_STATUS_WAITING_FOR_APPROVAL) || statuses[len(statuses)-1] != workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED {
		t.Fatalf("watch events: %d, statuses %v", len(events), statuses)
	}
	if rec := run.GetSteps()[1].GetApprovals()[0]; rec.GetDecidedBy() != "alice" || rec.GetDecision() != workflowsv1.ApprovalDecision_APPROVAL_DECISION_APPROVED {
		t.Fatalf("approval record %v", rec)
	}
	// The decision is in the audit log's admin actions, with the approver.
	audit := auditv1connect.NewAuditServiceClient(http.DefaultClient, e.gw.url, withToken(adminToken))
	var found *auditv1.AdminAction
	for deadline := time.Now().Add(30 * time.Second); found == nil && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		res, err := audit.QueryAdminActions(t.Context(), connect.NewRequest(&auditv1.QueryAdminActionsRequest{
			Range:  &auditv1.TimeRange{Start: timestamppb.New(time.Now().Add(-time.Hour)), End: timestamppb.New(time.Now().Add(time.Hour))},
			Action: workflowsv1connect.WorkflowServiceApproveStepProcedure, ResourceId: id,
		}))
		if err != nil {
			t.Fatalf("query admin actions: %v", err)
		}
		for _, a := range res.Msg.GetActions() {
			if a.GetErrorClass() == mcpv1.ErrorClass_ERROR_CLASS_UNSPECIFIED {
				found = a
			}
		}
	}
	if found == nil || found.GetActor().GetUser() != "alice" || found.GetComment() != "ok" {
		t.Fatalf("admin action of the approval: %v", found)
	}

	id = e.start("reply.review", map[string]any{"topic": "refunds"})
	run = e.waitStatus(id, workflowsv1.RunStatus_RUN_STATUS_WAITING_FOR_APPROVAL)
	if err := e.decide(id, "review", run.GetPendingApprovals()[0].GetDigest(), alice, false); err != nil {
		t.Fatalf("reject: %v", err)
	}
	run = e.waitStatus(id, workflowsv1.RunStatus_RUN_STATUS_REJECTED)
	if !strings.Contains(run.GetError().GetMessage(), "rejected by alice") {
		t.Fatalf("rejected run error %v", run.GetError())
	}
	e.recordHistory(id, "approval_rejected")
}

// Killing manifold while a run waits for approval, and again between two
// tool calls, then starting it again: the runs complete and the tool saw
// each call exactly once.
func TestCrashRecovery(t *testing.T) {
	e := newEnv(t)
	alice := e.adminKey("alice", keyvaultv1.AdminRole_ADMIN_ROLE_DEVELOPER)
	e.putChain("reply.review", approvalChain())
	e.putChain("weather.report", weatherChain(e.toolURL))

	id := e.start("reply.review", map[string]any{"topic": "refunds"})
	run := e.waitStatus(id, workflowsv1.RunStatus_RUN_STATUS_WAITING_FOR_APPROVAL)
	e.restart()
	if err := e.decide(id, "review", run.GetPendingApprovals()[0].GetDigest(), alice, true); err != nil {
		t.Fatalf("approve after restart: %v", err)
	}
	e.waitStatus(id, workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED)

	// Hold the model call that follows the first tool result, then crash.
	paused := make(chan struct{})
	e.model.mu.Lock()
	e.model.pauseAfter, e.model.paused = 1, paused
	e.model.mu.Unlock()
	id = e.start("weather.report", map[string]any{"cities": "Paris and Rome"})
	select {
	case <-paused:
	case <-time.After(90 * time.Second):
		t.Fatalf("the run never reached its second model call\n%s", e.gw.stderr)
	}
	if all, _ := e.tool.counts(); all != 1 {
		t.Fatalf("tool calls before the crash: %d, want 1", all)
	}
	e.restart()
	run = e.waitStatus(id, workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED)
	if got := run.GetOutput().GetStructValue().AsMap()["text"]; got != `{"city":"Paris","celsius":15} | {"city":"Rome","celsius":14}` {
		t.Fatalf("output %q", got)
	}
	all, seen := e.tool.counts()
	if all != 2 || len(seen) != 2 {
		t.Fatalf("tool calls: %d, by key %v (want each of 2 calls exactly once)", all, seen)
	}
	for k, n := range seen {
		if n != 1 || !strings.HasPrefix(k, id+"/ask/") {
			t.Fatalf("tool call %q seen %d times", k, n)
		}
	}
}

// Without --temporal.address, manifold starts a Temporal dev server
// persisted under its data directory; a run waiting for approval survives
// a crash of the whole process (and of its dev server).
func TestEmbeddedTemporal(t *testing.T) {
	e := newEnvWith(t, "", false)
	alice := e.adminKey("alice", keyvaultv1.AdminRole_ADMIN_ROLE_DEVELOPER)
	e.putChain("reply.review", approvalChain())
	id := e.start("reply.review", map[string]any{"topic": "refunds"})
	run := e.waitStatus(id, workflowsv1.RunStatus_RUN_STATUS_WAITING_FOR_APPROVAL)
	if _, err := os.Stat(filepath.Join(e.dataDir, "temporal.db")); err != nil {
		t.Fatalf("no Temporal database under the data directory: %v", err)
	}
	e.restart()
	if err := e.decide(id, "review", run.GetPendingApprovals()[0].GetDigest(), alice, true); err != nil {
		t.Fatalf("approve after restart: %v", err)
	}
	e.waitStatus(id, workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED)
}

// recordHistory writes a finished run's history to testdata/<name>.json
// for the replay test, when WORKFLOWS_RECORD_HISTORY=1 (run it after a
// deliberate change of the workflow's commands).
func (e *env) recordHistory(id, name string) {
	if os.Getenv("WORKFLOWS_RECORD_HISTORY") != "1" {
		return
	}
	out, err := exec.Command(temporalBinary(e.t), "workflow", "show", "--address", e.temporal, "--namespace", "default", "-w", id, "--output", "json").Output()
	if err != nil {
		e.t.Fatalf("temporal workflow show: %v", err)
	}
	if err := os.WriteFile(filepath.Join("testdata", name+".json"), out, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// With keys required, a run started by an admin makes its model calls
// with the virtual key given in X-Manifold-Run-Key, so the router's keys
// apply: without one StartRun refuses, naming the header and the CLI flag,
// and starts nothing; an admin key is not accepted as the run's key.
func TestRunKeyOnTemporal(t *testing.T) {
	e := newEnvWith(t, startTemporal(t), true)
	e.token = e.adminKey("alice", keyvaultv1.AdminRole_ADMIN_ROLE_DEVELOPER)
	kv := keyvaultv1connect.NewKeyVaultServiceClient(http.DefaultClient, e.gw.url, withToken(adminToken))
	vk, err := kv.CreateVirtualKey(t.Context(), connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
		Name: "runs", Owner: &keyvaultv1.KeyOwner{Team: "support"}, Scopes: &keyvaultv1.KeyScopes{Models: []string{"fake"}},
	}))
	if err != nil {
		t.Fatalf("create virtual key: %v", err)
	}
	e.putChain("weather.report", weatherChain(e.toolURL))
	startWith := func(key, idempotencyKey string) (*workflowsv1.StartRunResponse, error) {
		in, _ := structpb.NewStruct(map[string]any{"cities": "Paris and Rome"})
		req := connect.NewRequest(&workflowsv1.StartRunRequest{ChainName: "weather.report", Input: in, IdempotencyKey: idempotencyKey})
		if key != "" {
			req.Header().Set(workflows.RunKeyHeader, key)
		}
		res, err := e.client().StartRun(t.Context(), req)
		if err != nil {
			return nil, err
		}
		return res.Msg, nil
	}

	_, err = startWith("", "first")
	if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), workflows.RunKeyHeader) || !strings.Contains(err.Error(), "--run-key-env") {
		t.Fatalf("start without a run key: %v; want invalid_argument naming %s and --run-key-env", err, workflows.RunKeyHeader)
	}
	res, err := startWith(vk.Msg.GetSecret(), "first")
	if err != nil || res.GetExisting() {
		t.Fatalf("start with a run key: %v, existing %v; want a new run (the refused start made none)", err, res.GetExisting())
	}
	run := e.waitStatus(res.GetRun().GetId(), workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED)
	if run.GetStartedBy() != "alice" || run.GetUsage().GetCostMicros() != 60 {
		t.Fatalf("run started by %q, usage %v", run.GetStartedBy(), run.GetUsage())
	}

	if _, err := startWith(e.token, ""); connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "must be a virtual key") {
		t.Fatalf("start with an admin key as run key: %v", err)
	}
}

// Nobody decides within the approval's timeout (one minute, the least a
// policy allows): the APPROVE policy lets the run go on, recorded as
// decided by the system, and the audit log has the decision.
func TestApprovalTimeoutOnTemporal(t *testing.T) {
	e := newEnv(t)
	spec := approvalChain()
	spec.Steps[1].GetApproval().GetPolicy().Timeout = durationpb.New(time.Minute)
	spec.Steps[1].GetApproval().GetPolicy().OnTimeout = workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_APPROVE
	e.putChain("reply.autoapprove", spec)
	id := e.start("reply.autoapprove", map[string]any{"topic": "refunds"})
	e.waitStatus(id, workflowsv1.RunStatus_RUN_STATUS_WAITING_FOR_APPROVAL)
	run := e.waitStatus(id, workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED)
	rec := run.GetSteps()[1].GetApprovals()[0]
	if rec.GetDecision() != workflowsv1.ApprovalDecision_APPROVAL_DECISION_TIMED_OUT_APPROVED || rec.GetDecidedBy() != "system" {
		t.Fatalf("approval record %v", rec)
	}
	audit := auditv1connect.NewAuditServiceClient(http.DefaultClient, e.gw.url, withToken(adminToken))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		res, err := audit.QueryAdminActions(t.Context(), connect.NewRequest(&auditv1.QueryAdminActionsRequest{
			Range:      &auditv1.TimeRange{Start: timestamppb.New(time.Now().Add(-time.Hour)), End: timestamppb.New(time.Now().Add(time.Hour))},
			ResourceId: id,
		}))
		if err != nil {
			t.Fatalf("query admin actions: %v", err)
		}
		// The run's actions: its start (by the admin) and the timeout
		// decision (by the system).
		if slices.ContainsFunc(res.Msg.GetActions(), func(a *auditv1.AdminAction) bool {
			return a.GetActor().GetUser() == "system" && strings.Contains(a.GetComment(), "approved by its timeout policy")
		}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the timeout decision is not in the audit log: %v\n%s", res.Msg.GetActions(), e.gw.stderr)
		}
	}
}
