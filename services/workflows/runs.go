package workflows

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"connectrpc.com/connect"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/workflows/chainrun"
)

// Memo keys set on every run's workflow, read by ListRuns.
const (
	memoChain     = "chain"
	memoStartedBy = "started_by"
	// memoRequest is the startRequest of a run started with an
	// idempotency key.
	memoRequest = "request"
)

// startRequest is what an idempotency key stands for, besides its chain
// (which is part of the run id): the version as selected, not as resolved
// (a retry after its label moved still finds its run), and the SHA-256 of
// the input as given.
type startRequest struct {
	Label       string `json:"label,omitempty"`
	Version     int32  `json:"version,omitempty"`
	InputSHA256 string `json:"input_sha256"`
}

func newRunID() string { return "run_" + strings.ToLower(rand.Text()) }

// runID derives a run id from an idempotency key, so that a repeated
// StartRun finds the run it started.
func runID(startedBy, chain, key string) string {
	sum := sha256.Sum256([]byte(startedBy + "\x00" + chain + "\x00" + key))
	return "run_" + hex.EncodeToString(sum[:16])
}

// StartRun starts a run of a chain version. The request is checked in full
// before anything starts (Temporal included).
func (s *Service) StartRun(ctx context.Context, req *connect.Request[workflowsv1.StartRunRequest]) (*connect.Response[workflowsv1.StartRunResponse], error) {
	m := req.Msg
	who, err := s.principal(ctx, req.Header(), false)
	if err != nil {
		return nil, err
	}
	_, cv, err := s.resolve(ctx, m.GetChainName(), m.GetLabel(), m.GetVersion())
	if err != nil {
		return nil, err
	}
	input := map[string]any{}
	if m.GetInput() != nil {
		input = m.GetInput().AsMap()
	}
	givenJSON, err := json.Marshal(input) // before checkInput adds defaults
	if err != nil {
		return nil, apierror.Invalid("input", "input: %v", err)
	}
	given := sha256.Sum256(givenJSON)
	asked := startRequest{Label: m.GetLabel(), Version: m.GetVersion(), InputSHA256: hex.EncodeToString(given[:])}
	if input, err = checkInput(cv.GetSpec().GetInputSchema(), input); err != nil {
		return nil, err
	}
	inputStruct, err := structpb.NewStruct(input)
	if err != nil {
		return nil, apierror.Invalid("input", "input: %v", err)
	}
	inputJSON, err := json.Marshal(input)
	if err != nil {
		return nil, apierror.Invalid("input", "input: %v", err)
	}
	specBytes, err := proto.Marshal(cv.GetSpec())
	if err != nil {
		return nil, apierror.Internal(err)
	}
	key, err := s.runKey(ctx, req.Header(), who)
	if err != nil {
		return nil, err
	}
	if key == "" && s.cfg.KeysRequired && callsModels(cv.GetSpec()) {
		return nil, apierror.Invalid(RunKeyHeader, "chain %q calls models and this gateway requires a virtual key for them: give the run one in the %s header (manifold runs start --run-key-env VAR)", cv.GetChainName(), RunKeyHeader)
	}
	if err := s.runs(ctx); err != nil {
		return nil, err
	}
	id := newRunID()
	memo := map[string]any{memoChain: cv.GetChainName(), memoStartedBy: who.name}
	if k := m.GetIdempotencyKey(); k != "" {
		id = runID(who.name, m.GetChainName(), k)
		memo[memoRequest] = asked
		run, err := s.existingRun(ctx, id, k, asked)
		if err != nil {
			return nil, err
		}
		if run != nil {
			return connect.NewResponse(&workflowsv1.StartRunResponse{Run: run, Existing: true}), nil
		}
	}
	in := chainrun.Input{
		RunID: id, ChainName: cv.GetChainName(), ChainVersion: cv.GetVersion(), ChainLabel: m.GetLabel(),
		Spec: specBytes, Input: inputJSON, StartedBy: who.name, IdempotencyKey: m.GetIdempotencyKey(), Metadata: m.GetMetadata(),
		SealedKey: s.seal.seal(key),
	}
	_, err = s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: s.cfg.TaskQueue,
		WorkflowExecutionTimeout: chainrun.RunTimeout(cv.GetSpec()),
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		Memo:                     memo,
	}, chainrun.WorkflowName, in)
	if err != nil {
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) { // by a concurrent start with the same key
			run, err := s.existingRun(ctx, id, m.GetIdempotencyKey(), asked)
			if err != nil {
				return nil, err
			}
			return connect.NewResponse(&workflowsv1.StartRunResponse{Run: run, Existing: true}), nil
		}
		return nil, temporalError(err)
	}
	now := time.Now()
	run := &workflowsv1.Run{
		Id: id, ChainName: cv.GetChainName(), ChainVersion: cv.GetVersion(), ChainLabel: m.GetLabel(),
		Status: workflowsv1.RunStatus_RUN_STATUS_PENDING, Input: inputStruct, StartedBy: who.name,
		IdempotencyKey: m.GetIdempotencyKey(), Metadata: m.GetMetadata(), CreatedAt: timestamppb.New(now),
		Deadline: timestamppb.New(now.Add(chainrun.RunTimeout(cv.GetSpec()))),
	}
	return connect.NewResponse(&workflowsv1.StartRunResponse{Run: run}), nil
}

// existingRun is the run an idempotency key started, nil when it started
// none. A run the key started for another request is refused: answering
// it would tell the caller that what they asked for was started.
func (s *Service) existingRun(ctx context.Context, id, key string, asked startRequest) (*workflowsv1.Run, error) {
	desc, err := s.temporal.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil, nil
		}
		return nil, temporalError(err)
	}
	// Runs started before requests were recorded have none to compare.
	if f := desc.GetWorkflowExecutionInfo().GetMemo().GetFields()[memoRequest]; f != nil {
		var had startRequest
		if err := json.Unmarshal(f.GetData(), &had); err != nil {
			return nil, apierror.Internal(fmt.Errorf("decode the request memo of run %s: %w", id, err))
		}
		differs := ""
		switch {
		case had.InputSHA256 != asked.InputSHA256:
			differs = "input"
		case had.Label != asked.Label || had.Version != asked.Version:
			differs = "label or version"
		}
		if differs != "" {
			return nil, codeError(connect.CodeAlreadyExists, "idempotency_key",
				"idempotency_key %q already started run %s with a different %s; a different request needs a new key", key, id, differs)
		}
	}
	return s.getRun(ctx, id)
}

// codeError is a Connect error with a code that has no error class of its
// own (already exists, failed precondition). Its detail says
// invalid_request, so HTTP callers see 400 and clients a clear message.
func codeError(code connect.Code, field, format string, args ...any) error {
	d := &mcpv1.ErrorDetail{ErrorClass: mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, Field: field, Message: fmt.Sprintf(format, args...)}
	ce := connect.NewError(code, errors.New(d.GetMessage()))
	if detail, err := connect.NewErrorDetail(d); err == nil {
		ce.AddDetail(detail)
	}
	return ce
}

// callsModels reports whether a chain has steps that call models (tool
// loops included, with the prompt-API tools they may call).
func callsModels(spec *workflowsv1.ChainSpec) bool {
	for _, st := range spec.GetSteps() {
		if st.GetModelCall() != nil || st.GetToolLoop() != nil {
			return true
		}
	}
	return false
}

// getRun reads a run: its workflow's result once it completed, else the
// run query (which Temporal answers from the history, replaying it on a
// worker if needed).
func (s *Service) getRun(ctx context.Context, id string) (*workflowsv1.Run, error) {
	desc, err := s.temporal.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "run %q not found", id)
		}
		return nil, temporalError(err)
	}
	info := desc.GetWorkflowExecutionInfo()
	run := &workflowsv1.Run{}
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		if err := s.temporal.GetWorkflow(ctx, id, "").Get(ctx, run); err != nil {
			return nil, temporalError(err)
		}
		return run, nil
	}
	v, err := s.temporal.QueryWorkflow(ctx, id, "", chainrun.QueryRun)
	if err == nil {
		err = v.Get(run)
	}
	if err != nil {
		// A run whose first workflow task has not run yet has no state.
		run = &workflowsv1.Run{Id: id, Status: workflowsv1.RunStatus_RUN_STATUS_PENDING, CreatedAt: timestamppb.New(info.GetStartTime().AsTime())}
	}
	end := timestamppb.New(info.GetCloseTime().AsTime())
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		run.Status, run.EndedAt = workflowsv1.RunStatus_RUN_STATUS_TIMED_OUT, end
		run.Error = &mcpv1.ErrorDetail{ErrorClass: mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT, Message: "the run passed its deadline"}
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		run.Status, run.EndedAt = workflowsv1.RunStatus_RUN_STATUS_CANCELLED, end
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		run.Status, run.EndedAt = workflowsv1.RunStatus_RUN_STATUS_FAILED, end
		if run.Error == nil {
			run.Error = &mcpv1.ErrorDetail{ErrorClass: mcpv1.ErrorClass_ERROR_CLASS_INTERNAL, Message: "the run's workflow " + strings.ToLower(info.GetStatus().String())}
		}
	}
	return run, nil
}

// GetRun returns a run with every step.
func (s *Service) GetRun(ctx context.Context, req *connect.Request[workflowsv1.GetRunRequest]) (*connect.Response[workflowsv1.GetRunResponse], error) {
	if err := s.runs(ctx); err != nil {
		return nil, err
	}
	run, err := s.getRun(ctx, req.Msg.GetRunId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&workflowsv1.GetRunResponse{Run: run}), nil
}

// ListRuns lists runs newest first, from Temporal's visibility store.
func (s *Service) ListRuns(ctx context.Context, req *connect.Request[workflowsv1.ListRunsRequest]) (*connect.Response[workflowsv1.ListRunsResponse], error) {
	if err := s.runs(ctx); err != nil {
		return nil, err
	}
	m := req.Msg
	q := fmt.Sprintf("WorkflowType = '%s'", chainrun.WorkflowName)
	if r := m.GetCreated(); r != nil {
		q += fmt.Sprintf(" AND StartTime >= '%s' AND StartTime < '%s'", r.GetStart().AsTime().Format(time.RFC3339Nano), r.GetEnd().AsTime().Format(time.RFC3339Nano))
	}
	n := pageSize(m.GetPageSize())
	resp := &workflowsv1.ListRunsResponse{}
	token := []byte(nil)
	if m.GetPageToken() != "" {
		t, err := hex.DecodeString(m.GetPageToken())
		if err != nil {
			return nil, apierror.Invalid("page_token", "invalid page token")
		}
		token = t
	}
	for len(resp.Runs) < n {
		page, err := s.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: s.cfg.Namespace, Query: q, PageSize: int32(n), NextPageToken: token})
		if err != nil {
			return nil, temporalError(err)
		}
		for _, e := range page.GetExecutions() {
			var chain, by string
			if f := e.GetMemo().GetFields()[memoChain]; f != nil {
				_ = json.Unmarshal(f.GetData(), &chain)
			}
			if f := e.GetMemo().GetFields()[memoStartedBy]; f != nil {
				_ = json.Unmarshal(f.GetData(), &by)
			}
			if (m.GetChainName() != "" && chain != m.GetChainName()) || (m.GetStartedBy() != "" && by != m.GetStartedBy()) {
				continue
			}
			run, err := s.getRun(ctx, e.GetExecution().GetWorkflowId())
			if err != nil {
				return nil, err
			}
			if len(m.GetStatuses()) > 0 && !slices.Contains(m.GetStatuses(), run.GetStatus()) {
				continue
			}
			run.Steps, run.PendingApprovals = nil, nil
			resp.Runs = append(resp.Runs, run)
		}
		token = page.GetNextPageToken()
		if len(token) == 0 {
			break
		}
	}
	if len(token) > 0 {
		resp.NextPageToken = hex.EncodeToString(token)
	}
	return connect.NewResponse(resp), nil
}

// decide sends an approval decision through the workflow's update, whose
// validator refuses a wrong digest, an approver without the role or
// principal, and an expired approval.
func (s *Service) decide(ctx context.Context, h http.Header, runID, stepID, digest, comment string, approve bool) (*workflowsv1.ApprovalRecord, error) {
	who, err := s.principal(ctx, h, true)
	if err != nil {
		return nil, err
	}
	handle, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: runID, UpdateName: chainrun.UpdateDecide, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{chainrun.Decision{StepID: stepID, Digest: digest, Approve: approve, Comment: comment, Principal: who.name, KeyID: who.keyID, Roles: who.roles}},
	})
	var rec workflowsv1.ApprovalRecord
	if err == nil {
		err = handle.Get(ctx, &rec)
	}
	action := "ApproveStep"
	if !approve {
		action = "RejectStep"
	}
	s.logger.Info("approval decision", "action", action, "run_id", runID, "step_id", stepID, "approver", who.name, "roles", who.roles, "refused", err != nil)
	if err != nil {
		var app *temporal.ApplicationError
		if errors.As(err, &app) {
			class := mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST
			switch app.Type() {
			case chainrun.ErrNotApprover:
				class = mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED
			case chainrun.ErrNotPending:
				class = mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND
			}
			return nil, apierror.New(class, "%s", app.Message())
		}
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "run %q is not running", runID)
		}
		return nil, temporalError(err)
	}
	return &rec, nil
}

// ApproveStep approves a pending action.
func (s *Service) ApproveStep(ctx context.Context, req *connect.Request[workflowsv1.ApproveStepRequest]) (*connect.Response[workflowsv1.ApproveStepResponse], error) {
	if err := s.runs(ctx); err != nil {
		return nil, err
	}
	m := req.Msg
	rec, err := s.decide(ctx, req.Header(), m.GetRunId(), m.GetStepId(), m.GetDigest(), m.GetComment(), true)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&workflowsv1.ApproveStepResponse{Approval: rec}), nil
}

// RejectStep rejects a pending action.
func (s *Service) RejectStep(ctx context.Context, req *connect.Request[workflowsv1.RejectStepRequest]) (*connect.Response[workflowsv1.RejectStepResponse], error) {
	if err := s.runs(ctx); err != nil {
		return nil, err
	}
	m := req.Msg
	rec, err := s.decide(ctx, req.Header(), m.GetRunId(), m.GetStepId(), m.GetDigest(), m.GetComment(), false)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&workflowsv1.RejectStepResponse{Approval: rec}), nil
}

// CancelRun asks the run's workflow to stop; the current step ends
// CANCELLED. A cancelled run is answered as it is; a run that ended
// otherwise is refused.
func (s *Service) CancelRun(ctx context.Context, req *connect.Request[workflowsv1.CancelRunRequest]) (*connect.Response[workflowsv1.CancelRunResponse], error) {
	if err := s.runs(ctx); err != nil {
		return nil, err
	}
	if _, err := s.principal(ctx, req.Header(), false); err != nil {
		return nil, err
	}
	id := req.Msg.GetRunId()
	run, err := s.getRun(ctx, id)
	if err != nil {
		return nil, err
	}
	switch st := run.GetStatus(); {
	case st == workflowsv1.RunStatus_RUN_STATUS_CANCELLED:
		return connect.NewResponse(&workflowsv1.CancelRunResponse{Run: run}), nil
	case terminal(st):
		return nil, codeError(connect.CodeFailedPrecondition, "", "run %s has already ended %s; only a run in progress can be cancelled",
			id, strings.ToLower(strings.TrimPrefix(st.String(), "RUN_STATUS_")))
	}
	if err := s.temporal.CancelWorkflow(ctx, id, ""); err != nil {
		var nf *serviceerror.NotFound
		if !errors.As(err, &nf) {
			return nil, temporalError(err)
		}
	}
	// Wait, bounded, for the workflow to record the cancellation.
	for i := 0; i < 50; i++ {
		r, err := s.getRun(ctx, id)
		if err != nil {
			return nil, err
		}
		run = r
		if terminal(run.GetStatus()) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return connect.NewResponse(&workflowsv1.CancelRunResponse{Run: run}), nil
}

func terminal(st workflowsv1.RunStatus) bool {
	switch st {
	case workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED, workflowsv1.RunStatus_RUN_STATUS_FAILED, workflowsv1.RunStatus_RUN_STATUS_CANCELLED,
		workflowsv1.RunStatus_RUN_STATUS_REJECTED, workflowsv1.RunStatus_RUN_STATUS_TIMED_OUT:
		return true
	}
	return false
}

// WatchRun streams a run's events, which the workflow records (see
// chainrun.Events): a snapshot first (or, resuming, the events after
// after_sequence), then every event as it happens, ending after a terminal
// status. It asks the workflow for new events every 250ms.
func (s *Service) WatchRun(ctx context.Context, req *connect.Request[workflowsv1.WatchRunRequest], stream *connect.ServerStream[workflowsv1.WatchRunResponse]) error {
	if err := s.runs(ctx); err != nil {
		return err
	}
	id := req.Msg.GetRunId()
	after := req.Msg.GetAfterSequence()
	// A run whose first workflow task has not run yet answers no query:
	// it has no events yet.
	evs, err := s.events(ctx, id, after)
	if notFound(err) {
		return err
	}
	if err != nil {
		evs = chainrun.Events{}
	}
	if after == 0 || after > evs.Last {
		// A fresh watch, or a sequence this run never had: start over with
		// a snapshot taken after the events it covers (it may include a
		// little more; the events that follow repeat it, never skip).
		if evs, err = s.events(ctx, id, 0); err != nil {
			evs = chainrun.Events{}
		}
		run, err := s.getRun(ctx, id)
		if err != nil {
			return err
		}
		if err := stream.Send(&workflowsv1.WatchRunResponse{Sequence: evs.Last, Time: timestamppb.Now(), Event: &workflowsv1.WatchRunResponse_Snapshot{Snapshot: run}}); err != nil {
			return err
		}
		if terminal(run.GetStatus()) {
			return nil
		}
		after, evs.Events = evs.Last, nil
	}
	failures := 0 // consecutive failed event queries; 40 (10s) end the watch
	for {
		for _, b := range evs.Events {
			ev := &workflowsv1.WatchRunResponse{}
			if err := proto.Unmarshal(b, ev); err != nil {
				return apierror.Internal(err)
			}
			if err := stream.Send(ev); err != nil {
				return err
			}
			after = ev.GetSequence()
			if terminal(ev.GetStatusChanged().GetStatus()) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(250 * time.Millisecond):
		}
		if evs, err = s.events(ctx, id, after); err != nil {
			if failures++; failures > 40 {
				return err
			}
			evs = chainrun.Events{}
			continue
		}
		failures = 0
		if len(evs.Events) == 0 {
			// A run whose workflow ended without its own last event (timed
			// out, terminated) ends the watch with its status.
			if run, err := s.getRun(ctx, id); err == nil && terminal(run.GetStatus()) && run.GetEndedAt() != nil {
				desc, err := s.temporal.DescribeWorkflowExecution(ctx, id, "")
				if err == nil && desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING &&
					desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
					return stream.Send(&workflowsv1.WatchRunResponse{Sequence: after + 1, Time: timestamppb.Now(), Event: &workflowsv1.WatchRunResponse_StatusChanged{
						StatusChanged: &workflowsv1.RunStatusChange{Status: run.GetStatus(), Error: run.GetError(), Usage: run.GetUsage()},
					}})
				}
			}
		}
	}
}

// events asks a run's workflow for its events after a sequence.
func (s *Service) events(ctx context.Context, id string, after int64) (chainrun.Events, error) {
	var evs chainrun.Events
	v, err := s.temporal.QueryWorkflow(ctx, id, "", chainrun.QueryEvents, after)
	if err == nil {
		err = v.Get(&evs)
	}
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return evs, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "run %q not found", id)
		}
		return evs, temporalError(err)
	}
	return evs, nil
}

// temporalError hides Temporal's internals behind an UNAVAILABLE or
// INTERNAL error.
func temporalError(err error) error {
	var unavailable *serviceerror.Unavailable
	if errors.As(err, &unavailable) || errors.Is(err, context.DeadlineExceeded) {
		return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "temporal is unavailable")
	}
	return apierror.Internal(err)
}

// ListPendingApprovals is the approvals inbox: what running runs wait for,
// oldest deadline first. It reads every running run of the namespace.
func (s *Service) ListPendingApprovals(ctx context.Context, req *connect.Request[workflowsv1.ListPendingApprovalsRequest]) (*connect.Response[workflowsv1.ListPendingApprovalsResponse], error) {
	if err := s.runs(ctx); err != nil {
		return nil, err
	}
	m := req.Msg
	who, err := s.principal(ctx, req.Header(), false)
	if err != nil {
		return nil, err
	}
	var ids []string
	if m.GetRunId() != "" {
		ids = []string{m.GetRunId()}
	} else {
		q := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running'", chainrun.WorkflowName)
		var token []byte
		for {
			page, err := s.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: s.cfg.Namespace, Query: q, PageSize: 1000, NextPageToken: token})
			if err != nil {
				return nil, temporalError(err)
			}
			for _, e := range page.GetExecutions() {
				ids = append(ids, e.GetExecution().GetWorkflowId())
			}
			if token = page.GetNextPageToken(); len(token) == 0 {
				break
			}
		}
	}
	var out []*workflowsv1.PendingApproval
	for _, id := range ids {
		run, err := s.getRun(ctx, id)
		if err != nil {
			if notFound(err) {
				continue
			}
			return nil, err
		}
		for _, p := range run.GetPendingApprovals() {
			switch {
			case m.GetChainName() != "" && p.GetChainName() != m.GetChainName():
			case m.GetApproverRole() != "" && !slices.Contains(p.GetApprovers().GetRoles(), m.GetApproverRole()):
			case m.GetMine() && !mayDecide(p.GetApprovers(), who):
			default:
				out = append(out, p)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b *workflowsv1.PendingApproval) int {
		return a.GetDeadline().AsTime().Compare(b.GetDeadline().AsTime())
	})
	start := 0
	if t := m.GetPageToken(); t != "" {
		if _, err := fmt.Sscanf(t, "%d", &start); err != nil || start < 0 || start > len(out) {
			return nil, apierror.Invalid("page_token", "invalid page token")
		}
	}
	resp := &workflowsv1.ListPendingApprovalsResponse{}
	end := min(start+pageSize(m.GetPageSize()), len(out))
	resp.Approvals = out[start:end]
	if end < len(out) {
		resp.NextPageToken = fmt.Sprint(end)
	}
	return connect.NewResponse(resp), nil
}

// mayDecide mirrors the workflow's validator: one of the principals (user
// or key id) or one of the roles.
func mayDecide(a *workflowsv1.Approvers, who *caller) bool {
	if slices.Contains(a.GetPrincipals(), who.name) || (who.keyID != "" && slices.Contains(a.GetPrincipals(), who.keyID)) {
		return true
	}
	for _, r := range who.roles {
		if slices.Contains(a.GetRoles(), r) {
			return true
		}
	}
	return false
}
