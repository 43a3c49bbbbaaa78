package calllog

import (
	"testing"
	"time"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/router"
)

// BenchmarkConvert is the recorder's work per call: a chat call with a
// system and a user message and a short answer, bodies kept in full.
//
//	go test -run '^$' -bench Convert -benchmem ./router/calllog/
func BenchmarkConvert(b *testing.B) {
	text := func(s string) []*mcpv1.ContentPart {
		return []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: s}}}
	}
	start := time.Now()
	rec := &router.CallRecord{
		CallInfo: router.CallInfo{
			ID: "call_0123456789", Surface: router.SurfaceOpenAI, Model: "bench-model", Provider: "emu", Start: start,
			Caller: &router.Caller{KeyID: "vk_123", Owner: "bench"},
			Request: &mcpv1.Request{Model: "bench-model", Messages: []*mcpv1.Message{
				{Role: mcpv1.Role_ROLE_SYSTEM, Content: text("You are a helpful assistant.")},
				{Role: mcpv1.Role_ROLE_USER, Content: text("Say hello in one short sentence, please.")},
			}},
		},
		Response: &mcpv1.Response{Id: "chatcmpl-1", Message: &mcpv1.Message{
			Role: mcpv1.Role_ROLE_ASSISTANT, Content: text("Hello! How can I help you today with your questions?"),
		}},
		Usage:    &mcpv1.Usage{InputTokens: 20, OutputTokens: 12, TotalTokens: 32},
		Metadata: &mcpv1.ResponseMetadata{Provider: "emu", Attempts: []*mcpv1.Attempt{{Provider: "emu", Model: "gpt-4o-mini"}}},
		Finish:   mcpv1.FinishReason_FINISH_REASON_STOP,
		End:      start.Add(time.Millisecond),
	}
	b.ReportAllocs()
	for b.Loop() {
		convert(rec, routerv1.RedactionPolicy_REDACTION_POLICY_FULL, 64<<10, "r1")
	}
}
