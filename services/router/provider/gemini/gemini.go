// Package gemini adapts the Google Gemini Developer API (generateContent,
// streamGenerateContent with alt=sse, batchEmbedContents) to the Model
// Context Protocol. See shared/PROVIDER_WIRE_FORMATS.md §3.
package gemini

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	fastjson "github.com/goccy/go-json"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// DefaultBaseURL is the Gemini Developer API root.
const DefaultBaseURL = "https://generativelanguage.googleapis.com"

// Adapter calls one configured Gemini endpoint.
type Adapter struct {
	name    string
	base    string
	headers map[string]string
	client  *http.Client
}

var _ provider.Provider = (*Adapter)(nil)

// New returns an adapter for cfg, defaulting the base URL and HTTP client.
func New(cfg provider.Config) *Adapter {
	a := &Adapter{name: cfg.Name, base: strings.TrimRight(cfg.BaseURL, "/"), headers: cfg.Headers, client: cfg.HTTPClient}
	if a.name == "" {
		a.name = "gemini"
	}
	if a.base == "" {
		a.base = DefaultBaseURL
	}
	if a.client == nil {
		a.client = http.DefaultClient
	}
	return a
}

// Generate calls generateContent.
func (a *Adapter) Generate(ctx context.Context, call *provider.Call) (*mcpv1.Response, error) {
	resp, err := a.post(ctx, call, ":generateContent")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var gr generateResponse
	if err := fastjson.NewDecoder(resp.Body).Decode(&gr); err != nil {
		if ctx.Err() != nil {
			return nil, a.transportError(ctx, err)
		}
		return nil, a.protocolError("malformed response", err)
	}
	if gr.Error != nil {
		return nil, a.rpcError(0, gr.Error)
	}
	return toResponse(&gr), nil
}

func toResponse(gr *generateResponse) *mcpv1.Response {
	out := &mcpv1.Response{Message: &mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT}}
	if gr.UsageMetadata != nil {
		out.Usage = gr.UsageMetadata.proto()
	} else {
		out.Usage = &mcpv1.Usage{}
	}
	if len(gr.Candidates) == 0 {
		if gr.PromptFeedback != nil && gr.PromptFeedback.BlockReason != "" {
			out.FinishReason = mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER
		} else {
			out.FinishReason = mcpv1.FinishReason_FINISH_REASON_OTHER
		}
		return out
	}
	c := &gr.Candidates[0]
	var text strings.Builder
	for i := range c.Content.Parts {
		p := &c.Content.Parts[i]
		switch {
		case p.FunctionCall != nil:
			out.Message.ToolCalls = append(out.Message.ToolCalls, toolCall(len(out.Message.ToolCalls), p.FunctionCall))
		case p.Thought:
			// Thought summaries have no place in a complete Message.
		case p.Text != "":
			text.WriteString(p.Text)
		}
	}
	if text.Len() > 0 {
		out.Message.Content = []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: text.String()}}}
	}
	out.FinishReason = finishReason(c.FinishReason, len(out.Message.ToolCalls) > 0)
	return out
}

func toolCall(index int, fc *functionCall) *mcpv1.ToolCall {
	id := fc.ID
	if id == "" {
		id = synthesizedID(index, fc.Name)
	}
	// Non-streamed answers are pretty-printed; arguments are passed on
	// compact, as the other providers send them.
	var args string
	var buf bytes.Buffer
	switch {
	case len(fc.Args) == 0 || string(fc.Args) == "null":
		args = "{}"
	case bytes.IndexByte(fc.Args, '\n') >= 0 && json.Compact(&buf, fc.Args) == nil:
		args = buf.String()
	default:
		args = string(fc.Args)
	}
	return &mcpv1.ToolCall{Id: id, Name: fc.Name, Arguments: args}
}

// finishReason maps Gemini's finishReason (§6.2). Gemini has no tool-call
// reason: STOP with functionCall parts is a tool call.
func finishReason(reason string, hasCalls bool) mcpv1.FinishReason {
	switch reason {
	case "STOP", "", "FINISH_REASON_UNSPECIFIED":
		if hasCalls {
			return mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS
		}
		if reason == "STOP" {
			return mcpv1.FinishReason_FINISH_REASON_STOP
		}
		return mcpv1.FinishReason_FINISH_REASON_UNSPECIFIED
	case "MAX_TOKENS":
		return mcpv1.FinishReason_FINISH_REASON_LENGTH
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
		"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		return mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER
	}
	return mcpv1.FinishReason_FINISH_REASON_OTHER
}

// proto maps usageMetadata (§6.5): promptTokenCount already includes cached
// content; candidatesTokenCount excludes thoughts, which count as output.
func (u *usageMetadata) proto() *mcpv1.Usage {
	in := u.PromptTokenCount + u.ToolUsePromptTokenCount
	out := u.CandidatesTokenCount + u.ThoughtsTokenCount
	return &mcpv1.Usage{
		InputTokens:       in,
		OutputTokens:      out,
		CachedInputTokens: u.CachedContentTokenCount,
		ReasoningTokens:   u.ThoughtsTokenCount,
		TotalTokens:       in + out,
	}
}

// Stream calls streamGenerateContent?alt=sse. Gemini ends a stream by
// closing it; the stream is complete only if an event carried finishReason.
func (a *Adapter) Stream(ctx context.Context, call *provider.Call, emit func(*mcpv1.StreamEvent) error) (provider.Finish, error) {
	resp, err := a.post(ctx, call, ":streamGenerateContent?alt=sse")
	if err != nil {
		return provider.Finish{}, err
	}
	defer resp.Body.Close()
	s := streamer{a: a, emit: emit}
	if err := s.run(bufio.NewReaderSize(resp.Body, 16<<10)); err != nil {
		if ctx.Err() != nil {
			return provider.Finish{}, a.transportError(ctx, ctx.Err())
		}
		return provider.Finish{}, err
	}
	if !s.finished {
		return provider.Finish{}, a.protocolError("stream ended before a finishReason", nil)
	}
	if s.hasUsage {
		if err := emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_Usage{Usage: s.usage.proto()}}); err != nil {
			return provider.Finish{}, err
		}
	}
	return provider.Finish{Reason: finishReason(s.reason, s.calls > 0)}, nil
}

type streamer struct {
	a        *Adapter
	emit     func(*mcpv1.StreamEvent) error
	calls    int
	reason   string
	finished bool
	usage    usageMetadata
	hasUsage bool
}

// run reads SSE events (LF or CRLF line endings; data lines of one event
// joined by "\n") and handles each.
func (s *streamer) run(r *bufio.Reader) error {
	var long, data []byte
	pending := false
	for {
		line, rerr := readLine(r, &long)
		if rerr != nil && rerr != io.EOF {
			return s.a.transportError(context.Background(), rerr)
		}
		switch {
		case len(line) == 0:
			if pending {
				if err := s.event(data); err != nil {
					return err
				}
				data, pending = data[:0], false
			}
		case bytes.HasPrefix(line, []byte("data:")):
			v := line[5:]
			if len(v) > 0 && v[0] == ' ' {
				v = v[1:]
			}
			if pending {
				data = append(data, '\n')
			}
			data = append(data, v...)
			pending = true
		}
		if rerr == io.EOF {
			if pending {
				return s.event(data)
			}
			return nil
		}
	}
}

// readLine returns the next line without its LF or CRLF ending. The slice
// is only valid until the next call; long lines are assembled in *long.
func readLine(r *bufio.Reader, long *[]byte) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		*long = append((*long)[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.ReadSlice('\n')
			*long = append(*long, line...)
		}
		line = *long
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line, err
}

func (s *streamer) event(data []byte) error {
	var ch generateResponse
	if err := fastjson.Unmarshal(data, &ch); err != nil {
		return s.a.protocolError("malformed stream event", err)
	}
	if ch.Error != nil {
		return s.a.rpcError(0, ch.Error)
	}
	if ch.UsageMetadata != nil {
		s.usage, s.hasUsage = *ch.UsageMetadata, true
	}
	if len(ch.Candidates) == 0 {
		if ch.PromptFeedback != nil && ch.PromptFeedback.BlockReason != "" {
			s.reason, s.finished = "SAFETY", true
		}
		return nil
	}
	c := &ch.Candidates[0]
	for i := range c.Content.Parts {
		p := &c.Content.Parts[i]
		var ev *mcpv1.StreamEvent
		switch {
		case p.FunctionCall != nil:
			tc := toolCall(s.calls, p.FunctionCall)
			ev = &mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_ToolCallDelta{ToolCallDelta: &mcpv1.ToolCallDelta{
				Index: int32(s.calls), Id: tc.Id, Name: tc.Name, ArgumentsDelta: tc.Arguments,
			}}}
			s.calls++
		case p.Text == "":
			continue
		case p.Thought:
			ev = &mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_ReasoningDelta{ReasoningDelta: &mcpv1.TextDelta{Text: p.Text}}}
		default:
			ev = &mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_TextDelta{TextDelta: &mcpv1.TextDelta{Text: p.Text}}}
		}
		if err := s.emit(ev); err != nil {
			return err
		}
	}
	if c.FinishReason != "" {
		s.reason, s.finished = c.FinishReason, true
	}
	return nil
}

// Embed calls batchEmbedContents, one request per input.
func (a *Adapter) Embed(ctx context.Context, call *provider.EmbedCall) (*provider.EmbedResult, error) {
	model := modelPath(call.Model)
	req := batchEmbedRequest{Requests: make([]embedRequest, len(call.Inputs))}
	for i, in := range call.Inputs {
		text, ok := in.GetInput().(*mcpv1.EmbeddingInput_Text)
		if !ok {
			return nil, &apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED, Message: "Gemini embeds text only, not token lists", Provider: a.name}
		}
		req.Requests[i] = embedRequest{Model: "models/" + model, Content: content{Parts: []part{{Text: text.Text}}}, OutputDimensionality: call.Dimensions}
	}
	body, err := json.Marshal(&req)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	resp, err := a.send(ctx, a.base+"/v1beta/models/"+model+":batchEmbedContents", call.Credential, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var br batchEmbedResponse
	if err := json.NewDecoder(resp.Body).Decode(&br); err != nil {
		return nil, a.protocolError("malformed embeddings response", err)
	}
	if len(br.Embeddings) != len(call.Inputs) {
		return nil, a.protocolError("embeddings response has the wrong number of vectors", nil)
	}
	out := &provider.EmbedResult{Embeddings: make([]*mcpv1.Embedding, len(br.Embeddings)), Usage: &mcpv1.Usage{}}
	for i, e := range br.Embeddings {
		out.Embeddings[i] = &mcpv1.Embedding{Index: int32(i), Values: e.Values}
	}
	return out, nil
}

func modelPath(model string) string {
	return strings.TrimPrefix(model, "models/")
}

// post translates the call and sends it to the model's method.
func (a *Adapter) post(ctx context.Context, call *provider.Call, method string) (*http.Response, error) {
	req, err := buildRequest(call.Request)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	return a.send(ctx, a.base+"/v1beta/models/"+modelPath(call.Model)+method, call.Credential, body)
}

// send posts body and returns a 200 answer, or the classified error.
func (a *Adapter) send(ctx context.Context, url string, cred provider.Credential, body []byte) (*http.Response, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, apierror.Internal(err)
	}
	for k, v := range a.headers {
		hreq.Header.Set(k, v)
	}
	hreq.Header.Set("Content-Type", "application/json")
	if cred.APIKey != "" {
		hreq.Header.Set("x-goog-api-key", cred.APIKey)
	}
	resp, err := a.client.Do(hreq)
	if err != nil {
		return nil, a.transportError(ctx, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, a.statusError(resp)
	}
	return resp, nil
}
