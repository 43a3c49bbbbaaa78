package prompts

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/services/internal/access"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/prompts/openapi"
	"github.com/manifoldgw/manifold/services/prompts/store"
	"github.com/manifoldgw/manifold/services/prompts/template"
)

// defaultLabel is what a reference without a label or version resolves.
const defaultLabel = "production"

func pageSize(n int32) int {
	if n <= 0 {
		return 100
	}
	return int(n)
}

func encodeToken(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeToken(t string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil {
		return "", apierror.Invalid("page_token", "invalid page token")
	}
	return string(b), nil
}

// CreatePrompt creates a prompt and its version 1.
func (s *Service) CreatePrompt(ctx context.Context, req *connect.Request[promptsv1.CreatePromptRequest]) (*connect.Response[promptsv1.CreatePromptResponse], error) {
	m := req.Msg
	if err := template.CheckTemplate(m.GetTemplate()); err != nil {
		return nil, err
	}
	p, v, err := s.store.CreatePrompt(ctx, m.GetName(), m.GetDescription(), store.NewVersion{
		Template: m.GetTemplate(), Author: access.Author(ctx), Message: m.GetMessage(), Labels: m.GetLabels(),
	})
	if err != nil {
		return nil, storeError(err, fmt.Sprintf("prompt %q", m.GetName()))
	}
	return connect.NewResponse(&promptsv1.CreatePromptResponse{Prompt: p, Version: v}), nil
}

// UpdatePrompt creates the next version.
func (s *Service) UpdatePrompt(ctx context.Context, req *connect.Request[promptsv1.UpdatePromptRequest]) (*connect.Response[promptsv1.UpdatePromptResponse], error) {
	m := req.Msg
	paths := m.GetUpdateMask().GetPaths()
	for _, p := range paths {
		if err := checkPath(p); err != nil {
			return nil, err
		}
	}
	build := func(base *promptsv1.PromptTemplate) (*promptsv1.PromptTemplate, error) {
		next := m.GetTemplate()
		if len(paths) > 0 {
			next = proto.Clone(base).(*promptsv1.PromptTemplate)
			for _, p := range paths {
				copyPath(next.ProtoReflect(), m.GetTemplate().ProtoReflect(), strings.Split(p, "."))
			}
		}
		if len(next.GetMessages()) == 0 {
			return nil, apierror.Invalid("template.messages", "a template needs at least one message")
		}
		if err := template.CheckTemplate(next); err != nil {
			return nil, err
		}
		return next, nil
	}
	var desc *string
	if m.Description != nil {
		desc = m.Description
	}
	p, v, unchanged, err := s.store.AddVersion(ctx, m.GetName(), m.GetBaseVersion(), desc, store.NewVersion{
		Author: access.Author(ctx), Message: m.GetMessage(), Labels: m.GetLabels(),
	}, build)
	if err != nil {
		return nil, storeError(err, fmt.Sprintf("prompt %q", m.GetName()))
	}
	return connect.NewResponse(&promptsv1.UpdatePromptResponse{Prompt: p, Version: v, Unchanged: unchanged}), nil
}

// checkPath refuses an update_mask path that names no template field.
func checkPath(p string) error {
	md := (&promptsv1.PromptTemplate{}).ProtoReflect().Descriptor()
	parts := strings.Split(p, ".")
	for i, name := range parts {
		if md == nil {
			return apierror.Invalid("update_mask", "unknown template field %q", p)
		}
		fd := md.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return apierror.Invalid("update_mask", "unknown template field %q", p)
		}
		if i < len(parts)-1 {
			if fd.IsList() || fd.IsMap() {
				return apierror.Invalid("update_mask", "cannot descend into %q", p)
			}
			md = fd.Message()
		}
	}
	return nil
}

// copyPath sets dst's field at path to src's (clearing it when src's is
// unset), creating parent messages as needed.
func copyPath(dst, src protoreflect.Message, path []string) {
	fd := dst.Descriptor().Fields().ByName(protoreflect.Name(path[0]))
	if len(path) == 1 {
		if src.Has(fd) {
			dst.Set(fd, src.Get(fd))
		} else {
			dst.Clear(fd)
		}
		return
	}
	copyPath(dst.Mutable(fd).Message(), src.Get(fd).Message(), path[1:])
}

// GetPrompt returns a prompt and one version.
func (s *Service) GetPrompt(ctx context.Context, req *connect.Request[promptsv1.GetPromptRequest]) (*connect.Response[promptsv1.GetPromptResponse], error) {
	m := req.Msg
	p, err := s.store.GetPrompt(ctx, m.GetName())
	if err != nil {
		return nil, storeError(err, fmt.Sprintf("prompt %q", m.GetName()))
	}
	var version int32
	switch sel := m.GetSelector().(type) {
	case *promptsv1.GetPromptRequest_Version:
		version = sel.Version
	case *promptsv1.GetPromptRequest_Latest:
		version = p.GetLatestVersion()
	case *promptsv1.GetPromptRequest_Label:
		l, err := findLabel(p, sel.Label)
		if err != nil {
			return nil, err
		}
		version = l.GetTargets()[0].GetVersion()
	default:
		l, err := findLabel(p, defaultLabel)
		if err != nil {
			return nil, err
		}
		version = l.GetTargets()[0].GetVersion()
	}
	v, err := s.store.GetVersion(ctx, m.GetName(), version)
	if err != nil {
		return nil, storeError(err, fmt.Sprintf("version %d of prompt %q", version, m.GetName()))
	}
	return connect.NewResponse(&promptsv1.GetPromptResponse{Prompt: p, Version: v}), nil
}

func findLabel(p *promptsv1.Prompt, name string) (*promptsv1.Label, error) {
	for _, l := range p.GetLabels() {
		if l.GetName() == name && len(l.GetTargets()) > 0 {
			return l, nil
		}
	}
	return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "prompt %q has no label %q", p.GetName(), name)
}

// ListPrompts pages through prompts by name.
func (s *Service) ListPrompts(ctx context.Context, req *connect.Request[promptsv1.ListPromptsRequest]) (*connect.Response[promptsv1.ListPromptsResponse], error) {
	m := req.Msg
	after, err := decodeToken(m.GetPageToken())
	if err != nil {
		return nil, err
	}
	n := pageSize(m.GetPageSize())
	ps, err := s.store.ListPrompts(ctx, after, m.GetNamePrefix(), m.GetLabel(), n+1)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	res := &promptsv1.ListPromptsResponse{Prompts: ps}
	if len(ps) > n {
		res.Prompts = ps[:n]
		res.NextPageToken = encodeToken(ps[n-1].GetName())
	}
	return connect.NewResponse(res), nil
}

// ListPromptVersions pages through versions, newest first.
func (s *Service) ListPromptVersions(ctx context.Context, req *connect.Request[promptsv1.ListPromptVersionsRequest]) (*connect.Response[promptsv1.ListPromptVersionsResponse], error) {
	m := req.Msg
	if _, err := s.store.GetPrompt(ctx, m.GetName()); err != nil {
		return nil, storeError(err, fmt.Sprintf("prompt %q", m.GetName()))
	}
	before := int32(1 << 30)
	if m.GetPageToken() != "" {
		t, err := decodeToken(m.GetPageToken())
		if err != nil {
			return nil, err
		}
		v, err := strconv.Atoi(t)
		if err != nil {
			return nil, apierror.Invalid("page_token", "invalid page token")
		}
		before = int32(v)
	}
	n := pageSize(m.GetPageSize())
	vs, err := s.store.ListVersions(ctx, m.GetName(), before, n+1)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	res := &promptsv1.ListPromptVersionsResponse{Versions: vs}
	if len(vs) > n {
		res.Versions = vs[:n]
		res.NextPageToken = encodeToken(strconv.Itoa(int(vs[n-1].GetVersion())))
	}
	return connect.NewResponse(res), nil
}

// DiffPromptVersions diffs two versions' canonical renderings.
func (s *Service) DiffPromptVersions(ctx context.Context, req *connect.Request[promptsv1.DiffPromptVersionsRequest]) (*connect.Response[promptsv1.DiffPromptVersionsResponse], error) {
	m := req.Msg
	from, err := s.store.GetVersion(ctx, m.GetName(), m.GetFromVersion())
	if err != nil {
		return nil, storeError(err, fmt.Sprintf("version %d of prompt %q", m.GetFromVersion(), m.GetName()))
	}
	to, err := s.store.GetVersion(ctx, m.GetName(), m.GetToVersion())
	if err != nil {
		return nil, storeError(err, fmt.Sprintf("version %d of prompt %q", m.GetToVersion(), m.GetName()))
	}
	contextLines := 3
	if m.ContextLines != nil {
		contextLines = int(m.GetContextLines())
	}
	a, b := Canonical(from.GetTemplate()), Canonical(to.GetTemplate())
	res := &promptsv1.DiffPromptVersionsResponse{Identical: a == b}
	if !res.Identical {
		res.UnifiedDiff = UnifiedDiff(fmt.Sprintf("v%d", from.GetVersion()), fmt.Sprintf("v%d", to.GetVersion()), a, b, contextLines)
	}
	return connect.NewResponse(res), nil
}

// SetLabel creates or moves a label.
func (s *Service) SetLabel(ctx context.Context, req *connect.Request[promptsv1.SetLabelRequest]) (*connect.Response[promptsv1.SetLabelResponse], error) {
	m := req.Msg
	seen := map[int32]bool{}
	for _, t := range m.GetTargets() {
		if seen[t.GetVersion()] {
			return nil, apierror.Invalid("targets", "version %d is listed twice", t.GetVersion())
		}
		seen[t.GetVersion()] = true
	}
	l, err := s.store.SetLabel(ctx, m.GetName(), &promptsv1.Label{Name: m.GetLabel(), Targets: m.GetTargets(), Stickiness: m.GetStickiness()}, access.Author(ctx))
	if err != nil {
		return nil, storeError(err, fmt.Sprintf("prompt %q", m.GetName()))
	}
	return connect.NewResponse(&promptsv1.SetLabelResponse{Label: l}), nil
}

// DeleteLabel removes a label.
func (s *Service) DeleteLabel(ctx context.Context, req *connect.Request[promptsv1.DeleteLabelRequest]) (*connect.Response[promptsv1.DeleteLabelResponse], error) {
	if err := s.store.DeleteLabel(ctx, req.Msg.GetName(), req.Msg.GetLabel()); err != nil {
		return nil, storeError(err, fmt.Sprintf("label %q of prompt %q", req.Msg.GetLabel(), req.Msg.GetName()))
	}
	return connect.NewResponse(&promptsv1.DeleteLabelResponse{}), nil
}

// DeletePrompt deletes a prompt.
func (s *Service) DeletePrompt(ctx context.Context, req *connect.Request[promptsv1.DeletePromptRequest]) (*connect.Response[promptsv1.DeletePromptResponse], error) {
	slugs, err := s.store.DeletePrompt(ctx, req.Msg.GetName(), req.Msg.GetForce())
	if err != nil {
		return nil, storeError(err, fmt.Sprintf("prompt %q", req.Msg.GetName()))
	}
	return connect.NewResponse(&promptsv1.DeletePromptResponse{UnpublishedSlugs: slugs}), nil
}

// RenderPrompt renders a prompt with variables.
func (s *Service) RenderPrompt(ctx context.Context, req *connect.Request[promptsv1.RenderPromptRequest]) (*connect.Response[promptsv1.RenderPromptResponse], error) {
	m := req.Msg
	p, err := s.store.GetPrompt(ctx, m.GetName())
	if err != nil {
		return nil, storeError(err, fmt.Sprintf("prompt %q", m.GetName()))
	}
	res := &promptsv1.RenderPromptResponse{}
	if sel, ok := m.GetSelector().(*promptsv1.RenderPromptRequest_Version); ok {
		res.Version = sel.Version
	} else {
		res.Label = m.GetLabel()
		if res.Label == "" {
			res.Label = defaultLabel
		}
		l, err := findLabel(p, res.Label)
		if err != nil {
			return nil, err
		}
		res.Version = template.Pick(l, m.GetSplitKey())
	}
	v, err := s.store.GetVersion(ctx, m.GetName(), res.Version)
	if err != nil {
		return nil, storeError(err, fmt.Sprintf("version %d of prompt %q", res.Version, m.GetName()))
	}
	if res.Messages, err = template.Render(v.GetTemplate(), m.GetVariables()); err != nil {
		return nil, err
	}
	res.Defaults = v.GetTemplate().GetDefaults()
	return connect.NewResponse(res), nil
}

// PublishPrompt creates or updates a publication.
func (s *Service) PublishPrompt(ctx context.Context, req *connect.Request[promptsv1.PublishPromptRequest]) (*connect.Response[promptsv1.PublishPromptResponse], error) {
	m := req.Msg
	pub, err := s.store.Publish(ctx, &promptsv1.Publication{
		Slug: m.GetSlug(), PromptName: m.GetPromptName(), Label: m.GetLabel(), AllowStreaming: m.GetAllowStreaming(), Description: m.GetDescription(),
	}, access.Author(ctx))
	if err != nil {
		return nil, storeError(err, fmt.Sprintf("prompt %q", m.GetPromptName()))
	}
	return connect.NewResponse(&promptsv1.PublishPromptResponse{Publication: pub}), nil
}

// UnpublishPrompt removes a publication.
func (s *Service) UnpublishPrompt(ctx context.Context, req *connect.Request[promptsv1.UnpublishPromptRequest]) (*connect.Response[promptsv1.UnpublishPromptResponse], error) {
	if err := s.store.Unpublish(ctx, req.Msg.GetSlug()); err != nil {
		return nil, storeError(err, fmt.Sprintf("publication %q", req.Msg.GetSlug()))
	}
	return connect.NewResponse(&promptsv1.UnpublishPromptResponse{}), nil
}

// ListPublications pages through publications by slug.
func (s *Service) ListPublications(ctx context.Context, req *connect.Request[promptsv1.ListPublicationsRequest]) (*connect.Response[promptsv1.ListPublicationsResponse], error) {
	m := req.Msg
	after, err := decodeToken(m.GetPageToken())
	if err != nil {
		return nil, err
	}
	n := pageSize(m.GetPageSize())
	pubs, err := s.store.ListPublications(ctx, after, m.GetPromptName(), n+1)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	res := &promptsv1.ListPublicationsResponse{Publications: pubs}
	if len(pubs) > n {
		res.Publications = pubs[:n]
		res.NextPageToken = encodeToken(pubs[n-1].GetSlug())
	}
	return connect.NewResponse(res), nil
}

// GetOpenApiDocument describes every publication.
func (s *Service) GetOpenApiDocument(ctx context.Context, req *connect.Request[promptsv1.GetOpenApiDocumentRequest]) (*connect.Response[promptsv1.GetOpenApiDocumentResponse], error) {
	var apis []openapi.API
	after := ""
	for {
		pubs, err := s.store.ListPublications(ctx, after, "", 500)
		if err != nil {
			return nil, apierror.Internal(err)
		}
		for _, pub := range pubs {
			a := openapi.API{Publication: pub}
			if e, err := s.store.Entry(ctx, pub.GetPromptName()); err == nil {
				a.Prompt = e.GetPrompt()
				a.Template = openapi.PrimaryTemplate(e, pub.GetLabel())
			}
			apis = append(apis, a)
		}
		if len(pubs) < 500 {
			break
		}
		after = pubs[len(pubs)-1].GetSlug()
	}
	serverURL := req.Msg.GetServerUrl()
	if serverURL == "" {
		serverURL = s.cfg.PublicURL
	}
	doc, err := openapi.Build(serverURL, apis)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	return connect.NewResponse(&promptsv1.GetOpenApiDocumentResponse{DocumentJson: string(doc)}), nil
}
