package anthropic

import (
	"context"
	"net/http"
	"testing"
	"time"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/emulator"
)

func TestHTTPErrorClasses(t *testing.T) {
	cases := []struct {
		name       string
		fault      emulator.Fault
		class      mcpv1.ErrorClass
		retryAfter time.Duration
		message    string
	}{
		{"rate limited", emulator.Fault{Status: 429, Headers: map[string]string{"retry-after": "7"}},
			mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, 7 * time.Second, "This request would exceed the rate limit for your organization."},
		{"rate limited ms", emulator.Fault{Status: 429, Headers: map[string]string{"retry-after-ms": "1500", "retry-after": "9"}},
			mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED, 1500 * time.Millisecond, ""},
		{"overloaded 529", emulator.Fault{Status: 529}, mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED, 0, "Overloaded"},
		{"overloaded 503", emulator.Fault{Status: 503}, mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED, 0, ""},
		{"server error", emulator.Fault{Status: 500}, mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, 0, "Internal server error"},
		{"bad gateway", emulator.Fault{Status: 502, Body: "<html>bad gateway</html>"}, mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, 0, "Bad Gateway"},
		{"timeout", emulator.Fault{Status: 504}, mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT, 0, ""},
		{"authentication", emulator.Fault{Status: 401}, mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, 0, "invalid x-api-key"},
		{"permission", emulator.Fault{Status: 403}, mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, 0, ""},
		{"billing", emulator.Fault{Status: 402}, mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED, 0, ""},
		{"not found", emulator.Fault{Status: 404}, mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, 0, ""},
		{"too large", emulator.Fault{Status: 413}, mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED, 0, ""},
		{"invalid", emulator.Fault{Status: 400}, mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, 0, "Invalid request"},
		{"prompt too long", emulator.Fault{Status: 400, Body: `{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 205429 tokens > 200000 maximum"},"request_id":"req_011CV5Jab6gR3ZNs9Sj6apiD"}`},
			mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED, 0, "prompt is too long: 205429 tokens > 200000 maximum"},
		{"content filtered", emulator.Fault{Status: 400, Body: `{"type":"error","error":{"type":"invalid_request_error","message":"Output blocked by content filtering policy"}}`},
			mcpv1.ErrorClass_ERROR_CLASS_CONTENT_FILTERED, 0, ""},
	}
	for _, c := range cases {
		for _, stream := range []bool{false, true} {
			name := c.name
			if stream {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				a, emu := newTestAdapter(t)
				emu.Script(c.fault)
				var err error
				var got streamed
				if stream {
					_, err = a.Stream(t.Context(), newCall(userRequest("hi")), got.emit)
				} else {
					_, err = a.Generate(t.Context(), newCall(userRequest("hi")))
				}
				e := asAPIError(t, err)
				if e.Class != c.class {
					t.Errorf("class = %v, want %v (%q)", e.Class, c.class, e.Message)
				}
				if e.UpstreamStatus != c.fault.Status || e.Provider != "anthropic-test" {
					t.Errorf("status/provider = %d/%q", e.UpstreamStatus, e.Provider)
				}
				if e.RetryAfter != c.retryAfter {
					t.Errorf("retry after = %v, want %v", e.RetryAfter, c.retryAfter)
				}
				if c.message != "" && e.Message != c.message {
					t.Errorf("message = %q, want %q", e.Message, c.message)
				}
				if got.events != 0 {
					t.Errorf("stream emitted %d events before failing", got.events)
				}
			})
		}
	}
}

func TestRateLimitNamesExhaustedLimit(t *testing.T) {
	a, emu := newTestAdapter(t)
	emu.Script(emulator.Fault{Status: 429, Headers: map[string]string{
		"anthropic-ratelimit-requests-remaining": "3",
		"anthropic-ratelimit-tokens-limit":       "80000",
		"anthropic-ratelimit-tokens-remaining":   "0",
	}})
	_, err := a.Generate(t.Context(), newCall(userRequest("hi")))
	e := asAPIError(t, err)
	if e.LimitName != "tokens" || e.LimitValue != 80000 || e.LimitRemaining != 0 || e.RetryAfter != time.Second {
		t.Errorf("limit = %q %d %d, retry after %v", e.LimitName, e.LimitValue, e.LimitRemaining, e.RetryAfter)
	}
}

func TestEmulatorRejectionsClassified(t *testing.T) {
	a, _ := newTestAdapter(t)
	c := newCall(userRequest("hi"))
	c.Credential.APIKey = ""
	_, err := a.Generate(t.Context(), c)
	if e := asAPIError(t, err); e.Class != mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION || e.UpstreamStatus != 401 {
		t.Errorf("missing key: %+v", e)
	}
	c = newCall(userRequest("hi"))
	c.Model = "gpt-4o"
	_, err = a.Generate(t.Context(), c)
	if e := asAPIError(t, err); e.Class != mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND || e.Message != "model: gpt-4o" {
		t.Errorf("unknown model: %+v", e)
	}
}

func TestDeadlineAndCancel(t *testing.T) {
	a, emu := newTestAdapter(t)
	emu.Script(emulator.Fault{Hang: true})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := a.Generate(ctx, newCall(userRequest("hi")))
	if e := asAPIError(t, err); e.Class != mcpv1.ErrorClass_ERROR_CLASS_TIMEOUT || e.Provider != "anthropic-test" {
		t.Errorf("deadline: %+v", e)
	}

	emu.Script(emulator.Fault{Hang: true})
	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	var got streamed
	_, err = a.Stream(ctx, newCall(userRequest("hi")), got.emit)
	if e := asAPIError(t, err); e.Class != mcpv1.ErrorClass_ERROR_CLASS_CANCELLED {
		t.Errorf("cancel: %+v", e)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := map[string]struct {
		h    http.Header
		want time.Duration
	}{
		"seconds":   {http.Header{"Retry-After": {"12"}}, 12 * time.Second},
		"ms wins":   {http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"12"}}, 250 * time.Millisecond},
		"http date": {http.Header{"Retry-After": {now.Add(30 * time.Second).Format(http.TimeFormat)}}, 30 * time.Second},
		"past date": {http.Header{"Retry-After": {now.Add(-time.Minute).Format(http.TimeFormat)}}, 0},
		"garbage":   {http.Header{"Retry-After": {"soon"}}, 0},
		"none":      {http.Header{}, 0},
	}
	for name, c := range cases {
		if got := retryAfter(c.h, now); got != c.want {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
}

func TestClassifyMessages(t *testing.T) {
	cases := []struct {
		status int
		typ    string
		msg    string
		want   mcpv1.ErrorClass
	}{
		{400, "invalid_request_error", "prompt is too long: 205429 tokens > 200000 maximum", mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED},
		{400, "invalid_request_error", "input length and `max_tokens` exceed context limit: 198000 + 8192 > 200000", mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED},
		{400, "invalid_request_error", "messages: Field required", mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST},
		{0, "overloaded_error", "Overloaded", mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED},
		{0, "api_error", "Internal server error", mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE},
		{0, "rate_limit_error", "slow down", mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED},
		{418, "", "teapot", mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST},
		{599, "", "", mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE},
	}
	for _, c := range cases {
		if got := classify(c.status, c.typ, c.msg); got != c.want {
			t.Errorf("classify(%d, %q, %q) = %v, want %v", c.status, c.typ, c.msg, got, c.want)
		}
	}
}
