package anthropic

import (
	"bufio"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/emulator"
	"github.com/manifoldgw/manifold/services/router/provider"
)

func TestStreamFaults(t *testing.T) {
	// The emulator's chunks: message_start, ping, content_block_start, then
	// one text delta per token; after 5 chunks two text deltas are out.
	cases := []struct {
		name  string
		fault emulator.Fault
		class mcpv1.ErrorClass
	}{
		{"cut", emulator.Fault{CutAfterChunks: 5}, mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL},
		{"error event", emulator.Fault{ErrorAfterChunks: 5}, mcpv1.ErrorClass_ERROR_CLASS_OVERLOADED},
		{"malformed", emulator.Fault{MalformedAfterChunks: 5}, mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, emu := newTestAdapter(t)
			emu.Script(c.fault)
			var got streamed
			_, err := a.Stream(t.Context(), newCall(userRequest("one two three four five")), got.emit)
			e := asAPIError(t, err)
			if e.Class != c.class || e.Provider != "anthropic-test" {
				t.Errorf("error = %+v, want class %v", e, c.class)
			}
			if got.text.String() != "Echo:" {
				t.Errorf("text before the failure = %q, want %q", got.text.String(), "Echo:")
			}
			if got.usages != 1 {
				t.Errorf("usage events = %d, want only message_start's", got.usages)
			}
		})
	}
}

func TestStreamEmitError(t *testing.T) {
	a, _ := newTestAdapter(t)
	stop := errors.New("client went away")
	n := 0
	_, err := a.Stream(t.Context(), newCall(userRequest("one two three")), func(*mcpv1.StreamEvent) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Errorf("err = %v after %d events; want the emit error after 2", err, n)
	}
}

// runStream feeds a captured SSE body through the stream parser.
func runStream(t *testing.T, body string) (provider.Finish, *streamed, error) {
	t.Helper()
	a := New(provider.Config{Name: "anthropic"})
	var got streamed
	s := streamState{a: a, emit: got.emit}
	fin, err := s.run(t.Context(), bufio.NewReaderSize(strings.NewReader(body), 16))
	return fin, &got, err
}

// capturedToolStream is the real capture quoted in PROVIDER_WIRE_FORMATS.md
// §2.3 (coder/aibridge fixtures), with a CRLF line and a comment added.
const capturedToolStream = "event: message_start\n" +
	`data: {"type":"message_start","message":{"id":"msg_015SQ","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":2,"cache_creation_input_tokens":22,"cache_read_input_tokens":13993,"output_tokens":5,"service_tier":"standard"}}}` + "\n\n" +
	"event: content_block_start\n" +
	`data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_01RX68weRSquLx6HUTj65iBo","name":"Read","input":{}}}` + "\n\n" +
	"event: ping\r\n" +
	`data: {"type": "ping"}` + "\r\n\r\n" +
	": keep-alive comment\n\n" +
	"event: content_block_delta\n" +
	`data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":""}}` + "\n\n" +
	"event: content_block_delta\n" +
	`data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"file_path\": \"/src/foo.txt"}}` + "\n\n" +
	"event: content_block_delta\n" +
	`data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"\"}"}}` + "\n\n" +
	"event: content_block_stop\n" +
	`data: {"type":"content_block_stop","index":0}` + "\n\n" +
	"event: message_delta\n" +
	`data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":61}}` + "\n\n" +
	"event: message_stop\n" +
	`data: {"type":"message_stop"}` + "\n\n"

func TestStreamCapturedToolUse(t *testing.T) {
	fin, got, err := runStream(t, capturedToolStream)
	if err != nil {
		t.Fatal(err)
	}
	if fin.Reason != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS {
		t.Errorf("finish = %v", fin.Reason)
	}
	if len(got.calls) != 1 || got.calls[0].GetId() != "toolu_01RX68weRSquLx6HUTj65iBo" || got.calls[0].GetName() != "Read" ||
		got.calls[0].GetArguments() != `{"file_path": "/src/foo.txt"}` {
		t.Errorf("tool calls = %v", got.calls)
	}
	want := &mcpv1.Usage{InputTokens: 2 + 22 + 13993, OutputTokens: 61, CachedInputTokens: 13993, CacheWriteTokens: 22, TotalTokens: 2 + 22 + 13993 + 61}
	if got.usage.String() != want.String() {
		t.Errorf("usage = %v, want %v", got.usage, want)
	}
}

func TestStreamThinkingAndEmptyToolArgs(t *testing.T) {
	body := sse("message_start", `{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}}`) +
		sse("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}`) +
		sse("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me think"}}`) +
		sse("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}}`) +
		sse("content_block_stop", `{"type":"content_block_stop","index":0}`) +
		sse("content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`) +
		sse("content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Done."}}`) +
		sse("content_block_stop", `{"type":"content_block_stop","index":1}`) +
		sse("content_block_start", `{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_X","name":"now","input":{}}}`) +
		sse("content_block_stop", `{"type":"content_block_stop","index":2}`) +
		sse("message_delta", `{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":40,"output_tokens_details":{"thinking_tokens":30}}}`) +
		sse("message_stop", `{"type":"message_stop"}`)
	fin, got, err := runStream(t, body)
	if err != nil {
		t.Fatal(err)
	}
	if got.reasoning.String() != "Let me think" || got.text.String() != "Done." {
		t.Errorf("reasoning %q, text %q", got.reasoning.String(), got.text.String())
	}
	if len(got.calls) != 1 || got.calls[0].GetId() != "toolu_X" || got.calls[0].GetName() != "now" {
		t.Fatalf("calls = %v", got.calls)
	}
	if got.calls[0].GetArguments() != "{}" {
		t.Errorf("argument-less call has arguments %q, want {}", got.calls[0].GetArguments())
	}
	if fin.Reason != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS {
		t.Errorf("finish = %v", fin.Reason)
	}
	u := got.usage
	if u.GetInputTokens() != 15 || u.GetCachedInputTokens() != 5 || u.GetOutputTokens() != 40 || u.GetReasoningTokens() != 30 || u.GetTotalTokens() != 55 {
		t.Errorf("usage = %v", u)
	}
}

func TestStreamStopSequenceAndRefusal(t *testing.T) {
	start := sse("message_start", `{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"c","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}`)
	fin, _, err := runStream(t, start+
		sse("message_delta", `{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"END"},"usage":{"output_tokens":4}}`)+
		sse("message_stop", `{"type":"message_stop"}`))
	if err != nil || fin.Reason != mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE || fin.StopSequence != "END" {
		t.Errorf("stop sequence: %+v, %v", fin, err)
	}
	fin, _, err = runStream(t, start+
		sse("message_delta", `{"type":"message_delta","delta":{"stop_reason":"refusal","stop_sequence":null},"usage":{"output_tokens":4}}`)+
		sse("message_stop", `{"type":"message_stop"}`))
	if err != nil || fin.Reason != mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER {
		t.Errorf("refusal: %+v, %v", fin, err)
	}
}

func TestStreamProtocolViolations(t *testing.T) {
	start := sse("message_start", `{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"c","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}`)
	cases := map[string]struct {
		body  string
		class mcpv1.ErrorClass
	}{
		"event name differs from type": {start + "event: content_block_stop\ndata: {\"type\":\"message_stop\"}\n\n", mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL},
		"delta before message_start":   {sse("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}`), mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL},
		"no message_stop":              {start + sse("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}`), mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL},
		"empty body":                   {"", mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL},
		"json delta on text block":     {start + sse("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`) + sse("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{"}}`), mcpv1.ErrorClass_ERROR_CLASS_UPSTREAM_PROTOCOL},
		"api error event":              {start + sse("error", `{"type":"error","error":{"type":"api_error","message":"Internal server error"}}`), mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE},
	}
	for name, c := range cases {
		_, _, err := runStream(t, c.body)
		if e := asAPIError(t, err); e.Class != c.class {
			t.Errorf("%s: class %v (%s), want %v", name, e.Class, e.Message, c.class)
		}
	}
}

func TestStreamLongLines(t *testing.T) {
	// The test reader's buffer is 16 bytes, so every line here is longer.
	long := strings.Repeat("word ", 2000)
	data, _ := json.Marshal(map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]string{"type": "text_delta", "text": long}})
	body := sse("message_start", `{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"c","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}`) +
		sse("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`) +
		sse("content_block_delta", string(data)) +
		sse("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2000}}`) +
		"event: message_stop\ndata: {\"type\":\"message_stop\"}" // no final blank line
	fin, got, err := runStream(t, body)
	if err != nil {
		t.Fatal(err)
	}
	if got.text.String() != long || fin.Reason != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("text of %d bytes, finish %v", got.text.Len(), fin.Reason)
	}
}

func sse(event, data string) string {
	return "event: " + event + "\ndata: " + data + "\n\n"
}
