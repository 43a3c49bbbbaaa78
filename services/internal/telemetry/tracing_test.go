package telemetry_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"

	"github.com/manifoldgw/manifold/services/internal/telemetry"
)

// TestSetupTracingExportsOTLP: with OTEL_EXPORTER_OTLP_ENDPOINT set, spans
// reach that endpoint over OTLP/HTTP when the tracer shuts down; without
// it, nothing is recorded.
func TestSetupTracingExportsOTLP(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies [][]byte
		paths  []string
	)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, paths = append(bodies, b), append(paths, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	prev := otel.GetTracerProvider()
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	off, err := telemetry.SetupTracing(t.Context(), func(string) string { return "" }, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, span := otel.Tracer("test").Start(context.Background(), "not recorded")
	if span.IsRecording() {
		t.Error("without an OTLP endpoint spans are recorded")
	}
	span.End()
	if err := off(t.Context()); err != nil {
		t.Fatal(err)
	}

	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL}
	shutdown, err := telemetry.SetupTracing(t.Context(), func(k string) string { return env[k] }, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, span = otel.Tracer("test").Start(context.Background(), "exported-span-name")
	span.End()
	if err := shutdown(t.Context()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 || paths[0] != "/v1/traces" || !bytes.Contains(bodies[0], []byte("exported-span-name")) || !bytes.Contains(bodies[0], []byte("manifold")) {
		t.Errorf("collector got %d requests at %q; want one at /v1/traces with the span and service name", len(bodies), paths)
	}
}
