package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1/promptsv1connect"
)

// TestTracing: a model call through the OpenAI-compatible API continues
// the caller's trace, with a server span for the request and a GenAI span
// for the model call under it; an admin call's trace continues into the
// key vault that authenticates it.
func TestTracing(t *testing.T) {
	recorder := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTracerProvider(prevTP); otel.SetTextMapPropagator(prevProp) })

	url := startGateway(t)
	ctx := t.Context()
	vault := keyvaultv1connect.NewKeyVaultServiceClient(http.DefaultClient, url, as(adminToken))
	vk, err := vault.CreateVirtualKey(ctx, connect.NewRequest(&keyvaultv1.CreateVirtualKeyRequest{
		Name: "traced", Owner: &keyvaultv1.KeyOwner{User: "app"}, Scopes: &keyvaultv1.KeyScopes{Models: []string{"demo"}},
	}))
	if err != nil {
		t.Fatalf("CreateVirtualKey: %v", err)
	}
	dev, err := vault.CreateAdminKey(ctx, connect.NewRequest(&keyvaultv1.CreateAdminKeyRequest{Name: "dev", Role: keyvaultv1.AdminRole_ADMIN_ROLE_DEVELOPER, User: "dev"}))
	if err != nil {
		t.Fatalf("CreateAdminKey: %v", err)
	}

	// The caller's own trace: version 00, a fixed trace and parent id.
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/chat/completions",
		strings.NewReader(`{"model": "demo", "max_tokens": 50, "temperature": 0.5, "messages": [{"role": "user", "content": "Trace me"}]}`))
	req.Header.Set("Authorization", "Bearer "+vk.Msg.GetSecret())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("chat completion: %s", res.Status)
	}

	_, err = promptsv1connect.NewPromptServiceClient(http.DefaultClient, url, as(dev.Msg.GetSecret())).ListPrompts(ctx, connect.NewRequest(&promptsv1.ListPromptsRequest{}))
	if err != nil {
		t.Fatalf("ListPrompts: %v", err)
	}

	// Spans end as the calls finish; wait (bounded) for the ones we need.
	byName := func(name string) sdktrace.ReadOnlySpan {
		for _, s := range recorder.Ended() {
			if s.Name() == name {
				return s
			}
		}
		return nil
	}
	names := []string{"chat demo", "POST /v1/chat/completions", "POST /manifold.prompts.v1.PromptService/ListPrompts", "POST /manifold.keyvault.v1.KeyVaultService/WhoAmI"}
	deadline := time.Now().Add(10 * time.Second)
	for {
		missing := ""
		for _, n := range names {
			if byName(n) == nil {
				missing = n
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			var got []string
			for _, s := range recorder.Ended() {
				got = append(got, s.Name())
			}
			t.Fatalf("no span %q; spans: %q", missing, got)
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}

	server, call := byName("POST /v1/chat/completions"), byName("chat demo")
	if got := server.SpanContext().TraceID().String(); got != traceID {
		t.Errorf("server span trace %s, want the caller's %s", got, traceID)
	}
	if got := server.Parent().SpanID().String(); got != parentID {
		t.Errorf("server span parent %s, want the caller's span %s", got, parentID)
	}
	if call.Parent().SpanID() != server.SpanContext().SpanID() || call.SpanContext().TraceID() != server.SpanContext().TraceID() {
		t.Errorf("model-call span is not a child of the request's span")
	}
	if call.SpanKind() != trace.SpanKindClient {
		t.Errorf("model-call span kind %v, want client", call.SpanKind())
	}
	attrs := map[attribute.Key]attribute.Value{}
	for _, kv := range call.Attributes() {
		attrs[kv.Key] = kv.Value
	}
	for key, want := range map[attribute.Key]string{
		"gen_ai.operation.name": "chat", "gen_ai.request.model": "demo", "gen_ai.provider.name": "manifold.demo",
		"manifold.surface": "openai",
	} {
		if got := attrs[key].AsString(); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if got := attrs["gen_ai.request.max_tokens"].AsInt64(); got != 50 {
		t.Errorf("gen_ai.request.max_tokens = %d, want 50", got)
	}
	if got := attrs["gen_ai.request.temperature"].AsFloat64(); got != 0.5 {
		t.Errorf("gen_ai.request.temperature = %v, want 0.5", got)
	}
	if in, out := attrs["gen_ai.usage.input_tokens"].AsInt64(), attrs["gen_ai.usage.output_tokens"].AsInt64(); in <= 0 || out <= 0 {
		t.Errorf("gen_ai.usage tokens = %d in, %d out; want both > 0", in, out)
	}
	if got := attrs["gen_ai.response.finish_reasons"].AsStringSlice(); len(got) != 1 || got[0] != "stop" {
		t.Errorf("gen_ai.response.finish_reasons = %q, want [stop]", got)
	}
	for _, kv := range call.Attributes() {
		if strings.Contains(kv.Value.Emit(), vk.Msg.GetSecret()) {
			t.Errorf("attribute %s holds the virtual key's secret", kv.Key)
		}
	}

	// The guard's in-process call to the key vault is part of the admin
	// call's trace.
	list, who := byName("POST /manifold.prompts.v1.PromptService/ListPrompts"), byName("POST /manifold.keyvault.v1.KeyVaultService/WhoAmI")
	if who.SpanContext().TraceID() != list.SpanContext().TraceID() || who.Parent().SpanID() != list.SpanContext().SpanID() {
		t.Errorf("WhoAmI span (trace %s, parent %s) is not a child of ListPrompts (trace %s, span %s)",
			who.SpanContext().TraceID(), who.Parent().SpanID(), list.SpanContext().TraceID(), list.SpanContext().SpanID())
	}
}
