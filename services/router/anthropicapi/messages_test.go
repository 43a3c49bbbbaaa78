package anthropicapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

type content struct {
	Type  string          `json:"type"`
	Text  string          `json:"text,omitempty"`
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
}

type usage struct {
	InputTokens              int64 `json:"input_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
}

type message struct {
	ID           string    `json:"id"`
	Type         string    `json:"type"`
	Role         string    `json:"role"`
	Model        string    `json:"model"`
	Content      []content `json:"content"`
	StopReason   *string   `json:"stop_reason"`
	StopSequence *string   `json:"stop_sequence"`
	Usage        usage     `json:"usage"`
}

func create(t *testing.T, body string) message {
	t.Helper()
	res, b := post(t, serve(t, demoRouter()), "/v1/messages", body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, b)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content-type %q", ct)
	}
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.ID, "msg_") || m.Type != "message" || m.Role != "assistant" || m.Model != "demo" || m.StopReason == nil {
		t.Fatalf("message envelope: %s", b)
	}
	if !strings.Contains(string(b), `"stop_sequence":`) {
		t.Errorf("stop_sequence key missing: %s", b)
	}
	return m
}

// stream posts a streaming request, checks the event order of §2.3 and
// assembles the message the way the SDK's MessageStream does.
func stream(t *testing.T, body string) (message, []sseEvent) {
	t.Helper()
	res, b := post(t, serve(t, demoRouter()), "/v1/messages", body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, b)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content-type %q", ct)
	}
	events := sseEvents(t, b)
	return assemble(t, events), events
}

func assemble(t *testing.T, events []sseEvent) message {
	t.Helper()
	if len(events) < 3 || events[0].typ != "message_start" || events[len(events)-1].typ != "message_stop" {
		t.Fatalf("stream must run message_start … message_stop: %v", names(events))
	}
	var start struct{ Message message }
	if err := json.Unmarshal(events[0].data, &start); err != nil {
		t.Fatal(err)
	}
	m := start.Message
	if len(m.Content) != 0 || m.StopReason != nil || !strings.HasPrefix(m.ID, "msg_") || m.Type != "message" || m.Role != "assistant" {
		t.Fatalf("message_start: %s", events[0].data)
	}
	args := map[int]string{}
	open := -1
	sawDelta := false
	for _, ev := range events[1 : len(events)-1] {
		var e struct {
			Index        *int
			ContentBlock content `json:"content_block"`
			Delta        struct {
				Type         string
				Text         string
				PartialJSON  *string `json:"partial_json"`
				StopReason   *string `json:"stop_reason"`
				StopSequence *string `json:"stop_sequence"`
			}
			Usage map[string]int64
		}
		if err := json.Unmarshal(ev.data, &e); err != nil {
			t.Fatal(err)
		}
		if sawDelta {
			t.Fatalf("%s after message_delta", ev.typ)
		}
		switch ev.typ {
		case "content_block_start":
			if open >= 0 || e.Index == nil || *e.Index != len(m.Content) {
				t.Fatalf("content_block_start %s: open block %d, %d blocks so far", ev.data, open, len(m.Content))
			}
			open = *e.Index
			if e.ContentBlock.Type == "tool_use" && string(e.ContentBlock.Input) != "{}" {
				t.Errorf("tool_use start must carry input {}: %s", ev.data)
			}
			if e.ContentBlock.Type == "text" && e.ContentBlock.Text != "" {
				t.Errorf("text start must carry empty text: %s", ev.data)
			}
			m.Content = append(m.Content, e.ContentBlock)
		case "content_block_delta":
			if e.Index == nil || *e.Index != open {
				t.Fatalf("delta for block %v while %d is open: %s", e.Index, open, ev.data)
			}
			switch e.Delta.Type {
			case "text_delta":
				m.Content[open].Text += e.Delta.Text
			case "input_json_delta":
				args[open] += *e.Delta.PartialJSON
			default:
				t.Fatalf("delta type %q", e.Delta.Type)
			}
		case "content_block_stop":
			if e.Index == nil || *e.Index != open {
				t.Fatalf("stop for block %v while %d is open", e.Index, open)
			}
			open = -1
		case "message_delta":
			if open >= 0 {
				t.Fatalf("message_delta with block %d open", open)
			}
			sawDelta = true
			m.StopReason, m.StopSequence = e.Delta.StopReason, e.Delta.StopSequence
			if _, ok := e.Usage["output_tokens"]; !ok {
				t.Errorf("message_delta without usage.output_tokens: %s", ev.data)
			}
			m.Usage.OutputTokens = e.Usage["output_tokens"]
			if v, ok := e.Usage["input_tokens"]; ok {
				m.Usage.InputTokens = v
			}
			m.Usage.CacheReadInputTokens = e.Usage["cache_read_input_tokens"]
			m.Usage.CacheCreationInputTokens = e.Usage["cache_creation_input_tokens"]
		default:
			t.Fatalf("unexpected event %s", ev.typ)
		}
	}
	if !sawDelta {
		t.Fatalf("no message_delta: %v", names(events))
	}
	for i, a := range args {
		if a == "" {
			a = "{}"
		}
		m.Content[i].Input = json.RawMessage(a)
	}
	return m
}

func names(events []sseEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.typ
	}
	return out
}

func TestMessagesJSONAndStreamAgree(t *testing.T) {
	const body = `{"model":"demo","max_tokens":512,"system":"Be brief.","messages":[{"role":"user","content":"Hi there, \"gateway\" <3"}],"temperature":0.3,"top_k":5,"metadata":{"user_id":"u-1"},"thinking":{"type":"disabled"}}`
	m := create(t, body)
	want := `Hello from Manifold's demo model. You said: Hi there, "gateway" <3`
	if len(m.Content) != 1 || m.Content[0].Type != "text" || m.Content[0].Text != want {
		t.Fatalf("content %+v", m.Content)
	}
	if *m.StopReason != "end_turn" || m.StopSequence != nil {
		t.Errorf("stop %v %v", *m.StopReason, m.StopSequence)
	}
	if m.Usage.InputTokens == 0 || m.Usage.OutputTokens == 0 {
		t.Errorf("usage %+v", m.Usage)
	}

	s, events := stream(t, strings.Replace(body, `{`, `{"stream":true,`, 1))
	if len(s.Content) != 1 || s.Content[0].Text != want {
		t.Errorf("streamed content %+v", s.Content)
	}
	if *s.StopReason != "end_turn" || s.StopSequence != nil {
		t.Errorf("streamed stop %v %v", *s.StopReason, s.StopSequence)
	}
	if s.Usage != m.Usage {
		t.Errorf("streamed usage %+v, JSON usage %+v", s.Usage, m.Usage)
	}
	var start struct{ Message message }
	_ = json.Unmarshal(events[0].data, &start)
	if start.Message.Usage.InputTokens != m.Usage.InputTokens {
		t.Errorf("message_start input_tokens %d, want %d", start.Message.Usage.InputTokens, m.Usage.InputTokens)
	}
	if len(events) < 8 {
		t.Errorf("the demo should stream token by token, got %d events", len(events))
	}

	// count_tokens agrees with the usage of the call.
	res, b := post(t, serve(t, demoRouter()), "/v1/messages/count_tokens", strings.Replace(body, `"max_tokens":512,`, "", 1))
	var ct struct {
		InputTokens int64 `json:"input_tokens"`
	}
	if err := json.Unmarshal(b, &ct); err != nil || res.StatusCode != http.StatusOK || ct.InputTokens != m.Usage.InputTokens {
		t.Errorf("count_tokens %d %s, want %d", res.StatusCode, b, m.Usage.InputTokens)
	}
}

func TestMessagesStopReasons(t *testing.T) {
	for _, tt := range []struct {
		name, extra, reason string
		seq                 *string
	}{
		{"stop sequence", `"max_tokens":100,"stop_sequences":["zzz","model"]`, "stop_sequence", ptr("model")},
		{"max_tokens", `"max_tokens":2`, "max_tokens", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"model":"demo",` + tt.extra + `,"messages":[{"role":"user","content":"hello"}]}`
			m := create(t, body)
			s, _ := stream(t, strings.Replace(body, `{`, `{"stream":true,`, 1))
			for _, got := range []message{m, s} {
				if *got.StopReason != tt.reason || !reflect.DeepEqual(got.StopSequence, tt.seq) {
					t.Errorf("stop_reason %q stop_sequence %v, want %q %v", *got.StopReason, got.StopSequence, tt.reason, tt.seq)
				}
			}
			if m.Content[0].Text != s.Content[0].Text || m.Usage != s.Usage {
				t.Errorf("JSON %+v %+v, stream %+v %+v", m.Content, m.Usage, s.Content, s.Usage)
			}
		})
	}
}

func ptr(s string) *string { return &s }

const weatherTool = `"tools":[{"name":"get_weather","description":"Weather for a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]`

func TestMessagesToolRoundTrip(t *testing.T) {
	ask := `{"model":"demo","max_tokens":256,"messages":[{"role":"user","content":[{"type":"text","text":"please use get_weather for Paris"}]}],` + weatherTool + `,"tool_choice":{"type":"auto"}}`
	m := create(t, ask)
	if *m.StopReason != "tool_use" || len(m.Content) != 1 || m.Content[0].Type != "tool_use" || m.Content[0].Name != "get_weather" || m.Content[0].ID == "" {
		t.Fatalf("want one tool_use block: %+v", m)
	}
	var input struct{ City string }
	if err := json.Unmarshal(m.Content[0].Input, &input); err != nil || input.City == "" {
		t.Fatalf("input %s must be an object with city: %v", m.Content[0].Input, err)
	}

	s, _ := stream(t, strings.Replace(ask, `{`, `{"stream":true,`, 1))
	if *s.StopReason != "tool_use" || len(s.Content) != 1 || s.Content[0].ID != m.Content[0].ID || s.Content[0].Name != "get_weather" {
		t.Fatalf("streamed %+v", s)
	}
	if string(s.Content[0].Input) != string(m.Content[0].Input) {
		t.Errorf("streamed input %s, JSON input %s", s.Content[0].Input, m.Content[0].Input)
	}
	if s.Usage != m.Usage {
		t.Errorf("streamed usage %+v, JSON usage %+v", s.Usage, m.Usage)
	}

	// Send the call and its result back, as an SDK user would.
	use, _ := json.Marshal(m.Content[0])
	answer := `{"model":"demo","max_tokens":256,"messages":[` +
		`{"role":"user","content":"please use get_weather for Paris"},` +
		`{"role":"assistant","content":[{"type":"text","text":"Let me check."},` + string(use) + `]},` +
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"` + m.Content[0].ID + `","content":[{"type":"text","text":"21C and sunny"}]}]}],` + weatherTool + `}`
	m = create(t, answer)
	if *m.StopReason != "end_turn" || m.Content[0].Text != "The tool returned: 21C and sunny." {
		t.Errorf("answer after the tool result: %+v", m)
	}
	// String content and is_error are accepted too.
	m = create(t, strings.Replace(answer, `"content":[{"type":"text","text":"21C and sunny"}]`, `"content":"boom","is_error":true`, 1))
	if m.Content[0].Text != "The tool returned: boom." {
		t.Errorf("string tool_result: %+v", m)
	}

	// tool_choice any and tool force a call; none forbids one.
	for choice, reason := range map[string]string{
		`{"type":"any"}`:                       "tool_use",
		`{"type":"tool","name":"get_weather"}`: "tool_use",
		`{"type":"none"}`:                      "end_turn",
	} {
		m := create(t, `{"model":"demo","max_tokens":64,"messages":[{"role":"user","content":"get_weather"}],`+weatherTool+`,"tool_choice":`+choice+`}`)
		if *m.StopReason != reason {
			t.Errorf("tool_choice %s: stop_reason %s, want %s", choice, *m.StopReason, reason)
		}
	}
}

func TestMessagesInputs(t *testing.T) {
	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nfake image bytes"))
	for name, msgs := range map[string]string{
		"base64 image": `[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"` + png + `"}},{"type":"text","text":"What is this?"}]}]`,
		"url image":    `[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://example.com/a.jpg"}},{"type":"text","text":"And this?"}]}]`,
		"document":     `[{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"A short doc."},"title":"doc"},{"type":"text","text":"Summarise"}]}]`,
		"prefill":      `[{"role":"user","content":"hi"},{"role":"assistant","content":"Well,"}]`,
	} {
		t.Run(name, func(t *testing.T) {
			body := `{"model":"demo","max_tokens":64,"system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],"messages":` + msgs + `}`
			m := create(t, body)
			if len(m.Content) == 0 {
				t.Fatalf("no content")
			}
		})
	}
}

func TestMessagesErrors(t *testing.T) {
	big := `{"model":"demo","max_tokens":10,"messages":[{"role":"user","content":"` + strings.Repeat("x", maxBody) + `"}]}`
	for _, tt := range []struct {
		name, path, body string
		status           int
		typ, msg         string
	}{
		{"malformed JSON", "/v1/messages", `{"model":"demo",`, 400, "invalid_request_error", "not valid JSON"},
		{"wrong type", "/v1/messages", `{"model":"demo","max_tokens":"ten","messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "max_tokens"},
		{"missing max_tokens", "/v1/messages", `{"model":"demo","messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "max_tokens: Field required"},
		{"unknown model", "/v1/messages", `{"model":"nope","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`, 404, "not_found_error", "nope"},
		{"unknown model streamed", "/v1/messages", `{"model":"nope","stream":true,"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`, 404, "not_found_error", "nope"},
		{"unknown model count_tokens", "/v1/messages/count_tokens", `{"model":"nope","messages":[{"role":"user","content":"hi"}]}`, 404, "not_found_error", "nope"},
		{"temperature 5", "/v1/messages", `{"model":"demo","max_tokens":10,"temperature":5,"messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "temperature"},
		{"max_tokens 0", "/v1/messages", `{"model":"demo","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "max_tokens"},
		{"system role in messages", "/v1/messages", `{"model":"demo","max_tokens":10,"messages":[{"role":"system","content":"hi"}]}`, 400, "invalid_request_error", "messages[0].role"},
		{"two violations after system", "/v1/messages", `{"model":"demo","max_tokens":10,"temperature":5,"system":"x","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[]}]}`, 400, "invalid_request_error", "messages[1]: a message needs content or tool_calls; temperature:"},
		{"empty message after system", "/v1/messages", `{"model":"demo","max_tokens":10,"system":"x","messages":[{"role":"user","content":[]}]}`, 400, "invalid_request_error", "messages[0]"},
		{"bad image", "/v1/messages", `{"model":"demo","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"!!"}}]}]}`, 400, "invalid_request_error", "messages[0].content[0].source.data"},
		{"tool_use from user", "/v1/messages", `{"model":"demo","max_tokens":10,"messages":[{"role":"user","content":[{"type":"tool_use","id":"t","name":"x","input":{}}]}]}`, 400, "invalid_request_error", "tool_use"},
		{"bad tool name", "/v1/messages", `{"model":"demo","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"has space","input_schema":{"type":"object"}}]}`, 400, "invalid_request_error", "tools[0].name"},
		{"server tool", "/v1/messages", `{"model":"demo","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]}`, 400, "invalid_request_error", "web_search"},
		{"oversize body", "/v1/messages", big, 413, "request_too_large", "exceeds"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, b := post(t, serve(t, demoRouter()), tt.path, tt.body)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, b)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("content-type %q", ct)
			}
			var e errorEnvelope
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatal(err)
			}
			if e.Type != "error" || e.Error.Type != tt.typ || e.RequestID != res.Header.Get("Request-Id") {
				t.Errorf("envelope %s (request-id header %q)", b, res.Header.Get("Request-Id"))
			}
			if !strings.Contains(e.Error.Message, tt.msg) {
				t.Errorf("message %q does not contain %q", e.Error.Message, tt.msg)
			}
			if strings.Contains(e.Error.Message, "sampling.") || strings.Contains(e.Error.Message, "request.") {
				t.Errorf("message %q leaks internal field paths", e.Error.Message)
			}
		})
	}
}

func TestMessagesErrorClasses(t *testing.T) {
	for _, tt := range []struct {
		err        *apierror.Error
		status     int
		typ        string
		retryAfter string
	}{
		{&apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED, Message: "Overloaded"}, 529, "overloaded_error", ""},
		{&apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, Message: "slow down", RetryAfter: 2 * time.Second}, 429, "rate_limit_error", "2"},
		{&apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED, Message: "budget spent"}, 402, "billing_error", ""},
		{&apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, Message: "bad key"}, 401, "authentication_error", ""},
		{&apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, Message: "no"}, 403, "permission_error", ""},
		{&apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT, Message: "slow"}, 504, "timeout_error", ""},
		{&apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED, Message: "prompt is too long"}, 400, "invalid_request_error", ""},
		{apierror.Internal(errTest("secret db password")), 500, "api_error", ""},
	} {
		t.Run(tt.typ, func(t *testing.T) {
			srv := serve(t, &fakeRouter{do: func(*mcpv1.Request) (*mcpv1.Response, error) { return nil, tt.err }})
			res, b := post(t, srv, "/v1/messages", `{"model":"demo","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, b)
			}
			var e errorEnvelope
			if err := json.Unmarshal(b, &e); err != nil || e.Error.Type != tt.typ {
				t.Errorf("body %s, want type %s", b, tt.typ)
			}
			if strings.Contains(string(b), "secret") {
				t.Errorf("internal error leaked: %s", b)
			}
			if got := res.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("retry-after %q, want %q", got, tt.retryAfter)
			}
		})
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestMessagesInvalidToolArguments(t *testing.T) {
	srv := serve(t, &fakeRouter{do: func(*mcpv1.Request) (*mcpv1.Response, error) {
		return &mcpv1.Response{
			Id: "call_x",
			Message: &mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: []*mcpv1.ToolCall{
				{Id: "t1", Name: "f", Arguments: `{"city": "Par`},
				{Id: "t2", Name: "g", Arguments: ""},
			}},
			FinishReason: mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS,
			Usage:        &mcpv1.Usage{InputTokens: 100, CachedInputTokens: 60, CacheWriteTokens: 10, OutputTokens: 5},
		}, nil
	}})
	res, b := post(t, srv, "/v1/messages", `{"model":"demo","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, b)
	}
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if string(m.Content[0].Input) != `{"_raw":"{\"city\": \"Par"}` || string(m.Content[1].Input) != `{}` {
		t.Errorf("inputs %s and %s", m.Content[0].Input, m.Content[1].Input)
	}
	if want := (usage{InputTokens: 30, CacheReadInputTokens: 60, CacheCreationInputTokens: 10, OutputTokens: 5}); m.Usage != want {
		t.Errorf("usage %+v, want %+v", m.Usage, want)
	}
}

func TestMessagesMidStreamError(t *testing.T) {
	f := &fakeRouter{events: []*mcpv1.StreamEvent{
		{Event: &mcpv1.StreamEvent_Start{Start: &mcpv1.StreamStart{Id: "call_abc", Model: "demo"}}},
		{Event: &mcpv1.StreamEvent_TextDelta{TextDelta: &mcpv1.TextDelta{Text: "Hel"}}},
		{Event: &mcpv1.StreamEvent_Error{Error: &mcpv1.ErrorDetail{
			ErrorClass: mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED, Message: "Overloaded", RetryAfter: durationpb.New(time.Second),
		}}},
	}}
	res, b := post(t, serve(t, f), "/v1/messages", `{"model":"demo","stream":true,"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	events := sseEvents(t, b)
	if got := names(events); !reflect.DeepEqual(got, []string{"message_start", "content_block_start", "content_block_delta", "error"}) {
		t.Fatalf("events %v", got)
	}
	var e errorEnvelope
	if err := json.Unmarshal(events[3].data, &e); err != nil || e.Error.Type != "overloaded_error" || e.Error.Message != "Overloaded" {
		t.Errorf("error event %s", events[3].data)
	}

	// A stream that ends without finish or error is reported, not truncated.
	f.events = f.events[:2]
	_, b = post(t, serve(t, f), "/v1/messages", `{"model":"demo","stream":true,"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`)
	events = sseEvents(t, b)
	if last := events[len(events)-1]; last.typ != "error" {
		t.Errorf("silently truncated stream ends with %s", last.typ)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	srv := serve(t, demoRouter())
	res, err := srv.Client().Get(srv.URL + "/v1/messages")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var e errorEnvelope
	if err := json.NewDecoder(res.Body).Decode(&e); err != nil || res.StatusCode != http.StatusMethodNotAllowed || e.Type != "error" {
		t.Errorf("GET /v1/messages: %d %+v", res.StatusCode, e)
	}
}
