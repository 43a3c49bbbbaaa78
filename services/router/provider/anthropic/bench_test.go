package anthropic

import (
	"bufio"
	"bytes"
	"testing"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/router/provider"
)

func benchRequest() *mcpv1.Request {
	return userRequest("The quick brown fox jumps over the lazy dog, again and again, until the answer is long enough to stream.")
}

func BenchmarkGenerate(b *testing.B) {
	a, _ := newTestAdapter(b)
	call := newCall(benchRequest())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Generate(b.Context(), call); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStream(b *testing.B) {
	a, _ := newTestAdapter(b)
	call := newCall(benchRequest())
	emit := func(*mcpv1.StreamEvent) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Stream(b.Context(), call, emit); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamParse measures the adapter's SSE parsing alone (the
// benchmarks above also count the in-process emulator's allocations).
func BenchmarkStreamParse(b *testing.B) {
	a := New(provider.Config{})
	body := []byte(capturedToolStream)
	r := bufio.NewReaderSize(nil, 16<<10)
	emit := func(*mcpv1.StreamEvent) error { return nil }
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r.Reset(bytes.NewReader(body))
		s := streamState{a: a, emit: emit}
		if _, err := s.run(b.Context(), r); err != nil {
			b.Fatal(err)
		}
	}
}
