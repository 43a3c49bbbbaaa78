package anthropic

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	anthropicemu "github.com/manifoldgw/manifold/services/internal/emulator/anthropic"
	"github.com/manifoldgw/manifold/services/router/provider"
)

const testKey = "sk-ant-test-key"

// newTestAdapter returns an adapter talking to a fresh emulator.
func newTestAdapter(tb testing.TB) (*Adapter, *anthropicemu.Emulator) {
	tb.Helper()
	emu := anthropicemu.New()
	srv := httptest.NewServer(emu)
	tb.Cleanup(srv.Close)
	a := New(provider.Config{
		Name:       "anthropic-test",
		BaseURL:    srv.URL,
		Headers:    map[string]string{"anthropic-beta": "test-beta"},
		HTTPClient: srv.Client(),
	})
	return a, emu
}

func newCall(req *mcpv1.Request) *provider.Call {
	return &provider.Call{Request: req, Model: "claude-sonnet-4-5", Credential: provider.Credential{Name: "k1", APIKey: testKey}}
}

func textPart(s string) *mcpv1.ContentPart {
	return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: s}}
}

func msg(role mcpv1.Role, text string) *mcpv1.Message {
	return &mcpv1.Message{Role: role, Content: []*mcpv1.ContentPart{textPart(text)}}
}

func userRequest(text string) *mcpv1.Request {
	return &mcpv1.Request{Messages: []*mcpv1.Message{msg(mcpv1.Role_ROLE_USER, text)}}
}

func mustStruct(tb testing.TB, v map[string]any) *structpb.Struct {
	tb.Helper()
	s, err := structpb.NewStruct(v)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func weatherTool(tb testing.TB) *mcpv1.Tool {
	return &mcpv1.Tool{
		Name:        "get_weather",
		Description: "Current weather for a city",
		Parameters: mustStruct(tb, map[string]any{
			"type":       "object",
			"properties": map[string]any{"city": map[string]any{"type": "string"}},
			"required":   []any{"city"},
		}),
	}
}

// streamed is what a stream emitted.
type streamed struct {
	events    int
	text      strings.Builder
	reasoning strings.Builder
	calls     []*mcpv1.ToolCall
	usage     *mcpv1.Usage
	usages    int
}

func (s *streamed) emit(ev *mcpv1.StreamEvent) error {
	s.events++
	switch e := ev.GetEvent().(type) {
	case *mcpv1.StreamEvent_TextDelta:
		s.text.WriteString(e.TextDelta.GetText())
	case *mcpv1.StreamEvent_ReasoningDelta:
		s.reasoning.WriteString(e.ReasoningDelta.GetText())
	case *mcpv1.StreamEvent_ToolCallDelta:
		d := e.ToolCallDelta
		if int(d.GetIndex()) == len(s.calls) {
			if d.GetId() == "" || d.GetName() == "" {
				return errors.New("first tool call delta lacks id or name")
			}
			s.calls = append(s.calls, &mcpv1.ToolCall{Id: d.GetId(), Name: d.GetName()})
		} else if int(d.GetIndex()) > len(s.calls) || d.GetId() != "" || d.GetName() != "" {
			return errors.New("tool call delta out of order or repeating id/name")
		}
		s.calls[d.GetIndex()].Arguments += d.GetArgumentsDelta()
	case *mcpv1.StreamEvent_Usage:
		s.usage = e.Usage
		s.usages++
	default:
		return errors.New("adapter emitted a router-only event")
	}
	return nil
}

// recordedBody decodes the JSON body of the n-th recorded request.
func recordedBody(tb testing.TB, emu *anthropicemu.Emulator, n int) map[string]any {
	tb.Helper()
	reqs := emu.Requests()
	if len(reqs) <= n {
		tb.Fatalf("emulator saw %d requests, want more than %d", len(reqs), n)
	}
	var body map[string]any
	if err := json.Unmarshal(reqs[n].Body, &body); err != nil {
		tb.Fatalf("request body is not JSON: %v", err)
	}
	return body
}

// jsonEqual compares got (any JSON-marshalable) with a JSON text.
func jsonEqual(tb testing.TB, got any, want string) {
	tb.Helper()
	gb, err := json.Marshal(got)
	if err != nil {
		tb.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(gb, &g); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		tb.Fatalf("bad want JSON: %v", err)
	}
	gn, _ := json.Marshal(g)
	wn, _ := json.Marshal(w)
	if string(gn) != string(wn) {
		tb.Errorf("JSON mismatch\n got: %s\nwant: %s", gn, wn)
	}
}

func asAPIError(tb testing.TB, err error) *apierror.Error {
	tb.Helper()
	var e *apierror.Error
	if !errors.As(err, &e) {
		tb.Fatalf("error %v (%T) is not an *apierror.Error", err, err)
	}
	return e
}
