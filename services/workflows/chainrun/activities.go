package chainrun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"connectrpc.com/connect"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1/workflowsv1connect"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/workflows/httptool"
	"github.com/manifoldgw/manifold/services/workflows/lambdatool"
)

// ToolInput is one tool call.
type ToolInput struct {
	Tool           []byte // binary workflowsv1.ToolDefinition
	Arguments      string
	IdempotencyKey string
	// SealedKey is the run's sealed virtual key, for prompt-API tools.
	SealedKey string
}

// ToolResult is what goes back to the model.
type ToolResult struct {
	Text    string
	IsError bool
	Latency time.Duration
}

// Activities are the side effects of a run: model calls through the router
// and tool calls.
type Activities struct {
	Router routerv1connect.RouterServiceClient
	HTTP   *httptool.Caller
	Lambda *lambdatool.Caller
	// Audit receives the decisions taken by a timeout policy (people's
	// decisions are recorded by the admin guard); nil skips them.
	Audit auditv1connect.AuditServiceClient
	// PromptAPIs reaches the router's published prompt APIs
	// (POST <BaseURL>/apis/{slug}); a zero value means there are none.
	PromptAPIs PromptAPIs
	// OpenKey decrypts a run's sealed virtual key; nil means runs carry no
	// key.
	OpenKey func(sealed string) (string, error)
}

// ModelCall asks the router for one answer, so keys, quotas, prompts and
// the call log apply. Errors the router classifies as the caller's fault
// are not retried.
func (a *Activities) ModelCall(ctx context.Context, req *mcpv1.Request, sealedKey string) (*mcpv1.Response, error) {
	greq := connect.NewRequest(&routerv1.GenerateRequest{Request: req})
	if sealedKey != "" && a.OpenKey != nil {
		key, err := a.OpenKey(sealedKey)
		if err != nil {
			return nil, temporal.NewNonRetryableApplicationError("model call: "+err.Error(), "Key", nil)
		}
		greq.Header().Set("Authorization", "Bearer "+key)
	}
	resp, err := a.Router.Generate(ctx, greq)
	if err != nil {
		e := apierror.As(err)
		if sealedKey == "" && e.Class == mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION {
			// The router saw the worker's own token, not a key: say what is missing.
			return nil, temporal.NewNonRetryableApplicationError("model call: the run has no virtual key and the router requires one: start it with a run key (X-Manifold-Run-Key, manifold runs start --run-key-env VAR)", apierror.ClassName(e.Class), nil)
		}
		switch e.Class {
		case mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND,
			mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION,
			mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED, mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED,
			mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED, mcpv1.ErrorClass_ERROR_CLASS_CONTENT_FILTERED:
			return nil, temporal.NewNonRetryableApplicationError("model call: "+e.Error(), apierror.ClassName(e.Class), nil)
		}
		return nil, fmt.Errorf("model call: %s", e.Error())
	}
	return resp.Msg.GetResponse(), nil
}

// CallTool calls a declared tool. Tool failures are results for the model,
// not activity errors; only a transport-level retryable problem is an error.
func (a *Activities) CallTool(ctx context.Context, in ToolInput) (ToolResult, error) {
	def := &workflowsv1.ToolDefinition{}
	if err := proto.Unmarshal(in.Tool, def); err != nil {
		return ToolResult{}, temporal.NewNonRetryableApplicationError("decode tool", "BadInput", err)
	}
	start := time.Now()
	switch t := def.GetTarget().(type) {
	case *workflowsv1.ToolDefinition_Http:
		text, err := a.HTTP.Call(ctx, def, t.Http, in.Arguments, in.IdempotencyKey)
		if err != nil {
			return ToolResult{Text: err.Error(), IsError: true, Latency: time.Since(start)}, nil
		}
		return ToolResult{Text: text, Latency: time.Since(start)}, nil
	case *workflowsv1.ToolDefinition_Lambda:
		if a.Lambda == nil {
			return ToolResult{Text: "Lambda tools are not available on this worker", IsError: true}, nil
		}
		text, err := a.Lambda.Call(ctx, def, t.Lambda, in.Arguments, in.IdempotencyKey)
		if err != nil {
			return ToolResult{Text: err.Error(), IsError: true, Latency: time.Since(start)}, nil
		}
		return ToolResult{Text: text, Latency: time.Since(start)}, nil
	case *workflowsv1.ToolDefinition_PromptApi:
		key := ""
		if in.SealedKey != "" && a.OpenKey != nil {
			k, err := a.OpenKey(in.SealedKey)
			if err != nil {
				return ToolResult{}, temporal.NewNonRetryableApplicationError("prompt API tool: "+err.Error(), "Key", nil)
			}
			key = k
		}
		text, err := a.PromptAPIs.call(ctx, def, t.PromptApi.GetSlug(), in.Arguments, key)
		if err != nil {
			return ToolResult{Text: err.Error(), IsError: true, Latency: time.Since(start)}, nil
		}
		return ToolResult{Text: text, Latency: time.Since(start)}, nil
	default:
		return ToolResult{Text: fmt.Sprintf("tool %q: this kind of tool is not supported", def.GetTool().GetName()), IsError: true}, nil
	}
}

// PromptAPIs calls published prompt APIs through the router's HTTP
// surface, with the run's virtual key, so the API's scopes, quotas and the
// call log apply.
type PromptAPIs struct {
	Client  connect.HTTPClient
	BaseURL string
}

func (p PromptAPIs) call(ctx context.Context, def *workflowsv1.ToolDefinition, slug, arguments, key string) (string, error) {
	if p.Client == nil {
		return "", errors.New("prompt API tools are not available on this worker")
	}
	if strings.TrimSpace(arguments) == "" {
		arguments = "{}"
	}
	timeout := 30 * time.Second
	if d := def.GetTimeout(); d != nil {
		timeout = d.AsDuration()
	}
	maxResp := def.GetMaxResponseBytes()
	if maxResp == 0 {
		maxResp = 1 << 20
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.BaseURL+"/apis/"+url.PathEscape(slug), strings.NewReader(arguments))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := p.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("prompt API %s: %v", slug, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResp+1))
	if err != nil {
		return "", fmt.Errorf("prompt API %s: read answer: %v", slug, err)
	}
	if int64(len(b)) > maxResp {
		return "", fmt.Errorf("the answer is over the tool's limit of %d bytes", maxResp)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("prompt API %s answered HTTP %d: %s", slug, resp.StatusCode, b)
	}
	return string(b), nil
}

// Register registers the workflow and the activities with a worker under
// their stable names, so that histories stay valid when Go names change.
func Register(w worker.Registry, a *Activities) {
	w.RegisterWorkflowWithOptions(Run, workflow.RegisterOptions{Name: WorkflowName})
	w.RegisterActivityWithOptions(a.ModelCall, activity.RegisterOptions{Name: ActivityModel})
	w.RegisterActivityWithOptions(a.CallTool, activity.RegisterOptions{Name: ActivityCallTool})
	w.RegisterActivityWithOptions(a.RecordDecision, activity.RegisterOptions{Name: ActivityRecordDecision})
}

// DecisionRecord is an approval decided by a step's timeout policy.
type DecisionRecord struct {
	RunID, StepID, Digest string
	Approved              bool
	Escalated             bool
	At                    time.Time
}

// RecordDecision writes a timeout decision to the audit service's
// admin-action log, as the workflow service, with an id derived from the
// run and step so that a retry records it once. It is filed like a
// person's decision (ApproveStep/RejectStep on resource "step" of the run).
func (a *Activities) RecordDecision(ctx context.Context, d DecisionRecord) error {
	if a.Audit == nil {
		return nil
	}
	action := workflowsv1connect.WorkflowServiceRejectStepProcedure
	verdict := "rejected"
	if d.Approved {
		action, verdict = workflowsv1connect.WorkflowServiceApproveStepProcedure, "approved"
	}
	sum := sha256.Sum256([]byte(d.RunID + "/" + d.StepID + "/" + d.Digest))
	comment := fmt.Sprintf("step %s %s by its timeout policy (digest %s)", d.StepID, verdict, d.Digest)
	if d.Escalated {
		comment += " after escalation"
	}
	_, err := a.Audit.RecordAdminActions(ctx, connect.NewRequest(&auditv1.RecordAdminActionsRequest{Actions: []*auditv1.AdminAction{{
		Id: "aa_timeout_" + hex.EncodeToString(sum[:12]), Time: timestamppb.New(d.At),
		Actor:  &auditv1.Actor{Kind: auditv1.ActorKind_ACTOR_KIND_SERVICE, Id: "workflows", User: "system"},
		Action: action, ResourceType: "step", ResourceId: d.RunID, Comment: comment,
	}}}))
	if err != nil {
		return fmt.Errorf("record decision: %s", apierror.As(err).Error())
	}
	return nil
}
