package chainrun_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/workflows/chainrun"
	"github.com/manifoldgw/manifold/services/workflows/httptool"
)

// scriptedRouter answers Generate with a script: each call gets the next
// response, built from the request so far.
type scriptedRouter struct {
	routerv1connect.RouterServiceClient
	mu     sync.Mutex
	script []func(*mcpv1.Request) *mcpv1.Response
	reqs   []*mcpv1.Request
}

func (s *scriptedRouter) Generate(_ context.Context, req *connect.Request[routerv1.GenerateRequest]) (*connect.Response[routerv1.GenerateResponse], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.script) == 0 {
		return nil, connect.NewError(connect.CodeInternal, errors.New("script exhausted"))
	}
	next := s.script[0]
	s.script = s.script[1:]
	s.reqs = append(s.reqs, proto.Clone(req.Msg.GetRequest()).(*mcpv1.Request))
	resp := next(req.Msg.GetRequest())
	resp.Id = fmt.Sprintf("call-%d", len(s.reqs))
	resp.Usage = &mcpv1.Usage{InputTokens: 10, OutputTokens: 5, TotalTokens: 15, CostMicros: 120}
	return connect.NewResponse(&routerv1.GenerateResponse{Response: resp}), nil
}

func text(t string) *mcpv1.Response {
	return &mcpv1.Response{
		Message:      &mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: t}}}},
		FinishReason: mcpv1.FinishReason_FINISH_REASON_STOP,
	}
}

func toolCall(id, name, args string) *mcpv1.Response {
	return &mcpv1.Response{
		Message:      &mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: []*mcpv1.ToolCall{{Id: id, Name: name, Arguments: args}}},
		FinishReason: mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS,
	}
}

// toolResults are the texts of the tool results in a request, in order.
func toolResults(req *mcpv1.Request) []string {
	var out []string
	for _, m := range req.GetMessages() {
		for _, p := range m.GetContent() {
			if tr := p.GetToolResult(); tr != nil {
				for _, c := range tr.GetContent() {
					out = append(out, c.GetText())
				}
			}
		}
	}
	return out
}

func userMessage(t string) *workflowsv1.InlineMessages {
	return &workflowsv1.InlineMessages{Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: t}}}}}}
}

func newEnv(t *testing.T, router *scriptedRouter) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	chainrun.Register(env, &chainrun.Activities{Router: router, HTTP: httptool.New()})
	return env
}

func start(t *testing.T, env *testsuite.TestWorkflowEnvironment, spec *workflowsv1.ChainSpec, input map[string]any) *workflowsv1.Run {
	t.Helper()
	b, err := proto.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(input)
	env.ExecuteWorkflow(chainrun.WorkflowName, chainrun.Input{RunID: "run-1", ChainName: "test.chain", ChainVersion: 1, Spec: b, Input: in, StartedBy: "key-1"})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error: %v", err)
	}
	var run workflowsv1.Run
	if err := env.GetWorkflowResult(&run); err != nil {
		t.Fatal(err)
	}
	return &run
}

// weatherServer is an HTTP tool that answers the city it was asked about
// and counts calls per idempotency key.
func weatherServer(t *testing.T) (*httptest.Server, map[string]int, *sync.Mutex) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("Idempotency-Key")]++
		mu.Unlock()
		var args map[string]any
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &args)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"city":%q,"celsius":%d}`, args["city"], len(fmt.Sprint(args["city"]))*3)
	}))
	t.Cleanup(srv.Close)
	return srv, seen, &mu
}

func weatherTool(srv *httptest.Server) *workflowsv1.ToolDefinition {
	u, _ := url.Parse(srv.URL)
	return &workflowsv1.ToolDefinition{
		Tool: &mcpv1.Tool{Name: "weather", Description: "current weather of a city"},
		Target: &workflowsv1.ToolDefinition_Http{Http: &workflowsv1.HttpTool{
			Url: srv.URL + "/weather", Method: workflowsv1.HttpMethod_HTTP_METHOD_POST, AllowedHosts: []string{u.Host},
		}},
		Timeout: durationpb.New(5 * time.Second),
	}
}

// A tool loop whose model calls the HTTP tool twice and then answers
// completes with the answer, the tool results, usage and cost per step.
func TestToolLoopCallsToolTwiceThenAnswers(t *testing.T) {
	srv, seen, mu := weatherServer(t)
	router := &scriptedRouter{script: []func(*mcpv1.Request) *mcpv1.Response{
		func(*mcpv1.Request) *mcpv1.Response { return toolCall("c1", "weather", `{"city":"Paris"}`) },
		func(*mcpv1.Request) *mcpv1.Response { return toolCall("c2", "weather", `{"city":"Rome"}`) },
		func(req *mcpv1.Request) *mcpv1.Response { return text(strings.Join(toolResults(req), " | ")) },
	}}
	env := newEnv(t, router)
	spec := &workflowsv1.ChainSpec{
		Tools: []*workflowsv1.ToolDefinition{weatherTool(srv)},
		Steps: []*workflowsv1.Step{{Id: "ask", Kind: &workflowsv1.Step_ToolLoop{ToolLoop: &workflowsv1.ToolLoopStep{
			Call:          &workflowsv1.ModelCallStep{Model: "demo", Input: &workflowsv1.ModelCallStep_Messages{Messages: userMessage("Weather in {{a}} and {{b}}?")}},
			Tools:         []string{"weather"},
			MaxIterations: 5,
		}}}},
	}
	run := start(t, env, spec, map[string]any{"a": "Paris", "b": "Rome"})

	if run.GetStatus() != workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED {
		t.Fatalf("status %v, error %v", run.GetStatus(), run.GetError())
	}
	want := `{"city":"Paris","celsius":15} | {"city":"Rome","celsius":12}`
	if got := run.GetOutput().GetStructValue().AsMap()["text"]; got != want {
		t.Fatalf("output text %q, want %q", got, want)
	}
	if got := router.reqs[0].GetMessages()[0].GetContent()[0].GetText(); got != "Weather in Paris and Rome?" {
		t.Fatalf("rendered message %q", got)
	}
	if len(router.reqs[0].GetTools()) != 1 || router.reqs[0].GetTools()[0].GetName() != "weather" {
		t.Fatalf("tools offered: %v", router.reqs[0].GetTools())
	}
	step := run.GetSteps()[0]
	if step.GetIterations() != 3 || len(step.GetToolInvocations()) != 2 || len(step.GetCallIds()) != 3 {
		t.Fatalf("step: iterations %d, invocations %d, call ids %v", step.GetIterations(), len(step.GetToolInvocations()), step.GetCallIds())
	}
	if u := step.GetUsage(); u.GetInputTokens() != 30 || u.GetOutputTokens() != 15 || u.GetCostMicros() != 360 {
		t.Fatalf("step usage %v", u)
	}
	if u := run.GetUsage(); u.GetTotalTokens() != 45 || u.GetCostMicros() != 360 {
		t.Fatalf("run usage %v", u)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen["run-1/ask/1/c1"] != 1 || seen["run-1/ask/2/c2"] != 1 {
		t.Fatalf("tool saw %v", seen)
	}
}

// Placeholders render exactly like a prompt template's: a variable the run
// does not have fails the step with an INVALID_REQUEST error naming it (as
// `manifold prompts render` refuses), before any model call; a variable
// missing from approval instructions fails the step before it waits. Runs
// started before this change keep rendering missing variables empty.
func TestMissingVariable(t *testing.T) {
	draft := func(msg string) *workflowsv1.Step {
		return &workflowsv1.Step{Id: "draft", Kind: &workflowsv1.Step_ModelCall{ModelCall: &workflowsv1.ModelCallStep{
			Model: "demo", Input: &workflowsv1.ModelCallStep_Messages{Messages: userMessage(msg)},
		}}}
	}
	t.Run("inline messages", func(t *testing.T) {
		router := draftRouter()
		run := start(t, newEnv(t, router), &workflowsv1.ChainSpec{Steps: []*workflowsv1.Step{draft("hello {{nope}}")}}, map[string]any{"who": "Ann"})
		want := `step "draft" failed: inline messages: variables.nope: missing variable nope`
		if e := run.GetError(); run.GetStatus() != workflowsv1.RunStatus_RUN_STATUS_FAILED || e.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST || e.GetMessage() != want {
			t.Fatalf("run %v, error %v %q; want FAILED, INVALID_REQUEST %q", run.GetStatus(), e.GetErrorClass(), e.GetMessage(), want)
		}
		if len(router.reqs) != 0 {
			t.Fatalf("the model was called with %v", router.reqs)
		}
	})
	t.Run("nested", func(t *testing.T) {
		router := draftRouter()
		run := start(t, newEnv(t, router), &workflowsv1.ChainSpec{Steps: []*workflowsv1.Step{draft("order {{order.id}}, {{order.note}}")}},
			map[string]any{"order": map[string]any{"id": "A-18"}})
		if msg := run.GetError().GetMessage(); !strings.HasSuffix(msg, "variables.order.note: missing variable order.note") || len(router.reqs) != 0 {
			t.Fatalf("run %v, error %q, %d model calls", run.GetStatus(), msg, len(router.reqs))
		}
	})
	t.Run("approval instructions", func(t *testing.T) {
		spec := approvalChain(policy(workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_APPROVE))
		run := start(t, newEnv(t, draftRouter()), spec, nil)
		want := `step "review" failed: instructions: variables.topic: missing variable topic`
		if run.GetStatus() != workflowsv1.RunStatus_RUN_STATUS_FAILED || run.GetError().GetMessage() != want || len(run.GetSteps()[1].GetApprovals()) != 0 {
			t.Fatalf("run %v, error %q, approvals %v; want FAILED %q before any approval", run.GetStatus(), run.GetError().GetMessage(), run.GetSteps()[1].GetApprovals(), want)
		}
	})
	t.Run("runs started before", func(t *testing.T) {
		router := draftRouter()
		env := newEnv(t, router)
		env.OnGetVersion("template-placeholders", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
		run := start(t, env, &workflowsv1.ChainSpec{Steps: []*workflowsv1.Step{draft("hello {{nope}}")}}, nil)
		if got := router.reqs[0].GetMessages()[0].GetContent()[0].GetText(); run.GetStatus() != workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED || got != "hello " {
			t.Fatalf("run %v, model saw %q; want SUCCEEDED, %q", run.GetStatus(), got, "hello ")
		}
	})
}

// refusingRouter refuses every call as the router does a call without a
// virtual key when keys are required.
type refusingRouter struct {
	routerv1connect.RouterServiceClient
}

func (refusingRouter) Generate(context.Context, *connect.Request[routerv1.GenerateRequest]) (*connect.Response[routerv1.GenerateResponse], error) {
	return nil, apierror.ToConnect(apierror.New(mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, "malformed API key: want a Manifold virtual key (mk-…)"))
}

// A run without a virtual key whose model call the router refuses for
// authentication fails saying the run has no key and how to give it one
// (the router saw the worker's own token); a run with a key keeps the
// router's reason.
func TestModelCallWithoutRunKey(t *testing.T) {
	spec, _ := proto.Marshal(approvalChain(policy(workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_REJECT)))
	for _, c := range []struct{ sealed, want string }{
		{"", `step "draft" failed: model call: the run has no virtual key and the router requires one: start it with a run key (X-Manifold-Run-Key, manifold runs start --run-key-env VAR)`},
		{"sealed:mk-revoked", `step "draft" failed: model call: malformed API key: want a Manifold virtual key (mk-…)`},
	} {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		chainrun.Register(env, &chainrun.Activities{Router: refusingRouter{}, OpenKey: func(sealed string) (string, error) { return strings.TrimPrefix(sealed, "sealed:"), nil }})
		env.ExecuteWorkflow(chainrun.WorkflowName, chainrun.Input{RunID: "run-1", ChainName: "c", ChainVersion: 1, Spec: spec, Input: []byte(`{"topic":"refunds"}`), SealedKey: c.sealed})
		var run workflowsv1.Run
		if err := env.GetWorkflowResult(&run); err != nil {
			t.Fatal(err)
		}
		if run.GetStatus() != workflowsv1.RunStatus_RUN_STATUS_FAILED || run.GetError().GetMessage() != c.want {
			t.Fatalf("run with key %q: %v %q; want FAILED %q", c.sealed, run.GetStatus(), run.GetError().GetMessage(), c.want)
		}
	}
}

// A tool outside the allow-list gives the model an error result naming
// the refusal; the call never leaves the worker.
func TestToolLoopRefusedToolIsAnErrorResult(t *testing.T) {
	srv, seen, _ := weatherServer(t)
	tool := weatherTool(srv)
	tool.GetHttp().AllowedHosts = []string{"api.example.com"}
	router := &scriptedRouter{script: []func(*mcpv1.Request) *mcpv1.Response{
		func(*mcpv1.Request) *mcpv1.Response { return toolCall("c1", "weather", `{"city":"Paris"}`) },
		func(req *mcpv1.Request) *mcpv1.Response { return text(strings.Join(toolResults(req), "")) },
	}}
	env := newEnv(t, router)
	run := start(t, env, &workflowsv1.ChainSpec{
		Tools: []*workflowsv1.ToolDefinition{tool},
		Steps: []*workflowsv1.Step{{Id: "ask", Kind: &workflowsv1.Step_ToolLoop{ToolLoop: &workflowsv1.ToolLoopStep{
			Call:  &workflowsv1.ModelCallStep{Model: "demo", Input: &workflowsv1.ModelCallStep_Messages{Messages: userMessage("hi")}},
			Tools: []string{"weather"}, MaxIterations: 3,
		}}}},
	}, nil)
	inv := run.GetSteps()[0].GetToolInvocations()[0]
	if !inv.GetIsError() || !strings.Contains(inv.GetResult(), "not in allowed_hosts") {
		t.Fatalf("invocation %v", inv)
	}
	if len(seen) != 0 {
		t.Fatalf("tool was called: %v", seen)
	}
}

// approvalChain drafts a text and waits for its approval.
func approvalChain(policy *workflowsv1.ApprovalPolicy) *workflowsv1.ChainSpec {
	return &workflowsv1.ChainSpec{Steps: []*workflowsv1.Step{
		{Id: "draft", Kind: &workflowsv1.Step_ModelCall{ModelCall: &workflowsv1.ModelCallStep{Model: "demo", Input: &workflowsv1.ModelCallStep_Messages{Messages: userMessage("draft")}}}},
		{Id: "review", Kind: &workflowsv1.Step_Approval{Approval: &workflowsv1.ApprovalStep{
			Subject: &workflowsv1.ValueRef{Step: "draft", Pointer: "/text"}, Instructions: "check {{topic}}", Policy: policy,
		}}},
	}, Output: &workflowsv1.ValueRef{Step: "draft", Pointer: "/text"}}
}

func policy(onTimeout workflowsv1.ApprovalTimeoutAction) *workflowsv1.ApprovalPolicy {
	return &workflowsv1.ApprovalPolicy{
		Approvers: &workflowsv1.Approvers{Roles: []string{"admin"}, Principals: []string{"alice"}},
		Timeout:   durationpb.New(time.Hour), OnTimeout: onTimeout,
		EscalateTo: &workflowsv1.Approvers{Principals: []string{"carol"}}, EscalationTimeout: durationpb.New(time.Hour),
	}
}

func draftRouter() *scriptedRouter {
	return &scriptedRouter{script: []func(*mcpv1.Request) *mcpv1.Response{
		func(*mcpv1.Request) *mcpv1.Response { return text("Dear customer, your refund is approved.") },
	}}
}

// decide sends decisions in order; results[i] becomes the error type of
// decision i's refusal, "ok" when it was accepted.
func decide(t *testing.T, env *testsuite.TestWorkflowEnvironment, results []string, ds ...chainrun.Decision) {
	for i, d := range ds {
		env.UpdateWorkflow(chainrun.UpdateDecide, fmt.Sprintf("%s-%d-%s", d.StepID, i, t.Name()), &testsuite.TestUpdateCallback{
			OnReject: func(err error) { results[i] = errType(err) },
			OnComplete: func(_ any, err error) {
				if err != nil {
					results[i] = "failed: " + err.Error()
				} else {
					results[i] = "ok"
				}
			},
		}, d)
	}
}

func errType(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}

// The approval step waits; a wrong digest and a principal without the
// role are refused by the validator; alice approves and the run finishes.
func TestApprovalValidatorAndApprove(t *testing.T) {
	env := newEnv(t, draftRouter())
	digest, _ := chainrun.Digest("Dear customer, your refund is approved.")
	results := make([]string, 4)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(chainrun.QueryRun)
		if err != nil {
			t.Errorf("query: %v", err)
			return
		}
		var run workflowsv1.Run
		_ = v.Get(&run)
		pa := run.GetPendingApprovals()
		if run.GetStatus() != workflowsv1.RunStatus_RUN_STATUS_WAITING_FOR_APPROVAL || len(pa) != 1 || pa[0].GetDigest() != digest || pa[0].GetInstructions() != "check refunds" {
			t.Errorf("waiting run: status %v, pending %v", run.GetStatus(), pa)
		}
		decide(t, env, results,
			chainrun.Decision{StepID: "review", Digest: strings.Repeat("0", 64), Approve: true, Principal: "alice"},
			chainrun.Decision{StepID: "review", Digest: digest, Approve: true, Principal: "bob", Roles: []string{"viewer"}},
			chainrun.Decision{StepID: "nope", Digest: digest, Approve: true, Principal: "alice"},
			chainrun.Decision{StepID: "review", Digest: digest, Approve: true, Principal: "dave", Roles: []string{"admin"}, Comment: "fine"},
		)
	}, time.Minute)
	run := start(t, env, approvalChain(policy(workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_REJECT)), map[string]any{"topic": "refunds"})
	want := []string{chainrun.ErrDigestMismatch, chainrun.ErrNotApprover, chainrun.ErrNotPending, "ok"}
	if fmt.Sprint(results) != fmt.Sprint(want) {
		t.Fatalf("update results %q, want %q", results, want)
	}
	if run.GetStatus() != workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED || run.GetOutput().GetStringValue() != "Dear customer, your refund is approved." {
		t.Fatalf("run %v", run)
	}
	rec := run.GetSteps()[1].GetApprovals()[0]
	if rec.GetDecision() != workflowsv1.ApprovalDecision_APPROVAL_DECISION_APPROVED || rec.GetDecidedBy() != "dave" || rec.GetComment() != "fine" {
		t.Fatalf("approval record %v", rec)
	}
	if len(run.GetPendingApprovals()) != 0 {
		t.Fatalf("pending approvals left: %v", run.GetPendingApprovals())
	}
}

func TestApprovalReject(t *testing.T) {
	env := newEnv(t, draftRouter())
	digest, _ := chainrun.Digest("Dear customer, your refund is approved.")
	results := make([]string, 1)
	env.RegisterDelayedCallback(func() {
		decide(t, env, results, chainrun.Decision{StepID: "review", Digest: digest, Principal: "alice", Comment: "tone"})
	}, time.Minute)
	run := start(t, env, approvalChain(policy(workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_APPROVE)), map[string]any{"topic": "refunds"})
	if results[0] != "ok" {
		t.Fatalf("reject: %s", results[0])
	}
	if run.GetStatus() != workflowsv1.RunStatus_RUN_STATUS_REJECTED || run.GetSteps()[1].GetStatus() != workflowsv1.StepStatus_STEP_STATUS_REJECTED {
		t.Fatalf("run %v", run)
	}
	if !strings.Contains(run.GetError().GetMessage(), "rejected by alice") {
		t.Fatalf("error %v", run.GetError())
	}
}

// Nobody decides: the policy applies at the deadline. A rejection by
// timeout ends the run REJECTED with a TIMEOUT error saying so, not a
// permission refusal; the audit record is filed like a person's decision.
func TestApprovalTimeoutPolicies(t *testing.T) {
	const (
		timedOut          = `approval of step "review" timed out: nobody decided in time, so its timeout policy rejected it`
		timedOutEscalated = `approval of step "review" timed out after escalation: nobody decided in time, so its timeout policy rejected it`
	)
	cases := []struct {
		action   workflowsv1.ApprovalTimeoutAction
		status   workflowsv1.RunStatus
		decision workflowsv1.ApprovalDecision
		class    mcpv1.ErrorClass
		message  string
	}{
		{workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_REJECT, workflowsv1.RunStatus_RUN_STATUS_REJECTED, workflowsv1.ApprovalDecision_APPROVAL_DECISION_TIMED_OUT_REJECTED, mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT, timedOut},
		{workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_APPROVE, workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED, workflowsv1.ApprovalDecision_APPROVAL_DECISION_TIMED_OUT_APPROVED, mcpv1.ErrorClass_ERROR_CLASS_UNSPECIFIED, ""},
		{workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_ESCALATE, workflowsv1.RunStatus_RUN_STATUS_REJECTED, workflowsv1.ApprovalDecision_APPROVAL_DECISION_TIMED_OUT_REJECTED, mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT, timedOutEscalated},
	}
	for _, c := range cases {
		t.Run(c.action.String(), func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			audit := &fakeAudit{}
			chainrun.Register(env, &chainrun.Activities{Router: draftRouter(), HTTP: httptool.New(), Audit: audit})
			run := start(t, env, approvalChain(policy(c.action)), map[string]any{"topic": "refunds"})
			if len(audit.actions) != 1 || audit.actions[0].GetResourceType() != "step" || audit.actions[0].GetResourceId() != "run-1" ||
				audit.actions[0].GetActor().GetUser() != "system" || !strings.Contains(audit.actions[0].GetComment(), "by its timeout policy") {
				t.Fatalf("audited %v; want one action on resource step run-1 by system", audit.actions)
			}
			if e := run.GetError(); e.GetErrorClass() != c.class || e.GetMessage() != c.message {
				t.Fatalf("run error %v %q; want %v %q", e.GetErrorClass(), e.GetMessage(), c.class, c.message)
			}
			recs := run.GetSteps()[1].GetApprovals()
			if run.GetStatus() != c.status || len(recs) != 1 || recs[0].GetDecision() != c.decision || recs[0].GetDecidedBy() != "system" {
				t.Fatalf("status %v, approvals %v", run.GetStatus(), recs)
			}
			if escalated := c.action == workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_ESCALATE; recs[0].GetEscalated() != escalated {
				t.Fatalf("escalated = %v", recs[0].GetEscalated())
			}
		})
	}
}

// After escalation the first group may no longer decide; the escalation
// group may.
func TestApprovalEscalation(t *testing.T) {
	env := newEnv(t, draftRouter())
	digest, _ := chainrun.Digest("Dear customer, your refund is approved.")
	results := make([]string, 2)
	env.RegisterDelayedCallback(func() {
		decide(t, env, results,
			chainrun.Decision{StepID: "review", Digest: digest, Approve: true, Principal: "alice"},
			chainrun.Decision{StepID: "review", Digest: digest, Approve: true, Principal: "carol"})
	}, 90*time.Minute)
	run := start(t, env, approvalChain(policy(workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_ESCALATE)), map[string]any{"topic": "refunds"})
	if fmt.Sprint(results) != fmt.Sprint([]string{chainrun.ErrNotApprover, "ok"}) {
		t.Fatalf("update results %q", results)
	}
	rec := run.GetSteps()[1].GetApprovals()[0]
	if run.GetStatus() != workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED || rec.GetDecidedBy() != "carol" || !rec.GetEscalated() {
		t.Fatalf("status %v, record %v", run.GetStatus(), rec)
	}
}

// A gated tool call waits for approval bound to its name and arguments;
// once approved it runs exactly once.
func TestToolApproval(t *testing.T) {
	srv, seen, mu := weatherServer(t)
	router := &scriptedRouter{script: []func(*mcpv1.Request) *mcpv1.Response{
		func(*mcpv1.Request) *mcpv1.Response { return toolCall("c1", "weather", `{ "city": "Oslo" }`) },
		func(req *mcpv1.Request) *mcpv1.Response { return text(strings.Join(toolResults(req), "")) },
	}}
	env := newEnv(t, router)
	digest, err := chainrun.ToolCallDigest("weather", `{"city":"Oslo"}`)
	if err != nil {
		t.Fatal(err)
	}
	results := make([]string, 2)
	env.RegisterDelayedCallback(func() {
		wrong, _ := chainrun.ToolCallDigest("weather", `{"city":"Bergen"}`)
		decide(t, env, results,
			chainrun.Decision{StepID: "ask", Digest: wrong, Approve: true, Principal: "alice"},
			chainrun.Decision{StepID: "ask", Digest: digest, Approve: true, Principal: "alice"})
	}, time.Minute)
	run := start(t, env, &workflowsv1.ChainSpec{
		Tools: []*workflowsv1.ToolDefinition{weatherTool(srv)},
		Steps: []*workflowsv1.Step{{Id: "ask", Kind: &workflowsv1.Step_ToolLoop{ToolLoop: &workflowsv1.ToolLoopStep{
			Call:  &workflowsv1.ModelCallStep{Model: "demo", Input: &workflowsv1.ModelCallStep_Messages{Messages: userMessage("hi")}},
			Tools: []string{"weather"}, MaxIterations: 3,
			Approvals: []*workflowsv1.ToolApproval{{Tool: "weather", Policy: policy(workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_REJECT)}},
		}}}},
	}, nil)
	if fmt.Sprint(results) != fmt.Sprint([]string{chainrun.ErrDigestMismatch, "ok"}) {
		t.Fatalf("update results %q", results)
	}
	if run.GetStatus() != workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED || run.GetOutput().GetStructValue().AsMap()["text"] != `{"city":"Oslo","celsius":12}` {
		t.Fatalf("run %v", run)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 {
		t.Fatalf("tool saw %v", seen)
	}
}

// Nobody decides a gated tool call: with the REJECT policy the run ends
// REJECTED with a TIMEOUT error; with on_reject RETURN_TO_MODEL the model
// is told nobody approved the call in time, and the tool is never called.
func TestToolApprovalTimeout(t *testing.T) {
	srv, seen, mu := weatherServer(t)
	for _, onReject := range []workflowsv1.ApprovalRejectAction{
		workflowsv1.ApprovalRejectAction_APPROVAL_REJECT_ACTION_UNSPECIFIED,
		workflowsv1.ApprovalRejectAction_APPROVAL_REJECT_ACTION_RETURN_TO_MODEL,
	} {
		t.Run(onReject.String(), func(t *testing.T) {
			router := &scriptedRouter{script: []func(*mcpv1.Request) *mcpv1.Response{
				func(*mcpv1.Request) *mcpv1.Response { return toolCall("c1", "weather", `{"city":"Oslo"}`) },
				func(req *mcpv1.Request) *mcpv1.Response { return text(strings.Join(toolResults(req), "")) },
			}}
			p := policy(workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_REJECT)
			p.OnReject = onReject
			run := start(t, newEnv(t, router), &workflowsv1.ChainSpec{
				Tools: []*workflowsv1.ToolDefinition{weatherTool(srv)},
				Steps: []*workflowsv1.Step{{Id: "ask", Kind: &workflowsv1.Step_ToolLoop{ToolLoop: &workflowsv1.ToolLoopStep{
					Call:  &workflowsv1.ModelCallStep{Model: "demo", Input: &workflowsv1.ModelCallStep_Messages{Messages: userMessage("hi")}},
					Tools: []string{"weather"}, MaxIterations: 3,
					Approvals: []*workflowsv1.ToolApproval{{Tool: "weather", Policy: p}},
				}}}},
			}, nil)
			if onReject == workflowsv1.ApprovalRejectAction_APPROVAL_REJECT_ACTION_RETURN_TO_MODEL {
				if run.GetStatus() != workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED || run.GetOutput().GetStructValue().AsMap()["text"] != "the call was rejected: nobody approved it in time" {
					t.Fatalf("run %v, output %v", run.GetStatus(), run.GetOutput())
				}
			} else {
				want := `tool call weather of step "ask" timed out: nobody decided in time, so its timeout policy rejected it`
				if e := run.GetError(); run.GetStatus() != workflowsv1.RunStatus_RUN_STATUS_REJECTED || e.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT || e.GetMessage() != want {
					t.Fatalf("run %v, error %v %q; want REJECTED, TIMEOUT %q", run.GetStatus(), e.GetErrorClass(), e.GetMessage(), want)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) != 0 {
				t.Fatalf("the tool was called: %v", seen)
			}
		})
	}
}

// A prompt-API tool posts the arguments to /apis/{slug} with the run's
// virtual key; the answer goes back to the model.
func TestPromptAPITool(t *testing.T) {
	var gotAuth, gotPath, gotBody string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotAuth, gotPath, gotBody = r.Header.Get("Authorization"), r.URL.Path, string(b)
		_, _ = w.Write([]byte(`{"output":"short summary"}`))
	}))
	t.Cleanup(api.Close)
	router := &scriptedRouter{script: []func(*mcpv1.Request) *mcpv1.Response{
		func(*mcpv1.Request) *mcpv1.Response { return toolCall("c1", "summarise", `{"text":"long text"}`) },
		func(req *mcpv1.Request) *mcpv1.Response { return text(strings.Join(toolResults(req), "")) },
	}}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	chainrun.Register(env, &chainrun.Activities{
		Router: router, HTTP: httptool.New(),
		PromptAPIs: chainrun.PromptAPIs{Client: http.DefaultClient, BaseURL: api.URL},
		OpenKey:    func(sealed string) (string, error) { return strings.TrimPrefix(sealed, "sealed:"), nil },
	})
	spec, _ := proto.Marshal(&workflowsv1.ChainSpec{
		Tools: []*workflowsv1.ToolDefinition{{Tool: &mcpv1.Tool{Name: "summarise"}, Target: &workflowsv1.ToolDefinition_PromptApi{PromptApi: &workflowsv1.PromptApiTool{Slug: "summary"}}}},
		Steps: []*workflowsv1.Step{{Id: "ask", Kind: &workflowsv1.Step_ToolLoop{ToolLoop: &workflowsv1.ToolLoopStep{
			Call:  &workflowsv1.ModelCallStep{Model: "demo", Input: &workflowsv1.ModelCallStep_Messages{Messages: userMessage("hi")}},
			Tools: []string{"summarise"}, MaxIterations: 3,
		}}}},
	})
	env.ExecuteWorkflow(chainrun.WorkflowName, chainrun.Input{RunID: "run-1", ChainName: "c", ChainVersion: 1, Spec: spec, SealedKey: "sealed:mk-run-key"})
	var run workflowsv1.Run
	if err := env.GetWorkflowResult(&run); err != nil {
		t.Fatal(err)
	}
	if run.GetStatus() != workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED || run.GetOutput().GetStructValue().AsMap()["text"] != `{"output":"short summary"}` {
		t.Fatalf("run %v", run.GetOutput())
	}
	if gotAuth != "Bearer mk-run-key" || gotPath != "/apis/summary" || gotBody != `{"text":"long text"}` {
		t.Fatalf("prompt API saw auth %q, path %q, body %q", gotAuth, gotPath, gotBody)
	}
}

// fakeAudit collects admin actions.
type fakeAudit struct {
	auditv1connect.AuditServiceClient
	actions []*auditv1.AdminAction
}

func (f *fakeAudit) RecordAdminActions(_ context.Context, req *connect.Request[auditv1.RecordAdminActionsRequest]) (*connect.Response[auditv1.RecordAdminActionsResponse], error) {
	f.actions = append(f.actions, req.Msg.GetActions()...)
	return connect.NewResponse(&auditv1.RecordAdminActionsResponse{}), nil
}
