package ollama

import (
	"bufio"
	"strings"
	"testing"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// A stream shaped like PROVIDER_WIRE_FORMATS.md §4.1: token lines, a tool
// call line from a newer Ollama (with id), CRLF endings, a blank line, and
// the documented final line.
const capturedStream = `{"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":"The"},"done":false}` + "\r\n" +
	`{"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":" sky"},"done":false}` + "\n\n" +
	`{"model":"llama3.2","created_at":"2023-08-04T08:52:19.4Z","message":{"role":"assistant","content":"","tool_calls":[{"id":"call_x1","function":{"index":0,"name":"get_weather","arguments":{"city":"Tokyo"}}},{"function":{"index":1,"name":"get_time","arguments":{}}}]},"done":false}` + "\n" +
	`{"model":"llama3.2","created_at":"2023-08-04T19:22:45.499127Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":4883583458,"load_duration":1334875,"prompt_eval_count":26,"prompt_eval_duration":342546000,"eval_count":282,"eval_duration":4535599000}` + "\n"

func TestParseCapturedStream(t *testing.T) {
	a := New(provider.Config{})
	var text strings.Builder
	var calls []*mcpv1.ToolCallDelta
	var usage *mcpv1.Usage
	fin, err := a.readStream(bufio.NewReaderSize(strings.NewReader(capturedStream), 16), func(ev *mcpv1.StreamEvent) error {
		text.WriteString(ev.GetTextDelta().GetText())
		if d := ev.GetToolCallDelta(); d != nil {
			calls = append(calls, d)
		}
		if u := ev.GetUsage(); u != nil {
			usage = u
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if text.String() != "The sky" || fin.Reason != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS {
		t.Errorf("text %q finish %v", text.String(), fin.Reason)
	}
	if len(calls) != 2 || calls[0].GetId() != "call_x1" || calls[0].GetArgumentsDelta() != `{"city":"Tokyo"}` ||
		calls[1].GetIndex() != 1 || calls[1].GetId() != "call_1_get_time" || calls[1].GetArgumentsDelta() != "{}" {
		t.Errorf("calls = %v", calls)
	}
	if usage.GetInputTokens() != 26 || usage.GetOutputTokens() != 282 || usage.GetTotalTokens() != 308 {
		t.Errorf("usage = %v", usage)
	}
}

func TestMidStreamErrorLine(t *testing.T) {
	raw := `{"model":"m","message":{"role":"assistant","content":"a"},"done":false}` + "\n" + `{"error":"an error was encountered while running the model: unexpected EOF"}` + "\n"
	_, err := New(provider.Config{Name: "o"}).readStream(bufio.NewReader(strings.NewReader(raw)), func(*mcpv1.StreamEvent) error { return nil })
	ae := apierror.As(err)
	if ae.Class != mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE || ae.Provider != "o" || !strings.Contains(ae.Message, "unexpected EOF") {
		t.Errorf("got %v %q %q", ae.Class, ae.Provider, ae.Message)
	}
}

func TestFinishReasons(t *testing.T) {
	cases := []struct {
		in    string
		calls bool
		want  mcpv1.FinishReason
	}{
		{"stop", false, mcpv1.FinishReason_FINISH_REASON_STOP},
		{"stop", true, mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS},
		{"length", false, mcpv1.FinishReason_FINISH_REASON_LENGTH},
		{"load", false, mcpv1.FinishReason_FINISH_REASON_OTHER},
		{"unload", false, mcpv1.FinishReason_FINISH_REASON_OTHER},
	}
	for _, c := range cases {
		if got := finishReason(c.in, c.calls); got != c.want {
			t.Errorf("%q calls=%v → %v, want %v", c.in, c.calls, got, c.want)
		}
	}
}
