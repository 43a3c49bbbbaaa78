package validate_test

import (
	"testing"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/validate"
)

// BenchmarkCheckChatRequest is the validation every chat call pays: a
// request with a system and a user message and two sampling parameters.
//
//	go test -run '^$' -bench . -benchmem ./internal/validate/
func BenchmarkCheckChatRequest(b *testing.B) {
	text := func(s string) []*mcpv1.ContentPart {
		return []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: s}}}
	}
	temp := float64(0)
	max := int32(64)
	req := &mcpv1.Request{Model: "bench-model", Messages: []*mcpv1.Message{
		{Role: mcpv1.Role_ROLE_SYSTEM, Content: text("You are a helpful assistant.")},
		{Role: mcpv1.Role_ROLE_USER, Content: text("Say hello to the benchmark in a few words.")},
	}, Sampling: &mcpv1.SamplingParams{Temperature: &temp, MaxOutputTokens: &max}}
	if err := validate.Check(req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := validate.Check(req); err != nil {
			b.Fatal(err)
		}
	}
}
