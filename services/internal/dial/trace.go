package dial

import (
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Traced returns t sending the caller's trace context (traceparent) with
// every call, so that a request's trace continues through the services it
// reaches, in this process or another.
func Traced(t Target) Target {
	t.Client = tracedClient{next: t.Client}
	return t
}

type tracedClient struct {
	next interface {
		Do(*http.Request) (*http.Response, error)
	}
}

func (c tracedClient) Do(r *http.Request) (*http.Response, error) {
	if trace.SpanContextFromContext(r.Context()).IsValid() {
		p := otel.GetTextMapPropagator()
		r = r.Clone(r.Context())
		p.Inject(r.Context(), propagation.HeaderCarrier(r.Header))
	}
	return c.next.Do(r)
}
