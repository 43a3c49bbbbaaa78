package workflows_test

import (
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/structpb"

	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// An idempotency key stands for one request: the same chain, label or
// version, and input. Repeating the request returns the run it started;
// the same key with another input or another version is refused with
// ALREADY_EXISTS naming the key, and the first run is left as it was.
// The service runs against a real Temporal server.
func TestStartRunIdempotencyKey(t *testing.T) {
	c := serveWorkflows(t, "http://127.0.0.1:1", false)
	for _, answer := range []string{"42", "43"} { // versions 1 and 2
		spec := &workflowsv1.ChainSpec{Steps: []*workflowsv1.Step{{Id: "set", Kind: &workflowsv1.Step_Transform{Transform: &workflowsv1.TransformStep{
			Mappings: []*workflowsv1.FieldMapping{{Target: "answer", Value: &workflowsv1.FieldMapping_Literal{Literal: structpb.NewStringValue(answer)}}},
		}}}}}
		if _, err := c.PutChain(t.Context(), connect.NewRequest(&workflowsv1.PutChainRequest{Name: "refund.review", Spec: spec})); err != nil {
			t.Fatalf("put chain: %v", err)
		}
	}
	start := func(key, order string, version int32) (*workflowsv1.StartRunResponse, error) {
		t.Helper()
		in, _ := structpb.NewStruct(map[string]any{"order": order})
		req := &workflowsv1.StartRunRequest{ChainName: "refund.review", Input: in, IdempotencyKey: key}
		if version > 0 {
			req.Selector = &workflowsv1.StartRunRequest_Version{Version: version}
		}
		res, err := c.StartRun(t.Context(), connect.NewRequest(req))
		if err != nil {
			return nil, err
		}
		return res.Msg, nil
	}

	first, err := start("idem-1", "A-17", 1)
	if err != nil || first.GetExisting() {
		t.Fatalf("first start: %v, existing %v", err, first.GetExisting())
	}
	id := first.GetRun().GetId()
	again, err := start("idem-1", "A-17", 1)
	if err != nil || !again.GetExisting() || again.GetRun().GetId() != id {
		t.Fatalf("the same request again: %v, existing %v, run %q; want run %q", err, again.GetExisting(), again.GetRun().GetId(), id)
	}
	for _, retry := range []struct {
		name, order string
		version     int32
		differs     string
	}{
		{"another input", "DIFFERENT", 1, "input"},
		{"another version", "A-17", 2, "label or version"},
		{"no version", "A-17", 0, "label or version"},
	} {
		res, err := start("idem-1", retry.order, retry.version)
		e := apierror.As(err)
		if connect.CodeOf(err) != connect.CodeAlreadyExists || e.Field != "idempotency_key" ||
			!strings.Contains(e.Message, `"idem-1"`) || !strings.Contains(e.Message, id) || !strings.Contains(e.Message, "a different "+retry.differs) {
			t.Fatalf("the same key with %s: %v (run %q); want already_exists on idempotency_key naming the key, run %s and a different %s",
				retry.name, err, res.GetRun().GetId(), id, retry.differs)
		}
	}
	got, err := c.GetRun(t.Context(), connect.NewRequest(&workflowsv1.GetRunRequest{RunId: id}))
	if err != nil || got.Msg.GetRun().GetInput().GetFields()["order"].GetStringValue() != "A-17" || got.Msg.GetRun().GetChainVersion() != 1 {
		t.Fatalf("the first run after the refused starts: %v %v", err, got.Msg.GetRun())
	}
	other, err := start("idem-2", "DIFFERENT", 1)
	if err != nil || other.GetExisting() || other.GetRun().GetId() == id {
		t.Fatalf("a new key with the different input: %v, existing %v; want a new run", err, other.GetExisting())
	}
}
