package openai

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

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/emulator"
	openaiemu "github.com/manifoldgw/manifold/services/internal/emulator/openai"
	"github.com/manifoldgw/manifold/services/router/provider"
)

func setup(t testing.TB, opts ...Option) (*Adapter, *openaiemu.Emulator) {
	t.Helper()
	emu := openaiemu.New()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return New(provider.Config{Name: "openai-test", BaseURL: srv.URL + "/v1", HTTPClient: srv.Client(),
		Headers: map[string]string{"OpenAI-Project": "proj_test"}}, opts...), emu
}

func text(s string) *mcpv1.ContentPart {
	return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: s}}
}

func msg(role mcpv1.Role, s string) *mcpv1.Message {
	return &mcpv1.Message{Role: role, Content: []*mcpv1.ContentPart{text(s)}}
}

func user(s string) *mcpv1.Message { return msg(mcpv1.Role_ROLE_USER, s) }

func newCall(req *mcpv1.Request) *provider.Call {
	return &provider.Call{Request: req, Model: "gpt-4o-mini", Credential: provider.Credential{Name: "k1", APIKey: "sk-test-123456789"}}
}

// lastBody decodes the JSON body of the last request the emulator got.
func lastBody(t *testing.T, emu *openaiemu.Emulator) map[string]any {
	t.Helper()
	reqs := emu.Requests()
	if len(reqs) == 0 {
		t.Fatal("emulator got no request")
	}
	var m map[string]any
	if err := json.Unmarshal(reqs[len(reqs)-1].Body, &m); err != nil {
		t.Fatalf("request body is not JSON: %v", err)
	}
	return m
}

// at walks a decoded JSON value by keys and indexes.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: not an object: %v", path, v)
			}
			v = m[k]
		case int:
			s, ok := v.([]any)
			if !ok || k >= len(s) {
				t.Fatalf("at %v: not an array with %d items: %v", path, k+1, v)
			}
			v = s[k]
		}
	}
	return v
}

func responseText(r *mcpv1.Response) string {
	var b strings.Builder
	for _, p := range r.GetMessage().GetContent() {
		b.WriteString(p.GetText())
	}
	return b.String()
}

type streamed struct {
	text, reasoning string
	tools           []*mcpv1.ToolCallDelta
	usage           *mcpv1.Usage
	events          int
	finish          provider.Finish
	err             error
}

func stream(ctx context.Context, a *Adapter, c *provider.Call) streamed {
	var s streamed
	var tb, rb strings.Builder
	s.finish, s.err = a.Stream(ctx, c, func(ev *mcpv1.StreamEvent) error {
		s.events++
		switch e := ev.GetEvent().(type) {
		case *mcpv1.StreamEvent_TextDelta:
			tb.WriteString(e.TextDelta.GetText())
		case *mcpv1.StreamEvent_ReasoningDelta:
			rb.WriteString(e.ReasoningDelta.GetText())
		case *mcpv1.StreamEvent_ToolCallDelta:
			s.tools = append(s.tools, e.ToolCallDelta)
		case *mcpv1.StreamEvent_Usage:
			s.usage = e.Usage
		default:
			return errors.New("unexpected event")
		}
		return nil
	})
	s.text, s.reasoning = tb.String(), rb.String()
	return s
}

func classOf(t *testing.T, err error) *apierror.Error {
	t.Helper()
	var e *apierror.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *apierror.Error", err, err)
	}
	return e
}

func TestGeneratePlain(t *testing.T) {
	a, emu := setup(t)
	resp, err := a.Generate(t.Context(), newCall(&mcpv1.Request{Messages: []*mcpv1.Message{user("hello there")}}))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(resp); got != "Echo: hello there" {
		t.Errorf("text = %q", got)
	}
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("finish = %v", resp.GetFinishReason())
	}
	if resp.GetMessage().GetRole() != mcpv1.Role_ROLE_ASSISTANT {
		t.Errorf("role = %v", resp.GetMessage().GetRole())
	}
	wantOut := int64(emulator.CountTokens("Echo: hello there"))
	u := resp.GetUsage()
	if u.GetOutputTokens() != wantOut || u.GetInputTokens() == 0 || u.GetTotalTokens() != u.GetInputTokens()+wantOut {
		t.Errorf("usage = %v, want output %d", u, wantOut)
	}
	if resp.GetMetadata().GetModel() != "gpt-4o-mini" || resp.GetMetadata().GetProvider() != "openai-test" {
		t.Errorf("metadata = %v", resp.GetMetadata())
	}
	r := emu.Requests()[0]
	if r.Method != http.MethodPost || r.Path != "/v1/chat/completions" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	for k, want := range map[string]string{"Authorization": "Bearer sk-test-123456789", "Content-Type": "application/json", "Openai-Project": "proj_test"} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	body := lastBody(t, emu)
	if body["model"] != "gpt-4o-mini" || body["stream"] != nil || body["stream_options"] != nil {
		t.Errorf("body = %v", body)
	}
	if got := at(t, body, "messages", 0); !reflect.DeepEqual(got, map[string]any{"role": "user", "content": "hello there"}) {
		t.Errorf("message = %v", got)
	}
}

func TestStreamMatchesGenerate(t *testing.T) {
	a, emu := setup(t)
	req := &mcpv1.Request{Messages: []*mcpv1.Message{user("tell me, briefly, about streams")}}
	want, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	s := stream(t.Context(), a, newCall(req))
	if s.err != nil {
		t.Fatal(s.err)
	}
	if s.text != responseText(want) {
		t.Errorf("streamed %q, generated %q", s.text, responseText(want))
	}
	if !proto.Equal(s.usage, want.GetUsage()) {
		t.Errorf("stream usage %v, generate usage %v", s.usage, want.GetUsage())
	}
	if s.finish.Reason != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("finish = %v", s.finish)
	}
	if s.events < 3 {
		t.Errorf("only %d events: the text was not streamed in pieces", s.events)
	}
	body := lastBody(t, emu)
	if body["stream"] != true || !reflect.DeepEqual(body["stream_options"], map[string]any{"include_usage": true}) {
		t.Errorf("stream fields = %v, %v", body["stream"], body["stream_options"])
	}
	if got := emu.Requests()[1].Header.Get("Accept"); got != "text/event-stream" {
		t.Errorf("accept = %q", got)
	}
}

func TestImageInput(t *testing.T) {
	a, emu := setup(t)
	png := []byte("\x89PNG\r\n\x1a\nfake")
	req := &mcpv1.Request{Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{
		text("what is this?"),
		{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Url{Url: "https://example.com/cat.jpg"}, Detail: mcpv1.ImageDetail_IMAGE_DETAIL_LOW}}},
		{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Data{Data: png}, MimeType: "image/png"}}},
		{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Url{Url: "data:image/webp;base64,UklGRg=="}}}},
	}}}}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := responseText(resp), "Echo: what is this? I see 3 image(s): image/jpeg, image/png, image/webp."; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	body := lastBody(t, emu)
	parts := at(t, body, "messages", 0, "content")
	want := []any{
		map[string]any{"type": "text", "text": "what is this?"},
		map[string]any{"type": "image_url", "image_url": map[string]any{"url": "https://example.com/cat.jpg", "detail": "low"}},
		map[string]any{"type": "image_url", "image_url": map[string]any{"url": "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)}},
		map[string]any{"type": "image_url", "image_url": map[string]any{"url": "data:image/webp;base64,UklGRg=="}},
	}
	if !reflect.DeepEqual(parts, want) {
		t.Errorf("parts = %v\nwant %v", parts, want)
	}
}

func weatherTool(t *testing.T) *mcpv1.Tool {
	t.Helper()
	params, err := structpb.NewStruct(map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []any{"city"}})
	if err != nil {
		t.Fatal(err)
	}
	return &mcpv1.Tool{Name: "get_weather", Description: "Weather by city", Parameters: params}
}

func TestToolRoundTrip(t *testing.T) {
	a, emu := setup(t)
	tool := weatherTool(t)
	first := &mcpv1.Request{Messages: []*mcpv1.Message{user("call get_weather for Paris")}, Tools: []*mcpv1.Tool{tool},
		ToolChoice: &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO}}}
	resp, err := a.Generate(t.Context(), newCall(first))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS || len(resp.GetMessage().GetToolCalls()) != 1 {
		t.Fatalf("response = %v", resp)
	}
	tc := resp.GetMessage().GetToolCalls()[0]
	if !strings.HasPrefix(tc.GetId(), "call_") || tc.GetName() != "get_weather" || tc.GetArguments() != `{"city":"call get_weather for Paris"}` {
		t.Errorf("tool call = %v", tc)
	}
	body := lastBody(t, emu)
	wantTools := []any{map[string]any{"type": "function", "function": map[string]any{"name": "get_weather", "description": "Weather by city",
		"parameters": map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []any{"city"}}}}}
	if !reflect.DeepEqual(body["tools"], wantTools) || body["tool_choice"] != "auto" {
		t.Errorf("tools = %v, tool_choice = %v", body["tools"], body["tool_choice"])
	}

	// The same call streamed: first delta carries id and name, the rest
	// argument fragments that join to the same arguments.
	s := stream(t.Context(), a, newCall(first))
	if s.err != nil || s.finish.Reason != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS {
		t.Fatalf("stream: %v %v", s.finish, s.err)
	}
	if len(s.tools) < 2 || s.tools[0].GetId() == "" || s.tools[0].GetName() != "get_weather" {
		t.Fatalf("tool deltas = %v", s.tools)
	}
	var args strings.Builder
	for i, d := range s.tools {
		if i > 0 && (d.GetId() != "" || d.GetName() != "") {
			t.Errorf("delta %d repeats id/name: %v", i, d)
		}
		if d.GetIndex() != 0 {
			t.Errorf("delta %d index = %d", i, d.GetIndex())
		}
		args.WriteString(d.GetArgumentsDelta())
	}
	if args.String() != tc.GetArguments() {
		t.Errorf("streamed arguments %q, generated %q", args.String(), tc.GetArguments())
	}

	// Answer the call: the assistant turn and the tool message carry the id.
	second := &mcpv1.Request{Tools: []*mcpv1.Tool{tool}, Messages: []*mcpv1.Message{
		user("call get_weather for Paris"),
		resp.GetMessage(),
		{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: tc.GetId(), Content: []*mcpv1.ContentPart{text(`{"temp_c":18}`)}},
	}}
	final, err := a.Generate(t.Context(), newCall(second))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(final); got != `Tool said: {"temp_c":18}` {
		t.Errorf("final = %q", got)
	}
	body = lastBody(t, emu)
	wantMsgs := []any{
		map[string]any{"role": "user", "content": "call get_weather for Paris"},
		map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{"id": tc.GetId(), "type": "function",
			"function": map[string]any{"name": "get_weather", "arguments": tc.GetArguments()}}}},
		map[string]any{"role": "tool", "tool_call_id": tc.GetId(), "content": `{"temp_c":18}`},
	}
	if !reflect.DeepEqual(body["messages"], wantMsgs) {
		t.Errorf("messages = %v\nwant %v", body["messages"], wantMsgs)
	}

	// Results given as tool_result parts of a user message become tool
	// messages too.
	third := &mcpv1.Request{Tools: []*mcpv1.Tool{tool}, Messages: []*mcpv1.Message{
		user("call get_weather for Paris"),
		resp.GetMessage(),
		{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_ToolResult{ToolResult: &mcpv1.ToolResultPart{
			ToolCallId: tc.GetId(), Content: []*mcpv1.ContentPart{text("sunny")}}}}}},
	}}
	final, err = a.Generate(t.Context(), newCall(third))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(final); got != "Tool said: sunny" {
		t.Errorf("final = %q", got)
	}
}

func TestForcedToolChoice(t *testing.T) {
	a, emu := setup(t)
	req := &mcpv1.Request{Messages: []*mcpv1.Message{user("hi")}, Tools: []*mcpv1.Tool{weatherTool(t)},
		ToolChoice: &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_ToolName{ToolName: "get_weather"}}}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetMessage().GetToolCalls()) != 1 {
		t.Errorf("forced tool not called: %v", resp)
	}
	want := map[string]any{"type": "function", "function": map[string]any{"name": "get_weather"}}
	if got := lastBody(t, emu)["tool_choice"]; !reflect.DeepEqual(got, want) {
		t.Errorf("tool_choice = %v", got)
	}
}

func TestSystemPrompt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		flavor Flavor
		dev    string
	}{{"openai", FlavorOpenAI, "developer"}, {"compatible", FlavorCompatible, "system"}} {
		t.Run(tc.name, func(t *testing.T) {
			a, emu := setup(t, WithFlavor(tc.flavor))
			req := &mcpv1.Request{Messages: []*mcpv1.Message{
				msg(mcpv1.Role_ROLE_SYSTEM, "You are terse."),
				msg(mcpv1.Role_ROLE_DEVELOPER, "Answer in English."),
				user("hi"),
			}}
			if _, err := a.Generate(t.Context(), newCall(req)); err != nil {
				t.Fatal(err)
			}
			want := []any{
				map[string]any{"role": "system", "content": "You are terse."},
				map[string]any{"role": tc.dev, "content": "Answer in English."},
				map[string]any{"role": "user", "content": "hi"},
			}
			if got := lastBody(t, emu)["messages"]; !reflect.DeepEqual(got, want) {
				t.Errorf("messages = %v", got)
			}
		})
	}
}

func TestStopSequence(t *testing.T) {
	a, emu := setup(t)
	req := &mcpv1.Request{Messages: []*mcpv1.Message{user("hello world again")},
		Sampling: &mcpv1.SamplingParams{StopSequences: []string{"world", "zzz"}}}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(resp); got != "Echo: hello " {
		t.Errorf("text = %q", got)
	}
	// OpenAI reports a matched stop sequence as plain "stop".
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("finish = %v", resp.GetFinishReason())
	}
	if got := lastBody(t, emu)["stop"]; !reflect.DeepEqual(got, []any{"world", "zzz"}) {
		t.Errorf("stop = %v", got)
	}
}

func TestVLLMStopReason(t *testing.T) {
	// vLLM names the matched stop string in choices[].stop_reason.
	a := New(provider.Config{BaseURL: "http://unused"}, WithFlavor(FlavorCompatible))
	var cr chatResponse
	if err := json.Unmarshal([]byte(`{"id":"cmpl-1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Echo: hello "},"finish_reason":"stop","stop_reason":"world"}],"usage":{"prompt_tokens":4,"completion_tokens":3,"total_tokens":7}}`), &cr); err != nil {
		t.Fatal(err)
	}
	resp, err := a.parseResponse(&cr, 200)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE || resp.GetStopSequence() != "world" {
		t.Errorf("finish = %v %q", resp.GetFinishReason(), resp.GetStopSequence())
	}
}

func TestMaxTokensLength(t *testing.T) {
	a, emu := setup(t)
	max := int32(2)
	req := &mcpv1.Request{Messages: []*mcpv1.Message{user("a fairly long question here")}, Sampling: &mcpv1.SamplingParams{MaxOutputTokens: &max}}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_LENGTH || resp.GetUsage().GetOutputTokens() != 2 {
		t.Errorf("finish = %v, usage = %v", resp.GetFinishReason(), resp.GetUsage())
	}
	body := lastBody(t, emu)
	if body["max_completion_tokens"] != 2.0 || body["max_tokens"] != nil {
		t.Errorf("max_completion_tokens = %v, max_tokens = %v", body["max_completion_tokens"], body["max_tokens"])
	}
	s := stream(t.Context(), a, newCall(req))
	if s.err != nil || s.finish.Reason != mcpv1.FinishReason_FINISH_REASON_LENGTH {
		t.Errorf("stream finish = %v, %v", s.finish, s.err)
	}
}

func TestJSONOutput(t *testing.T) {
	a, emu := setup(t)
	schema, err := structpb.NewStruct(map[string]any{"type": "object", "properties": map[string]any{"answer": map[string]any{"type": "string"}},
		"required": []any{"answer"}, "additionalProperties": false})
	if err != nil {
		t.Fatal(err)
	}
	req := &mcpv1.Request{Messages: []*mcpv1.Message{user("hi")}, ResponseFormat: &mcpv1.ResponseFormat{
		Type: mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA, JsonSchema: &mcpv1.JsonSchema{Name: "reply", Schema: schema, Strict: true}}}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Answer string }
	if err := json.Unmarshal([]byte(responseText(resp)), &out); err != nil || out.Answer != "Echo: hi" {
		t.Errorf("answer %q is not the JSON asked for: %v", responseText(resp), err)
	}
	want := map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": "reply", "strict": true,
		"schema": map[string]any{"type": "object", "properties": map[string]any{"answer": map[string]any{"type": "string"}}, "required": []any{"answer"}, "additionalProperties": false}}}
	if got := lastBody(t, emu)["response_format"]; !reflect.DeepEqual(got, want) {
		t.Errorf("response_format = %v", got)
	}

	// json_object: OpenAI insists the messages mention JSON.
	req = &mcpv1.Request{Messages: []*mcpv1.Message{user("hi")}, ResponseFormat: &mcpv1.ResponseFormat{Type: mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_OBJECT}}
	_, err = a.Generate(t.Context(), newCall(req))
	if e := classOf(t, err); e.Class != mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST || !strings.Contains(e.Message, "json") {
		t.Errorf("json_object without 'json': %v", e)
	}
	req.Messages[0] = user("reply in json")
	if _, err := a.Generate(t.Context(), newCall(req)); err != nil {
		t.Fatal(err)
	}
	if got := lastBody(t, emu)["response_format"]; !reflect.DeepEqual(got, map[string]any{"type": "json_object"}) {
		t.Errorf("response_format = %v", got)
	}
}

// TestGoldenRequest pins the exact JSON sent for a request using every
// field, against the field names of CreateChatCompletionRequest.
func TestGoldenRequest(t *testing.T) {
	temp, topP, pp, fp := 0.5, 0.9, 0.1, -0.2
	var topK, max int32 = 40, 300
	seed := int64(7)
	req := &mcpv1.Request{
		Messages: []*mcpv1.Message{
			msg(mcpv1.Role_ROLE_DEVELOPER, "You are terse."),
			{Role: mcpv1.Role_ROLE_USER, Name: "alice", Content: []*mcpv1.ContentPart{text("Weather in Paris?")}},
		},
		Sampling: &mcpv1.SamplingParams{Temperature: &temp, TopP: &topP, TopK: &topK, MaxOutputTokens: &max,
			StopSequences: []string{"END"}, Seed: &seed, PresencePenalty: &pp, FrequencyPenalty: &fp},
		ToolChoice: &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE}},
		Options:    &mcpv1.RequestOptions{User: "user-42"},
	}
	golden := map[Flavor]string{
		FlavorOpenAI: `{"model":"gpt-4o-mini","messages":[{"role":"developer","content":"You are terse."},{"role":"user","content":"Weather in Paris?","name":"alice"}],
			"temperature":0.5,"top_p":0.9,"max_completion_tokens":300,"stop":["END"],"seed":7,"presence_penalty":0.1,"frequency_penalty":-0.2,
			"tool_choice":"none","user":"user-42","stream":true,"stream_options":{"include_usage":true}}`,
		FlavorMistral: `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Weather in Paris?","name":"alice"}],
			"temperature":0.5,"top_p":0.9,"max_tokens":300,"stop":["END"],"random_seed":7,"presence_penalty":0.1,"frequency_penalty":-0.2,
			"tool_choice":"none","stream":true}`,
		FlavorGroq: `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Weather in Paris?"}],
			"temperature":0.5,"top_p":0.9,"max_completion_tokens":300,"stop":["END"],"seed":7,"presence_penalty":0.1,"frequency_penalty":-0.2,
			"tool_choice":"none","user":"user-42","stream":true,"stream_options":{"include_usage":true}}`,
		FlavorCompatible: `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Weather in Paris?","name":"alice"}],
			"temperature":0.5,"top_p":0.9,"top_k":40,"max_tokens":300,"stop":["END"],"seed":7,"presence_penalty":0.1,"frequency_penalty":-0.2,
			"tool_choice":"none","user":"user-42","stream":true,"stream_options":{"include_usage":true}}`,
	}
	for f, want := range golden {
		a := New(provider.Config{BaseURL: "http://unused"}, WithFlavor(f))
		body, err := a.buildRequest(newCall(req), true)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(body)
		var g, w any
		_ = json.Unmarshal(got, &g)
		if err := json.Unmarshal([]byte(want), &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("flavor %d sends\n%s\nwant\n%s", f, got, want)
		}
	}
}

func TestErrorClasses(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       openaiemu.Options
		fault      emulator.Fault
		class      mcpv1.ErrorClass
		retryAfter time.Duration
		message    string
	}{
		{name: "429 retry-after", fault: emulator.Fault{Status: 429, Headers: map[string]string{"Retry-After": "2"}},
			class: mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, retryAfter: 2 * time.Second, message: "Rate limit reached"},
		{name: "429 retry-after-ms", fault: emulator.Fault{Status: 429, Headers: map[string]string{"Retry-After-Ms": "250", "Retry-After": "9"}},
			class: mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, retryAfter: 250 * time.Millisecond},
		{name: "429 reset header", fault: emulator.Fault{Status: 429},
			class: mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, retryAfter: time.Second},
		{name: "429 insufficient quota", fault: emulator.Fault{Status: 429, Body: `{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`},
			class: mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED, message: "You exceeded your current quota"},
		{name: "503", fault: emulator.Fault{Status: 503}, class: mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED, message: "overloaded"},
		{name: "529", fault: emulator.Fault{Status: 529}, class: mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED},
		{name: "500", fault: emulator.Fault{Status: 500}, class: mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, message: "The server had an error"},
		{name: "502 html", fault: emulator.Fault{Status: 502, Body: "<html>bad gateway</html>"}, class: mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, message: "Bad Gateway"},
		{name: "504", fault: emulator.Fault{Status: 504}, class: mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT},
		{name: "401", fault: emulator.Fault{Status: 401}, class: mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, message: "Incorrect API key"},
		{name: "403", fault: emulator.Fault{Status: 403}, class: mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED},
		{name: "404", fault: emulator.Fault{Status: 404}, class: mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND},
		{name: "400", fault: emulator.Fault{Status: 400}, class: mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST},
		{name: "context window", opts: openaiemu.Options{ContextWindow: 3}, class: mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED, message: "maximum context length"},
		{name: "azure content filter", fault: emulator.Fault{Status: 400, Body: `{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400}}`},
			class: mcpv1.ErrorClass_ERROR_CLASS_CONTENT_FILTERED},
		{name: "vllm top-level", fault: emulator.Fault{Status: 400, Body: `{"object":"error","message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","param":null,"code":400}`},
			class: mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED, message: "maximum context length is 4096"},
		{name: "mistral top-level", opts: openaiemu.Options{Flavor: openaiemu.FlavorMistral}, fault: emulator.Fault{Status: 400},
			class: mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, message: "Scripted error."},
		{name: "openrouter numeric 402", opts: openaiemu.Options{Flavor: openaiemu.FlavorOpenRouter}, fault: emulator.Fault{Status: 402},
			class: mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, emu := setup(t)
			emu.Configure(tc.opts)
			req := &mcpv1.Request{Messages: []*mcpv1.Message{user("hello there, how are you")}}
			for _, streaming := range []bool{false, true} {
				if tc.fault.Status != 0 {
					emu.Script(tc.fault)
				}
				var err error
				if streaming {
					s := stream(t.Context(), a, newCall(req))
					err = s.err
					if s.events != 0 {
						t.Errorf("stream emitted %d events before the error", s.events)
					}
				} else {
					_, err = a.Generate(t.Context(), newCall(req))
				}
				e := classOf(t, err)
				if e.Class != tc.class {
					t.Errorf("stream=%v: class = %v, want %v (%v)", streaming, e.Class, tc.class, e)
				}
				if tc.fault.Status != 0 && e.UpstreamStatus != tc.fault.Status {
					t.Errorf("upstream status = %d", e.UpstreamStatus)
				}
				if e.Provider != "openai-test" || e.Message == "" {
					t.Errorf("provider %q message %q", e.Provider, e.Message)
				}
				if tc.message != "" && !strings.Contains(e.Message, tc.message) {
					t.Errorf("message %q lacks %q", e.Message, tc.message)
				}
				if e.RetryAfter != tc.retryAfter {
					t.Errorf("retry after = %v, want %v", e.RetryAfter, tc.retryAfter)
				}
				if strings.Contains(e.Message, "sk-test-123456789") {
					t.Errorf("message leaks the key: %q", e.Message)
				}
			}
		})
	}
}

func TestRateLimitDetail(t *testing.T) {
	a, emu := setup(t)
	emu.Script(emulator.Fault{Status: 429})
	_, err := a.Generate(t.Context(), newCall(&mcpv1.Request{Messages: []*mcpv1.Message{user("hi")}}))
	e := classOf(t, err)
	if e.LimitName != "requests" || e.LimitValue != 60 || e.LimitRemaining != 0 {
		t.Errorf("limit = %q %d %d", e.LimitName, e.LimitValue, e.LimitRemaining)
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h := http.Header{}
	h.Set("Retry-After", now.Add(30*time.Second).Format(http.TimeFormat))
	if got := retryAfter(h, now); got != 30*time.Second {
		t.Errorf("retry after = %v", got)
	}
	h = http.Header{}
	h.Set("X-Ratelimit-Remaining-Tokens", "0")
	h.Set("X-Ratelimit-Reset-Tokens", "6m0s")
	h.Set("X-Ratelimit-Remaining-Requests", "5")
	h.Set("X-Ratelimit-Reset-Requests", "1s")
	if got := retryAfter(h, now); got != 6*time.Minute {
		t.Errorf("retry after from tokens reset = %v", got)
	}
}

func TestAuthenticationMissingKey(t *testing.T) {
	a, _ := setup(t)
	c := newCall(&mcpv1.Request{Messages: []*mcpv1.Message{user("hi")}})
	c.Credential = provider.Credential{}
	_, err := a.Generate(t.Context(), c)
	if e := classOf(t, err); e.Class != mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION || !strings.Contains(e.Message, "You didn't provide an API key") {
		t.Errorf("error = %v", e)
	}
}

func TestStreamFaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    openaiemu.Options
		fault   emulator.Fault
		class   mcpv1.ErrorClass
		message string
	}{
		{"cut", openaiemu.Options{}, emulator.Fault{CutAfterChunks: 3}, mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL, "without [DONE]"},
		{"error event", openaiemu.Options{}, emulator.Fault{ErrorAfterChunks: 3}, mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "The server had an error"},
		{"malformed", openaiemu.Options{}, emulator.Fault{MalformedAfterChunks: 3}, mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL, "malformed"},
		{"openrouter error", openaiemu.Options{Flavor: openaiemu.FlavorOpenRouter}, emulator.Fault{ErrorAfterChunks: 3}, mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "Provider returned error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, emu := setup(t)
			emu.Configure(tc.opts)
			emu.Script(tc.fault)
			s := stream(t.Context(), a, newCall(&mcpv1.Request{Messages: []*mcpv1.Message{user("one two three four five six")}}))
			e := classOf(t, s.err)
			if e.Class != tc.class || !strings.Contains(e.Message, tc.message) {
				t.Errorf("error = %v (%v), want %v containing %q", e.Class, e.Message, tc.class, tc.message)
			}
			// Chunks: role, "Echo", ":" → two text deltas before the fault.
			if s.text != "Echo:" {
				t.Errorf("text before the fault = %q", s.text)
			}
			if s.usage != nil {
				t.Errorf("usage reported for a broken stream: %v", s.usage)
			}
		})
	}
}

func TestOpenRouterKeepAlive(t *testing.T) {
	a, emu := setup(t, WithFlavor(FlavorCompatible))
	emu.Configure(openaiemu.Options{Flavor: openaiemu.FlavorOpenRouter})
	s := stream(t.Context(), a, newCall(&mcpv1.Request{Messages: []*mcpv1.Message{user("hi")}}))
	if s.err != nil || s.text != "Echo: hi" {
		t.Errorf("stream = %q, %v", s.text, s.err)
	}
}

func TestUsageCachedAndReasoning(t *testing.T) {
	a, emu := setup(t)
	emu.Configure(openaiemu.Options{CachedTokens: 3, Reasoning: "Let me think."})
	req := &mcpv1.Request{Messages: []*mcpv1.Message{user("a question with several words")}}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	u := resp.GetUsage()
	reasoning := int64(emulator.CountTokens("Let me think."))
	answer := int64(emulator.CountTokens(responseText(resp)))
	if u.GetCachedInputTokens() != 3 || u.GetReasoningTokens() != reasoning || u.GetOutputTokens() != answer+reasoning ||
		u.GetTotalTokens() != u.GetInputTokens()+u.GetOutputTokens() {
		t.Errorf("usage = %v", u)
	}
	s := stream(t.Context(), a, newCall(req))
	if s.err != nil {
		t.Fatal(s.err)
	}
	if s.reasoning != "Let me think." || s.text != responseText(resp) || !proto.Equal(s.usage, u) {
		t.Errorf("stream reasoning %q text %q usage %v", s.reasoning, s.text, s.usage)
	}
}

// TestParseCapturedResponse parses the non-streaming example of
// PROVIDER_WIRE_FORMATS.md §1.3 (with non-zero details).
func TestParseCapturedResponse(t *testing.T) {
	const body = `{"id":"chatcmpl-abc123","object":"chat.completion","created":1699896916,"model":"gpt-4o-mini",
 "choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,"annotations":[],
   "tool_calls":[{"id":"call_abc123","type":"function",
     "function":{"name":"get_current_weather","arguments":"{\n\"location\": \"Boston, MA\"\n}"}}]},
   "logprobs":null,"finish_reason":"tool_calls"}],
 "usage":{"prompt_tokens":82,"completion_tokens":17,"total_tokens":99,
   "prompt_tokens_details":{"cached_tokens":64,"audio_tokens":0},
   "completion_tokens_details":{"reasoning_tokens":5,"audio_tokens":0,
     "accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},
 "service_tier":"default"}`
	var cr chatResponse
	if err := json.Unmarshal([]byte(body), &cr); err != nil {
		t.Fatal(err)
	}
	a := New(provider.Config{})
	resp, err := a.parseResponse(&cr, 200)
	if err != nil {
		t.Fatal(err)
	}
	want := &mcpv1.Usage{InputTokens: 82, OutputTokens: 17, CachedInputTokens: 64, ReasoningTokens: 5, TotalTokens: 99}
	if !proto.Equal(resp.GetUsage(), want) {
		t.Errorf("usage = %v", resp.GetUsage())
	}
	tc := resp.GetMessage().GetToolCalls()
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS || len(tc) != 1 || tc[0].GetId() != "call_abc123" ||
		tc[0].GetArguments() != "{\n\"location\": \"Boston, MA\"\n}" || len(resp.GetMessage().GetContent()) != 0 {
		t.Errorf("response = %v", resp)
	}
}

// TestParseCapturedStream feeds the real tool-call stream of §1.4 (with
// CRLF line ends, a comment and a split data line) to the stream parser.
func TestParseCapturedStream(t *testing.T) {
	body := ": OPENROUTER PROCESSING\r\n\r\n" +
		`data: {"id":"chatcmpl-Bwkw","object":"chat.completion.chunk","created":1753343173,"model":"gpt-4.1-2025-04-14","service_tier":"default","system_fingerprint":"fp_b3f1157249","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_HjeqP7YeRkoNj0de9e3U4X4B","type":"function","function":{"name":"read_file","arguments":""}}],"refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}` + "\r\n\r\n" +
		`data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\""}}]},"logprobs":null,"finish_reason":null}],"usage":null}` + "\n\n" +
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\n" +
		"data: \"function\":{\"arguments\":\"path\\\":\\\"a\\\"}\"}}]},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n" +
		`data: {"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}` + "\n\n" +
		`data: {"choices":[],"usage":{"prompt_tokens":60,"completion_tokens":15,"total_tokens":75,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}` + "\n\n" +
		"data: [DONE]\n\n"
	a := New(provider.Config{})
	var deltas []*mcpv1.ToolCallDelta
	var usage *mcpv1.Usage
	fin, err := a.readStream(t.Context(), strings.NewReader(body), func(ev *mcpv1.StreamEvent) error {
		if d := ev.GetToolCallDelta(); d != nil {
			deltas = append(deltas, d)
		}
		if u := ev.GetUsage(); u != nil {
			usage = u
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fin.Reason != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS {
		t.Errorf("finish = %v", fin)
	}
	if len(deltas) != 3 || deltas[0].GetId() != "call_HjeqP7YeRkoNj0de9e3U4X4B" || deltas[0].GetName() != "read_file" ||
		deltas[1].GetArgumentsDelta() != `{"` || deltas[2].GetArgumentsDelta() != `path":"a"}` {
		t.Errorf("deltas = %v", deltas)
	}
	if !proto.Equal(usage, &mcpv1.Usage{InputTokens: 60, OutputTokens: 15, TotalTokens: 75}) {
		t.Errorf("usage = %v", usage)
	}
}

func TestStreamParserEdges(t *testing.T) {
	a := New(provider.Config{})
	noop := func(*mcpv1.StreamEvent) error { return nil }
	for _, tc := range []struct {
		name, body string
		class      mcpv1.ErrorClass
	}{
		{"empty body", "", mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL},
		{"done without blank line", "data: [DONE]", mcpv1.ErrorClass_ERROR_CLASS_UNSPECIFIED},
		{"truncated json", `data: {"choices":[{"index":0,"delta":{"content":"hi`, mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL},
		{"rate limit event", `data: {"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}` + "\n\n", mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED},
		{"event error line", "event: error\ndata: {\"message\":\"boom\"}\n\n", mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE},
		{"long line", "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + strings.Repeat("x", 40000) + "\"}}]}\n\ndata: [DONE]\n\n", mcpv1.ErrorClass_ERROR_CLASS_UNSPECIFIED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.readStream(t.Context(), strings.NewReader(tc.body), noop)
			if tc.class == mcpv1.ErrorClass_ERROR_CLASS_UNSPECIFIED {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if e := classOf(t, err); e.Class != tc.class {
				t.Errorf("class = %v (%v)", e.Class, e)
			}
		})
	}
}

func TestEmitErrorStopsStream(t *testing.T) {
	a, _ := setup(t)
	stop := errors.New("client gone")
	n := 0
	_, err := a.Stream(t.Context(), newCall(&mcpv1.Request{Messages: []*mcpv1.Message{user("one two three")}}), func(*mcpv1.StreamEvent) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err = %v after %d events", err, n)
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	a, emu := setup(t)
	req := &mcpv1.Request{Messages: []*mcpv1.Message{user("hi")}}
	emu.Script(emulator.Fault{Hang: true})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := a.Generate(ctx, newCall(req))
	if e := classOf(t, err); e.Class != mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT {
		t.Errorf("class = %v", e.Class)
	}

	// Cancel once the emulator holds the request.
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	b := New(provider.Config{BaseURL: srv.URL + "/v1", HTTPClient: srv.Client()})
	emu.Script(emulator.Fault{Hang: true})
	ctx, cancel = context.WithCancel(t.Context())
	go func() {
		<-arrived
		cancel()
	}()
	s := stream(ctx, b, newCall(req))
	if e := classOf(t, s.err); e.Class != mcpv1.ErrorClass_ERROR_CLASS_CANCELLED {
		t.Errorf("class = %v", e.Class)
	}
}

func TestStreamAnsweredWithJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"error":{"message":"Rate limit exceeded: free-models-per-day","code":429}}`))
	}))
	t.Cleanup(srv.Close)
	a := New(provider.Config{BaseURL: srv.URL}, WithFlavor(FlavorCompatible))
	s := stream(t.Context(), a, newCall(&mcpv1.Request{Messages: []*mcpv1.Message{user("hi")}}))
	if e := classOf(t, s.err); e.Class != mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED || !strings.Contains(e.Message, "free-models-per-day") {
		t.Errorf("error = %v %v", e.Class, e)
	}
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	a := New(provider.Config{BaseURL: url})
	_, err := a.Generate(t.Context(), newCall(&mcpv1.Request{Messages: []*mcpv1.Message{user("hi")}}))
	if e := classOf(t, err); e.Class != mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE {
		t.Errorf("class = %v", e.Class)
	}
}

func TestAzure(t *testing.T) {
	emu := openaiemu.New()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	a := NewAzure(provider.Config{Name: "azure", BaseURL: srv.URL, APIVersion: "2024-10-21", HTTPClient: srv.Client()})
	c := newCall(&mcpv1.Request{Messages: []*mcpv1.Message{user("hi")}})
	c.Model = "my-gpt4o"
	resp, err := a.Generate(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if responseText(resp) != "Echo: hi" {
		t.Errorf("text = %q", responseText(resp))
	}
	s := stream(t.Context(), a, c)
	if s.err != nil || s.text != "Echo: hi" {
		t.Errorf("stream = %q %v", s.text, s.err)
	}
	r := emu.Requests()[0]
	if r.Path != "/openai/deployments/my-gpt4o/chat/completions" || r.Query != "api-version=2024-10-21" {
		t.Errorf("request = %s?%s", r.Path, r.Query)
	}
	if r.Header.Get("Api-Key") != "sk-test-123456789" || r.Header.Get("Authorization") != "" {
		t.Errorf("auth headers = %v", r.Header)
	}
	if _, ok := lastBody(t, emu)["model"]; ok {
		t.Error("azure body names a model")
	}
	c.Credential.APIKey = ""
	_, err = a.Generate(t.Context(), c)
	if e := classOf(t, err); e.Class != mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION || !strings.Contains(e.Message, "Access denied") {
		t.Errorf("error = %v", e)
	}
	if _, err := a.Embed(t.Context(), &provider.EmbedCall{Model: "emb", Credential: provider.Credential{APIKey: "k"},
		Inputs: []*mcpv1.EmbeddingInput{{Input: &mcpv1.EmbeddingInput_Text{Text: "x"}}}}); err != nil {
		t.Fatal(err)
	}
	if r := emu.Requests()[len(emu.Requests())-1]; r.Path != "/openai/deployments/emb/embeddings" {
		t.Errorf("embeddings path = %s", r.Path)
	}
}

func TestMistralQuirks(t *testing.T) {
	a, emu := setup(t, WithFlavor(FlavorMistral))
	emu.Configure(openaiemu.Options{Flavor: openaiemu.FlavorMistral})
	seed := int64(3)
	tool := weatherTool(t)
	req := &mcpv1.Request{Tools: []*mcpv1.Tool{tool}, Sampling: &mcpv1.SamplingParams{Seed: &seed},
		Options: &mcpv1.RequestOptions{User: "u"},
		Messages: []*mcpv1.Message{
			user("weather?"),
			{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: []*mcpv1.ToolCall{{Id: "call_HjeqP7YeRkoNj0de9e3U4X4B", Name: "get_weather", Arguments: `{"city":"Paris"}`}}},
			{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: "call_HjeqP7YeRkoNj0de9e3U4X4B", Content: []*mcpv1.ContentPart{text("18C")}},
		}}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err) // the emulator rejects ids that are not 9 alphanumerics, seed and user
	}
	if responseText(resp) != "Tool said: 18C" {
		t.Errorf("text = %q", responseText(resp))
	}
	body := lastBody(t, emu)
	id := at(t, body, "messages", 1, "tool_calls", 0, "id").(string)
	if len(id) != 9 || !isAlnum(id) || at(t, body, "messages", 2, "tool_call_id") != id {
		t.Errorf("mapped ids: call %q, result %v", id, at(t, body, "messages", 2, "tool_call_id"))
	}
	if body["random_seed"] != 3.0 || body["seed"] != nil {
		t.Errorf("seed fields: %v", body)
	}

	// Mistral's own ids round-trip unchanged, in both directions.
	resp, err = a.Generate(t.Context(), newCall(&mcpv1.Request{Tools: []*mcpv1.Tool{tool}, Messages: []*mcpv1.Message{user("get_weather please")}}))
	if err != nil {
		t.Fatal(err)
	}
	mid := resp.GetMessage().GetToolCalls()[0].GetId()
	if len(mid) != 9 || mistralID(mid) != mid {
		t.Errorf("mistral id %q", mid)
	}
	s := stream(t.Context(), a, newCall(req))
	if s.err != nil || s.text != "Tool said: 18C" || s.usage.GetOutputTokens() == 0 {
		t.Errorf("stream = %q usage %v err %v", s.text, s.usage, s.err)
	}
	if _, ok := lastBody(t, emu)["stream_options"]; ok {
		t.Error("stream_options sent to mistral")
	}
}

func TestGroqDropsName(t *testing.T) {
	a, emu := setup(t, WithFlavor(FlavorGroq))
	emu.Configure(openaiemu.Options{Flavor: openaiemu.FlavorGroq})
	m := user("hi")
	m.Name = "alice"
	if _, err := a.Generate(t.Context(), newCall(&mcpv1.Request{Messages: []*mcpv1.Message{m}})); err != nil {
		t.Fatal(err)
	}
	// Without the quirk, Groq refuses the name.
	b := New(provider.Config{BaseURL: a.base, HTTPClient: a.client})
	_, err := b.Generate(t.Context(), newCall(&mcpv1.Request{Messages: []*mcpv1.Message{m}}))
	if e := classOf(t, err); e.Class != mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST || !strings.Contains(e.Message, "name") {
		t.Errorf("error = %v", e)
	}
}

func TestEmbed(t *testing.T) {
	for _, tc := range []struct {
		flavor Flavor
		format string
	}{{FlavorOpenAI, "base64"}, {FlavorCompatible, "float"}} {
		a, emu := setup(t, WithFlavor(tc.flavor))
		res, err := a.Embed(t.Context(), &provider.EmbedCall{Model: "text-embedding-3-small", Dimensions: 4, Credential: provider.Credential{APIKey: "k"},
			Inputs: []*mcpv1.EmbeddingInput{{Input: &mcpv1.EmbeddingInput_Text{Text: "hello world"}}, {Input: &mcpv1.EmbeddingInput_Text{Text: "bye"}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Embeddings) != 2 {
			t.Fatalf("embeddings = %v", res.Embeddings)
		}
		for i, s := range []string{"hello world", "bye"} {
			if got, want := res.Embeddings[i].GetValues(), openaiemu.Vector(s, 4); !reflect.DeepEqual(got, want) || res.Embeddings[i].GetIndex() != int32(i) {
				t.Errorf("%s: embedding %d = %v, want %v", tc.format, i, got, want)
			}
		}
		if res.Usage.GetInputTokens() != int64(emulator.CountTokens("hello world")+emulator.CountTokens("bye")) {
			t.Errorf("usage = %v", res.Usage)
		}
		body := lastBody(t, emu)
		if body["encoding_format"] != tc.format || body["dimensions"] != 4.0 || !reflect.DeepEqual(body["input"], []any{"hello world", "bye"}) {
			t.Errorf("body = %v", body)
		}
		if emu.Requests()[0].Path != "/v1/embeddings" {
			t.Errorf("path = %s", emu.Requests()[0].Path)
		}
	}
	a, emu := setup(t)
	res, err := a.Embed(t.Context(), &provider.EmbedCall{Model: "m", Credential: provider.Credential{APIKey: "k"},
		Inputs: []*mcpv1.EmbeddingInput{{Input: &mcpv1.EmbeddingInput_Tokens{Tokens: &mcpv1.TokenList{Ids: []int32{1, 2, 3}}}}}})
	if err != nil || len(res.Embeddings) != 1 || len(res.Embeddings[0].GetValues()) != 8 {
		t.Fatalf("token embedding = %v, %v", res, err)
	}
	if got := lastBody(t, emu)["input"]; !reflect.DeepEqual(got, []any{[]any{1.0, 2.0, 3.0}}) {
		t.Errorf("input = %v", got)
	}
	_, err = a.Embed(t.Context(), &provider.EmbedCall{Model: "m", Inputs: []*mcpv1.EmbeddingInput{
		{Input: &mcpv1.EmbeddingInput_Text{Text: "a"}}, {Input: &mcpv1.EmbeddingInput_Tokens{Tokens: &mcpv1.TokenList{Ids: []int32{1}}}}}})
	if e := classOf(t, err); e.Class != mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST {
		t.Errorf("mixed inputs: %v", e)
	}
}

func TestUnsupportedParts(t *testing.T) {
	a, _ := setup(t)
	req := &mcpv1.Request{Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{
		{Part: &mcpv1.ContentPart_Document{Document: &mcpv1.DocumentPart{Source: &mcpv1.DocumentPart_Url{Url: "https://example.com/a.pdf"}}}}}}}}
	_, err := a.Generate(t.Context(), newCall(req))
	if e := classOf(t, err); e.Class != mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED || e.Provider != "openai-test" {
		t.Errorf("error = %v", e)
	}
}

func TestDocumentAndAudioShape(t *testing.T) {
	a, emu := setup(t)
	req := &mcpv1.Request{Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{
		text("read these"),
		{Part: &mcpv1.ContentPart_Document{Document: &mcpv1.DocumentPart{Source: &mcpv1.DocumentPart_Data{Data: []byte("%PDF")}, MimeType: "application/pdf", Title: "a.pdf"}}},
		{Part: &mcpv1.ContentPart_Audio{Audio: &mcpv1.AudioPart{Data: []byte("RIFF"), MimeType: "audio/wav"}}},
	}}}}
	if _, err := a.Generate(t.Context(), newCall(req)); err != nil {
		t.Fatal(err)
	}
	parts := at(t, lastBody(t, emu), "messages", 0, "content")
	want := []any{
		map[string]any{"type": "text", "text": "read these"},
		map[string]any{"type": "file", "file": map[string]any{"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERg=="}},
		map[string]any{"type": "input_audio", "input_audio": map[string]any{"data": "UklGRg==", "format": "wav"}},
	}
	if !reflect.DeepEqual(parts, want) {
		t.Errorf("parts = %v", parts)
	}
}

func benchRequest() *mcpv1.Request {
	return &mcpv1.Request{Messages: []*mcpv1.Message{
		msg(mcpv1.Role_ROLE_SYSTEM, "You are a helpful assistant."),
		user("Write a short answer about the benefits of pooled HTTP connections in a gateway."),
	}}
}

func BenchmarkGenerate(b *testing.B) {
	a, _ := setup(b)
	c := newCall(benchRequest())
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Generate(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStream(b *testing.B) {
	a, _ := setup(b)
	c := newCall(benchRequest())
	ctx := b.Context()
	emit := func(*mcpv1.StreamEvent) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Stream(ctx, c, emit); err != nil {
			b.Fatal(err)
		}
	}
}
