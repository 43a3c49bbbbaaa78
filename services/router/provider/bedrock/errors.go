package bedrock

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 64 << 10

// statusError classifies a non-200 answer from its x-amzn-ErrorType header
// (or the body's __type), status and message.
func (a *Adapter) statusError(resp *http.Response) *apierror.Error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	drain(resp.Body)
	var body errorBody
	_ = json.Unmarshal(raw, &body)
	msg := body.Message
	if msg == "" {
		msg = body.MessageUpper
	}
	typ := errorType(resp.Header.Get("X-Amzn-Errortype"))
	if typ == "" {
		typ = errorType(body.Type)
	}
	if msg == "" {
		msg = strings.TrimSpace(string(raw))
		if len(msg) > 512 {
			msg = msg[:512]
		}
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
	}
	e := &apierror.Error{
		Class:          classify(typ, resp.StatusCode, msg),
		Message:        "Bedrock: " + msg,
		Provider:       a.name,
		UpstreamStatus: resp.StatusCode,
		RetryAfter:     retryAfter(resp.Header, time.Now()),
	}
	if typ != "" {
		e.Message = "Bedrock " + typ + ": " + msg
	}
	return e
}

// errorType strips the namespace and suffix AWS front ends add, as in
// "ValidationException:http://internal.amazon.com/coral/..." or
// "com.amazon.coral.service#UnrecognizedClientException".
func errorType(s string) string {
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}

// classify maps a Bedrock error (§5, §6.6) to an error class. Exception
// names are compared case-insensitively so the stream's camelCase event
// names (throttlingException) share the table.
func classify(typ string, status int, msg string) mcpv1.ErrorClass {
	switch strings.ToLower(typ) {
	case "validationexception":
		if contextTooLong(msg) {
			return mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED
		}
		return mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST
	case "throttlingexception", "servicequotaexceededexception":
		return mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED
	case "serviceunavailableexception":
		return mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED
	case "accessdeniedexception", "unrecognizedclientexception", "invalidsignatureexception",
		"missingauthenticationtokenexception", "expiredtokenexception", "incompletesignatureexception":
		return mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION
	case "resourcenotfoundexception", "unknownoperationexception":
		return mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND
	case "modeltimeoutexception":
		return mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT
	case "modelnotreadyexception", "modelerrorexception", "modelstreamerrorexception", "internalserverexception":
		return mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE
	}
	switch {
	case status == http.StatusBadRequest && contextTooLong(msg):
		return mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED
	case status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge || status == http.StatusUnprocessableEntity:
		return mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION
	case status == http.StatusNotFound:
		return mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND
	case status == http.StatusTooManyRequests:
		return mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT
	case status == http.StatusServiceUnavailable || status == 529:
		return mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED
	case status >= 500 || status == http.StatusFailedDependency:
		return mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE
	}
	return mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST
}

// contextTooLong recognises the "input too long" messages of Bedrock and
// the models behind it: "Input is too long for requested model.", Claude's
// "prompt is too long: …", Titan's "Too many input tokens…", Llama's and
// Mistral's "… maximum context length …", Nova's "Input Tokens Exceeded…".
// A bare "too long" is not enough: tool names and ids can be too long too.
func contextTooLong(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"input is too long", "prompt is too long", "too many input tokens", "too many tokens",
		"input tokens exceed", "context length", "context window", "maximum context"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// retryAfter reads retry-after-ms, then retry-after (seconds or an HTTP
// date). Bedrock rarely sends either; proxies in front of it may.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s > 0 {
			return time.Duration(s * float64(time.Second))
		}
		return 0
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
