// Package telemetry holds the gateway's Prometheus metrics — one registry
// per process, served at /metrics, with the model-call series the router
// feeds (requests, tokens, cost, latency, time to first token, errors and
// cache hits by route, provider and model) beside the Go runtime's — and
// its OpenTelemetry tracing set-up (tracing.go).
package telemetry

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is where the metrics are served.
const Path = "/metrics"

// Call is one finished model call, as metrics see it. Labels must have low
// cardinality: no ids, no users.
type Call struct {
	Surface, Route, Provider, Model string
	// Status is succeeded, failed or cancelled; ErrorClass is the class's
	// snake_case name for failures, "" otherwise.
	Status, ErrorClass        string
	InputTokens, OutputTokens int64
	CostMicros                int64
	CacheHit                  bool
	Latency                   time.Duration
	// TimeToFirstToken is 0 when unknown (failed before any output).
	TimeToFirstToken time.Duration
}

// Metrics is a registry with the gateway's series.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	tokens   *prometheus.CounterVec
	cost     *prometheus.CounterVec
	cache    *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	ttft     *prometheus.HistogramVec
}

// latencyBuckets span a cached answer (milliseconds) to a long generation
// (minutes).
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20, 40, 80, 160}

// New returns a registry with the call series and the Go and process
// collectors.
func New() *Metrics {
	target := []string{"route", "provider", "model"}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "manifold_requests_total", Help: "Model calls by surface, route, provider, model, final status and error class.",
		}, []string{"surface", "route", "provider", "model", "status", "error_class"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "manifold_tokens_total", Help: "Tokens billed, by direction (input or output).",
		}, append(target, "direction")),
		cost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "manifold_cost_usd_total", Help: "Cost of model calls at catalog prices, in US dollars.",
		}, target),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "manifold_cache_hits_total", Help: "Calls answered from the response cache.",
		}, target),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "manifold_request_duration_seconds", Help: "Time from receipt to the end of the answer.", Buckets: latencyBuckets,
		}, target),
		ttft: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "manifold_time_to_first_token_seconds", Help: "Time from receipt to the first token (streams) or the answer.", Buckets: latencyBuckets,
		}, target),
	}
	m.reg.MustRegister(m.requests, m.tokens, m.cost, m.cache, m.latency, m.ttft,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry, for other components' series.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format (or
// OpenMetrics when asked).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// ObserveCall counts one finished call.
func (m *Metrics) ObserveCall(c Call) {
	m.requests.WithLabelValues(c.Surface, c.Route, c.Provider, c.Model, c.Status, c.ErrorClass).Inc()
	t := []string{c.Route, c.Provider, c.Model}
	if c.InputTokens > 0 {
		m.tokens.WithLabelValues(c.Route, c.Provider, c.Model, "input").Add(float64(c.InputTokens))
	}
	if c.OutputTokens > 0 {
		m.tokens.WithLabelValues(c.Route, c.Provider, c.Model, "output").Add(float64(c.OutputTokens))
	}
	if c.CostMicros > 0 {
		m.cost.WithLabelValues(t...).Add(float64(c.CostMicros) / 1e6)
	}
	if c.CacheHit {
		m.cache.WithLabelValues(t...).Inc()
	}
	m.latency.WithLabelValues(t...).Observe(c.Latency.Seconds())
	if c.TimeToFirstToken > 0 {
		m.ttft.WithLabelValues(t...).Observe(c.TimeToFirstToken.Seconds())
	}
}
