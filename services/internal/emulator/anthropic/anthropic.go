// Package anthropic emulates Anthropic's Messages API for tests: POST
// /v1/messages (JSON and SSE), POST /v1/messages/count_tokens and GET
// /v1/models, with the API's request validation, error envelopes, headers
// and stream framing (shared/PROVIDER_WIRE_FORMATS.md §2 and §7). Answers
// come from emulator.Respond, so a streamed answer equals the complete one.
package anthropic

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/manifoldgw/manifold/services/internal/emulator"
)

// MaxBody is the Messages API's request size limit.
const MaxBody = 32 << 20

// Emulator is an in-process Anthropic API.
type Emulator struct {
	emulator.Base
	// MaxBody is the request size limit, MaxBody by default; larger bodies
	// get 413 request_too_large. Tests may lower it.
	MaxBody int64
	seq     atomic.Int64
}

// New returns an emulator with nothing scripted.
func New() *Emulator { return &Emulator{MaxBody: MaxBody} }

var _ http.Handler = (*Emulator)(nil)

// ServeHTTP routes the API's endpoints.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("request-id", e.id("req_emu"))
	w.Header().Set("anthropic-organization-id", "00000000-0000-4000-8000-000000000000")
	switch p := r.URL.Path; {
	case p == "/v1/messages" || p == "/v1/messages/count_tokens":
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "Method Not Allowed")
			return
		}
		e.serveMessages(w, r, p == "/v1/messages/count_tokens")
	case p == "/v1/models" || strings.HasPrefix(p, "/v1/models/"):
		if r.Method != http.MethodGet {
			writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "Method Not Allowed")
			return
		}
		e.serveModels(w, r)
	default:
		writeError(w, http.StatusNotFound, "not_found_error", "Not Found")
	}
}

func (e *Emulator) id(prefix string) string {
	return fmt.Sprintf("%s_%020d", prefix, e.seq.Add(1))
}

// serveMessages answers POST /v1/messages and /v1/messages/count_tokens.
func (e *Emulator) serveMessages(w http.ResponseWriter, r *http.Request, countOnly bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, e.MaxBody+1))
	if err != nil {
		return
	}
	if int64(len(body)) > e.MaxBody {
		// Read the rest so the client sees the answer rather than a reset.
		_, _ = io.Copy(io.Discard, r.Body)
		e.Begin(r, nil)
		writeError(w, http.StatusRequestEntityTooLarge, "request_too_large", "Request exceeds the maximum allowed number of bytes.")
		return
	}
	f, ok := e.Begin(r, body)
	if !ok {
		return
	}
	if f.Status != 0 {
		writeFault(w, f)
		return
	}
	emulator.WriteHeaders(w, f)
	if !checkHeaders(w, r) {
		return
	}
	req, err := parseRequest(body, countOnly)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", err.Error())
		return
	}
	if !strings.HasPrefix(req.Model, "claude-") {
		writeError(w, http.StatusNotFound, "not_found_error", "model: "+req.Model)
		return
	}
	answer := emulator.Respond(req.turn())
	if countOnly {
		writeJSON(w, http.StatusOK, struct {
			InputTokens int `json:"input_tokens"`
		}{answer.InputTokens})
		return
	}
	if req.Stream {
		e.stream(w, req, answer, f)
		return
	}
	writeJSON(w, http.StatusOK, e.message(req, answer))
}

// checkHeaders answers 401 without a key and 400 without anthropic-version,
// as the API does.
func checkHeaders(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("x-api-key") == "" && !strings.HasPrefix(r.Header.Get("authorization"), "Bearer ") {
		writeError(w, http.StatusUnauthorized, "authentication_error", "x-api-key header is required")
		return false
	}
	if r.Header.Get("anthropic-version") == "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "anthropic-version: header is required")
		return false
	}
	if ct := r.Header.Get("content-type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "content-type must be application/json")
		return false
	}
	return true
}

// Response shapes.

type messageBody struct {
	ID           string      `json:"id"`
	Type         string      `json:"type"`
	Role         string      `json:"role"`
	Model        string      `json:"model"`
	Content      []blockBody `json:"content"`
	StopReason   *string     `json:"stop_reason"`
	StopSequence *string     `json:"stop_sequence"`
	Usage        usageBody   `json:"usage"`
}

type blockBody struct {
	Type  string          `json:"type"`
	Text  *string         `json:"text,omitempty"`
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
}

type usageBody struct {
	InputTokens              int            `json:"input_tokens"`
	CacheCreationInputTokens int            `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int            `json:"cache_read_input_tokens"`
	CacheCreation            *cacheCreation `json:"cache_creation,omitempty"`
	OutputTokens             int            `json:"output_tokens"`
	ServiceTier              string         `json:"service_tier,omitempty"`
}

type cacheCreation struct {
	Ephemeral5m int `json:"ephemeral_5m_input_tokens"`
	Ephemeral1h int `json:"ephemeral_1h_input_tokens"`
}

// stopReason maps emulator.Answer.Finish to stop_reason.
func stopReason(a emulator.Answer) (reason string, seq *string) {
	switch a.Finish {
	case "stop_sequence":
		s := a.StopSequence
		return "stop_sequence", &s
	case "length":
		return "max_tokens", nil
	case "tool_calls":
		return "tool_use", nil
	}
	return "end_turn", nil
}

func (e *Emulator) message(req *request, a emulator.Answer) messageBody {
	m := messageBody{
		ID: e.id("msg_emu"), Type: "message", Role: "assistant", Model: req.Model,
		Content: []blockBody{},
		Usage: usageBody{
			InputTokens: a.InputTokens, OutputTokens: a.OutputTokens,
			CacheCreation: &cacheCreation{}, ServiceTier: "standard",
		},
	}
	if text := a.Text(); text != "" {
		m.Content = append(m.Content, blockBody{Type: "text", Text: &text})
	}
	if a.ToolName != "" {
		m.Content = append(m.Content, blockBody{Type: "tool_use", ID: e.id("toolu_emu"), Name: a.ToolName, Input: json.RawMessage(a.ToolArgs)})
	}
	reason, seq := stopReason(a)
	m.StopReason, m.StopSequence = &reason, seq
	return m
}

// stream writes the answer as SSE: message_start, one block per text and
// tool call, message_delta and message_stop; each event counts as a chunk
// for the fault's CutAfterChunks, ErrorAfterChunks and MalformedAfterChunks.
func (e *Emulator) stream(w http.ResponseWriter, req *request, a emulator.Answer, f emulator.Fault) {
	h := w.Header()
	h.Set("content-type", "text/event-stream; charset=utf-8")
	h.Set("cache-control", "no-cache")
	w.WriteHeader(http.StatusOK)
	s := &sse{w: w, f: f}
	s.flusher, _ = w.(http.Flusher)

	start := e.message(req, emulator.Answer{InputTokens: a.InputTokens, OutputTokens: 1})
	start.Content = []blockBody{}
	start.StopReason = nil
	type startEvent struct {
		Type    string      `json:"type"`
		Message messageBody `json:"message"`
	}
	if !s.send("message_start", startEvent{"message_start", start}) || !s.send("ping", struct {
		Type string `json:"type"`
	}{"ping"}) {
		return
	}
	type blockStart struct {
		Type         string    `json:"type"`
		Index        int       `json:"index"`
		ContentBlock blockBody `json:"content_block"`
	}
	type delta struct {
		Type        string  `json:"type"`
		Text        *string `json:"text,omitempty"`
		PartialJSON *string `json:"partial_json,omitempty"`
	}
	type blockDelta struct {
		Type  string `json:"type"`
		Index int    `json:"index"`
		Delta delta  `json:"delta"`
	}
	type blockStop struct {
		Type  string `json:"type"`
		Index int    `json:"index"`
	}
	index := 0
	if len(a.Tokens) > 0 {
		empty := ""
		if !s.send("content_block_start", blockStart{"content_block_start", index, blockBody{Type: "text", Text: &empty}}) {
			return
		}
		for _, tok := range a.Tokens {
			if !s.send("content_block_delta", blockDelta{"content_block_delta", index, delta{Type: "text_delta", Text: &tok}}) {
				return
			}
		}
		if !s.send("content_block_stop", blockStop{"content_block_stop", index}) {
			return
		}
		index++
	}
	if a.ToolName != "" {
		block := blockBody{Type: "tool_use", ID: e.id("toolu_emu"), Name: a.ToolName, Input: json.RawMessage("{}")}
		if !s.send("content_block_start", blockStart{"content_block_start", index, block}) {
			return
		}
		for _, part := range append([]string{""}, emulator.SplitRunes(a.ToolArgs, 3)...) {
			if !s.send("content_block_delta", blockDelta{"content_block_delta", index, delta{Type: "input_json_delta", PartialJSON: &part}}) {
				return
			}
		}
		if !s.send("content_block_stop", blockStop{"content_block_stop", index}) {
			return
		}
	}
	reason, seq := stopReason(a)
	type messageDelta struct {
		Type  string `json:"type"`
		Delta struct {
			StopReason   string  `json:"stop_reason"`
			StopSequence *string `json:"stop_sequence"`
		} `json:"delta"`
		Usage usageBody `json:"usage"`
	}
	md := messageDelta{Type: "message_delta", Usage: usageBody{InputTokens: a.InputTokens, OutputTokens: a.OutputTokens}}
	md.Delta.StopReason, md.Delta.StopSequence = reason, seq
	if !s.send("message_delta", md) {
		return
	}
	s.send("message_stop", struct {
		Type string `json:"type"`
	}{"message_stop"})
}

// sse writes `event: <type>` / `data: <json>` events, applying the fault.
type sse struct {
	w       http.ResponseWriter
	flusher http.Flusher
	f       emulator.Fault
	n       int
}

// send writes one event and reports whether the stream goes on.
func (s *sse) send(typ string, v any) bool {
	switch {
	case s.f.CutAfterChunks > 0 && s.n == s.f.CutAfterChunks:
		return false
	case s.f.ErrorAfterChunks > 0 && s.n == s.f.ErrorAfterChunks:
		s.write("error", []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`))
		return false
	case s.f.MalformedAfterChunks > 0 && s.n == s.f.MalformedAfterChunks:
		s.write("content_block_delta", []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`))
		return false
	}
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // the shapes above always marshal
	}
	s.write(typ, data)
	s.n++
	return true
}

func (s *sse) write(typ string, data []byte) {
	_, _ = fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", typ, data)
	if s.flusher != nil {
		s.flusher.Flush()
	}
}

// Errors.

var statusTypes = map[int]struct{ typ, msg string }{
	http.StatusBadRequest:            {"invalid_request_error", "Invalid request"},
	http.StatusUnauthorized:          {"authentication_error", "invalid x-api-key"},
	http.StatusPaymentRequired:       {"billing_error", "Your credit balance is too low to access the Anthropic API."},
	http.StatusForbidden:             {"permission_error", "Your API key does not have permission to use the specified resource."},
	http.StatusNotFound:              {"not_found_error", "The requested resource could not be found."},
	http.StatusRequestEntityTooLarge: {"request_too_large", "Request exceeds the maximum allowed number of bytes."},
	http.StatusTooManyRequests:       {"rate_limit_error", "This request would exceed the rate limit for your organization."},
	http.StatusInternalServerError:   {"api_error", "Internal server error"},
	http.StatusGatewayTimeout:        {"timeout_error", "Request timeout"},
	529:                              {"overloaded_error", "Overloaded"},
}

// writeFault answers with a scripted status: the envelope for the status
// (or the fault's Body), rate-limit headers on 429, then the fault's
// headers, which win.
func writeFault(w http.ResponseWriter, f emulator.Fault) {
	h := w.Header()
	if f.Status == http.StatusTooManyRequests {
		reset := time.Now().Add(time.Second).UTC().Format(time.RFC3339)
		for _, name := range [...]string{"requests", "tokens", "input-tokens", "output-tokens"} {
			h.Set("anthropic-ratelimit-"+name+"-limit", "50")
			h.Set("anthropic-ratelimit-"+name+"-remaining", "50")
			h.Set("anthropic-ratelimit-"+name+"-reset", reset)
		}
		h.Set("anthropic-ratelimit-requests-remaining", "0")
		h.Set("retry-after", "1")
	}
	emulator.WriteHeaders(w, f)
	if f.Body != "" {
		setRetryHeader(h, f.Status)
		h.Set("content-type", "application/json")
		w.WriteHeader(f.Status)
		_, _ = io.WriteString(w, f.Body)
		return
	}
	st, ok := statusTypes[f.Status]
	if !ok {
		st.typ, st.msg = "invalid_request_error", http.StatusText(f.Status)
		if f.Status >= 500 {
			st.typ = "api_error"
		}
	}
	writeError(w, f.Status, st.typ, st.msg)
}

// setRetryHeader sends x-should-retry: false on client errors the SDKs
// must not retry, as the API does on 400s.
func setRetryHeader(h http.Header, status int) {
	if status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusConflict && status != http.StatusTooManyRequests && h.Get("x-should-retry") == "" {
		h.Set("x-should-retry", "false")
	}
}

// writeError writes the API's error envelope.
func writeError(w http.ResponseWriter, status int, typ, msg string) {
	setRetryHeader(w.Header(), status)
	type detail struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	writeJSON(w, status, struct {
		Type      string `json:"type"`
		Error     detail `json:"error"`
		RequestID string `json:"request_id"`
	}{"error", detail{typ, msg}, w.Header().Get("request-id")})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Models.

// Model is one entry of GET /v1/models.
type Model struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	CreatedAt   string `json:"created_at"`
}

// Models are the models GET /v1/models lists, newest first.
var Models = []Model{
	{"model", "claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05T00:00:00Z"},
	{"model", "claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z"},
	{"model", "claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-01T00:00:00Z"},
}

func (e *Emulator) serveModels(w http.ResponseWriter, r *http.Request) {
	f, ok := e.Begin(r, nil)
	if !ok {
		return
	}
	if f.Status != 0 {
		writeFault(w, f)
		return
	}
	emulator.WriteHeaders(w, f)
	if !checkHeaders(w, r) {
		return
	}
	if id := strings.TrimPrefix(r.URL.Path, "/v1/models/"); id != r.URL.Path {
		for _, m := range Models {
			if m.ID == id {
				writeJSON(w, http.StatusOK, m)
				return
			}
		}
		writeError(w, http.StatusNotFound, "not_found_error", "model: "+id)
		return
	}
	list := Models
	if l, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && l > 0 && l < len(list) {
		list = list[:l]
	}
	writeJSON(w, http.StatusOK, struct {
		Data    []Model `json:"data"`
		HasMore bool    `json:"has_more"`
		FirstID string  `json:"first_id"`
		LastID  string  `json:"last_id"`
	}{list, len(list) < len(Models), list[0].ID, list[len(list)-1].ID})
}
