package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// errorClasses maps Anthropic's error.type to a class (§2.4). The status is
// used when the type is missing or unknown.
var errorClasses = map[string]mcpv1.ErrorClass{
	"invalid_request_error": mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST,
	"authentication_error":  mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION,
	// Billing means the provider account is out of credit: a quota of the
	// gateway's credential, not the caller's request.
	"billing_error":    mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED,
	"permission_error": mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED,
	"not_found_error":  mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND,
	// The 32 MB request limit: the input does not fit this provider, though
	// another might take it.
	"request_too_large": mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED,
	"rate_limit_error":  mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED,
	"api_error":         mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE,
	"timeout_error":     mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT,
	"overloaded_error":  mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED,
}

func classOfStatus(status int) mcpv1.ErrorClass {
	switch {
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		return mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST
	case status == http.StatusUnauthorized:
		return mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION
	case status == http.StatusPaymentRequired:
		return mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED
	case status == http.StatusForbidden:
		return mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED
	case status == http.StatusNotFound:
		return mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT
	case status == http.StatusRequestEntityTooLarge:
		return mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED
	case status == http.StatusTooManyRequests:
		return mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED
	case status == 529 || status == http.StatusServiceUnavailable:
		return mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED
	case status == http.StatusConflict || status >= 500:
		return mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE
	}
	return mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST
}

// classify picks the class of an error answer or error event.
func classify(status int, errType, msg string) mcpv1.ErrorClass {
	class, ok := errorClasses[errType]
	if !ok {
		class = classOfStatus(status)
	}
	if status == 529 || status == http.StatusServiceUnavailable {
		class = mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED
	}
	if class == mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST {
		lower := strings.ToLower(msg)
		switch {
		case strings.Contains(lower, "prompt is too long"),
			strings.Contains(lower, "context window"),
			strings.Contains(lower, "context length"),
			strings.Contains(lower, "exceed context limit"):
			class = mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED
		case strings.Contains(lower, "content filtering policy"),
			strings.Contains(lower, "usage policy"):
			class = mcpv1.ErrorClass_ERROR_CLASS_CONTENT_FILTERED
		}
	}
	return class
}

// errorFromResponse turns a non-2xx answer into a classified error. The
// upstream message is kept; it never contains the key.
func (a *Adapter) errorFromResponse(resp *http.Response) *apierror.Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var env errorEnvelope
	msg := ""
	if json.Unmarshal(body, &env) == nil && env.Error.Message != "" {
		msg = env.Error.Message
	} else if s := strings.TrimSpace(string(body)); s != "" && len(s) <= 512 && !strings.HasPrefix(s, "<") {
		msg = s
	} else {
		msg = http.StatusText(resp.StatusCode)
	}
	e := &apierror.Error{
		Class:          classify(resp.StatusCode, env.Error.Type, msg),
		Message:        msg,
		Provider:       a.name,
		UpstreamStatus: resp.StatusCode,
		RetryAfter:     retryAfter(resp.Header, time.Now()),
	}
	if e.Class == mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED {
		rateLimit(e, resp.Header)
	}
	return e
}

// errorFromEvent turns `event: error` inside a 200 stream into a classified
// error. There is no HTTP status for it.
func (a *Adapter) errorFromEvent(d errorDetail) *apierror.Error {
	msg := d.Message
	if msg == "" {
		msg = d.Type
	}
	return &apierror.Error{
		Class:    classify(0, d.Type, msg),
		Message:  msg,
		Provider: a.name,
	}
}

// transportError classifies a failure to reach the provider or to read its
// answer.
func (a *Adapter) transportError(ctx context.Context, err error) *apierror.Error {
	if ctx.Err() != nil {
		e := apierror.As(ctx.Err())
		e.Provider = a.name
		return e
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT, Message: "anthropic: request timed out", Provider: a.name, Cause: err}
	}
	return &apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, Message: "anthropic: provider unreachable", Provider: a.name, Cause: err}
}

func (a *Adapter) protocolError(msg string, cause error) *apierror.Error {
	return &apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL, Message: "anthropic: " + msg, Provider: a.name, Cause: cause}
}

// retryAfter reads retry-after-ms, then retry-after (seconds or HTTP-date).
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("retry-after-ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := h.Get("retry-after")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// rateLimit names the exhausted limit from the anthropic-ratelimit-*
// headers: the first of requests, tokens, input-tokens and output-tokens
// with nothing remaining.
func rateLimit(e *apierror.Error, h http.Header) {
	for _, name := range [...]string{"requests", "tokens", "input-tokens", "output-tokens"} {
		rem := h.Get("anthropic-ratelimit-" + name + "-remaining")
		if rem == "" {
			continue
		}
		remaining, err := strconv.ParseInt(rem, 10, 64)
		if err != nil || remaining > 0 {
			continue
		}
		limit, _ := strconv.ParseInt(h.Get("anthropic-ratelimit-"+name+"-limit"), 10, 64)
		e.LimitName, e.LimitValue, e.LimitRemaining = name, limit, remaining
		return
	}
}
