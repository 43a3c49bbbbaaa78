// Package ollama emulates Ollama's native API (POST /api/chat, streamed as
// NDJSON unless "stream": false, and POST /api/embed) for tests, following
// shared/PROVIDER_WIRE_FORMATS.md §4.1.
package ollama

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/manifoldgw/manifold/services/internal/emulator"
)

// Emulator is a fake Ollama server.
type Emulator struct {
	emulator.Base
	// APIKey, when set, must come as "Authorization: Bearer <key>" (as
	// behind ollama.com or an authenticating proxy); plain Ollama has no
	// auth, so by default none is checked.
	APIKey string
	// Models, when set, are the only models pulled; others get 404.
	Models []string
	// Thought, when set, is emitted as message.thinking before the answer.
	Thought string
}

// New returns an emulator.
func New() *Emulator { return &Emulator{} }

// ErrorBody is Ollama's error envelope.
func ErrorBody(message string) string {
	b, _ := json.Marshal(map[string]string{"error": message})
	return string(b)
}

func defaultError(status int) string {
	switch status {
	case http.StatusBadRequest:
		return ErrorBody("invalid request")
	case http.StatusUnauthorized:
		return ErrorBody("unauthorized")
	case http.StatusForbidden:
		return ErrorBody("forbidden")
	case http.StatusNotFound:
		return ErrorBody(`model "llama3.2" not found, try pulling it first`)
	case http.StatusTooManyRequests:
		return ErrorBody("too many requests")
	case http.StatusServiceUnavailable:
		return ErrorBody("server busy, please try again.  maximum pending requests exceeded")
	}
	return ErrorBody(strings.ToLower(http.StatusText(status)))
}

func writeError(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// Request types as Ollama's api/types.go parses them (unknown fields are
// ignored, as Go's decoder does).

type chatRequest struct {
	Model     string          `json:"model"`
	Messages  []message       `json:"messages"`
	Tools     []tool          `json:"tools"`
	Format    json.RawMessage `json:"format"`
	Options   map[string]any  `json:"options"`
	Stream    *bool           `json:"stream"`
	KeepAlive json.RawMessage `json:"keep_alive"`
	Think     json.RawMessage `json:"think"`
}

type message struct {
	Role       string     `json:"role"`
	Content    string     `json:"content"`
	Thinking   string     `json:"thinking,omitempty"`
	Images     [][]byte   `json:"images,omitempty"`
	ToolCalls  []toolCall `json:"tool_calls,omitempty"`
	ToolName   string     `json:"tool_name,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

type toolCall struct {
	ID       string           `json:"id,omitempty"`
	Function toolCallFunction `json:"function"`
}

type toolCallFunction struct {
	Index     int             `json:"index"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

type tool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string         `json:"name"`
		Description string         `json:"description"`
		Parameters  map[string]any `json:"parameters"`
	} `json:"function"`
}

type chatResponse struct {
	Model              string  `json:"model"`
	CreatedAt          string  `json:"created_at"`
	Message            message `json:"message"`
	Done               bool    `json:"done"`
	DoneReason         string  `json:"done_reason,omitempty"`
	TotalDuration      int64   `json:"total_duration,omitempty"`
	LoadDuration       int64   `json:"load_duration,omitempty"`
	PromptEvalCount    int     `json:"prompt_eval_count,omitempty"`
	PromptEvalDuration int64   `json:"prompt_eval_duration,omitempty"`
	EvalCount          int     `json:"eval_count,omitempty"`
	EvalDuration       int64   `json:"eval_duration,omitempty"`
}

// ServeHTTP serves /api/chat and /api/embed.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	f, ok := e.Begin(r, body)
	if !ok {
		return
	}
	emulator.WriteHeaders(w, f)
	if f.Status != 0 {
		b := f.Body
		if b == "" {
			b = defaultError(f.Status)
		}
		writeError(w, f.Status, b)
		return
	}
	if e.APIKey != "" && r.Header.Get("Authorization") != "Bearer "+e.APIKey {
		writeError(w, http.StatusUnauthorized, ErrorBody("unauthorized"))
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, ErrorBody("method not allowed"))
		return
	}
	switch r.URL.Path {
	case "/api/chat":
		e.chat(w, f, body)
	case "/api/embed":
		e.embed(w, body)
	default:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "404 page not found")
	}
}

func (e *Emulator) known(model string) bool {
	return len(e.Models) == 0 || slices.Contains(e.Models, model)
}

func (e *Emulator) chat(w http.ResponseWriter, f emulator.Fault, body []byte) {
	if len(bytes.TrimSpace(body)) == 0 {
		writeError(w, http.StatusBadRequest, ErrorBody("missing request body"))
		return
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, ErrorBody(strings.TrimPrefix(err.Error(), "json: ")))
		return
	}
	if req.Model == "" {
		writeError(w, http.StatusBadRequest, ErrorBody("model is required"))
		return
	}
	if !e.known(req.Model) {
		writeError(w, http.StatusNotFound, ErrorBody(fmt.Sprintf("model %q not found, try pulling it first", req.Model)))
		return
	}
	turn, msg := toTurn(&req)
	if msg != "" {
		writeError(w, http.StatusBadRequest, ErrorBody(msg))
		return
	}
	stream := req.Stream == nil || *req.Stream
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if len(req.Messages) == 0 {
		// An empty conversation only loads the model.
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		b, _ := json.Marshal(chatResponse{Model: req.Model, CreatedAt: now, Message: message{Role: "assistant"}, Done: true, DoneReason: "load"})
		_, _ = w.Write(b)
		return
	}
	a := emulator.Respond(turn)
	final := chatResponse{
		Model: req.Model, CreatedAt: now, Message: message{Role: "assistant"}, Done: true, DoneReason: "stop",
		TotalDuration: 4883583458, LoadDuration: 1334875, PromptEvalCount: a.InputTokens, PromptEvalDuration: 342546000,
		EvalCount: a.OutputTokens, EvalDuration: 4535599000,
	}
	if a.Finish == "length" {
		final.DoneReason = "length"
	}
	var calls []toolCall
	if a.ToolName != "" {
		calls = []toolCall{{Function: toolCallFunction{Name: a.ToolName, Arguments: json.RawMessage(a.ToolArgs)}}}
	}
	if !stream {
		final.Message.Content = a.Text()
		final.Message.Thinking = e.Thought
		final.Message.ToolCalls = calls
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		b, _ := json.Marshal(final)
		_, _ = w.Write(b)
		return
	}
	lines := make([]chatResponse, 0, len(a.Tokens)+3)
	line := func(m message) chatResponse {
		m.Role = "assistant"
		return chatResponse{Model: req.Model, CreatedAt: now, Message: m}
	}
	if e.Thought != "" {
		lines = append(lines, line(message{Thinking: e.Thought}))
	}
	for _, tok := range a.Tokens {
		lines = append(lines, line(message{Content: tok}))
	}
	if calls != nil {
		lines = append(lines, line(message{ToolCalls: calls}))
	}
	lines = append(lines, final)
	writeStream(w, f, lines)
}

// writeStream sends NDJSON lines, applying the fault's cut, error and
// malformed-line knobs.
func writeStream(w http.ResponseWriter, f emulator.Fault, lines []chatResponse) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "application/x-ndjson")
	for i, l := range lines {
		b, _ := json.Marshal(l)
		_, _ = w.Write(append(b, '\n'))
		_ = rc.Flush()
		n := i + 1
		switch {
		case f.CutAfterChunks == n:
			return
		case f.ErrorAfterChunks == n:
			_, _ = io.WriteString(w, ErrorBody("an error was encountered while running the model: unexpected EOF")+"\n")
			return
		case f.MalformedAfterChunks == n:
			_, _ = io.WriteString(w, `{"model":"x","message":{"role":"assistant","content":`+"\n")
			return
		}
	}
}

// toTurn reads what the deterministic model answers; it reports Ollama's
// message for what Ollama rejects.
func toTurn(req *chatRequest) (emulator.Turn, string) {
	var t emulator.Turn
	var input strings.Builder
	for _, m := range req.Messages {
		input.WriteString(m.Content)
		input.WriteByte('\n')
		if m.Role == "user" {
			t.LastUserText = m.Content
		}
	}
	if n := len(req.Messages); n > 0 {
		last := req.Messages[n-1]
		switch last.Role {
		case "user":
			for _, img := range last.Images {
				t.Images = append(t.Images, http.DetectContentType(img))
			}
		case "tool":
			for i := n - 1; i >= 0 && req.Messages[i].Role == "tool"; i-- {
				t.ToolResult = req.Messages[i].Content + t.ToolResult
			}
			t.HasToolResult = true
		}
	}
	for _, m := range req.Messages {
		for _, tc := range m.ToolCalls {
			if len(tc.Function.Arguments) > 0 && tc.Function.Arguments[0] != '{' {
				return t, "json: cannot unmarshal string into Go struct field ToolCallFunction.messages.tool_calls.function.arguments of type api.ToolCallFunctionArguments"
			}
		}
	}
	for _, tl := range req.Tools {
		t.Tools = append(t.Tools, emulator.Tool{Name: tl.Function.Name, Parameters: tl.Function.Parameters})
	}
	if len(req.Format) > 0 && string(req.Format) != "null" && string(req.Format) != `""` {
		if string(req.Format) != `"json"` && req.Format[0] != '{' {
			return t, `invalid format: expected "json" or a valid JSON schema`
		}
		t.JSON = true
	}
	for k, v := range req.Options {
		switch k {
		case "num_predict", "top_k", "seed", "num_ctx":
			n, ok := v.(float64)
			if !ok || n != float64(int64(n)) {
				return t, fmt.Sprintf("option %q must be of type integer", k)
			}
			if k == "num_predict" && n > 0 {
				t.MaxTokens = int(n)
			}
		case "temperature", "top_p", "presence_penalty", "frequency_penalty", "min_p", "repeat_penalty":
			if _, ok := v.(float64); !ok {
				return t, fmt.Sprintf("option %q must be of type float32", k)
			}
		case "stop":
			list, ok := v.([]any)
			if !ok {
				return t, fmt.Sprintf("option %q must be of type array", k)
			}
			for _, s := range list {
				str, ok := s.(string)
				if !ok {
					return t, fmt.Sprintf("option %q must be of type array", k)
				}
				t.Stop = append(t.Stop, str)
			}
		}
	}
	t.InputText = input.String()
	return t, ""
}

type embedRequest struct {
	Model      string `json:"model"`
	Input      any    `json:"input"`
	Dimensions int    `json:"dimensions"`
}

func (e *Emulator) embed(w http.ResponseWriter, body []byte) {
	var req embedRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, ErrorBody(strings.TrimPrefix(err.Error(), "json: ")))
		return
	}
	if req.Model == "" {
		writeError(w, http.StatusBadRequest, ErrorBody("model is required"))
		return
	}
	if !e.known(req.Model) {
		writeError(w, http.StatusNotFound, ErrorBody(fmt.Sprintf("model %q not found, try pulling it first", req.Model)))
		return
	}
	var inputs []string
	switch in := req.Input.(type) {
	case string:
		inputs = []string{in}
	case []any:
		for _, v := range in {
			s, ok := v.(string)
			if !ok {
				writeError(w, http.StatusBadRequest, ErrorBody("invalid input type"))
				return
			}
			inputs = append(inputs, s)
		}
	case nil:
	default:
		writeError(w, http.StatusBadRequest, ErrorBody("invalid input type"))
		return
	}
	dims := req.Dimensions
	if dims <= 0 {
		dims = 8
	}
	out := make([][]float32, len(inputs))
	tokens := 0
	for i, s := range inputs {
		out[i] = vector(s, dims)
		tokens += emulator.CountTokens(s)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	b, _ := json.Marshal(map[string]any{"model": req.Model, "embeddings": out, "total_duration": 14143917, "load_duration": 1019500, "prompt_eval_count": tokens})
	_, _ = w.Write(b)
}

// vector is a deterministic pseudo-embedding of text.
func vector(text string, dims int) []float32 {
	v := make([]float32, dims)
	for i := range v {
		h := fnv.New32a()
		_, _ = fmt.Fprintf(h, "%d:%s", i, text)
		v[i] = float32(h.Sum32()%2000)/1000 - 1
	}
	return v
}
