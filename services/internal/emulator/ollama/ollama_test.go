package ollama_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/manifoldgw/manifold/services/internal/emulator"
	ollamaemu "github.com/manifoldgw/manifold/services/internal/emulator/ollama"
)

func start(t *testing.T) (*ollamaemu.Emulator, *httptest.Server) {
	emu := ollamaemu.New()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, srv
}

func post(t *testing.T, srv *httptest.Server, path, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func wantError(t *testing.T, resp *http.Response, body string, status int, msg string) {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || resp.StatusCode != status || !strings.Contains(e.Error, msg) {
		t.Errorf("got %d %s, want %d %q", resp.StatusCode, body, status, msg)
	}
}

func TestStreamsByDefault(t *testing.T) {
	_, srv := start(t)
	resp, out := post(t, srv, "/api/chat", `{"model":"llama3.2","messages":[{"role":"user","content":"a b"}]}`)
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("content-type %q", ct)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 { // "Echo", ":", " a", " b", done
		t.Fatalf("lines = %q", lines)
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		last := i == len(lines)-1
		if m["done"] != last || (m["done_reason"] == "stop") != last || (m["eval_count"] != nil) != last {
			t.Errorf("line %d: %s", i, l)
		}
	}
}

func TestNonStream(t *testing.T) {
	_, srv := start(t)
	resp, out := post(t, srv, "/api/chat", `{"model":"llama3.2","stream":false,"messages":[{"role":"user","content":"use get_weather"}],
		"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}`)
	var m struct {
		Message struct {
			ToolCalls []struct {
				Function struct {
					Name      string         `json:"name"`
					Arguments map[string]any `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"message"`
		Done       bool   `json:"done"`
		DoneReason string `json:"done_reason"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("%v %s", err, out)
	}
	if !m.Done || m.DoneReason != "stop" || len(m.Message.ToolCalls) != 1 || m.Message.ToolCalls[0].Function.Arguments["city"] != "use get_weather" {
		t.Errorf("answer = %s", out)
	}
}

func TestRequestValidation(t *testing.T) {
	emu, srv := start(t)
	emu.Models = []string{"llama3.2"}
	cases := []struct {
		body   string
		status int
		msg    string
	}{
		{``, 400, "missing request body"},
		{`{"messages":[]}`, 400, "model is required"},
		{`{"model":`, 400, "unexpected end of JSON input"},
		{`{"model":"llama9","messages":[]}`, 404, `model "llama9" not found, try pulling it first`},
		{`{"model":"llama3.2","messages":[{"role":"user","content":"x","images":["%%%"]}]}`, 400, "illegal base64"},
		{`{"model":"llama3.2","messages":[{"role":"user","content":"x"}],"format":"yaml"}`, 400, "invalid format"},
		{`{"model":"llama3.2","messages":[{"role":"user","content":"x"}],"options":{"num_predict":"many"}}`, 400, `option "num_predict" must be of type integer`},
		{`{"model":"llama3.2","messages":[{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f","arguments":"{}"}}]}]}`, 400, "cannot unmarshal string"},
	}
	for _, tc := range cases {
		resp, out := post(t, srv, "/api/chat", tc.body)
		wantError(t, resp, out, tc.status, tc.msg)
	}
	resp, out := post(t, srv, "/api/chat", `{"model":"llama3.2","messages":[]}`)
	if resp.StatusCode != 200 || !strings.Contains(out, `"done_reason":"load"`) {
		t.Errorf("empty conversation: %d %s", resp.StatusCode, out)
	}
}

func TestFaultFraming(t *testing.T) {
	emu, srv := start(t)
	emu.Script(emulator.Fault{ErrorAfterChunks: 1}, emulator.Fault{Status: 503})
	body := `{"model":"llama3.2","messages":[{"role":"user","content":"a b"}]}`
	_, out := post(t, srv, "/api/chat", body)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], `{"error":"`) {
		t.Errorf("lines = %q", lines)
	}
	resp, out := post(t, srv, "/api/chat", body)
	wantError(t, resp, out, 503, "server busy")
	emu.APIKey = "k"
	resp, out = post(t, srv, "/api/chat", body)
	wantError(t, resp, out, 401, "unauthorized")
	if n := len(emu.Requests()); n != 3 {
		t.Errorf("recorded %d requests", n)
	}
}

func TestEmbed(t *testing.T) {
	_, srv := start(t)
	_, out := post(t, srv, "/api/embed", `{"model":"all-minilm","input":"why is the sky blue?"}`)
	var m struct {
		Embeddings      [][]float32 `json:"embeddings"`
		PromptEvalCount int         `json:"prompt_eval_count"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || len(m.Embeddings) != 1 || len(m.Embeddings[0]) != 8 || m.PromptEvalCount == 0 {
		t.Errorf("embed = %s", out)
	}
}
