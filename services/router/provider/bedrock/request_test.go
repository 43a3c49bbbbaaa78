package bedrock

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/provider"
)

func txt(s string) *mcpv1.ContentPart {
	return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: s}}
}

func ptr[T any](v T) *T { return &v }

// jsonEqual compares two JSON texts as values.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON differs\n got: %s\nwant: %s", got, want)
	}
}

// TestGoldenRequest checks the field names and nesting against the
// reference request of PROVIDER_WIRE_FORMATS.md §5.
func TestGoldenRequest(t *testing.T) {
	params, _ := structpb.NewStruct(map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}})
	req := &mcpv1.Request{
		Messages: []*mcpv1.Message{
			{Role: mcpv1.Role_ROLE_SYSTEM, Content: []*mcpv1.ContentPart{txt("You are terse.")}},
			{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{txt("Weather in Paris?")}},
			{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: []*mcpv1.ToolCall{{Id: "tooluse_abc", Name: "get_weather", Arguments: `{"city":"Paris"}`}}},
			{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: "tooluse_abc", Content: []*mcpv1.ContentPart{txt(`{"temp_c":18}`)}},
		},
		Tools:      []*mcpv1.Tool{{Name: "get_weather", Description: "…", Parameters: params}},
		ToolChoice: &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO}},
		Sampling: &mcpv1.SamplingParams{
			MaxOutputTokens: ptr(int32(256)), Temperature: ptr(0.2), TopP: ptr(0.9), TopK: ptr(int32(40)),
			StopSequences: []string{"END"}, Seed: ptr(int64(7)), PresencePenalty: ptr(0.5),
		},
		Options: &mcpv1.RequestOptions{User: "user-42", Metadata: map[string]string{"feature": "chat", "bad key!": "x"}},
	}
	tr, err := translate(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(&tr.body)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, `{
	 "system":[{"text":"You are terse."}],
	 "messages":[
	   {"role":"user","content":[{"text":"Weather in Paris?"}]},
	   {"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_abc","name":"get_weather","input":{"city":"Paris"}}}]},
	   {"role":"user","content":[{"toolResult":{"toolUseId":"tooluse_abc","content":[{"text":"{\"temp_c\":18}"}]}}]}],
	 "inferenceConfig":{"maxTokens":256,"temperature":0.2,"topP":0.9,"stopSequences":["END"]},
	 "toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","description":"…",
	     "inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}}}}}}],
	   "toolChoice":{"auto":{}}},
	 "additionalModelRequestFields":{"top_k":40},
	 "requestMetadata":{"feature":"chat","user":"user-42"}}`)
}

func TestToolResultsGroupedAndMerged(t *testing.T) {
	req := &mcpv1.Request{
		Messages: []*mcpv1.Message{
			{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{txt("Paris and Rome?")}},
			{Role: mcpv1.Role_ROLE_ASSISTANT, Content: []*mcpv1.ContentPart{txt("Checking.")}, ToolCalls: []*mcpv1.ToolCall{
				{Id: "call_1", Name: "get-weather", Arguments: `{"city":"Paris"}`},
				{Id: "call_2", Name: "get-weather", Arguments: ``},
			}},
			{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: "call_1", Content: []*mcpv1.ContentPart{txt("18C")}},
			{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_ToolResult{ToolResult: &mcpv1.ToolResultPart{
				ToolCallId: "call_2", IsError: true, Content: []*mcpv1.ContentPart{txt("no such city")},
			}}}, txt("Thanks")}},
		},
		Tools:      []*mcpv1.Tool{{Name: "get-weather"}},
		ToolChoice: &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED}},
	}
	tr, err := translate(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(&tr.body)
	jsonEqual(t, got, `{
	 "messages":[
	   {"role":"user","content":[{"text":"Paris and Rome?"}]},
	   {"role":"assistant","content":[{"text":"Checking."},
	      {"toolUse":{"toolUseId":"call_1","name":"get_weather","input":{"city":"Paris"}}},
	      {"toolUse":{"toolUseId":"call_2","name":"get_weather","input":{}}}]},
	   {"role":"user","content":[
	      {"toolResult":{"toolUseId":"call_1","content":[{"text":"18C"}]}},
	      {"toolResult":{"toolUseId":"call_2","content":[{"text":"no such city"}],"status":"error"}},
	      {"text":"Thanks"}]}],
	 "toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object","properties":{}}}}}],
	   "toolChoice":{"any":{}}}}`)
	if tr.originalName("get_weather") != "get-weather" || tr.originalName("other") != "other" {
		t.Errorf("names = %v", tr.names)
	}
}

func TestToolNames(t *testing.T) {
	for name, want := range map[string]string{
		"get_weather": "get_weather",
		"get-weather": "get_weather",
		"1st-tool":    "t_1st_tool",
		"_private":    "t__private",
	} {
		if got := bedrockName(name); got != want {
			t.Errorf("bedrockName(%q) = %q, want %q", name, got, want)
		}
	}
	// A history call of get-weather must not rename the offered get_weather.
	tr, err := translate(&mcpv1.Request{
		Messages: []*mcpv1.Message{
			{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{txt("hi")}},
			{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: []*mcpv1.ToolCall{{Id: "t1", Name: "get-weather", Arguments: "{}"}}},
			{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: "t1", Content: []*mcpv1.ContentPart{txt("ok")}},
		},
		Tools: []*mcpv1.Tool{{Name: "get_weather"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.originalName("get_weather"); got != "get_weather" {
		t.Errorf("offered get_weather answers as %q", got)
	}
	_, err = translate(&mcpv1.Request{
		Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{txt("hi")}}},
		Tools:    []*mcpv1.Tool{{Name: "get-weather"}, {Name: "get_weather"}},
	})
	if e := apierror.As(err); e == nil || e.Class != mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST || e.Field != "tools[1].name" {
		t.Errorf("colliding names: %v", err)
	}
}

func TestToolChoiceNone(t *testing.T) {
	req := &mcpv1.Request{
		Messages:   []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{txt("hi")}}},
		Tools:      []*mcpv1.Tool{{Name: "get_weather"}},
		ToolChoice: &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE}},
	}
	tr, err := translate(req)
	if err != nil {
		t.Fatal(err)
	}
	if tr.body.ToolConfig != nil {
		t.Errorf("tool choice none still offers tools: %+v", tr.body.ToolConfig)
	}
	// With tool blocks in the history Bedrock wants a toolConfig anyway.
	req.Messages = append(req.Messages,
		&mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: []*mcpv1.ToolCall{{Id: "t1", Name: "get_weather", Arguments: "{}"}}},
		&mcpv1.Message{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: "t1", Content: []*mcpv1.ContentPart{txt("ok")}})
	tr, err = translate(req)
	if err != nil {
		t.Fatal(err)
	}
	if tc := tr.body.ToolConfig; tc == nil || len(tc.Tools) != 1 || tc.ToolChoice != nil {
		t.Errorf("toolConfig = %+v", tc)
	}
}

func TestJSONObjectWithTools(t *testing.T) {
	req := &mcpv1.Request{
		Messages:       []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{txt("hi")}}},
		Tools:          []*mcpv1.Tool{{Name: "lookup"}},
		ResponseFormat: &mcpv1.ResponseFormat{Type: mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_OBJECT},
	}
	tr, err := translate(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(tr.body.ToolConfig)
	jsonEqual(t, got, `{"tools":[
	  {"toolSpec":{"name":"lookup","inputSchema":{"json":{"type":"object","properties":{}}}}},
	  {"toolSpec":{"name":"manifold_json_output","description":"Give the final answer as the input of this tool, as JSON.","inputSchema":{"json":{"type":"object"}}}}],
	  "toolChoice":{"any":{}}}`)
}

func TestDocumentsAndUnsupportedParts(t *testing.T) {
	req := &mcpv1.Request{Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{
		{Part: &mcpv1.ContentPart_Document{Document: &mcpv1.DocumentPart{Source: &mcpv1.DocumentPart_Text{Text: "notes"}, Title: "My notes.txt!"}}},
		{Part: &mcpv1.ContentPart_Document{Document: &mcpv1.DocumentPart{Source: &mcpv1.DocumentPart_Data{Data: []byte("%PDF")}, MimeType: "application/pdf"}}},
		{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Url{Url: "s3://bucket/cat.webp"}, MimeType: "image/webp"}}},
		{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Data{Data: []byte("GIF89a...")}}}},
	}}}}
	tr, err := translate(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(tr.body.Messages)
	jsonEqual(t, got, `[{"role":"user","content":[
	  {"document":{"format":"txt","name":"My notes txt","source":{"bytes":"bm90ZXM="}}},
	  {"document":{"format":"pdf","name":"document-2","source":{"bytes":"JVBERg=="}}},
	  {"image":{"format":"webp","source":{"s3Location":{"uri":"s3://bucket/cat.webp"}}}},
	  {"image":{"format":"gif","source":{"bytes":"R0lGODlhLi4u"}}}]}]`)

	for name, part := range map[string]*mcpv1.ContentPart{
		"audio":       {Part: &mcpv1.ContentPart_Audio{Audio: &mcpv1.AudioPart{Data: []byte{1}, MimeType: "audio/wav"}}},
		"https image": {Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Url{Url: "https://x/y.png"}}}},
		"bmp image":   {Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Data{Data: []byte{1}}, MimeType: "image/bmp"}}},
	} {
		_, err := translate(&mcpv1.Request{Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{part}}}})
		if e := apierror.As(err); e == nil || e.Class != mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED || e.Field == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestParseCachedUsage parses a captured-style Converse body with prompt
// caching: totalTokens shows inputTokens excludes the cache read.
func TestParseCachedUsage(t *testing.T) {
	body := `{"output":{"message":{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":"hmm","signature":"sig"}}},{"text":"Hi"}]}},
	  "stopReason":"end_turn","usage":{"inputTokens":12,"outputTokens":5,"totalTokens":1537,"cacheReadInputTokens":1500,"cacheWriteInputTokens":20},
	  "metrics":{"latencyMs":420}}`
	var out converseResponse
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	r := (&translated{}).response(&out)
	want := &mcpv1.Usage{InputTokens: 1532, OutputTokens: 5, CachedInputTokens: 1500, CacheWriteTokens: 20, TotalTokens: 1537}
	if !proto.Equal(r.GetUsage(), want) {
		t.Errorf("usage = %v, want %v", r.GetUsage(), want)
	}
	if r.GetUsage().GetTotalTokens() != 1537 {
		t.Error("total disagrees with Bedrock's totalTokens")
	}
	if len(r.GetMessage().GetContent()) != 1 || r.GetMessage().GetContent()[0].GetText() != "Hi" {
		t.Errorf("content = %v", r.GetMessage().GetContent())
	}
}

func TestFinishReasons(t *testing.T) {
	tr := &translated{stops: []string{"END"}}
	for reason, want := range map[string]mcpv1.FinishReason{
		"end_turn":                      mcpv1.FinishReason_FINISH_REASON_STOP,
		"tool_use":                      mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS,
		"max_tokens":                    mcpv1.FinishReason_FINISH_REASON_LENGTH,
		"model_context_window_exceeded": mcpv1.FinishReason_FINISH_REASON_LENGTH,
		"stop_sequence":                 mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE,
		"guardrail_intervened":          mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER,
		"content_filtered":              mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER,
		"malformed_model_output":        mcpv1.FinishReason_FINISH_REASON_OTHER,
		"malformed_tool_use":            mcpv1.FinishReason_FINISH_REASON_OTHER,
		"something_new":                 mcpv1.FinishReason_FINISH_REASON_OTHER,
	} {
		if got, _ := tr.finish(reason, true, ""); got != want {
			t.Errorf("%s → %v, want %v", reason, got, want)
		}
	}
	if _, seq := tr.finish("stop_sequence", false, ""); seq != "END" {
		t.Errorf("single stop sequence not inferred: %q", seq)
	}
}

func TestErrorParsing(t *testing.T) {
	for in, want := range map[string]string{
		"ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/": "ValidationException",
		"com.amazon.coral.service#UnrecognizedClientException":                     "UnrecognizedClientException",
		"ThrottlingException": "ThrottlingException",
	} {
		if got := errorType(in); got != want {
			t.Errorf("errorType(%q) = %q", in, got)
		}
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := http.Header{"Retry-After": {now.Add(30 * time.Second).Format(http.TimeFormat)}}
	if got := retryAfter(h, now); got != 30*time.Second {
		t.Errorf("HTTP-date retry-after = %v", got)
	}
	if got := classify("ValidationException", 400, "The model returned the following errors: prompt is too long: 210000 tokens > 200000 maximum"); got != mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED {
		t.Errorf("prompt too long → %v", got)
	}
	if got := classify("ValidationException", 400, "1 validation error detected: Value at 'toolConfig.tools.1.member.toolSpec.name' failed to satisfy constraint: Member must have length less than or equal to 64; the name is too long"); got != mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST {
		t.Errorf("too-long tool name → %v", got)
	}
	if got := classify("", 529, "overloaded"); got != mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED {
		t.Errorf("529 → %v", got)
	}
}

func TestEndpointDefaults(t *testing.T) {
	cases := []struct {
		cfg          provider.Config
		base, region string
	}{
		{provider.Config{}, "https://bedrock-runtime.us-east-1.amazonaws.com", "us-east-1"},
		{provider.Config{Region: "eu-west-3"}, "https://bedrock-runtime.eu-west-3.amazonaws.com", "eu-west-3"},
		{provider.Config{BaseURL: "https://bedrock-runtime.ap-south-1.amazonaws.com/"}, "https://bedrock-runtime.ap-south-1.amazonaws.com", "ap-south-1"},
		{provider.Config{BaseURL: "https://bedrock-runtime-fips.us-west-2.amazonaws.com"}, "https://bedrock-runtime-fips.us-west-2.amazonaws.com", "us-west-2"},
		{provider.Config{BaseURL: "http://127.0.0.1:9000", Region: "us-west-2"}, "http://127.0.0.1:9000", "us-west-2"},
	}
	for _, tc := range cases {
		a := New(tc.cfg)
		if a.base != tc.base || a.region != tc.region {
			t.Errorf("New(%+v): base %q region %q, want %q %q", tc.cfg, a.base, a.region, tc.base, tc.region)
		}
	}
}
