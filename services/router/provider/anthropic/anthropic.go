// Package anthropic is the provider adapter for Anthropic's Messages API
// (POST /v1/messages), translating the Model Context Protocol to and from
// its wire format (shared/PROVIDER_WIRE_FORMATS.md §2 and §6).
//
// Translation choices:
//   - system and developer messages are hoisted, in order, into the
//     top-level system string; adjacent same-role turns are merged; tool
//     messages become tool_result blocks of a user turn, placed first.
//   - max_tokens is required by Anthropic and defaults to DefaultMaxTokens.
//   - JSON schema output uses structured outputs (output_config.format of
//     type json_schema), so the answer stays a text block and tools keep
//     working. JSON object output, which Anthropic has no mode for, adds an
//     instruction to the system prompt.
//   - temperature is capped at 1 (Anthropic's maximum); seed and the
//     presence/frequency penalties have no counterpart and are dropped.
//   - thinking blocks are not part of a complete answer's message (the
//     protocol has no place for them); streams emit them as reasoning
//     deltas, and thinking tokens count as reasoning tokens.
//   - Anthropic has no embeddings API: Embed is unsupported.
package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"

	fastjson "github.com/goccy/go-json"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// DefaultBaseURL is Anthropic's API root (without /v1, as the SDKs use it).
const DefaultBaseURL = "https://api.anthropic.com"

// APIVersion is sent as anthropic-version.
const APIVersion = "2023-06-01"

// Adapter calls one Anthropic endpoint.
type Adapter struct {
	name     string
	url      string
	headers  map[string]string
	client   *http.Client
	bufPool  sync.Pool
	maxDrain int64
}

var _ provider.Provider = (*Adapter)(nil)

// New returns an adapter for cfg. BaseURL defaults to DefaultBaseURL; a
// trailing /v1 is tolerated.
func New(cfg provider.Config) *Adapter {
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	base = strings.TrimSuffix(base, "/v1")
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	name := cfg.Name
	if name == "" {
		name = "anthropic"
	}
	return &Adapter{
		name:     name,
		url:      base + "/v1/messages",
		headers:  cfg.Headers,
		client:   client,
		bufPool:  sync.Pool{New: func() any { return new(bytes.Buffer) }},
		maxDrain: 64 << 10,
	}
}

// Generate sends a non-streaming request and returns the complete answer.
func (a *Adapter) Generate(ctx context.Context, call *provider.Call) (*mcpv1.Response, error) {
	resp, err := a.send(ctx, call, false)
	if err != nil {
		return nil, err
	}
	defer a.closeBody(resp)
	buf := a.bufPool.Get().(*bytes.Buffer)
	defer a.putBuf(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, a.transportError(ctx, err)
	}
	var msg messageResponse
	if err := fastjson.Unmarshal(buf.Bytes(), &msg); err != nil {
		return nil, a.protocolError("malformed response body", err)
	}
	if msg.Type != "message" {
		return nil, a.protocolError("response is not a message", nil)
	}
	return a.toResponse(&msg), nil
}

// Embed is unsupported: Anthropic has no embeddings API.
func (a *Adapter) Embed(context.Context, *provider.EmbedCall) (*provider.EmbedResult, error) {
	return nil, &apierror.Error{
		Class:    mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED,
		Message:  "Anthropic has no embeddings API",
		Provider: a.name,
	}
}

// send posts the call and returns a 2xx answer, or a classified error.
func (a *Adapter) send(ctx context.Context, call *provider.Call, stream bool) (*http.Response, error) {
	body, err := buildRequest(call, stream)
	if err != nil {
		if e, ok := err.(*apierror.Error); ok {
			e.Provider = a.name
		}
		return nil, err
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(payload))
	if err != nil {
		return nil, apierror.Internal(err)
	}
	h := req.Header
	h.Set("content-type", "application/json")
	if stream {
		h.Set("accept", "text/event-stream")
	} else {
		h.Set("accept", "application/json")
	}
	h.Set("anthropic-version", APIVersion)
	for k, v := range a.headers {
		h.Set(k, v)
	}
	h.Set("x-api-key", call.Credential.APIKey)

	resp, err := a.client.Do(req)
	if err != nil {
		return nil, a.transportError(ctx, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer a.closeBody(resp)
		return nil, a.errorFromResponse(resp)
	}
	return resp, nil
}

// closeBody drains a little of what is left so the connection can be
// reused, then closes the body.
func (a *Adapter) closeBody(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, a.maxDrain)
	_ = resp.Body.Close()
}

func (a *Adapter) putBuf(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		a.bufPool.Put(b)
	}
}

// toResponse maps a Message to the protocol's Response.
func (a *Adapter) toResponse(msg *messageResponse) *mcpv1.Response {
	out := &mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT}
	for i := range msg.Content {
		b := &msg.Content[i]
		switch b.Type {
		case "text":
			out.Content = append(out.Content, &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: b.Text}})
		case "tool_use":
			args := string(b.Input)
			if args == "" || args == "null" {
				args = "{}"
			}
			out.ToolCalls = append(out.ToolCalls, &mcpv1.ToolCall{Id: b.ID, Name: b.Name, Arguments: args})
		}
	}
	reason := finishReason(msg.StopReason)
	resp := &mcpv1.Response{
		Message:      out,
		FinishReason: reason,
		Usage:        toUsage(&msg.Usage),
		Metadata:     &mcpv1.ResponseMetadata{Provider: a.name, Model: msg.Model},
	}
	if reason == mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE {
		resp.StopSequence = msg.StopSequence
	}
	return resp
}

// finishReason maps stop_reason (§6.2).
func finishReason(r string) mcpv1.FinishReason {
	switch r {
	case "end_turn":
		return mcpv1.FinishReason_FINISH_REASON_STOP
	case "stop_sequence":
		return mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE
	case "max_tokens", "model_context_window_exceeded":
		return mcpv1.FinishReason_FINISH_REASON_LENGTH
	case "tool_use":
		return mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS
	case "refusal":
		return mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER
	case "":
		return mcpv1.FinishReason_FINISH_REASON_UNSPECIFIED
	}
	// pause_turn and anything newer.
	return mcpv1.FinishReason_FINISH_REASON_OTHER
}

// toUsage maps usage (§6.5): Anthropic's input_tokens excludes cache reads
// and writes, the protocol's includes them.
func toUsage(u *usage) *mcpv1.Usage {
	in := u.InputTokens + u.CacheReadInputTokens + u.CacheCreationInputTokens
	return &mcpv1.Usage{
		InputTokens:       in,
		OutputTokens:      u.OutputTokens,
		CachedInputTokens: u.CacheReadInputTokens,
		CacheWriteTokens:  u.CacheCreationInputTokens,
		ReasoningTokens:   u.OutputTokensDetails.ThinkingTokens,
		TotalTokens:       in + u.OutputTokens,
	}
}
