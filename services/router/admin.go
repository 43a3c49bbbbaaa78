package router

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/router/demo"
)

// Namespaces of the catalog in the document store.
const (
	nsProviders = "router.providers"
	nsModels    = "router.models"
	nsRoutes    = "router.routes"
)

// watchInterval is how often a router polls the change feed; with it,
// catalog changes reach every replica well within a second.
const watchInterval = 200 * time.Millisecond

// Attach makes the document store the catalog's home: the configuration's
// providers, models and routes are written to it, the catalog is loaded from
// it, and changes made by any replica are applied until ctx ends.
func (s *Service) Attach(ctx context.Context, docs *storage.Documents) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store = docs
	seq, err := lastSeq(ctx, docs)
	if err != nil {
		return err
	}
	for _, p := range s.cfg.Catalog.Providers {
		if err := s.persist(ctx, nsProviders, p.GetName(), p); err != nil {
			return err
		}
	}
	for _, m := range s.cfg.Catalog.Models {
		if err := s.persist(ctx, nsModels, m.GetName(), m); err != nil {
			return err
		}
	}
	for _, r := range s.cfg.Catalog.Routes {
		if err := s.persist(ctx, nsRoutes, r.GetName(), r); err != nil {
			return err
		}
	}
	if err := s.reload(ctx); err != nil {
		return err
	}
	go s.watch(ctx, seq)
	return nil
}

// lastSeq is the newest change sequence in the feed.
func lastSeq(ctx context.Context, docs *storage.Documents) (int64, error) {
	var seq int64
	for {
		changes, err := docs.Changes(ctx, seq, 1000)
		if err != nil {
			return 0, fmt.Errorf("read change feed: %w", err)
		}
		if len(changes) == 0 {
			return seq, nil
		}
		seq = changes[len(changes)-1].Seq
	}
}

// watch reloads the catalog whenever the change feed shows a catalog change.
func (s *Service) watch(ctx context.Context, seq int64) {
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		changes, err := s.store.Changes(ctx, seq, 1000)
		if err != nil {
			if ctx.Err() == nil {
				s.logger.Warn("router: read change feed", "err", err)
			}
			continue
		}
		relevant := false
		for _, c := range changes {
			seq = c.Seq
			relevant = relevant || strings.HasPrefix(c.Namespace, "router.")
		}
		if !relevant {
			continue
		}
		s.mu.Lock()
		if err := s.reload(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("router: reload catalog", "err", err)
		}
		s.mu.Unlock()
	}
}

// reload rebuilds the catalog from the store. s.mu must be held.
func (s *Service) reload(ctx context.Context) error {
	spec := Spec{Credentials: s.cfg.Catalog.Credentials}
	load := func(ns string, newMsg func() proto.Message, add func(proto.Message)) error {
		docs, err := s.store.List(ctx, ns)
		if err != nil {
			return fmt.Errorf("load %s: %w", ns, err)
		}
		for _, d := range docs {
			m := newMsg()
			if err := protojson.Unmarshal(d.Value, m); err != nil {
				return fmt.Errorf("load %s/%s: %w", ns, d.Key, err)
			}
			add(m)
		}
		return nil
	}
	if err := load(nsProviders, func() proto.Message { return &routerv1.Provider{} }, func(m proto.Message) {
		spec.Providers = append(spec.Providers, m.(*routerv1.Provider))
	}); err != nil {
		return err
	}
	if err := load(nsModels, func() proto.Message { return &routerv1.Model{} }, func(m proto.Message) {
		spec.Models = append(spec.Models, m.(*routerv1.Model))
	}); err != nil {
		return err
	}
	if err := load(nsRoutes, func() proto.Message { return &routerv1.Route{} }, func(m proto.Message) {
		spec.Routes = append(spec.Routes, m.(*routerv1.Route))
	}); err != nil {
		return err
	}
	return s.apply(spec)
}

func (s *Service) persist(ctx context.Context, ns, key string, m proto.Message) error {
	if s.store == nil {
		return nil
	}
	b, err := protojson.Marshal(m)
	if err != nil {
		return apierror.Internal(err)
	}
	if _, err := s.store.Put(ctx, ns, key, b, storage.ExpectAny); err != nil {
		return apierror.Internal(fmt.Errorf("store %s/%s: %w", ns, key, err))
	}
	return nil
}

func (s *Service) remove(ctx context.Context, ns, key string) error {
	if s.store == nil {
		return nil
	}
	err := s.store.Delete(ctx, ns, key, storage.ExpectAny)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return apierror.Internal(fmt.Errorf("delete %s/%s: %w", ns, key, err))
	}
	return nil
}

// change applies an edit to a copy of the current spec, checks the result
// builds, then persists it and installs it.
func (s *Service) change(ctx context.Context, edit func(spec *Spec) error, save func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	spec := Spec{
		Providers:   append([]*routerv1.Provider(nil), s.spec.Providers...),
		Models:      append([]*routerv1.Model(nil), s.spec.Models...),
		Routes:      append([]*routerv1.Route(nil), s.spec.Routes...),
		Credentials: s.spec.Credentials,
	}
	if err := edit(&spec); err != nil {
		return err
	}
	if _, err := buildCatalog(spec, s.client, s.cfg.DemoTokenDelay); err != nil {
		return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "%v", err)
	}
	if err := save(); err != nil {
		return err
	}
	return s.apply(spec)
}

func upsert[T interface{ GetName() string }](list []T, v T) []T {
	for i, x := range list {
		if x.GetName() == v.GetName() {
			list[i] = v
			return list
		}
	}
	return append(list, v)
}

func without[T interface{ GetName() string }](list []T, name string) ([]T, bool) {
	for i, x := range list {
		if x.GetName() == name {
			return append(list[:i:i], list[i+1:]...), true
		}
	}
	return list, false
}

func notFound(kind, name string) error {
	return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "%s %q not found", kind, name)
}

func reserved(kind, name string) error {
	if name == demo.Model {
		return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "%s %q is built in and cannot be changed", kind, name)
	}
	return nil
}

// PutProvider creates or replaces a provider.
func (s *Service) PutProvider(ctx context.Context, req *connect.Request[routerv1.PutProviderRequest]) (*connect.Response[routerv1.PutProviderResponse], error) {
	p := req.Msg.GetProvider()
	if err := reserved("provider", p.GetName()); err != nil {
		return nil, err
	}
	err := s.change(ctx, func(spec *Spec) error { spec.Providers = upsert(spec.Providers, p); return nil },
		func() error { return s.persist(ctx, nsProviders, p.GetName(), p) })
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&routerv1.PutProviderResponse{Provider: p}), nil
}

// GetProvider returns one provider.
func (s *Service) GetProvider(_ context.Context, req *connect.Request[routerv1.GetProviderRequest]) (*connect.Response[routerv1.GetProviderResponse], error) {
	e, ok := s.cat.Load().providers[req.Msg.GetName()]
	if !ok {
		return nil, notFound("provider", req.Msg.GetName())
	}
	return connect.NewResponse(&routerv1.GetProviderResponse{Provider: e.cfg}), nil
}

// ListProviders lists providers by name.
func (s *Service) ListProviders(context.Context, *connect.Request[routerv1.ListProvidersRequest]) (*connect.Response[routerv1.ListProvidersResponse], error) {
	res := &routerv1.ListProvidersResponse{}
	for _, e := range s.cat.Load().providers {
		res.Providers = append(res.Providers, e.cfg)
	}
	sort.Slice(res.Providers, func(i, j int) bool { return res.Providers[i].GetName() < res.Providers[j].GetName() })
	return connect.NewResponse(res), nil
}

// DeleteProvider removes a provider no model uses.
func (s *Service) DeleteProvider(ctx context.Context, req *connect.Request[routerv1.DeleteProviderRequest]) (*connect.Response[routerv1.DeleteProviderResponse], error) {
	name := req.Msg.GetName()
	if err := reserved("provider", name); err != nil {
		return nil, err
	}
	err := s.change(ctx, func(spec *Spec) error {
		var ok bool
		if spec.Providers, ok = without(spec.Providers, name); !ok {
			return notFound("provider", name)
		}
		return nil
	}, func() error { return s.remove(ctx, nsProviders, name) })
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&routerv1.DeleteProviderResponse{}), nil
}

// PutModel creates or replaces a catalog model.
func (s *Service) PutModel(ctx context.Context, req *connect.Request[routerv1.PutModelRequest]) (*connect.Response[routerv1.PutModelResponse], error) {
	m := req.Msg.GetModel()
	if err := reserved("model", m.GetName()); err != nil {
		return nil, err
	}
	err := s.change(ctx, func(spec *Spec) error { spec.Models = upsert(spec.Models, m); return nil },
		func() error { return s.persist(ctx, nsModels, m.GetName(), m) })
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&routerv1.PutModelResponse{Model: m}), nil
}

// DeleteModel removes a catalog model no route uses.
func (s *Service) DeleteModel(ctx context.Context, req *connect.Request[routerv1.DeleteModelRequest]) (*connect.Response[routerv1.DeleteModelResponse], error) {
	name := req.Msg.GetName()
	if err := reserved("model", name); err != nil {
		return nil, err
	}
	err := s.change(ctx, func(spec *Spec) error {
		var ok bool
		if spec.Models, ok = without(spec.Models, name); !ok {
			return notFound("model", name)
		}
		return nil
	}, func() error { return s.remove(ctx, nsModels, name) })
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&routerv1.DeleteModelResponse{}), nil
}

// PutRoute creates or replaces a route.
func (s *Service) PutRoute(ctx context.Context, req *connect.Request[routerv1.PutRouteRequest]) (*connect.Response[routerv1.PutRouteResponse], error) {
	r := proto.Clone(req.Msg.GetRoute()).(*routerv1.Route)
	r.UpdatedAt = timestamppb.New(s.now())
	err := s.change(ctx, func(spec *Spec) error { spec.Routes = upsert(spec.Routes, r); return nil },
		func() error { return s.persist(ctx, nsRoutes, r.GetName(), r) })
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&routerv1.PutRouteResponse{Route: r}), nil
}

// GetRoute returns one route.
func (s *Service) GetRoute(_ context.Context, req *connect.Request[routerv1.GetRouteRequest]) (*connect.Response[routerv1.GetRouteResponse], error) {
	r, ok := s.cat.Load().routes[req.Msg.GetName()]
	if !ok {
		return nil, notFound("route", req.Msg.GetName())
	}
	return connect.NewResponse(&routerv1.GetRouteResponse{Route: r}), nil
}

// ListRoutes lists routes by name.
func (s *Service) ListRoutes(context.Context, *connect.Request[routerv1.ListRoutesRequest]) (*connect.Response[routerv1.ListRoutesResponse], error) {
	res := &routerv1.ListRoutesResponse{}
	for _, r := range s.cat.Load().routes {
		res.Routes = append(res.Routes, r)
	}
	sort.Slice(res.Routes, func(i, j int) bool { return res.Routes[i].GetName() < res.Routes[j].GetName() })
	return connect.NewResponse(res), nil
}

// DeleteRoute removes a route.
func (s *Service) DeleteRoute(ctx context.Context, req *connect.Request[routerv1.DeleteRouteRequest]) (*connect.Response[routerv1.DeleteRouteResponse], error) {
	name := req.Msg.GetName()
	err := s.change(ctx, func(spec *Spec) error {
		var ok bool
		if spec.Routes, ok = without(spec.Routes, name); !ok {
			return notFound("route", name)
		}
		return nil
	}, func() error { return s.remove(ctx, nsRoutes, name) })
	if err != nil {
		return nil, err
	}
	s.cache.purge(name)
	return connect.NewResponse(&routerv1.DeleteRouteResponse{}), nil
}

// GetTargetHealth reports breaker and latency state on this replica.
func (s *Service) GetTargetHealth(_ context.Context, req *connect.Request[routerv1.GetTargetHealthRequest]) (*connect.Response[routerv1.GetTargetHealthResponse], error) {
	c := s.cat.Load()
	res := &routerv1.GetTargetHealthResponse{}
	names := make([]string, 0, len(c.routes))
	for name := range c.routes {
		if req.Msg.GetRoute() == "" || req.Msg.GetRoute() == name {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	now := s.now()
	for _, name := range names {
		for _, t := range c.routes[name].GetTargets() {
			failures, open, avg := s.states.get(name + "|" + t.GetModel()).health(now)
			res.Targets = append(res.Targets, &routerv1.TargetHealth{
				Route: name, Model: t.GetModel(), CircuitOpen: open, ConsecutiveFailures: failures, AverageLatency: durationpb.New(avg),
			})
		}
	}
	return connect.NewResponse(res), nil
}

// PurgeCache empties the response cache, or one route's part.
func (s *Service) PurgeCache(_ context.Context, req *connect.Request[routerv1.PurgeCacheRequest]) (*connect.Response[routerv1.PurgeCacheResponse], error) {
	return connect.NewResponse(&routerv1.PurgeCacheResponse{Entries: s.cache.purge(req.Msg.GetRoute())}), nil
}
