package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 1 << 20

// statusError classifies a non-200 answer from its google.rpc.Status body.
func (a *Adapter) statusError(resp *http.Response) *apierror.Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	st := parseStatus(body)
	e := a.rpcError(resp.StatusCode, st)
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(body))
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if e.RetryAfter == 0 {
		e.RetryAfter = retryAfterHeader(resp.Header)
	}
	return e
}

// parseStatus reads {"error":{…}}, also array-wrapped as the non-SSE
// stream sends it. It returns nil when the body is not an error envelope.
func parseStatus(body []byte) *rpcStatus {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var arr []errorEnvelope
		if json.Unmarshal(body, &arr) == nil && len(arr) > 0 {
			return arr[0].Error
		}
		return nil
	}
	var env errorEnvelope
	if json.Unmarshal(body, &env) != nil {
		return nil
	}
	return env.Error
}

// rpcError classifies a google.rpc.Status. httpStatus is 0 for a stream's
// error event, which then classifies by the status's own code.
func (a *Adapter) rpcError(httpStatus int, st *rpcStatus) *apierror.Error {
	if st == nil {
		st = &rpcStatus{}
	}
	code := httpStatus
	if code == 0 {
		code = st.Code
	}
	e := &apierror.Error{Class: classify(code, st), Message: st.Message, Provider: a.name, UpstreamStatus: code}
	for _, d := range st.Details {
		if d.RetryDelay != "" {
			if dur, err := time.ParseDuration(d.RetryDelay); err == nil && dur > 0 {
				e.RetryAfter = dur
			}
		}
	}
	return e
}

func classify(code int, st *rpcStatus) mcpv1.ErrorClass {
	for _, d := range st.Details {
		if d.Reason == "API_KEY_INVALID" {
			// A bad key is 400 INVALID_ARGUMENT on Gemini, not 401.
			return mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION
		}
	}
	switch {
	case code == http.StatusUnauthorized || st.Status == "UNAUTHENTICATED":
		return mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION
	case code == http.StatusForbidden || st.Status == "PERMISSION_DENIED":
		return mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED
	case code == http.StatusNotFound || st.Status == "NOT_FOUND":
		return mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND
	case code == http.StatusTooManyRequests || st.Status == "RESOURCE_EXHAUSTED":
		return mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED
	case code == http.StatusRequestTimeout || code == http.StatusGatewayTimeout || st.Status == "DEADLINE_EXCEEDED":
		return mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT
	case code == http.StatusServiceUnavailable || st.Status == "UNAVAILABLE":
		return mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED
	case code >= 500:
		return mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE
	case code >= 400:
		if contextTooLong(st.Message) {
			return mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED
		}
		if strings.Contains(st.Message, "API key not valid") {
			return mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION
		}
		return mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST
	}
	return mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE
}

// contextTooLong recognises Gemini's "The input token count (N) exceeds the
// maximum number of tokens allowed (M)." and its relatives.
func contextTooLong(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "exceeds the maximum number of tokens") ||
		strings.Contains(m, "input token count") ||
		strings.Contains(m, "maximum context length") ||
		strings.Contains(m, "context_length_exceeded") ||
		strings.Contains(m, "prompt is too long")
}

func retryAfterHeader(h http.Header) time.Duration {
	if v := h.Get("retry-after-ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := h.Get("retry-after")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// transportError classifies a failure to get or read an answer.
func (a *Adapter) transportError(ctx context.Context, err error) *apierror.Error {
	var ae *apierror.Error
	if errors.As(err, &ae) {
		return ae
	}
	e := &apierror.Error{Provider: a.name, Cause: err}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		e.Class, e.Message = mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT, "gemini: deadline exceeded"
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		e.Class, e.Message = mcpv1.ErrorClass_ERROR_CLASS_CANCELLED, "gemini: request cancelled"
	default:
		e.Class, e.Message = mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "gemini: "+err.Error()
	}
	return e
}

func (a *Adapter) protocolError(format string, err error) *apierror.Error {
	msg := "gemini: " + format
	if err != nil {
		msg += ": " + err.Error()
	}
	return &apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL, Message: msg, Provider: a.name, UpstreamStatus: http.StatusOK, Cause: err}
}
