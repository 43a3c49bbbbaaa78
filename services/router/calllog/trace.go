package calllog

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router"
)

// Traces is a router.Recorder that gives each model call an OpenTelemetry
// span, a child of the request that made it, with the OpenTelemetry GenAI
// semantic-convention attributes (gen_ai.*) and one event per attempt.
// Spans go to the process's tracer provider (telemetry.SetupTracing); with
// tracing off they cost one no-op Start.
func Traces() router.Recorder {
	return traceRecorder{tracer: otel.Tracer("github.com/manifoldgw/manifold/services/router")}
}

// traceRecorder holds its tracer from the global provider, which follows a
// provider installed later.
type traceRecorder struct{ tracer trace.Tracer }

// genAIProviders are the gen_ai.provider.name values of the provider kinds.
var genAIProviders = map[routerv1.ProviderKind]string{
	routerv1.ProviderKind_PROVIDER_KIND_OPENAI:       "openai",
	routerv1.ProviderKind_PROVIDER_KIND_AZURE_OPENAI: "azure.ai.openai",
	routerv1.ProviderKind_PROVIDER_KIND_ANTHROPIC:    "anthropic",
	routerv1.ProviderKind_PROVIDER_KIND_GEMINI:       "gcp.gemini",
	routerv1.ProviderKind_PROVIDER_KIND_BEDROCK:      "aws.bedrock",
	routerv1.ProviderKind_PROVIDER_KIND_OLLAMA:       "ollama",
	routerv1.ProviderKind_PROVIDER_KIND_DEMO:         "manifold.demo",
}

func (r traceRecorder) RecordCall(rec *router.CallRecord) {
	ctx := trace.ContextWithSpanContext(context.Background(), rec.Trace)
	model, op := rec.Request.GetModel(), "chat"
	if rec.Operation == router.OperationEmbed {
		op = "embeddings"
	}
	_, span := r.tracer.Start(ctx, op+" "+model,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(rec.Start))
	if !span.IsRecording() {
		span.End()
		return
	}
	c := convert(rec, routerv1.RedactionPolicy_REDACTION_POLICY_METADATA_ONLY, 0, "")
	s := rec.Request.GetSampling()
	attrs := []attribute.KeyValue{
		attribute.String("gen_ai.operation.name", op),
		attribute.String("gen_ai.request.model", model),
		attribute.String("gen_ai.response.model", c.GetModel()),
		attribute.String("manifold.call.id", rec.ID),
		attribute.String("manifold.surface", string(rec.Surface)),
		attribute.String("manifold.provider", c.GetProvider()),
		attribute.Bool("manifold.cache_hit", c.GetCacheHit()),
	}
	if p, ok := genAIProviders[rec.ProviderKind]; ok {
		attrs = append(attrs, attribute.String("gen_ai.provider.name", p))
	}
	if c.GetRoute() != "" {
		attrs = append(attrs, attribute.String("manifold.route", c.GetRoute()))
	}
	if rec.Caller != nil {
		attrs = append(attrs, attribute.String("manifold.key.id", rec.Caller.KeyID))
	}
	if s.GetMaxOutputTokens() > 0 {
		attrs = append(attrs, attribute.Int64("gen_ai.request.max_tokens", int64(s.GetMaxOutputTokens())))
	}
	if s != nil && s.Temperature != nil {
		attrs = append(attrs, attribute.Float64("gen_ai.request.temperature", float64(s.GetTemperature())))
	}
	if s != nil && s.TopP != nil {
		attrs = append(attrs, attribute.Float64("gen_ai.request.top_p", float64(s.GetTopP())))
	}
	if len(s.GetStopSequences()) > 0 {
		attrs = append(attrs, attribute.StringSlice("gen_ai.request.stop_sequences", s.GetStopSequences()))
	}
	if u := rec.Usage; u != nil {
		attrs = append(attrs,
			attribute.Int64("gen_ai.usage.input_tokens", u.GetInputTokens()),
			attribute.Int64("gen_ai.usage.output_tokens", u.GetOutputTokens()),
			attribute.Int64("manifold.cost_micros", u.GetCostMicros()))
	}
	if rec.Response != nil {
		attrs = append(attrs, attribute.String("gen_ai.response.id", rec.Response.GetId()))
	}
	if rec.Finish != mcpv1.FinishReason_FINISH_REASON_UNSPECIFIED {
		attrs = append(attrs, attribute.StringSlice("gen_ai.response.finish_reasons",
			[]string{strings.ToLower(strings.TrimPrefix(rec.Finish.String(), "FINISH_REASON_"))}))
	}
	span.SetAttributes(attrs...)
	for _, a := range c.GetAttempts() {
		ev := []attribute.KeyValue{
			attribute.String("manifold.provider", a.GetProvider()),
			attribute.String("gen_ai.response.model", a.GetModel()),
			attribute.Int64("manifold.latency_ms", a.GetLatency().AsDuration().Milliseconds()),
		}
		if a.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_UNSPECIFIED {
			ev = append(ev, attribute.String("error.type", apierror.ClassName(a.GetErrorClass())))
		}
		span.AddEvent("manifold.attempt", trace.WithAttributes(ev...))
	}
	if c.GetStatus() != auditv1.CallStatus_CALL_STATUS_SUCCEEDED {
		span.SetAttributes(attribute.String("error.type", apierror.ClassName(c.GetErrorClass())))
		span.SetStatus(codes.Error, c.GetErrorMessage())
	}
	span.End(trace.WithTimestamp(rec.End))
}
