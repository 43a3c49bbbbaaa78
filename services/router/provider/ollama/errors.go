package ollama

import (
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

const maxErrorBody = 1 << 20

// statusError classifies a non-200 answer from its {"error": "…"} body.
func (a *Adapter) statusError(resp *http.Response) *apierror.Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var eb errorBody
	msg := ""
	if json.Unmarshal(body, &eb) == nil {
		msg = eb.Error
	}
	if msg == "" {
		msg = strings.TrimSpace(string(body))
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &apierror.Error{
		Class:          classify(resp.StatusCode, msg),
		Message:        msg,
		Provider:       a.name,
		UpstreamStatus: resp.StatusCode,
		RetryAfter:     retryAfter(resp.Header),
	}
}

// streamError classifies an {"error": …} line inside a 200 answer: the
// model runner failed, unless the message says otherwise.
func (a *Adapter) streamError(msg string) *apierror.Error {
	class := mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE
	if contextTooLong(msg) {
		class = mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED
	}
	return &apierror.Error{Class: class, Message: msg, Provider: a.name, UpstreamStatus: http.StatusOK}
}

func classify(status int, msg string) mcpv1.ErrorClass {
	switch {
	case status == http.StatusUnauthorized:
		return mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION
	case status == http.StatusForbidden:
		return mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED
	case status == http.StatusNotFound:
		return mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND
	case status == http.StatusTooManyRequests:
		return mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT
	case status == http.StatusServiceUnavailable:
		// "server busy, please try again. maximum pending requests exceeded"
		return mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED
	case status >= 500:
		return mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE
	case contextTooLong(msg):
		return mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED
	case strings.Contains(msg, "does not support"):
		// e.g. "registry.ollama.ai/library/gemma:2b does not support tools"
		return mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED
	}
	return mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST
}

func contextTooLong(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "context length") || strings.Contains(m, "context window") ||
		strings.Contains(m, "prompt is too long") || strings.Contains(m, "context_length_exceeded")
}

func retryAfter(h http.Header) time.Duration {
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
		e.Class, e.Message = mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT, "ollama: deadline exceeded"
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		e.Class, e.Message = mcpv1.ErrorClass_ERROR_CLASS_CANCELLED, "ollama: request cancelled"
	default:
		e.Class, e.Message = mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "ollama: "+err.Error()
	}
	return e
}

func (a *Adapter) protocolError(what string, err error) *apierror.Error {
	msg := "ollama: " + what
	if err != nil {
		msg += ": " + err.Error()
	}
	return &apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL, Message: msg, Provider: a.name, UpstreamStatus: http.StatusOK, Cause: err}
}
