package anthropic

import (
	"encoding/json"
	"testing"

	"google.golang.org/protobuf/proto"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// TestGoldenRequest pins the exact JSON sent for a request using every
// translated feature, with the field names of PROVIDER_WIRE_FORMATS.md §2.1.
func TestGoldenRequest(t *testing.T) {
	req := &mcpv1.Request{
		Model: "route-alias",
		Messages: []*mcpv1.Message{
			msg(mcpv1.Role_ROLE_SYSTEM, "Be brief."),
			{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{
				textPart("Summarise"),
				{Part: &mcpv1.ContentPart_Document{Document: &mcpv1.DocumentPart{Source: &mcpv1.DocumentPart_Data{Data: []byte("%PDF")}, MimeType: "application/pdf", Title: "Report"}}},
				{Part: &mcpv1.ContentPart_Document{Document: &mcpv1.DocumentPart{Source: &mcpv1.DocumentPart_Text{Text: "notes"}}}},
			}},
			{Role: mcpv1.Role_ROLE_ASSISTANT, Content: []*mcpv1.ContentPart{textPart("Checking.")}, ToolCalls: []*mcpv1.ToolCall{
				{Id: "toolu_1", Name: "lookup", Arguments: `{"q":"x"}`},
				{Id: "toolu_2", Name: "lookup", Arguments: ""},
			}},
			{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: "toolu_1", Content: []*mcpv1.ContentPart{textPart("one")}},
			{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{
				textPart("and"),
				{Part: &mcpv1.ContentPart_ToolResult{ToolResult: &mcpv1.ToolResultPart{ToolCallId: "toolu_2", IsError: true, Content: []*mcpv1.ContentPart{textPart("boom")}}}},
			}},
			msg(mcpv1.Role_ROLE_DEVELOPER, "No lists."),
		},
		Tools: []*mcpv1.Tool{
			{Name: "lookup", Description: "Look up", Strict: true, Parameters: mustStruct(t, map[string]any{"type": "object", "properties": map[string]any{"q": map[string]any{"type": "string"}}})},
			{Name: "noargs"},
		},
		ToolChoice: &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED}},
		Sampling: &mcpv1.SamplingParams{
			Temperature: proto.Float64(1.5), TopP: proto.Float64(0.9), TopK: proto.Int32(40),
			MaxOutputTokens: proto.Int32(256), StopSequences: []string{"END"},
			Seed: proto.Int64(7), PresencePenalty: proto.Float64(0.5),
		},
		ResponseFormat: &mcpv1.ResponseFormat{
			Type:       mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
			JsonSchema: &mcpv1.JsonSchema{Name: "out", Schema: mustStruct(t, map[string]any{"type": "object"})},
		},
		Options: &mcpv1.RequestOptions{User: "user-42"},
	}
	before := proto.Clone(req)
	body, err := buildRequest(&provider.Call{Request: req, Model: "claude-opus-4-1"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(req, before) {
		t.Error("buildRequest modified the request")
	}
	jsonEqual(t, body, `{
		"model":"claude-opus-4-1",
		"max_tokens":256,
		"system":"Be brief.\n\nNo lists.",
		"messages":[
			{"role":"user","content":[
				{"type":"text","text":"Summarise"},
				{"type":"document","title":"Report","source":{"type":"base64","media_type":"application/pdf","data":"JVBERg=="}},
				{"type":"document","source":{"type":"text","media_type":"text/plain","data":"notes"}}]},
			{"role":"assistant","content":[
				{"type":"text","text":"Checking."},
				{"type":"tool_use","id":"toolu_1","name":"lookup","input":{"q":"x"}},
				{"type":"tool_use","id":"toolu_2","name":"lookup","input":{}}]},
			{"role":"user","content":[
				{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"one"}]},
				{"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"boom"}],"is_error":true},
				{"type":"text","text":"and"}]}
		],
		"tools":[
			{"name":"lookup","description":"Look up","input_schema":{"type":"object","properties":{"q":{"type":"string"}}},"strict":true},
			{"name":"noargs","input_schema":{"type":"object","properties":{}}}],
		"tool_choice":{"type":"any"},
		"stop_sequences":["END"],
		"temperature":1,
		"top_p":0.9,
		"top_k":40,
		"metadata":{"user_id":"user-42"},
		"output_config":{"format":{"type":"json_schema","schema":{"type":"object"}}},
		"stream":true
	}`)
}

func TestRequestRejectsBadToolArguments(t *testing.T) {
	req := &mcpv1.Request{Messages: []*mcpv1.Message{
		msg(mcpv1.Role_ROLE_USER, "hi"),
		{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: []*mcpv1.ToolCall{{Id: "t", Name: "f", Arguments: `{"unterminated`}}},
	}}
	_, err := buildRequest(&provider.Call{Request: req, Model: "m"}, false)
	e, ok := err.(*apierror.Error)
	if !ok || e.Class != mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST || e.Field != "request.messages[1].tool_calls[0].arguments" {
		t.Errorf("err = %v", err)
	}
}

// capturedResponse is the response quoted in PROVIDER_WIRE_FORMATS.md §2.2.
const capturedResponse = `{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-20250514",
 "content":[{"type":"text","text":"I'll read it.","citations":null},
            {"type":"tool_use","id":"toolu_01AusGgY5aKFhzWrFBv9JfHq","name":"Read","input":{"file_path":"/src/foo.txt"}}],
 "stop_reason":"tool_use","stop_sequence":null,
 "usage":{"input_tokens":5,"output_tokens":84,"cache_creation_input_tokens":0,"cache_read_input_tokens":23490,
          "cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"service_tier":"standard",
          "output_tokens_details":{"thinking_tokens":12}}}`

func TestParseCapturedResponse(t *testing.T) {
	var m messageResponse
	if err := json.Unmarshal([]byte(capturedResponse), &m); err != nil {
		t.Fatal(err)
	}
	resp := New(provider.Config{}).toResponse(&m)
	want := &mcpv1.Response{
		Message: &mcpv1.Message{
			Role:      mcpv1.Role_ROLE_ASSISTANT,
			Content:   []*mcpv1.ContentPart{textPart("I'll read it.")},
			ToolCalls: []*mcpv1.ToolCall{{Id: "toolu_01AusGgY5aKFhzWrFBv9JfHq", Name: "Read", Arguments: `{"file_path":"/src/foo.txt"}`}},
		},
		FinishReason: mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS,
		Usage:        &mcpv1.Usage{InputTokens: 23495, OutputTokens: 84, CachedInputTokens: 23490, ReasoningTokens: 12, TotalTokens: 23579},
		Metadata:     &mcpv1.ResponseMetadata{Provider: "anthropic", Model: "claude-sonnet-4-20250514"},
	}
	if !proto.Equal(resp, want) {
		t.Errorf("response\n got: %v\nwant: %v", resp, want)
	}
}

func TestFinishReasons(t *testing.T) {
	for in, want := range map[string]mcpv1.FinishReason{
		"end_turn":                      mcpv1.FinishReason_FINISH_REASON_STOP,
		"stop_sequence":                 mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE,
		"max_tokens":                    mcpv1.FinishReason_FINISH_REASON_LENGTH,
		"model_context_window_exceeded": mcpv1.FinishReason_FINISH_REASON_LENGTH,
		"tool_use":                      mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS,
		"refusal":                       mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER,
		"pause_turn":                    mcpv1.FinishReason_FINISH_REASON_OTHER,
	} {
		if got := finishReason(in); got != want {
			t.Errorf("%s → %v, want %v", in, got, want)
		}
	}
}
