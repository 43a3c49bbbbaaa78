package router

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/trace"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// Caller is the authenticated principal of a data-plane call, resolved from
// a virtual key by the Authenticator (from a local cache; no RPC).
type Caller struct {
	// KeyID is the virtual key's id (never its secret).
	KeyID string
	// Owner, Team and Project own the key, for budgets and reports.
	Owner, Team, Project string
	// Routes, Models and PromptAPIs limit what the key may use, as patterns
	// where '*' matches any run of characters; an empty list allows
	// everything.
	Routes, Models, PromptAPIs []string
	// BudgetIDs and RateLimitIDs link the key to quota.
	BudgetIDs, RateLimitIDs []string
	// Metadata are the key's labels.
	Metadata map[string]string
}

// Authenticator resolves a virtual key's secret to its caller. It returns an
// AUTHENTICATION *apierror.Error for a missing, malformed, revoked or
// expired key. Implementations answer from a local cache kept fresh by the
// key vault's watch stream.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (*Caller, error)
}

// CredentialSource supplies the secrets of provider credentials that the
// configuration names but does not hold (from a local cache of the key
// vault; an RPC only the first time each credential version is used).
type CredentialSource interface {
	// Credential returns a named credential's secret, or false when it is
	// unknown or disabled.
	Credential(ctx context.Context, name string) (provider.Credential, bool)
}

// Operation is the kind of model call.
type Operation string

// Operations.
const (
	OperationGenerate Operation = ""
	OperationEmbed    Operation = "embed"
)

// CallInfo describes a call to the quota and audit hooks.
type CallInfo struct {
	ID string
	// Operation is what the call does: generate (the zero value) or embed.
	Operation Operation
	Surface   Surface
	Caller    *Caller
	Route     string
	// Model is the catalog model that served (or will serve) the call.
	Model    string
	Provider string
	// ProviderKind is the API the provider speaks.
	ProviderKind routerv1.ProviderKind
	// Request is the standard request as routed (after prompt rendering).
	Request *mcpv1.Request
	// EstimatedInputTokens and MaxOutputTokens size the reservation.
	EstimatedInputTokens int64
	MaxOutputTokens      int64
	Start                time.Time
	// Trace is the span of the request that made the call (the caller's
	// trace), the parent of the call's own span.
	Trace trace.SpanContext
}

// Admission enforces budgets and rate limits: Admit reserves the worst case
// before a call goes upstream (from local leases; no RPC per request) and
// returns a Ticket that settles the actual usage exactly once.
type Admission interface {
	Admit(ctx context.Context, call *CallInfo) (Ticket, error)
}

// CredentialLimiter is an Admission that also enforces rate limits per
// provider credential: each upstream attempt on a credential is admitted
// against that credential's limits, so the gateway stays under the
// provider's own limits for the key. A refused attempt moves to another
// credential of the pool or another target, without reaching the provider.
type CredentialLimiter interface {
	AdmitAttempt(ctx context.Context, credential string, tokens int64) (release func(), err error)
}

// Pricer is an Admission that bills at prices of its own (the quota
// service's price catalog): the cost the router reports to the caller and
// the call log is then the cost the call is billed, not the router
// catalog's. Cost returns u's cost when it has no price for model.
type Pricer interface {
	Cost(model string, u *mcpv1.Usage) int64
}

// Ticket is an admitted call's reservation.
type Ticket interface {
	// Settle charges the actual usage (nil usage releases in full).
	Settle(usage *mcpv1.Usage)
}

// Recorder receives the call log: one record per call, handed over without
// blocking the response.
type Recorder interface {
	RecordCall(rec *CallRecord)
}

// CallRecord is what the router knows of a finished call.
type CallRecord struct {
	CallInfo
	Response *mcpv1.Response // complete answer (streams: assembled), nil on failure
	Usage    *mcpv1.Usage
	Metadata *mcpv1.ResponseMetadata
	Err      error // final error, nil on success
	Finish   mcpv1.FinishReason
	End      time.Time
}

// PromptRenderer turns a request's prompt reference into messages (from a
// local cache of the prompt registry; no RPC per request).
type PromptRenderer interface {
	// Render returns the request with the prompt's messages prepended and
	// its defaults (model, sampling, tools, response format) applied where
	// the request leaves them unset, plus the version used.
	Render(ctx context.Context, caller *Caller, r *mcpv1.Request) (rendered *mcpv1.Request, name string, version int32, err error)
}

// Hooks connect the router to the other services. Nil hooks are off:
// no authentication, no quota, no call log, no prompts, credentials from
// the configuration only.
type Hooks struct {
	Auth    Authenticator
	Quota   Admission
	Audit   Recorder
	Prompts PromptRenderer
	// Credentials resolves credentials missing from the configuration.
	Credentials CredentialSource
}

type callerKey struct{}

// WithCaller returns ctx carrying the authenticated caller.
func WithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller carried by ctx, or nil.
func CallerFrom(ctx context.Context) *Caller {
	c, _ := ctx.Value(callerKey{}).(*Caller)
	return c
}
