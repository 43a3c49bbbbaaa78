package anthropic

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/manifoldgw/manifold/services/internal/emulator"
)

func newServer(t *testing.T) (*Emulator, *httptest.Server) {
	t.Helper()
	e := New()
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return e, srv
}

// post sends body with the API's headers; drop removes some of them.
func post(t *testing.T, srv *httptest.Server, path, body string, drop ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-api-key", "sk-ant-test")
	req.Header.Set("anthropic-version", "2023-06-01")
	req.Header.Set("content-type", "application/json")
	for _, h := range drop {
		req.Header.Del(h)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

type envelope struct {
	Type  string `json:"type"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
	RequestID string `json:"request_id"`
}

func decode[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	var v T
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return v
}

func expectError(t *testing.T, resp *http.Response, status int, typ, msgPart string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d", resp.StatusCode, status)
	}
	env := decode[envelope](t, resp)
	if env.Type != "error" || env.Error.Type != typ || !strings.Contains(env.Error.Message, msgPart) {
		t.Errorf("envelope = %+v, want %s containing %q", env, typ, msgPart)
	}
	if rid := resp.Header.Get("request-id"); rid == "" || env.RequestID != rid {
		t.Errorf("request_id %q, header %q", env.RequestID, rid)
	}
}

const simple = `{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hello world"}]}`

func TestMessage(t *testing.T) {
	e, srv := newServer(t)
	resp := post(t, srv, "/v1/messages", simple)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("request-id"), "req_") {
		t.Fatalf("status %d, request-id %q", resp.StatusCode, resp.Header.Get("request-id"))
	}
	m := decode[map[string]any](t, resp)
	if m["type"] != "message" || m["role"] != "assistant" || m["stop_reason"] != "end_turn" || m["stop_sequence"] != nil {
		t.Errorf("message = %v", m)
	}
	content := m["content"].([]any)
	if len(content) != 1 || content[0].(map[string]any)["text"] != "Echo: hello world" {
		t.Errorf("content = %v", content)
	}
	u := m["usage"].(map[string]any)
	for _, k := range []string{"input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"} {
		if _, ok := u[k]; !ok {
			t.Errorf("usage lacks %s: %v", k, u)
		}
	}
	if got := e.Requests(); len(got) != 1 || got[0].Path != "/v1/messages" || string(got[0].Body) != simple {
		t.Errorf("recorded %v", got)
	}
}

type event struct {
	name string
	data map[string]any
}

func readEvents(t *testing.T, r io.Reader) []event {
	t.Helper()
	var events []event
	sc := bufio.NewScanner(r)
	var name string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			var d map[string]any
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &d); err != nil {
				events = append(events, event{name: name})
				continue
			}
			events = append(events, event{name, d})
		case line == "":
			name = ""
		default:
			t.Errorf("unexpected SSE line %q", line)
		}
	}
	return events
}

func TestStreamFraming(t *testing.T) {
	_, srv := newServer(t)
	body := `{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"tool_choice":{"type":"any"},
		"tools":[{"name":"lookup","input_schema":{"type":"object","properties":{"q":{"type":"string"}}}}],
		"messages":[{"role":"user","content":[{"type":"text","text":"find cats"}]}]}`
	resp := post(t, srv, "/v1/messages", body)
	if ct := resp.Header.Get("content-type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content-type %q", ct)
	}
	events := readEvents(t, resp.Body)
	if len(events) < 5 || events[0].name != "message_start" || events[len(events)-1].name != "message_stop" {
		t.Fatalf("events = %v", events)
	}
	var args string
	for i, ev := range events {
		if ev.data["type"] != ev.name {
			t.Errorf("event %d: name %q, type %v", i, ev.name, ev.data["type"])
		}
		switch ev.name {
		case "content_block_start":
			cb := ev.data["content_block"].(map[string]any)
			if ev.data["index"] != float64(0) || cb["type"] != "tool_use" || cb["name"] != "lookup" || !strings.HasPrefix(cb["id"].(string), "toolu_") {
				t.Errorf("block start = %v", ev.data)
			}
			if in, _ := json.Marshal(cb["input"]); string(in) != "{}" {
				t.Errorf("tool_use start input = %s, want {}", in)
			}
		case "content_block_delta":
			d := ev.data["delta"].(map[string]any)
			if d["type"] != "input_json_delta" {
				t.Errorf("delta = %v", d)
			}
			args += d["partial_json"].(string)
		case "message_delta":
			if ev.data["delta"].(map[string]any)["stop_reason"] != "tool_use" {
				t.Errorf("message_delta = %v", ev.data)
			}
		}
	}
	if args != `{"q":"find cats"}` {
		t.Errorf("arguments = %q", args)
	}
	start := events[0].data["message"].(map[string]any)
	if start["stop_reason"] != nil || len(start["content"].([]any)) != 0 {
		t.Errorf("message_start = %v", start)
	}
}

func TestStreamFaults(t *testing.T) {
	body := `{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"a b c d e f"}]}`
	e, srv := newServer(t)

	e.Script(emulator.Fault{CutAfterChunks: 4})
	events := readEvents(t, post(t, srv, "/v1/messages", body).Body)
	if len(events) != 4 || events[3].name == "message_stop" {
		t.Errorf("cut stream = %v", events)
	}

	e.Script(emulator.Fault{ErrorAfterChunks: 3})
	events = readEvents(t, post(t, srv, "/v1/messages", body).Body)
	if len(events) != 4 || events[3].name != "error" {
		t.Fatalf("error stream = %v", events)
	}
	if et := events[3].data["error"].(map[string]any)["type"]; et != "overloaded_error" {
		t.Errorf("error event type = %v", et)
	}

	e.Script(emulator.Fault{MalformedAfterChunks: 2})
	events = readEvents(t, post(t, srv, "/v1/messages", body).Body)
	if len(events) != 3 || events[2].data != nil {
		t.Errorf("malformed stream = %v", events)
	}
}

func TestStreamEqualsMessage(t *testing.T) {
	_, srv := newServer(t)
	body := `{"model":"claude-sonnet-4-5","max_tokens":100,"stop_sequences":["!"],"messages":[{"role":"user","content":"hi there! bye"}]}`
	m := decode[map[string]any](t, post(t, srv, "/v1/messages", body))
	events := readEvents(t, post(t, srv, "/v1/messages", strings.Replace(body, `"max_tokens":100`, `"max_tokens":100,"stream":true`, 1)).Body)
	var text string
	var final map[string]any
	for _, ev := range events {
		if ev.name == "content_block_delta" {
			text += ev.data["delta"].(map[string]any)["text"].(string)
		}
		if ev.name == "message_delta" {
			final = ev.data
		}
	}
	if want := m["content"].([]any)[0].(map[string]any)["text"]; text != want {
		t.Errorf("streamed %q, complete %q", text, want)
	}
	if final["delta"].(map[string]any)["stop_sequence"] != "!" || m["stop_sequence"] != "!" {
		t.Errorf("stop sequence: stream %v, complete %v", final["delta"], m["stop_sequence"])
	}
	if final["usage"].(map[string]any)["output_tokens"] != m["usage"].(map[string]any)["output_tokens"] {
		t.Errorf("usage: stream %v, complete %v", final["usage"], m["usage"])
	}
}

func TestRequestValidation(t *testing.T) {
	_, srv := newServer(t)
	cases := map[string]struct {
		body string
		msg  string
	}{
		"malformed JSON":       {`{"model":`, "invalid request body"},
		"unknown field":        {`{"model":"claude-x","max_tokens":1,"messages":[],"n":2}`, `unknown field "n"`},
		"missing max_tokens":   {`{"model":"claude-x","messages":[{"role":"user","content":"hi"}]}`, "max_tokens: Field required"},
		"missing model":        {`{"max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`, "model: Field required"},
		"system role":          {`{"model":"claude-x","max_tokens":1,"messages":[{"role":"system","content":"hi"}]}`, "messages.0.role"},
		"empty text":           {`{"model":"claude-x","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":""}]}]}`, "text content blocks must be non-empty"},
		"bad media type":       {`{"model":"claude-x","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/bmp","data":"AA=="}}]}]}`, "media_type"},
		"temperature too high": {`{"model":"claude-x","max_tokens":1,"temperature":1.5,"messages":[{"role":"user","content":"hi"}]}`, "temperature"},
		"tool_use unanswered": {`{"model":"claude-x","max_tokens":1,"messages":[{"role":"user","content":"hi"},
			{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]},{"role":"user","content":"next"}]}`,
			"`tool_use` ids were found without `tool_result` blocks immediately after: toolu_1"},
		"orphan tool_result": {`{"model":"claude-x","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_9","content":"x"}]}]}`,
			"unexpected `tool_use_id`"},
		"unknown forced tool": {`{"model":"claude-x","max_tokens":1,"tool_choice":{"type":"tool","name":"g"},"tools":[{"name":"f","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hi"}]}`,
			`tool "g" not found`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			resp := post(t, srv, "/v1/messages", c.body)
			expectError(t, resp, 400, "invalid_request_error", c.msg)
			if resp.Header.Get("x-should-retry") != "false" {
				t.Errorf("x-should-retry = %q", resp.Header.Get("x-should-retry"))
			}
		})
	}
}

func TestAuthAndRouting(t *testing.T) {
	e, srv := newServer(t)
	e.MaxBody = 1024
	expectError(t, post(t, srv, "/v1/messages", simple, "x-api-key"), 401, "authentication_error", "x-api-key")
	expectError(t, post(t, srv, "/v1/messages", simple, "anthropic-version"), 400, "invalid_request_error", "anthropic-version")
	expectError(t, post(t, srv, "/v1/nothing", simple), 404, "not_found_error", "")
	expectError(t, post(t, srv, "/v1/messages", strings.Replace(simple, "claude-sonnet-4-5", "gpt-4o", 1)), 404, "not_found_error", "model: gpt-4o")
	big := `{"model":"claude-x","max_tokens":1,"messages":[{"role":"user","content":"` + strings.Repeat("a", 2048) + `"}]}`
	expectError(t, post(t, srv, "/v1/messages", big), 413, "request_too_large", "")
}

func TestScriptedStatuses(t *testing.T) {
	e, srv := newServer(t)
	e.Script(emulator.Fault{Status: 429, Headers: map[string]string{"retry-after": "5"}}, emulator.Fault{Status: 529}, emulator.Fault{Status: 500})
	resp := post(t, srv, "/v1/messages", simple)
	expectError(t, resp, 429, "rate_limit_error", "rate limit")
	for _, h := range []string{"anthropic-ratelimit-requests-limit", "anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset",
		"anthropic-ratelimit-tokens-limit", "anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("429 lacks %s", h)
		}
	}
	if resp.Header.Get("retry-after") != "5" || resp.Header.Get("x-should-retry") != "" {
		t.Errorf("retry-after %q, x-should-retry %q", resp.Header.Get("retry-after"), resp.Header.Get("x-should-retry"))
	}
	expectError(t, post(t, srv, "/v1/messages", simple), 529, "overloaded_error", "Overloaded")
	expectError(t, post(t, srv, "/v1/messages", simple), 500, "api_error", "")
	if resp := post(t, srv, "/v1/messages", simple); resp.StatusCode != 200 {
		t.Errorf("after the script: status %d", resp.StatusCode)
	}
}

func TestCountTokensAndModels(t *testing.T) {
	_, srv := newServer(t)
	count := decode[map[string]int](t, post(t, srv, "/v1/messages/count_tokens",
		`{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hello world"}]}`))
	m := decode[map[string]any](t, post(t, srv, "/v1/messages", simple))
	if want := m["usage"].(map[string]any)["input_tokens"]; float64(count["input_tokens"]) != want || count["input_tokens"] == 0 {
		t.Errorf("count_tokens = %v, message input_tokens %v", count, want)
	}

	get := func(path string) *http.Response {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
		req.Header.Set("x-api-key", "k")
		req.Header.Set("anthropic-version", "2023-06-01")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	list := decode[struct {
		Data []struct {
			Type, ID, DisplayName, CreatedAt string
		}
		HasMore bool   `json:"has_more"`
		FirstID string `json:"first_id"`
		LastID  string `json:"last_id"`
	}](t, get("/v1/models"))
	if len(list.Data) != len(Models) || list.HasMore || list.FirstID != Models[0].ID || list.LastID != Models[len(Models)-1].ID || list.Data[0].Type != "model" {
		t.Errorf("models = %+v", list)
	}
	limited := decode[map[string]any](t, get("/v1/models?limit=1"))
	if limited["has_more"] != true || len(limited["data"].([]any)) != 1 {
		t.Errorf("limit=1: %v", limited)
	}
	one := decode[map[string]any](t, get("/v1/models/"+Models[1].ID))
	if one["id"] != Models[1].ID || one["display_name"] == "" {
		t.Errorf("model = %v", one)
	}
	expectError(t, get("/v1/models/claude-nope"), 404, "not_found_error", "claude-nope")
}

func TestFaultBodyOverride(t *testing.T) {
	e, srv := newServer(t)
	body := `{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 205429 tokens > 200000 maximum"},"request_id":"req_x"}`
	e.Script(emulator.Fault{Status: 400, Body: body})
	resp := post(t, srv, "/v1/messages", simple)
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !bytes.Equal(got, []byte(body)) || resp.Header.Get("x-should-retry") != "false" {
		t.Errorf("status %d body %s x-should-retry %q", resp.StatusCode, got, resp.Header.Get("x-should-retry"))
	}
}
