package calllog

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

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
		Response: &mcpv1.Response{Id: "call_0123456789", Message: &mcpv1.Message{
			Role: mcpv1.Role_ROLE_ASSISTANT, Content: text("Hello! How can I help you today with your questions?"),
		}, FinishReason: mcpv1.FinishReason_FINISH_REASON_STOP,
			// As the router returns it: usage and metadata, which the
			// record keeps in its own fields.
			Usage: &mcpv1.Usage{InputTokens: 20, OutputTokens: 12, TotalTokens: 32},
			Metadata: &mcpv1.ResponseMetadata{Provider: "emu", Model: "gpt-4o-mini",
				Attempts:  []*mcpv1.Attempt{{Provider: "emu", Model: "gpt-4o-mini", Latency: durationpb.New(time.Millisecond)}},
				CreatedAt: timestamppb.New(start), TimeToFirstToken: durationpb.New(time.Millisecond), Latency: durationpb.New(time.Millisecond)}},
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

// TestAnswerFields: answer copies every field of Response but usage and
// metadata; a new field must be added to it (or left out on purpose here).
func TestAnswerFields(t *testing.T) {
	copied := map[protoreflect.Name]bool{"id": true, "message": true, "finish_reason": true, "stop_sequence": true}
	left := map[protoreflect.Name]bool{"usage": true, "metadata": true}
	fields := (&mcpv1.Response{}).ProtoReflect().Descriptor().Fields()
	for i := range fields.Len() {
		if n := fields.Get(i).Name(); !copied[n] && !left[n] {
			t.Errorf("Response.%s is new: copy it in answer, or list it as left out", n)
		}
	}
	res := &mcpv1.Response{Id: "call_1", Message: &mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT},
		FinishReason: mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE, StopSequence: "END",
		Usage: &mcpv1.Usage{OutputTokens: 1}, Metadata: &mcpv1.ResponseMetadata{Provider: "p"}}
	got := answer(res)
	want := &mcpv1.Response{Id: "call_1", Message: res.Message, FinishReason: res.FinishReason, StopSequence: "END"}
	if !proto.Equal(got, want) {
		t.Errorf("answer = %v, want %v", got, want)
	}
	if res.Usage == nil || res.Metadata == nil {
		t.Error("answer changed its argument")
	}
}
