// Package router is the data plane: it takes standard requests, picks a
// provider for the requested model and returns or streams the answer.
package router

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sort"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/demo"
)

// Provider is an upstream that answers standard requests.
type Provider interface {
	// Generate returns the complete answer.
	Generate(ctx context.Context, req *mcpv1.Request) (*mcpv1.Response, error)
	// Stream emits text and tool-call deltas and usage, and returns how
	// generation finished. The router adds the start and finish events.
	Stream(ctx context.Context, req *mcpv1.Request, emit func(*mcpv1.StreamEvent) error) (mcpv1.FinishReason, string, error)
}

// target is a catalog model bound to the provider that serves it.
type target struct {
	model        *routerv1.Model
	providerName string
	provider     Provider
}

// Service implements RouterService.
type Service struct {
	routerv1connect.UnimplementedRouterServiceHandler
	logger *slog.Logger
	now    func() time.Time
	models map[string]target
}

// New returns a router serving the built-in demo model.
func New(cfg Config, logger *slog.Logger) *Service {
	s := &Service{logger: logger, now: time.Now, models: map[string]target{}}
	s.models[demo.Model] = target{
		model: &routerv1.Model{
			Name: demo.Model, Provider: "demo", UpstreamModel: demo.Model,
			ContextWindow: 32768, MaxOutputTokens: 4096,
			Capabilities: []routerv1.Capability{
				routerv1.Capability_CAPABILITY_TOOLS, routerv1.Capability_CAPABILITY_STREAMING,
				routerv1.Capability_CAPABILITY_JSON_OBJECT, routerv1.Capability_CAPABILITY_JSON_SCHEMA,
			},
			Prices: &routerv1.Prices{},
		},
		providerName: "demo",
		provider:     &demo.Provider{TokenDelay: cfg.DemoTokenDelay},
	}
	return s
}

func (s *Service) resolve(req *mcpv1.Request) (target, error) {
	name := req.GetModel()
	if name == "" {
		return target{}, apierror.Invalid("request.model", "model is required")
	}
	t, ok := s.models[name]
	if !ok {
		e := apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "model %q does not exist or you do not have access to it", name)
		e.Field = "request.model"
		return target{}, e
	}
	return t, nil
}

// Generate answers in one response.
func (s *Service) Generate(ctx context.Context, req *connect.Request[routerv1.GenerateRequest]) (*connect.Response[routerv1.GenerateResponse], error) {
	start := s.now()
	r := req.Msg.GetRequest()
	t, err := s.resolve(r)
	if err != nil {
		return nil, err
	}
	res, err := t.provider.Generate(ctx, r)
	latency := s.now().Sub(start)
	if err != nil {
		return nil, err
	}
	res.Id = newCallID()
	res.Metadata = s.metadata(r, t, start, latency, latency)
	return connect.NewResponse(&routerv1.GenerateResponse{Response: res}), nil
}

// GenerateStream answers as a stream of events. Errors before the first
// event are Connect errors; after it, an error event ends the stream.
func (s *Service) GenerateStream(ctx context.Context, req *connect.Request[routerv1.GenerateStreamRequest], stream *connect.ServerStream[routerv1.GenerateStreamResponse]) error {
	start := s.now()
	r := req.Msg.GetRequest()
	t, err := s.resolve(r)
	if err != nil {
		return err
	}
	send := func(ev *mcpv1.StreamEvent) error {
		return stream.Send(&routerv1.GenerateStreamResponse{Event: ev})
	}
	id := newCallID()
	if err := send(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_Start{Start: &mcpv1.StreamStart{
		Id: id, Model: t.model.GetUpstreamModel(), Provider: t.providerName, CreatedAt: timestamppb.New(start),
	}}}); err != nil {
		return err
	}
	var ttft time.Duration
	finish, stopSeq, err := t.provider.Stream(ctx, r, func(ev *mcpv1.StreamEvent) error {
		if ttft == 0 {
			ttft = s.now().Sub(start)
		}
		return send(ev)
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		detail := apierror.Detail(err)
		detail.CallId = id
		return send(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_Error{Error: detail}})
	}
	return send(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_Finish{Finish: &mcpv1.StreamFinish{
		FinishReason: finish, StopSequence: stopSeq, Metadata: s.metadata(r, t, start, ttft, s.now().Sub(start)),
	}}})
}

// CountTokens estimates input tokens locally.
func (s *Service) CountTokens(_ context.Context, req *connect.Request[routerv1.CountTokensRequest]) (*connect.Response[routerv1.CountTokensResponse], error) {
	r := req.Msg.GetRequest()
	if _, err := s.resolve(r); err != nil {
		return nil, err
	}
	return connect.NewResponse(&routerv1.CountTokensResponse{InputTokens: demo.CountRequestTokens(r)}), nil
}

// ListModels lists the catalog.
func (s *Service) ListModels(context.Context, *connect.Request[routerv1.ListModelsRequest]) (*connect.Response[routerv1.ListModelsResponse], error) {
	res := &routerv1.ListModelsResponse{}
	for _, t := range s.models {
		res.Models = append(res.Models, t.model)
	}
	sort.Slice(res.Models, func(i, j int) bool { return res.Models[i].GetName() < res.Models[j].GetName() })
	return connect.NewResponse(res), nil
}

func (s *Service) metadata(r *mcpv1.Request, t target, start time.Time, ttft, latency time.Duration) *mcpv1.ResponseMetadata {
	return &mcpv1.ResponseMetadata{
		Provider:         t.providerName,
		Model:            t.model.GetUpstreamModel(),
		Attempts:         []*mcpv1.Attempt{{Provider: t.providerName, Model: t.model.GetUpstreamModel(), Latency: durationpb.New(latency)}},
		CreatedAt:        timestamppb.New(start),
		TimeToFirstToken: durationpb.New(ttft),
		Latency:          durationpb.New(latency),
		PromptName:       r.GetPrompt().GetName(),
	}
}

// newCallID returns a random call id such as "call_4f0c…".
func newCallID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "call_" + hex.EncodeToString(b[:])
}
