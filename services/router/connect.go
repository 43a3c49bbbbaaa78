package router

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"connectrpc.com/connect"
	"go.opentelemetry.io/otel/trace"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/internal/access"
	"github.com/manifoldgw/manifold/services/router/demo"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// Generate answers in one response (Connect).
func (s *Service) Generate(ctx context.Context, req *connect.Request[routerv1.GenerateRequest]) (*connect.Response[routerv1.GenerateResponse], error) {
	ctx = s.identify(ctx, req.Header(), req.Peer().Addr)
	res, err := s.Do(ctx, req.Msg.GetRequest(), connectSurface(req.Msg.GetRequest()))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&routerv1.GenerateResponse{Response: res}), nil
}

// GenerateStream answers as a stream of events (Connect). Errors before the
// first event are Connect errors; after it, an error event ends the stream.
func (s *Service) GenerateStream(ctx context.Context, req *connect.Request[routerv1.GenerateStreamRequest], stream *connect.ServerStream[routerv1.GenerateStreamResponse]) error {
	ctx = s.identify(ctx, req.Header(), req.Peer().Addr)
	return s.DoStream(ctx, req.Msg.GetRequest(), connectSurface(req.Msg.GetRequest()), func(ev *mcpv1.StreamEvent) error {
		return stream.Send(&routerv1.GenerateStreamResponse{Event: ev})
	})
}

// Embed embeds texts (Connect).
func (s *Service) Embed(ctx context.Context, req *connect.Request[routerv1.EmbedRequest]) (*connect.Response[routerv1.EmbedResponse], error) {
	ctx, err := s.authenticate(ctx, req.Header(), req.Peer().Addr)
	if err != nil {
		return nil, err
	}
	res, err := s.DoEmbed(ctx, req.Msg, SurfaceConnect)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(res), nil
}

// connectSurface is the surface of a Connect call: the workflow surface
// for the model calls of workflow runs, which tag their requests with the
// run's id (metadata "run_id").
func connectSurface(r *mcpv1.Request) Surface {
	if r.GetOptions().GetMetadata()["run_id"] != "" {
		return SurfaceWorkflow
	}
	return SurfaceConnect
}

// identify resolves the virtual key of a model call like AuthenticateHTTP:
// the caller, or why it was refused, rides in the context, so that the
// call reports (and the call log records) a refusal.
func (s *Service) identify(ctx context.Context, h http.Header, peer string) context.Context {
	if s.hooks.Auth == nil {
		return ctx
	}
	c, err := s.checkKey(ctx, SecretFrom(h), peer)
	if err != nil {
		return context.WithValue(ctx, authErrKey{}, err)
	}
	return WithCaller(ctx, c)
}

// authenticate resolves the virtual key of a Connect call, sent as
// "Authorization: Bearer <key>" or "x-api-key: <key>".
func (s *Service) authenticate(ctx context.Context, h http.Header, peer string) (context.Context, error) {
	if s.hooks.Auth == nil {
		return ctx, nil
	}
	c, err := s.checkKey(ctx, SecretFrom(h), peer)
	if err != nil {
		return ctx, err
	}
	return WithCaller(ctx, c), nil
}

// SecretFrom reads a virtual key from request headers: Authorization
// (Bearer) first, then x-api-key (the Anthropic SDKs' header).
func SecretFrom(h http.Header) string {
	if v := h.Get("Authorization"); v != "" {
		if after, ok := strings.CutPrefix(v, "Bearer "); ok {
			return strings.TrimSpace(after)
		}
		return ""
	}
	return strings.TrimSpace(h.Get("X-Api-Key"))
}

// DoEmbed embeds a validated request's inputs through its route: the
// caller's scopes and quota apply, and the call is recorded like a
// generation.
func (s *Service) DoEmbed(ctx context.Context, req *routerv1.EmbedRequest, surface Surface) (*routerv1.EmbedResponse, error) {
	r := &mcpv1.Request{Model: req.GetModel()}
	cs := &callState{info: CallInfo{ID: newCallID(), Operation: OperationEmbed, Surface: surface, Caller: CallerFrom(ctx),
		Request: r, Start: s.now(), Trace: trace.SpanContextFromContext(ctx)}}
	res, md, err := s.embed(ctx, cs, req)
	var usage *mcpv1.Usage
	if res != nil {
		usage = res.Usage
	}
	s.end(cs, nil, usage, md, mcpv1.FinishReason_FINISH_REASON_UNSPECIFIED, err)
	if err != nil {
		return nil, err
	}
	return &routerv1.EmbedResponse{Embeddings: res.Embeddings, Usage: res.Usage, Metadata: md}, nil
}

func (s *Service) embed(ctx context.Context, cs *callState, req *routerv1.EmbedRequest) (*provider.EmbedResult, *mcpv1.ResponseMetadata, error) {
	if err := s.requireCaller(ctx); err != nil {
		return nil, nil, err
	}
	_, p, err := s.plan(cs.info.Request)
	if err != nil {
		return nil, nil, err
	}
	if p.targets, err = capable(p.targets, routerv1.Capability_CAPABILITY_EMBEDDINGS); err != nil {
		return nil, nil, err
	}
	cs.plan = p
	first := p.targets[0]
	cs.info.Route = p.route.GetName()
	cs.info.Model, cs.info.Provider, cs.info.ProviderKind = first.model.GetName(), first.provider.cfg.GetName(), first.provider.cfg.GetKind()
	if err := allowed(cs.info.Caller, req.GetModel(), p); err != nil {
		return nil, nil, err
	}
	for _, in := range req.GetInputs() {
		cs.info.EstimatedInputTokens += demo.CountTokens(in.GetText()) + int64(len(in.GetTokens().GetIds()))
	}
	p.tokens = cs.info.EstimatedInputTokens
	if s.hooks.Quota != nil {
		t, err := s.hooks.Quota.Admit(ctx, &cs.info)
		if err != nil {
			return nil, nil, err
		}
		cs.ticket = t
	}
	var res *provider.EmbedResult
	bt, attempts, err := s.run(ctx, p, &mcpv1.Request{}, false, func(ctx context.Context, bt *boundTarget, call *provider.Call, _ func()) (bool, error) {
		var err error
		res, err = bt.provider.impl.Embed(ctx, &provider.EmbedCall{
			Inputs: req.GetInputs(), Dimensions: req.GetDimensions(), Model: call.Model, Credential: call.Credential,
		})
		return false, err
	})
	if err != nil {
		return nil, &mcpv1.ResponseMetadata{Route: cs.info.Route, Attempts: attempts}, err
	}
	if res.Usage == nil {
		res.Usage = &mcpv1.Usage{}
	}
	s.bill(cs, bt, res.Usage)
	latency := s.now().Sub(cs.info.Start)
	return res, s.metadata(cs, bt, attempts, latency, latency), nil
}

// CountTokens estimates input tokens (Connect).
func (s *Service) CountTokens(_ context.Context, req *connect.Request[routerv1.CountTokensRequest]) (*connect.Response[routerv1.CountTokensResponse], error) {
	n, err := s.CountRequestTokens(req.Msg.GetRequest())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&routerv1.CountTokensResponse{InputTokens: n}), nil
}

// CountRequestTokens estimates a request's input tokens locally, after
// checking its model or route exists.
func (s *Service) CountRequestTokens(r *mcpv1.Request) (int64, error) {
	if _, err := s.cat.Load().resolve(r.GetModel()); err != nil {
		return 0, err
	}
	return demo.CountRequestTokens(r), nil
}

// ListModels lists the catalog models and route aliases the caller may use
// (Connect): a virtual key sees those its scopes allow, an admin (the guard
// put its principal in the context) the whole catalog.
func (s *Service) ListModels(ctx context.Context, req *connect.Request[routerv1.ListModelsRequest]) (*connect.Response[routerv1.ListModelsResponse], error) {
	var caller *Caller
	if access.PrincipalFrom(ctx) == nil {
		var err error
		if ctx, err = s.authenticate(ctx, req.Header(), req.Peer().Addr); err != nil {
			return nil, err
		}
		caller = CallerFrom(ctx)
	}
	res := &routerv1.ListModelsResponse{Models: visibleModels(s.Models(), caller)}
	for name := range s.cat.Load().routes {
		if caller == nil || scopeAllows(caller.Routes, name) {
			res.Routes = append(res.Routes, name)
		}
	}
	sort.Strings(res.Routes)
	return connect.NewResponse(res), nil
}

// ModelsFor lists the catalog models the caller of an HTTP surface may call
// directly (all of them without authentication), or why it was refused.
func (s *Service) ModelsFor(ctx context.Context) ([]*routerv1.Model, error) {
	if err := s.requireCaller(ctx); err != nil {
		return nil, err
	}
	return visibleModels(s.Models(), CallerFrom(ctx)), nil
}

// visibleModels keeps the models c's scopes allow (all for no caller or no
// model scopes).
func visibleModels(models []*routerv1.Model, c *Caller) []*routerv1.Model {
	if c == nil {
		return models
	}
	out := models[:0]
	for _, m := range models {
		if scopeAllows(c.Models, m.GetName()) {
			out = append(out, m)
		}
	}
	return out
}

// Models lists the catalog's models by name.
func (s *Service) Models() []*routerv1.Model {
	c := s.cat.Load()
	out := make([]*routerv1.Model, 0, len(c.models))
	for _, m := range c.models {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out
}
