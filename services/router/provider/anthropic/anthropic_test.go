package anthropic

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/emulator"
	"github.com/manifoldgw/manifold/services/router/provider"
)

func TestGeneratePlainAnswer(t *testing.T) {
	a, emu := newTestAdapter(t)
	resp, err := a.Generate(t.Context(), newCall(userRequest("hello there")))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetMessage().GetContent()[0].GetText(); got != "Echo: hello there" {
		t.Errorf("text = %q", got)
	}
	if resp.GetMessage().GetRole() != mcpv1.Role_ROLE_ASSISTANT {
		t.Errorf("role = %v", resp.GetMessage().GetRole())
	}
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("finish = %v", resp.GetFinishReason())
	}
	u := resp.GetUsage()
	wantOut := int64(emulator.CountTokens("Echo: hello there"))
	if u.GetOutputTokens() != wantOut || u.GetInputTokens() <= 0 || u.GetTotalTokens() != u.GetInputTokens()+wantOut {
		t.Errorf("usage = %v, want output %d and total = input + output", u, wantOut)
	}
	if md := resp.GetMetadata(); md.GetProvider() != "anthropic-test" || md.GetModel() != "claude-sonnet-4-5" {
		t.Errorf("metadata = %v", md)
	}

	rec := emu.Requests()[0]
	if rec.Method != "POST" || rec.Path != "/v1/messages" {
		t.Errorf("request = %s %s", rec.Method, rec.Path)
	}
	for k, want := range map[string]string{
		"x-api-key":         testKey,
		"anthropic-version": "2023-06-01",
		"content-type":      "application/json",
		"anthropic-beta":    "test-beta",
	} {
		if got := rec.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	body := recordedBody(t, emu, 0)
	if body["model"] != "claude-sonnet-4-5" || body["max_tokens"] != float64(DefaultMaxTokens) {
		t.Errorf("model/max_tokens = %v/%v", body["model"], body["max_tokens"])
	}
	if _, ok := body["stream"]; ok {
		t.Errorf("non-streaming request sent stream: %v", body["stream"])
	}
}

// TestStreamMatchesGenerate checks that a streamed answer's text, tool calls,
// finish and final usage equal the complete answer's.
func TestStreamMatchesGenerate(t *testing.T) {
	cases := map[string]*mcpv1.Request{
		"text": userRequest("the quick brown fox, jumps!"),
		"tool": {
			Messages: []*mcpv1.Message{msg(mcpv1.Role_ROLE_USER, "use get_weather for Paris")},
			Tools:    []*mcpv1.Tool{weatherTool(t)},
		},
		"stop": {
			Messages: []*mcpv1.Message{msg(mcpv1.Role_ROLE_USER, "one two. three")},
			Sampling: &mcpv1.SamplingParams{StopSequences: []string{"."}},
		},
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			a, emu := newTestAdapter(t)
			want, err := a.Generate(t.Context(), newCall(req))
			if err != nil {
				t.Fatal(err)
			}
			var got streamed
			fin, err := a.Stream(t.Context(), newCall(req), got.emit)
			if err != nil {
				t.Fatal(err)
			}
			wantText := ""
			for _, p := range want.GetMessage().GetContent() {
				wantText += p.GetText()
			}
			if got.text.String() != wantText {
				t.Errorf("streamed text %q, complete %q", got.text.String(), wantText)
			}
			if fin.Reason != want.GetFinishReason() || fin.StopSequence != want.GetStopSequence() {
				t.Errorf("stream finish %v/%q, complete %v/%q", fin.Reason, fin.StopSequence, want.GetFinishReason(), want.GetStopSequence())
			}
			if !proto.Equal(got.usage, want.GetUsage()) {
				t.Errorf("stream usage %v, complete %v", got.usage, want.GetUsage())
			}
			if got.usages < 2 {
				t.Errorf("stream emitted %d usage events, want one from message_start and one from message_delta", got.usages)
			}
			if len(got.calls) != len(want.GetMessage().GetToolCalls()) {
				t.Fatalf("stream tool calls %v, complete %v", got.calls, want.GetMessage().GetToolCalls())
			}
			for i, c := range want.GetMessage().GetToolCalls() {
				g := got.calls[i]
				if g.GetName() != c.GetName() || !strings.HasPrefix(g.GetId(), "toolu_") {
					t.Errorf("tool call %d: stream %v, complete %v", i, g, c)
				}
				jsonEqual(t, json.RawMessage(g.GetArguments()), c.GetArguments())
			}
			if body := recordedBody(t, emu, 1); body["stream"] != true {
				t.Errorf("streaming request has stream = %v", body["stream"])
			}
			if h := emu.Requests()[1].Header.Get("accept"); h != "text/event-stream" {
				t.Errorf("streaming accept = %q", h)
			}
		})
	}
}

func TestImagesReachProviderShape(t *testing.T) {
	a, emu := newTestAdapter(t)
	png := []byte("\x89PNG\r\n\x1a\nfake")
	req := &mcpv1.Request{Messages: []*mcpv1.Message{{
		Role: mcpv1.Role_ROLE_USER,
		Content: []*mcpv1.ContentPart{
			textPart("what are these"),
			{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Url{Url: "https://example.com/cat.png"}}}},
			{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Data{Data: png}, MimeType: "image/png"}}},
			{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Url{Url: "data:image/gif;base64,R0lGODlh"}}}},
		},
	}}}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := resp.GetMessage().GetContent()[0].GetText(), "Echo: what are these I see 3 image(s): image/png, image/png, image/gif."; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	body := recordedBody(t, emu, 0)
	jsonEqual(t, body["messages"], `[{"role":"user","content":[
		{"type":"text","text":"what are these"},
		{"type":"image","source":{"type":"url","url":"https://example.com/cat.png"}},
		{"type":"image","source":{"type":"base64","media_type":"image/png","data":"`+base64.StdEncoding.EncodeToString(png)+`"}},
		{"type":"image","source":{"type":"base64","media_type":"image/gif","data":"R0lGODlh"}}
	]}]`)
}

func TestToolCallRoundTrip(t *testing.T) {
	a, emu := newTestAdapter(t)
	req := &mcpv1.Request{
		Messages: []*mcpv1.Message{msg(mcpv1.Role_ROLE_USER, "use get_weather for Paris")},
		Tools:    []*mcpv1.Tool{weatherTool(t)},
	}
	first, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if first.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS {
		t.Fatalf("finish = %v", first.GetFinishReason())
	}
	calls := first.GetMessage().GetToolCalls()
	if len(calls) != 1 || calls[0].GetName() != "get_weather" || !strings.HasPrefix(calls[0].GetId(), "toolu_") {
		t.Fatalf("tool calls = %v", calls)
	}
	jsonEqual(t, json.RawMessage(calls[0].GetArguments()), `{"city":"use get_weather for Paris"}`)
	body := recordedBody(t, emu, 0)
	jsonEqual(t, body["tools"], `[{"name":"get_weather","description":"Current weather for a city",
		"input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]`)

	req.Messages = append(req.Messages, first.GetMessage(), &mcpv1.Message{
		Role: mcpv1.Role_ROLE_TOOL, ToolCallId: calls[0].GetId(), Content: []*mcpv1.ContentPart{textPart("sunny, 21C")},
	})
	second, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if got := second.GetMessage().GetContent()[0].GetText(); got != "Tool said: sunny, 21C" {
		t.Errorf("final text = %q", got)
	}
	if second.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("final finish = %v", second.GetFinishReason())
	}
	body = recordedBody(t, emu, 1)
	jsonEqual(t, body["messages"], `[
		{"role":"user","content":[{"type":"text","text":"use get_weather for Paris"}]},
		{"role":"assistant","content":[{"type":"tool_use","id":"`+calls[0].GetId()+`","name":"get_weather","input":{"city":"use get_weather for Paris"}}]},
		{"role":"user","content":[{"type":"tool_result","tool_use_id":"`+calls[0].GetId()+`","content":[{"type":"text","text":"sunny, 21C"}]}]}
	]`)
}

// TestParallelToolResultsCollapse sends two tool results and a user note:
// they must form one user turn with the results first, which the emulator
// validates as the API does.
func TestParallelToolResultsCollapse(t *testing.T) {
	a, emu := newTestAdapter(t)
	req := &mcpv1.Request{
		Tools: []*mcpv1.Tool{weatherTool(t)},
		Messages: []*mcpv1.Message{
			msg(mcpv1.Role_ROLE_USER, "weather in Paris and Rome?"),
			{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: []*mcpv1.ToolCall{
				{Id: "toolu_A", Name: "get_weather", Arguments: `{"city":"Paris"}`},
				{Id: "toolu_B", Name: "get_weather", Arguments: `{"city":"Rome"}`},
			}},
			{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: "toolu_A", Content: []*mcpv1.ContentPart{textPart("sunny")}},
			{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: "toolu_B", Content: []*mcpv1.ContentPart{textPart("rainy")}},
		},
	}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetMessage().GetContent()[0].GetText(); got != "Tool said: sunny\nrainy" {
		t.Errorf("text = %q", got)
	}
	body := recordedBody(t, emu, 0)
	msgs := body["messages"].([]any)
	if len(msgs) != 3 {
		t.Fatalf("got %d messages, want 3 (tool results collapsed into one user turn)", len(msgs))
	}
	jsonEqual(t, msgs[2], `{"role":"user","content":[
		{"type":"tool_result","tool_use_id":"toolu_A","content":[{"type":"text","text":"sunny"}]},
		{"type":"tool_result","tool_use_id":"toolu_B","content":[{"type":"text","text":"rainy"}]}]}`)
}

func TestSystemPromptHoisted(t *testing.T) {
	a, emu := newTestAdapter(t)
	req := &mcpv1.Request{Messages: []*mcpv1.Message{
		msg(mcpv1.Role_ROLE_SYSTEM, "You are terse."),
		msg(mcpv1.Role_ROLE_USER, "hi"),
		msg(mcpv1.Role_ROLE_DEVELOPER, "Answer in English."),
		msg(mcpv1.Role_ROLE_USER, "again"),
	}}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetMessage().GetContent()[0].GetText(); got != "Echo: hi again" {
		t.Errorf("text = %q (adjacent user turns should merge)", got)
	}
	body := recordedBody(t, emu, 0)
	if body["system"] != "You are terse.\n\nAnswer in English." {
		t.Errorf("system = %q", body["system"])
	}
	jsonEqual(t, body["messages"], `[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"text","text":"again"}]}]`)
}

func TestStopSequence(t *testing.T) {
	a, emu := newTestAdapter(t)
	req := userRequest("alpha beta. gamma")
	req.Sampling = &mcpv1.SamplingParams{StopSequences: []string{".", "zzz"}}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE || resp.GetStopSequence() != "." {
		t.Errorf("finish = %v %q", resp.GetFinishReason(), resp.GetStopSequence())
	}
	if got := resp.GetMessage().GetContent()[0].GetText(); got != "Echo: alpha beta" {
		t.Errorf("text = %q", got)
	}
	jsonEqual(t, recordedBody(t, emu, 0)["stop_sequences"], `[".","zzz"]`)
}

func TestMaxTokensLength(t *testing.T) {
	a, emu := newTestAdapter(t)
	req := userRequest("one two three four five")
	req.Sampling = &mcpv1.SamplingParams{MaxOutputTokens: proto.Int32(3)}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_LENGTH {
		t.Errorf("finish = %v", resp.GetFinishReason())
	}
	if resp.GetUsage().GetOutputTokens() != 3 {
		t.Errorf("output tokens = %d", resp.GetUsage().GetOutputTokens())
	}
	if got := recordedBody(t, emu, 0)["max_tokens"]; got != float64(3) {
		t.Errorf("max_tokens = %v", got)
	}
}

func TestJSONSchemaOutput(t *testing.T) {
	a, emu := newTestAdapter(t)
	req := userRequest("hi")
	req.ResponseFormat = &mcpv1.ResponseFormat{
		Type: mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
		JsonSchema: &mcpv1.JsonSchema{Name: "answer", Schema: mustStruct(t, map[string]any{
			"type":                 "object",
			"properties":           map[string]any{"answer": map[string]any{"type": "string"}},
			"required":             []any{"answer"},
			"additionalProperties": false,
		})},
	}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Answer string }
	if err := json.Unmarshal([]byte(resp.GetMessage().GetContent()[0].GetText()), &out); err != nil || out.Answer != "Echo: hi" {
		t.Errorf("answer %q is not the JSON object expected (%v)", resp.GetMessage().GetContent()[0].GetText(), err)
	}
	body := recordedBody(t, emu, 0)
	jsonEqual(t, body["output_config"], `{"format":{"type":"json_schema","schema":{
		"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false}}}`)
	if _, ok := body["tools"]; ok {
		t.Error("JSON schema output must not add a tool")
	}

	req.ResponseFormat = &mcpv1.ResponseFormat{Type: mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_OBJECT}
	if _, err := a.Generate(t.Context(), newCall(req)); err != nil {
		t.Fatal(err)
	}
	body = recordedBody(t, emu, 1)
	if body["system"] != jsonObjectInstruction || body["output_config"] != nil {
		t.Errorf("JSON object mode: system %q, output_config %v", body["system"], body["output_config"])
	}
}

func TestToolChoiceMapping(t *testing.T) {
	cases := []struct {
		choice *mcpv1.ToolChoice
		want   string
	}{
		{&mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO}}, `{"type":"auto"}`},
		{&mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED}}, `{"type":"any"}`},
		{&mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE}}, `{"type":"none"}`},
		{&mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_ToolName{ToolName: "get_weather"}}, `{"type":"tool","name":"get_weather"}`},
	}
	a, emu := newTestAdapter(t)
	for i, c := range cases {
		req := userRequest("hello")
		req.Tools = []*mcpv1.Tool{weatherTool(t)}
		req.ToolChoice = c.choice
		resp, err := a.Generate(t.Context(), newCall(req))
		if err != nil {
			t.Fatal(err)
		}
		jsonEqual(t, recordedBody(t, emu, i)["tool_choice"], c.want)
		forced := c.want != `{"type":"auto"}` && c.want != `{"type":"none"}`
		if got := len(resp.GetMessage().GetToolCalls()) == 1; got != forced {
			t.Errorf("%s: tool called = %v, want %v", c.want, got, forced)
		}
	}
}

func TestEmbedUnsupported(t *testing.T) {
	a := New(provider.Config{})
	_, err := a.Embed(t.Context(), &provider.EmbedCall{Model: "x"})
	if e := asAPIError(t, err); e.Class != mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED || e.Provider != "anthropic" {
		t.Errorf("error = %+v", e)
	}
	if a.url != "https://api.anthropic.com/v1/messages" {
		t.Errorf("default url = %q", a.url)
	}
	if got := New(provider.Config{BaseURL: "http://gw/v1/"}).url; got != "http://gw/v1/messages" {
		t.Errorf("url with /v1 base = %q", got)
	}
}

func TestUnsupportedInputRejectedBeforeSending(t *testing.T) {
	a, emu := newTestAdapter(t)
	req := &mcpv1.Request{Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{
		{Part: &mcpv1.ContentPart_Audio{Audio: &mcpv1.AudioPart{Data: []byte{1}, MimeType: "audio/wav"}}},
	}}}}
	_, err := a.Generate(t.Context(), newCall(req))
	if e := asAPIError(t, err); e.Class != mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED || e.Field != "request.messages[0].content[0]" {
		t.Errorf("error = %+v", e)
	}
	if n := len(emu.Requests()); n != 0 {
		t.Errorf("emulator saw %d requests", n)
	}
}
