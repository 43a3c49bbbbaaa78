package openaiapi

import (
	"net/http"
	"strings"
	"time"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/validate"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/internal/jsonhttp"
)

// The response types follow CreateChatCompletionResponse (§1.3).

type chatCompletion struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   *usage       `json:"usage,omitempty"`
}

type chatChoice struct {
	Index        int             `json:"index"`
	Message      responseMessage `json:"message"`
	Logprobs     *struct{}       `json:"logprobs"`
	FinishReason string          `json:"finish_reason"`
}

type responseMessage struct {
	Role        string             `json:"role"`
	Content     *string            `json:"content"`
	Refusal     *string            `json:"refusal"`
	Annotations []struct{}         `json:"annotations"`
	ToolCalls   []responseToolCall `json:"tool_calls,omitempty"`
}

type responseToolCall struct {
	ID       string           `json:"id"`
	Type     string           `json:"type"`
	Function responseFunction `json:"function"`
}

type responseFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type usage struct {
	PromptTokens            int64                   `json:"prompt_tokens"`
	CompletionTokens        int64                   `json:"completion_tokens"`
	TotalTokens             int64                   `json:"total_tokens"`
	PromptTokensDetails     promptTokensDetails     `json:"prompt_tokens_details"`
	CompletionTokensDetails completionTokensDetails `json:"completion_tokens_details"`
}

type promptTokensDetails struct {
	CachedTokens int64 `json:"cached_tokens"`
	AudioTokens  int64 `json:"audio_tokens"`
}

type completionTokensDetails struct {
	ReasoningTokens          int64 `json:"reasoning_tokens"`
	AudioTokens              int64 `json:"audio_tokens"`
	AcceptedPredictionTokens int64 `json:"accepted_prediction_tokens"`
	RejectedPredictionTokens int64 `json:"rejected_prediction_tokens"`
}

func (h *Handler) chatCompletions(w http.ResponseWriter, r *http.Request) {
	buf, err := jsonhttp.ReadBody(r)
	if err != nil {
		h.writeBodyError(w, err)
		return
	}
	var cr chatRequest
	err = decodeJSON(buf.Bytes(), &cr)
	jsonhttp.PutBuffer(buf) // decoding copies every string out of the body
	if err != nil {
		h.writeBodyError(w, err)
		return
	}
	req, err := cr.toMCP()
	if err == nil {
		err = validate.Check(req)
	}
	if err != nil {
		h.writeError(w, err)
		return
	}
	if cr.Stream {
		h.stream(w, r, req, cr.StreamOptions != nil && cr.StreamOptions.IncludeUsage)
		return
	}
	res, err := h.router.Do(r.Context(), req, router.SurfaceOpenAI)
	if err != nil {
		h.writeError(w, err)
		return
	}
	if err := jsonhttp.WriteJSON(w, http.StatusOK, completion(res, req.GetModel())); err != nil {
		h.logger.Debug("openai surface: write response", "err", err)
	}
}

// completion renders a complete answer as a chat.completion.
func completion(res *mcpv1.Response, requested string) *chatCompletion {
	msg := responseMessage{Role: "assistant", Annotations: []struct{}{}}
	if text, ok := joinText(res.GetMessage().GetContent()); ok {
		msg.Content = &text
	}
	if calls := res.GetMessage().GetToolCalls(); len(calls) > 0 {
		msg.ToolCalls = make([]responseToolCall, len(calls))
		for i, tc := range calls {
			msg.ToolCalls[i] = responseToolCall{ID: tc.GetId(), Type: "function",
				Function: responseFunction{Name: tc.GetName(), Arguments: tc.GetArguments()}}
		}
	}
	created := res.GetMetadata().GetCreatedAt().GetSeconds()
	if created == 0 {
		created = time.Now().Unix()
	}
	u := toUsage(res.GetUsage())
	return &chatCompletion{
		ID:      completionID(res.GetId()),
		Object:  "chat.completion",
		Created: created,
		Model:   modelName(res.GetMetadata().GetModel(), requested),
		Choices: []chatChoice{{Message: msg, FinishReason: finishReason(res.GetFinishReason())}},
		Usage:   &u,
	}
}

// joinText concatenates the text parts; ok is false when there are none
// (content is then null, as for a tool-call-only answer).
func joinText(parts []*mcpv1.ContentPart) (string, bool) {
	switch len(parts) {
	case 0:
		return "", false
	case 1:
		if t, ok := parts[0].GetPart().(*mcpv1.ContentPart_Text); ok {
			return t.Text, true
		}
	}
	var b strings.Builder
	found := false
	for _, p := range parts {
		if t, ok := p.GetPart().(*mcpv1.ContentPart_Text); ok {
			b.WriteString(t.Text)
			found = true
		}
	}
	return b.String(), found
}

func toUsage(u *mcpv1.Usage) usage {
	total := u.GetTotalTokens()
	if total == 0 {
		total = u.GetInputTokens() + u.GetOutputTokens()
	}
	return usage{
		PromptTokens:            u.GetInputTokens(),
		CompletionTokens:        u.GetOutputTokens(),
		TotalTokens:             total,
		PromptTokensDetails:     promptTokensDetails{CachedTokens: u.GetCachedInputTokens()},
		CompletionTokensDetails: completionTokensDetails{ReasoningTokens: u.GetReasoningTokens()},
	}
}

// finishReason maps to the four modern values (§6.2); a stop sequence is
// "stop" on this surface, and anything unknown is reported as "stop".
func finishReason(f mcpv1.FinishReason) string {
	switch f {
	case mcpv1.FinishReason_FINISH_REASON_LENGTH:
		return "length"
	case mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS:
		return "tool_calls"
	case mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER:
		return "content_filter"
	}
	return "stop"
}

// completionID derives the chat.completion id from Manifold's call id, so
// the two can be correlated in the call log.
func completionID(callID string) string {
	if callID == "" {
		return jsonhttp.NewID("chatcmpl-")
	}
	return "chatcmpl-" + strings.TrimPrefix(callID, "call_")
}

// modelName is the model that served the call, or the requested one.
func modelName(served, requested string) string {
	if served != "" {
		return served
	}
	return requested
}
