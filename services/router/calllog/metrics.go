package calllog

import (
	"strings"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/telemetry"
	"github.com/manifoldgw/manifold/services/router"
)

// Metrics is a router.Recorder that counts calls into m.
func Metrics(m *telemetry.Metrics) router.Recorder { return metricsRecorder{m} }

type metricsRecorder struct{ m *telemetry.Metrics }

func (r metricsRecorder) RecordCall(rec *router.CallRecord) {
	// convert without bodies: the same status, class, provider and model
	// the call log stores, cheaply.
	c := convert(rec, routerv1.RedactionPolicy_REDACTION_POLICY_METADATA_ONLY, 0, "")
	r.m.ObserveCall(telemetry.Call{
		Surface: string(rec.Surface), Route: c.GetRoute(), Provider: c.GetProvider(), Model: c.GetModel(),
		Status: strings.ToLower(strings.TrimPrefix(c.GetStatus().String(), "CALL_STATUS_")), ErrorClass: errorClass(c),
		InputTokens: c.GetUsage().GetInputTokens(), OutputTokens: c.GetUsage().GetOutputTokens(), CostMicros: c.GetUsage().GetCostMicros(),
		CacheHit: c.GetCacheHit(), Latency: c.GetLatency().AsDuration(), TimeToFirstToken: c.GetTimeToFirstToken().AsDuration(),
	})
}

func errorClass(c *auditv1.CallRecord) string {
	if c.GetStatus() == auditv1.CallStatus_CALL_STATUS_SUCCEEDED {
		return ""
	}
	return apierror.ClassName(c.GetErrorClass())
}

// Tee is a router.Recorder that hands each record to every one of rs, in
// order. Each must not block.
func Tee(rs ...router.Recorder) router.Recorder { return tee(rs) }

type tee []router.Recorder

func (t tee) RecordCall(rec *router.CallRecord) {
	for _, r := range t {
		r.RecordCall(rec)
	}
}
