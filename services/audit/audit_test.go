package audit_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/audit"
	"github.com/manifoldgw/manifold/services/audit/audittest"
	"github.com/manifoldgw/manifold/services/internal/storage"
)

// base is the time of the first test call: recent, so that ingestion
// partitions and query ranges line up with the real clock.
var base = time.Now().UTC().Truncate(time.Second).Add(-time.Hour)

func call(i int, key, model string, status auditv1.CallStatus, body string) *auditv1.CallRecord {
	rec := &auditv1.CallRecord{
		Id:         fmt.Sprintf("call_%03d", i),
		ReceivedAt: timestamppb.New(base.Add(time.Duration(i) * time.Second)),
		Principal:  &auditv1.CallPrincipal{KeyId: key, Team: "team-a"},
		Surface:    auditv1.Surface_SURFACE_OPENAI,
		Operation:  auditv1.CallOperation_CALL_OPERATION_GENERATE,
		Route:      "chat", Provider: "openai", Model: model,
		Redaction:   auditv1.RedactionPolicy_REDACTION_POLICY_FULL,
		RequestBody: &auditv1.Body{Content: &auditv1.Body_Json{Json: body}, ContentType: "application/json"},
		Usage:       &mcpv1.Usage{InputTokens: 10, OutputTokens: int64(i), CostMicros: 100},
		Latency:     durationpb.New(time.Duration(i) * 10 * time.Millisecond),
		Status:      status,
	}
	if status == auditv1.CallStatus_CALL_STATUS_FAILED {
		rec.ErrorClass = mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED
	}
	return rec
}

func client(t *testing.T, db *storage.DB) auditv1connect.AuditServiceClient {
	srv := audittest.Serve(t, db, audit.DefaultConfig())
	return auditv1connect.NewAuditServiceClient(http.DefaultClient, srv.URL)
}

func wholeRange() *auditv1.TimeRange {
	return &auditv1.TimeRange{Start: timestamppb.New(base.Add(-time.Hour)), End: timestamppb.New(base.Add(time.Hour))}
}

// seed records five calls: key k1 for 1-3, k2 for 4-5; call 4 failed.
func seed(t *testing.T, c auditv1connect.AuditServiceClient) {
	t.Helper()
	var recs []*auditv1.CallRecord
	for i := 1; i <= 5; i++ {
		key, model, status := "k1", "gpt-4o", auditv1.CallStatus_CALL_STATUS_SUCCEEDED
		if i >= 4 {
			key, model = "k2", "claude"
		}
		if i == 4 {
			status = auditv1.CallStatus_CALL_STATUS_FAILED
		}
		recs = append(recs, call(i, key, model, status, fmt.Sprintf(`{"text":"Hello Number %d"}`, i)))
	}
	res, err := c.RecordCalls(t.Context(), connect.NewRequest(&auditv1.RecordCallsRequest{Records: recs}))
	if err != nil {
		t.Fatalf("RecordCalls: %v", err)
	}
	if res.Msg.GetStored() != 5 || res.Msg.GetDuplicates() != 0 {
		t.Fatalf("RecordCalls = %v, want 5 stored", res.Msg)
	}
}

func ids(recs []*auditv1.CallRecord) string {
	var out []string
	for _, r := range recs {
		out = append(out, r.GetId())
	}
	return strings.Join(out, ",")
}

func TestAudit(t *testing.T) {
	for _, d := range audittest.Drivers {
		t.Run(d.Name, func(t *testing.T) {
			t.Run("record is idempotent", func(t *testing.T) { testIdempotent(t, client(t, d.Open(t))) })
			t.Run("query", func(t *testing.T) { testQuery(t, client(t, d.Open(t))) })
			t.Run("verify detects tampering", func(t *testing.T) { testVerify(t, d.Open(t)) })
			t.Run("stats", func(t *testing.T) { testStats(t, client(t, d.Open(t))) })
			t.Run("export", func(t *testing.T) { testExport(t, client(t, d.Open(t))) })
			t.Run("admin actions", func(t *testing.T) { testAdminActions(t, client(t, d.Open(t))) })
		})
	}
}

func testIdempotent(t *testing.T, c auditv1connect.AuditServiceClient) {
	seed(t, c)
	again := []*auditv1.CallRecord{
		call(2, "k1", "gpt-4o", auditv1.CallStatus_CALL_STATUS_SUCCEEDED, "{}"),
		call(6, "k1", "gpt-4o", auditv1.CallStatus_CALL_STATUS_SUCCEEDED, "{}"),
		call(6, "k1", "gpt-4o", auditv1.CallStatus_CALL_STATUS_SUCCEEDED, "{}"),
	}
	res, err := c.RecordCalls(t.Context(), connect.NewRequest(&auditv1.RecordCallsRequest{Records: again}))
	if err != nil {
		t.Fatalf("RecordCalls: %v", err)
	}
	if res.Msg.GetStored() != 1 || res.Msg.GetDuplicates() != 2 {
		t.Errorf("RecordCalls = %v, want 1 stored and 2 duplicates", res.Msg)
	}
	q, err := c.QueryCalls(t.Context(), connect.NewRequest(&auditv1.QueryCallsRequest{Range: wholeRange(), PageSize: 100}))
	if err != nil {
		t.Fatalf("QueryCalls: %v", err)
	}
	if got := ids(q.Msg.GetRecords()); got != "call_006,call_005,call_004,call_003,call_002,call_001" {
		t.Errorf("stored ids = %s", got)
	}
	v, err := c.VerifyChain(t.Context(), connect.NewRequest(&auditv1.VerifyChainRequest{Log: auditv1.AuditLog_AUDIT_LOG_CALLS}))
	if err != nil {
		t.Fatalf("VerifyChain: %v", err)
	}
	if !v.Msg.GetOk() || v.Msg.GetRecordsChecked() != 6 {
		t.Errorf("VerifyChain = %v, want ok over 6", v.Msg)
	}
}

func testQuery(t *testing.T, c auditv1connect.AuditServiceClient) {
	seed(t, c)
	ctx := t.Context()
	// Pages, newest first.
	var pages []string
	tok := ""
	for {
		res, err := c.QueryCalls(ctx, connect.NewRequest(&auditv1.QueryCallsRequest{Range: wholeRange(), PageSize: 2, PageToken: tok}))
		if err != nil {
			t.Fatalf("QueryCalls: %v", err)
		}
		pages = append(pages, ids(res.Msg.GetRecords()))
		for _, r := range res.Msg.GetRecords() {
			if r.GetRequestBody() != nil {
				t.Errorf("summary view returned a body for %s", r.GetId())
			}
		}
		if tok = res.Msg.GetNextPageToken(); tok == "" {
			break
		}
	}
	if got := strings.Join(pages, " | "); got != "call_005,call_004 | call_003,call_002 | call_001" {
		t.Errorf("pages = %s", got)
	}
	filters := []struct {
		name   string
		filter *auditv1.CallFilter
		want   string
	}{
		{"key", &auditv1.CallFilter{KeyIds: []string{"k2"}}, "call_005,call_004"},
		{"model", &auditv1.CallFilter{Models: []string{"gpt-4o"}}, "call_003,call_002,call_001"},
		{"status", &auditv1.CallFilter{Statuses: []auditv1.CallStatus{auditv1.CallStatus_CALL_STATUS_FAILED}}, "call_004"},
		{"error class", &auditv1.CallFilter{ErrorClasses: []mcpv1.ErrorClass{mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED}}, "call_004"},
		{"text, any case", &auditv1.CallFilter{Text: "number 3"}, "call_003"},
		{"text with a LIKE wildcard", &auditv1.CallFilter{Text: "n%r"}, ""},
		{"key and model", &auditv1.CallFilter{KeyIds: []string{"k1"}, Models: []string{"claude"}}, ""},
	}
	for _, f := range filters {
		res, err := c.QueryCalls(ctx, connect.NewRequest(&auditv1.QueryCallsRequest{Range: wholeRange(), Filter: f.filter}))
		if err != nil {
			t.Fatalf("QueryCalls(%s): %v", f.name, err)
		}
		if got := ids(res.Msg.GetRecords()); got != f.want {
			t.Errorf("QueryCalls(%s) = %q, want %q", f.name, got, f.want)
		}
	}
	// A narrower time range.
	narrow := &auditv1.TimeRange{Start: timestamppb.New(base.Add(2 * time.Second)), End: timestamppb.New(base.Add(4 * time.Second))}
	res, err := c.QueryCalls(ctx, connect.NewRequest(&auditv1.QueryCallsRequest{Range: narrow}))
	if err != nil {
		t.Fatalf("QueryCalls(range): %v", err)
	}
	if got := ids(res.Msg.GetRecords()); got != "call_003,call_002" {
		t.Errorf("QueryCalls(range) = %q", got)
	}

	got, err := c.GetCall(ctx, connect.NewRequest(&auditv1.GetCallRequest{Id: "call_003"}))
	if err != nil {
		t.Fatalf("GetCall: %v", err)
	}
	if b := got.Msg.GetRecord().GetRequestBody().GetJson(); b != `{"text":"Hello Number 3"}` {
		t.Errorf("GetCall body = %q", b)
	}
	if r := got.Msg.GetRecord(); r.GetSequence() != 3 || len(r.GetHash()) != 32 {
		t.Errorf("GetCall sequence %d hash %x", r.GetSequence(), r.GetHash())
	}
	_, err = c.GetCall(ctx, connect.NewRequest(&auditv1.GetCallRequest{Id: "call_999"}))
	if connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("GetCall(unknown) = %v, want NotFound", err)
	}
	_, err = c.QueryCalls(ctx, connect.NewRequest(&auditv1.QueryCallsRequest{Range: wholeRange(), PageToken: "garbage!"}))
	if connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("QueryCalls(bad token) = %v, want InvalidArgument", err)
	}
}

func verify(t *testing.T, c auditv1connect.AuditServiceClient) *auditv1.VerifyChainResponse {
	t.Helper()
	v, err := c.VerifyChain(t.Context(), connect.NewRequest(&auditv1.VerifyChainRequest{Log: auditv1.AuditLog_AUDIT_LOG_CALLS}))
	if err != nil {
		t.Fatalf("VerifyChain: %v", err)
	}
	return v.Msg
}

func testVerify(t *testing.T, db *storage.DB) {
	c := client(t, db)
	seed(t, c)
	if v := verify(t, c); !v.GetOk() || v.GetRecordsChecked() != 5 || v.GetVerifiedThroughSequence() != 5 {
		t.Fatalf("intact log: %v", v)
	}
	exec := func(sql string) {
		t.Helper()
		if _, err := db.ExecContext(t.Context(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// A changed query column (what an attacker would edit to hide a call).
	exec("UPDATE audit_calls SET model = 'innocent' WHERE seq = 4")
	v := verify(t, c)
	if v.GetOk() || v.GetFirstBadSequence() != 4 || v.GetFirstBadRecordId() != "call_004" || v.GetFailure() != auditv1.ChainFailure_CHAIN_FAILURE_HASH_MISMATCH {
		t.Errorf("after a column edit: %v", v)
	}
	// A changed record before it is reported first.
	exec("UPDATE audit_calls SET record = hash WHERE seq = 2")
	if v := verify(t, c); v.GetOk() || v.GetFirstBadSequence() != 2 {
		t.Errorf("after a record edit: %v", v)
	}
	// A deleted record is a gap.
	exec("DELETE FROM audit_calls WHERE seq = 1")
	if v := verify(t, c); v.GetOk() || v.GetFirstBadSequence() != 1 || v.GetFailure() != auditv1.ChainFailure_CHAIN_FAILURE_GAP {
		t.Errorf("after a delete: %v", v)
	}
}

func testStats(t *testing.T, c auditv1connect.AuditServiceClient) {
	seed(t, c)
	res, err := c.GetStats(t.Context(), connect.NewRequest(&auditv1.GetStatsRequest{
		Range: wholeRange(), BucketWidth: durationpb.New(2 * time.Hour),
		GroupBy: []auditv1.StatsDimension{auditv1.StatsDimension_STATS_DIMENSION_MODEL},
	}))
	if err != nil {
		t.Fatalf("GetStats: %v", err)
	}
	got := map[string]*auditv1.StatsBucket{}
	for _, b := range res.Msg.GetBuckets() {
		got[b.GetGroup().GetModel()] = b
	}
	if len(got) != 2 {
		t.Fatalf("buckets = %v, want one per model", res.Msg.GetBuckets())
	}
	g := got["gpt-4o"]
	if g.GetRequests() != 3 || g.GetOutputTokens() != 1+2+3 || g.GetInputTokens() != 30 || g.GetCostMicros() != 300 || len(g.GetErrors()) != 0 {
		t.Errorf("gpt-4o bucket = %v", g)
	}
	if g.GetLatencyP50().AsDuration() != 20*time.Millisecond || g.GetLatencyP99().AsDuration() != 30*time.Millisecond {
		t.Errorf("gpt-4o latency p50 %v p99 %v", g.GetLatencyP50().AsDuration(), g.GetLatencyP99().AsDuration())
	}
	cl := got["claude"]
	if cl.GetRequests() != 2 || len(cl.GetErrors()) != 1 || cl.GetErrors()[0].GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED || cl.GetErrors()[0].GetCount() != 1 {
		t.Errorf("claude bucket = %v", cl)
	}
	_, err = c.GetStats(t.Context(), connect.NewRequest(&auditv1.GetStatsRequest{Range: wholeRange(), BucketWidth: durationpb.New(time.Millisecond)}))
	if connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("GetStats(too many buckets) = %v, want InvalidArgument", err)
	}
}

func export(t *testing.T, c auditv1connect.AuditServiceClient, format auditv1.ExportFormat) (string, int64) {
	t.Helper()
	stream, err := c.ExportCalls(t.Context(), connect.NewRequest(&auditv1.ExportCallsRequest{Range: wholeRange(), Format: format, IncludeBodies: true}))
	if err != nil {
		t.Fatalf("ExportCalls: %v", err)
	}
	var buf bytes.Buffer
	var n int64
	for stream.Receive() {
		buf.Write(stream.Msg().GetData())
		n += stream.Msg().GetRecordCount()
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("ExportCalls: %v", err)
	}
	return buf.String(), n
}

func testExport(t *testing.T, c auditv1connect.AuditServiceClient) {
	seed(t, c)
	jsonl, n := export(t, c, auditv1.ExportFormat_EXPORT_FORMAT_JSONL)
	lines := strings.Split(strings.TrimSpace(jsonl), "\n")
	if n != 5 || len(lines) != 5 || !strings.Contains(lines[0], `"id":"call_001"`) || !strings.Contains(lines[0], "Hello Number 1") {
		t.Errorf("JSONL export (%d records):\n%s", n, jsonl)
	}
	text, n := export(t, c, auditv1.ExportFormat_EXPORT_FORMAT_CSV)
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatalf("CSV export does not parse: %v\n%s", err, text)
	}
	if n != 5 || len(rows) != 6 || rows[0][0] != "id" || rows[1][0] != "call_001" || rows[5][0] != "call_005" {
		t.Errorf("CSV export (%d records): %v", n, rows)
	}
}

func testAdminActions(t *testing.T, c auditv1connect.AuditServiceClient) {
	ctx := t.Context()
	act := func(i int, actor string) *auditv1.AdminAction {
		return &auditv1.AdminAction{
			Id: fmt.Sprintf("act_%d", i), Time: timestamppb.New(base.Add(time.Duration(i) * time.Second)),
			Actor:  &auditv1.Actor{Kind: auditv1.ActorKind_ACTOR_KIND_ADMIN_KEY, Id: actor},
			Action: "/manifold.keyvault.v1.KeyVaultService/RevokeVirtualKey", ResourceType: "virtual_key", ResourceId: fmt.Sprintf("vk_%d", i),
		}
	}
	res, err := c.RecordAdminActions(ctx, connect.NewRequest(&auditv1.RecordAdminActionsRequest{Actions: []*auditv1.AdminAction{act(1, "alice"), act(2, "bob"), act(1, "alice")}}))
	if err != nil {
		t.Fatalf("RecordAdminActions: %v", err)
	}
	if res.Msg.GetStored() != 2 || res.Msg.GetDuplicates() != 1 {
		t.Errorf("RecordAdminActions = %v", res.Msg)
	}
	q, err := c.QueryAdminActions(ctx, connect.NewRequest(&auditv1.QueryAdminActionsRequest{Range: wholeRange(), ActorId: "bob"}))
	if err != nil {
		t.Fatalf("QueryAdminActions: %v", err)
	}
	if len(q.Msg.GetActions()) != 1 || q.Msg.GetActions()[0].GetResourceId() != "vk_2" {
		t.Errorf("QueryAdminActions(bob) = %v", q.Msg.GetActions())
	}
	v, err := c.VerifyChain(ctx, connect.NewRequest(&auditv1.VerifyChainRequest{Log: auditv1.AuditLog_AUDIT_LOG_ADMIN_ACTIONS}))
	if err != nil {
		t.Fatalf("VerifyChain: %v", err)
	}
	if !v.Msg.GetOk() || v.Msg.GetRecordsChecked() != 2 {
		t.Errorf("VerifyChain(admin actions) = %v", v.Msg)
	}
}
