package store_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/audit/audittest"
	"github.com/manifoldgw/manifold/services/audit/store"
)

// BenchmarkIngest measures sustained call-log ingestion in batches of 1000
// realistic records (principal, attempts, usage, small JSON bodies) and
// reports records per second. Run it alone on a quiet machine:
//
//	go test -run '^$' -bench Ingest -benchtime 20x ./audit/store/
func BenchmarkIngest(b *testing.B) {
	for _, d := range audittest.Drivers {
		b.Run(d.Name, func(b *testing.B) {
			s := store.New(d.Open(b))
			const batch = 1000
			now := time.Now()
			n := 0
			b.ResetTimer()
			for b.Loop() {
				recs := make([]*auditv1.CallRecord, batch)
				for i := range recs {
					n++
					recs[i] = &auditv1.CallRecord{
						Id: fmt.Sprintf("call_%012d", n), ReceivedAt: timestamppb.New(now),
						Principal: &auditv1.CallPrincipal{KeyId: "vk_bench", Team: "team-a", Project: "p"},
						Surface:   auditv1.Surface_SURFACE_OPENAI, Operation: auditv1.CallOperation_CALL_OPERATION_GENERATE,
						RequestedModel: "chat", Route: "chat", Provider: "openai", Model: "gpt-4o-mini",
						Attempts:     []*mcpv1.Attempt{{Provider: "openai", Model: "gpt-4o-mini", Latency: durationpb.New(180 * time.Millisecond)}},
						Redaction:    auditv1.RedactionPolicy_REDACTION_POLICY_FULL,
						RequestBody:  &auditv1.Body{Content: &auditv1.Body_Json{Json: `{"model":"chat","messages":[{"role":"user","content":[{"text":"Summarise the attached meeting notes in three bullet points."}]}]}`}},
						ResponseBody: &auditv1.Body{Content: &auditv1.Body_Json{Json: `{"id":"call","content":[{"text":"- Budget approved\n- Launch moved to May\n- Hiring two engineers"}],"finish_reason":"FINISH_REASON_STOP"}`}},
						Usage:        &mcpv1.Usage{InputTokens: 412, OutputTokens: 38, TotalTokens: 450, CostMicros: 85},
						Latency:      durationpb.New(200 * time.Millisecond), Status: auditv1.CallStatus_CALL_STATUS_SUCCEEDED,
					}
				}
				if _, _, err := s.RecordCalls(b.Context(), recs); err != nil {
					b.Fatalf("RecordCalls: %v", err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
