// Package chainrun interprets a chain as one durable Temporal workflow. Model
// and tool calls are activities (activities.go); approvals wait durably for
// an update whose validator binds the decision to the exact pending action.
package chainrun

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/prompts/template"
)

// Names registered with Temporal.
const (
	WorkflowName     = "manifold.ChainRun"
	QueryRun         = "run"
	QueryEvents      = "events"
	UpdateDecide     = "decide"
	ActivityModel    = "manifold.ModelCall"
	ActivityCallTool = "manifold.CallTool"
	// ActivityRecordDecision audits a timeout decision.
	ActivityRecordDecision = "manifold.RecordDecision"
)

// Error types of a refused decision (temporal.ApplicationError types).
const (
	ErrNotPending     = "NotPending"
	ErrDigestMismatch = "DigestMismatch"
	ErrNotApprover    = "NotApprover"
	ErrExpired        = "Expired"
)

// Input starts a run.
type Input struct {
	RunID          string
	ChainName      string
	ChainVersion   int32
	ChainLabel     string
	Spec           []byte // binary workflowsv1.ChainSpec
	Input          []byte // JSON object
	StartedBy      string
	IdempotencyKey string
	Metadata       map[string]string
	// SealedKey is the starter's virtual key, encrypted by the service; the
	// run's model calls are made (and charged) with it.
	SealedKey string
}

// Decision approves or rejects a pending approval.
type Decision struct {
	StepID    string
	Digest    string
	Approve   bool
	Comment   string
	Principal string
	// KeyID is the approver's key id; approvers may name it instead of
	// the principal.
	KeyID string
	Roles []string
}

const defaultStepTimeout = 10 * time.Minute

// RunTimeout is a run's deadline from its start: the spec's, or 7 days.
func RunTimeout(spec *workflowsv1.ChainSpec) time.Duration {
	if d := spec.GetTimeout(); d != nil {
		return d.AsDuration()
	}
	return 7 * 24 * time.Hour
}

// pending is an approval waiting in the workflow.
type pending struct {
	approval *workflowsv1.PendingApproval
	record   *workflowsv1.ApprovalRecord
}

// Events answers QueryEvents: the run's events after a sequence, each a
// binary workflowsv1.WatchRunResponse, and the last sequence so far.
type Events struct {
	Last   int64
	Events [][]byte
}

type runner struct {
	events  []*workflowsv1.WatchRunResponse // every event, in order; Sequence from 1
	in      Input
	spec    *workflowsv1.ChainSpec
	run     *workflowsv1.Run
	input   map[string]any
	vars    map[string]any
	outputs map[string]any
	pending map[string]*pending
	tools   map[string]*workflowsv1.ToolDefinition
	// strict renders placeholders like a prompt template (see render).
	strict bool
}

// errEnded ends a run early with the status already set on it.
var errEnded = errors.New("run ended")

// Run is the workflow: it runs the chain's steps in order and returns the
// run as it ended. Step failures, rejections and cancellation end the run
// with a status; they are not workflow failures.
func Run(ctx workflow.Context, in Input) (*workflowsv1.Run, error) {
	r := &runner{in: in, spec: &workflowsv1.ChainSpec{}, outputs: map[string]any{}, pending: map[string]*pending{}, tools: map[string]*workflowsv1.ToolDefinition{}}
	if err := proto.Unmarshal(in.Spec, r.spec); err != nil {
		return nil, temporal.NewNonRetryableApplicationError("decode chain spec", "BadInput", err)
	}
	if err := json.Unmarshal(in.Input, &r.input); err != nil || r.input == nil {
		r.input = map[string]any{}
	}
	r.strict = workflow.GetVersion(ctx, "template-placeholders", workflow.DefaultVersion, 1) == 1
	r.vars = map[string]any{}
	// Copying a map does not depend on iteration order.
	//workflowcheck:ignore
	for k, v := range r.input {
		r.vars[k] = v
	}
	for _, t := range r.spec.GetTools() {
		r.tools[t.GetTool().GetName()] = t
	}
	inputStruct, _ := structpb.NewStruct(r.input)
	r.run = &workflowsv1.Run{
		Id: in.RunID, ChainName: in.ChainName, ChainVersion: in.ChainVersion, ChainLabel: in.ChainLabel,
		Status: workflowsv1.RunStatus_RUN_STATUS_RUNNING, Input: inputStruct, Usage: &mcpv1.Usage{},
		StartedBy: in.StartedBy, IdempotencyKey: in.IdempotencyKey, Metadata: in.Metadata,
		CreatedAt: timestamppb.New(workflow.GetInfo(ctx).WorkflowStartTime),
		Deadline:  timestamppb.New(workflow.GetInfo(ctx).WorkflowStartTime.Add(RunTimeout(r.spec))),
	}
	if err := workflow.SetQueryHandler(ctx, QueryRun, func() (*workflowsv1.Run, error) { return r.run, nil }); err != nil {
		return nil, err
	}
	if err := workflow.SetQueryHandler(ctx, QueryEvents, r.eventsAfter); err != nil {
		return nil, err
	}
	r.emit(ctx, statusChanged(r.run))
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateDecide, r.decide, workflow.UpdateHandlerOptions{Validator: r.validate}); err != nil {
		return nil, err
	}
	for _, step := range r.spec.GetSteps() {
		if err := r.step(ctx, step); err != nil {
			if !errors.Is(err, errEnded) {
				return nil, err
			}
			break
		}
	}
	if r.run.Status == workflowsv1.RunStatus_RUN_STATUS_RUNNING {
		out := r.outputs[lastStepID(r.spec)]
		if ref := r.spec.GetOutput(); ref != nil {
			v, ok := r.resolve(ref)
			if !ok {
				r.end(workflowsv1.RunStatus_RUN_STATUS_FAILED, "output %q%s resolves to nothing", ref.GetStep(), ref.GetPointer())
			}
			out = v
		}
		if r.run.Status == workflowsv1.RunStatus_RUN_STATUS_RUNNING {
			r.run.Output, _ = structpb.NewValue(out)
			r.run.Status = workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED
		}
	}
	r.run.PendingApprovals = nil
	r.run.EndedAt = timestamppb.New(workflow.Now(ctx))
	r.emit(ctx, statusChanged(r.run))
	return r.run, nil
}

// emit records an event for watchers. Events live in workflow memory
// only: a replay rebuilds them, so they add nothing to the history.
func (r *runner) emit(ctx workflow.Context, ev *workflowsv1.WatchRunResponse) {
	ev.Sequence = int64(len(r.events) + 1)
	ev.Time = timestamppb.New(workflow.Now(ctx))
	r.events = append(r.events, ev)
}

func (r *runner) eventsAfter(after int64) (Events, error) {
	out := Events{Last: int64(len(r.events))}
	for _, ev := range r.events[min(max(after, 0), out.Last):] {
		b, err := proto.Marshal(ev)
		if err != nil {
			return Events{}, err
		}
		out.Events = append(out.Events, b)
	}
	return out, nil
}

// setStatus changes the run's status, as an event.
func (r *runner) setStatus(ctx workflow.Context, st workflowsv1.RunStatus) {
	if r.run.Status != st {
		r.run.Status = st
		r.emit(ctx, statusChanged(r.run))
	}
}

func statusChanged(run *workflowsv1.Run) *workflowsv1.WatchRunResponse {
	return &workflowsv1.WatchRunResponse{Event: &workflowsv1.WatchRunResponse_StatusChanged{StatusChanged: &workflowsv1.RunStatusChange{
		Status: run.GetStatus(), Output: run.GetOutput(), Error: run.GetError(), Usage: proto.Clone(run.GetUsage()).(*mcpv1.Usage),
	}}}
}

func stepEvent(sr *workflowsv1.StepRun) *workflowsv1.WatchRunResponse {
	return &workflowsv1.WatchRunResponse{Event: &workflowsv1.WatchRunResponse_Step{Step: proto.Clone(sr).(*workflowsv1.StepRun)}}
}

func lastStepID(spec *workflowsv1.ChainSpec) string {
	steps := spec.GetSteps()
	return steps[len(steps)-1].GetId()
}

// end sets a terminal status with its error.
func (r *runner) end(status workflowsv1.RunStatus, format string, args ...any) {
	r.run.Status = status
	class := mcpv1.ErrorClass_ERROR_CLASS_INTERNAL
	switch status {
	case workflowsv1.RunStatus_RUN_STATUS_CANCELLED:
		class = mcpv1.ErrorClass_ERROR_CLASS_CANCELLED
	case workflowsv1.RunStatus_RUN_STATUS_REJECTED:
		class = mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED
	case workflowsv1.RunStatus_RUN_STATUS_TIMED_OUT:
		class = mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT
	}
	r.run.Error = &mcpv1.ErrorDetail{ErrorClass: class, Message: fmt.Sprintf(format, args...)}
}

func (r *runner) resolve(ref *workflowsv1.ValueRef) (any, bool) {
	var base any = r.input
	if ref.GetStep() != "" {
		v, ok := r.outputs[ref.GetStep()]
		if !ok {
			return nil, false
		}
		base = v
	}
	return pointer(base, ref.GetPointer())
}

// step runs one step, recording it on the run.
func (r *runner) step(ctx workflow.Context, step *workflowsv1.Step) error {
	sr := &workflowsv1.StepRun{StepId: step.GetId(), Status: workflowsv1.StepStatus_STEP_STATUS_RUNNING, Usage: &mcpv1.Usage{}, StartedAt: timestamppb.New(workflow.Now(ctx))}
	r.run.Steps = append(r.run.Steps, sr)
	r.emit(ctx, stepEvent(sr))
	defer func() { r.emit(ctx, stepEvent(sr)) }()
	var out any
	var err error
	switch k := step.GetKind().(type) {
	case *workflowsv1.Step_ModelCall:
		sr.Kind = workflowsv1.StepKind_STEP_KIND_MODEL_CALL
		out, err = r.modelCall(ctx, step, sr, k.ModelCall)
	case *workflowsv1.Step_ToolLoop:
		sr.Kind = workflowsv1.StepKind_STEP_KIND_TOOL_LOOP
		out, err = r.toolLoop(ctx, step, sr, k.ToolLoop)
	case *workflowsv1.Step_Approval:
		sr.Kind = workflowsv1.StepKind_STEP_KIND_APPROVAL
		out, err = r.approvalStep(ctx, step, sr, k.Approval)
	case *workflowsv1.Step_Transform:
		sr.Kind = workflowsv1.StepKind_STEP_KIND_TRANSFORM
		out, err = r.transform(sr, k.Transform)
	default:
		err = fmt.Errorf("step %q has no kind", step.GetId())
	}
	sr.EndedAt = timestamppb.New(workflow.Now(ctx))
	if err == nil {
		sr.Status = workflowsv1.StepStatus_STEP_STATUS_SUCCEEDED
		sr.Output, _ = structpb.NewValue(out)
		r.outputs[step.GetId()] = out
		return nil
	}
	switch {
	case errors.Is(err, errEnded):
	case temporal.IsCanceledError(err) || ctx.Err() != nil:
		r.end(workflowsv1.RunStatus_RUN_STATUS_CANCELLED, "run cancelled during step %q", step.GetId())
	default:
		r.end(workflowsv1.RunStatus_RUN_STATUS_FAILED, "step %q failed: %s", step.GetId(), errMessage(err))
		if e := (*apierror.Error)(nil); errors.As(err, &e) {
			r.run.Error.ErrorClass = e.Class
		}
	}
	switch r.run.Status {
	case workflowsv1.RunStatus_RUN_STATUS_CANCELLED:
		sr.Status = workflowsv1.StepStatus_STEP_STATUS_CANCELLED
	case workflowsv1.RunStatus_RUN_STATUS_REJECTED:
		sr.Status = workflowsv1.StepStatus_STEP_STATUS_REJECTED
	default:
		sr.Status = workflowsv1.StepStatus_STEP_STATUS_FAILED
	}
	sr.Error = r.run.Error
	return errEnded
}

// errMessage is the innermost message of an activity failure.
func errMessage(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	return err.Error()
}

func addUsage(dst, u *mcpv1.Usage) {
	dst.InputTokens += u.GetInputTokens()
	dst.OutputTokens += u.GetOutputTokens()
	dst.CachedInputTokens += u.GetCachedInputTokens()
	dst.CacheWriteTokens += u.GetCacheWriteTokens()
	dst.ReasoningTokens += u.GetReasoningTokens()
	dst.TotalTokens += u.GetTotalTokens()
	dst.CostMicros += u.GetCostMicros()
}

func stepTimeout(step *workflowsv1.Step) time.Duration {
	if d := step.GetTimeout(); d != nil {
		return d.AsDuration()
	}
	return defaultStepTimeout
}

// request builds a model call's request from the run's variables.
func (r *runner) request(step *workflowsv1.Step, mc *workflowsv1.ModelCallStep) (*mcpv1.Request, error) {
	req := &mcpv1.Request{Model: mc.GetModel(), Sampling: mc.GetSampling(), ResponseFormat: mc.GetResponseFormat()}
	switch in := mc.GetInput().(type) {
	case *workflowsv1.ModelCallStep_Prompt:
		p := proto.Clone(in.Prompt).(*mcpv1.PromptRef)
		vars := map[string]any{}
		// Copying maps does not depend on iteration order.
		//workflowcheck:ignore
		for k, v := range r.vars {
			vars[k] = v
		}
		//workflowcheck:ignore
		for k, v := range p.GetVariables().AsMap() {
			vars[k] = v
		}
		s, err := structpb.NewStruct(vars)
		if err != nil {
			return nil, fmt.Errorf("prompt variables: %w", err)
		}
		p.Variables = s
		req.Prompt = p
	case *workflowsv1.ModelCallStep_Messages:
		msgs, err := r.render(in.Messages.GetMessages())
		if err != nil {
			return nil, fmt.Errorf("inline messages: %w", err)
		}
		req.Messages = msgs
	}
	meta := map[string]string{"run_id": r.in.RunID, "chain": r.in.ChainName, "step_id": step.GetId()}
	// Sorted, so that which labels fit under the limit of 16 is the same on
	// every replay.
	for _, k := range slices.Sorted(maps.Keys(r.in.Metadata)) {
		if _, taken := meta[k]; !taken && len(meta) < 16 {
			meta[k] = r.in.Metadata[k]
		}
	}
	req.Options = &mcpv1.RequestOptions{Metadata: meta, Timeout: durationpb.New(stepTimeout(step))}
	return req, nil
}

func (r *runner) callModel(ctx workflow.Context, step *workflowsv1.Step, sr *workflowsv1.StepRun, req *mcpv1.Request, turn int) (*mcpv1.Response, error) {
	req.Options.IdempotencyKey = fmt.Sprintf("%s/%s/%d", r.in.RunID, step.GetId(), turn)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: stepTimeout(step),
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 5},
	})
	if turn == 1 {
		sr.Input = requestValue(req)
	}
	var resp mcpv1.Response
	if err := workflow.ExecuteActivity(actx, ActivityModel, req, r.in.SealedKey).Get(ctx, &resp); err != nil {
		return nil, err
	}
	addUsage(sr.Usage, resp.GetUsage())
	addUsage(r.run.Usage, resp.GetUsage())
	if resp.GetId() != "" {
		sr.CallIds = append(sr.CallIds, resp.GetId())
	}
	return &resp, nil
}

func requestValue(req *mcpv1.Request) *structpb.Value {
	b, err := protojson.Marshal(req)
	if err != nil {
		return nil
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	out, _ := structpb.NewValue(v)
	return out
}

// render fills the {{variable}} placeholders of msgs from the run's
// variables exactly as a prompt template's are filled (package template):
// a missing variable is an INVALID_REQUEST error naming it. Runs started
// before that rendered missing variables empty, and still do.
func (r *runner) render(msgs []*mcpv1.Message) ([]*mcpv1.Message, error) {
	if !r.strict {
		out := make([]*mcpv1.Message, len(msgs))
		for i, m := range msgs {
			out[i] = proto.Clone(m).(*mcpv1.Message)
			for _, part := range out[i].GetContent() {
				if t, ok := part.GetPart().(*mcpv1.ContentPart_Text); ok {
					t.Text = legacyRender(t.Text, r.vars)
				}
			}
		}
		return out, nil
	}
	vars, err := structpb.NewStruct(r.vars)
	if err != nil {
		return nil, fmt.Errorf("variables: %w", err)
	}
	// Without a variables schema, Render only substitutes: it never reaches
	// the schema check, whose map iteration workflowcheck reports.
	//workflowcheck:ignore
	return template.Render(&promptsv1.PromptTemplate{Messages: msgs}, vars)
}

// renderText renders one text like render.
func (r *runner) renderText(text string) (string, error) {
	msgs, err := r.render([]*mcpv1.Message{{Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: text}}}}})
	if err != nil {
		return "", err
	}
	return msgs[0].GetContent()[0].GetText(), nil
}

// answer is a model call's output: text, parsed JSON when asked for, and
// the finish reason.
func answer(resp *mcpv1.Response, format *mcpv1.ResponseFormat) map[string]any {
	var text string
	for _, p := range resp.GetMessage().GetContent() {
		text += p.GetText()
	}
	out := map[string]any{"text": text, "finish_reason": finishName(resp.GetFinishReason())}
	if t := format.GetType(); t == mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_OBJECT || t == mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA {
		var v any
		if json.Unmarshal([]byte(text), &v) == nil {
			out["json"] = v
		}
	}
	return out
}

func finishName(f mcpv1.FinishReason) string {
	name := f.String()
	const prefix = "FINISH_REASON_"
	if len(name) > len(prefix) {
		name = name[len(prefix):]
	}
	return lower(name)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func (r *runner) modelCall(ctx workflow.Context, step *workflowsv1.Step, sr *workflowsv1.StepRun, mc *workflowsv1.ModelCallStep) (any, error) {
	req, err := r.request(step, mc)
	if err != nil {
		return nil, err
	}
	resp, err := r.callModel(ctx, step, sr, req, 1)
	if err != nil {
		return nil, err
	}
	return answer(resp, mc.GetResponseFormat()), nil
}

// toolLoop lets the model call the step's tools until it answers.
func (r *runner) toolLoop(ctx workflow.Context, step *workflowsv1.Step, sr *workflowsv1.StepRun, tl *workflowsv1.ToolLoopStep) (any, error) {
	req, err := r.request(step, tl.GetCall())
	if err != nil {
		return nil, err
	}
	for _, name := range tl.GetTools() {
		def, ok := r.tools[name]
		if !ok {
			return nil, fmt.Errorf("tool %q is not declared in the chain", name)
		}
		req.Tools = append(req.Tools, def.GetTool())
	}
	approvals := map[string]*workflowsv1.ApprovalPolicy{}
	for _, a := range tl.GetApprovals() {
		approvals[a.GetTool()] = a.GetPolicy()
	}
	for turn := 1; turn <= int(tl.GetMaxIterations()); turn++ {
		sr.Iterations = int32(turn)
		resp, err := r.callModel(ctx, step, sr, req, turn)
		if err != nil {
			return nil, err
		}
		calls := resp.GetMessage().GetToolCalls()
		if len(calls) == 0 {
			out := answer(resp, tl.GetCall().GetResponseFormat())
			out["iterations"] = turn
			return out, nil
		}
		req.Messages = append(req.Messages, resp.GetMessage())
		for _, call := range calls {
			inv := &workflowsv1.ToolInvocation{Iteration: int32(turn), Call: call}
			sr.ToolInvocations = append(sr.ToolInvocations, inv)
			run := true
			if policy, gated := approvals[call.GetName()]; gated {
				digest, err := ToolCallDigest(call.GetName(), call.GetArguments())
				if err != nil {
					inv.Result, inv.IsError, run = err.Error(), true, false
				} else {
					rec, err := r.await(ctx, sr, &workflowsv1.PendingApproval{
						StepId: step.GetId(), Subject: &workflowsv1.PendingApproval_ToolCall{ToolCall: call}, Digest: digest,
					}, policy)
					if err != nil {
						return nil, err
					}
					if !approved(rec) {
						if policy.GetOnReject() != workflowsv1.ApprovalRejectAction_APPROVAL_REJECT_ACTION_RETURN_TO_MODEL {
							r.rejected(rec, fmt.Sprintf("tool call %s of step %q", call.GetName(), step.GetId()))
							return nil, errEnded
						}
						reason := rec.GetComment()
						if timedOut(rec) {
							reason = "nobody approved it in time"
						}
						inv.Result, inv.IsError, run = "the call was rejected: "+reason, true, false
					}
				}
			}
			if run {
				if err := r.callTool(ctx, step, call, inv); err != nil {
					return nil, err
				}
			}
			r.emit(ctx, &workflowsv1.WatchRunResponse{Event: &workflowsv1.WatchRunResponse_ToolInvoked{ToolInvoked: &workflowsv1.StepToolInvocation{
				StepId: step.GetId(), Invocation: proto.Clone(inv).(*workflowsv1.ToolInvocation),
			}}})
			req.Messages = append(req.Messages, &mcpv1.Message{
				Role: mcpv1.Role_ROLE_TOOL, ToolCallId: call.GetId(),
				Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_ToolResult{ToolResult: &mcpv1.ToolResultPart{
					ToolCallId: call.GetId(), Name: call.GetName(), IsError: inv.GetIsError(),
					Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: inv.GetResult()}}},
				}}}},
			})
		}
	}
	return nil, fmt.Errorf("the model still calls tools after %d iterations", tl.GetMaxIterations())
}

// callTool runs one tool call as an activity whose idempotency key is the
// run, step, iteration and call id: Temporal never re-runs a completed
// activity on replay, and the key lets the tool drop a retried request.
func (r *runner) callTool(ctx workflow.Context, step *workflowsv1.Step, call *mcpv1.ToolCall, inv *workflowsv1.ToolInvocation) error {
	def, ok := r.tools[call.GetName()]
	if !ok {
		inv.Result, inv.IsError = fmt.Sprintf("unknown tool %q", call.GetName()), true
		return nil
	}
	timeout := 30 * time.Second
	if d := def.GetTimeout(); d != nil {
		timeout = d.AsDuration()
	}
	defBytes, err := proto.Marshal(def)
	if err != nil {
		return err
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: timeout + 5*time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 3},
	})
	in := ToolInput{
		Tool: defBytes, Arguments: call.GetArguments(),
		IdempotencyKey: fmt.Sprintf("%s/%s/%d/%s", r.in.RunID, step.GetId(), inv.GetIteration(), call.GetId()),
		SealedKey:      r.in.SealedKey,
	}
	inv.StartedAt = timestamppb.New(workflow.Now(ctx))
	var res ToolResult
	if err := workflow.ExecuteActivity(actx, ActivityCallTool, in).Get(ctx, &res); err != nil {
		return err
	}
	inv.Result, inv.IsError, inv.Latency = res.Text, res.IsError, durationpb.New(res.Latency)
	return nil
}

func approved(rec *workflowsv1.ApprovalRecord) bool {
	d := rec.GetDecision()
	return d == workflowsv1.ApprovalDecision_APPROVAL_DECISION_APPROVED || d == workflowsv1.ApprovalDecision_APPROVAL_DECISION_TIMED_OUT_APPROVED
}

func timedOut(rec *workflowsv1.ApprovalRecord) bool {
	return rec.GetDecision() == workflowsv1.ApprovalDecision_APPROVAL_DECISION_TIMED_OUT_REJECTED
}

// rejected ends the run REJECTED by a decision on what: a person's
// rejection, or the timeout policy's, which is a TIMEOUT error rather than
// a refusal.
func (r *runner) rejected(rec *workflowsv1.ApprovalRecord, what string) {
	if !timedOut(rec) {
		r.end(workflowsv1.RunStatus_RUN_STATUS_REJECTED, "%s was rejected by %s", what, rec.GetDecidedBy())
		return
	}
	after := ""
	if rec.GetEscalated() {
		after = " after escalation"
	}
	r.end(workflowsv1.RunStatus_RUN_STATUS_REJECTED, "%s timed out%s: nobody decided in time, so its timeout policy rejected it", what, after)
	r.run.Error.ErrorClass = mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT
}

// approvalStep waits for a decision on a value.
func (r *runner) approvalStep(ctx workflow.Context, step *workflowsv1.Step, sr *workflowsv1.StepRun, a *workflowsv1.ApprovalStep) (any, error) {
	subject, ok := r.resolve(a.GetSubject())
	if !ok {
		return nil, fmt.Errorf("subject %q%s resolves to nothing", a.GetSubject().GetStep(), a.GetSubject().GetPointer())
	}
	value, err := structpb.NewValue(subject)
	if err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	sr.Input = value
	digest, err := Digest(subject)
	if err != nil {
		return nil, err
	}
	instructions, err := r.renderText(a.GetInstructions())
	if err != nil {
		return nil, fmt.Errorf("instructions: %w", err)
	}
	rec, err := r.await(ctx, sr, &workflowsv1.PendingApproval{
		StepId: step.GetId(), Subject: &workflowsv1.PendingApproval_Value{Value: value}, Digest: digest,
		Instructions: instructions,
	}, a.GetPolicy())
	if err != nil {
		return nil, err
	}
	if !approved(rec) {
		r.rejected(rec, fmt.Sprintf("approval of step %q", step.GetId()))
		return nil, errEnded
	}
	return map[string]any{"approved": true, "decided_by": rec.GetDecidedBy(), "comment": rec.GetComment()}, nil
}

// await records a pending approval and waits, durably, for a decision or
// the deadline, applying the timeout policy.
func (r *runner) await(ctx workflow.Context, sr *workflowsv1.StepRun, pa *workflowsv1.PendingApproval, policy *workflowsv1.ApprovalPolicy) (*workflowsv1.ApprovalRecord, error) {
	now := workflow.Now(ctx)
	pa.RunId, pa.ChainName, pa.ChainVersion = r.in.RunID, r.in.ChainName, r.in.ChainVersion
	pa.Approvers = policy.GetApprovers()
	pa.RequestedAt = timestamppb.New(now)
	pa.Deadline = timestamppb.New(now.Add(policy.GetTimeout().AsDuration()))
	pa.OnTimeout = policy.GetOnTimeout()
	p := &pending{approval: pa}
	r.pending[pa.GetStepId()] = p
	r.run.PendingApprovals = append(r.run.PendingApprovals, pa)
	requested := func() {
		r.emit(ctx, &workflowsv1.WatchRunResponse{Event: &workflowsv1.WatchRunResponse_ApprovalRequested{ApprovalRequested: proto.Clone(pa).(*workflowsv1.PendingApproval)}})
	}
	requested()
	r.setStatus(ctx, workflowsv1.RunStatus_RUN_STATUS_WAITING_FOR_APPROVAL)
	sr.Status = workflowsv1.StepStatus_STEP_STATUS_WAITING_FOR_APPROVAL
	defer func() {
		delete(r.pending, pa.GetStepId())
		r.run.PendingApprovals = slices.DeleteFunc(r.run.PendingApprovals, func(x *workflowsv1.PendingApproval) bool { return x == pa })
		if p.record != nil {
			r.emit(ctx, &workflowsv1.WatchRunResponse{Event: &workflowsv1.WatchRunResponse_ApprovalDecided{ApprovalDecided: &workflowsv1.StepApprovalDecision{
				StepId: pa.GetStepId(), Approval: proto.Clone(p.record).(*workflowsv1.ApprovalRecord),
			}}})
		}
		if r.run.Status == workflowsv1.RunStatus_RUN_STATUS_WAITING_FOR_APPROVAL {
			r.setStatus(ctx, workflowsv1.RunStatus_RUN_STATUS_RUNNING)
		}
		if sr.Status == workflowsv1.StepStatus_STEP_STATUS_WAITING_FOR_APPROVAL {
			sr.Status = workflowsv1.StepStatus_STEP_STATUS_RUNNING
		}
	}()
	for p.record == nil {
		wait := pa.GetDeadline().AsTime().Sub(workflow.Now(ctx))
		decided, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return p.record != nil })
		if err != nil {
			return nil, err
		}
		if decided {
			break
		}
		system := func(d workflowsv1.ApprovalDecision) {
			p.record = &workflowsv1.ApprovalRecord{Digest: pa.GetDigest(), ToolCall: pa.GetToolCall(), Decision: d, DecidedBy: "system", DecidedAt: timestamppb.New(workflow.Now(ctx)), Escalated: pa.GetEscalated()}
		}
		switch {
		case policy.GetOnTimeout() == workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_APPROVE:
			system(workflowsv1.ApprovalDecision_APPROVAL_DECISION_TIMED_OUT_APPROVED)
		case policy.GetOnTimeout() == workflowsv1.ApprovalTimeoutAction_APPROVAL_TIMEOUT_ACTION_ESCALATE && !pa.GetEscalated():
			pa.Escalated = true
			pa.Approvers = policy.GetEscalateTo()
			pa.Deadline = timestamppb.New(workflow.Now(ctx).Add(policy.GetEscalationTimeout().AsDuration()))
			requested()
		default:
			system(workflowsv1.ApprovalDecision_APPROVAL_DECISION_TIMED_OUT_REJECTED)
		}
	}
	sr.Approvals = append(sr.Approvals, p.record)
	if p.record.GetDecidedBy() == "system" && workflow.GetVersion(ctx, "audit-timeout-decisions", workflow.DefaultVersion, 1) == 1 {
		// The decision stands even if the audit service cannot take it.
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 30 * time.Second,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 10},
		})
		_ = workflow.ExecuteActivity(actx, ActivityRecordDecision, DecisionRecord{
			RunID: r.in.RunID, StepID: pa.GetStepId(), Digest: pa.GetDigest(), Approved: approved(p.record),
			Escalated: pa.GetEscalated(), At: p.record.GetDecidedAt().AsTime(),
		}).Get(ctx, nil)
	}
	return p.record, nil
}

// validate refuses a decision that does not match a pending approval, comes
// from someone who is not an approver, or comes after the deadline. It
// changes nothing, so a refused update leaves no trace in the history.
func (r *runner) validate(ctx workflow.Context, d Decision) error {
	p, ok := r.pending[d.StepID]
	if !ok || p.record != nil {
		return temporal.NewApplicationError(fmt.Sprintf("step %q has no pending approval", d.StepID), ErrNotPending)
	}
	if d.Digest != p.approval.GetDigest() {
		return temporal.NewApplicationError(fmt.Sprintf("digest %s does not match the pending action of step %q", d.Digest, d.StepID), ErrDigestMismatch)
	}
	if !allowed(p.approval.GetApprovers(), d.Principal, d.Roles) && !allowed(p.approval.GetApprovers(), d.KeyID, nil) {
		return temporal.NewApplicationError(fmt.Sprintf("%s may not decide step %q", d.Principal, d.StepID), ErrNotApprover)
	}
	if !workflow.Now(ctx).Before(p.approval.GetDeadline().AsTime()) {
		return temporal.NewApplicationError(fmt.Sprintf("the approval of step %q has expired", d.StepID), ErrExpired)
	}
	return nil
}

func allowed(a *workflowsv1.Approvers, principal string, roles []string) bool {
	if principal != "" && slices.Contains(a.GetPrincipals(), principal) {
		return true
	}
	for _, role := range roles {
		if slices.Contains(a.GetRoles(), role) {
			return true
		}
	}
	return false
}

// decide records a validated decision.
func (r *runner) decide(ctx workflow.Context, d Decision) (*workflowsv1.ApprovalRecord, error) {
	p := r.pending[d.StepID]
	decision := workflowsv1.ApprovalDecision_APPROVAL_DECISION_REJECTED
	if d.Approve {
		decision = workflowsv1.ApprovalDecision_APPROVAL_DECISION_APPROVED
	}
	p.record = &workflowsv1.ApprovalRecord{
		Digest: d.Digest, ToolCall: p.approval.GetToolCall(), Decision: decision, DecidedBy: d.Principal,
		Comment: d.Comment, DecidedAt: timestamppb.New(workflow.Now(ctx)), Escalated: p.approval.GetEscalated(),
	}
	return p.record, nil
}

// transform sets variables from earlier outputs or literals.
func (r *runner) transform(sr *workflowsv1.StepRun, t *workflowsv1.TransformStep) (any, error) {
	set := map[string]any{}
	sources := map[string]any{}
	for _, m := range t.GetMappings() {
		var v any
		switch src := m.GetValue().(type) {
		case *workflowsv1.FieldMapping_Literal:
			v = src.Literal.AsInterface()
		case *workflowsv1.FieldMapping_Source:
			got, ok := r.resolve(src.Source)
			switch {
			case ok:
				v = got
			case m.GetDefaultValue() != nil:
				v = m.GetDefaultValue().AsInterface()
			default:
				return nil, fmt.Errorf("mapping %q: source %q%s resolves to nothing", m.GetTarget(), src.Source.GetStep(), src.Source.GetPointer())
			}
			sources[m.GetTarget()] = v
		}
		setPath(r.vars, m.GetTarget(), v)
		setPath(set, m.GetTarget(), v)
	}
	sr.Input, _ = structpb.NewValue(sources)
	return set, nil
}
