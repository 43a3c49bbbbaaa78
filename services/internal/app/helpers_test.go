package app_test

import (
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
)

// eventually polls done until it reports true, failing the test after 10 s:
// the call log and the caches are fed asynchronously.
func eventually(t *testing.T, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		select {
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// callLog returns the gateway's call records of the last hour.
func callLog(t *testing.T, url string) []*auditv1.CallRecord {
	t.Helper()
	res, err := auditv1connect.NewAuditServiceClient(http.DefaultClient, url, as(adminToken)).QueryCalls(t.Context(), connect.NewRequest(&auditv1.QueryCallsRequest{
		Range: &auditv1.TimeRange{Start: timestamppb.New(time.Now().Add(-time.Hour)), End: timestamppb.New(time.Now().Add(time.Hour))},
	}))
	if err != nil {
		t.Fatalf("QueryCalls: %v", err)
	}
	return res.Msg.GetRecords()
}
