package anthropicapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/internal/jsonhttp"
)

// errorEnvelope is Anthropic's error body (§2.4); a mid-stream error event
// carries the same object without request_id.
type errorEnvelope struct {
	Type      string    `json:"type"`
	Error     errorBody `json:"error"`
	RequestID string    `json:"request_id,omitempty"`
}

type errorBody struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// anthropicStatus lists where this surface departs from apierror's status
// table, following Anthropic's documented statuses (§2.4):
//   - OVERLOADED is 529 overloaded_error, as Anthropic sends it (the SDKs
//     retry it like any 5xx);
//   - QUOTA_EXCEEDED (a Manifold budget is spent) is 402 billing_error:
//     Anthropic's own "pay before you continue" status, which the SDKs do
//     not retry — retrying a spent budget within seconds cannot succeed.
//     A temporary rate limit stays 429 rate_limit_error.
var anthropicStatus = map[mcpv1.ErrorClass]int{
	mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED:     529,
	mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED: http.StatusPaymentRequired,
}

// status is the HTTP status of an error class on this surface.
func status(c mcpv1.ErrorClass) int {
	if s, ok := anthropicStatus[c]; ok {
		return s
	}
	return apierror.HTTPStatus(c)
}

// errorType is Anthropic's error type for an HTTP status (§2.4): the table
// is keyed by status, and other 4xx are invalid_request_error.
func errorType(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusPaymentRequired:
		return "billing_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case http.StatusGatewayTimeout:
		return "timeout_error"
	case 529:
		return "overloaded_error"
	}
	if status >= 500 {
		return "api_error"
	}
	return "invalid_request_error"
}

// errorMessage is e's text with Model Context Protocol field paths renamed
// to the Anthropic request's, naming the field when the text does not.
func errorMessage(e *apierror.Error, fields *fieldMap) string {
	if e.Field == "" {
		return e.Message
	}
	msg, name := fields.rewrite(e.Message), fields.rewrite(e.Field)
	if !strings.Contains(msg, name) {
		msg = name + ": " + msg
	}
	return msg
}

func (h *Handler) writeError(w http.ResponseWriter, reqID string, err error) {
	h.writeMappedError(w, reqID, err, nil)
}

func (h *Handler) writeMappedError(w http.ResponseWriter, reqID string, err error, fields *fieldMap) {
	e := apierror.As(err)
	if e.Class == mcpv1.ErrorClass_ERROR_CLASS_INTERNAL {
		h.logger.Error("anthropic surface: internal error", "err", err, "request_id", reqID)
	}
	st := status(e.Class)
	if e.RetryAfter > 0 {
		jsonhttp.SetRetryAfter(w.Header(), e.RetryAfter)
	}
	h.writeErrorStatus(w, reqID, st, errorType(st), errorMessage(e, fields))
}

func (h *Handler) writeErrorStatus(w http.ResponseWriter, reqID string, status int, typ, msg string) {
	if status == http.StatusBadRequest {
		// As Anthropic does: a bad request will not get better by retrying.
		w.Header().Set("X-Should-Retry", "false")
	}
	env := errorEnvelope{Type: "error", Error: errorBody{Type: typ, Message: msg}, RequestID: reqID}
	if err := jsonhttp.WriteJSON(w, status, env); err != nil {
		h.logger.Debug("anthropic surface: write error response", "err", err)
	}
}

// writeBodyError answers a failure to read or parse the request body.
func (h *Handler) writeBodyError(w http.ResponseWriter, reqID string, err error) {
	if limit, ok := jsonhttp.TooLarge(err); ok {
		h.writeErrorStatus(w, reqID, http.StatusRequestEntityTooLarge, "request_too_large",
			"Request exceeds the maximum allowed number of bytes ("+strconv.FormatInt(limit, 10)+").")
		return
	}
	var te *jsonTypeError
	if errors.As(err, &te) {
		h.writeError(w, reqID, apierror.Invalid(te.field, "%s", te.msg))
		return
	}
	h.writeError(w, reqID, apierror.Invalid("", "The request body is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: ")))
}
