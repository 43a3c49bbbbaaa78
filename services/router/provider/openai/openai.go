// Package openai is the provider adapter for OpenAI Chat Completions and the
// OpenAI-compatible family (Azure OpenAI, Mistral, Groq, vLLM, Together,
// OpenRouter, DeepSeek, Ollama's /v1), per shared/PROVIDER_WIRE_FORMATS.md
// §1 and §4.2.
package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	fastjson "github.com/goccy/go-json"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// DefaultAzureAPIVersion is used when an Azure config names none.
const DefaultAzureAPIVersion = "2024-10-21"

// Adapter speaks Chat Completions to one configured endpoint.
type Adapter struct {
	cfg    provider.Config
	name   string
	flavor Flavor
	quirks quirks
	base   string
	client *http.Client
}

var _ provider.Provider = (*Adapter)(nil)

// Option adjusts an Adapter.
type Option func(*Adapter)

// WithFlavor selects a member of the OpenAI-compatible family.
func WithFlavor(f Flavor) Option { return func(a *Adapter) { a.flavor = f } }

// New returns an adapter for cfg; without options it speaks to OpenAI.
func New(cfg provider.Config, opts ...Option) *Adapter {
	a := &Adapter{cfg: cfg, client: cfg.HTTPClient}
	for _, o := range opts {
		o(a)
	}
	a.quirks = flavors[a.flavor]
	if a.flavor == FlavorAzure && a.cfg.APIVersion == "" {
		a.cfg.APIVersion = DefaultAzureAPIVersion
	}
	a.base = strings.TrimRight(cfg.BaseURL, "/")
	if a.base == "" {
		a.base = a.quirks.defaultBase
	}
	if a.client == nil {
		a.client = http.DefaultClient
	}
	a.name = cfg.Name
	if a.name == "" {
		a.name = "openai"
	}
	return a
}

// NewAzure returns an adapter for Azure OpenAI: cfg.BaseURL is the resource
// endpoint (https://<resource>.openai.azure.com), Call.Model the deployment
// and cfg.APIVersion the api-version.
func NewAzure(cfg provider.Config) *Adapter {
	return New(cfg, WithFlavor(FlavorAzure))
}

func (a *Adapter) endpoint(model, path string) string {
	if a.flavor != FlavorAzure {
		return a.base + "/" + path
	}
	return a.base + "/openai/deployments/" + url.PathEscape(model) + "/" + path + "?api-version=" + url.QueryEscape(a.cfg.APIVersion)
}

// post sends body as JSON and returns the response when its status is a
// success; otherwise the classified error.
func (a *Adapter) post(ctx context.Context, target string, cred provider.Credential, body any, stream bool) (*http.Response, error) {
	if a.base == "" {
		return nil, apierror.Internal(errorf("provider %s: base URL is not configured", a.name))
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(b))
	if err != nil {
		return nil, apierror.Internal(err)
	}
	for k, v := range a.cfg.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	if stream {
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if cred.APIKey != "" {
		if a.flavor == FlavorAzure {
			req.Header.Set("Api-Key", cred.APIKey)
		} else {
			req.Header.Set("Authorization", "Bearer "+cred.APIKey)
		}
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, a.transportError(ctx, err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, a.httpError(resp)
	}
	return resp, nil
}

// Generate implements provider.Provider.
func (a *Adapter) Generate(ctx context.Context, call *provider.Call) (*mcpv1.Response, error) {
	body, err := a.buildRequest(call, false)
	if err != nil {
		return nil, a.tag(err)
	}
	resp, err := a.post(ctx, a.endpoint(call.Model, "chat/completions"), call.Credential, body, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var cr chatResponse
	if err := fastjson.NewDecoder(resp.Body).Decode(&cr); err != nil {
		if ctx.Err() != nil {
			return nil, a.transportError(ctx, err)
		}
		return nil, a.protocolError(resp.StatusCode, "decode chat completion: %v", err)
	}
	return a.parseResponse(&cr, resp.StatusCode)
}

func (a *Adapter) parseResponse(cr *chatResponse, status int) (*mcpv1.Response, error) {
	if len(cr.Choices) == 0 {
		return nil, a.protocolError(status, "chat completion has no choices")
	}
	ch := &cr.Choices[0]
	msg := &mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT}
	finish := mapFinish(ch.FinishReason)
	var stopSeq string
	if s := stopString(ch.StopReason); s != "" && finish == mcpv1.FinishReason_FINISH_REASON_STOP {
		finish, stopSeq = mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE, s
	}
	if c := ch.Message.Content; c != nil && *c != "" {
		msg.Content = append(msg.Content, &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: *c}})
	} else if r := ch.Message.Refusal; r != nil && *r != "" {
		msg.Content = append(msg.Content, &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: *r}})
		finish = mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER
	}
	for i, tc := range ch.Message.ToolCalls {
		id := tc.ID
		if id == "" {
			id = "call_" + strconv.Itoa(i)
		}
		msg.ToolCalls = append(msg.ToolCalls, &mcpv1.ToolCall{Id: id, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	return &mcpv1.Response{
		Message:      msg,
		FinishReason: finish,
		StopSequence: stopSeq,
		Usage:        usageOf(cr.Usage),
		Metadata:     &mcpv1.ResponseMetadata{Provider: a.name, Model: cr.Model},
	}, nil
}

// mapFinish maps finish_reason per PROVIDER_WIRE_FORMATS.md §6.2. OpenAI's
// "stop" covers stop sequences too; only vLLM says which one matched.
func mapFinish(r string) mcpv1.FinishReason {
	switch r {
	case "stop", "end_turn":
		return mcpv1.FinishReason_FINISH_REASON_STOP
	case "length", "model_length", "max_tokens":
		return mcpv1.FinishReason_FINISH_REASON_LENGTH
	case "tool_calls", "function_call":
		return mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS
	case "content_filter":
		return mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER
	case "error":
		return mcpv1.FinishReason_FINISH_REASON_ERROR
	case "":
		return mcpv1.FinishReason_FINISH_REASON_UNSPECIFIED
	}
	return mcpv1.FinishReason_FINISH_REASON_OTHER
}

// stopString is vLLM's stop_reason when it is the matched stop string (it
// is a token id or null otherwise).
func stopString(raw json.RawMessage) string {
	if len(raw) < 2 || raw[0] != '"' {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// usageOf maps usage per §6.5: prompt_tokens already include cached
// tokens and completion_tokens include reasoning tokens.
func usageOf(u *wireUsage) *mcpv1.Usage {
	if u == nil {
		return nil
	}
	out := &mcpv1.Usage{
		InputTokens:  u.PromptTokens,
		OutputTokens: u.CompletionTokens,
		TotalTokens:  u.PromptTokens + u.CompletionTokens,
	}
	if d := u.PromptTokensDetails; d != nil {
		out.CachedInputTokens = d.CachedTokens
		out.CacheWriteTokens = d.CacheWriteTokens
	}
	if out.CachedInputTokens == 0 {
		out.CachedInputTokens = u.PromptCacheHitTokens
	}
	if d := u.CompletionTokensDetails; d != nil {
		out.ReasoningTokens = d.ReasoningTokens
	}
	return out
}
