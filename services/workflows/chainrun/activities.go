package chainrun

import (
	"context"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/workflows/httptool"
)

// ToolInput is one tool call.
type ToolInput struct {
	Tool           []byte // binary workflowsv1.ToolDefinition
	Arguments      string
	IdempotencyKey string
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
	default:
		return ToolResult{Text: fmt.Sprintf("tool %q: this kind of tool is not supported yet", def.GetTool().GetName()), IsError: true}, nil
	}
}

// Register registers the workflow and the activities with a worker under
// their stable names, so that histories stay valid when Go names change.
func Register(w worker.Registry, a *Activities) {
	w.RegisterWorkflowWithOptions(Run, workflow.RegisterOptions{Name: WorkflowName})
	w.RegisterActivityWithOptions(a.ModelCall, activity.RegisterOptions{Name: ActivityModel})
	w.RegisterActivityWithOptions(a.CallTool, activity.RegisterOptions{Name: ActivityCallTool})
}
