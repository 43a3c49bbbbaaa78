package gemini_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/manifoldgw/manifold/services/internal/emulator"
	geminiemu "github.com/manifoldgw/manifold/services/internal/emulator/gemini"
)

func post(t *testing.T, srv *httptest.Server, path, key, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("x-goog-api-key", key)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func start(t *testing.T) (*geminiemu.Emulator, *httptest.Server) {
	emu := geminiemu.New()
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, srv
}

type status struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
	} `json:"error"`
}

func wantStatus(t *testing.T, resp *http.Response, body string, code int, st, msg string) {
	t.Helper()
	var s status
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if resp.StatusCode != code || s.Error.Code != code || s.Error.Status != st || !strings.Contains(s.Error.Message, msg) {
		t.Errorf("got %d %+v, want %d %s %q", resp.StatusCode, s.Error, code, st, msg)
	}
}

const gen = "/v1beta/models/gemini-2.5-flash:generateContent"

func TestSnakeCaseAccepted(t *testing.T) {
	_, srv := start(t)
	body := `{"system_instruction":{"parts":[{"text":"be nice"}]},
		"contents":[{"role":"user","parts":[{"text":"call get_weather"}]}],
		"tools":[{"function_declarations":[{"name":"get_weather","parameters_json_schema":{"type":"object","properties":{"city_name":{"type":"string"}}}}]}],
		"tool_config":{"function_calling_config":{"mode":"ANY","allowed_function_names":["get_weather"]}},
		"generation_config":{"max_output_tokens":50}}`
	resp, out := post(t, srv, gen, "k", body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, out)
	}
	// Schema property names are user data and keep their underscores.
	if !strings.Contains(out, `"functionCall"`) || !strings.Contains(out, `"city_name": "call get_weather"`) || !strings.Contains(out, `"usageMetadata"`) {
		t.Errorf("answer = %s", out)
	}
}

func TestRequestValidation(t *testing.T) {
	_, srv := start(t)
	cases := []struct{ body, msg string }{
		{`{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"maxTokens":5}}`, `Unknown name "maxTokens"`},
		{`{"contents":[]}`, "contents is not specified"},
		{`{"contents":[{"role":"assistant","parts":[{"text":"x"}]}]}`, "valid role"},
		{`{"contents":[{"role":"user","parts":[]}]}`, "must not be empty"},
		{`{"contents":[{"role":"user","parts":[{"functionResponse":{"response":{}}}]}]}`, "Name cannot be empty"},
		{`{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"responseJsonSchema":{"type":"object"}}}`, "response_mime_type"},
		{`{"contents":`, "Invalid JSON payload"},
	}
	for _, tc := range cases {
		resp, out := post(t, srv, gen, "k", tc.body)
		wantStatus(t, resp, out, 400, "INVALID_ARGUMENT", tc.msg)
	}
}

func TestAuth(t *testing.T) {
	emu, srv := start(t)
	resp, out := post(t, srv, gen, "", `{"contents":[{"parts":[{"text":"x"}]}]}`)
	wantStatus(t, resp, out, 403, "PERMISSION_DENIED", "unregistered callers")
	emu.APIKey = "good"
	resp, out = post(t, srv, gen, "bad", `{"contents":[{"parts":[{"text":"x"}]}]}`)
	wantStatus(t, resp, out, 400, "INVALID_ARGUMENT", "API key not valid")
	if !strings.Contains(out, "API_KEY_INVALID") {
		t.Errorf("no ErrorInfo reason: %s", out)
	}
	resp, _ = post(t, srv, gen+"?key=good", "", `{"contents":[{"parts":[{"text":"x"}]}]}`)
	if resp.StatusCode != 200 {
		t.Errorf("?key= not accepted: %d", resp.StatusCode)
	}
}

func TestSSEFraming(t *testing.T) {
	_, srv := start(t)
	resp, out := post(t, srv, "/v1beta/models/m:streamGenerateContent?alt=sse", "k", `{"contents":[{"parts":[{"text":"a b"}]}]}`)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content-type %q", ct)
	}
	events := strings.Split(strings.TrimSuffix(out, "\r\n\r\n"), "\r\n\r\n")
	if len(events) != 4 { // "Echo", ":", " a", " b"
		t.Fatalf("events = %q", events)
	}
	for i, ev := range events {
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok || !json.Valid([]byte(data)) {
			t.Errorf("event %d = %q", i, ev)
		}
		if last := i == len(events)-1; strings.Contains(data, "finishReason") != last || strings.Contains(data, "candidatesTokenCount") != last {
			t.Errorf("event %d finish/usage placement: %s", i, data)
		}
	}
	if strings.Contains(out, "[DONE]") {
		t.Error("Gemini streams have no [DONE]")
	}
}

func TestJSONArrayStream(t *testing.T) {
	_, srv := start(t)
	_, out := post(t, srv, "/v1beta/models/m:streamGenerateContent", "k", `{"contents":[{"parts":[{"text":"a b"}]}]}`)
	var chunks []map[string]any
	if err := json.Unmarshal([]byte(out), &chunks); err != nil || len(chunks) != 4 {
		t.Errorf("array stream %q: %v", out, err)
	}
}

func TestStreamFaultFraming(t *testing.T) {
	emu, srv := start(t)
	emu.Script(emulator.Fault{ErrorAfterChunks: 1}, emulator.Fault{Status: 429})
	_, out := post(t, srv, "/v1beta/models/m:streamGenerateContent?alt=sse", "k", `{"contents":[{"parts":[{"text":"a b"}]}]}`)
	events := strings.Split(strings.TrimSuffix(out, "\r\n\r\n"), "\r\n\r\n")
	if len(events) != 2 || !strings.HasPrefix(events[1], `data: {"error":{"code":500`) {
		t.Errorf("events = %q", events)
	}
	resp, body := post(t, srv, gen, "k", `{"contents":[{"parts":[{"text":"x"}]}]}`)
	wantStatus(t, resp, body, 429, "RESOURCE_EXHAUSTED", "quota")
	if !strings.Contains(body, `"retryDelay": "20s"`) {
		t.Errorf("429 body lacks RetryInfo: %s", body)
	}
	if n := len(emu.Requests()); n != 2 {
		t.Errorf("recorded %d requests", n)
	}
}

func TestEmbedContent(t *testing.T) {
	_, srv := start(t)
	resp, out := post(t, srv, "/v1beta/models/text-embedding-004:embedContent", "k", `{"content":{"parts":[{"text":"hi"}]},"output_dimensionality":3}`)
	var got struct {
		Embedding struct {
			Values []float32 `json:"values"`
		} `json:"embedding"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || resp.StatusCode != 200 || len(got.Embedding.Values) != 3 {
		t.Errorf("embedContent %d %s", resp.StatusCode, out)
	}
	resp, out = post(t, srv, "/v1beta/models/text-embedding-004:batchEmbedContents", "k", `{"requests":[{"model":"models/other","content":{"parts":[{"text":"hi"}]}}]}`)
	wantStatus(t, resp, out, 400, "INVALID_ARGUMENT", "must match")
}

func TestEmptyPartRejected(t *testing.T) {
	_, srv := start(t)
	resp, out := post(t, srv, gen, "k", `{"contents":[{"role":"user","parts":[{}]}]}`)
	wantStatus(t, resp, out, 400, "INVALID_ARGUMENT", "required oneof field 'data'")
}

func TestThoughtSignatureIsBytes(t *testing.T) {
	_, srv := start(t)
	resp, out := post(t, srv, gen, "k", `{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":{}},"thoughtSignature":"not base64!"}]},{"role":"user","parts":[{"text":"x"}]}]}`)
	wantStatus(t, resp, out, 400, "INVALID_ARGUMENT", "Base64 decoding failed")
	resp, _ = post(t, srv, gen, "k", `{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":{}},"thought_signature":"skip_thought_signature_validator"}]},{"role":"user","parts":[{"text":"x"}]}]}`)
	if resp.StatusCode != 200 {
		t.Errorf("placeholder signature rejected: %d", resp.StatusCode)
	}
}
