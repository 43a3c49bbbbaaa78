package openaiapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

type completion struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index   int `json:"index"`
		Message struct {
			Role      string     `json:"role"`
			Content   *string    `json:"content"`
			ToolCalls []toolCall `json:"tool_calls"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *usage `json:"usage"`
}

type toolCall struct {
	Index    *int   `json:"index"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      *string `json:"name"`
		Arguments *string `json:"arguments"`
	} `json:"function"`
}

type usage struct {
	PromptTokens        int64 `json:"prompt_tokens"`
	CompletionTokens    int64 `json:"completion_tokens"`
	TotalTokens         int64 `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

type chunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role      *string    `json:"role"`
			Content   *string    `json:"content"`
			ToolCalls []toolCall `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *usage `json:"usage"`
}

// streamed is what a client assembles from a stream.
type streamed struct {
	chunks       []chunk
	raw          []string
	text         string
	args         map[int]string
	calls        map[int]toolCall
	finishReason string
	usage        *usage
}

func chat(t *testing.T, body string) completion {
	t.Helper()
	res, b := post(t, serve(t, demoRouter()), "/v1/chat/completions", body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, b)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content-type %q", ct)
	}
	var c completion
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if c.Object != "chat.completion" || !strings.HasPrefix(c.ID, "chatcmpl-") || c.Created == 0 || c.Model != "demo" || len(c.Choices) != 1 {
		t.Fatalf("completion envelope: %s", b)
	}
	for _, key := range []string{`"logprobs":null`, `"refusal":null`, `"annotations":[]`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("completion lacks %s: %s", key, b)
		}
	}
	return c
}

// stream posts a streaming request and checks the framing rules of §1.4.
func stream(t *testing.T, body string, includeUsage bool) streamed {
	t.Helper()
	res, b := post(t, serve(t, demoRouter()), "/v1/chat/completions", body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, b)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content-type %q", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("cache-control %q", cc)
	}
	data := sseData(t, b)
	if len(data) < 3 || data[len(data)-1] != "[DONE]" {
		t.Fatalf("stream does not end with [DONE]: %q", data)
	}
	s := streamed{args: map[int]string{}, calls: map[int]toolCall{}}
	for i, d := range data[:len(data)-1] {
		var c chunk
		if err := json.Unmarshal([]byte(d), &c); err != nil {
			t.Fatalf("chunk %d %s: %v", i, d, err)
		}
		s.chunks = append(s.chunks, c)
		s.raw = append(s.raw, d)
		if c.Object != "chat.completion.chunk" || !strings.HasPrefix(c.ID, "chatcmpl-") {
			t.Errorf("chunk %d envelope: %s", i, d)
		}
		if first := s.chunks[0]; c.ID != first.ID || c.Created != first.Created || c.Model != first.Model {
			t.Errorf("chunk %d id/created/model differ from the first chunk: %s", i, d)
		}
		hasUsageKey := strings.Contains(d, `"usage":`)
		if includeUsage != hasUsageKey {
			t.Errorf("chunk %d: usage key present=%v with include_usage=%v: %s", i, hasUsageKey, includeUsage, d)
		}
		if len(c.Choices) == 0 {
			if !includeUsage || c.Usage == nil || i != len(data)-2 {
				t.Errorf("chunk %d has no choices but is not the final usage chunk: %s", i, d)
			}
			s.usage = c.Usage
			continue
		}
		if includeUsage && c.Usage != nil {
			t.Errorf("chunk %d with choices carries usage: %s", i, d)
		}
		ch := c.Choices[0]
		if i == 0 {
			if ch.Delta.Role == nil || *ch.Delta.Role != "assistant" || ch.Delta.Content == nil || *ch.Delta.Content != "" {
				t.Errorf("first chunk must carry role assistant and content \"\": %s", d)
			}
		} else if ch.Delta.Role != nil {
			t.Errorf("chunk %d repeats the role: %s", i, d)
		}
		if ch.FinishReason != nil {
			if s.finishReason != "" {
				t.Errorf("second finish_reason: %s", d)
			}
			if ch.Delta.Role != nil || ch.Delta.Content != nil || ch.Delta.ToolCalls != nil {
				t.Errorf("finish_reason chunk has a non-empty delta: %s", d)
			}
			s.finishReason = *ch.FinishReason
		} else if s.finishReason != "" {
			t.Errorf("chunk after finish_reason: %s", d)
		}
		if ch.Delta.Content != nil {
			s.text += *ch.Delta.Content
		}
		for _, tc := range ch.Delta.ToolCalls {
			if tc.Index == nil {
				t.Fatalf("tool-call delta without index: %s", d)
			}
			idx := *tc.Index
			if _, seen := s.calls[idx]; !seen {
				if tc.ID == "" || tc.Type != "function" || tc.Function.Name == nil || tc.Function.Arguments == nil || *tc.Function.Arguments != "" {
					t.Errorf("first delta of tool call %d needs id, type function, name and arguments \"\": %s", idx, d)
				}
				s.calls[idx] = tc
			} else if tc.ID != "" || tc.Function.Name != nil {
				t.Errorf("later delta of tool call %d repeats its identity: %s", idx, d)
			}
			if tc.Function.Arguments != nil {
				s.args[idx] += *tc.Function.Arguments
			}
		}
	}
	if s.finishReason == "" {
		t.Errorf("no finish_reason in the stream")
	}
	if includeUsage && s.usage == nil {
		t.Errorf("no usage chunk with include_usage")
	}
	return s
}

func TestChatCompletionJSONAndStreamAgree(t *testing.T) {
	const body = `{"model":"demo","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi there, \"gateway\" <3"}],"temperature":0.2,"max_tokens":500,"seed":7,"user":"u-1","unknown_field":{"x":1}}`
	c := chat(t, body)
	ch := c.Choices[0]
	want := `Hello from Manifold's demo model. You said: Hi there, "gateway" <3`
	if ch.Message.Role != "assistant" || ch.Message.Content == nil || *ch.Message.Content != want || ch.FinishReason != "stop" {
		t.Fatalf("answer: %+v", ch)
	}
	if u := c.Usage; u == nil || u.PromptTokens == 0 || u.CompletionTokens == 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Fatalf("usage: %+v", c.Usage)
	}

	s := stream(t, strings.Replace(body, `"model":"demo"`, `"model":"demo","stream":true,"stream_options":{"include_usage":true}`, 1), true)
	if s.text != want {
		t.Errorf("streamed text %q, want %q", s.text, want)
	}
	if s.finishReason != "stop" {
		t.Errorf("streamed finish_reason %q", s.finishReason)
	}
	if *s.usage != *c.Usage {
		t.Errorf("streamed usage %+v, JSON usage %+v", *s.usage, *c.Usage)
	}
	if len(s.chunks) < 4 {
		t.Errorf("the demo should stream token by token, got %d chunks", len(s.chunks))
	}

	// Without include_usage there is no usage key at all.
	s = stream(t, strings.Replace(body, `"model":"demo"`, `"model":"demo","stream":true`, 1), false)
	if s.text != want {
		t.Errorf("streamed text %q, want %q", s.text, want)
	}
}

func TestChatCompletionFinishReasons(t *testing.T) {
	for _, tt := range []struct {
		name, extra, finish string
	}{
		{"max_completion_tokens wins over max_tokens", `"max_completion_tokens":2,"max_tokens":500`, "length"},
		{"stop string", `"stop":"demo"`, "stop"},
		{"stop array", `"stop":["zzz","model"]`, "stop"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"model":"demo","messages":[{"role":"user","content":"hello"}],` + tt.extra + `}`
			c := chat(t, body)
			if c.Choices[0].FinishReason != tt.finish {
				t.Errorf("finish_reason %q, want %q", c.Choices[0].FinishReason, tt.finish)
			}
			s := stream(t, strings.Replace(body, `{`, `{"stream":true,`, 1), false)
			if s.text != *c.Choices[0].Message.Content || s.finishReason != tt.finish {
				t.Errorf("stream %q/%s, JSON %q/%s", s.text, s.finishReason, *c.Choices[0].Message.Content, tt.finish)
			}
		})
	}
	c := chat(t, `{"model":"demo","messages":[{"role":"user","content":"hello"}],"max_completion_tokens":2}`)
	if c.Usage.CompletionTokens != 2 {
		t.Errorf("completion_tokens %d with max_completion_tokens 2", c.Usage.CompletionTokens)
	}
}

const weatherTool = `"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`

func TestChatCompletionToolRoundTrip(t *testing.T) {
	ask := `{"model":"demo","messages":[{"role":"user","content":"please call get_weather for Paris"}],` + weatherTool + `,"tool_choice":"auto"}`
	c := chat(t, ask)
	ch := c.Choices[0]
	if ch.FinishReason != "tool_calls" || ch.Message.Content != nil || len(ch.Message.ToolCalls) != 1 {
		t.Fatalf("want one tool call and null content: %+v", ch)
	}
	tc := ch.Message.ToolCalls[0]
	if tc.ID == "" || tc.Type != "function" || *tc.Function.Name != "get_weather" {
		t.Fatalf("tool call: %+v", tc)
	}
	var args struct{ City string }
	if err := json.Unmarshal([]byte(*tc.Function.Arguments), &args); err != nil || args.City == "" {
		t.Fatalf("arguments %q must be a JSON object with city: %v", *tc.Function.Arguments, err)
	}

	s := stream(t, strings.Replace(ask, `{`, `{"stream":true,`, 1), false)
	if s.finishReason != "tool_calls" || len(s.calls) != 1 {
		t.Fatalf("streamed finish %q, calls %d", s.finishReason, len(s.calls))
	}
	if got := s.calls[0]; got.ID != tc.ID || *got.Function.Name != "get_weather" || s.args[0] != *tc.Function.Arguments {
		t.Errorf("streamed call %+v args %q, JSON call %+v args %q", got, s.args[0], tc, *tc.Function.Arguments)
	}

	// Send the call and its result back, as an SDK user would.
	callJSON, _ := json.Marshal(tc)
	answer := `{"model":"demo","messages":[{"role":"user","content":"please call get_weather for Paris"},` +
		`{"role":"assistant","content":null,"tool_calls":[` + string(callJSON) + `]},` +
		`{"role":"tool","tool_call_id":"` + tc.ID + `","content":"{\"temp_c\":21}"}],` + weatherTool + `}`
	c = chat(t, answer)
	if got := *c.Choices[0].Message.Content; got != `The tool returned: {"temp_c":21}.` || c.Choices[0].FinishReason != "stop" {
		t.Errorf("answer after the tool result: %q (%s)", got, c.Choices[0].FinishReason)
	}

	// A forced function choice calls the tool without naming it.
	c = chat(t, `{"model":"demo","messages":[{"role":"user","content":"hi"}],`+weatherTool+`,"tool_choice":{"type":"function","function":{"name":"get_weather"}}}`)
	if c.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("forced tool_choice: finish %q", c.Choices[0].FinishReason)
	}
	c = chat(t, `{"model":"demo","messages":[{"role":"user","content":"get_weather"}],`+weatherTool+`,"tool_choice":"none"}`)
	if c.Choices[0].FinishReason != "stop" {
		t.Errorf("tool_choice none: finish %q", c.Choices[0].FinishReason)
	}
}

func TestChatCompletionInputs(t *testing.T) {
	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nfake image bytes"))
	for _, tt := range []struct{ name, messages, extra string }{
		{"image data URI", `[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,` + png + `","detail":"low"}}]}]`, ""},
		{"image https URL", `[{"role":"user","content":[{"type":"text","text":"And this?"},{"type":"image_url","image_url":{"url":"https://example.com/a.jpg"}}]}]`, ""},
		{"developer role and named user", `[{"role":"developer","content":[{"type":"text","text":"Be terse."}]},{"role":"user","name":"ann","content":"hi"}]`, ""},
		{"json_object", `[{"role":"user","content":"hi"}]`, `,"response_format":{"type":"json_object"}`},
		{"json_schema", `[{"role":"user","content":"hi"}]`, `,"response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object","properties":{"answer":{"type":"string"}}},"strict":true}}`},
		{"sampling", `[{"role":"user","content":"hi"}]`, `,"top_p":0.5,"presence_penalty":1,"frequency_penalty":-1,"parallel_tool_calls":false,"n":1,"stop":null,"logit_bias":{"1":2}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := chat(t, `{"model":"demo","messages":`+tt.messages+tt.extra+`}`)
			if c.Choices[0].Message.Content == nil {
				t.Fatalf("no content")
			}
			if strings.HasPrefix(tt.name, "json") && !json.Valid([]byte(*c.Choices[0].Message.Content)) {
				t.Errorf("%s answer is not JSON: %q", tt.name, *c.Choices[0].Message.Content)
			}
		})
	}
}

func TestChatCompletionErrors(t *testing.T) {
	big := `{"model":"demo","messages":[{"role":"user","content":"` + strings.Repeat("x", maxBody) + `"}]}`
	for _, tt := range []struct {
		name, body string
		status     int
		typ, param string
		code       string // "" means null is fine too
		msg        string
	}{
		{"malformed JSON", `{"model":"demo","messages":[`, 400, "invalid_request_error", "", "", "parse the JSON body"},
		{"not an object", `[1,2]`, 400, "invalid_request_error", "", "", ""},
		{"wrong type", `{"model":"demo","temperature":"hot","messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "temperature", "", "temperature"},
		{"unknown model", `{"model":"nope","messages":[{"role":"user","content":"hi"}]}`, 404, "invalid_request_error", "model", "model_not_found", "nope"},
		{"unknown model streamed", `{"model":"nope","stream":true,"messages":[{"role":"user","content":"hi"}]}`, 404, "invalid_request_error", "model", "model_not_found", ""},
		{"missing model", `{"messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "model", "", "model"},
		{"temperature 5", `{"model":"demo","temperature":5,"messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "temperature", "", "temperature"},
		{"two violations", `{"model":"demo","temperature":5,"top_p":2,"messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "temperature", "", "temperature: must be greater than or equal to 0 and less than or equal to 2; top_p:"},
		{"top_p 2", `{"model":"demo","top_p":2,"messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "top_p", "", "top_p"},
		{"max_tokens 0", `{"model":"demo","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "max_tokens", "", "max_tokens"},
		{"stream_options without stream", `{"model":"demo","stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "stream_options", "", "The 'stream_options' parameter is only allowed when 'stream' is enabled."},
		{"n=2", `{"model":"demo","n":2,"messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "n", "unsupported_value", "n > 1"},
		{"no messages", `{"model":"demo","messages":[]}`, 400, "invalid_request_error", "messages", "", "messages"},
		{"bad role", `{"model":"demo","messages":[{"role":"robot","content":"hi"}]}`, 400, "invalid_request_error", "messages[0].role", "", "robot"},
		{"tool message without id", `{"model":"demo","messages":[{"role":"tool","content":"x"}]}`, 400, "invalid_request_error", "messages[0].tool_call_id", "", ""},
		{"bad tool name", `{"model":"demo","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"has space"}}]}`, 400, "invalid_request_error", "tools[0].name", "", ""},
		{"bad data URI", `{"model":"demo","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,!!!"}}]}]}`, 400, "invalid_request_error", "messages[0].content[0].image_url.url", "", "base64"},
		{"unknown part type", `{"model":"demo","messages":[{"role":"user","content":[{"type":"hologram"}]}]}`, 400, "invalid_request_error", "messages[0].content[0].type", "", "hologram"},
		{"bad response_format", `{"model":"demo","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"yaml"}}`, 400, "invalid_request_error", "response_format.type", "", "yaml"},
		{"json_schema without schema", `{"model":"demo","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x"}}}`, 400, "invalid_request_error", "response_format.json_schema.schema", "", ""},
		{"tool_choice names no declared tool", `{"model":"demo","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"weather"}}],"tool_choice":{"type":"function","function":{"name":"nope"}}}`, 400, "invalid_request_error", "tool_choice", "", "tool_choice names a tool that is not among the request's tools"},
		{"tool_choice required without tools", `{"model":"demo","messages":[{"role":"user","content":"hi"}],"tool_choice":"required"}`, 400, "invalid_request_error", "tool_choice", "", "tool_choice required needs tools"},
		{"image that is not an image", `{"model":"demo","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:text/plain;base64,aGk="}}]}]}`, 400, "invalid_request_error", "messages[0].content[0].image.mime_type", "", "image/*"},
		{"oversize body", big, 413, "invalid_request_error", "", "request_too_large", "too large"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, b := post(t, serve(t, demoRouter()), "/v1/chat/completions", tt.body)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, b)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("content-type %q", ct)
			}
			msg, typ, param, code := errorObject(t, b)
			if typ != tt.typ {
				t.Errorf("type %q, want %q: %s", typ, tt.typ, b)
			}
			if tt.param == "" && param != nil && tt.status != 400 {
				t.Errorf("param %q, want null: %s", *param, b)
			}
			if tt.param != "" && (param == nil || *param != tt.param) {
				t.Errorf("param %v, want %q: %s", param, tt.param, b)
			}
			if tt.code != "" && (code == nil || *code != tt.code) {
				t.Errorf("code %v, want %q: %s", code, tt.code, b)
			}
			if !strings.Contains(msg, tt.msg) {
				t.Errorf("message %q does not contain %q", msg, tt.msg)
			}
			if strings.Contains(msg, "sampling.") || strings.Contains(msg, "request.") {
				t.Errorf("message %q leaks internal field paths", msg)
			}
		})
	}
}

func TestChatCompletionErrorClasses(t *testing.T) {
	for _, tt := range []struct {
		err          *apierror.Error
		status       int
		typ, code    string
		retryAfter   string
		retryAfterMs string
	}{
		{&apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, Message: "slow down", RetryAfter: 1500 * time.Millisecond}, 429, "rate_limit_error", "rate_limit_exceeded", "2", "1500"},
		{&apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED, Message: "budget spent"}, 429, "insufficient_quota", "insufficient_quota", "", ""},
		{&apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, Message: "bad key"}, 401, "authentication_error", "invalid_api_key", "", ""},
		{&apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, Message: "no"}, 403, "permission_error", "permission_denied", "", ""},
		{&apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED, Message: "Overloaded"}, 503, "server_error", "overloaded", "", ""},
		{&apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED, Message: "too long"}, 400, "invalid_request_error", "context_length_exceeded", "", ""},
		{apierror.Internal(errTest("secret db password in here")), 500, "server_error", "internal", "", ""},
	} {
		t.Run(tt.typ+"/"+tt.code, func(t *testing.T) {
			srv := serve(t, &fakeRouter{do: func(*mcpv1.Request) (*mcpv1.Response, error) { return nil, tt.err }})
			res, b := post(t, srv, "/v1/chat/completions", `{"model":"demo","messages":[{"role":"user","content":"hi"}]}`)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, b)
			}
			msg, typ, _, code := errorObject(t, b)
			if typ != tt.typ || code == nil || *code != tt.code {
				t.Errorf("type/code %s/%v, want %s/%s", typ, code, tt.typ, tt.code)
			}
			if strings.Contains(msg, "secret") {
				t.Errorf("internal error leaked: %s", b)
			}
			if got := res.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("retry-after %q, want %q", got, tt.retryAfter)
			}
			if got := res.Header.Get("Retry-After-Ms"); got != tt.retryAfterMs {
				t.Errorf("retry-after-ms %q, want %q", got, tt.retryAfterMs)
			}
		})
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestChatCompletionMidStreamError(t *testing.T) {
	f := &fakeRouter{events: []*mcpv1.StreamEvent{
		{Event: &mcpv1.StreamEvent_Start{Start: &mcpv1.StreamStart{Id: "call_abc", Model: "demo"}}},
		{Event: &mcpv1.StreamEvent_TextDelta{TextDelta: &mcpv1.TextDelta{Text: "Hel"}}},
		{Event: &mcpv1.StreamEvent_Error{Error: &mcpv1.ErrorDetail{
			ErrorClass: mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED, Message: "provider overloaded", RetryAfter: durationpb.New(time.Second),
		}}},
	}}
	res, b := post(t, serve(t, f), "/v1/chat/completions", `{"model":"demo","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	data := sseData(t, b)
	if len(data) != 3 {
		t.Fatalf("want role chunk, text chunk, error; got %q", data)
	}
	if !strings.Contains(data[1], `"content":"Hel"`) || !strings.Contains(data[0], `"id":"chatcmpl-abc"`) {
		t.Errorf("chunks before the error: %q", data[:2])
	}
	msg, typ, _, code := errorObject(t, []byte(data[2]))
	if msg != "provider overloaded" || typ != "server_error" || code == nil || *code != "overloaded" {
		t.Errorf("error event %s", data[2])
	}
	for _, d := range data {
		if d == "[DONE]" {
			t.Errorf("a failed stream must not end with [DONE]")
		}
	}

	// A stream that ends without finish or error is reported, not truncated.
	f.events = f.events[:2]
	_, b = post(t, serve(t, f), "/v1/chat/completions", `{"model":"demo","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	data = sseData(t, b)
	if last := data[len(data)-1]; !strings.HasPrefix(last, `{"error":`) {
		t.Errorf("silently truncated stream ends with %s", last)
	}
}

func TestMethodAndPath(t *testing.T) {
	srv := serve(t, demoRouter())
	res, b := get(t, srv, "/v1/chat/completions")
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" {
		t.Errorf("GET chat/completions: %d %s", res.StatusCode, b)
	}
	errorObject(t, b)
}
