package workflows

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/storage"
)

// saveChain writes a chain document, compare-and-swap on version.
func (s *Service) saveChain(ctx context.Context, c *workflowsv1.Chain, version int64) error {
	b, err := protojson.Marshal(c)
	if err != nil {
		return apierror.Internal(err)
	}
	if _, err := s.docs.Put(ctx, nsChains, c.GetName(), b, version); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "chain %q changed concurrently; retry", c.GetName())
		}
		return apierror.Internal(err)
	}
	return nil
}

// SetChainLabel points a label at an existing version.
func (s *Service) SetChainLabel(ctx context.Context, req *connect.Request[workflowsv1.SetChainLabelRequest]) (*connect.Response[workflowsv1.SetChainLabelResponse], error) {
	m := req.Msg
	who, err := s.principal(ctx, req.Header(), false)
	if err != nil {
		return nil, err
	}
	c, version, err := s.loadChain(ctx, m.GetName())
	if err != nil {
		return nil, err
	}
	if _, err := s.loadVersion(ctx, m.GetName(), m.GetVersion()); err != nil {
		return nil, err
	}
	now := timestamppb.New(time.Now())
	l := &workflowsv1.ChainLabel{Name: m.GetLabel(), Version: m.GetVersion(), UpdatedBy: who.name, UpdatedAt: now}
	c.Labels = slices.DeleteFunc(c.Labels, func(x *workflowsv1.ChainLabel) bool { return x.GetName() == m.GetLabel() })
	c.Labels = append(c.Labels, l)
	sort.Slice(c.Labels, func(i, j int) bool { return c.Labels[i].GetName() < c.Labels[j].GetName() })
	c.UpdatedAt = now
	if err := s.saveChain(ctx, c, version); err != nil {
		return nil, err
	}
	return connect.NewResponse(&workflowsv1.SetChainLabelResponse{Label: l}), nil
}

// DeleteChainLabel removes a label; removing a missing one is a no-op.
func (s *Service) DeleteChainLabel(ctx context.Context, req *connect.Request[workflowsv1.DeleteChainLabelRequest]) (*connect.Response[workflowsv1.DeleteChainLabelResponse], error) {
	c, version, err := s.loadChain(ctx, req.Msg.GetName())
	if err != nil {
		return nil, err
	}
	n := len(c.Labels)
	c.Labels = slices.DeleteFunc(c.Labels, func(x *workflowsv1.ChainLabel) bool { return x.GetName() == req.Msg.GetLabel() })
	if len(c.Labels) != n {
		c.UpdatedAt = timestamppb.Now()
		if err := s.saveChain(ctx, c, version); err != nil {
			return nil, err
		}
	}
	return connect.NewResponse(&workflowsv1.DeleteChainLabelResponse{}), nil
}

// DeleteChain deletes a chain and its versions. Runs keep the spec they
// pinned (it is in their workflow's input), so runs in progress finish.
func (s *Service) DeleteChain(ctx context.Context, req *connect.Request[workflowsv1.DeleteChainRequest]) (*connect.Response[workflowsv1.DeleteChainResponse], error) {
	name := req.Msg.GetName()
	if _, _, err := s.loadChain(ctx, name); err != nil {
		return nil, err
	}
	if err := s.docs.Delete(ctx, nsChains, name, storage.ExpectAny); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, apierror.Internal(err)
	}
	docs, err := s.docs.List(ctx, nsVersions)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	for _, d := range docs {
		if strings.HasPrefix(d.Key, name+"/") {
			if err := s.docs.Delete(ctx, nsVersions, d.Key, storage.ExpectAny); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return nil, apierror.Internal(err)
			}
		}
	}
	return connect.NewResponse(&workflowsv1.DeleteChainResponse{}), nil
}
