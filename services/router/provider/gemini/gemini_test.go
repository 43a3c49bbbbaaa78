package gemini_test

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
	geminiemu "github.com/manifoldgw/manifold/services/internal/emulator/gemini"
	"github.com/manifoldgw/manifold/services/router/provider"
	"github.com/manifoldgw/manifold/services/router/provider/gemini"
)

const model = "gemini-2.5-flash"

func setup(t testing.TB) (*geminiemu.Emulator, *gemini.Adapter) {
	t.Helper()
	emu := geminiemu.New()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	a := gemini.New(provider.Config{Name: "gem", BaseURL: srv.URL, HTTPClient: srv.Client(), Headers: map[string]string{"x-team": "core"}})
	return emu, a
}

func call(req *mcpv1.Request) *provider.Call {
	return &provider.Call{Request: req, Model: model, Credential: provider.Credential{Name: "k1", APIKey: "test-key"}}
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

// lastBody decodes the last request the emulator received.
func lastBody(t *testing.T, emu *geminiemu.Emulator) map[string]any {
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
	if resp.GetMessage().GetRole() != mcpv1.Role_ROLE_ASSISTANT {
		t.Errorf("role = %v", resp.GetMessage().GetRole())
	}
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("finish = %v", resp.GetFinishReason())
	}
	u := resp.GetUsage()
	want := emulator.Respond(emulator.Turn{LastUserText: "Hello there", InputText: "Hello there\n"})
	if u.GetInputTokens() != int64(want.InputTokens) || u.GetOutputTokens() != int64(want.OutputTokens) || u.GetTotalTokens() != u.GetInputTokens()+u.GetOutputTokens() {
		t.Errorf("usage = %v, want input %d output %d", u, want.InputTokens, want.OutputTokens)
	}
	r := emu.Requests()[0]
	if r.Method != http.MethodPost || r.Path != "/v1beta/models/"+model+":generateContent" || r.Query != "" {
		t.Errorf("request = %s %s?%s", r.Method, r.Path, r.Query)
	}
	if r.Header.Get("x-goog-api-key") != "test-key" || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("x-team") != "core" {
		t.Errorf("headers = %v", r.Header)
	}
	if r.Header.Get("Authorization") != "" {
		t.Error("Gemini must not get an Authorization header")
	}
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
	if c.text.String() != responseText(plain) {
		t.Errorf("streamed %q, plain %q", c.text.String(), responseText(plain))
	}
	if c.events < 4 {
		t.Errorf("only %d events; want one per token", c.events)
	}
	if fin.Reason != plain.GetFinishReason() {
		t.Errorf("finish %v vs %v", fin.Reason, plain.GetFinishReason())
	}
	if c.usage == nil || c.usage.GetInputTokens() != plain.GetUsage().GetInputTokens() || c.usage.GetOutputTokens() != plain.GetUsage().GetOutputTokens() || c.usage.GetTotalTokens() != plain.GetUsage().GetTotalTokens() {
		t.Errorf("stream usage %v, plain %v", c.usage, plain.GetUsage())
	}
	r := emu.Requests()[1]
	if r.Path != "/v1beta/models/"+model+":streamGenerateContent" || r.Query != "alt=sse" {
		t.Errorf("stream request = %s?%s", r.Path, r.Query)
	}
}

func TestImages(t *testing.T) {
	emu, a := setup(t)
	png := []byte("\x89PNG\r\n\x1a\nfake")
	req := &mcpv1.Request{Messages: []*mcpv1.Message{user(
		text("What is in these?"),
		&mcpv1.ContentPart{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Data{Data: png}, MimeType: "image/png"}}},
		&mcpv1.ContentPart{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Url{Url: "https://example.com/cat.jpg?size=2"}}}},
		&mcpv1.ContentPart{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Url{Url: "data:image/webp;base64,UklGRg=="}}}},
	)}}
	resp, err := a.Generate(t.Context(), call(req))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := responseText(resp), "Echo: What is in these? I see 3 image(s): image/png, image/jpeg, image/webp."; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	jsonEqual(t, lastBody(t, emu)["contents"], `[{"role":"user","parts":[
		{"text":"What is in these?"},
		{"inlineData":{"mimeType":"image/png","data":"`+base64.StdEncoding.EncodeToString(png)+`"}},
		{"fileData":{"mimeType":"image/jpeg","fileUri":"https://example.com/cat.jpg?size=2"}},
		{"inlineData":{"mimeType":"image/webp","data":"UklGRg=="}}]}]`)
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
	jsonEqual(t, lastBody(t, emu)["tools"], `[{"functionDeclarations":[{"name":"get_weather","description":"Weather for a city",
		"parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]}]`)

	// The answer to the call, as a tool message naming only the id.
	second := &mcpv1.Request{Tools: tools, Messages: []*mcpv1.Message{
		first.Messages[0],
		resp.GetMessage(),
		{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: calls[0].GetId(), Content: []*mcpv1.ContentPart{text("18C and sunny")}},
	}}
	final, err := a.Generate(t.Context(), call(second))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(final); got != "Tool said: 18C and sunny" {
		t.Errorf("final text = %q", got)
	}
	if final.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("final finish = %v", final.GetFinishReason())
	}
	// The synthesized id stays on Manifold's side; Gemini matches by name.
	jsonEqual(t, lastBody(t, emu)["contents"], `[
		{"role":"user","parts":[{"text":"Use get_weather for Paris"}]},
		{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Use get_weather for Paris"}},"thoughtSignature":"skip_thought_signature_validator"}]},
		{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"output":"18C and sunny"}}}]}]`)
}

func TestToolResultPartsKeepForeignIDs(t *testing.T) {
	emu, a := setup(t)
	req := &mcpv1.Request{Tools: []*mcpv1.Tool{weatherTool(t)}, Messages: []*mcpv1.Message{
		user(text("weather?")),
		{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: []*mcpv1.ToolCall{{Id: "toolu_01A", Name: "get_weather", Arguments: `{"city":"Oslo"}`}}},
		user(&mcpv1.ContentPart{Part: &mcpv1.ContentPart_ToolResult{ToolResult: &mcpv1.ToolResultPart{
			ToolCallId: "toolu_01A", Content: []*mcpv1.ContentPart{text(`{"temp_c":3}`)},
		}}}),
	}}
	resp, err := a.Generate(t.Context(), call(req))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(resp); got != `Tool said: {"temp_c":3}` {
		t.Errorf("text = %q", got)
	}
	jsonEqual(t, lastBody(t, emu)["contents"], `[
		{"role":"user","parts":[{"text":"weather?"}]},
		{"role":"model","parts":[{"functionCall":{"id":"toolu_01A","name":"get_weather","args":{"city":"Oslo"}},"thoughtSignature":"skip_thought_signature_validator"}]},
		{"role":"user","parts":[{"functionResponse":{"id":"toolu_01A","name":"get_weather","response":{"temp_c":3}}}]}]`)
}

func TestToolResultWithoutKnownCall(t *testing.T) {
	emu, a := setup(t)
	req := &mcpv1.Request{Messages: []*mcpv1.Message{
		user(text("hi")),
		{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: "nope", Content: []*mcpv1.ContentPart{text("x")}},
	}}
	_, err := a.Generate(t.Context(), call(req))
	if ae := asAPIError(t, err); ae.Class != mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST || ae.Field != "request.messages[1].tool_call_id" {
		t.Errorf("error = %v (%v, field %q)", ae, ae.Class, ae.Field)
	}
	if n := len(emu.Requests()); n != 0 {
		t.Errorf("%d requests sent for an invalid call", n)
	}
}

func TestStreamToolCall(t *testing.T) {
	_, a := setup(t)
	req := &mcpv1.Request{
		Messages:   []*mcpv1.Message{user(text("Tokyo please"))},
		Tools:      []*mcpv1.Tool{weatherTool(t)},
		ToolChoice: &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_ToolName{ToolName: "get_weather"}},
	}
	var c collected
	fin, err := a.Stream(t.Context(), call(req), c.emit)
	if err != nil {
		t.Fatal(err)
	}
	if fin.Reason != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS {
		t.Errorf("finish = %v", fin.Reason)
	}
	if len(c.calls) != 1 {
		t.Fatalf("tool call deltas = %v", c.calls)
	}
	d := c.calls[0]
	if d.GetIndex() != 0 || d.GetId() != "call_0_get_weather" || d.GetName() != "get_weather" || d.GetArgumentsDelta() != `{"city":"Tokyo please"}` {
		t.Errorf("delta = %v", d)
	}
}

func TestToolChoice(t *testing.T) {
	emu, a := setup(t)
	cases := []struct {
		choice *mcpv1.ToolChoice
		want   string
	}{
		{&mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_ToolName{ToolName: "get_weather"}}, `{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather"]}}`},
		{&mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED}}, `{"functionCallingConfig":{"mode":"ANY"}}`},
		{&mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE}}, `{"functionCallingConfig":{"mode":"NONE"}}`},
		{&mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO}}, `{"functionCallingConfig":{"mode":"AUTO"}}`},
	}
	for _, tc := range cases {
		req := &mcpv1.Request{Messages: []*mcpv1.Message{user(text("get_weather in Rome"))}, Tools: []*mcpv1.Tool{weatherTool(t)}, ToolChoice: tc.choice}
		resp, err := a.Generate(t.Context(), call(req))
		if err != nil {
			t.Fatal(err)
		}
		jsonEqual(t, lastBody(t, emu)["toolConfig"], tc.want)
		wantCall := tc.choice.GetMode() != mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE
		if got := len(resp.GetMessage().GetToolCalls()) == 1; got != wantCall {
			t.Errorf("%v: tool call made = %v", tc.choice, got)
		}
	}
}

func TestSystemPrompt(t *testing.T) {
	emu, a := setup(t)
	req := &mcpv1.Request{Messages: []*mcpv1.Message{
		{Role: mcpv1.Role_ROLE_SYSTEM, Content: []*mcpv1.ContentPart{text("You are terse.")}},
		user(text("Hi")),
		{Role: mcpv1.Role_ROLE_ASSISTANT, Content: []*mcpv1.ContentPart{text("Hello.")}},
		{Role: mcpv1.Role_ROLE_DEVELOPER, Content: []*mcpv1.ContentPart{text("Answer in French.")}},
		user(text("Again")),
		user(text("and again")),
	}}
	resp, err := a.Generate(t.Context(), call(req))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(resp); got != "Echo: Again\nand again" {
		t.Errorf("text = %q", got)
	}
	body := lastBody(t, emu)
	jsonEqual(t, body["systemInstruction"], `{"parts":[{"text":"You are terse."},{"text":"Answer in French."}]}`)
	jsonEqual(t, body["contents"], `[
		{"role":"user","parts":[{"text":"Hi"}]},
		{"role":"model","parts":[{"text":"Hello."}]},
		{"role":"user","parts":[{"text":"Again"},{"text":"and again"}]}]`)
}

func TestStopSequenceAndSampling(t *testing.T) {
	emu, a := setup(t)
	temp, topP, topK, seed, pp, fp := 0.2, 0.9, int32(40), int64(7), 0.5, -0.5
	req := ask("one two three four")
	req.Sampling = &mcpv1.SamplingParams{Temperature: &temp, TopP: &topP, TopK: &topK, Seed: &seed, PresencePenalty: &pp, FrequencyPenalty: &fp, StopSequences: []string{" three"}}
	resp, err := a.Generate(t.Context(), call(req))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(resp); got != "Echo: one two" {
		t.Errorf("text = %q", got)
	}
	// Gemini reports a stop sequence as STOP without saying which matched.
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("finish = %v", resp.GetFinishReason())
	}
	jsonEqual(t, lastBody(t, emu)["generationConfig"], `{"temperature":0.2,"topP":0.9,"topK":40,"seed":7,
		"presencePenalty":0.5,"frequencyPenalty":-0.5,"stopSequences":[" three"]}`)
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
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_LENGTH {
		t.Errorf("finish = %v", resp.GetFinishReason())
	}
	if resp.GetUsage().GetOutputTokens() != 3 {
		t.Errorf("output tokens = %d", resp.GetUsage().GetOutputTokens())
	}
	jsonEqual(t, lastBody(t, emu)["generationConfig"], `{"maxOutputTokens":3}`)

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
	jsonEqual(t, lastBody(t, emu)["generationConfig"], `{"responseMimeType":"application/json",
		"responseJsonSchema":{"type":"object","properties":{"answer":{"type":"string"}}}}`)

	req.ResponseFormat = &mcpv1.ResponseFormat{Type: mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_OBJECT}
	if _, err := a.Generate(t.Context(), call(req)); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, lastBody(t, emu)["generationConfig"], `{"responseMimeType":"application/json"}`)
}

// TestRequestGolden pins the whole request body's field names.
func TestRequestGolden(t *testing.T) {
	emu, a := setup(t)
	limit := int32(64)
	req := &mcpv1.Request{
		Messages: []*mcpv1.Message{
			{Role: mcpv1.Role_ROLE_SYSTEM, Content: []*mcpv1.ContentPart{text("Be brief.")}},
			user(text("Weather in Paris?"), &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Data{Data: []byte{1, 2, 3}}, MimeType: "image/jpeg"}}}),
			{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: []*mcpv1.ToolCall{{Id: "call_0_get_weather", Name: "get_weather", Arguments: `{"city":"Paris"}`}}},
			{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: "call_0_get_weather", Content: []*mcpv1.ContentPart{text("rain")}},
		},
		Tools:      []*mcpv1.Tool{weatherTool(t)},
		ToolChoice: &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO}},
		Sampling:   &mcpv1.SamplingParams{MaxOutputTokens: &limit},
	}
	if _, err := a.Generate(t.Context(), call(req)); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, lastBody(t, emu), `{
		"systemInstruction":{"parts":[{"text":"Be brief."}]},
		"contents":[
			{"role":"user","parts":[{"text":"Weather in Paris?"},{"inlineData":{"mimeType":"image/jpeg","data":"AQID"}}]},
			{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"skip_thought_signature_validator"}]},
			{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"output":"rain"}}}]}],
		"tools":[{"functionDeclarations":[{"name":"get_weather","description":"Weather for a city",
			"parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]}],
		"toolConfig":{"functionCallingConfig":{"mode":"AUTO"}},
		"generationConfig":{"maxOutputTokens":64}}`)
}

func TestErrors(t *testing.T) {
	ctxTooLong := geminiemu.ErrorBody(400, "INVALID_ARGUMENT", "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).")
	cases := []struct {
		name   string
		fault  emulator.Fault
		class  mcpv1.ErrorClass
		status int
		retry  time.Duration
	}{
		{"rate limited with RetryInfo", emulator.Fault{Status: 429}, mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, 429, 20 * time.Second},
		{"rate limited with retry-after header", emulator.Fault{Status: 429, Body: geminiemu.ErrorBody(429, "RESOURCE_EXHAUSTED", "slow down"), Headers: map[string]string{"Retry-After": "7"}}, mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, 429, 7 * time.Second},
		{"overloaded", emulator.Fault{Status: 503}, mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED, 503, 0},
		{"internal", emulator.Fault{Status: 500}, mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, 500, 0},
		{"unauthenticated", emulator.Fault{Status: 401}, mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, 401, 0},
		{"permission", emulator.Fault{Status: 403}, mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, 403, 0},
		{"not found", emulator.Fault{Status: 404}, mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, 404, 0},
		{"bad request", emulator.Fault{Status: 400}, mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, 400, 0},
		{"context too long", emulator.Fault{Status: 400, Body: ctxTooLong}, mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED, 400, 0},
		{"deadline", emulator.Fault{Status: 504}, mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT, 504, 0},
		{"not json", emulator.Fault{Status: 502, Body: "<html>bad gateway</html>"}, mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, 502, 0},
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
				if ae.Class != tc.class || ae.UpstreamStatus != tc.status || ae.Provider != "gem" || ae.RetryAfter != tc.retry || ae.Message == "" {
					t.Errorf("stream=%v: got class %v status %d provider %q retry %v message %q", stream, ae.Class, ae.UpstreamStatus, ae.Provider, ae.RetryAfter, ae.Message)
				}
			}
		})
	}
}

func TestBadKey(t *testing.T) {
	emu, a := setup(t)
	emu.APIKey = "the-right-key"
	_, err := a.Generate(t.Context(), call(ask("hi")))
	ae := asAPIError(t, err)
	if ae.Class != mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION || ae.UpstreamStatus != 400 || !strings.Contains(ae.Message, "API key not valid") {
		t.Errorf("got %v %d %q", ae.Class, ae.UpstreamStatus, ae.Message)
	}
	if strings.Contains(ae.Error(), "test-key") {
		t.Error("error leaks the key")
	}
}

func TestMissingKey(t *testing.T) {
	_, a := setup(t)
	c := call(ask("hi"))
	c.Credential.APIKey = ""
	_, err := a.Generate(t.Context(), c)
	if ae := asAPIError(t, err); ae.Class != mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED || ae.UpstreamStatus != 403 {
		t.Errorf("got %v %d", ae.Class, ae.UpstreamStatus)
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
			if ae.Class != tc.class || ae.Provider != "gem" {
				t.Errorf("class %v provider %q (%v)", ae.Class, ae.Provider, err)
			}
			if got := c.text.String(); got != "Echo:" {
				t.Errorf("deltas before the failure = %q, want the first two tokens", got)
			}
			if c.usage != nil {
				t.Error("usage emitted for a failed stream")
			}
		})
	}
}

func TestHangTimesOut(t *testing.T) {
	emu, a := setup(t)
	emu.Script(emulator.Fault{Hang: true})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := a.Generate(ctx, call(ask("hi")))
	if ae := asAPIError(t, err); ae.Class != mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT {
		t.Errorf("class = %v", ae.Class)
	}
}

func TestReasoningAndCachedUsage(t *testing.T) {
	emu, a := setup(t)
	emu.Thought = "Let me think about this"
	emu.CachedTokens = 2
	resp, err := a.Generate(t.Context(), call(ask("think hard")))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(resp); got != "Echo: think hard" {
		t.Errorf("text = %q (thoughts must not leak into the answer)", got)
	}
	u := resp.GetUsage()
	thoughts := int64(emulator.CountTokens(emu.Thought))
	if u.GetReasoningTokens() != thoughts || u.GetCachedInputTokens() != 2 || u.GetOutputTokens() != 4+thoughts || u.GetTotalTokens() != u.GetInputTokens()+u.GetOutputTokens() {
		t.Errorf("usage = %v", u)
	}
	var c collected
	if _, err := a.Stream(t.Context(), call(ask("think hard")), c.emit); err != nil {
		t.Fatal(err)
	}
	if c.reasoning.String() != emu.Thought || c.text.String() != "Echo: think hard" {
		t.Errorf("reasoning %q text %q", c.reasoning.String(), c.text.String())
	}
	if c.usage.GetReasoningTokens() != thoughts || c.usage.GetCachedInputTokens() != 2 || c.usage.GetOutputTokens() != u.GetOutputTokens() {
		t.Errorf("stream usage = %v", c.usage)
	}
}

func TestEmbed(t *testing.T) {
	emu, a := setup(t)
	res, err := a.Embed(t.Context(), &provider.EmbedCall{
		Inputs:     []*mcpv1.EmbeddingInput{{Input: &mcpv1.EmbeddingInput_Text{Text: "alpha"}}, {Input: &mcpv1.EmbeddingInput_Text{Text: "beta"}}},
		Dimensions: 4, Model: "text-embedding-004", Credential: provider.Credential{APIKey: "k"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Embeddings) != 2 || len(res.Embeddings[0].GetValues()) != 4 || res.Embeddings[1].GetIndex() != 1 {
		t.Fatalf("embeddings = %v", res.Embeddings)
	}
	if reflect.DeepEqual(res.Embeddings[0].GetValues(), res.Embeddings[1].GetValues()) {
		t.Error("different inputs got the same vector")
	}
	r := emu.Requests()[0]
	if r.Path != "/v1beta/models/text-embedding-004:batchEmbedContents" {
		t.Errorf("path = %s", r.Path)
	}
	jsonEqual(t, lastBody(t, emu), `{"requests":[
		{"model":"models/text-embedding-004","content":{"parts":[{"text":"alpha"}]},"outputDimensionality":4},
		{"model":"models/text-embedding-004","content":{"parts":[{"text":"beta"}]},"outputDimensionality":4}]}`)

	_, err = a.Embed(t.Context(), &provider.EmbedCall{Inputs: []*mcpv1.EmbeddingInput{{Input: &mcpv1.EmbeddingInput_Tokens{Tokens: &mcpv1.TokenList{Ids: []int32{1}}}}}, Model: "m"})
	if ae := asAPIError(t, err); ae.Class != mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED {
		t.Errorf("token input class = %v", ae.Class)
	}
}

func TestDefaultBaseURL(t *testing.T) {
	var got string
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = r.URL.String()
		return nil, errors.New("offline")
	})}
	a := gemini.New(provider.Config{HTTPClient: client})
	_, err := a.Generate(t.Context(), call(ask("hi")))
	if want := "https://generativelanguage.googleapis.com/v1beta/models/" + model + ":generateContent"; got != want {
		t.Errorf("url = %q, want %q", got, want)
	}
	if ae := asAPIError(t, err); ae.Class != mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE {
		t.Errorf("transport failure class = %v", ae.Class)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestEmptyTextPartsDropped(t *testing.T) {
	emu, a := setup(t)
	req := &mcpv1.Request{Messages: []*mcpv1.Message{
		{Role: mcpv1.Role_ROLE_SYSTEM, Content: []*mcpv1.ContentPart{text("")}},
		user(text(""), text("hi")),
	}}
	if _, err := a.Generate(t.Context(), call(req)); err != nil {
		t.Fatal(err)
	}
	body := lastBody(t, emu)
	if _, ok := body["systemInstruction"]; ok {
		t.Error("empty system prompt sent")
	}
	jsonEqual(t, body["contents"], `[{"role":"user","parts":[{"text":"hi"}]}]`)
}

func TestParallelCallsAndToolImages(t *testing.T) {
	emu, a := setup(t)
	png := []byte("\x89PNG\r\n\x1a\n")
	req := &mcpv1.Request{Tools: []*mcpv1.Tool{weatherTool(t)}, Messages: []*mcpv1.Message{
		user(text("two cities")),
		{Role: mcpv1.Role_ROLE_ASSISTANT, Content: []*mcpv1.ContentPart{text("Checking.")}, ToolCalls: []*mcpv1.ToolCall{
			{Id: "call_0_get_weather", Name: "get_weather", Arguments: `{"city":"Oslo"}`},
			{Id: "call_1_get_weather", Name: "get_weather", Arguments: `{"city":"Rome"}`},
		}},
		{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: "call_0_get_weather", Content: []*mcpv1.ContentPart{text("3C")}},
		user(&mcpv1.ContentPart{Part: &mcpv1.ContentPart_ToolResult{ToolResult: &mcpv1.ToolResultPart{
			ToolCallId: "call_1_get_weather", IsError: true, Content: []*mcpv1.ContentPart{
				text("radar offline"),
				{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Data{Data: png}, MimeType: "image/png"}}},
			},
		}}}),
	}}
	resp, err := a.Generate(t.Context(), call(req))
	if err != nil {
		t.Fatal(err)
	}
	if got := responseText(resp); got != "Tool said: 3Cradar offline" {
		t.Errorf("text = %q", got)
	}
	// Only the first call of a turn carries a signature, as Gemini sends them.
	jsonEqual(t, lastBody(t, emu)["contents"], `[
		{"role":"user","parts":[{"text":"two cities"}]},
		{"role":"model","parts":[{"text":"Checking."},
			{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}},"thoughtSignature":"skip_thought_signature_validator"},
			{"functionCall":{"name":"get_weather","args":{"city":"Rome"}}}]},
		{"role":"user","parts":[
			{"functionResponse":{"name":"get_weather","response":{"output":"3C"}}},
			{"functionResponse":{"name":"get_weather","response":{"error":"radar offline"}}},
			{"inlineData":{"mimeType":"image/png","data":"`+base64.StdEncoding.EncodeToString(png)+`"}}]}]`)
}
