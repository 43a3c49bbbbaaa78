package workflows

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/prompts/template"
	"github.com/manifoldgw/manifold/services/workflows/httptool"
)

// Chains live in storage.Documents: the chain (metadata, labels) under
// nsChains/<name>, each immutable version under nsVersions/<name>/<%010d>.
const (
	nsChains   = "workflows.chains"
	nsVersions = "workflows.chain_versions"
)

func versionKey(name string, v int32) string { return fmt.Sprintf("%s/%010d", name, v) }

func specDigest(spec *workflowsv1.ChainSpec) string {
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(spec)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// checkSpec checks what field rules cannot: unique step ids, references to
// earlier steps only, declared tools, and tool URLs within their
// allow-lists.
func checkSpec(spec *workflowsv1.ChainSpec) error {
	tools := map[string]bool{}
	for i, t := range spec.GetTools() {
		name := t.GetTool().GetName()
		if tools[name] {
			return apierror.Invalid(fmt.Sprintf("spec.tools[%d].tool.name", i), "tool %q is declared twice", name)
		}
		tools[name] = true
		if h := t.GetHttp(); h != nil {
			if err := httptool.CheckURL(h.GetUrl(), h.GetAllowedHosts()); err != nil {
				return apierror.Invalid(fmt.Sprintf("spec.tools[%d].http.url", i), "tool %q: %v", name, err)
			}
		}
	}
	if s := spec.GetInputSchema(); s != nil {
		if _, err := compileSchema(s); err != nil {
			return apierror.Invalid("spec.input_schema", "not a valid JSON Schema: %v", err)
		}
	}
	vars := inputVariables(spec.GetInputSchema())
	defined := func(field, text string, msgs ...*mcpv1.Message) error {
		if vars == nil {
			return nil
		}
		if text != "" {
			msgs = append(msgs, &mcpv1.Message{Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: text}}}})
		}
		for _, v := range template.Variables(&promptsv1.PromptTemplate{Messages: msgs}) {
			if !vars[v] {
				return apierror.Invalid(field, "missing variable %s: input_schema allows no such property and no earlier transform step sets it", v)
			}
		}
		return nil
	}
	seen := map[string]bool{}
	ref := func(field string, r *workflowsv1.ValueRef) error {
		if r != nil && r.GetStep() != "" && !seen[r.GetStep()] {
			return apierror.Invalid(field, "step %q is not an earlier step", r.GetStep())
		}
		return nil
	}
	for i, st := range spec.GetSteps() {
		field := fmt.Sprintf("spec.steps[%d]", i)
		if seen[st.GetId()] {
			return apierror.Invalid(field+".id", "step id %q is used twice", st.GetId())
		}
		switch k := st.GetKind().(type) {
		case *workflowsv1.Step_ModelCall:
			if err := defined(field+".model_call.messages", "", k.ModelCall.GetMessages().GetMessages()...); err != nil {
				return err
			}
		case *workflowsv1.Step_ToolLoop:
			if err := defined(field+".tool_loop.call.messages", "", k.ToolLoop.GetCall().GetMessages().GetMessages()...); err != nil {
				return err
			}
			for j, name := range k.ToolLoop.GetTools() {
				if !tools[name] {
					return apierror.Invalid(fmt.Sprintf("%s.tool_loop.tools[%d]", field, j), "tool %q is not declared in spec.tools", name)
				}
			}
			for j, a := range k.ToolLoop.GetApprovals() {
				if !slices.Contains(k.ToolLoop.GetTools(), a.GetTool()) {
					return apierror.Invalid(fmt.Sprintf("%s.tool_loop.approvals[%d].tool", field, j), "tool %q is not offered by this step", a.GetTool())
				}
			}
		case *workflowsv1.Step_Approval:
			if err := ref(field+".approval.subject", k.Approval.GetSubject()); err != nil {
				return err
			}
			if err := defined(field+".approval.instructions", k.Approval.GetInstructions()); err != nil {
				return err
			}
		case *workflowsv1.Step_Transform:
			for j, m := range k.Transform.GetMappings() {
				if err := ref(fmt.Sprintf("%s.transform.mappings[%d].source", field, j), m.GetSource()); err != nil {
					return err
				}
				if vars != nil {
					vars[strings.Split(m.GetTarget(), ".")[0]] = true
				}
			}
		}
		seen[st.GetId()] = true
	}
	if err := ref("spec.output", spec.GetOutput()); err != nil {
		return err
	}
	return nil
}

// inputVariables are the variables a run's input may hold when its schema
// says exactly which (additionalProperties false, no patternProperties):
// the top-level properties. nil means the input may hold any.
func inputVariables(schema *structpb.Struct) map[string]bool {
	f := schema.GetFields()
	ap, ok := f["additionalProperties"].GetKind().(*structpb.Value_BoolValue)
	if !ok || ap.BoolValue || f["patternProperties"] != nil {
		return nil
	}
	vars := map[string]bool{}
	for name := range f["properties"].GetStructValue().GetFields() {
		vars[name] = true
	}
	return vars
}

func (s *Service) loadChain(ctx context.Context, name string) (*workflowsv1.Chain, int64, error) {
	doc, err := s.docs.Get(ctx, nsChains, name)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, 0, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "chain %q not found", name)
	}
	if err != nil {
		return nil, 0, apierror.Internal(err)
	}
	c := &workflowsv1.Chain{}
	if err := protojson.Unmarshal(doc.Value, c); err != nil {
		return nil, 0, apierror.Internal(err)
	}
	return c, doc.Version, nil
}

func (s *Service) loadVersion(ctx context.Context, name string, v int32) (*workflowsv1.ChainVersion, error) {
	doc, err := s.docs.Get(ctx, nsVersions, versionKey(name, v))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "chain %q has no version %d", name, v)
	}
	if err != nil {
		return nil, apierror.Internal(err)
	}
	cv := &workflowsv1.ChainVersion{}
	if err := protojson.Unmarshal(doc.Value, cv); err != nil {
		return nil, apierror.Internal(err)
	}
	return cv, nil
}

// resolve finds the version a label or number selects; neither means the
// "production" label when set, else the latest version.
func (s *Service) resolve(ctx context.Context, name, label string, version int32) (*workflowsv1.Chain, *workflowsv1.ChainVersion, error) {
	c, _, err := s.loadChain(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	v := version
	if v == 0 {
		want := label
		if want == "" {
			want = "production"
		}
		for _, l := range c.GetLabels() {
			if l.GetName() == want {
				v = l.GetVersion()
			}
		}
		if v == 0 {
			if label != "" {
				return nil, nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "chain %q has no label %q", name, label)
			}
			v = c.GetLatestVersion()
		}
	}
	cv, err := s.loadVersion(ctx, name, v)
	return c, cv, err
}

// PutChain creates the chain or its next version. A spec identical to the
// latest version's creates nothing (the response says unchanged and carries
// that version): the labels given still point at it, as they would at a new
// version, and a new description still applies since descriptions are not
// versioned; the message, a change note for a new version, is dropped.
func (s *Service) PutChain(ctx context.Context, req *connect.Request[workflowsv1.PutChainRequest]) (*connect.Response[workflowsv1.PutChainResponse], error) {
	m := req.Msg
	if err := checkSpec(m.GetSpec()); err != nil {
		return nil, err
	}
	author, err := s.principal(ctx, req.Header(), false)
	if err != nil {
		return nil, err
	}
	now := timestamppb.New(time.Now().UTC())
	c, docVersion, err := s.loadChain(ctx, m.GetName())
	if notFound(err) {
		c, docVersion, err = &workflowsv1.Chain{Name: m.GetName(), CreatedAt: now}, storage.ExpectAbsent, nil
	}
	if err != nil {
		return nil, err
	}
	if b := m.GetBaseVersion(); b != 0 && b != c.GetLatestVersion() {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "base_version %d is not the latest version %d of chain %q", b, c.GetLatestVersion(), m.GetName())
	}
	digest := specDigest(m.GetSpec())
	var cv *workflowsv1.ChainVersion
	if c.GetLatestVersion() > 0 {
		latest, err := s.loadVersion(ctx, m.GetName(), c.GetLatestVersion())
		if err != nil {
			return nil, err
		}
		if latest.GetDigest() == digest {
			cv = latest
		}
	}
	unchanged := cv != nil
	if !unchanged {
		cv = &workflowsv1.ChainVersion{
			ChainName: m.GetName(), Version: c.GetLatestVersion() + 1, Spec: m.GetSpec(), Author: author.name,
			Message: m.GetMessage(), CreatedAt: now, Digest: digest,
		}
		b, err := protojson.Marshal(cv)
		if err != nil {
			return nil, apierror.Internal(err)
		}
		if _, err := s.docs.Put(ctx, nsVersions, versionKey(cv.GetChainName(), cv.GetVersion()), b, storage.ExpectAbsent); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "chain %q changed concurrently; retry", m.GetName())
			}
			return nil, apierror.Internal(err)
		}
		c.LatestVersion = cv.GetVersion()
	}
	changed := !unchanged
	if m.Description != nil && m.GetDescription() != c.GetDescription() {
		c.Description, changed = m.GetDescription(), true
	}
	for _, name := range m.GetLabels() {
		if slices.ContainsFunc(c.Labels, func(l *workflowsv1.ChainLabel) bool { return l.GetName() == name && l.GetVersion() == cv.GetVersion() }) {
			continue
		}
		c.Labels = slices.DeleteFunc(c.Labels, func(l *workflowsv1.ChainLabel) bool { return l.GetName() == name })
		c.Labels = append(c.Labels, &workflowsv1.ChainLabel{Name: name, Version: cv.GetVersion(), UpdatedBy: author.name, UpdatedAt: now})
		changed = true
	}
	if changed {
		c.UpdatedAt = now
		sort.Slice(c.Labels, func(i, j int) bool { return c.Labels[i].GetName() < c.Labels[j].GetName() })
		if err := s.saveChain(ctx, c, docVersion); err != nil {
			return nil, err
		}
	}
	return connect.NewResponse(&workflowsv1.PutChainResponse{Chain: c, Version: cv, Unchanged: unchanged}), nil
}

// GetChain returns a chain and one version.
func (s *Service) GetChain(ctx context.Context, req *connect.Request[workflowsv1.GetChainRequest]) (*connect.Response[workflowsv1.GetChainResponse], error) {
	m := req.Msg
	label, version := m.GetLabel(), m.GetVersion()
	if m.GetLatest() {
		c, _, err := s.loadChain(ctx, m.GetName())
		if err != nil {
			return nil, err
		}
		version = c.GetLatestVersion()
	}
	c, cv, err := s.resolve(ctx, m.GetName(), label, version)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&workflowsv1.GetChainResponse{Chain: c, Version: cv}), nil
}

// ListChains lists chains by name.
func (s *Service) ListChains(ctx context.Context, req *connect.Request[workflowsv1.ListChainsRequest]) (*connect.Response[workflowsv1.ListChainsResponse], error) {
	docs, err := s.docs.List(ctx, nsChains)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	var out []*workflowsv1.Chain
	for _, d := range docs {
		if !strings.HasPrefix(d.Key, req.Msg.GetNamePrefix()) || (req.Msg.GetPageToken() != "" && d.Key <= req.Msg.GetPageToken()) {
			continue
		}
		c := &workflowsv1.Chain{}
		if err := protojson.Unmarshal(d.Value, c); err != nil {
			return nil, apierror.Internal(err)
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	resp := &workflowsv1.ListChainsResponse{}
	n := pageSize(req.Msg.GetPageSize())
	if len(out) > n {
		out = out[:n]
		resp.NextPageToken = out[n-1].GetName()
	}
	resp.Chains = out
	return connect.NewResponse(resp), nil
}

// ListChainVersions lists a chain's versions, newest first.
func (s *Service) ListChainVersions(ctx context.Context, req *connect.Request[workflowsv1.ListChainVersionsRequest]) (*connect.Response[workflowsv1.ListChainVersionsResponse], error) {
	if _, _, err := s.loadChain(ctx, req.Msg.GetName()); err != nil {
		return nil, err
	}
	docs, err := s.docs.List(ctx, nsVersions)
	if err != nil {
		return nil, apierror.Internal(err)
	}
	before := int32(1 << 30)
	if t := req.Msg.GetPageToken(); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil {
			return nil, apierror.Invalid("page_token", "invalid page token")
		}
		before = int32(n)
	}
	var out []*workflowsv1.ChainVersion
	for _, d := range docs {
		if !strings.HasPrefix(d.Key, req.Msg.GetName()+"/") {
			continue
		}
		cv := &workflowsv1.ChainVersion{}
		if err := protojson.Unmarshal(d.Value, cv); err != nil {
			return nil, apierror.Internal(err)
		}
		if cv.GetVersion() >= before {
			continue
		}
		out = append(out, cv)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetVersion() > out[j].GetVersion() })
	resp := &workflowsv1.ListChainVersionsResponse{}
	if n := pageSize(req.Msg.GetPageSize()); len(out) > n {
		out = out[:n]
		resp.NextPageToken = fmt.Sprint(out[n-1].GetVersion())
	}
	resp.Versions = out
	return connect.NewResponse(resp), nil
}

func pageSize(n int32) int {
	if n <= 0 {
		return 100
	}
	return int(n)
}

// notFound reports whether err is a NOT_FOUND error.
func notFound(err error) bool {
	return err != nil && apierror.As(err).Class == mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND
}
