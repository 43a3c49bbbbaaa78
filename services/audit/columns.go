package audit

import (
	"strings"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
)

// Columns are the values a store keeps beside a record's bytes so that
// queries can filter and aggregate without decoding: the call log uses the
// call fields, the admin-action log the action fields. Times are unix
// microseconds.
type Columns struct {
	Time int64

	// Call log.
	KeyID, Team, Project, Model, Route, Provider, PromptName, RunID  string
	Surface, Status, ErrorClass                                      int32
	CacheHit                                                         bool
	InputTokens, OutputTokens, CostMicros, LatencyMicros, TTFTMicros int64

	// Admin-action log.
	ActorID, Action, ResourceType, ResourceID string
}

// ColumnsOf returns a call record's columns.
func ColumnsOf(r *auditv1.CallRecord) Columns {
	return Columns{
		Time:          r.GetReceivedAt().AsTime().UnixMicro(),
		KeyID:         r.GetPrincipal().GetKeyId(),
		Team:          r.GetPrincipal().GetTeam(),
		Project:       r.GetPrincipal().GetProject(),
		Model:         r.GetModel(),
		Route:         r.GetRoute(),
		Provider:      r.GetProvider(),
		PromptName:    r.GetPromptName(),
		RunID:         r.GetRunId(),
		Surface:       int32(r.GetSurface()),
		Status:        int32(r.GetStatus()),
		ErrorClass:    int32(r.GetErrorClass()),
		CacheHit:      r.GetCacheHit(),
		InputTokens:   r.GetUsage().GetInputTokens(),
		OutputTokens:  r.GetUsage().GetOutputTokens(),
		CostMicros:    r.GetUsage().GetCostMicros(),
		LatencyMicros: r.GetLatency().AsDuration().Microseconds(),
		TTFTMicros:    r.GetTimeToFirstToken().AsDuration().Microseconds(),
	}
}

// ActionColumnsOf returns an admin action's columns.
func ActionColumnsOf(a *auditv1.AdminAction) Columns {
	return Columns{
		Time:         a.GetTime().AsTime().UnixMicro(),
		ActorID:      a.GetActor().GetId(),
		Action:       a.GetAction(),
		ResourceType: a.GetResourceType(),
		ResourceID:   a.GetResourceId(),
	}
}

// SearchText is what a text filter searches: the bodies, lower-cased.
func SearchText(r *auditv1.CallRecord) string {
	var b strings.Builder
	for _, body := range []*auditv1.Body{r.GetRequestBody(), r.GetResponseBody()} {
		if j := body.GetJson(); j != "" {
			b.WriteString(strings.ToLower(j))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// diff names the first column of c that differs from stored, or "".
func (c Columns) diff(stored Columns) string {
	type field struct {
		name string
		ok   bool
	}
	for _, f := range []field{
		{"time", c.Time == stored.Time},
		{"key_id", c.KeyID == stored.KeyID},
		{"team", c.Team == stored.Team},
		{"project", c.Project == stored.Project},
		{"model", c.Model == stored.Model},
		{"route", c.Route == stored.Route},
		{"provider", c.Provider == stored.Provider},
		{"prompt_name", c.PromptName == stored.PromptName},
		{"run_id", c.RunID == stored.RunID},
		{"surface", c.Surface == stored.Surface},
		{"status", c.Status == stored.Status},
		{"error_class", c.ErrorClass == stored.ErrorClass},
		{"cache_hit", c.CacheHit == stored.CacheHit},
		{"input_tokens", c.InputTokens == stored.InputTokens},
		{"output_tokens", c.OutputTokens == stored.OutputTokens},
		{"cost_micros", c.CostMicros == stored.CostMicros},
		{"latency", c.LatencyMicros == stored.LatencyMicros},
		{"time_to_first_token", c.TTFTMicros == stored.TTFTMicros},
		{"actor_id", c.ActorID == stored.ActorID},
		{"action", c.Action == stored.Action},
		{"resource_type", c.ResourceType == stored.ResourceType},
		{"resource_id", c.ResourceID == stored.ResourceID},
	} {
		if !f.ok {
			return f.name
		}
	}
	return ""
}
