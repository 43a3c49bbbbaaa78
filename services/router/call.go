package router

import (
	"context"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/access"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/pii"
	"github.com/manifoldgw/manifold/services/router/demo"
)

// Use connects the router to the other services: each non-nil hook of h
// replaces the current one. Call it before serving.
func (s *Service) Use(h Hooks) {
	if h.Auth != nil {
		s.hooks.Auth = h.Auth
	}
	if h.Quota != nil {
		s.hooks.Quota = h.Quota
	}
	if h.Audit != nil {
		s.hooks.Audit = h.Audit
	}
	if h.Prompts != nil {
		s.hooks.Prompts = h.Prompts
	}
	if h.Credentials != nil {
		s.hooks.Credentials = h.Credentials
	}
}

// Authenticate resolves a virtual key's secret. Without an authenticator
// every caller is anonymous and allowed.
func (s *Service) Authenticate(ctx context.Context, secret string) (*Caller, error) {
	if s.hooks.Auth == nil {
		return &Caller{}, nil
	}
	return s.hooks.Auth.Authenticate(ctx, secret)
}

type authErrKey struct{}

// checkKey authenticates a virtual key for a client at peer; a client whose
// attempts keep failing waits longer before each new one.
func (s *Service) checkKey(ctx context.Context, secret, peer string) (*Caller, error) {
	client := access.ClientOf(peer)
	if err := s.authFailures.Wait(ctx, client); err != nil {
		return nil, apierror.As(err)
	}
	c, err := s.hooks.Auth.Authenticate(ctx, secret)
	switch {
	case err == nil:
		s.authFailures.Succeed(client)
	case apierror.As(err).Class == mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION && secret != "":
		s.authFailures.Fail(client)
	}
	return c, err
}

// AuthenticateHTTP resolves the virtual key of a request to an HTTP surface
// (OpenAI- and Anthropic-compatible), sent as "Authorization: Bearer <key>"
// or "x-api-key: <key>". The caller, or the reason it was refused, rides in
// the request's context, so each call reports a refusal in its surface's
// own error shape before anything else happens.
func (s *Service) AuthenticateHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.hooks.Auth == nil {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		if c, err := s.checkKey(ctx, SecretFrom(r.Header), r.RemoteAddr); err != nil {
			ctx = context.WithValue(ctx, authErrKey{}, err)
		} else {
			ctx = WithCaller(ctx, c)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// requireCaller refuses a call without an authenticated caller when an
// authenticator is in use.
func (s *Service) requireCaller(ctx context.Context) error {
	if s.hooks.Auth == nil || CallerFrom(ctx) != nil {
		return nil
	}
	if err, ok := ctx.Value(authErrKey{}).(error); ok {
		return err
	}
	return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, "missing API key")
}

// callState is one call from admission to its record.
type callState struct {
	info          CallInfo
	plan          *plan
	ticket        Ticket
	promptName    string
	promptVersion int32
}

// begin authorises, renders, plans and admits a call. It always returns a
// callState so that refused calls are recorded too.
func (s *Service) begin(ctx context.Context, r *mcpv1.Request, surface Surface) (*callState, error) {
	caller := CallerFrom(ctx)
	cs := &callState{info: CallInfo{ID: newCallID(), Surface: surface, Caller: caller, Request: r, Start: s.now(), Trace: trace.SpanContextFromContext(ctx)}}
	if err := s.requireCaller(ctx); err != nil {
		return cs, err
	}
	if r.GetPrompt() != nil {
		if s.hooks.Prompts == nil {
			e := apierror.New(mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED, "prompt references need the prompts service, which is not running")
			e.Field = "request.prompt"
			return cs, e
		}
		rendered, name, version, err := s.hooks.Prompts.Render(ctx, caller, r)
		if err != nil {
			return cs, err
		}
		r, cs.promptName, cs.promptVersion = rendered, name, version
		cs.info.Request = r
	}
	_, p, err := s.plan(r)
	if err != nil {
		return cs, err
	}
	cs.plan = p
	cs.info.Route = p.route.GetName()
	if p.route.GetPiiGuardrail() {
		// The provider sees personal data masked; the caller's message is
		// left as it was.
		r = proto.Clone(r).(*mcpv1.Request)
		pii.MaskMessage(r)
		cs.info.Request = r
	}
	first := p.targets[0]
	cs.info.Model, cs.info.Provider, cs.info.ProviderKind = first.model.GetName(), first.provider.cfg.GetName(), first.provider.cfg.GetKind()
	if err := allowed(caller, r.GetModel(), p); err != nil {
		return cs, err
	}
	cs.info.EstimatedInputTokens = demo.CountRequestTokens(r)
	cs.info.MaxOutputTokens = int64(r.GetSampling().GetMaxOutputTokens())
	if cs.info.MaxOutputTokens == 0 {
		cs.info.MaxOutputTokens = first.model.GetMaxOutputTokens()
	}
	p.tokens = cs.info.EstimatedInputTokens + cs.info.MaxOutputTokens
	if s.hooks.Quota != nil {
		t, err := s.hooks.Quota.Admit(ctx, &cs.info)
		if err != nil {
			return cs, err
		}
		cs.ticket = t
	}
	return cs, nil
}

// allowed checks the caller's scopes: a call through a route against its
// route patterns, a direct model call against its model patterns ('*'
// matches any run of characters). An empty list allows everything.
func allowed(c *Caller, requested string, p *plan) error {
	if c == nil {
		return nil
	}
	if name := p.route.GetName(); name != "" {
		if !scopeAllows(c.Routes, name) {
			return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, "this key may not use route %q", name)
		}
		return nil
	}
	if !scopeAllows(c.Models, requested) {
		return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, "this key may not use model %q", requested)
	}
	return nil
}

// scopeAllows reports whether a key's scope patterns allow name: an empty
// scope allows everything.
func scopeAllows(patterns []string, name string) bool {
	return len(patterns) == 0 || matchAny(patterns, name)
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if glob(p, name) {
			return true
		}
	}
	return false
}

// glob matches name against a pattern whose only special character is '*',
// any run of characters ('/' included, unlike path.Match).
func glob(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(name, mid)
		if i < 0 {
			return false
		}
		name = name[i+len(mid):]
	}
	return strings.HasSuffix(name, parts[len(parts)-1])
}

// end settles the reservation exactly once and hands the record to the
// call log.
func (s *Service) end(cs *callState, res *mcpv1.Response, usage *mcpv1.Usage, md *mcpv1.ResponseMetadata, finish mcpv1.FinishReason, err error) {
	if cs.ticket != nil {
		cs.ticket.Settle(usage)
		cs.ticket = nil
	}
	if s.hooks.Audit != nil {
		s.hooks.Audit.RecordCall(&CallRecord{CallInfo: cs.info, Response: res, Usage: usage, Metadata: md, Err: err, Finish: finish, End: s.now()})
	}
}

// assembler rebuilds a streamed answer for the call log and for billing a
// stream cut short. A nil assembler does nothing.
type assembler struct {
	text  strings.Builder
	calls []*mcpv1.ToolCall
}

func (a *assembler) add(ev *mcpv1.StreamEvent) {
	if a == nil {
		return
	}
	switch e := ev.GetEvent().(type) {
	case *mcpv1.StreamEvent_TextDelta:
		a.text.WriteString(e.TextDelta.GetText())
	case *mcpv1.StreamEvent_ToolCallDelta:
		d := e.ToolCallDelta
		for int(d.GetIndex()) >= len(a.calls) {
			a.calls = append(a.calls, &mcpv1.ToolCall{})
		}
		tc := a.calls[d.GetIndex()]
		if d.GetId() != "" {
			tc.Id = d.GetId()
		}
		if d.GetName() != "" {
			tc.Name = d.GetName()
		}
		tc.Arguments += d.GetArgumentsDelta()
	}
}

func (a *assembler) response(id string, finish mcpv1.FinishReason) *mcpv1.Response {
	if a == nil {
		return nil
	}
	msg := &mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: a.calls}
	if a.text.Len() > 0 {
		msg.Content = []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: a.text.String()}}}
	}
	return &mcpv1.Response{Id: id, Message: msg, FinishReason: finish}
}

// estimate is the usage of a stream that ended without the provider's
// usage: the input estimate and the output streamed so far.
func (a *assembler) estimate(input int64) *mcpv1.Usage {
	u := &mcpv1.Usage{InputTokens: input}
	if a != nil {
		u.OutputTokens = demo.CountTokens(a.text.String())
		for _, tc := range a.calls {
			u.OutputTokens += demo.CountTokens(tc.GetName()) + demo.CountTokens(tc.GetArguments())
		}
	}
	u.TotalTokens = u.InputTokens + u.OutputTokens
	return u
}
