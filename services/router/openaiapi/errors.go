package openaiapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/internal/jsonhttp"
)

// errorEnvelope is OpenAI's error body; all four keys of the inner object
// are always present (the schema requires them).
type errorEnvelope struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// openAIError says how one error class looks on this surface. The HTTP
// status comes from apierror's table; only type and code are OpenAI's.
type openAIError struct {
	typ  string
	code string // empty: the Manifold class name
}

// errorKinds follows the real bodies in PROVIDER_WIRE_FORMATS.md §1.5 and
// §6.6. Classes without an OpenAI code carry Manifold's stable class name
// as code, so clients can still tell them apart.
var errorKinds = map[mcpv1.ErrorClass]openAIError{
	mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST:         {typ: "invalid_request_error"},
	mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION:          {typ: "authentication_error", code: "invalid_api_key"},
	mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED:       {typ: "permission_error"},
	mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND:               {typ: "invalid_request_error", code: "not_found"},
	mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED:            {typ: "rate_limit_error", code: "rate_limit_exceeded"},
	mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED:          {typ: "insufficient_quota", code: "insufficient_quota"},
	mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED:              {typ: "server_error", code: "overloaded"},
	mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED: {typ: "invalid_request_error", code: "context_length_exceeded"},
	mcpv1.ErrorClass_ERROR_CLASS_CONTENT_FILTERED:        {typ: "invalid_request_error", code: "content_filter"},
	mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE:             {typ: "server_error"},
	mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT:                 {typ: "server_error"},
	mcpv1.ErrorClass_ERROR_CLASS_CANCELLED:               {typ: "server_error"},
	mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED:             {typ: "invalid_request_error", code: "unsupported_value"},
	mcpv1.ErrorClass_ERROR_CLASS_INTERNAL:                {typ: "server_error"},
	mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL:       {typ: "server_error"},
	mcpv1.ErrorClass_ERROR_CLASS_QUOTA_UNCONFIRMED:       {typ: "server_error"},
}

// body builds the OpenAI error body for e.
func body(e *apierror.Error) errorBody {
	kind, ok := errorKinds[e.Class]
	if !ok {
		kind = openAIError{typ: "server_error"}
	}
	code := kind.code
	if code == "" {
		code = apierror.ClassName(e.Class)
	}
	param := paramName(e.Field)
	if e.Class == mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND && param == "model" {
		code = "model_not_found"
	}
	if e.Class == mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED && param == "" {
		param = "messages"
	}
	msg := e.Message
	if e.Field != "" {
		msg = paramNames.Replace(msg)
		if !strings.Contains(msg, param) {
			msg = param + ": " + msg
		}
	}
	b := errorBody{Message: msg, Type: kind.typ, Code: &code}
	if param != "" {
		b.Param = &param
	}
	return b
}

// paramNames renames Model Context Protocol paths to the OpenAI request's,
// longest first (a strings.Replacer tries them in order).
var paramNames = strings.NewReplacer(
	"request.", "",
	"sampling.max_output_tokens", "max_completion_tokens",
	"sampling.stop_sequences", "stop",
	"sampling.", "",
	"options.user", "user",
	"options.metadata", "metadata",
	"].parameters", "].function.parameters",
)

// paramName turns a Model Context Protocol field path into the OpenAI
// request parameter it came from.
func paramName(field string) string { return paramNames.Replace(field) }

// writeError answers err in OpenAI's envelope with the class's status.
func (h *Handler) writeError(w http.ResponseWriter, err error) {
	e := apierror.As(err)
	if e.Class == mcpv1.ErrorClass_ERROR_CLASS_INTERNAL {
		h.logger.Error("openai surface: internal error", "err", err)
	}
	jsonhttp.SetRetryAfter(w.Header(), e.RetryAfter)
	setRateLimitHeaders(w.Header(), e)
	h.writeErrorStatus(w, apierror.HTTPStatus(e.Class), body(e))
}

// setRateLimitHeaders describes the Manifold rate limit that refused a
// call as OpenAI does its own: x-ratelimit-{limit,remaining,reset} for
// requests ("rpm:<id>") or tokens ("tpm:<id>").
func setRateLimitHeaders(h http.Header, e *apierror.Error) {
	if e.Class != mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED {
		return
	}
	var kind string
	switch {
	case strings.HasPrefix(e.LimitName, "rpm:"):
		kind = "requests"
	case strings.HasPrefix(e.LimitName, "tpm:"):
		kind = "tokens"
	default:
		return
	}
	h.Set("X-Ratelimit-Limit-"+kind, strconv.FormatInt(e.LimitValue, 10))
	h.Set("X-Ratelimit-Remaining-"+kind, strconv.FormatInt(max(e.LimitRemaining, 0), 10))
	if e.RetryAfter > 0 {
		h.Set("X-Ratelimit-Reset-"+kind, e.RetryAfter.Round(time.Millisecond).String())
	}
}

func (h *Handler) writeErrorStatus(w http.ResponseWriter, status int, b errorBody) {
	if err := jsonhttp.WriteJSON(w, status, errorEnvelope{Error: b}); err != nil {
		h.logger.Debug("openai surface: write error response", "err", err)
	}
}

// writeBodyError answers a failure to read or parse the request body:
// 413 over the size limit, 400 for bad JSON (naming the field for type
// errors).
func (h *Handler) writeBodyError(w http.ResponseWriter, err error) {
	if limit, ok := jsonhttp.TooLarge(err); ok {
		h.writeErrorStatus(w, http.StatusRequestEntityTooLarge, errorBody{
			Message: "Request body too large: the limit is " + strconv.FormatInt(limit, 10) + " bytes.",
			Type:    "invalid_request_error",
			Code:    strPtr("request_too_large"),
		})
		return
	}
	var te *jsonTypeError
	if errors.As(err, &te) {
		h.writeError(w, apierror.Invalid(te.field, "%s", te.msg))
		return
	}
	h.writeError(w, apierror.Invalid("", "We could not parse the JSON body of your request: %s. The OpenAI API expects a JSON payload.", jsonErrorText(err)))
}
