package bedrock_test

import (
	"testing"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
)

const benchPrompt = "Summarise the plot of a long novel in a few dozen words, please, with some detail about each of the main characters."

func BenchmarkGenerate(b *testing.B) {
	_, a := setup(b)
	call := newCall(userText(benchPrompt))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Generate(b.Context(), call); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStream(b *testing.B) {
	_, a := setup(b)
	call := newCall(userText(benchPrompt))
	emit := func(*mcpv1.StreamEvent) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Stream(b.Context(), call, emit); err != nil {
			b.Fatal(err)
		}
	}
}
