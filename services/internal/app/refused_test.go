package app_test

import (
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
)

// TestRefusedConnectCallIsRecorded: a model call over Connect with a wrong
// key is refused as unauthenticated and is in the call log as such.
func TestRefusedConnectCallIsRecorded(t *testing.T) {
	url := startGateway(t)
	ctx := t.Context()
	_, err := routerv1connect.NewRouterServiceClient(http.DefaultClient, url, as("mk-wrong-key")).Generate(ctx, connect.NewRequest(&routerv1.GenerateRequest{
		Request: &mcpv1.Request{Model: "demo", Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: "hi"}}}}}},
	}))
	if code(err) != connect.CodeUnauthenticated {
		t.Fatalf("Generate with a wrong key: %v, want unauthenticated", err)
	}
	audit := auditv1connect.NewAuditServiceClient(http.DefaultClient, url, as(adminToken))
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := audit.QueryCalls(ctx, connect.NewRequest(&auditv1.QueryCallsRequest{
			Range: &auditv1.TimeRange{Start: timestamppb.New(time.Now().Add(-time.Hour)), End: timestamppb.New(time.Now().Add(time.Hour))},
		}))
		if err != nil {
			t.Fatalf("QueryCalls: %v", err)
		}
		if recs := res.Msg.GetRecords(); len(recs) > 0 {
			r := recs[0]
			if len(recs) != 1 || r.GetSurface() != auditv1.Surface_SURFACE_CONNECT || r.GetStatus() != auditv1.CallStatus_CALL_STATUS_FAILED ||
				r.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION {
				t.Errorf("call log = %v, want one failed Connect call with class authentication", recs)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the refused call never reached the call log")
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
