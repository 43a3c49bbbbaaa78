package calllog_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	"github.com/manifoldgw/manifold/services/audit"
	"github.com/manifoldgw/manifold/services/audit/audittest"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/dial"
	"github.com/manifoldgw/manifold/services/internal/server"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/calllog"
	"github.com/manifoldgw/manifold/services/router/demo"
)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func testConfig(spool string) calllog.Config {
	cfg := calllog.DefaultConfig()
	cfg.SpoolDir = spool
	cfg.QueueSize = 16
	cfg.BatchSize = 10
	cfg.FlushInterval = 5 * time.Millisecond
	// Spools drain only on Sync, so the test decides when.
	cfg.RetryInterval = time.Hour
	cfg.SendTimeout = 5 * time.Second
	return cfg
}

// start runs a recorder until the test ends (or stop is called).
func start(t testing.TB, cfg calllog.Config, url string, policy calllog.PolicyFunc) (*calllog.Recorder, func()) {
	t.Helper()
	rec, err := calllog.New(cfg, dial.Target{BaseURL: url, Client: http.DefaultClient}, policy, discard())
	if err != nil {
		t.Fatalf("calllog.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go rec.Run(ctx)
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-rec.Done() }) }
	t.Cleanup(stop)
	return rec, stop
}

func callRecord(i int) *router.CallRecord {
	start := time.Now().Add(-time.Minute)
	return &router.CallRecord{
		CallInfo: router.CallInfo{
			ID: fmt.Sprintf("call_%06d", i), Surface: router.SurfaceOpenAI, Caller: &router.Caller{KeyID: "vk_1", Team: "team-a"},
			Model: demo.Model, Provider: "demo", Request: &mcpv1.Request{Model: demo.Model}, Start: start,
		},
		Usage: &mcpv1.Usage{InputTokens: 3, OutputTokens: 4},
		End:   start.Add(time.Millisecond),
	}
}

// recordConcurrently hands records from..to-1 to rec from 8 goroutines.
func recordConcurrently(rec *calllog.Recorder, from, to int) {
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := from + w; i < to; i += 8 {
				rec.RecordCall(callRecord(i))
			}
		})
	}
	wg.Wait()
}

func auditClient(url string) auditv1connect.AuditServiceClient {
	return auditv1connect.NewAuditServiceClient(http.DefaultClient, url)
}

// stored checks that the call log holds exactly want records, once each,
// as one intact chain.
func stored(t *testing.T, c auditv1connect.AuditServiceClient, want int64) {
	t.Helper()
	v, err := c.VerifyChain(t.Context(), connect.NewRequest(&auditv1.VerifyChainRequest{Log: auditv1.AuditLog_AUDIT_LOG_CALLS}))
	if err != nil {
		t.Fatalf("VerifyChain: %v", err)
	}
	if !v.Msg.GetOk() || v.Msg.GetRecordsChecked() != want {
		t.Fatalf("call log: %v; want an intact chain of %d records", v.Msg, want)
	}
	seen := map[string]bool{}
	tok := ""
	for {
		res, err := c.QueryCalls(t.Context(), connect.NewRequest(&auditv1.QueryCallsRequest{
			Range:    &auditv1.TimeRange{Start: timestamppb.New(time.Now().Add(-time.Hour)), End: timestamppb.New(time.Now().Add(time.Hour))},
			PageSize: 1000, PageToken: tok,
		}))
		if err != nil {
			t.Fatalf("QueryCalls: %v", err)
		}
		for _, r := range res.Msg.GetRecords() {
			if seen[r.GetId()] {
				t.Fatalf("call %s stored twice", r.GetId())
			}
			seen[r.GetId()] = true
		}
		if tok = res.Msg.GetNextPageToken(); tok == "" {
			break
		}
	}
	if int64(len(seen)) != want {
		t.Fatalf("%d distinct calls stored, want %d", len(seen), want)
	}
}

// TestOutageLosesNothing takes the audit service down, then has it lose
// its replies, then brings it back: every call is stored exactly once.
func TestOutageLosesNothing(t *testing.T) {
	for _, d := range audittest.Drivers {
		t.Run(d.Name, func(t *testing.T) {
			srv := audittest.Serve(t, d.Open(t), audit.DefaultConfig())
			c := auditClient(srv.URL)
			rec, _ := start(t, testConfig(t.TempDir()), srv.URL, nil)

			recordConcurrently(rec, 0, 100)
			if err := rec.Sync(t.Context()); err != nil {
				t.Fatalf("Sync while up: %v", err)
			}
			stored(t, c, 100)

			srv.SetMode(audittest.Down)
			recordConcurrently(rec, 100, 400)
			if err := rec.Sync(t.Context()); err == nil {
				t.Fatal("Sync succeeded while the audit service was down")
			}
			stored(t, c, 100)

			// The service stores what it gets but the replies are lost:
			// the recorder must send again, and the service must not
			// store twice.
			srv.SetMode(audittest.LoseReplies)
			recordConcurrently(rec, 400, 450)
			if err := rec.Sync(t.Context()); err == nil {
				t.Fatal("Sync succeeded although every reply was lost")
			}

			srv.SetMode(audittest.Up)
			if err := rec.Sync(t.Context()); err != nil {
				t.Fatalf("Sync after recovery: %v", err)
			}
			stored(t, c, 450)
			counts := rec.Counts()
			if counts.Recorded != 450 || counts.Spooled < 350 || counts.Rejected != 0 {
				t.Errorf("counts = %+v; want 450 recorded, at least the 350 of the outage spooled", counts)
			}
		})
	}
}

// TestDatabaseStall holds a lock on the chain head in PostgreSQL, so that
// every ingestion waits past the recorder's send timeout, then releases it:
// nothing recorded meanwhile is lost or stored twice.
func TestDatabaseStall(t *testing.T) {
	db := audittest.OpenPostgres(t)
	srv := audittest.Serve(t, db, audit.DefaultConfig())
	cfg := testConfig(t.TempDir())
	cfg.SendTimeout = 200 * time.Millisecond
	rec, _ := start(t, cfg, srv.URL, nil)
	recordConcurrently(rec, 0, 20)
	if err := rec.Sync(t.Context()); err != nil {
		t.Fatalf("Sync: %v", err)
	}

	tx, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(t.Context(), "LOCK TABLE audit_chain IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	recordConcurrently(rec, 20, 220)
	if err := rec.Sync(t.Context()); err == nil {
		t.Fatal("Sync succeeded while the database was stalled")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := rec.Sync(t.Context()); err != nil {
		t.Fatalf("Sync after the stall: %v", err)
	}
	stored(t, auditClient(srv.URL), 220)
}

// TestShutdownSpools stops a recorder while the audit service is down:
// what it held, and calls recorded after it stopped, wait in the spool for
// the next recorder on that directory.
func TestShutdownSpools(t *testing.T) {
	srv := audittest.Serve(t, audittest.OpenSQLite(t), audit.DefaultConfig())
	spool := t.TempDir()
	srv.SetMode(audittest.Down)
	rec, stop := start(t, testConfig(spool), srv.URL, nil)
	recordConcurrently(rec, 0, 50)
	stop()
	recordConcurrently(rec, 50, 60) // after shutdown: straight to the spool

	srv.SetMode(audittest.Up)
	next, _ := start(t, testConfig(spool), srv.URL, nil)
	if err := next.Sync(t.Context()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	stored(t, auditClient(srv.URL), 60)
}

// TestTornSpool starts a recorder on a spool left by a crash mid-write:
// the whole records are delivered, the torn one is dropped.
func TestTornSpool(t *testing.T) {
	srv := audittest.Serve(t, audittest.OpenSQLite(t), audit.DefaultConfig())
	spool := t.TempDir()
	var buf bytes.Buffer
	for i := range 3 {
		r := &auditv1.CallRecord{
			Id: fmt.Sprintf("call_torn_%d", i), ReceivedAt: timestamppb.Now(), Surface: auditv1.Surface_SURFACE_CONNECT,
			Redaction: auditv1.RedactionPolicy_REDACTION_POLICY_METADATA_ONLY, Status: auditv1.CallStatus_CALL_STATUS_SUCCEEDED,
		}
		if _, err := protodelim.MarshalTo(&buf, r); err != nil {
			t.Fatal(err)
		}
	}
	whole := buf.Len()
	if _, err := protodelim.MarshalTo(&buf, &auditv1.CallRecord{Id: "call_torn_3", ErrorMessage: strings.Repeat("x", 100)}); err != nil {
		t.Fatal(err)
	}
	torn := buf.Bytes()[:whole+20]
	if err := os.WriteFile(filepath.Join(spool, "00000000000000000001-000001.spool"), torn, 0o600); err != nil {
		t.Fatal(err)
	}
	rec, _ := start(t, testConfig(spool), srv.URL, nil)
	if err := rec.Sync(t.Context()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	stored(t, auditClient(srv.URL), 3)
	if left, _ := filepath.Glob(filepath.Join(spool, "*.spool")); len(left) != 0 {
		t.Errorf("spool segments left after draining: %v", left)
	}
}

// keys is an Authenticator with one virtual key.
type keys struct{ secret string }

func (k keys) Authenticate(_ context.Context, secret string) (*router.Caller, error) {
	if secret != k.secret {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, "invalid API key")
	}
	return &router.Caller{KeyID: "vk_1", Team: "team-a"}, nil
}

// TestRedaction sends real calls through the router's Connect surface on
// routes with each redaction policy and reads the call log back.
func TestRedaction(t *testing.T) {
	const (
		virtualKey  = "mk-live-Zq8vN3xR7tL2wP9kH4mB6cJ1"
		pastedKey   = "sk-proj-Tr5yU8iO2pA4sD6fG9hJ"
		email       = "jane.doe@example.com"
		card        = "4111 1111 1111 1111"
		userMessage = "I am " + email + ", card " + card + ", my key is " + pastedKey
	)
	for _, d := range audittest.Drivers {
		t.Run(d.Name, func(t *testing.T) {
			srv := audittest.Serve(t, d.Open(t), audit.DefaultConfig())
			route := func(name string, p routerv1.RedactionPolicy) *routerv1.Route {
				return &routerv1.Route{Name: name, Targets: []*routerv1.Target{{Model: demo.Model}}, Redaction: p}
			}
			svc := router.New(router.Config{Catalog: router.Spec{Routes: []*routerv1.Route{
				route("full", routerv1.RedactionPolicy_REDACTION_POLICY_FULL),
				route("masked", routerv1.RedactionPolicy_REDACTION_POLICY_PII_MASKED),
				route("metadata", routerv1.RedactionPolicy_REDACTION_POLICY_METADATA_ONLY),
			}}}, discard())
			rec, _ := start(t, testConfig(t.TempDir()), srv.URL, calllog.RoutePolicy(svc))
			svc.Use(router.Hooks{Auth: keys{virtualKey}, Audit: rec})
			shared, err := server.New(server.DefaultConfig(), discard())
			if err != nil {
				t.Fatal(err)
			}
			path, h := routerv1connect.NewRouterServiceHandler(svc, shared.HandlerOptions()...)
			mux := http.NewServeMux()
			mux.Handle(path, h)
			rs := httptest.NewServer(mux)
			t.Cleanup(rs.Close)
			rc := routerv1connect.NewRouterServiceClient(http.DefaultClient, rs.URL)

			ids := map[string]string{}
			for _, r := range []string{"full", "masked", "metadata"} {
				req := connect.NewRequest(&routerv1.GenerateRequest{Request: &mcpv1.Request{Model: r, Messages: []*mcpv1.Message{{
					Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: userMessage}}},
				}}}})
				req.Header().Set("Authorization", "Bearer "+virtualKey)
				res, err := rc.Generate(t.Context(), req)
				if err != nil {
					t.Fatalf("Generate(%s): %v", r, err)
				}
				ids[r] = res.Msg.GetResponse().GetId()
			}
			// A refused call is recorded too.
			bad := connect.NewRequest(&routerv1.GenerateRequest{Request: &mcpv1.Request{Model: "no-such-model", Messages: []*mcpv1.Message{{
				Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: userMessage}}},
			}}}})
			bad.Header().Set("Authorization", "Bearer "+virtualKey)
			if _, err := rc.Generate(t.Context(), bad); err == nil {
				t.Fatalf("Generate(unknown model) = %v, want an error", err)
			}
			if err := rec.Sync(t.Context()); err != nil {
				t.Fatalf("Sync: %v", err)
			}

			c := auditClient(srv.URL)
			get := func(id string) *auditv1.CallRecord {
				res, err := c.GetCall(t.Context(), connect.NewRequest(&auditv1.GetCallRequest{Id: id}))
				if err != nil {
					t.Fatalf("GetCall(%s): %v", id, err)
				}
				return res.Msg.GetRecord()
			}
			full := get(ids["full"])
			if b := full.GetRequestBody().GetJson(); !strings.Contains(b, email) || !strings.Contains(b, card) || strings.Contains(b, pastedKey) || !strings.Contains(b, "[SECRET]") {
				t.Errorf("full policy request body = %s; want the text with only the API key masked", b)
			}
			if full.GetPrincipal().GetKeyId() != "vk_1" || full.GetRoute() != "full" || full.GetStatus() != auditv1.CallStatus_CALL_STATUS_SUCCEEDED || full.GetResponseBody() == nil {
				t.Errorf("full record = %v", full)
			}
			// The response body is the answer; usage and how it was served
			// are the record's own fields, not repeated in it.
			if b := full.GetResponseBody().GetJson(); !strings.Contains(b, `"message"`) || strings.Contains(b, `"metadata"`) || strings.Contains(b, `"usage"`) {
				t.Errorf("full policy response body = %s; want the answer without usage and metadata", b)
			}
			if full.GetUsage().GetOutputTokens() == 0 || len(full.GetAttempts()) == 0 || full.GetLatency() == nil {
				t.Errorf("full record lacks usage, attempts or latency: %v", full)
			}
			masked := get(ids["masked"])
			if b := masked.GetRequestBody().GetJson(); strings.Contains(b, email) || strings.Contains(b, card) || !strings.Contains(b, "[EMAIL]") || !strings.Contains(b, "[CARD]") {
				t.Errorf("masked policy request body = %s; want email and card masked", b)
			}
			if masked.GetRedaction() != auditv1.RedactionPolicy_REDACTION_POLICY_PII_MASKED {
				t.Errorf("masked record redaction = %v", masked.GetRedaction())
			}
			meta := get(ids["metadata"])
			if meta.GetRequestBody() != nil || meta.GetResponseBody() != nil || meta.GetUsage().GetOutputTokens() == 0 {
				t.Errorf("metadata-only record = %v; want usage without bodies", meta)
			}

			// Nothing anywhere in the log holds a secret: export it all.
			stream, err := c.ExportCalls(t.Context(), connect.NewRequest(&auditv1.ExportCallsRequest{
				Range:  &auditv1.TimeRange{Start: timestamppb.New(time.Now().Add(-time.Hour)), End: timestamppb.New(time.Now().Add(time.Hour))},
				Format: auditv1.ExportFormat_EXPORT_FORMAT_JSONL, IncludeBodies: true,
			}))
			if err != nil {
				t.Fatalf("ExportCalls: %v", err)
			}
			var all bytes.Buffer
			var n int64
			for stream.Receive() {
				all.Write(stream.Msg().GetData())
				n += stream.Msg().GetRecordCount()
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("ExportCalls: %v", err)
			}
			if n != 4 {
				t.Errorf("exported %d records, want 4 (3 answered, 1 refused)", n)
			}
			for _, secret := range []string{virtualKey, pastedKey} {
				if bytes.Contains(all.Bytes(), []byte(secret)) {
					t.Errorf("the call log contains the secret %q", secret)
				}
			}
			if !strings.Contains(all.String(), `"status":"CALL_STATUS_FAILED"`) || !strings.Contains(all.String(), `"requested_model":"no-such-model"`) {
				t.Errorf("the refused call is not in the log:\n%s", all.String())
			}
		})
	}
}
