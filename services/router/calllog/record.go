package calllog

import (
	"context"
	"errors"
	"maps"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/pii"
	"github.com/manifoldgw/manifold/services/router"
)

// maxErrorMessage is CallRecord.error_message's limit.
const maxErrorMessage = 4096

var surfaces = map[router.Surface]auditv1.Surface{
	router.SurfaceOpenAI:    auditv1.Surface_SURFACE_OPENAI,
	router.SurfaceAnthropic: auditv1.Surface_SURFACE_ANTHROPIC,
	router.SurfaceConnect:   auditv1.Surface_SURFACE_CONNECT,
	router.SurfacePromptAPI: auditv1.Surface_SURFACE_PROMPT_API,
	router.SurfaceWorkflow:  auditv1.Surface_SURFACE_WORKFLOW,
}

var bodyJSON = protojson.MarshalOptions{UseProtoNames: true}

// convert turns what the router knows of a call into a call record, with
// the bodies redacted under policy. Secrets that look like API keys are
// masked under every policy; the virtual key's secret is never part of a
// CallRecord to begin with (only its id is).
func convert(rec *router.CallRecord, policy routerv1.RedactionPolicy, maxBody int, replica string) *auditv1.CallRecord {
	md := rec.Metadata
	out := &auditv1.CallRecord{
		Id:               rec.ID,
		ReceivedAt:       timestamppb.New(rec.Start),
		Surface:          surfaces[rec.Surface],
		Operation:        auditv1.CallOperation_CALL_OPERATION_GENERATE,
		RequestedModel:   rec.Request.GetModel(),
		Route:            rec.Route,
		Provider:         rec.Provider,
		Model:            rec.Model,
		PromptName:       md.GetPromptName(),
		PromptVersion:    md.GetPromptVersion(),
		Usage:            rec.Usage,
		CacheHit:         md.GetCacheHit(),
		TimeToFirstToken: md.GetTimeToFirstToken(),
		Latency:          durationpb.New(rec.End.Sub(rec.Start)),
		FinishReason:     rec.Finish,
		ReplicaId:        replica,
	}
	out.RunId = rec.Request.GetOptions().GetMetadata()["run_id"]
	if rec.Operation == router.OperationEmbed {
		out.Operation = auditv1.CallOperation_CALL_OPERATION_EMBED
	}
	if out.Surface == auditv1.Surface_SURFACE_UNSPECIFIED {
		out.Surface = auditv1.Surface_SURFACE_CONNECT
	}
	if md.GetProvider() != "" {
		out.Provider = md.GetProvider()
	}
	if md.GetRoute() != "" {
		out.Route = md.GetRoute()
	}
	if c := rec.Caller; c != nil {
		out.Principal = &auditv1.CallPrincipal{KeyId: c.KeyID, User: c.Owner, Team: c.Team, Project: c.Project}
		if len(c.Metadata) > 0 {
			out.Metadata = maps.Clone(c.Metadata)
		}
	}
	if m := rec.Request.GetOptions().GetMetadata(); len(m) > 0 {
		if out.Metadata == nil {
			out.Metadata = map[string]string{}
		}
		maps.Copy(out.Metadata, m)
	}
	if u := rec.Request.GetOptions().GetUser(); u != "" {
		if out.Principal == nil {
			out.Principal = &auditv1.CallPrincipal{}
		}
		out.Principal.EndUser = u
	}
	// After a fallback, the last attempt is the target that answered (or
	// failed last); the router's CallInfo names the first target only.
	if as := md.GetAttempts(); len(as) > 1 {
		out.Provider, out.Model = as[len(as)-1].GetProvider(), as[len(as)-1].GetModel()
	}
	for _, a := range md.GetAttempts() {
		if msg := pii.MaskSecrets(a.GetErrorMessage()); msg != a.GetErrorMessage() {
			a = proto.CloneOf(a)
			a.ErrorMessage = msg
		}
		out.Attempts = append(out.Attempts, a)
	}
	switch {
	case rec.Err == nil:
		out.Status, out.HttpStatus = auditv1.CallStatus_CALL_STATUS_SUCCEEDED, 200
	default:
		e := apierror.As(rec.Err)
		out.Status = auditv1.CallStatus_CALL_STATUS_FAILED
		if e.Class == mcpv1.ErrorClass_ERROR_CLASS_CANCELLED || errors.Is(rec.Err, context.Canceled) {
			out.Status = auditv1.CallStatus_CALL_STATUS_CANCELLED
		}
		out.ErrorClass = e.Class
		// Only the message callers see, never the cause (which may quote an
		// upstream reply or a credential).
		out.ErrorMessage = truncate(pii.MaskSecrets(e.Message), maxErrorMessage)
		out.HttpStatus = int32(apierror.HTTPStatus(e.Class))
	}

	if policy == routerv1.RedactionPolicy_REDACTION_POLICY_UNSPECIFIED {
		policy = routerv1.RedactionPolicy_REDACTION_POLICY_FULL
	}
	out.Redaction = auditv1.RedactionPolicy(policy)
	switch policy {
	case routerv1.RedactionPolicy_REDACTION_POLICY_PII_MASKED:
		out.RequestBody = body(masked(rec.Request), maxBody)
		out.ResponseBody = body(masked(answer(rec.Response)), maxBody)
	case routerv1.RedactionPolicy_REDACTION_POLICY_FULL:
		out.RequestBody = fullBody(rec.Request, maxBody)
		out.ResponseBody = fullBody(answer(rec.Response), maxBody)
	}
	return out
}

// answer is res without its usage and metadata, which the record keeps in
// fields of its own (usage, attempts, route, cache hit, prompt, times): the
// response body is the answer itself. A shallow copy; TestAnswerFields
// fails when Response gains a field this does not know.
func answer(res *mcpv1.Response) *mcpv1.Response {
	if res == nil || res.Usage == nil && res.Metadata == nil {
		return res
	}
	return &mcpv1.Response{Id: res.Id, Message: res.Message, FinishReason: res.FinishReason, StopSequence: res.StopSequence}
}

// masked is a copy of m with its personal data and secrets masked.
func masked[M proto.Message](m M) M {
	c := proto.CloneOf(m)
	pii.MaskMessage(c)
	return c
}

// body is m as JSON, cut to maxBody bytes; nil for no message.
func body[M proto.Message](m M, maxBody int) *auditv1.Body {
	if !m.ProtoReflect().IsValid() {
		return nil
	}
	b, err := bodyJSON.Marshal(m)
	if err != nil {
		return nil
	}
	return jsonBody(string(b), maxBody)
}

// fullBody is body with only the secrets masked. The JSON is checked first,
// in one pass over its bytes: when nothing in it can be a secret (the usual
// case), it is the answer, and the message is neither walked nor copied.
func fullBody[M proto.Message](m M, maxBody int) *auditv1.Body {
	if !m.ProtoReflect().IsValid() {
		return nil
	}
	b, err := bodyJSON.Marshal(m)
	if err != nil {
		return nil
	}
	if s := string(b); !pii.MayHoldSecret(s) {
		return jsonBody(s, maxBody)
	}
	return body(pii.SecretsMasked(m), maxBody)
}

// jsonBody wraps the JSON text s, cut to maxBody bytes.
func jsonBody(s string, maxBody int) *auditv1.Body {
	out := &auditv1.Body{ContentType: "application/json", SizeBytes: int64(len(s))}
	if maxBody > 0 && len(s) > maxBody {
		s, out.Truncated = truncate(s, maxBody), true
	}
	out.Content = &auditv1.Body_Json{Json: s}
	return out
}

// truncate cuts s to at most n bytes at a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
