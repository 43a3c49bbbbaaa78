package workflows_test

import (
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
)

// CancelRun, as its contract says: a run in progress ends CANCELLED;
// cancelling it again changes nothing and answers it; a run that ended
// otherwise is refused with FAILED_PRECONDITION naming its status, and
// stays as it ended. The service runs against a real Temporal server.
func TestCancelRun(t *testing.T) {
	c := serveWorkflows(t, "http://127.0.0.1:1", false)
	set := &workflowsv1.Step{Id: "set", Kind: &workflowsv1.Step_Transform{Transform: &workflowsv1.TransformStep{
		Mappings: []*workflowsv1.FieldMapping{{Target: "answer", Value: &workflowsv1.FieldMapping_Literal{Literal: structpb.NewStringValue("42")}}},
	}}}
	review := &workflowsv1.Step{Id: "review", Kind: &workflowsv1.Step_Approval{Approval: &workflowsv1.ApprovalStep{
		Subject: &workflowsv1.ValueRef{Step: "set", Pointer: "/answer"},
		Policy: &workflowsv1.ApprovalPolicy{
			Approvers: &workflowsv1.Approvers{Roles: []string{"admin"}},
			Timeout:   durationpb.New(time.Hour), OnTimeout: workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_REJECT,
		},
	}}}
	for name, spec := range map[string]*workflowsv1.ChainSpec{
		"constant": {Steps: []*workflowsv1.Step{set}},
		"review":   {Steps: []*workflowsv1.Step{set, review}},
	} {
		if _, err := c.PutChain(t.Context(), connect.NewRequest(&workflowsv1.PutChainRequest{Name: name, Spec: spec})); err != nil {
			t.Fatalf("put chain %s: %v", name, err)
		}
	}
	start := func(chain string) string {
		t.Helper()
		res, err := c.StartRun(t.Context(), connect.NewRequest(&workflowsv1.StartRunRequest{ChainName: chain}))
		if err != nil {
			t.Fatalf("start %s: %v", chain, err)
		}
		return res.Msg.GetRun().GetId()
	}
	// wait polls the run, bounded, until it is in status.
	wait := func(id string, status workflowsv1.RunStatus) {
		t.Helper()
		var last *workflowsv1.Run
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			res, err := c.GetRun(t.Context(), connect.NewRequest(&workflowsv1.GetRunRequest{RunId: id}))
			if err != nil {
				continue
			}
			if last = res.Msg.GetRun(); last.GetStatus() == status {
				return
			}
		}
		t.Fatalf("run %s not %v within 60s: %v", id, status, last)
	}
	cancel := func(id string) (*workflowsv1.Run, error) {
		res, err := c.CancelRun(t.Context(), connect.NewRequest(&workflowsv1.CancelRunRequest{RunId: id}))
		if err != nil {
			return nil, err
		}
		return res.Msg.GetRun(), nil
	}

	done := start("constant")
	wait(done, workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED)
	if run, err := cancel(done); connect.CodeOf(err) != connect.CodeFailedPrecondition || !strings.Contains(err.Error(), done) || !strings.Contains(err.Error(), "succeeded") {
		t.Fatalf("cancel a succeeded run: %v (run %v); want failed_precondition naming the run and its status", err, run.GetStatus())
	}
	wait(done, workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED)

	waiting := start("review")
	wait(waiting, workflowsv1.RunStatus_RUN_STATUS_WAITING_FOR_APPROVAL)
	if run, err := cancel(waiting); err != nil || run.GetStatus() != workflowsv1.RunStatus_RUN_STATUS_CANCELLED {
		t.Fatalf("cancel a waiting run: %v, %v", err, run.GetStatus())
	}
	if run, err := cancel(waiting); err != nil || run.GetStatus() != workflowsv1.RunStatus_RUN_STATUS_CANCELLED {
		t.Fatalf("cancel a cancelled run: %v, %v; want it, unchanged", err, run.GetStatus())
	}
}
