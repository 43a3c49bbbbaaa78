package workflows_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	workflowsv1 "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/workflows"
)

// keyRouter answers every Generate and records the key each came with.
type keyRouter struct {
	routerv1connect.UnimplementedRouterServiceHandler
	mu   sync.Mutex
	keys []string
}

func (r *keyRouter) Generate(_ context.Context, req *connect.Request[routerv1.GenerateRequest]) (*connect.Response[routerv1.GenerateResponse], error) {
	r.mu.Lock()
	r.keys = append(r.keys, req.Header().Get("Authorization"))
	r.mu.Unlock()
	return connect.NewResponse(&routerv1.GenerateResponse{Response: &mcpv1.Response{
		Message:      &mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT, Content: []*mcpv1.ContentPart{text("a draft")}},
		FinishReason: mcpv1.FinishReason_FINISH_REASON_STOP,
	}}), nil
}

// With keys required, StartRun refuses a run whose chain calls models when
// it has no run key, naming the header and the CLI flag, and starts
// nothing: a start with a key and the same idempotency key is a new run,
// whose model call carries that key. A chain that calls no model needs
// none. The service runs against a real Temporal server.
func TestStartRunNeedsRunKey(t *testing.T) {
	router := &keyRouter{}
	mux := http.NewServeMux()
	mux.Handle(routerv1connect.NewRouterServiceHandler(router))
	routerSrv := httptest.NewServer(mux)
	t.Cleanup(routerSrv.Close)
	c := serveWorkflows(t, routerSrv.URL, true)

	draft := approvalChain()
	draft.Steps, draft.Output = draft.Steps[:1], nil
	constant := &workflowsv1.ChainSpec{Steps: []*workflowsv1.Step{{Id: "set", Kind: &workflowsv1.Step_Transform{Transform: &workflowsv1.TransformStep{
		Mappings: []*workflowsv1.FieldMapping{{Target: "answer", Value: &workflowsv1.FieldMapping_Literal{Literal: structpb.NewStringValue("42")}}},
	}}}}}
	for name, spec := range map[string]*workflowsv1.ChainSpec{"reply.draft": draft, "constant": constant} {
		if _, err := c.PutChain(t.Context(), connect.NewRequest(&workflowsv1.PutChainRequest{Name: name, Spec: spec})); err != nil {
			t.Fatalf("put chain %s: %v", name, err)
		}
	}
	start := func(chain, key string) (*workflowsv1.StartRunResponse, error) {
		in, _ := structpb.NewStruct(map[string]any{"topic": "refunds"})
		req := connect.NewRequest(&workflowsv1.StartRunRequest{ChainName: chain, Input: in, IdempotencyKey: "first"})
		if key != "" {
			req.Header().Set(workflows.RunKeyHeader, key)
		}
		res, err := c.StartRun(t.Context(), req)
		if err != nil {
			return nil, err
		}
		return res.Msg, nil
	}

	_, err := start("reply.draft", "")
	if e := apierror.As(err); connect.CodeOf(err) != connect.CodeInvalidArgument || e.Field != workflows.RunKeyHeader || !strings.Contains(e.Message, "--run-key-env") {
		t.Fatalf("start without a run key: %v; want invalid_argument on %s naming --run-key-env", err, workflows.RunKeyHeader)
	}
	res, err := start("reply.draft", "mk-test-run-key")
	if err != nil || res.GetExisting() {
		t.Fatalf("start with a run key: %v, existing %v; want a new run (the refused start made none)", err, res.GetExisting())
	}
	id := res.GetRun().GetId()
	var run *workflowsv1.Run
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got, err := c.GetRun(t.Context(), connect.NewRequest(&workflowsv1.GetRunRequest{RunId: id}))
		if err == nil && got.Msg.GetRun().GetEndedAt() != nil {
			run = got.Msg.GetRun()
			break
		}
	}
	router.mu.Lock()
	keys := router.keys
	router.mu.Unlock()
	if run.GetStatus() != workflowsv1.RunStatus_RUN_STATUS_SUCCEEDED || len(keys) != 1 || keys[0] != "Bearer mk-test-run-key" {
		t.Fatalf("run with a key: %v %v, the router saw keys %q", run.GetStatus(), run.GetError(), keys)
	}

	if _, err := start("constant", ""); err != nil {
		t.Fatalf("start a chain without model calls without a run key: %v", err)
	}
}
