package demo_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/router/demo"
	"github.com/manifoldgw/manifold/services/router/provider"
)

var tokenizeTests = []struct {
	in   string
	want []string
}{
	{in: "", want: nil},
	{in: "   ", want: []string{"   "}},
	{in: "Hello", want: []string{"Hello"}},
	{in: "Hello, world!", want: []string{"Hello", ",", " world", "!"}},
	{in: "  leading and trailing  ", want: []string{"  leading", " and", " trailing", "  "}},
	{in: "don't stop", want: []string{"don't", " stop"}},
	{in: "a -- b", want: []string{"a", " -", "-", " b"}},
	{in: "tabs\tand\nnewlines", want: []string{"tabs", "\tand", "\nnewlines"}},
	{in: "héllo wörld", want: []string{"héllo", " wörld"}},
	{in: "日本語 テキスト。", want: []string{"日本語", " テキスト", "。"}},
	{in: "wave 👋🏽 ok", want: []string{"wave", " 👋", "🏽", " ok"}},
	{in: "v1.2 costs $3", want: []string{"v1", ".", "2", " costs", " $", "3"}},
	{in: `{"answer":"x"}`, want: []string{"{", `"`, "answer", `"`, ":", `"`, "x", `"`, "}"}},
}

func TestTokenize(t *testing.T) {
	for _, tt := range tokenizeTests {
		got := demo.Tokenize(tt.in)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		checkTokens(t, tt.in, got)
		if n := demo.CountTokens(tt.in); n != int64(len(tt.want)) {
			t.Errorf("CountTokens(%q) = %d, want %d", tt.in, n, len(tt.want))
		}
	}
}

// checkTokens asserts the properties every tokenization has: the tokens
// join back to the text, none is empty, and valid text gives valid tokens.
func checkTokens(t *testing.T, in string, tokens []string) {
	t.Helper()
	if joined := strings.Join(tokens, ""); joined != in {
		t.Errorf("Tokenize(%q) joins to %q", in, joined)
	}
	for i, tok := range tokens {
		if tok == "" {
			t.Errorf("Tokenize(%q): token %d is empty", in, i)
		}
		if utf8.ValidString(in) && !utf8.ValidString(tok) {
			t.Errorf("Tokenize(%q): token %d %q is not valid UTF-8", in, i, tok)
		}
	}
}

func FuzzTokenize(f *testing.F) {
	for _, tt := range tokenizeTests {
		f.Add(tt.in)
	}
	f.Add("a\xff")     // invalid UTF-8 after a word
	f.Add("ab\xffcd")  // invalid UTF-8 inside a word
	f.Add("\xe6\x97")  // truncated rune
	f.Add(" \u00a0x ") // non-ASCII space
	f.Fuzz(func(t *testing.T, in string) {
		checkTokens(t, in, demo.Tokenize(in))
	})
}

func userRequest(text string) *mcpv1.Request {
	return &mcpv1.Request{
		Model: demo.Model,
		Messages: []*mcpv1.Message{{
			Role:    mcpv1.Role_ROLE_USER,
			Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: text}}},
		}},
	}
}

// call is a provider call for req, as the router makes it.
func call(req *mcpv1.Request) *provider.Call {
	return &provider.Call{Request: req, Model: demo.Model}
}

func withSampling(req *mcpv1.Request, s *mcpv1.SamplingParams) *mcpv1.Request {
	req.Sampling = s
	return req
}

func weatherTool(t *testing.T) *mcpv1.Tool {
	t.Helper()
	params, err := structpb.NewStruct(map[string]any{
		"type": "object",
		"properties": map[string]any{
			"city":    map[string]any{"type": "string"},
			"days":    map[string]any{"type": "integer"},
			"celsius": map[string]any{"type": "boolean"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &mcpv1.Tool{Name: "get_weather", Description: "Weather for a city", Parameters: params}
}

// streamed is what Stream emitted, reassembled.
type streamed struct {
	events       []*mcpv1.StreamEvent
	text         string
	deltas       int
	toolID       string
	toolName     string
	toolArgs     string
	argFragments []string
	usage        *mcpv1.Usage
	finish       mcpv1.FinishReason
	stopSequence string
}

func stream(t *testing.T, p *demo.Provider, req *mcpv1.Request) streamed {
	t.Helper()
	var s streamed
	finish, err := p.Stream(t.Context(), call(req), func(ev *mcpv1.StreamEvent) error {
		s.events = append(s.events, ev)
		if s.usage != nil {
			t.Errorf("event %v after usage; usage must come last", ev)
		}
		switch e := ev.GetEvent().(type) {
		case *mcpv1.StreamEvent_TextDelta:
			s.text += e.TextDelta.GetText()
			s.deltas++
		case *mcpv1.StreamEvent_ToolCallDelta:
			d := e.ToolCallDelta
			if d.GetIndex() != 0 {
				t.Errorf("tool call delta index %d, want 0", d.GetIndex())
			}
			if d.GetId() != "" || d.GetName() != "" {
				if s.toolID != "" {
					t.Errorf("tool call identity sent twice")
				}
				s.toolID, s.toolName = d.GetId(), d.GetName()
			}
			if d.GetArgumentsDelta() != "" {
				if s.toolID == "" {
					t.Errorf("arguments before the tool call's id and name")
				}
				s.toolArgs += d.GetArgumentsDelta()
				s.argFragments = append(s.argFragments, d.GetArgumentsDelta())
			}
		case *mcpv1.StreamEvent_Usage:
			s.usage = e.Usage
		default:
			t.Errorf("unexpected event %T from the provider (start and finish are the router's)", e)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if s.usage == nil {
		t.Errorf("Stream sent no usage")
	}
	s.finish, s.stopSequence = finish.Reason, finish.StopSequence
	return s
}

func generate(t *testing.T, p *demo.Provider, req *mcpv1.Request) *mcpv1.Response {
	t.Helper()
	res, err := p.Generate(t.Context(), call(req))
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if role := res.GetMessage().GetRole(); role != mcpv1.Role_ROLE_ASSISTANT {
		t.Errorf("role = %v, want assistant", role)
	}
	return res
}

func text(res *mcpv1.Response) string {
	var b strings.Builder
	for _, p := range res.GetMessage().GetContent() {
		b.WriteString(p.GetText())
	}
	return b.String()
}

// TestAnswers checks Generate and Stream agree on every kind of text answer.
func TestAnswers(t *testing.T) {
	const hello = "Hello from Manifold's demo model. You said: "
	tests := []struct {
		name       string
		req        *mcpv1.Request
		wantText   string
		wantFinish mcpv1.FinishReason
		wantStop   string
	}{
		{
			name:       "echo",
			req:        userRequest("hi there"),
			wantText:   hello + "hi there",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP,
		},
		{
			name:       "nothing said",
			req:        &mcpv1.Request{Model: demo.Model, Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{}}}}}},
			wantText:   hello + "nothing",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP,
		},
		{
			name:       "non-ASCII",
			req:        userRequest("grüß dich, 世界 👋"),
			wantText:   hello + "grüß dich, 世界 👋",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP,
		},
		{
			name:       "stop sequence",
			req:        withSampling(userRequest("hi"), &mcpv1.SamplingParams{StopSequences: []string{"demo"}}),
			wantText:   "Hello from Manifold's ",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE,
			wantStop:   "demo",
		},
		{
			name:       "earliest stop sequence wins",
			req:        withSampling(userRequest("hi"), &mcpv1.SamplingParams{StopSequences: []string{"said", "from", "Manifold"}}),
			wantText:   "Hello ",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE,
			wantStop:   "from",
		},
		{
			name:       "stop sequence inside a word",
			req:        withSampling(userRequest("hi"), &mcpv1.SamplingParams{StopSequences: []string{"ifo"}}),
			wantText:   "Hello from Man",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE,
			wantStop:   "ifo",
		},
		{
			name:       "stop sequence at the start",
			req:        withSampling(userRequest("hi"), &mcpv1.SamplingParams{StopSequences: []string{"Hello"}}),
			wantText:   "",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE,
			wantStop:   "Hello",
		},
		{
			name:       "stop sequence never matches",
			req:        withSampling(userRequest("hi"), &mcpv1.SamplingParams{StopSequences: []string{"zebra"}}),
			wantText:   hello + "hi",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP,
		},
		{
			name:       "max output tokens",
			req:        withSampling(userRequest("hi"), &mcpv1.SamplingParams{MaxOutputTokens: proto.Int32(3)}),
			wantText:   "Hello from Manifold's",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_LENGTH,
		},
		{
			name:       "max output tokens of one",
			req:        withSampling(userRequest("hi"), &mcpv1.SamplingParams{MaxOutputTokens: proto.Int32(1)}),
			wantText:   "Hello",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_LENGTH,
		},
		{
			name:       "max output tokens exactly the answer",
			req:        withSampling(userRequest("hi"), &mcpv1.SamplingParams{MaxOutputTokens: proto.Int32(int32(len(demo.Tokenize(hello + "hi"))))}),
			wantText:   hello + "hi",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP,
		},
		{
			name:       "max output tokens before a stop sequence",
			req:        withSampling(userRequest("hi"), &mcpv1.SamplingParams{MaxOutputTokens: proto.Int32(2), StopSequences: []string{"said"}}),
			wantText:   "Hello from",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_LENGTH,
		},
		{
			name:       "stop sequence before max output tokens",
			req:        withSampling(userRequest("hi"), &mcpv1.SamplingParams{MaxOutputTokens: proto.Int32(100), StopSequences: []string{"model"}}),
			wantText:   "Hello from Manifold's demo ",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE,
			wantStop:   "model",
		},
		{
			name: "JSON object",
			req: func() *mcpv1.Request {
				r := userRequest(`say "hi"`)
				r.ResponseFormat = &mcpv1.ResponseFormat{Type: mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_OBJECT}
				return r
			}(),
			wantText:   `{"answer":"Hello from Manifold's demo model. You said: say \"hi\""}`,
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP,
		},
		{
			name:       "tools offered but not named",
			req:        func() *mcpv1.Request { r := userRequest("hi"); r.Tools = []*mcpv1.Tool{weatherTool(t)}; return r }(),
			wantText:   hello + "hi",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP,
		},
		{
			name: "tool named but choice none",
			req: func() *mcpv1.Request {
				r := userRequest("use get_weather")
				r.Tools = []*mcpv1.Tool{weatherTool(t)}
				r.ToolChoice = &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE}}
				return r
			}(),
			wantText:   hello + "use get_weather",
			wantFinish: mcpv1.FinishReason_FINISH_REASON_STOP,
		},
	}
	p := &demo.Provider{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := generate(t, p, tt.req)
			if got := text(res); got != tt.wantText {
				t.Errorf("Generate text = %q, want %q", got, tt.wantText)
			}
			if res.GetFinishReason() != tt.wantFinish || res.GetStopSequence() != tt.wantStop {
				t.Errorf("Generate finish = %v %q, want %v %q", res.GetFinishReason(), res.GetStopSequence(), tt.wantFinish, tt.wantStop)
			}
			if len(res.GetMessage().GetToolCalls()) != 0 {
				t.Errorf("Generate called tools %v", res.GetMessage().GetToolCalls())
			}
			u := res.GetUsage()
			if u.GetInputTokens() != demo.CountRequestTokens(tt.req) || u.GetInputTokens() == 0 {
				t.Errorf("input tokens = %d, want CountRequestTokens = %d (> 0)", u.GetInputTokens(), demo.CountRequestTokens(tt.req))
			}
			if want := int64(len(demo.Tokenize(tt.wantText))); u.GetOutputTokens() != want {
				t.Errorf("output tokens = %d, want %d", u.GetOutputTokens(), want)
			}
			if u.GetTotalTokens() != u.GetInputTokens()+u.GetOutputTokens() {
				t.Errorf("total tokens %d != input %d + output %d", u.GetTotalTokens(), u.GetInputTokens(), u.GetOutputTokens())
			}

			s := stream(t, p, tt.req)
			if s.text != tt.wantText {
				t.Errorf("streamed text = %q, want %q", s.text, tt.wantText)
			}
			if int64(s.deltas) != u.GetOutputTokens() {
				t.Errorf("streamed %d text deltas, want one per output token (%d)", s.deltas, u.GetOutputTokens())
			}
			if s.finish != tt.wantFinish || s.stopSequence != tt.wantStop {
				t.Errorf("Stream finish = %v %q, want %v %q", s.finish, s.stopSequence, tt.wantFinish, tt.wantStop)
			}
			if !proto.Equal(s.usage, u) {
				t.Errorf("streamed usage %v, Generate usage %v", s.usage, u)
			}
			if s.toolID != "" {
				t.Errorf("Stream called tool %q", s.toolName)
			}
		})
	}
}

func TestToolCall(t *testing.T) {
	other := &mcpv1.Tool{Name: "lookup", Parameters: mustStruct(t, map[string]any{"properties": map[string]any{"q": map[string]any{"type": "string"}}})}
	tests := []struct {
		name     string
		said     string
		tools    []*mcpv1.Tool
		choice   *mcpv1.ToolChoice
		wantTool string
		wantArgs map[string]any
	}{
		{
			name:     "named in the text",
			said:     "What does get_weather say for Paris?",
			tools:    []*mcpv1.Tool{other, weatherTool(t)},
			wantTool: "get_weather",
			wantArgs: map[string]any{"city": "What does get_weather say for Paris?", "days": float64(len("What does get_weather say for Paris?")), "celsius": true},
		},
		{
			name:     "named in another case",
			said:     "call LOOKUP please",
			tools:    []*mcpv1.Tool{weatherTool(t), other},
			wantTool: "lookup",
			wantArgs: map[string]any{"q": "call LOOKUP please"},
		},
		{
			name:     "non-ASCII arguments",
			said:     "get_weather für Zürich, 東京 und 👋🏽 «bitte»",
			tools:    []*mcpv1.Tool{weatherTool(t)},
			wantTool: "get_weather",
			wantArgs: map[string]any{"city": "get_weather für Zürich, 東京 und 👋🏽 «bitte»", "days": float64(len("get_weather für Zürich, 東京 und 👋🏽 «bitte»")), "celsius": true},
		},
		{
			name:     "required picks the first tool",
			said:     "anything",
			tools:    []*mcpv1.Tool{other, weatherTool(t)},
			choice:   &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED}},
			wantTool: "lookup",
			wantArgs: map[string]any{"q": "anything"},
		},
		{
			name:     "tool name choice",
			said:     "lookup is not the one",
			tools:    []*mcpv1.Tool{other, weatherTool(t)},
			choice:   &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_ToolName{ToolName: "get_weather"}},
			wantTool: "get_weather",
			wantArgs: map[string]any{"city": "lookup is not the one", "days": float64(len("lookup is not the one")), "celsius": true},
		},
		{
			name:     "tool without parameters",
			said:     "ping now",
			tools:    []*mcpv1.Tool{{Name: "ping"}},
			wantTool: "ping",
			wantArgs: map[string]any{},
		},
	}
	p := &demo.Provider{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := userRequest(tt.said)
			req.Tools, req.ToolChoice = tt.tools, tt.choice

			res := generate(t, p, req)
			if res.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS {
				t.Fatalf("finish = %v, want TOOL_CALLS (text %q)", res.GetFinishReason(), text(res))
			}
			calls := res.GetMessage().GetToolCalls()
			if len(calls) != 1 {
				t.Fatalf("got %d tool calls, want 1", len(calls))
			}
			tc := calls[0]
			if tc.GetName() != tt.wantTool || tc.GetId() == "" {
				t.Errorf("tool call %q id %q, want %q with an id", tc.GetName(), tc.GetId(), tt.wantTool)
			}
			var args map[string]any
			if err := json.Unmarshal([]byte(tc.GetArguments()), &args); err != nil {
				t.Fatalf("arguments %q are not a JSON object: %v", tc.GetArguments(), err)
			}
			if !jsonEqual(args, tt.wantArgs) {
				t.Errorf("arguments = %v, want %v", args, tt.wantArgs)
			}
			if u := res.GetUsage(); u.GetOutputTokens() == 0 || u.GetTotalTokens() != u.GetInputTokens()+u.GetOutputTokens() {
				t.Errorf("usage %v: want output tokens for the call and a consistent total", u)
			}

			s := stream(t, p, req)
			if s.finish != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS {
				t.Errorf("Stream finish = %v, want TOOL_CALLS", s.finish)
			}
			if s.text != "" {
				t.Errorf("Stream text %q alongside the tool call", s.text)
			}
			if s.toolID != tc.GetId() || s.toolName != tc.GetName() || s.toolArgs != tc.GetArguments() {
				t.Errorf("streamed call %q %q %q, Generate's %q %q %q", s.toolID, s.toolName, s.toolArgs, tc.GetId(), tc.GetName(), tc.GetArguments())
			}
			for i, frag := range s.argFragments {
				if !utf8.ValidString(frag) {
					t.Errorf("argument fragment %d %q is not valid UTF-8", i, frag)
				}
			}
			if len(tc.GetArguments()) > 3 && len(s.argFragments) < 2 {
				t.Errorf("arguments streamed in %d fragment(s), want them split", len(s.argFragments))
			}
			if !proto.Equal(s.usage, res.GetUsage()) {
				t.Errorf("streamed usage %v, Generate usage %v", s.usage, res.GetUsage())
			}
		})
	}
}

func TestToolResult(t *testing.T) {
	p := &demo.Provider{}
	call := &mcpv1.ToolCall{Id: "call_demo_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}
	user := userRequest("get_weather in Paris").GetMessages()[0]
	assistant := &mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: []*mcpv1.ToolCall{call}}
	tests := []struct {
		name string
		last *mcpv1.Message
		want string
	}{
		{
			name: "tool message",
			last: &mcpv1.Message{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: call.Id, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: "sunny, 21°C"}}}},
			want: "The tool returned: sunny, 21°C.",
		},
		{
			name: "tool result part",
			last: &mcpv1.Message{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_ToolResult{ToolResult: &mcpv1.ToolResultPart{
				ToolCallId: call.Id,
				Content:    []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: "rain"}}, {Part: &mcpv1.ContentPart_Text{Text: " later"}}},
			}}}}},
			want: "The tool returned: rain later.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &mcpv1.Request{Model: demo.Model, Tools: []*mcpv1.Tool{weatherTool(t)}, Messages: []*mcpv1.Message{user, assistant, tt.last}}
			res := generate(t, p, req)
			if got := text(res); got != tt.want {
				t.Errorf("text = %q, want %q", got, tt.want)
			}
			if res.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP || len(res.GetMessage().GetToolCalls()) != 0 {
				t.Errorf("finish %v with calls %v, want STOP and no calls (the tool was answered)", res.GetFinishReason(), res.GetMessage().GetToolCalls())
			}
			if s := stream(t, p, req); s.text != tt.want {
				t.Errorf("streamed text = %q, want %q", s.text, tt.want)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	p := &demo.Provider{}
	reqs := map[string]*mcpv1.Request{
		"text": withSampling(userRequest("same input, same answer"), &mcpv1.SamplingParams{Temperature: proto.Float64(2), StopSequences: []string{"input"}}),
		"tool": func() *mcpv1.Request {
			r := userRequest("get_weather for Zürich")
			r.Tools = []*mcpv1.Tool{weatherTool(t)}
			return r
		}(),
	}
	for name, req := range reqs {
		t.Run(name, func(t *testing.T) {
			first := generate(t, p, req)
			firstStream := stream(t, p, req)
			for range 20 {
				if again := generate(t, p, proto.Clone(req).(*mcpv1.Request)); !proto.Equal(first, again) {
					t.Fatalf("Generate differs between calls:\n%v\n%v", first, again)
				}
				again := stream(t, p, proto.Clone(req).(*mcpv1.Request))
				if len(again.events) != len(firstStream.events) {
					t.Fatalf("Stream sent %d events, earlier %d", len(again.events), len(firstStream.events))
				}
				for i := range again.events {
					if !proto.Equal(again.events[i], firstStream.events[i]) {
						t.Fatalf("Stream event %d differs: %v, earlier %v", i, again.events[i], firstStream.events[i])
					}
				}
			}
		})
	}
}

func TestCountRequestTokens(t *testing.T) {
	base := userRequest("hello world")
	n := demo.CountRequestTokens(base)
	if want := int64(3 + 2); n != want {
		t.Errorf("CountRequestTokens(one two-word message) = %d, want %d (3 per message + 2 words)", n, want)
	}
	withTool := proto.Clone(base).(*mcpv1.Request)
	withTool.Tools = []*mcpv1.Tool{weatherTool(t)}
	if got := demo.CountRequestTokens(withTool); got <= n {
		t.Errorf("offering a tool did not add input tokens: %d <= %d", got, n)
	}
	withImage := proto.Clone(base).(*mcpv1.Request)
	withImage.Messages[0].Content = append(withImage.Messages[0].Content, &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{}}})
	if got := demo.CountRequestTokens(withImage); got != n+85 {
		t.Errorf("an image counts %d tokens, want 85", got-n)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	req := userRequest("hi")
	for _, p := range []*demo.Provider{{}, {TokenDelay: time.Hour}} {
		if _, err := p.Generate(ctx, call(req)); err != context.Canceled {
			t.Errorf("Generate(cancelled, delay %s) error = %v, want context.Canceled", p.TokenDelay, err)
		}
		emitted := 0
		_, err := p.Stream(ctx, call(req), func(*mcpv1.StreamEvent) error { emitted++; return nil })
		if err != context.Canceled || emitted != 0 {
			t.Errorf("Stream(cancelled, delay %s) = %v after %d events, want context.Canceled before any", p.TokenDelay, err, emitted)
		}
	}
}

// A failing emit (the client went away) stops the stream with its error.
func TestStreamEmitError(t *testing.T) {
	p := &demo.Provider{}
	errGone := context.DeadlineExceeded
	emitted := 0
	_, err := p.Stream(t.Context(), call(userRequest("hi there")), func(*mcpv1.StreamEvent) error {
		emitted++
		if emitted == 2 {
			return errGone
		}
		return nil
	})
	if err != errGone || emitted != 2 {
		t.Errorf("Stream = %v after %d emits, want %v after 2", err, emitted, errGone)
	}
}

func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func jsonEqual(a, b map[string]any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestEmbed(t *testing.T) {
	p := &demo.Provider{}
	text := func(s string) *mcpv1.EmbeddingInput {
		return &mcpv1.EmbeddingInput{Input: &mcpv1.EmbeddingInput_Text{Text: s}}
	}
	embed := func(dims int32, inputs ...*mcpv1.EmbeddingInput) *provider.EmbedResult {
		t.Helper()
		res, err := p.Embed(t.Context(), &provider.EmbedCall{Inputs: inputs, Dimensions: dims, Model: demo.Model})
		if err != nil {
			t.Fatalf("Embed: %v", err)
		}
		if len(res.Embeddings) != len(inputs) {
			t.Fatalf("got %d embeddings for %d inputs", len(res.Embeddings), len(inputs))
		}
		return res
	}
	res := embed(0, text("hello world"), text("hello world"), text("goodbye world"))
	for i, e := range res.Embeddings {
		if e.GetIndex() != int32(i) || len(e.GetValues()) != 8 {
			t.Errorf("embedding %d: index %d, %d values; want index %d, the default 8 values", i, e.GetIndex(), len(e.GetValues()), i)
		}
		var sum float64
		for _, v := range e.GetValues() {
			sum += float64(v) * float64(v)
		}
		if sum < 0.999 || sum > 1.001 {
			t.Errorf("embedding %d has squared norm %f, want a unit vector", i, sum)
		}
	}
	if !slices.Equal(res.Embeddings[0].GetValues(), res.Embeddings[1].GetValues()) {
		t.Errorf("the same text embeds differently")
	}
	if slices.Equal(res.Embeddings[0].GetValues(), res.Embeddings[2].GetValues()) {
		t.Errorf("different texts embed the same")
	}
	if u := res.Usage; u.GetInputTokens() != 6 || u.GetTotalTokens() != 6 {
		t.Errorf("usage %v, want 6 input and total tokens (2 per text)", u)
	}
	if got := embed(3, text("hello world")).Embeddings[0].GetValues(); len(got) != 3 {
		t.Errorf("dimensions 3 gave %d values", len(got))
	}
	if again := embed(0, text("hello world")); !slices.Equal(again.Embeddings[0].GetValues(), res.Embeddings[0].GetValues()) {
		t.Errorf("embeddings differ between calls")
	}
}
