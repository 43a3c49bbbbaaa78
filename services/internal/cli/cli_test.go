package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	"github.com/manifoldgw/manifold/services/internal/app"
	"github.com/manifoldgw/manifold/services/internal/cli"
	"github.com/manifoldgw/manifold/services/internal/gatewaytest"
)

const demoHello = "Hello from Manifold's demo model. You said: "

// environ is a fake environment, so that the host's MANIFOLD_* variables
// cannot change what a test runs.
func environ(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// gateway is a running `manifold serve`.
type gateway struct {
	addr   string // host:port
	url    string // http://host:port
	stderr *gatewaytest.Buffer
}

// startGateway runs the real program, `manifold serve`, until the test ends;
// it then cancels the context and requires a graceful exit.
func startGateway(t *testing.T, extra ...string) *gateway {
	t.Helper()
	addr, stderr := gatewaytest.Serve(t, append([]string{
		"--router.demo-token-delay", "0", "--log.level", "warn",
		"--auth.required=false", // these tests call without keys
	}, extra...)...)
	return &gateway{addr: addr, url: "http://" + addr, stderr: stderr}
}

// protocol is a way for a generated client to reach the gateway.
type protocol struct {
	name      string
	opts      []connect.ClientOption
	h2c       bool // HTTP/2 without TLS, by prior knowledge
	httpMajor int  // the HTTP version every response must have
}

var protocols = []protocol{
	{name: "connect", httpMajor: 1},
	{name: "grpc", opts: []connect.ClientOption{connect.WithGRPC()}, h2c: true, httpMajor: 2},
	{name: "grpcweb", opts: []connect.ClientOption{connect.WithGRPCWeb()}, httpMajor: 1},
}

// httpVersionCheck fails the test when a response comes over another HTTP
// version than the protocol is meant to use, so "Connect over HTTP/1.1" and
// "gRPC over h2c" are checked rather than assumed.
type httpVersionCheck struct {
	next  http.RoundTripper
	mu    sync.Mutex
	seen  map[string]int
	calls int
}

func (c *httpVersionCheck) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := c.next.RoundTrip(r)
	if err == nil {
		c.mu.Lock()
		c.seen[res.Proto]++
		c.calls++
		c.mu.Unlock()
	}
	return res, err
}

func newHTTPClient(t *testing.T, p protocol) *http.Client {
	t.Helper()
	var protos http.Protocols
	if p.h2c {
		protos.SetUnencryptedHTTP2(true)
	} else {
		protos.SetHTTP1(true)
	}
	transport := &http.Transport{Protocols: &protos}
	check := &httpVersionCheck{next: transport, seen: map[string]int{}}
	t.Cleanup(func() {
		transport.CloseIdleConnections()
		check.mu.Lock()
		defer check.mu.Unlock()
		want := fmt.Sprintf("HTTP/%d", p.httpMajor)
		for proto := range check.seen {
			if !strings.HasPrefix(proto, want) {
				t.Errorf("%s: responses came over %v, want only %s", p.name, check.seen, want)
			}
		}
		if check.calls == 0 {
			t.Errorf("%s: no HTTP responses seen", p.name)
		}
	})
	return &http.Client{Transport: check}
}

func textPart(s string) *mcpv1.ContentPart {
	return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: s}}
}

func userRequest(text string) *mcpv1.Request {
	return &mcpv1.Request{
		Model:    "demo",
		Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{textPart(text)}}},
	}
}

func responseText(m *mcpv1.Message) string {
	var b strings.Builder
	for _, p := range m.GetContent() {
		b.WriteString(p.GetText())
	}
	return b.String()
}

// streamed is a GenerateStream answer, checked for the documented event
// order (start, deltas, usage, finish) and reassembled.
type streamed struct {
	start    *mcpv1.StreamStart
	text     string
	deltas   int
	toolCall *mcpv1.ToolCall
	usage    *mcpv1.Usage
	finish   *mcpv1.StreamFinish
}

func generateStream(t *testing.T, client routerv1connect.RouterServiceClient, req *mcpv1.Request) streamed {
	t.Helper()
	stream, err := client.GenerateStream(t.Context(), connect.NewRequest(&routerv1.GenerateStreamRequest{Request: req}))
	if err != nil {
		t.Fatalf("GenerateStream: %v", err)
	}
	defer stream.Close()
	var events []*mcpv1.StreamEvent
	for stream.Receive() {
		events = append(events, stream.Msg().GetEvent())
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("GenerateStream: %v", err)
	}
	return assembleStream(t, events)
}

// assembleStream checks the events are in the documented order (start,
// deltas, usage, finish) and reassembles the answer.
func assembleStream(t *testing.T, events []*mcpv1.StreamEvent) streamed {
	t.Helper()
	var s streamed
	for i, ev := range events {
		switch e := ev.GetEvent().(type) {
		case *mcpv1.StreamEvent_Start:
			if i != 0 {
				t.Errorf("event %d: start, want it first", i)
			}
			s.start = e.Start
		case *mcpv1.StreamEvent_TextDelta:
			if s.start == nil || s.usage != nil || s.finish != nil {
				t.Errorf("event %d: text delta outside start … usage", i)
			}
			s.text += e.TextDelta.GetText()
			s.deltas++
		case *mcpv1.StreamEvent_ToolCallDelta:
			if s.start == nil || s.usage != nil || s.finish != nil {
				t.Errorf("event %d: tool call delta outside start … usage", i)
			}
			d := e.ToolCallDelta
			if s.toolCall == nil {
				s.toolCall = &mcpv1.ToolCall{}
			}
			if d.GetId() != "" {
				s.toolCall.Id, s.toolCall.Name = d.GetId(), d.GetName()
			}
			s.toolCall.Arguments += d.GetArgumentsDelta()
		case *mcpv1.StreamEvent_Usage:
			if s.start == nil || s.finish != nil {
				t.Errorf("event %d: usage outside start … finish", i)
			}
			s.usage = e.Usage
		case *mcpv1.StreamEvent_Finish:
			if s.usage == nil || s.finish != nil {
				t.Errorf("event %d: finish, want it once, after usage", i)
			}
			s.finish = e.Finish
		default:
			t.Errorf("event %d: unexpected %v", i, ev)
		}
	}
	if s.start == nil || s.finish == nil {
		t.Fatalf("stream without start or finish: %v", events)
	}
	if s.start.GetId() == "" || s.start.GetModel() != "demo" || s.start.GetProvider() != "demo" {
		t.Errorf("start = %v, want an id and the demo model and provider", s.start)
	}
	if md := s.finish.GetMetadata(); md.GetProvider() != "demo" || md.GetModel() != "demo" || md.GetCreatedAt() == nil {
		t.Errorf("finish metadata = %v, want the demo provider and model and a creation time", md)
	}
	return s
}

func generate(t *testing.T, client routerv1connect.RouterServiceClient, req *mcpv1.Request) *mcpv1.Response {
	t.Helper()
	res, err := client.Generate(t.Context(), connect.NewRequest(&routerv1.GenerateRequest{Request: req}))
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	r := res.Msg.GetResponse()
	if r.GetId() == "" || r.GetMessage().GetRole() != mcpv1.Role_ROLE_ASSISTANT {
		t.Errorf("response id %q role %v, want an id and the assistant role", r.GetId(), r.GetMessage().GetRole())
	}
	if md := r.GetMetadata(); md.GetProvider() != "demo" || md.GetModel() != "demo" || len(md.GetAttempts()) != 1 {
		t.Errorf("metadata = %v, want the demo provider and model, one attempt", md)
	}
	return r
}

func checkUsage(t *testing.T, u *mcpv1.Usage) {
	t.Helper()
	if u.GetInputTokens() <= 0 || u.GetOutputTokens() <= 0 || u.GetTotalTokens() != u.GetInputTokens()+u.GetOutputTokens() {
		t.Errorf("usage = %v, want input and output tokens and their total", u)
	}
}

func TestServe(t *testing.T) {
	gw := startGateway(t)
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			httpClient := newHTTPClient(t, p)
			client := routerv1connect.NewRouterServiceClient(httpClient, gw.url, p.opts...)
			t.Run("answers", func(t *testing.T) { testAnswers(t, client) })
			t.Run("tool call round trip", func(t *testing.T) { testToolRoundTrip(t, client) })
			t.Run("invalid requests", func(t *testing.T) { testInvalidRequests(t, client) })
			t.Run("list models", func(t *testing.T) {
				res, err := client.ListModels(t.Context(), connect.NewRequest(&routerv1.ListModelsRequest{}))
				if err != nil {
					t.Fatal(err)
				}
				if !slices.ContainsFunc(res.Msg.GetModels(), func(m *routerv1.Model) bool { return m.GetName() == "demo" }) {
					t.Errorf("ListModels = %v, want the demo model", res.Msg.GetModels())
				}
			})
			t.Run("health", func(t *testing.T) {
				health := grpchealth.NewClient(httpClient, gw.url, p.opts...)
				for _, svc := range append([]string{""}, expectedServices(t)...) {
					if svc == grpcreflect.ReflectV1ServiceName || svc == grpcreflect.ReflectV1AlphaServiceName || svc == grpchealth.HealthV1ServiceName {
						continue // not health-checked, as in grpc-go
					}
					res, err := health.Check(t.Context(), &grpchealth.CheckRequest{Service: svc})
					if err != nil {
						t.Errorf("Check(%q): %v", svc, err)
						continue
					}
					if res.Status != grpchealth.StatusServing {
						t.Errorf("Check(%q) = %v, want SERVING", svc, res.Status)
					}
				}
				_, err := health.Check(t.Context(), &grpchealth.CheckRequest{Service: "manifold.nope.v1.NopeService"})
				if connect.CodeOf(err) != connect.CodeNotFound {
					t.Errorf("Check(unknown service) error = %v, want NotFound", err)
				}
			})
		})
	}
	t.Run("reflection", func(t *testing.T) {
		// Reflection is a bidirectional stream: gRPC over h2c.
		httpClient := newHTTPClient(t, protocols[1])
		stream := grpcreflect.NewClient(httpClient, gw.url, connect.WithGRPC()).NewStream(t.Context())
		names, err := stream.ListServices()
		if err != nil {
			t.Fatalf("ListServices: %v", err)
		}
		if _, err := stream.Close(); err != nil {
			t.Errorf("close reflection stream: %v", err)
		}
		var got []string
		for _, n := range names {
			got = append(got, string(n))
		}
		for _, want := range expectedServices(t) {
			if !slices.Contains(got, want) {
				t.Errorf("reflection lists %q, missing %s", got, want)
			}
		}
	})
}

func testAnswers(t *testing.T, client routerv1connect.RouterServiceClient) {
	withSampling := func(text string, s *mcpv1.SamplingParams) *mcpv1.Request {
		r := userRequest(text)
		r.Sampling = s
		return r
	}
	tests := []struct {
		name       string
		req        *mcpv1.Request
		wantText   string
		wantFinish mcpv1.FinishReason
		wantStop   string
		wantOutput int64 // output tokens, if not zero
	}{
		{
			name:       "echo",
			req:        userRequest("hi there"),
			wantText:   demoHello + "hi there",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP,
			wantOutput: 11,
		},
		{
			name:       "non-ASCII",
			req:        userRequest("grüß dich, 世界 👋"),
			wantText:   demoHello + "grüß dich, 世界 👋",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP,
		},
		{
			name:       "temperature and seed are accepted",
			req:        withSampling("hi", &mcpv1.SamplingParams{Temperature: proto.Float64(2), TopP: proto.Float64(0.5), Seed: proto.Int64(7)}),
			wantText:   demoHello + "hi",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP,
		},
		{
			name:       "stop sequence",
			req:        withSampling("hi", &mcpv1.SamplingParams{StopSequences: []string{"zebra", "demo"}}),
			wantText:   "Hello from Manifold's ",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE,
			wantStop:   "demo",
		},
		{
			name:       "max output tokens",
			req:        withSampling("hi", &mcpv1.SamplingParams{MaxOutputTokens: proto.Int32(3)}),
			wantText:   "Hello from Manifold's",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_LENGTH,
			wantOutput: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := generate(t, client, tt.req)
			if got := responseText(res.GetMessage()); got != tt.wantText {
				t.Errorf("Generate text = %q, want %q", got, tt.wantText)
			}
			if res.GetFinishReason() != tt.wantFinish || res.GetStopSequence() != tt.wantStop {
				t.Errorf("Generate finish = %v %q, want %v %q", res.GetFinishReason(), res.GetStopSequence(), tt.wantFinish, tt.wantStop)
			}
			checkUsage(t, res.GetUsage())
			if tt.wantOutput != 0 && res.GetUsage().GetOutputTokens() != tt.wantOutput {
				t.Errorf("output tokens = %d, want %d", res.GetUsage().GetOutputTokens(), tt.wantOutput)
			}

			s := generateStream(t, client, tt.req)
			if s.text != res.GetMessage().GetContent()[0].GetText() {
				t.Errorf("streamed text %q, Generate text %q", s.text, responseText(res.GetMessage()))
			}
			if s.deltas < 2 {
				t.Errorf("streamed %d text deltas, want the answer token by token", s.deltas)
			}
			if s.finish.GetFinishReason() != tt.wantFinish || s.finish.GetStopSequence() != tt.wantStop {
				t.Errorf("stream finish = %v %q, want %v %q", s.finish.GetFinishReason(), s.finish.GetStopSequence(), tt.wantFinish, tt.wantStop)
			}
			if !proto.Equal(s.usage, res.GetUsage()) {
				t.Errorf("streamed usage %v, Generate usage %v", s.usage, res.GetUsage())
			}
			if s.toolCall != nil {
				t.Errorf("stream called a tool: %v", s.toolCall)
			}
		})
	}
}

func testToolRoundTrip(t *testing.T, client routerv1connect.RouterServiceClient) {
	params, err := structpb.NewStruct(map[string]any{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}},
		"required":   []any{"city"},
	})
	if err != nil {
		t.Fatal(err)
	}
	const said = "What does get_weather say for Zürich?"
	req := userRequest(said)
	req.Tools = []*mcpv1.Tool{
		{Name: "lookup", Description: "Searches"},
		{Name: "get_weather", Description: "Weather for a city", Parameters: params},
	}

	res := generate(t, client, req)
	if res.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS {
		t.Fatalf("finish = %v (text %q), want TOOL_CALLS", res.GetFinishReason(), responseText(res.GetMessage()))
	}
	calls := res.GetMessage().GetToolCalls()
	if len(calls) != 1 || calls[0].GetName() != "get_weather" || calls[0].GetId() == "" {
		t.Fatalf("tool calls = %v, want one get_weather call with an id", calls)
	}
	var args struct{ City string }
	if err := json.Unmarshal([]byte(calls[0].GetArguments()), &args); err != nil {
		t.Fatalf("arguments %q are not JSON: %v", calls[0].GetArguments(), err)
	}
	if args.City != said {
		t.Errorf("arguments %q, want city %q", calls[0].GetArguments(), said)
	}
	checkUsage(t, res.GetUsage())

	s := generateStream(t, client, req)
	if s.finish.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS || !proto.Equal(s.toolCall, calls[0]) {
		t.Errorf("streamed call %v finish %v, want %v and TOOL_CALLS", s.toolCall, s.finish.GetFinishReason(), calls[0])
	}

	// Send the result back, as a client would.
	next := proto.Clone(req).(*mcpv1.Request)
	next.Messages = append(next.Messages, res.GetMessage(), &mcpv1.Message{
		Role:       mcpv1.Role_ROLE_TOOL,
		ToolCallId: calls[0].GetId(),
		Content:    []*mcpv1.ContentPart{textPart("sunny, 21°C")},
	})
	const want = "The tool returned: sunny, 21°C."
	res2 := generate(t, client, next)
	if got := responseText(res2.GetMessage()); got != want || res2.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("after the tool result: %q %v, want %q STOP", got, res2.GetFinishReason(), want)
	}
	if len(res2.GetMessage().GetToolCalls()) != 0 {
		t.Errorf("after the tool result the model called %v again", res2.GetMessage().GetToolCalls())
	}
	if res2.GetUsage().GetInputTokens() <= res.GetUsage().GetInputTokens() {
		t.Errorf("input tokens %d with the tool result, %d without: the longer conversation must count more", res2.GetUsage().GetInputTokens(), res.GetUsage().GetInputTokens())
	}
	if s2 := generateStream(t, client, next); s2.text != want {
		t.Errorf("streamed answer after the tool result %q, want %q", s2.text, want)
	}
}

func testInvalidRequests(t *testing.T, client routerv1connect.RouterServiceClient) {
	withRole := func(role mcpv1.Role) *mcpv1.Request {
		r := userRequest("hi")
		r.Messages[0].Role = role
		return r
	}
	hot := userRequest("hi")
	hot.Sampling = &mcpv1.SamplingParams{Temperature: proto.Float64(3)}
	toolNoID := userRequest("hi")
	toolNoID.Messages = append(toolNoID.Messages, &mcpv1.Message{Role: mcpv1.Role_ROLE_TOOL, Content: []*mcpv1.ContentPart{textPart("x")}})
	noModel := userRequest("hi")
	noModel.Model = ""
	unknownModel := userRequest("hi")
	unknownModel.Model = "no-such-model"

	tests := []struct {
		name      string
		req       *mcpv1.Request // nil sends no request at all
		wantCode  connect.Code
		wantClass mcpv1.ErrorClass
		wantField string
	}{
		{"no request", nil, connect.CodeInvalidArgument, mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "request"},
		{"empty messages", &mcpv1.Request{Model: "demo"}, connect.CodeInvalidArgument, mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "request.messages"},
		{"role unspecified", withRole(0), connect.CodeInvalidArgument, mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "request.messages[0].role"},
		{"role 99", withRole(99), connect.CodeInvalidArgument, mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "request.messages[0].role"},
		{"temperature 3", hot, connect.CodeInvalidArgument, mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "request.sampling.temperature"},
		{"tool message without id", toolNoID, connect.CodeInvalidArgument, mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "request.messages[1].tool_call_id"},
		{"no model", noModel, connect.CodeInvalidArgument, mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "request.model"},
		{"unknown model", unknownModel, connect.CodeNotFound, mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "request.model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.Generate(t.Context(), connect.NewRequest(&routerv1.GenerateRequest{Request: tt.req}))
			checkError(t, "Generate", err, tt.wantCode, tt.wantClass, tt.wantField)

			stream, err := client.GenerateStream(t.Context(), connect.NewRequest(&routerv1.GenerateStreamRequest{Request: tt.req}))
			if err == nil {
				for stream.Receive() {
					t.Errorf("GenerateStream sent %v for an invalid request", stream.Msg())
				}
				err = stream.Err()
				stream.Close()
			}
			checkError(t, "GenerateStream", err, tt.wantCode, tt.wantClass, tt.wantField)
		})
	}
}

// checkError requires a Connect error with the code and an ErrorDetail
// naming the class and the field at fault.
func checkError(t *testing.T, rpc string, err error, code connect.Code, class mcpv1.ErrorClass, field string) {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Errorf("%s error = %v, want a Connect error %v", rpc, err, code)
		return
	}
	if ce.Code() != code {
		t.Errorf("%s code = %v (%v), want %v", rpc, ce.Code(), ce.Message(), code)
	}
	var detail *mcpv1.ErrorDetail
	for _, d := range ce.Details() {
		v, err := d.Value()
		if err != nil {
			t.Errorf("%s: decode error detail %s: %v", rpc, d.Type(), err)
			continue
		}
		if ed, ok := v.(*mcpv1.ErrorDetail); ok {
			detail = ed
		}
	}
	if detail == nil {
		t.Errorf("%s error %v has no manifold.mcp.v1.ErrorDetail", rpc, ce)
		return
	}
	if detail.GetErrorClass() != class || detail.GetField() != field {
		t.Errorf("%s detail class %v field %q, want %v %q (%s)", rpc, detail.GetErrorClass(), detail.GetField(), class, field, detail.GetMessage())
	}
	if !strings.Contains(ce.Message(), field) && class == mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST {
		t.Errorf("%s message %q does not name %s", rpc, ce.Message(), field)
	}
}

// The log goes to stderr at the chosen level and format.
func TestServeLogs(t *testing.T) {
	gw := startGateway(t, "--log.level", "info", "--log.format", "text")
	// Ready is called after the start-up line is written.
	log := gw.stderr.String()
	for _, want := range []string{`msg="manifold serving"`, "addr=" + gw.addr, "level=INFO"} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr %q does not contain %q", log, want)
		}
	}
}

func TestServeBadSettings(t *testing.T) {
	unknownKey := filepath.Join("testdata", "unknown_key.yaml")
	tests := []struct {
		name string
		args []string
		env  []string
		want []string // substrings of stderr
	}{
		{name: "unknown flag", args: []string{"--bogus"}, want: []string{"-bogus"}},
		{name: "bad addr", args: []string{"--addr", "nonsense"}, want: []string{"addr", "nonsense"}},
		{name: "unknown service", args: []string{"--services", "nope"}, want: []string{"services", `"nope"`}},
		{name: "no services", args: []string{"--services", ","}, want: []string{"services"}},
		{name: "negative token delay", args: []string{"--router.demo-token-delay", "-1s"}, want: []string{"router.demo-token-delay", "-1s"}},
		{name: "token delay not a duration", args: []string{"--router.demo-token-delay", "soon"}, want: []string{"router.demo-token-delay", "soon"}},
		{name: "bad log level", args: []string{"--log.level", "loud"}, want: []string{"log.level", "loud"}},
		{name: "bad log format", args: []string{"--log.format", "xml"}, want: []string{"log.format", "xml"}},
		{name: "zero shutdown timeout", args: []string{"--server.shutdown-timeout", "0s"}, want: []string{"server.shutdown-timeout"}},
		{name: "unexpected argument", args: []string{"extra"}, want: []string{`unexpected argument "extra"`}},
		{name: "unknown YAML key", args: []string{"--config", unknownKey}, want: []string{unknownKey, `"router.demo_token_dely"`}},
		{name: "unknown YAML key from MANIFOLD_CONFIG", env: []string{"MANIFOLD_CONFIG", unknownKey}, want: []string{`"router.demo_token_dely"`}},
		{name: "missing config file", args: []string{"--config", "testdata/missing.yaml"}, want: []string{"testdata/missing.yaml"}},
		{name: "bad environment value", env: []string{"MANIFOLD_ROUTER_DEMO_TOKEN_DELAY", "banana"}, want: []string{"MANIFOLD_ROUTER_DEMO_TOKEN_DELAY", "banana"}},
		{name: "environment value failing validation", env: []string{"MANIFOLD_ROUTER_DEMO_TOKEN_DELAY", "2s"}, want: []string{"router.demo-token-delay", "2s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A context that has ended: if the settings were wrongly
			// accepted, serve returns at once instead of hanging the test.
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			var stdout, stderr bytes.Buffer
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, tt.args...)
			code := cli.Main(ctx, args, cli.Env{Stdout: &stdout, Stderr: &stderr, Getenv: environ(tt.env...)})
			if code != cli.ExitUsage {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, cli.ExitUsage, &stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q does not name %q", stderr.String(), w)
				}
			}
			if !strings.HasPrefix(stderr.String(), "manifold: ") || strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("stderr %q, want one line starting with %q", stderr.String(), "manifold: ")
			}
		})
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{name: "version", args: []string{"version"}, wantCode: cli.ExitOK, wantStdout: []string{"manifold "}},
		{name: "version ignores serve's config", args: []string{"version"}, env: []string{"MANIFOLD_CONFIG", "testdata/unknown_key.yaml"}, wantCode: cli.ExitOK, wantStdout: []string{"manifold "}},
		{name: "version with an argument", args: []string{"version", "now"}, wantCode: cli.ExitUsage, wantStderr: []string{`"now"`}},
		{name: "serve --help", args: []string{"serve", "--help"}, wantCode: cli.ExitOK, wantStdout: []string{
			"Usage: manifold serve", "  --addr string", "  --config string", "  --data-dir", "  --database-url",
			"  --services", "  --router.demo-token-delay duration", "  --log.level", "  --log.format", "MANIFOLD_",
		}},
		{name: "serve -h", args: []string{"serve", "-h"}, wantCode: cli.ExitOK, wantStdout: []string{"  --addr string"}},
		{name: "help", args: []string{"help"}, wantCode: cli.ExitOK, wantStdout: []string{"serve", "version"}},
		{name: "no command", wantCode: cli.ExitUsage, wantStderr: []string{"Usage:", "missing command"}},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: cli.ExitUsage, wantStderr: []string{`"frobnicate"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := cli.Main(t.Context(), tt.args, cli.Env{Stdout: &stdout, Stderr: &stderr, Getenv: environ(tt.env...)})
			if code != tt.wantCode {
				t.Errorf("manifold %q exited with %d, want %d; stderr:\n%s", tt.args, code, tt.wantCode, &stderr)
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout %q does not contain %q", stdout.String(), w)
				}
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q does not contain %q", stderr.String(), w)
				}
			}
			if len(tt.wantStderr) == 0 && stderr.Len() != 0 {
				t.Errorf("unexpected stderr %q", stderr.String())
			}
		})
	}
}

// The usage is printed once, not once by the flag package and again by the
// command.
func TestHelpPrintedOnce(t *testing.T) {
	var stdout bytes.Buffer
	if code := cli.Main(t.Context(), []string{"serve", "--help"}, cli.Env{Stdout: &stdout, Stderr: io.Discard, Getenv: environ()}); code != cli.ExitOK {
		t.Fatalf("exit code %d", code)
	}
	if n := strings.Count(stdout.String(), "Usage: manifold serve"); n != 1 {
		t.Errorf("usage printed %d times:\n%s", n, &stdout)
	}
	if strings.Contains(stdout.String(), "\n  -addr") {
		t.Errorf("flags listed with one dash, want --name:\n%s", &stdout)
	}
}

// repoRoot is the directory holding go.work, found from the working
// directory up.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the working directory")
		}
		dir = parent
	}
}

var protoService = regexp.MustCompile(`(?m)^service\s+(\w+)\s*\{`)

// expectedServices are the services `manifold serve` must answer by
// default: health, reflection and, for every component of the app that has
// a proto package manifold.<component>.v1, each service declared there.
func expectedServices(t *testing.T) []string {
	t.Helper()
	want := []string{
		grpchealth.HealthV1ServiceName,
		grpcreflect.ReflectV1ServiceName,
		routerv1connect.RouterServiceName,
	}
	root := repoRoot(t)
	names := app.Names()
	if !slices.Contains(names, "router") {
		t.Fatalf("app.Names() = %q, want router among them", names)
	}
	for _, name := range names {
		files, err := filepath.Glob(filepath.Join(root, "proto", "manifold", name, "v1", "*.proto"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range protoService.FindAllSubmatch(src, -1) {
				svc := fmt.Sprintf("manifold.%s.v1.%s", name, m[1])
				if !slices.Contains(want, svc) {
					want = append(want, svc)
				}
			}
		}
	}
	return want
}
