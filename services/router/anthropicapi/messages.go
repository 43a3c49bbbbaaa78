package anthropicapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/validate"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/internal/jsonhttp"
)

// The response types follow the SDK's Message and Usage (§2.2).

type message struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	Role         string          `json:"role"`
	Model        string          `json:"model"`
	Content      []responseBlock `json:"content"`
	StopReason   *string         `json:"stop_reason"`
	StopSequence *string         `json:"stop_sequence"`
	Usage        usage           `json:"usage"`
}

// responseBlock is a text or tool_use block.
type responseBlock struct {
	Type  string          `json:"type"`
	Text  *string         `json:"text,omitempty"`
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

// toUsage splits Manifold's input total the way Anthropic reports it:
// input_tokens excludes cache reads and writes.
func toUsage(u *mcpv1.Usage) usage {
	in := u.GetInputTokens() - u.GetCachedInputTokens() - u.GetCacheWriteTokens()
	return usage{
		InputTokens:              max(in, 0),
		CacheCreationInputTokens: u.GetCacheWriteTokens(),
		CacheReadInputTokens:     u.GetCachedInputTokens(),
		OutputTokens:             u.GetOutputTokens(),
	}
}

// stopReason maps the finish reason (§6.2).
func stopReason(f mcpv1.FinishReason) string {
	switch f {
	case mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE:
		return "stop_sequence"
	case mcpv1.FinishReason_FINISH_REASON_LENGTH:
		return "max_tokens"
	case mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS:
		return "tool_use"
	case mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER:
		return "refusal"
	}
	return "end_turn"
}

// toolInput is the tool_use input object for an arguments text. Models
// sometimes produce invalid JSON; it is passed on as {"_raw": text} rather
// than failing the whole answer, since Anthropic clients expect an object.
func toolInput(args string) json.RawMessage {
	trimmed := strings.TrimSpace(args)
	if trimmed == "" {
		return json.RawMessage("{}")
	}
	if trimmed[0] == '{' && json.Valid([]byte(trimmed)) {
		return json.RawMessage(trimmed)
	}
	return json.RawMessage(append(jsonhttp.AppendString([]byte(`{"_raw":`), args), '}'))
}

// messageID derives the message id from Manifold's call id, so the two can
// be correlated in the call log.
func messageID(callID string) string {
	if callID == "" {
		return jsonhttp.NewID("msg_")
	}
	return "msg_" + strings.TrimPrefix(callID, "call_")
}

func modelName(served, requested string) string {
	if served != "" {
		return served
	}
	return requested
}

// parse reads and translates a request body; on failure it has answered.
func (h *Handler) parse(w http.ResponseWriter, r *http.Request, reqID string, requireMaxTokens bool) (*messagesRequest, *mcpv1.Request, *fieldMap, bool) {
	buf, err := jsonhttp.ReadBody(r)
	if err != nil {
		h.writeBodyError(w, reqID, err)
		return nil, nil, nil, false
	}
	var mr messagesRequest
	err = decodeJSON(buf.Bytes(), &mr)
	jsonhttp.PutBuffer(buf) // decoding copies every value out of the body
	if err != nil {
		h.writeBodyError(w, reqID, err)
		return nil, nil, nil, false
	}
	req, fields, err := mr.toMCP(requireMaxTokens)
	if err == nil {
		err = validate.Check(req)
	}
	if err != nil {
		h.writeMappedError(w, reqID, err, fields)
		return nil, nil, nil, false
	}
	return &mr, req, fields, true
}

func (h *Handler) messages(w http.ResponseWriter, r *http.Request, reqID string) {
	mr, req, fields, ok := h.parse(w, r, reqID, true)
	if !ok {
		return
	}
	if mr.Stream {
		h.stream(w, r, reqID, req, fields)
		return
	}
	res, err := h.router.Do(r.Context(), req, router.SurfaceAnthropic)
	if err != nil {
		h.writeMappedError(w, reqID, err, fields)
		return
	}
	if err := jsonhttp.WriteJSON(w, http.StatusOK, toMessage(res, req.GetModel())); err != nil {
		h.logger.Debug("anthropic surface: write response", "err", err)
	}
}

func toMessage(res *mcpv1.Response, requested string) *message {
	msg := res.GetMessage()
	out := &message{
		ID: messageID(res.GetId()), Type: "message", Role: "assistant",
		Model:   modelName(res.GetMetadata().GetModel(), requested),
		Content: make([]responseBlock, 0, len(msg.GetContent())+len(msg.GetToolCalls())),
		Usage:   toUsage(res.GetUsage()),
	}
	// Adjacent text parts form one text block, as Anthropic would send.
	var text bytes.Buffer
	hasText := false
	for _, p := range msg.GetContent() {
		if t, ok := p.GetPart().(*mcpv1.ContentPart_Text); ok {
			text.WriteString(t.Text)
			hasText = true
		}
	}
	if hasText {
		s := text.String()
		out.Content = append(out.Content, responseBlock{Type: "text", Text: &s})
	}
	for _, tc := range msg.GetToolCalls() {
		out.Content = append(out.Content, responseBlock{Type: "tool_use", ID: tc.GetId(), Name: tc.GetName(), Input: toolInput(tc.GetArguments())})
	}
	reason := stopReason(res.GetFinishReason())
	out.StopReason = &reason
	if res.GetFinishReason() == mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE {
		seq := res.GetStopSequence()
		out.StopSequence = &seq
	}
	return out
}

type tokenCount struct {
	InputTokens int64 `json:"input_tokens"`
}

func (h *Handler) countTokens(w http.ResponseWriter, r *http.Request, reqID string) {
	_, req, fields, ok := h.parse(w, r, reqID, false)
	if !ok {
		return
	}
	n, err := h.router.CountRequestTokens(req)
	if err != nil {
		h.writeMappedError(w, reqID, err, fields)
		return
	}
	if err := jsonhttp.WriteJSON(w, http.StatusOK, tokenCount{InputTokens: n}); err != nil {
		h.logger.Debug("anthropic surface: write response", "err", err)
	}
}
