package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 64 << 10

// tag sets the provider on an error built before any call was made.
func (a *Adapter) tag(err error) error {
	e := apierror.As(err)
	e.Provider = a.name
	return e
}

func (a *Adapter) protocolError(status int, format string, args ...any) *apierror.Error {
	return &apierror.Error{
		Class:          mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL,
		Message:        a.name + ": " + fmt.Sprintf(format, args...),
		Provider:       a.name,
		UpstreamStatus: status,
	}
}

// transportError classifies a failure to reach the provider or to read its
// answer: the caller's deadline or cancellation first, then timeouts, then
// anything else as unavailable.
func (a *Adapter) transportError(ctx context.Context, err error) *apierror.Error {
	e := &apierror.Error{Provider: a.name, Cause: err}
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		e.Class, e.Message = mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT, a.name+": deadline exceeded"
	case ctx.Err() != nil:
		e.Class, e.Message = mcpv1.ErrorClass_ERROR_CLASS_CANCELLED, a.name+": request cancelled"
	case errors.As(err, &ne) && ne.Timeout():
		e.Class, e.Message = mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT, a.name+": timed out"
	default:
		e.Class, e.Message = mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, a.name+": "+err.Error()
	}
	return e
}

// httpError classifies an error status and its body (either envelope).
func (a *Adapter) httpError(resp *http.Response) *apierror.Error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body errorBody
	var we wireError
	if json.Unmarshal(raw, &body) == nil {
		switch {
		case body.Error != nil:
			we = *body.Error
		case body.Object == "error" || body.Message != "":
			we = wireError{Message: body.Message, Type: body.Type, Param: body.Param, Code: body.Code}
		}
	}
	msg := string(we.Message)
	if msg == "" {
		msg = strings.TrimSpace(string(raw))
		if len(msg) > 512 || !json.Valid(raw) && strings.ContainsAny(msg, "<>") {
			msg = ""
		}
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
	}
	e := &apierror.Error{
		Class:          classify(resp.StatusCode, &we, msg),
		Message:        msg,
		Provider:       a.name,
		UpstreamStatus: resp.StatusCode,
	}
	if e.Class == mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED || e.Class == mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED ||
		e.Class == mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE {
		e.RetryAfter = retryAfter(resp.Header, time.Now())
		rateLimit(e, resp.Header)
	}
	return e
}

// streamError classifies an error event received inside a 200 stream.
func (a *Adapter) streamError(we *wireError) *apierror.Error {
	msg := string(we.Message)
	if msg == "" {
		msg = "stream error"
	}
	return &apierror.Error{
		Class:          classify(0, we, msg),
		Message:        msg,
		Provider:       a.name,
		UpstreamStatus: http.StatusOK,
	}
}

// classify maps an HTTP status (0 inside a stream) and the error's type,
// code and message to a class, per PROVIDER_WIRE_FORMATS.md §6.6.
func classify(status int, we *wireError, msg string) mcpv1.ErrorClass {
	code := strings.ToLower(string(we.Code))
	typ := strings.ToLower(we.Type)
	lmsg := strings.ToLower(msg)
	// Message heuristics only for client errors: a 429 or 5xx message may
	// mention tokens without being about the context window.
	clientErr := status == 0 || status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge || status == http.StatusUnprocessableEntity
	switch {
	case code == "context_length_exceeded" || code == "string_above_max_length" ||
		clientErr && (strings.Contains(lmsg, "maximum context length") || strings.Contains(lmsg, "context_length_exceeded") ||
			strings.Contains(lmsg, "prompt is too long") || strings.Contains(lmsg, "context window") ||
			strings.Contains(lmsg, "too many tokens")):
		return mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED
	case code == "content_filter" || code == "content_policy_violation" ||
		clientErr && (strings.Contains(lmsg, "content management policy") || strings.Contains(lmsg, "content_policy")):
		return mcpv1.ErrorClass_ERROR_CLASS_CONTENT_FILTERED
	case code == "insufficient_quota" || typ == "insufficient_quota":
		return mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED
	}
	if status == 0 {
		// Inside a stream: OpenRouter puts the HTTP-equivalent status in a
		// numeric code; OpenAI only gives a type.
		if n := we.Code.number(); n >= 400 && n < 600 {
			status = n
		} else {
			switch typ {
			case "invalid_request_error", "bad_request", "badrequesterror":
				return mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST
			case "authentication_error":
				return mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION
			case "permission_error":
				return mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED
			case "rate_limit_exceeded", "rate_limit_error", "tokens", "requests":
				return mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED
			case "overloaded_error", "service_unavailable":
				return mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED
			case "timeout", "timeout_error":
				return mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT
			}
			if code == "rate_limit_exceeded" {
				return mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED
			}
			return mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE
		}
	}
	switch status {
	case http.StatusUnauthorized:
		return mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION
	case http.StatusPaymentRequired:
		return mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED
	case http.StatusForbidden:
		if strings.Contains(lmsg, "flagged") || strings.Contains(lmsg, "moderation") {
			return mcpv1.ErrorClass_ERROR_CLASS_CONTENT_FILTERED
		}
		return mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED
	case http.StatusNotFound:
		return mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND
	case http.StatusRequestTimeout, http.StatusGatewayTimeout:
		return mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT
	case http.StatusRequestEntityTooLarge:
		return mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED
	case http.StatusTooManyRequests:
		return mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED
	case http.StatusServiceUnavailable, 529:
		return mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED
	}
	switch {
	case status >= 500:
		return mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE
	case status == http.StatusConflict:
		return mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE
	}
	return mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST
}

// retryAfter reads retry-after-ms, then retry-after (seconds or HTTP-date),
// then the x-ratelimit-reset-* header of the exhausted limit.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			return time.Duration(s * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil {
			if d := t.Sub(now); d > 0 {
				return d
			}
			return 0
		}
	}
	var d time.Duration
	for _, kind := range [...]string{"requests", "tokens"} {
		if h.Get("X-Ratelimit-Remaining-"+kind) != "0" {
			continue
		}
		if r, err := time.ParseDuration(h.Get("X-Ratelimit-Reset-" + kind)); err == nil && r > d {
			d = r
		}
	}
	return d
}

// rateLimit names the exhausted limit from OpenAI's rate-limit headers.
func rateLimit(e *apierror.Error, h http.Header) {
	for _, kind := range [...]string{"requests", "tokens"} {
		rem := h.Get("X-Ratelimit-Remaining-" + kind)
		if rem != "0" {
			continue
		}
		e.LimitName = kind
		e.LimitValue, _ = strconv.ParseInt(h.Get("X-Ratelimit-Limit-"+kind), 10, 64)
		e.LimitRemaining = 0
		return
	}
}
