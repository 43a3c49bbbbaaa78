package openai_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/manifoldgw/manifold/services/internal/emulator"
	openaiemu "github.com/manifoldgw/manifold/services/internal/emulator/openai"
)

type server struct {
	emu *openaiemu.Emulator
	url string
	c   *http.Client
}

func start(t *testing.T) *server {
	t.Helper()
	emu := openaiemu.New()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return &server{emu: emu, url: srv.URL, c: srv.Client()}
}

func (s *server) do(t *testing.T, method, path, body string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk-test")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := s.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func (s *server) chat(t *testing.T, body string) (*http.Response, []byte) {
	t.Helper()
	return s.do(t, http.MethodPost, "/v1/chat/completions", body, nil)
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return m
}

func TestStreamOptionsRequireStream(t *testing.T) {
	s := start(t)
	resp, b := s.chat(t, `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}`)
	if resp.StatusCode != 400 {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	want := map[string]any{"error": map[string]any{"message": "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
		"type": "invalid_request_error", "param": "stream_options", "code": nil}}
	if got := decode(t, b); !reflect.DeepEqual(got, want) {
		t.Errorf("body = %s", b)
	}
}

func TestValidation(t *testing.T) {
	for _, tc := range []struct {
		name, body, message string
		param, code         any
	}{
		{"malformed", `{"model":`, "We could not parse the JSON body", nil, nil},
		{"no model", `{"messages":[{"role":"user","content":"hi"}]}`, "you must provide a model parameter", nil, nil},
		{"no messages", `{"model":"m"}`, "Missing required parameter: 'messages'.", "messages", "missing_required_parameter"},
		{"empty messages", `{"model":"m","messages":[]}`, "Invalid 'messages': empty array.", "messages", "empty_array"},
		{"unknown field", `{"model":"m","messages":[{"role":"user","content":"hi"}],"top_k":3}`, "Unrecognized request argument supplied: top_k", nil, nil},
		{"bad role", `{"model":"m","messages":[{"role":"robot","content":"hi"}]}`, "Invalid value: 'robot'.", "messages[0].role", "invalid_value"},
		{"orphan tool", `{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"call_1","content":"x"}]}`,
			"messages with role 'tool' must be a response to a preceeding message with 'tool_calls'", "messages.[1].role", nil},
		{"unanswered call", `{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"user","content":"?"}]}`,
			"did not have response messages: call_1", "messages.[1].role", nil},
		{"tool without id", `{"model":"m","messages":[{"role":"tool","content":"x"}]}`, "Missing required parameter: 'messages[0].tool_call_id'.", "messages[0].tool_call_id", "missing_required_parameter"},
		{"five stops", `{"model":"m","messages":[{"role":"user","content":"hi"}],"stop":["a","b","c","d","e"]}`, "array too long", "stop", "array_above_max_length"},
		{"tool_choice without tools", `{"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":"auto"}`, "'tool_choice' is only allowed when 'tools' are specified", "tool_choice", nil},
		{"schema without name", `{"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"schema":{}}}}`,
			"Missing required parameter: 'response_format.json_schema.name'.", "response_format.json_schema.name", "missing_required_parameter"},
		{"bad image url", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:text/plain;base64,aGk="}}]}]}`,
			"Expected a base64-encoded data URL with an image MIME type", "messages[0].content[0].image_url.url", "invalid_value"},
		{"image in system", `{"model":"m","messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x/a.png"}}]}]}`,
			"Supported values are: 'text'.", "messages[0].content[0].type", "invalid_value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t)
			resp, b := s.chat(t, tc.body)
			if resp.StatusCode != 400 {
				t.Fatalf("status = %d: %s", resp.StatusCode, b)
			}
			e, _ := decode(t, b)["error"].(map[string]any)
			if e == nil {
				t.Fatalf("no error envelope: %s", b)
			}
			for _, k := range []string{"message", "type", "param", "code"} {
				if _, ok := e[k]; !ok {
					t.Errorf("envelope lacks %q: %s", k, b)
				}
			}
			if msg, _ := e["message"].(string); !strings.Contains(msg, tc.message) {
				t.Errorf("message = %q, want %q", msg, tc.message)
			}
			if e["type"] != "invalid_request_error" || e["param"] != tc.param || e["code"] != tc.code {
				t.Errorf("type/param/code = %v/%v/%v, want param %v code %v", e["type"], e["param"], e["code"], tc.param, tc.code)
			}
		})
	}
}

func TestRequestIDOnEveryResponse(t *testing.T) {
	s := start(t)
	s.emu.Script(emulator.Fault{Status: 500})
	seen := map[string]bool{}
	for _, r := range []struct {
		method, path, body string
		hdr                map[string]string
		status             int
	}{
		{"POST", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, nil, 500},
		{"POST", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, nil, 200},
		{"POST", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, map[string]string{"Authorization": ""}, 401},
		{"POST", "/v1/chat/completions", `nope`, nil, 400},
		{"GET", "/v1/models", ``, nil, 200},
		{"POST", "/v1/nothing", `{}`, nil, 404},
	} {
		resp, b := s.do(t, r.method, r.path, r.body, r.hdr)
		if resp.StatusCode != r.status {
			t.Errorf("%s %s: status %d, want %d: %s", r.method, r.path, resp.StatusCode, r.status, b)
		}
		id := resp.Header.Get("X-Request-Id")
		if id == "" || seen[id] {
			t.Errorf("%s %s: x-request-id %q missing or repeated", r.method, r.path, id)
		}
		seen[id] = true
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("content-type = %q", ct)
		}
	}
	if n := len(s.emu.Requests()); n != 6 {
		t.Errorf("recorded %d requests", n)
	}
}

func TestAuth(t *testing.T) {
	s := start(t)
	s.emu.Configure(openaiemu.Options{APIKey: "sk-right-key-1234"})
	body := `{"model":"m","messages":[{"role":"user","content":"hi"}]}`
	resp, b := s.do(t, "POST", "/v1/chat/completions", body, map[string]string{"Authorization": ""})
	if resp.StatusCode != 401 || !strings.Contains(string(b), "You didn't provide an API key") {
		t.Errorf("missing key: %d %s", resp.StatusCode, b)
	}
	resp, b = s.do(t, "POST", "/v1/chat/completions", body, map[string]string{"Authorization": "Bearer sk-wrong-key-9999"})
	if resp.StatusCode != 401 || decode(t, b)["error"].(map[string]any)["code"] != "invalid_api_key" || strings.Contains(string(b), "sk-wrong-key-9999") {
		t.Errorf("wrong key: %d %s", resp.StatusCode, b)
	}
	resp, _ = s.do(t, "POST", "/v1/chat/completions", body, map[string]string{"Authorization": "Bearer sk-right-key-1234"})
	if resp.StatusCode != 200 {
		t.Errorf("right key: %d", resp.StatusCode)
	}
	// Azure: api-key header and api-version query.
	resp, b = s.do(t, "POST", "/openai/deployments/dep/chat/completions", body, map[string]string{"Authorization": "", "Api-Key": "sk-right-key-1234"})
	if resp.StatusCode != 404 || !strings.Contains(string(b), "Resource not found") {
		t.Errorf("azure without api-version: %d %s", resp.StatusCode, b)
	}
	resp, b = s.do(t, "POST", "/openai/deployments/dep/chat/completions?api-version=2024-10-21", body, map[string]string{"Authorization": ""})
	if resp.StatusCode != 401 || !strings.Contains(string(b), "Access denied") {
		t.Errorf("azure without key: %d %s", resp.StatusCode, b)
	}
	resp, b = s.do(t, "POST", "/openai/deployments/dep/chat/completions?api-version=2024-10-21", body, map[string]string{"Authorization": "", "Api-Key": "sk-right-key-1234"})
	if resp.StatusCode != 200 || decode(t, b)["model"] != "dep" {
		t.Errorf("azure: %d %s", resp.StatusCode, b)
	}
}

// events reads an SSE body and returns the data payloads, failing on any
// line that is not data:, a comment or blank.
func events(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "", strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "data: "):
			out = append(out, strings.TrimPrefix(line, "data: "))
		default:
			t.Fatalf("unexpected SSE line %q", line)
		}
	}
	return out
}

func TestStreamFraming(t *testing.T) {
	s := start(t)
	const msgs = `"messages":[{"role":"user","content":"stream me please"}]`
	_, plain := s.chat(t, `{"model":"gpt-4o-mini",`+msgs+`}`)
	full := decode(t, plain)
	resp, b := s.chat(t, `{"model":"gpt-4o-mini",`+msgs+`,"stream":true,"stream_options":{"include_usage":true}}`)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Errorf("content-type = %q", ct)
	}
	ev := events(t, b)
	if len(ev) < 4 || ev[len(ev)-1] != "[DONE]" {
		t.Fatalf("events = %v", ev)
	}
	var text strings.Builder
	var id string
	for i, data := range ev[:len(ev)-1] {
		c := decode(t, []byte(data))
		if c["object"] != "chat.completion.chunk" {
			t.Errorf("chunk %d object = %v", i, c["object"])
		}
		if id == "" {
			id, _ = c["id"].(string)
		} else if c["id"] != id {
			t.Errorf("chunk %d id %v differs from %s", i, c["id"], id)
		}
		u, hasUsage := c["usage"]
		choices := c["choices"].([]any)
		if i == len(ev)-2 {
			if len(choices) != 0 || !reflect.DeepEqual(u, full["usage"]) {
				t.Errorf("usage chunk = %s, want usage %v", data, full["usage"])
			}
			continue
		}
		if !hasUsage || u != nil {
			t.Errorf("chunk %d: usage must be null with include_usage: %s", i, data)
		}
		ch := choices[0].(map[string]any)
		d := ch["delta"].(map[string]any)
		if i == 0 && (d["role"] != "assistant" || d["content"] != "") {
			t.Errorf("first delta = %v", d)
		}
		if i == len(ev)-3 {
			if len(d) != 0 || ch["finish_reason"] != "stop" {
				t.Errorf("finish chunk = %s", data)
			}
		} else if ch["finish_reason"] != nil {
			t.Errorf("chunk %d has finish_reason early", i)
		}
		if c, ok := d["content"].(string); ok {
			text.WriteString(c)
		}
	}
	want := full["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)["content"]
	if text.String() != want {
		t.Errorf("streamed %q, plain %q", text.String(), want)
	}

	// Without include_usage: no usage key and no usage chunk.
	_, b = s.chat(t, `{"model":"gpt-4o-mini",`+msgs+`,"stream":true}`)
	ev = events(t, b)
	for _, data := range ev[:len(ev)-1] {
		c := decode(t, []byte(data))
		if _, ok := c["usage"]; ok || len(c["choices"].([]any)) == 0 {
			t.Errorf("chunk without include_usage: %s", data)
		}
	}
}

func TestToolCallStream(t *testing.T) {
	s := start(t)
	_, b := s.chat(t, `{"model":"m","stream":true,"messages":[{"role":"user","content":"use lookup"}],
		"tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}]}`)
	ev := events(t, b)
	first := decode(t, []byte(ev[0]))["choices"].([]any)[0].(map[string]any)["delta"].(map[string]any)
	tc := first["tool_calls"].([]any)[0].(map[string]any)
	fn := tc["function"].(map[string]any)
	if first["role"] != "assistant" || tc["index"] != 0.0 || tc["type"] != "function" || !strings.HasPrefix(tc["id"].(string), "call_") ||
		fn["name"] != "lookup" || fn["arguments"] != "" {
		t.Errorf("first delta = %s", ev[0])
	}
	var args strings.Builder
	for _, data := range ev[1 : len(ev)-2] {
		d := decode(t, []byte(data))["choices"].([]any)[0].(map[string]any)["delta"].(map[string]any)
		c := d["tool_calls"].([]any)[0].(map[string]any)
		if _, ok := c["id"]; ok {
			t.Errorf("later delta repeats id: %s", data)
		}
		args.WriteString(c["function"].(map[string]any)["arguments"].(string))
	}
	if args.String() != `{"q":"use lookup"}` {
		t.Errorf("arguments = %q", args.String())
	}
	if fin := decode(t, []byte(ev[len(ev)-2]))["choices"].([]any)[0].(map[string]any)["finish_reason"]; fin != "tool_calls" {
		t.Errorf("finish = %v", fin)
	}
}

func TestScripted429Headers(t *testing.T) {
	s := start(t)
	s.emu.Script(emulator.Fault{Status: 429, Headers: map[string]string{"Retry-After": "3", "X-Ratelimit-Reset-Requests": "20s", "X-Should-Retry": "false"}})
	resp, b := s.chat(t, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 429 {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	for k, v := range map[string]string{
		"X-Ratelimit-Limit-Requests": "60", "X-Ratelimit-Remaining-Requests": "0", "X-Ratelimit-Reset-Requests": "20s",
		"X-Ratelimit-Limit-Tokens": "150000", "X-Ratelimit-Remaining-Tokens": "149984", "X-Ratelimit-Reset-Tokens": "6m0s",
		"Retry-After": "3", "X-Should-Retry": "false",
	} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	e := decode(t, b)["error"].(map[string]any)
	if e["code"] != "rate_limit_exceeded" || e["type"] != "requests" {
		t.Errorf("body = %s", b)
	}
}

func TestStreamFaults(t *testing.T) {
	body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"one two three four"}]}`
	s := start(t)
	s.emu.Script(emulator.Fault{CutAfterChunks: 2})
	_, b := s.chat(t, body)
	if ev := events(t, b); len(ev) != 2 || strings.Contains(string(b), "[DONE]") {
		t.Errorf("cut stream = %q", b)
	}
	s.emu.Script(emulator.Fault{ErrorAfterChunks: 2})
	_, b = s.chat(t, body)
	ev := events(t, b)
	if len(ev) != 3 || decode(t, []byte(ev[2]))["error"].(map[string]any)["type"] != "server_error" {
		t.Errorf("error stream = %q", b)
	}
	s.emu.Script(emulator.Fault{MalformedAfterChunks: 2})
	_, b = s.chat(t, body)
	ev = events(t, b)
	if len(ev) != 3 || json.Valid([]byte(ev[2])) {
		t.Errorf("malformed stream = %q", b)
	}
}

func TestEmbeddingsEncodings(t *testing.T) {
	s := start(t)
	_, fb := s.do(t, "POST", "/v1/embeddings", `{"model":"text-embedding-3-small","input":["a b","c"],"encoding_format":"float"}`, nil)
	_, bb := s.do(t, "POST", "/v1/embeddings", `{"model":"text-embedding-3-small","input":["a b","c"]}`, nil)
	_, b64 := s.do(t, "POST", "/v1/embeddings", `{"model":"text-embedding-3-small","input":["a b","c"],"encoding_format":"base64"}`, nil)
	var floats, dflt, enc struct {
		Object string
		Data   []struct {
			Object    string
			Index     int
			Embedding json.RawMessage
		}
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
			TotalTokens  int `json:"total_tokens"`
		} `json:"usage"`
	}
	for _, x := range []struct {
		b []byte
		v any
	}{{fb, &floats}, {bb, &dflt}, {b64, &enc}} {
		if err := json.Unmarshal(x.b, x.v); err != nil {
			t.Fatalf("%v: %s", err, x.b)
		}
	}
	if floats.Object != "list" || len(floats.Data) != 2 || floats.Data[1].Index != 1 || floats.Data[0].Object != "embedding" {
		t.Fatalf("float response = %s", fb)
	}
	if !bytes.Equal(floats.Data[0].Embedding, dflt.Data[0].Embedding) {
		t.Error("default encoding is not float")
	}
	for i := range floats.Data {
		var fv []float32
		if err := json.Unmarshal(floats.Data[i].Embedding, &fv); err != nil {
			t.Fatal(err)
		}
		var s string
		if err := json.Unmarshal(enc.Data[i].Embedding, &s); err != nil {
			t.Fatalf("base64 embedding is not a string: %s", enc.Data[i].Embedding)
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw) != 4*len(fv) {
			t.Fatalf("base64 = %q, %v", s, err)
		}
		for j, f := range fv {
			if got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:])); got != f {
				t.Errorf("vector %d[%d]: base64 %v, float %v", i, j, got, f)
			}
		}
	}
	if floats.Usage.PromptTokens != 3 || floats.Usage.TotalTokens != 3 {
		t.Errorf("usage = %+v", floats.Usage)
	}
	resp, b := s.do(t, "POST", "/v1/embeddings", `{"model":"m","input":"x","encoding_format":"int8"}`, nil)
	if resp.StatusCode != 400 || !strings.Contains(string(b), "Supported values are: 'float' and 'base64'.") {
		t.Errorf("bad format: %d %s", resp.StatusCode, b)
	}
	resp, b = s.do(t, "POST", "/v1/embeddings", `{"model":"m"}`, nil)
	if resp.StatusCode != 400 || !strings.Contains(string(b), "Missing required parameter: 'input'.") {
		t.Errorf("no input: %d %s", resp.StatusCode, b)
	}
}

func TestModels(t *testing.T) {
	s := start(t)
	s.emu.Configure(openaiemu.Options{Models: []string{"gpt-4.1", "gpt-4o-mini"}})
	_, b := s.do(t, "GET", "/v1/models", "", nil)
	want := map[string]any{"object": "list", "data": []any{
		map[string]any{"id": "gpt-4.1", "object": "model", "created": 1686935002.0, "owned_by": "openai"},
		map[string]any{"id": "gpt-4o-mini", "object": "model", "created": 1686935002.0, "owned_by": "openai"},
	}}
	if got := decode(t, b); !reflect.DeepEqual(got, want) {
		t.Errorf("models = %s", b)
	}
	resp, b := s.do(t, "GET", "/v1/models/gpt-4.1", "", nil)
	if resp.StatusCode != 200 || decode(t, b)["id"] != "gpt-4.1" {
		t.Errorf("get model: %d %s", resp.StatusCode, b)
	}
	resp, _ = s.do(t, "GET", "/v1/models/nope", "", nil)
	if resp.StatusCode != 404 {
		t.Errorf("unknown model: %d", resp.StatusCode)
	}
	resp, b = s.chat(t, `{"model":"gpt-x","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 404 || decode(t, b)["error"].(map[string]any)["code"] != "model_not_found" {
		t.Errorf("chat with unknown model: %d %s", resp.StatusCode, b)
	}
}

func TestMistralFlavor(t *testing.T) {
	s := start(t)
	s.emu.Configure(openaiemu.Options{Flavor: openaiemu.FlavorMistral})
	resp, b := s.chat(t, `{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_123456789","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_123456789","content":"x"}]}`)
	got := decode(t, b)
	if resp.StatusCode != 400 || got["object"] != "error" || got["raw_status_code"] != 400.0 || !strings.Contains(got["message"].(string), "length of 9") {
		t.Errorf("bad id: %d %s", resp.StatusCode, b)
	}
	resp, b = s.chat(t, `{"model":"m","seed":1,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 422 || decode(t, b)["object"] != "error" {
		t.Errorf("seed: %d %s", resp.StatusCode, b)
	}
	resp, b = s.chat(t, `{"model":"m","random_seed":1,"max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	ev := events(t, b)
	last := decode(t, []byte(ev[len(ev)-2]))
	if resp.StatusCode != 200 || last["usage"] == nil || len(last["choices"].([]any)) != 1 {
		t.Errorf("mistral stream must carry usage on the last chunk: %s", b)
	}
}

func TestVector(t *testing.T) {
	v := openaiemu.Vector("hello", 16)
	var n float64
	for _, f := range v {
		n += float64(f) * float64(f)
	}
	if math.Abs(n-1) > 1e-5 || !reflect.DeepEqual(v, openaiemu.Vector("hello", 16)) || reflect.DeepEqual(v, openaiemu.Vector("hellp", 16)) {
		t.Errorf("vector = %v (norm² %v)", v, n)
	}
}
