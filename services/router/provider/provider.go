// Package provider defines what the router needs from an upstream model API.
// Each provider kind lives in a subpackage named after it (openai,
// anthropic, gemini, bedrock, ollama) and translates the Model Context
// Protocol to and from that provider's wire format.
package provider

import (
	"context"
	"net/http"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
)

// Config is one configured provider endpoint.
type Config struct {
	// Name is the provider's configured name, used in errors and metadata.
	Name string
	// BaseURL is the API root, e.g. https://api.openai.com/v1. Adapters
	// default it when empty.
	BaseURL string
	// Headers are sent on every call (never secrets).
	Headers map[string]string
	// APIVersion is Azure OpenAI's api-version.
	APIVersion string
	// Region is the AWS region for Bedrock.
	Region string
	// HTTPClient sends the calls; it pools connections. Adapters use
	// http.DefaultClient when nil.
	HTTPClient *http.Client
}

// Credential is the secret for one call. It is never logged.
type Credential struct {
	// Name identifies the credential (for cool-downs and metadata).
	Name string
	// APIKey is the bearer/API key (OpenAI, Anthropic, Gemini, Ollama).
	APIKey string
	// AccessKeyID, SecretAccessKey and SessionToken sign Bedrock calls.
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// Call is one attempt against a provider.
type Call struct {
	// Request is the validated standard request. Adapters must not modify it.
	Request *mcpv1.Request
	// Model is the provider's own model id (Azure: the deployment).
	Model string
	// Credential authenticates the call.
	Credential Credential
}

// Finish says how a stream ended.
type Finish struct {
	Reason       mcpv1.FinishReason
	StopSequence string
}

// EmbedCall is one embeddings attempt.
type EmbedCall struct {
	Inputs     []*mcpv1.EmbeddingInput
	Dimensions int32
	Model      string
	Credential Credential
}

// EmbedResult is the answer to an EmbedCall.
type EmbedResult struct {
	Embeddings []*mcpv1.Embedding
	Usage      *mcpv1.Usage
}

// Provider is an upstream model API.
//
// Errors must be *apierror.Error values classified by the provider's answer
// (rate limited with RetryAfter, overloaded, context too long, content
// filtered, authentication, invalid request, unavailable, timeout), with
// Provider and UpstreamStatus set, so the router can decide to retry or
// fall back and every surface can report them in its own shape.
type Provider interface {
	// Generate returns the complete answer. Usage counts tokens; the router
	// fills in cost.
	Generate(ctx context.Context, call *Call) (*mcpv1.Response, error)
	// Stream emits TextDelta, ReasoningDelta, ToolCallDelta and Usage events
	// (usage cumulative; the last one is final) and returns how generation
	// finished. It must not emit Start, Finish or Error events: the router
	// does. An error returned after events were emitted ends the caller's
	// stream with an error event; before, the router may fall back.
	Stream(ctx context.Context, call *Call, emit func(*mcpv1.StreamEvent) error) (Finish, error)
	// Embed returns embeddings, or an ERROR_CLASS_UNSUPPORTED error.
	Embed(ctx context.Context, call *EmbedCall) (*EmbedResult, error)
}
