package workflows_test

import (
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1/workflowsv1connect"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/gatewaytest"
)

// Putting the latest version's spec again creates no version, even with
// labels and a description: the labels move to that version and the
// description applies. Chain RPCs need no Temporal server.
func TestPutChainUnchangedSpec(t *testing.T) {
	addr, _ := gatewaytest.Serve(t, "--auth.required=false", "--log.level", "warn")
	c := workflowsv1connect.NewWorkflowServiceClient(http.DefaultClient, "http://"+addr)
	put := func(req *workflowsv1.PutChainRequest) *workflowsv1.PutChainResponse {
		t.Helper()
		res, err := c.PutChain(t.Context(), connect.NewRequest(req))
		if err != nil {
			t.Fatalf("put chain: %v", err)
		}
		return res.Msg
	}
	labels := func(ch *workflowsv1.Chain) map[string]int32 {
		out := map[string]int32{}
		for _, l := range ch.GetLabels() {
			out[l.GetName()] = l.GetVersion()
		}
		return out
	}

	v1 := approvalChain()
	put(&workflowsv1.PutChainRequest{Name: "reply.review", Spec: v1, Labels: []string{"production", "staging"}})
	v2 := approvalChain()
	v2.Steps[1].GetApproval().Instructions = "Check the reply about {{topic}} twice"
	put(&workflowsv1.PutChainRequest{Name: "reply.review", Spec: v2, Message: "second"})

	description := "Drafts and reviews replies"
	again := put(&workflowsv1.PutChainRequest{Name: "reply.review", Spec: v2, Message: "ignored", Labels: []string{"production"}, Description: &description})
	if !again.GetUnchanged() || again.GetVersion().GetVersion() != 2 || again.GetVersion().GetMessage() != "second" {
		t.Fatalf("same spec with a label: unchanged %v, version %d %q; want true, 2 \"second\"", again.GetUnchanged(), again.GetVersion().GetVersion(), again.GetVersion().GetMessage())
	}
	ch := again.GetChain()
	if got := labels(ch); ch.GetLatestVersion() != 2 || got["production"] != 2 || got["staging"] != 1 || ch.GetDescription() != description {
		t.Fatalf("chain after the same spec: latest %d, labels %v, description %q; want 2, production=2 staging=1, %q", ch.GetLatestVersion(), got, ch.GetDescription(), description)
	}
	versions, err := c.ListChainVersions(t.Context(), connect.NewRequest(&workflowsv1.ListChainVersionsRequest{Name: "reply.review"}))
	if err != nil || len(versions.Msg.GetVersions()) != 2 {
		t.Fatalf("list versions: %v, %d versions, want 2", err, len(versions.Msg.GetVersions()))
	}

	// Nothing left to change: the chain is not written again.
	same := put(&workflowsv1.PutChainRequest{Name: "reply.review", Spec: v2, Labels: []string{"production"}, Description: &description})
	if !same.GetUnchanged() || !proto.Equal(same.GetChain(), ch) {
		t.Fatalf("a put changing nothing: unchanged %v, chain\n%v\nwant\n%v", same.GetUnchanged(), same.GetChain(), ch)
	}
	got, err := c.GetChain(t.Context(), connect.NewRequest(&workflowsv1.GetChainRequest{Name: "reply.review"}))
	if err != nil || !proto.Equal(got.Msg.GetChain(), ch) || got.Msg.GetVersion().GetVersion() != 2 {
		t.Fatalf("get chain: %v, chain %v at version %d; want %v at the production label, 2", err, got.Msg.GetChain(), got.Msg.GetVersion().GetVersion(), ch)
	}
}

// When the input schema lists every property the input may have
// (additionalProperties: false), PutChain refuses a placeholder that is
// neither one of them nor set by an earlier transform step, naming the
// field and the variable, and stores nothing. An open schema leaves the
// check to the run.
func TestPutChainMissingVariable(t *testing.T) {
	addr, _ := gatewaytest.Serve(t, "--auth.required=false", "--log.level", "warn")
	c := workflowsv1connect.NewWorkflowServiceClient(http.DefaultClient, "http://"+addr)
	schema := func(closed bool) *structpb.Struct {
		m := map[string]any{"type": "object", "properties": map[string]any{"order": map[string]any{"type": "string"}}}
		if closed {
			m["additionalProperties"] = false
		}
		s, _ := structpb.NewStruct(m)
		return s
	}
	ask := func(msg string) *workflowsv1.Step {
		return &workflowsv1.Step{Id: "draft", Kind: &workflowsv1.Step_ModelCall{ModelCall: &workflowsv1.ModelCallStep{
			Model: "demo", Input: &workflowsv1.ModelCallStep_Messages{Messages: &workflowsv1.InlineMessages{Messages: []*mcpv1.Message{
				{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: msg}}}},
			}}},
		}}}
	}
	setNote := &workflowsv1.Step{Id: "note", Kind: &workflowsv1.Step_Transform{Transform: &workflowsv1.TransformStep{Mappings: []*workflowsv1.FieldMapping{
		{Target: "note.text", Value: &workflowsv1.FieldMapping_Literal{Literal: structpb.NewStringValue("urgent")}},
	}}}}
	review := approvalChain().Steps[1]
	review.GetApproval().Subject = &workflowsv1.ValueRef{Step: "draft", Pointer: "/text"}

	for _, bad := range []struct {
		steps []*workflowsv1.Step
		field string
		v     string
	}{
		{[]*workflowsv1.Step{ask("Refund {{order}}: {{nope}}")}, "spec.steps[0].model_call.messages", "nope"},
		{[]*workflowsv1.Step{ask("Refund {{order}}: {{note.text}}"), setNote}, "spec.steps[0].model_call.messages", "note"},
		{[]*workflowsv1.Step{ask("Refund {{order}}"), review}, "spec.steps[1].approval.instructions", "topic"},
	} {
		_, err := c.PutChain(t.Context(), connect.NewRequest(&workflowsv1.PutChainRequest{Name: "refund.review", Spec: &workflowsv1.ChainSpec{InputSchema: schema(true), Steps: bad.steps}}))
		e := apierror.As(err)
		if connect.CodeOf(err) != connect.CodeInvalidArgument || e.Field != bad.field || !strings.Contains(e.Message, "missing variable "+bad.v) {
			t.Fatalf("put with {{%s}}: %v; want invalid_argument on %s naming the variable", bad.v, err, bad.field)
		}
	}
	if _, err := c.GetChain(t.Context(), connect.NewRequest(&workflowsv1.GetChainRequest{Name: "refund.review"})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("get chain after refused puts: %v, want not_found", err)
	}

	for _, good := range []*workflowsv1.ChainSpec{
		{InputSchema: schema(true), Steps: []*workflowsv1.Step{setNote, ask("Refund {{order}}: {{note.text}}")}},
		{InputSchema: schema(false), Steps: []*workflowsv1.Step{ask("Refund {{order}}: {{anything}}")}},
	} {
		if _, err := c.PutChain(t.Context(), connect.NewRequest(&workflowsv1.PutChainRequest{Name: "refund.review", Spec: good})); err != nil {
			t.Fatalf("put %v: %v", good, err)
		}
	}
}
