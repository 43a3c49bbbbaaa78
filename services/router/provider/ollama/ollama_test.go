package ollama_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/emulator"
	ollamaemu "github.com/manifoldgw/manifold/services/internal/emulator/ollama"
	"github.com/manifoldgw/manifold/services/router/provider"
	"github.com/manifoldgw/manifold/services/router/provider/ollama"
)

const model = "llama3.2"

func setup(t testing.TB) (*ollamaemu.Emulator, *ollama.Adapter) {
	t.Helper()
	emu := ollamaemu.New()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	a := ollama.New(provider.Config{Name: "local", BaseURL: srv.URL + "/", HTTPClient: srv.Client(), Headers: map[string]string{"x-team": "core"}})
	return emu, a
}

func call(req *mcpv1.Request) *provider.Call {
	return &provider.Call{Request: req, Model: model}
}

func text(s string) *mcpv1.ContentPart {
	return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: s}}
}

func user(parts ...*mcpv1.ContentPart) *mcpv1.Message {
	return &mcpv1.Message{Role: mcpv1.Role_ROLE_USER, Content: parts}
}

func ask(s string) *mcpv1.Request {
	return &mcpv1.Request{Messages: []*mcpv1.Message{user(text(s))}}
}

func responseText(r *mcpv1.Response) string {
	var b strings.Builder
	for _, p := range r.GetMessage().GetContent() {
		b.WriteString(p.GetText())
	}
	return b.String()
}

func lastBody(t *testing.T, emu *ollamaemu.Emulator) map[string]any {
	t.Helper()
	reqs := emu.Requests()
	if len(reqs) == 0 {
		t.Fatal("emulator received no request")
	}
	var m map[string]any
	if err := json.Unmarshal(reqs[len(reqs)-1].Body, &m); err != nil {
		t.Fatalf("request body: %v", err)
	}
	return m
}

func jsonEqual(t *testing.T, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON: %v", err)
	}
	g, _ := json.Marshal(got)
	var gv any
	_ = json.Unmarshal(g, &gv)
	if !reflect.DeepEqual(gv, w) {
		t.Errorf("JSON mismatch\n got: %s\nwant: %s", g, want)
	}
}

type collected struct {
	text      strings.Builder
	reasoning strings.Builder
	calls     []*mcpv1.ToolCallDelta
	usage     *mcpv1.Usage
	events    int
}

func (c *collected) emit(ev *mcpv1.StreamEvent) error {
	c.events++
	switch e := ev.GetEvent().(type) {
	case *mcpv1.StreamEvent_TextDelta:
		c.text.WriteString(e.TextDelta.GetText())
	case *mcpv1.StreamEvent_ReasoningDelta:
		c.reasoning.WriteString(e.ReasoningDelta.GetText())
	case *mcpv1.StreamEvent_ToolCallDelta:
		c.calls = append(c.calls, e.ToolCallDelta)
	case *mcpv1.StreamEvent_Usage:
		c.usage = e.Usage
	default:
		return errors.New("unexpected event")
	}
	return nil
}

func asAPIError(t *testing.T, err error) *apierror.Error {
	t.Helper()
	var ae *apierror.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an *apierror.Error", err, err)
	}
	return ae
}

func TestGeneratePlain(t *testing.T) {
	emu, a := setup(t)
	resp, err := a.Generate(t.Context(), call(ask("Hello there")))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(resp); got != "Echo: Hello there" {
		t.Errorf("text = %q", got)
	}
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("finish = %v", resp.GetFinishReason())
	}
	want := emulator.Respond(emulator.Turn{LastUserText: "Hello there", InputText: "Hello there\n"})
	if u := resp.GetUsage(); u.GetInputTokens() != int64(want.InputTokens) || u.GetOutputTokens() != int64(want.OutputTokens) || u.GetTotalTokens() != u.GetInputTokens()+u.GetOutputTokens() {
		t.Errorf("usage = %v", u)
	}
	r := emu.Requests()[0]
	if r.Method != http.MethodPost || r.Path != "/api/chat" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("x-team") != "core" || r.Header.Get("Authorization") != "" {
		t.Errorf("headers = %v", r.Header)
	}
	// stream must be sent explicitly: Ollama streams when it is absent.
	jsonEqual(t, lastBody(t, emu), `{"model":"llama3.2","messages":[{"role":"user","content":"Hello there"}],"stream":false}`)
}

func TestStreamMatchesGenerate(t *testing.T) {
	emu, a := setup(t)
	req := ask("Stream me a few words, please")
	plain, err := a.Generate(t.Context(), call(req))
	if err != nil {
		t.Fatal(err)
	}
	var c collected
	fin, err := a.Stream(t.Context(), call(req), c.emit)
	if err != nil {
		t.Fatal(err)
	}
	if c.text.String() != responseText(plain) || c.events < 4 {
		t.Errorf("streamed %q in %d events, plain %q", c.text.String(), c.events, responseText(plain))
	}
	if fin.Reason != plain.GetFinishReason() {
		t.Errorf("finish %v vs %v", fin.Reason, plain.GetFinishReason())
	}
	if c.usage == nil || c.usage.GetInputTokens() != plain.GetUsage().GetInputTokens() || c.usage.GetOutputTokens() != plain.GetUsage().GetOutputTokens() || c.usage.GetTotalTokens() != plain.GetUsage().GetTotalTokens() {
		t.Errorf("stream usage %v, plain %v", c.usage, plain.GetUsage())
	}
	if body := lastBody(t, emu); body["stream"] != true {
		t.Errorf("stream flag = %v", body["stream"])
	}
}

func TestAPIKey(t *testing.T) {
	emu, a := setup(t)
	emu.APIKey = "secret"
	_, err := a.Generate(t.Context(), call(ask("hi")))
	if ae := asAPIError(t, err); ae.Class != mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION || ae.UpstreamStatus != 401 || ae.Message != "unauthorized" {
		t.Errorf("without key: %v %d %q", ae.Class, ae.UpstreamStatus, ae.Message)
	}
	c := call(ask("hi"))
	c.Credential.APIKey = "secret"
	if _, err := a.Generate(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if got := emu.Requests()[1].Header.Get("Authorization"); got != "Bearer secret" {
		t.Errorf("Authorization = %q", got)
	}
}

func TestImages(t *testing.T) {
	emu, a := setup(t)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	gif := []byte("GIF89a....")
	req := &mcpv1.Request{Messages: []*mcpv1.Message{user(
		text("What is in these?"),
		&mcpv1.ContentPart{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Data{Data: png}, MimeType: "image/png"}}},
		&mcpv1.ContentPart{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Url{Url: "data:image/gif;base64," + base64.StdEncoding.EncodeToString(gif)}}}},
	)}}
	resp, err := a.Generate(t.Context(), call(req))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := responseText(resp), "Echo: What is in these? I see 2 image(s): image/png, image/gif."; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	jsonEqual(t, lastBody(t, emu)["messages"], `[{"role":"user","content":"What is in these?","images":["`+
		base64.StdEncoding.EncodeToString(png)+`","`+base64.StdEncoding.EncodeToString(gif)+`"]}]`)

	// Ollama cannot fetch URLs and the gateway does not fetch for it.
	url := &mcpv1.Request{Messages: []*mcpv1.Message{user(text("see"), &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Url{Url: "https://example.com/cat.png"}}}})}}
	_, err = a.Generate(t.Context(), call(url))
	ae := asAPIError(t, err)
	if ae.Class != mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED || ae.Field != "request.messages[0].content[1].image.url" || !strings.Contains(ae.Message, "https") {
		t.Errorf("URL image: %v %q %q", ae.Class, ae.Field, ae.Message)
	}
	if n := len(emu.Requests()); n != 1 {
		t.Errorf("%d requests; the unsupported one must not be sent", n)
	}
}

func weatherTool(t *testing.T) *mcpv1.Tool {
	params, err := structpb.NewStruct(map[string]any{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}},
		"required":   []any{"city"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &mcpv1.Tool{Name: "get_weather", Description: "Weather for a city", Parameters: params}
}

func TestToolRoundTrip(t *testing.T) {
	emu, a := setup(t)
	tools := []*mcpv1.Tool{weatherTool(t)}
	first := &mcpv1.Request{Messages: []*mcpv1.Message{user(text("Use get_weather for Paris"))}, Tools: tools}
	resp, err := a.Generate(t.Context(), call(first))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS {
		t.Fatalf("finish = %v", resp.GetFinishReason())
	}
	calls := resp.GetMessage().GetToolCalls()
	if len(calls) != 1 || calls[0].GetId() != "call_0_get_weather" || calls[0].GetName() != "get_weather" || calls[0].GetArguments() != `{"city":"Use get_weather for Paris"}` {
		t.Fatalf("tool calls = %v", calls)
	}
	jsonEqual(t, lastBody(t, emu)["tools"], `[{"type":"function","function":{"name":"get_weather","description":"Weather for a city",
		"parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`)

	second := &mcpv1.Request{Tools: tools, Messages: []*mcpv1.Message{
		first.Messages[0],
		resp.GetMessage(),
		{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: calls[0].GetId(), Content: []*mcpv1.ContentPart{text("18C and sunny")}},
	}}
	final, err := a.Generate(t.Context(), call(second))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(final); got != "Tool said: 18C and sunny" || final.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("final = %q %v", got, final.GetFinishReason())
	}
	jsonEqual(t, lastBody(t, emu)["messages"], `[
		{"role":"user","content":"Use get_weather for Paris"},
		{"role":"assistant","content":"","tool_calls":[{"id":"call_0_get_weather","function":{"name":"get_weather","arguments":{"city":"Use get_weather for Paris"}}}]},
		{"role":"tool","content":"18C and sunny","tool_name":"get_weather","tool_call_id":"call_0_get_weather"}]`)
}

func TestToolResultParts(t *testing.T) {
	emu, a := setup(t)
	req := &mcpv1.Request{Tools: []*mcpv1.Tool{weatherTool(t)}, Messages: []*mcpv1.Message{
		user(text("weather?")),
		{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: []*mcpv1.ToolCall{
			{Id: "toolu_A", Name: "get_weather", Arguments: `{"city":"Oslo"}`},
			{Id: "toolu_B", Name: "get_weather", Arguments: `{"city":"Rome"}`},
		}},
		user(
			&mcpv1.ContentPart{Part: &mcpv1.ContentPart_ToolResult{ToolResult: &mcpv1.ToolResultPart{ToolCallId: "toolu_A", Content: []*mcpv1.ContentPart{text("3C")}}}},
			&mcpv1.ContentPart{Part: &mcpv1.ContentPart_ToolResult{ToolResult: &mcpv1.ToolResultPart{ToolCallId: "toolu_B", IsError: true, Content: []*mcpv1.ContentPart{text("timeout")}}}},
		),
	}}
	resp, err := a.Generate(t.Context(), call(req))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(resp); got != "Tool said: 3CError: timeout" {
		t.Errorf("text = %q", got)
	}
	jsonEqual(t, lastBody(t, emu)["messages"], `[
		{"role":"user","content":"weather?"},
		{"role":"assistant","content":"","tool_calls":[
			{"id":"toolu_A","function":{"name":"get_weather","arguments":{"city":"Oslo"}}},
			{"id":"toolu_B","function":{"name":"get_weather","arguments":{"city":"Rome"}}}]},
		{"role":"tool","content":"3C","tool_name":"get_weather","tool_call_id":"toolu_A"},
		{"role":"tool","content":"Error: timeout","tool_name":"get_weather","tool_call_id":"toolu_B"}]`)
}

func TestStreamToolCall(t *testing.T) {
	_, a := setup(t)
	req := &mcpv1.Request{Messages: []*mcpv1.Message{user(text("get_weather for Tokyo"))}, Tools: []*mcpv1.Tool{weatherTool(t)}}
	var c collected
	fin, err := a.Stream(t.Context(), call(req), c.emit)
	if err != nil {
		t.Fatal(err)
	}
	if fin.Reason != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS || len(c.calls) != 1 {
		t.Fatalf("finish %v calls %v", fin.Reason, c.calls)
	}
	if d := c.calls[0]; d.GetIndex() != 0 || d.GetId() != "call_0_get_weather" || d.GetName() != "get_weather" || d.GetArgumentsDelta() != `{"city":"get_weather for Tokyo"}` {
		t.Errorf("delta = %v", d)
	}
}

func TestToolChoice(t *testing.T) {
	emu, a := setup(t)
	other := &mcpv1.Tool{Name: "get_time"}
	tools := []*mcpv1.Tool{weatherTool(t), other}

	req := &mcpv1.Request{Messages: []*mcpv1.Message{user(text("get_weather now"))}, Tools: tools,
		ToolChoice: &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE}}}
	resp, err := a.Generate(t.Context(), call(req))
	if err != nil {
		t.Fatal(err)
	}
	if _, sent := lastBody(t, emu)["tools"]; sent || len(resp.GetMessage().GetToolCalls()) != 0 {
		t.Errorf("tool choice none: tools sent %v, calls %v", sent, resp.GetMessage().GetToolCalls())
	}

	req.ToolChoice = &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_ToolName{ToolName: "get_time"}}
	if _, err := a.Generate(t.Context(), call(req)); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, lastBody(t, emu)["tools"], `[{"type":"function","function":{"name":"get_time"}}]`)
}

func TestSystemPrompt(t *testing.T) {
	emu, a := setup(t)
	req := &mcpv1.Request{Messages: []*mcpv1.Message{
		{Role: mcpv1.Role_ROLE_SYSTEM, Content: []*mcpv1.ContentPart{text("You are terse.")}},
		user(text("Hi")),
		{Role: mcpv1.Role_ROLE_DEVELOPER, Content: []*mcpv1.ContentPart{text("Answer in French.")}},
		user(text("Again"), text("and again")),
	}}
	resp, err := a.Generate(t.Context(), call(req))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(resp); got != "Echo: Again\nand again" {
		t.Errorf("text = %q", got)
	}
	jsonEqual(t, lastBody(t, emu)["messages"], `[
		{"role":"system","content":"You are terse."},
		{"role":"user","content":"Hi"},
		{"role":"system","content":"Answer in French."},
		{"role":"user","content":"Again\nand again"}]`)
}

func TestStopSequenceAndOptions(t *testing.T) {
	emu, a := setup(t)
	temp, topP, topK, seed, pp, fp := 0.2, 0.9, int32(40), int64(7), 0.5, -0.5
	req := ask("one two three four")
	req.Sampling = &mcpv1.SamplingParams{Temperature: &temp, TopP: &topP, TopK: &topK, Seed: &seed, PresencePenalty: &pp, FrequencyPenalty: &fp, StopSequences: []string{" three"}}
	resp, err := a.Generate(t.Context(), call(req))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(resp); got != "Echo: one two" || resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("text %q finish %v", got, resp.GetFinishReason())
	}
	jsonEqual(t, lastBody(t, emu)["options"], `{"temperature":0.2,"top_p":0.9,"top_k":40,"seed":7,
		"presence_penalty":0.5,"frequency_penalty":-0.5,"stop":[" three"]}`)
}

func TestMaxTokens(t *testing.T) {
	emu, a := setup(t)
	limit := int32(3)
	req := ask("a long sentence that will not fit")
	req.Sampling = &mcpv1.SamplingParams{MaxOutputTokens: &limit}
	resp, err := a.Generate(t.Context(), call(req))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_LENGTH || resp.GetUsage().GetOutputTokens() != 3 {
		t.Errorf("finish %v usage %v", resp.GetFinishReason(), resp.GetUsage())
	}
	jsonEqual(t, lastBody(t, emu)["options"], `{"num_predict":3}`)
	var c collected
	fin, err := a.Stream(t.Context(), call(req), c.emit)
	if err != nil {
		t.Fatal(err)
	}
	if fin.Reason != mcpv1.FinishReason_FINISH_REASON_LENGTH || c.text.String() != responseText(resp) {
		t.Errorf("stream finish %v text %q", fin.Reason, c.text.String())
	}
}

func TestJSONOutput(t *testing.T) {
	emu, a := setup(t)
	schema, _ := structpb.NewStruct(map[string]any{"type": "object", "properties": map[string]any{"answer": map[string]any{"type": "string"}}})
	req := ask("json please")
	req.ResponseFormat = &mcpv1.ResponseFormat{Type: mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA, JsonSchema: &mcpv1.JsonSchema{Name: "ans", Schema: schema}}
	resp, err := a.Generate(t.Context(), call(req))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(resp); got != `{"answer":"Echo: json please"}` {
		t.Errorf("text = %q", got)
	}
	jsonEqual(t, lastBody(t, emu)["format"], `{"type":"object","properties":{"answer":{"type":"string"}}}`)

	req.ResponseFormat = &mcpv1.ResponseFormat{Type: mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_OBJECT}
	if _, err := a.Generate(t.Context(), call(req)); err != nil {
		t.Fatal(err)
	}
	if got := lastBody(t, emu)["format"]; got != "json" {
		t.Errorf("format = %v", got)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name   string
		fault  emulator.Fault
		class  mcpv1.ErrorClass
		status int
		retry  time.Duration
	}{
		{"not found", emulator.Fault{Status: 404}, mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, 404, 0},
		{"rate limited", emulator.Fault{Status: 429, Headers: map[string]string{"Retry-After": "3"}}, mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, 429, 3 * time.Second},
		{"rate limited ms", emulator.Fault{Status: 429, Headers: map[string]string{"retry-after-ms": "250"}}, mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, 429, 250 * time.Millisecond},
		{"busy", emulator.Fault{Status: 503}, mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED, 503, 0},
		{"server", emulator.Fault{Status: 500}, mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, 500, 0},
		{"bad gateway", emulator.Fault{Status: 502}, mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, 502, 0},
		{"unauthorized", emulator.Fault{Status: 401}, mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, 401, 0},
		{"forbidden", emulator.Fault{Status: 403}, mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, 403, 0},
		{"bad request", emulator.Fault{Status: 400}, mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, 400, 0},
		{"context too long", emulator.Fault{Status: 400, Body: ollamaemu.ErrorBody("input length exceeds the context length")}, mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED, 400, 0},
		{"no tools", emulator.Fault{Status: 400, Body: ollamaemu.ErrorBody("registry.ollama.ai/library/gemma:2b does not support tools")}, mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED, 400, 0},
		{"gateway timeout", emulator.Fault{Status: 504}, mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT, 504, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			emu, a := setup(t)
			for _, stream := range []bool{false, true} {
				emu.Script(tc.fault)
				var err error
				if stream {
					var c collected
					_, err = a.Stream(t.Context(), call(ask("hi")), c.emit)
					if c.events != 0 {
						t.Errorf("stream emitted %d events before the error", c.events)
					}
				} else {
					_, err = a.Generate(t.Context(), call(ask("hi")))
				}
				ae := asAPIError(t, err)
				if ae.Class != tc.class || ae.UpstreamStatus != tc.status || ae.Provider != "local" || ae.RetryAfter != tc.retry || ae.Message == "" {
					t.Errorf("stream=%v: got class %v status %d provider %q retry %v message %q", stream, ae.Class, ae.UpstreamStatus, ae.Provider, ae.RetryAfter, ae.Message)
				}
			}
		})
	}
}

func TestModelNotPulled(t *testing.T) {
	emu, a := setup(t)
	emu.Models = []string{"qwen3"}
	_, err := a.Generate(t.Context(), call(ask("hi")))
	ae := asAPIError(t, err)
	if ae.Class != mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND || ae.Message != `model "llama3.2" not found, try pulling it first` {
		t.Errorf("got %v %q", ae.Class, ae.Message)
	}
}

func TestStreamFaults(t *testing.T) {
	cases := []struct {
		name  string
		fault emulator.Fault
		class mcpv1.ErrorClass
	}{
		{"cut", emulator.Fault{CutAfterChunks: 2}, mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL},
		{"mid-stream error", emulator.Fault{ErrorAfterChunks: 2}, mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE},
		{"malformed", emulator.Fault{MalformedAfterChunks: 2}, mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			emu, a := setup(t)
			emu.Script(tc.fault)
			var c collected
			_, err := a.Stream(t.Context(), call(ask("one two three four five six")), c.emit)
			ae := asAPIError(t, err)
			if ae.Class != tc.class || ae.Provider != "local" {
				t.Errorf("class %v provider %q (%v)", ae.Class, ae.Provider, err)
			}
			if got := c.text.String(); got != "Echo:" || c.usage != nil {
				t.Errorf("before the failure: text %q usage %v", got, c.usage)
			}
		})
	}
}

func TestHangTimesOut(t *testing.T) {
	emu, a := setup(t)
	emu.Script(emulator.Fault{Hang: true})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	var c collected
	_, err := a.Stream(ctx, call(ask("hi")), c.emit)
	if ae := asAPIError(t, err); ae.Class != mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT {
		t.Errorf("class = %v", ae.Class)
	}
}

func TestThinking(t *testing.T) {
	emu, a := setup(t)
	emu.Thought = "Hmm, let me see"
	var c collected
	if _, err := a.Stream(t.Context(), call(ask("ponder")), c.emit); err != nil {
		t.Fatal(err)
	}
	if c.reasoning.String() != emu.Thought || c.text.String() != "Echo: ponder" {
		t.Errorf("reasoning %q text %q", c.reasoning.String(), c.text.String())
	}
	resp, err := a.Generate(t.Context(), call(ask("ponder")))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(resp); got != "Echo: ponder" {
		t.Errorf("thinking leaked into the answer: %q", got)
	}
}

func TestEmbed(t *testing.T) {
	emu, a := setup(t)
	res, err := a.Embed(t.Context(), &provider.EmbedCall{
		Inputs:     []*mcpv1.EmbeddingInput{{Input: &mcpv1.EmbeddingInput_Text{Text: "alpha beta"}}, {Input: &mcpv1.EmbeddingInput_Text{Text: "gamma"}}},
		Dimensions: 5, Model: "nomic-embed-text",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Embeddings) != 2 || len(res.Embeddings[1].GetValues()) != 5 || res.Embeddings[1].GetIndex() != 1 || res.Usage.GetInputTokens() != 3 {
		t.Fatalf("result = %v", res)
	}
	if r := emu.Requests()[0]; r.Path != "/api/embed" {
		t.Errorf("path = %s", r.Path)
	}
	jsonEqual(t, lastBody(t, emu), `{"model":"nomic-embed-text","input":["alpha beta","gamma"],"dimensions":5}`)
}

func TestDefaultBaseURL(t *testing.T) {
	var got string
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = r.URL.String()
		return nil, errors.New("connection refused")
	})}
	_, err := ollama.New(provider.Config{HTTPClient: client}).Generate(t.Context(), call(ask("hi")))
	if got != "http://127.0.0.1:11434/api/chat" {
		t.Errorf("url = %q", got)
	}
	if ae := asAPIError(t, err); ae.Class != mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE || ae.Provider != "ollama" {
		t.Errorf("got %v %q", ae.Class, ae.Provider)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
