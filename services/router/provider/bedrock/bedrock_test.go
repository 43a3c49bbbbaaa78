package bedrock_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/emulator"
	bedrockemu "github.com/manifoldgw/manifold/services/internal/emulator/bedrock"
	"github.com/manifoldgw/manifold/services/router/provider"
	"github.com/manifoldgw/manifold/services/router/provider/bedrock"
)

const model = "anthropic.claude-3-haiku-20240307-v1:0"

func setup(t testing.TB) (*bedrockemu.Emulator, *bedrock.Adapter) {
	t.Helper()
	emu := bedrockemu.New()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	a := bedrock.New(provider.Config{Name: "bedrock-test", BaseURL: srv.URL, Region: bedrockemu.Region, HTTPClient: srv.Client()})
	return emu, a
}

func newCall(req *mcpv1.Request) *provider.Call {
	return &provider.Call{Request: req, Model: model, Credential: provider.Credential{
		Name: "test", AccessKeyID: bedrockemu.AccessKeyID, SecretAccessKey: bedrockemu.SecretAccessKey,
	}}
}

func text(s string) *mcpv1.ContentPart {
	return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: s}}
}

func msg(role mcpv1.Role, parts ...*mcpv1.ContentPart) *mcpv1.Message {
	return &mcpv1.Message{Role: role, Content: parts}
}

func userText(s string) *mcpv1.Request {
	return &mcpv1.Request{Messages: []*mcpv1.Message{msg(mcpv1.Role_ROLE_USER, text(s))}}
}

func answerText(r *mcpv1.Response) string {
	var b strings.Builder
	for _, p := range r.GetMessage().GetContent() {
		b.WriteString(p.GetText())
	}
	return b.String()
}

// streamed collects a stream's events.
type streamed struct {
	text, reasoning string
	calls           map[int32]*mcpv1.ToolCall
	usage           *mcpv1.Usage
	events          int
}

func runStream(t *testing.T, a *bedrock.Adapter, call *provider.Call) (*streamed, provider.Finish, error) {
	t.Helper()
	s := &streamed{calls: map[int32]*mcpv1.ToolCall{}}
	fin, err := a.Stream(t.Context(), call, func(ev *mcpv1.StreamEvent) error {
		s.events++
		switch e := ev.GetEvent().(type) {
		case *mcpv1.StreamEvent_TextDelta:
			s.text += e.TextDelta.GetText()
		case *mcpv1.StreamEvent_ReasoningDelta:
			s.reasoning += e.ReasoningDelta.GetText()
		case *mcpv1.StreamEvent_ToolCallDelta:
			d := e.ToolCallDelta
			c, ok := s.calls[d.GetIndex()]
			if !ok {
				if d.GetId() == "" || d.GetName() == "" {
					t.Errorf("first delta of tool call %d lacks id or name: %v", d.GetIndex(), d)
				}
				c = &mcpv1.ToolCall{Id: d.GetId(), Name: d.GetName()}
				s.calls[d.GetIndex()] = c
			} else if d.GetId() != "" || d.GetName() != "" {
				t.Errorf("later delta of tool call %d repeats id or name: %v", d.GetIndex(), d)
			}
			c.Arguments += d.GetArgumentsDelta()
		case *mcpv1.StreamEvent_Usage:
			s.usage = e.Usage
		default:
			t.Errorf("adapter emitted %T, which the router owns", e)
		}
		return nil
	})
	return s, fin, err
}

// lastBody decodes the last request the emulator received.
func lastBody(t *testing.T, emu *bedrockemu.Emulator) map[string]any {
	t.Helper()
	reqs := emu.Requests()
	if len(reqs) == 0 {
		t.Fatal("emulator received no request")
	}
	var body map[string]any
	if err := json.Unmarshal(reqs[len(reqs)-1].Body, &body); err != nil {
		t.Fatalf("request body is not JSON: %v", err)
	}
	return body
}

// at walks a decoded JSON document: keys for objects, ints for arrays.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %v is not an object", path, v)
			}
			v, ok = m[k]
			if !ok {
				t.Fatalf("at %v: no key %q in %v", path, k, m)
			}
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at %v: %v has no element %d", path, v, k)
			}
			v = a[k]
		}
	}
	return v
}

func wantClass(t *testing.T, err error, class mcpv1.ErrorClass) *apierror.Error {
	t.Helper()
	var e *apierror.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *apierror.Error", err, err)
	}
	if e.Class != class {
		t.Fatalf("class = %v, want %v (%v)", e.Class, class, e)
	}
	if e.Provider != "bedrock-test" {
		t.Errorf("provider = %q, want bedrock-test", e.Provider)
	}
	return e
}

func TestGenerate(t *testing.T) {
	emu, a := setup(t)
	resp, err := a.Generate(t.Context(), newCall(userText("Hello there")))
	if err != nil {
		t.Fatal(err)
	}
	if got := answerText(resp); got != "Echo: Hello there" {
		t.Errorf("text = %q", got)
	}
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("finish = %v", resp.GetFinishReason())
	}
	if resp.GetMessage().GetRole() != mcpv1.Role_ROLE_ASSISTANT {
		t.Errorf("role = %v", resp.GetMessage().GetRole())
	}
	u := resp.GetUsage()
	if u.GetInputTokens() != int64(emulator.CountTokens("Hello there")+1) || u.GetOutputTokens() != int64(emulator.CountTokens("Echo: Hello there")) ||
		u.GetTotalTokens() != u.GetInputTokens()+u.GetOutputTokens() {
		t.Errorf("usage = %v", u)
	}
	r := emu.Requests()[0]
	if r.Method != http.MethodPost || r.Path != "/model/"+model+"/converse" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content-type = %q", ct)
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential="+bedrockemu.AccessKeyID+"/") || !strings.Contains(auth, "/us-east-1/bedrock/aws4_request") {
		t.Errorf("authorization = %q", auth)
	}
	if r.Header.Get("X-Amz-Date") == "" {
		t.Error("no X-Amz-Date")
	}
}

func TestStreamMatchesGenerate(t *testing.T) {
	_, a := setup(t)
	req := userText("Stream me a few words, please")
	plain, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	s, fin, err := runStream(t, a, newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if s.text != answerText(plain) {
		t.Errorf("streamed %q, plain %q", s.text, answerText(plain))
	}
	if !proto.Equal(s.usage, plain.GetUsage()) {
		t.Errorf("streamed usage %v, plain %v", s.usage, plain.GetUsage())
	}
	if fin.Reason != plain.GetFinishReason() {
		t.Errorf("streamed finish %v, plain %v", fin.Reason, plain.GetFinishReason())
	}
	if s.events < 3 {
		t.Errorf("only %d events: not streamed in pieces", s.events)
	}
}

func TestModelIDIsEscaped(t *testing.T) {
	emu, a := setup(t)
	call := newCall(userText("hi"))
	call.Model = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0"
	if _, err := a.Generate(t.Context(), call); err != nil {
		t.Fatal(err) // the emulator checks the signature over the escaped path
	}
	if got := emu.Requests()[0].Path; got != "/model/"+call.Model+"/converse" {
		t.Errorf("path = %q", got)
	}
}

func TestImages(t *testing.T) {
	emu, a := setup(t)
	png := []byte("\x89PNG\r\n\x1a\nfake")
	jpeg := []byte("\xff\xd8\xff\xe0fake")
	req := &mcpv1.Request{Messages: []*mcpv1.Message{msg(mcpv1.Role_ROLE_USER,
		text("What is this?"),
		&mcpv1.ContentPart{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Data{Data: png}, MimeType: "image/png"}}},
		&mcpv1.ContentPart{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Url{Url: "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(jpeg)}}}},
	)}}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if got := answerText(resp); got != "Echo: What is this? I see 2 image(s): image/png, image/jpeg." {
		t.Errorf("text = %q", got)
	}
	body := lastBody(t, emu)
	if f := at(t, body, "messages", 0, "content", 1, "image", "format"); f != "png" {
		t.Errorf("format = %v", f)
	}
	if b := at(t, body, "messages", 0, "content", 1, "image", "source", "bytes"); b != base64.StdEncoding.EncodeToString(png) {
		t.Errorf("bytes = %v", b)
	}
	if b := at(t, body, "messages", 0, "content", 2, "image", "source", "bytes"); b != base64.StdEncoding.EncodeToString(jpeg) {
		t.Errorf("data URL bytes = %v", b)
	}

	n := len(emu.Requests())
	req.Messages[0].Content[1] = &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Url{Url: "https://example.com/cat.png"}}}}
	_, err = a.Generate(t.Context(), newCall(req))
	if e := wantClass(t, err, mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED); e.Field != "messages[0].content[1].image.url" {
		t.Errorf("field = %q", e.Field)
	}
	if len(emu.Requests()) != n {
		t.Error("an unsupported request was sent")
	}
}

func weatherTool(name string) *mcpv1.Tool {
	params, _ := structpb.NewStruct(map[string]any{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}},
		"required":   []any{"city"},
	})
	return &mcpv1.Tool{Name: name, Description: "Weather by city", Parameters: params}
}

func TestToolRoundTrip(t *testing.T) {
	emu, a := setup(t)
	// A hyphenated name is not a valid Bedrock tool name: it travels as
	// get_weather and comes back as get-weather.
	req := &mcpv1.Request{
		Messages:   []*mcpv1.Message{msg(mcpv1.Role_ROLE_USER, text("Paris"))},
		Tools:      []*mcpv1.Tool{weatherTool("get-weather")},
		ToolChoice: &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_ToolName{ToolName: "get-weather"}},
	}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS || len(resp.GetMessage().GetToolCalls()) != 1 {
		t.Fatalf("response = %v", resp)
	}
	tc := resp.GetMessage().GetToolCalls()[0]
	if tc.GetName() != "get-weather" || !strings.HasPrefix(tc.GetId(), "tooluse_") || tc.GetArguments() != `{"city":"Paris"}` {
		t.Errorf("tool call = %v", tc)
	}
	body := lastBody(t, emu)
	if n := at(t, body, "toolConfig", "tools", 0, "toolSpec", "name"); n != "get_weather" {
		t.Errorf("tool sent as %v", n)
	}
	if n := at(t, body, "toolConfig", "toolChoice", "tool", "name"); n != "get_weather" {
		t.Errorf("tool choice sent as %v", n)
	}

	s, fin, err := runStream(t, a, newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if fin.Reason != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS || len(s.calls) != 1 || !proto.Equal(s.calls[0], tc) {
		t.Errorf("streamed %v (%v), plain %v", s.calls, fin.Reason, tc)
	}

	req.ToolChoice = nil
	req.Messages = append(req.Messages,
		resp.GetMessage(),
		&mcpv1.Message{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: tc.GetId(), Content: []*mcpv1.ContentPart{text("18C and sunny")}})
	final, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err) // the emulator refuses results whose id matches no toolUse
	}
	if got := answerText(final); got != "Tool said: 18C and sunny" || final.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("final = %q (%v)", got, final.GetFinishReason())
	}
	body = lastBody(t, emu)
	if id := at(t, body, "messages", 1, "content", 0, "toolUse", "toolUseId"); id != tc.GetId() {
		t.Errorf("toolUseId = %v", id)
	}
	if n := at(t, body, "messages", 1, "content", 0, "toolUse", "name"); n != "get_weather" {
		t.Errorf("history tool name = %v", n)
	}
	if id := at(t, body, "messages", 2, "content", 0, "toolResult", "toolUseId"); id != tc.GetId() {
		t.Errorf("toolResult id = %v", id)
	}
	if r := at(t, body, "messages", 2, "role"); r != "user" {
		t.Errorf("tool result role = %v", r)
	}
}

func TestSystemPrompt(t *testing.T) {
	emu, a := setup(t)
	req := &mcpv1.Request{Messages: []*mcpv1.Message{
		msg(mcpv1.Role_ROLE_SYSTEM, text("You are terse.")),
		msg(mcpv1.Role_ROLE_USER, text("Hi")),
		msg(mcpv1.Role_ROLE_DEVELOPER, text("Answer in French.")),
	}}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	body := lastBody(t, emu)
	sys, _ := json.Marshal(body["system"])
	if string(sys) != `[{"text":"You are terse."},{"text":"Answer in French."}]` {
		t.Errorf("system = %s", sys)
	}
	msgs := at(t, body, "messages").([]any)
	if len(msgs) != 1 || at(t, msgs, 0, "role") != "user" {
		t.Errorf("messages = %v", msgs)
	}
	want := int64(emulator.CountTokens("You are terse.\nAnswer in French.\nHi") + 1)
	if resp.GetUsage().GetInputTokens() != want {
		t.Errorf("input tokens = %d, want %d (system counted)", resp.GetUsage().GetInputTokens(), want)
	}
}

func TestStopSequence(t *testing.T) {
	emu, a := setup(t)
	req := userText("Hello world. Bye")
	req.Sampling = &mcpv1.SamplingParams{StopSequences: []string{"world", "zzz"}}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if answerText(resp) != "Echo: Hello " || resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE || resp.GetStopSequence() != "world" {
		t.Errorf("response = %q %v %q", answerText(resp), resp.GetFinishReason(), resp.GetStopSequence())
	}
	if s, _ := json.Marshal(at(t, lastBody(t, emu), "inferenceConfig", "stopSequences")); string(s) != `["world","zzz"]` {
		t.Errorf("stopSequences = %s", s)
	}
	s, fin, err := runStream(t, a, newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if s.text != "Echo: Hello " || fin.Reason != mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE || fin.StopSequence != "world" {
		t.Errorf("stream = %q %v", s.text, fin)
	}
}

func TestMaxTokens(t *testing.T) {
	emu, a := setup(t)
	req := userText("one two three four")
	maxTokens := int32(2)
	req.Sampling = &mcpv1.SamplingParams{MaxOutputTokens: &maxTokens}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if answerText(resp) != "Echo:" || resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_LENGTH || resp.GetUsage().GetOutputTokens() != 2 {
		t.Errorf("response = %q %v %v", answerText(resp), resp.GetFinishReason(), resp.GetUsage())
	}
	if m := at(t, lastBody(t, emu), "inferenceConfig", "maxTokens"); m != float64(2) {
		t.Errorf("maxTokens = %v", m)
	}
}

func TestJSONSchemaOutput(t *testing.T) {
	emu, a := setup(t)
	schema, _ := structpb.NewStruct(map[string]any{
		"type":       "object",
		"properties": map[string]any{"answer": map[string]any{"type": "string"}},
		"required":   []any{"answer"},
	})
	req := userText("Capital of France?")
	req.ResponseFormat = &mcpv1.ResponseFormat{
		Type:       mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
		JsonSchema: &mcpv1.JsonSchema{Name: "capital", Description: "The capital", Schema: schema},
	}
	resp, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if got := answerText(resp); got != `{"answer":"Capital of France?"}` {
		t.Errorf("text = %q", got)
	}
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP || len(resp.GetMessage().GetToolCalls()) != 0 {
		t.Errorf("finish = %v, calls = %v", resp.GetFinishReason(), resp.GetMessage().GetToolCalls())
	}
	body := lastBody(t, emu)
	if n := at(t, body, "toolConfig", "tools", 0, "toolSpec", "name"); n != "manifold_json_output" {
		t.Errorf("tool = %v", n)
	}
	if d := at(t, body, "toolConfig", "tools", 0, "toolSpec", "description"); d != "The capital" {
		t.Errorf("description = %v", d)
	}
	if r := at(t, body, "toolConfig", "tools", 0, "toolSpec", "inputSchema", "json", "required", 0); r != "answer" {
		t.Errorf("schema = %v", r)
	}
	if n := at(t, body, "toolConfig", "toolChoice", "tool", "name"); n != "manifold_json_output" {
		t.Errorf("tool choice = %v", n)
	}
	s, fin, err := runStream(t, a, newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if s.text != answerText(resp) || fin.Reason != mcpv1.FinishReason_FINISH_REASON_STOP || len(s.calls) != 0 {
		t.Errorf("stream = %q %v %v", s.text, fin, s.calls)
	}
}

func TestHTTPErrors(t *testing.T) {
	tooLong := `{"message":"Input is too long for requested model."}`
	cases := []struct {
		name  string
		fault emulator.Fault
		class mcpv1.ErrorClass
		retry time.Duration
	}{
		{"throttled retry-after", emulator.Fault{Status: 429, Headers: map[string]string{"Retry-After": "7"}}, mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, 7 * time.Second},
		{"throttled retry-after-ms", emulator.Fault{Status: 429, Headers: map[string]string{"Retry-After-Ms": "250"}}, mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, 250 * time.Millisecond},
		{"service unavailable", emulator.Fault{Status: 503}, mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED, 0},
		{"internal", emulator.Fault{Status: 500}, mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, 0},
		{"model error", emulator.Fault{Status: 424}, mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, 0},
		{"model not ready", emulator.Fault{Status: 429, Headers: map[string]string{"X-Amzn-Errortype": "ModelNotReadyException"}}, mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, 0},
		{"access denied", emulator.Fault{Status: 403}, mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, 0},
		{"unauthorized", emulator.Fault{Status: 401}, mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, 0},
		{"not found", emulator.Fault{Status: 404}, mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, 0},
		{"model timeout", emulator.Fault{Status: 408}, mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT, 0},
		{"validation", emulator.Fault{Status: 400}, mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, 0},
		{"input too long", emulator.Fault{Status: 400, Body: tooLong}, mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED, 0},
		{"prompt too long", emulator.Fault{Status: 400, Body: `{"message":"prompt is too long: 250000 tokens > 200000 maximum"}`}, mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			emu, a := setup(t)
			emu.Script(tc.fault, tc.fault)
			_, err := a.Generate(t.Context(), newCall(userText("hi")))
			e := wantClass(t, err, tc.class)
			if e.UpstreamStatus != tc.fault.Status || e.RetryAfter != tc.retry {
				t.Errorf("status %d retry %v, want %d %v", e.UpstreamStatus, e.RetryAfter, tc.fault.Status, tc.retry)
			}
			if tc.fault.Body == tooLong && !strings.Contains(e.Message, "Input is too long for requested model.") {
				t.Errorf("message %q lost the upstream message", e.Message)
			}
			s, _, err := runStream(t, a, newCall(userText("hi")))
			wantClass(t, err, tc.class)
			if s.events != 0 {
				t.Errorf("%d events before the error", s.events)
			}
		})
	}
}

func TestContextWindow(t *testing.T) {
	emu, a := setup(t)
	emu.SetOptions(bedrockemu.Options{ContextWindow: 3})
	_, err := a.Generate(t.Context(), newCall(userText("far too many words for this tiny window")))
	e := wantClass(t, err, mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED)
	if e.UpstreamStatus != 400 || !strings.Contains(e.Message, "ValidationException") {
		t.Errorf("error = %d %q", e.UpstreamStatus, e.Message)
	}
}

func TestSigning(t *testing.T) {
	emu, a := setup(t)
	emu.AddCredential("ASIAEXAMPLETEMP", "temporary-secret", "session-token-123")

	temp := newCall(userText("hi"))
	temp.Credential = provider.Credential{AccessKeyID: "ASIAEXAMPLETEMP", SecretAccessKey: "temporary-secret", SessionToken: "session-token-123"}
	if _, err := a.Generate(t.Context(), temp); err != nil {
		t.Fatalf("temporary credentials: %v", err)
	}
	if tok := emu.Requests()[0].Header.Get("X-Amz-Security-Token"); tok != "session-token-123" {
		t.Errorf("security token header = %q", tok)
	}

	for name, cred := range map[string]provider.Credential{
		"wrong secret":  {AccessKeyID: bedrockemu.AccessKeyID, SecretAccessKey: "not-the-secret"},
		"unknown key":   {AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: bedrockemu.SecretAccessKey},
		"missing token": {AccessKeyID: "ASIAEXAMPLETEMP", SecretAccessKey: "temporary-secret"},
	} {
		call := newCall(userText("hi"))
		call.Credential = cred
		_, err := a.Generate(t.Context(), call)
		e := wantClass(t, err, mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION)
		if e.UpstreamStatus != http.StatusForbidden {
			t.Errorf("%s: status %d", name, e.UpstreamStatus)
		}
		if strings.Contains(e.Message, "not-the-secret") {
			t.Errorf("%s: message leaks the secret: %q", name, e.Message)
		}
	}

	n := len(emu.Requests())
	call := newCall(userText("hi"))
	call.Credential = provider.Credential{}
	_, err := a.Generate(t.Context(), call)
	wantClass(t, err, mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION)
	if len(emu.Requests()) != n {
		t.Error("an unsigned request was sent")
	}
}

func TestTimeout(t *testing.T) {
	emu, a := setup(t)
	emu.Script(emulator.Fault{Hang: true})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := a.Generate(ctx, newCall(userText("hi")))
	wantClass(t, err, mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT)
}

func TestStreamFaults(t *testing.T) {
	// "Echo: one two three four five" streams as messageStart, 7 text
	// deltas, contentBlockStop, messageStop, metadata: 11 frames.
	const prompt = "one two three four five"
	cases := []struct {
		name  string
		fault emulator.Fault
		opts  bedrockemu.Options
		class mcpv1.ErrorClass
		msg   string
	}{
		{"cut between frames", emulator.Fault{CutAfterChunks: 4}, bedrockemu.Options{}, mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL, "before messageStop"},
		{"cut mid-frame", emulator.Fault{CutAfterChunks: 4}, bedrockemu.Options{CutMidFrame: true}, mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL, "inside a frame"},
		{"cut before metadata", emulator.Fault{CutAfterChunks: 10}, bedrockemu.Options{}, mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL, "before its metadata"},
		{"malformed JSON", emulator.Fault{MalformedAfterChunks: 4}, bedrockemu.Options{}, mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL, "decode Bedrock contentBlockDelta event"},
		{"bad CRC", emulator.Fault{MalformedAfterChunks: 4}, bedrockemu.Options{CorruptCRC: true}, mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL, "CRC"},
		{"model stream error", emulator.Fault{ErrorAfterChunks: 4}, bedrockemu.Options{}, mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "modelStreamErrorException"},
		{"throttling", emulator.Fault{ErrorAfterChunks: 4}, bedrockemu.Options{StreamException: "throttlingException"}, mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, "throttlingException"},
		{"service unavailable", emulator.Fault{ErrorAfterChunks: 4}, bedrockemu.Options{StreamException: "serviceUnavailableException"}, mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED, "serviceUnavailableException"},
		{"internal", emulator.Fault{ErrorAfterChunks: 4}, bedrockemu.Options{StreamException: "internalServerException"}, mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "internalServerException"},
		{"validation", emulator.Fault{ErrorAfterChunks: 4}, bedrockemu.Options{StreamException: "validationException", StreamExceptionMessage: "Bad input"}, mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "Bad input"},
		{"validation too long", emulator.Fault{ErrorAfterChunks: 4}, bedrockemu.Options{StreamException: "validationException", StreamExceptionMessage: "Input is too long for requested model."}, mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED, "Input is too long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			emu, a := setup(t)
			emu.SetOptions(tc.opts)
			emu.Script(tc.fault)
			s, _, err := runStream(t, a, newCall(userText(prompt)))
			if e := wantClass(t, err, tc.class); !strings.Contains(e.Message, tc.msg) {
				t.Errorf("message %q, want it to mention %q", e.Message, tc.msg)
			}
			if s.text == "" || !strings.HasPrefix("Echo: "+prompt, s.text) {
				t.Errorf("deltas before the error = %q", s.text)
			}
			if s.usage != nil {
				t.Errorf("usage %v reported for a failed stream", s.usage)
			}
		})
	}
}

func TestCachedUsage(t *testing.T) {
	emu, a := setup(t)
	req := userText("a long shared prefix and a question")
	plain, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	emu.SetOptions(bedrockemu.Options{CacheReadTokens: 4, CacheWriteTokens: 2})
	cached, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	u := cached.GetUsage()
	if u.GetInputTokens() != plain.GetUsage().GetInputTokens() || u.GetCachedInputTokens() != 4 || u.GetCacheWriteTokens() != 2 ||
		u.GetTotalTokens() != u.GetInputTokens()+u.GetOutputTokens() {
		t.Errorf("cached usage %v, plain %v", u, plain.GetUsage())
	}
	s, _, err := runStream(t, a, newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(s.usage, u) {
		t.Errorf("streamed usage %v, plain %v", s.usage, u)
	}
}

func TestReasoning(t *testing.T) {
	emu, a := setup(t)
	emu.SetOptions(bedrockemu.Options{Reasoning: "The user greets me, so I echo."})
	req := userText("hello")
	plain, err := a.Generate(t.Context(), newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if answerText(plain) != "Echo: hello" {
		t.Errorf("reasoning leaked into the answer: %q", answerText(plain))
	}
	want := int64(emulator.CountTokens("Echo: hello") + emulator.CountTokens("The user greets me, so I echo."))
	if plain.GetUsage().GetOutputTokens() != want {
		t.Errorf("output tokens = %d, want %d (reasoning included)", plain.GetUsage().GetOutputTokens(), want)
	}
	s, _, err := runStream(t, a, newCall(req))
	if err != nil {
		t.Fatal(err)
	}
	if s.reasoning != "The user greets me, so I echo." || s.text != "Echo: hello" || !proto.Equal(s.usage, plain.GetUsage()) {
		t.Errorf("stream reasoning %q text %q usage %v", s.reasoning, s.text, s.usage)
	}
}

func texts(ss ...string) []*mcpv1.EmbeddingInput {
	out := make([]*mcpv1.EmbeddingInput, len(ss))
	for i, s := range ss {
		out[i] = &mcpv1.EmbeddingInput{Input: &mcpv1.EmbeddingInput_Text{Text: s}}
	}
	return out
}

func TestEmbed(t *testing.T) {
	emu, a := setup(t)
	cred := newCall(nil).Credential
	for _, tc := range []struct {
		model string
		dims  int32
		want  int
		calls int
	}{
		{"amazon.titan-embed-text-v2:0", 256, 256, 3},
		{"amazon.titan-embed-text-v1", 0, 1536, 3},
		{"us.cohere.embed-v4:0", 512, 512, 1},
		{"cohere.embed-english-v3", 0, 1024, 1},
	} {
		emu.Reset()
		res, err := a.Embed(t.Context(), &provider.EmbedCall{Inputs: texts("red apple", "green pear", "red apple"), Dimensions: tc.dims, Model: tc.model, Credential: cred})
		if err != nil {
			t.Fatalf("%s: %v", tc.model, err)
		}
		if len(res.Embeddings) != 3 {
			t.Fatalf("%s: %d embeddings", tc.model, len(res.Embeddings))
		}
		for i, e := range res.Embeddings {
			if e.GetIndex() != int32(i) || len(e.GetValues()) != tc.want {
				t.Errorf("%s: embedding %d has index %d and %d values", tc.model, i, e.GetIndex(), len(e.GetValues()))
			}
		}
		if !slices.Equal(res.Embeddings[0].GetValues(), res.Embeddings[2].GetValues()) || slices.Equal(res.Embeddings[0].GetValues(), res.Embeddings[1].GetValues()) {
			t.Errorf("%s: equal texts should embed alike, different ones not", tc.model)
		}
		if want := int64(2*emulator.CountTokens("red apple") + emulator.CountTokens("green pear")); res.Usage.GetInputTokens() != want || res.Usage.GetTotalTokens() != want {
			t.Errorf("%s: usage %v, want %d input tokens", tc.model, res.Usage, want)
		}
		reqs := emu.Requests()
		if len(reqs) != tc.calls || reqs[0].Path != "/model/"+tc.model+"/invoke" {
			t.Errorf("%s: %d calls to %s", tc.model, len(reqs), reqs[0].Path)
		}
	}

	for name, call := range map[string]*provider.EmbedCall{
		"unknown model": {Inputs: texts("x"), Model: "anthropic.claude-3-haiku-20240307-v1:0", Credential: cred},
		"token ids":     {Inputs: []*mcpv1.EmbeddingInput{{Input: &mcpv1.EmbeddingInput_Tokens{Tokens: &mcpv1.TokenList{Ids: []int32{1}}}}}, Model: "cohere.embed-english-v3", Credential: cred},
		"fixed dims":    {Inputs: texts("x"), Dimensions: 256, Model: "amazon.titan-embed-text-v1", Credential: cred},
	} {
		_, err := a.Embed(t.Context(), call)
		if e := wantClass(t, err, mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED); e.Field == "" {
			t.Errorf("%s: no field in %v", name, e)
		}
	}

	emu.Script(emulator.Fault{Status: 429})
	_, err := a.Embed(t.Context(), &provider.EmbedCall{Inputs: texts("x"), Model: "amazon.titan-embed-text-v2:0", Credential: cred})
	wantClass(t, err, mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED)
}

func TestStreamWrongContentType(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"output":{}}`))
	}))
	defer srv.Close()
	a := bedrock.New(provider.Config{Name: "bedrock-test", BaseURL: srv.URL, HTTPClient: srv.Client()})
	s, _, err := runStream(t, a, newCall(userText("hi")))
	wantClass(t, err, mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL)
	if s.events != 0 {
		t.Errorf("%d events", s.events)
	}
}

func TestStreamEmitErrorStops(t *testing.T) {
	_, a := setup(t)
	stop := errors.New("client went away")
	n := 0
	_, err := a.Stream(t.Context(), newCall(userText("one two three")), func(*mcpv1.StreamEvent) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err = %v after %d events, want the emit error after 1", err, n)
	}
}
