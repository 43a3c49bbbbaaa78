package gemini

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// The reference body of PROVIDER_WIRE_FORMATS.md §3.2, with the cached and
// thinking counters a thinking model reports.
const capturedResponse = `{"candidates":[{"content":{"role":"model","parts":[
	{"text":"planning…","thought":true},
	{"functionCall":{"name":"find_theaters","args":{"location":"Mountain View, CA","movie":"Barbie"}}},
	{"functionCall":{"id":"fc-7","name":"find_times","args":{}}}]},
  "finishReason":"STOP","index":0,
  "safetyRatings":[{"category":"HARM_CATEGORY_HATE_SPEECH","probability":"NEGLIGIBLE"}]}],
 "usageMetadata":{"promptTokenCount":399,"cachedContentTokenCount":300,"candidatesTokenCount":191,
   "thoughtsTokenCount":50,"toolUsePromptTokenCount":10,"totalTokenCount":650},
 "modelVersion":"gemini-1.5-pro-002","responseId":"abc"}`

func TestParseCapturedResponse(t *testing.T) {
	var gr generateResponse
	if err := json.Unmarshal([]byte(capturedResponse), &gr); err != nil {
		t.Fatal(err)
	}
	resp := toResponse(&gr)
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS {
		t.Errorf("finish = %v", resp.GetFinishReason())
	}
	calls := resp.GetMessage().GetToolCalls()
	if len(calls) != 2 || calls[0].GetId() != "call_0_find_theaters" || calls[0].GetArguments() != `{"location":"Mountain View, CA","movie":"Barbie"}` ||
		calls[1].GetId() != "fc-7" || calls[1].GetArguments() != "{}" {
		t.Errorf("calls = %v", calls)
	}
	if len(resp.GetMessage().GetContent()) != 0 {
		t.Errorf("thought text leaked into content: %v", resp.GetMessage().GetContent())
	}
	u := resp.GetUsage()
	if u.GetInputTokens() != 409 || u.GetCachedInputTokens() != 300 || u.GetOutputTokens() != 241 || u.GetReasoningTokens() != 50 || u.GetTotalTokens() != 650 {
		t.Errorf("usage = %v", u)
	}
}

func TestPromptBlocked(t *testing.T) {
	var gr generateResponse
	_ = json.Unmarshal([]byte(`{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":8,"totalTokenCount":8}}`), &gr)
	resp := toResponse(&gr)
	if resp.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER || resp.GetUsage().GetInputTokens() != 8 {
		t.Errorf("got %v %v", resp.GetFinishReason(), resp.GetUsage())
	}
}

func TestFinishReasons(t *testing.T) {
	cases := map[string]mcpv1.FinishReason{
		"STOP":                    mcpv1.FinishReason_FINISH_REASON_STOP,
		"MAX_TOKENS":              mcpv1.FinishReason_FINISH_REASON_LENGTH,
		"SAFETY":                  mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER,
		"RECITATION":              mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER,
		"PROHIBITED_CONTENT":      mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER,
		"IMAGE_SAFETY":            mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER,
		"MALFORMED_FUNCTION_CALL": mcpv1.FinishReason_FINISH_REASON_OTHER,
		"LANGUAGE":                mcpv1.FinishReason_FINISH_REASON_OTHER,
		"OTHER":                   mcpv1.FinishReason_FINISH_REASON_OTHER,
	}
	for in, want := range cases {
		if got := finishReason(in, false); got != want {
			t.Errorf("%s → %v, want %v", in, got, want)
		}
	}
	if got := finishReason("STOP", true); got != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS {
		t.Errorf("STOP with calls → %v", got)
	}
}

func TestSSEFraming(t *testing.T) {
	// CRLF separators, a comment, an event split over two data lines, and a
	// final event without a trailing blank line.
	raw := "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Cer\"}],\"role\":\"model\"}}]}\r\n\r\n" +
		": keep-alive\r\n\r\n" +
		"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"tainly\"}],\r\n" +
		"data: \"role\":\"model\"}}]}\r\n\r\n" +
		"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"!\"}],\"role\":\"model\"},\"finishReason\":\"STOP\"}]," +
		"\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":3,\"totalTokenCount\":6}}"
	var text strings.Builder
	s := streamer{a: New(providerConfig()), emit: func(ev *mcpv1.StreamEvent) error {
		text.WriteString(ev.GetTextDelta().GetText())
		return nil
	}}
	if err := s.run(bufio.NewReaderSize(strings.NewReader(raw), 16)); err != nil {
		t.Fatal(err)
	}
	if text.String() != "Certainly!" || !s.finished || s.usage.TotalTokenCount != 6 {
		t.Errorf("text %q finished %v usage %+v", text.String(), s.finished, s.usage)
	}
}

func TestStreamErrorEvent(t *testing.T) {
	raw := "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\n\n" +
		"data: {\"error\":{\"code\":429,\"message\":\"Resource has been exhausted\",\"status\":\"RESOURCE_EXHAUSTED\"," +
		"\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"1.5s\"}]}}\n\n"
	s := streamer{a: New(providerConfig()), emit: func(*mcpv1.StreamEvent) error { return nil }}
	err := s.run(bufio.NewReader(strings.NewReader(raw)))
	ae := apierror.As(err)
	if ae.Class != mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED || ae.RetryAfter.Seconds() != 1.5 || ae.UpstreamStatus != 429 {
		t.Errorf("got %v retry %v status %d", ae.Class, ae.RetryAfter, ae.UpstreamStatus)
	}
}

func TestArrayWrappedError(t *testing.T) {
	st := parseStatus([]byte(`[{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}]`))
	if st == nil || st.Status != "UNAVAILABLE" || classify(503, st) != mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED {
		t.Errorf("status = %+v", st)
	}
}

func TestSynthesizedIDs(t *testing.T) {
	id := synthesizedID(3, "get_weather")
	if id != "call_3_get_weather" || !synthesized(id, "get_weather") || synthesized(id, "other") {
		t.Errorf("id %q", id)
	}
	for _, foreign := range []string{"call_HjeqP7YeRkoNj0de9e3U4X4B", "toolu_01", "call__x", "call_1x_get"} {
		if _, ok := nameFromSynthesized(foreign); ok {
			t.Errorf("%q taken as synthesized", foreign)
		}
	}
}

func providerConfig() provider.Config { return provider.Config{Name: "gem"} }

func TestStreamPromptBlocked(t *testing.T) {
	raw := "data: {\"promptFeedback\":{\"blockReason\":\"PROHIBITED_CONTENT\"},\"usageMetadata\":{\"promptTokenCount\":5,\"totalTokenCount\":5}}\r\n\r\n"
	s := streamer{a: New(providerConfig()), emit: func(*mcpv1.StreamEvent) error { return nil }}
	if err := s.run(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatal(err)
	}
	if !s.finished || finishReason(s.reason, false) != mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER {
		t.Errorf("finished %v reason %q", s.finished, s.reason)
	}
}
