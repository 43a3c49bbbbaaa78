// Package ollama adapts Ollama's native API (POST /api/chat with NDJSON
// streaming, POST /api/embed) to the Model Context Protocol. See
// shared/PROVIDER_WIRE_FORMATS.md §4.1.
package ollama

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	fastjson "github.com/goccy/go-json"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// DefaultBaseURL is a local Ollama server.
const DefaultBaseURL = "http://127.0.0.1:11434"

// Adapter calls one configured Ollama server.
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
		a.name = "ollama"
	}
	if a.base == "" {
		a.base = DefaultBaseURL
	}
	if a.client == nil {
		a.client = http.DefaultClient
	}
	return a
}

// Generate calls /api/chat with stream:false.
func (a *Adapter) Generate(ctx context.Context, call *provider.Call) (*mcpv1.Response, error) {
	resp, err := a.chat(ctx, call, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var cr chatResponse
	if err := fastjson.NewDecoder(resp.Body).Decode(&cr); err != nil {
		if ctx.Err() != nil {
			return nil, a.transportError(ctx, err)
		}
		return nil, a.protocolError("malformed response", err)
	}
	if cr.Error != "" {
		return nil, a.streamError(cr.Error)
	}
	out := &mcpv1.Response{Message: &mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT}, Usage: usage(&cr)}
	if cr.Message.Content != "" {
		out.Message.Content = []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: cr.Message.Content}}}
	}
	for i := range cr.Message.ToolCalls {
		out.Message.ToolCalls = append(out.Message.ToolCalls, toToolCall(i, &cr.Message.ToolCalls[i]))
	}
	out.FinishReason = finishReason(cr.DoneReason, len(out.Message.ToolCalls) > 0)
	return out, nil
}

func usage(cr *chatResponse) *mcpv1.Usage {
	return &mcpv1.Usage{InputTokens: cr.PromptEvalCount, OutputTokens: cr.EvalCount, TotalTokens: cr.PromptEvalCount + cr.EvalCount}
}

// toToolCall converts a call, synthesizing an id when Ollama gives none.
func toToolCall(index int, tc *toolCall) *mcpv1.ToolCall {
	id := tc.ID
	if id == "" {
		id = "call_" + strconv.Itoa(index) + "_" + tc.Function.Name
	}
	args := string(tc.Function.Arguments)
	if args == "" || args == "null" {
		args = "{}"
	}
	return &mcpv1.ToolCall{Id: id, Name: tc.Function.Name, Arguments: args}
}

// finishReason maps done_reason (§6.2): Ollama says "stop" for tool calls.
func finishReason(reason string, hasCalls bool) mcpv1.FinishReason {
	switch reason {
	case "stop", "":
		if hasCalls {
			return mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS
		}
		return mcpv1.FinishReason_FINISH_REASON_STOP
	case "length":
		return mcpv1.FinishReason_FINISH_REASON_LENGTH
	}
	return mcpv1.FinishReason_FINISH_REASON_OTHER
}

// Stream calls /api/chat with stream:true and reads NDJSON until the line
// with done:true; a stream that ends before it was truncated.
func (a *Adapter) Stream(ctx context.Context, call *provider.Call, emit func(*mcpv1.StreamEvent) error) (provider.Finish, error) {
	resp, err := a.chat(ctx, call, true)
	if err != nil {
		return provider.Finish{}, err
	}
	defer resp.Body.Close()
	fin, err := a.readStream(bufio.NewReaderSize(resp.Body, 16<<10), emit)
	if err != nil && ctx.Err() != nil {
		return provider.Finish{}, a.transportError(ctx, ctx.Err())
	}
	return fin, err
}

func (a *Adapter) readStream(r *bufio.Reader, emit func(*mcpv1.StreamEvent) error) (provider.Finish, error) {
	var long []byte
	calls := 0
	for {
		line, rerr := readLine(r, &long)
		if rerr != nil && rerr != io.EOF {
			return provider.Finish{}, a.transportError(context.Background(), rerr)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			var ch chatResponse
			if err := fastjson.Unmarshal(line, &ch); err != nil {
				return provider.Finish{}, a.protocolError("malformed stream line", err)
			}
			if ch.Error != "" {
				return provider.Finish{}, a.streamError(ch.Error)
			}
			if ch.Message.Thinking != "" {
				if err := emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_ReasoningDelta{ReasoningDelta: &mcpv1.TextDelta{Text: ch.Message.Thinking}}}); err != nil {
					return provider.Finish{}, err
				}
			}
			if ch.Message.Content != "" {
				if err := emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_TextDelta{TextDelta: &mcpv1.TextDelta{Text: ch.Message.Content}}}); err != nil {
					return provider.Finish{}, err
				}
			}
			for i := range ch.Message.ToolCalls {
				tc := toToolCall(calls, &ch.Message.ToolCalls[i])
				// Ollama sends each call whole: one delta carries it all.
				if err := emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_ToolCallDelta{ToolCallDelta: &mcpv1.ToolCallDelta{
					Index: int32(calls), Id: tc.Id, Name: tc.Name, ArgumentsDelta: tc.Arguments,
				}}}); err != nil {
					return provider.Finish{}, err
				}
				calls++
			}
			if ch.Done {
				if err := emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_Usage{Usage: usage(&ch)}}); err != nil {
					return provider.Finish{}, err
				}
				return provider.Finish{Reason: finishReason(ch.DoneReason, calls > 0)}, nil
			}
		}
		if rerr == io.EOF {
			return provider.Finish{}, a.protocolError("stream ended before done:true", nil)
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

// Embed calls /api/embed with all inputs at once.
func (a *Adapter) Embed(ctx context.Context, call *provider.EmbedCall) (*provider.EmbedResult, error) {
	req := embedRequest{Model: call.Model, Input: make([]string, len(call.Inputs)), Dimensions: call.Dimensions}
	for i, in := range call.Inputs {
		text, ok := in.GetInput().(*mcpv1.EmbeddingInput_Text)
		if !ok {
			return nil, &apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED, Message: "Ollama embeds text only, not token lists", Provider: a.name}
		}
		req.Input[i] = text.Text
	}
	body, err := json.Marshal(&req)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	resp, err := a.send(ctx, "/api/embed", call.Credential, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var er embedResponse
	if err := json.NewDecoder(resp.Body).Decode(&er); err != nil {
		return nil, a.protocolError("malformed embeddings response", err)
	}
	if len(er.Embeddings) != len(call.Inputs) {
		return nil, a.protocolError("embeddings response has the wrong number of vectors", nil)
	}
	out := &provider.EmbedResult{
		Embeddings: make([]*mcpv1.Embedding, len(er.Embeddings)),
		Usage:      &mcpv1.Usage{InputTokens: er.PromptEvalCount, TotalTokens: er.PromptEvalCount},
	}
	for i, v := range er.Embeddings {
		out.Embeddings[i] = &mcpv1.Embedding{Index: int32(i), Values: v}
	}
	return out, nil
}

func (a *Adapter) chat(ctx context.Context, call *provider.Call, stream bool) (*http.Response, error) {
	req, err := buildRequest(call.Request, call.Model, stream)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	return a.send(ctx, "/api/chat", call.Credential, body)
}

// send posts body and returns a 200 answer, or the classified error.
func (a *Adapter) send(ctx context.Context, path string, cred provider.Credential, body []byte) (*http.Response, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, apierror.Internal(err)
	}
	for k, v := range a.headers {
		hreq.Header.Set(k, v)
	}
	hreq.Header.Set("Content-Type", "application/json")
	if cred.APIKey != "" {
		// Plain Ollama needs no key; proxies and ollama.com take a bearer.
		hreq.Header.Set("Authorization", "Bearer "+cred.APIKey)
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
