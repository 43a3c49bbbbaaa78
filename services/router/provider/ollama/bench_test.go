package ollama_test

import (
	"testing"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
)

func BenchmarkGenerate(b *testing.B) {
	_, a := setup(b)
	c := call(ask("Benchmark this fairly ordinary sentence with a handful of words in it"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Generate(b.Context(), c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStream(b *testing.B) {
	_, a := setup(b)
	c := call(ask("Benchmark this fairly ordinary sentence with a handful of words in it"))
	emit := func(*mcpv1.StreamEvent) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Stream(b.Context(), c, emit); err != nil {
			b.Fatal(err)
		}
	}
}
