package telemetry

import (
	"context"
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// TracingEnv are the standard OpenTelemetry variables that turn tracing on:
// spans are exported over OTLP/HTTP to the endpoint they name (the
// exporter reads the rest of OTEL_EXPORTER_OTLP_*: headers, timeout, …).
var TracingEnv = []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"}

// SetupTracing installs the process's W3C trace-context propagator and,
// when one of TracingEnv is set, a tracer provider batching spans to that
// endpoint; otherwise spans are not recorded (the no-op provider). The
// returned shutdown flushes pending spans.
func SetupTracing(ctx context.Context, getenv func(string) string, version string) (shutdown func(context.Context) error, err error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	var endpoint string
	if u := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); u != "" {
		endpoint = u
	} else if u := getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); u != "" {
		endpoint = strings.TrimSuffix(u, "/") + "/v1/traces"
	}
	if endpoint == "" {
		return func(context.Context) error { return nil }, nil
	}
	exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, err
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.name", "manifold"), attribute.String("service.version", version)))
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}

// recording reports whether the process's tracer provider records spans:
// an SDK provider is installed (SetupTracing's, or a test's).
func recording() bool {
	_, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider)
	return ok
}

// TraceHTTP gives every request a server span, continuing the caller's
// trace when it sends a traceparent header: Connect and gRPC calls between
// services, the OpenAI- and Anthropic-compatible APIs, prompt APIs. While
// no spans are recorded it only carries the caller's trace context (and
// baggage) on to the handler, so that outgoing calls still continue it:
// the same propagation at a fraction of the middleware's cost.
func TraceHTTP(h http.Handler) http.Handler {
	traced := otelhttp.NewHandler(h, "manifold",
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }),
		otelhttp.WithFilter(func(r *http.Request) bool {
			// Scrapes and health checks come every few seconds and say nothing.
			return r.URL.Path != Path && !strings.HasPrefix(r.URL.Path, "/grpc.health.v1.Health/")
		}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case recording():
			traced.ServeHTTP(w, r)
		case r.Header.Get("Traceparent") == "" && r.Header.Get("Baggage") == "":
			h.ServeHTTP(w, r)
		default:
			ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			h.ServeHTTP(w, r.WithContext(ctx))
		}
	})
}
