// Package demo is Manifold's built-in demo model: a deterministic local
// "model" that needs no network, streams token by token, reports usage,
// honours stop sequences and output limits, and can call a tool. It lets a
// new user talk to the gateway offline and gives tests a stable upstream.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// Model is the catalog name of the demo model.
const Model = "demo"

var _ provider.Provider = (*Provider)(nil)

// Provider answers requests locally.
type Provider struct {
	// TokenDelay paces streamed tokens; zero streams as fast as possible.
	TokenDelay time.Duration
}

// answer is a complete demo answer before it is streamed or returned.
type answer struct {
	tokens       []string
	toolCall     *mcpv1.ToolCall
	finish       mcpv1.FinishReason
	stopSequence string
	inputTokens  int64
}

// Generate returns the whole answer.
func (p *Provider) Generate(ctx context.Context, call *provider.Call) (*mcpv1.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a := compose(call.Request)
	msg := &mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT}
	if text := strings.Join(a.tokens, ""); text != "" {
		msg.Content = []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: text}}}
	}
	if a.toolCall != nil {
		msg.ToolCalls = []*mcpv1.ToolCall{a.toolCall}
	}
	return &mcpv1.Response{
		Message:      msg,
		FinishReason: a.finish,
		StopSequence: a.stopSequence,
		Usage:        a.usage(),
	}, nil
}

// Stream emits text deltas one token at a time, then a tool call if any,
// then usage. The caller adds start and finish events.
func (p *Provider) Stream(ctx context.Context, call *provider.Call, emit func(*mcpv1.StreamEvent) error) (provider.Finish, error) {
	a := compose(call.Request)
	var timer *time.Timer
	for _, tok := range a.tokens {
		if p.TokenDelay > 0 {
			if timer == nil {
				timer = time.NewTimer(p.TokenDelay)
				defer timer.Stop()
			} else {
				timer.Reset(p.TokenDelay)
			}
			select {
			case <-ctx.Done():
				return provider.Finish{}, ctx.Err()
			case <-timer.C:
			}
		} else if err := ctx.Err(); err != nil {
			return provider.Finish{}, err
		}
		if err := emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_TextDelta{TextDelta: &mcpv1.TextDelta{Text: tok}}}); err != nil {
			return provider.Finish{}, err
		}
	}
	if tc := a.toolCall; tc != nil {
		// Like real providers: identity first, then argument fragments.
		if err := emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_ToolCallDelta{ToolCallDelta: &mcpv1.ToolCallDelta{Index: 0, Id: tc.Id, Name: tc.Name}}}); err != nil {
			return provider.Finish{}, err
		}
		for _, frag := range splitN(tc.Arguments, 3) {
			if err := emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_ToolCallDelta{ToolCallDelta: &mcpv1.ToolCallDelta{Index: 0, ArgumentsDelta: frag}}}); err != nil {
				return provider.Finish{}, err
			}
		}
	}
	if err := emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_Usage{Usage: a.usage()}}); err != nil {
		return provider.Finish{}, err
	}
	return provider.Finish{Reason: a.finish, StopSequence: a.stopSequence}, nil
}

// Embed returns deterministic unit vectors derived from each input's text.
func (p *Provider) Embed(ctx context.Context, call *provider.EmbedCall) (*provider.EmbedResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dims := int(call.Dimensions)
	if dims <= 0 {
		dims = 8
	}
	res := &provider.EmbedResult{Usage: &mcpv1.Usage{}}
	for i, in := range call.Inputs {
		text := in.GetText()
		n := CountTokens(text)
		if toks := in.GetTokens(); toks != nil {
			n = int64(len(toks.GetIds()))
			text = fmt.Sprint(toks.GetIds())
		}
		res.Usage.InputTokens += n
		vec := make([]float32, dims)
		var sum float64
		for j := range vec {
			h := fnv32(text, uint32(j))
			vec[j] = float32(h%2000)/1000 - 1
			sum += float64(vec[j] * vec[j])
		}
		if norm := float32(math.Sqrt(sum)); norm > 0 {
			for j := range vec {
				vec[j] /= norm
			}
		}
		res.Embeddings = append(res.Embeddings, &mcpv1.Embedding{Index: int32(i), Values: vec})
	}
	res.Usage.TotalTokens = res.Usage.InputTokens
	return res, nil
}

func fnv32(s string, seed uint32) uint32 {
	h := uint32(2166136261) ^ seed
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func (a *answer) usage() *mcpv1.Usage {
	out := int64(len(a.tokens))
	if a.toolCall != nil {
		out += CountTokens(a.toolCall.Name) + CountTokens(a.toolCall.Arguments)
	}
	return &mcpv1.Usage{InputTokens: a.inputTokens, OutputTokens: out, TotalTokens: a.inputTokens + out}
}

// compose decides the answer deterministically from the request.
func compose(req *mcpv1.Request) *answer {
	a := &answer{finish: mcpv1.FinishReason_FINISH_REASON_STOP, inputTokens: CountRequestTokens(req)}
	last := lastMessage(req.GetMessages())
	var text string
	switch {
	case last != nil && last.GetRole() == mcpv1.Role_ROLE_TOOL || hasToolResult(last):
		text = "The tool returned: " + toolResultText(last) + "."
	default:
		if tc := pickToolCall(req, last); tc != nil {
			a.toolCall = tc
			a.finish = mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS
			return a
		}
		said := messageText(last)
		if said == "" {
			said = "nothing"
		}
		text = "Hello from Manifold's demo model. You said: " + said
	}
	if rf := req.GetResponseFormat().GetType(); rf == mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_OBJECT ||
		rf == mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA {
		b, _ := json.Marshal(map[string]string{"answer": text})
		text = string(b)
	}
	// Stop sequences cut the text before the earliest match.
	cut := len(text)
	for _, s := range req.GetSampling().GetStopSequences() {
		if i := strings.Index(text, s); i >= 0 && i < cut {
			cut, a.stopSequence = i, s
		}
	}
	if a.stopSequence != "" {
		text = text[:cut]
		a.finish = mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE
	}
	a.tokens = Tokenize(text)
	if maxOut := req.GetSampling().GetMaxOutputTokens(); maxOut > 0 && int(maxOut) < len(a.tokens) {
		a.tokens = a.tokens[:maxOut]
		a.finish = mcpv1.FinishReason_FINISH_REASON_LENGTH
		a.stopSequence = ""
	}
	return a
}

// pickToolCall calls a tool when tools are offered and either the choice
// forces one or the user's text names one.
func pickToolCall(req *mcpv1.Request, last *mcpv1.Message) *mcpv1.ToolCall {
	tools := req.GetTools()
	if len(tools) == 0 || req.GetToolChoice().GetMode() == mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE {
		return nil
	}
	said := messageText(last)
	var chosen *mcpv1.Tool
	if name := req.GetToolChoice().GetToolName(); name != "" {
		for _, t := range tools {
			if t.GetName() == name {
				chosen = t
			}
		}
	}
	if chosen == nil {
		for _, t := range tools {
			if strings.Contains(strings.ToLower(said), strings.ToLower(t.GetName())) {
				chosen = t
				break
			}
		}
	}
	if chosen == nil && req.GetToolChoice().GetMode() == mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED {
		chosen = tools[0]
	}
	if chosen == nil {
		return nil
	}
	args := map[string]any{}
	props := chosen.GetParameters().GetFields()["properties"].GetStructValue().GetFields()
	names := make([]string, 0, len(props))
	for name := range props {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch props[name].GetStructValue().GetFields()["type"].GetStringValue() {
		case "integer", "number":
			args[name] = len(said)
		case "boolean":
			args[name] = true
		default:
			args[name] = said
		}
	}
	b, _ := json.Marshal(args)
	return &mcpv1.ToolCall{Id: fmt.Sprintf("call_demo_%d", len(req.GetMessages())), Name: chosen.GetName(), Arguments: string(b)}
}

func lastMessage(msgs []*mcpv1.Message) *mcpv1.Message {
	if len(msgs) == 0 {
		return nil
	}
	return msgs[len(msgs)-1]
}

func hasToolResult(m *mcpv1.Message) bool {
	for _, p := range m.GetContent() {
		if p.GetToolResult() != nil {
			return true
		}
	}
	return false
}

func toolResultText(m *mcpv1.Message) string {
	var b strings.Builder
	for _, p := range m.GetContent() {
		if tr := p.GetToolResult(); tr != nil {
			for _, c := range tr.GetContent() {
				b.WriteString(c.GetText())
			}
		} else {
			b.WriteString(p.GetText())
		}
	}
	return b.String()
}

func messageText(m *mcpv1.Message) string {
	var parts []string
	for _, p := range m.GetContent() {
		if t := p.GetText(); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " ")
}

// Tokenize splits text into demo tokens: each word or punctuation mark with
// the spaces before it. Joining the tokens gives the text back.
func Tokenize(text string) []string {
	var tokens []string
	start := 0
	inWord := false
	for i, r := range text {
		word := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\''
		switch {
		case unicode.IsSpace(r):
			if inWord {
				tokens = append(tokens, text[start:i])
				start = i
				inWord = false
			}
		case word:
			if !inWord && i > start && !onlySpace(text[start:i]) {
				tokens = append(tokens, text[start:i])
				start = i
			}
			inWord = true
		default: // punctuation is a token of its own
			if i > start && (inWord || !onlySpace(text[start:i])) {
				tokens = append(tokens, text[start:i])
				start = i
			}
			inWord = false
			// Not len(string(r)): an invalid byte decodes as the 3-byte
			// utf8.RuneError but is one byte wide in text.
			_, size := utf8.DecodeRuneInString(text[i:])
			tokens = append(tokens, text[start:i+size])
			start = i + size
		}
	}
	if start < len(text) {
		tokens = append(tokens, text[start:])
	}
	return tokens
}

func onlySpace(s string) bool { return strings.TrimSpace(s) == "" }

// CountTokens counts demo tokens in text.
func CountTokens(text string) int64 { return int64(len(Tokenize(text))) }

// CountRequestTokens counts the input tokens of a request: every text, tool
// result, tool definition and call, plus a small per-message overhead.
func CountRequestTokens(req *mcpv1.Request) int64 {
	var n int64
	for _, m := range req.GetMessages() {
		n += 3
		for _, p := range m.GetContent() {
			switch {
			case p.GetToolResult() != nil:
				for _, c := range p.GetToolResult().GetContent() {
					n += CountTokens(c.GetText())
				}
			case p.GetImage() != nil:
				n += 85
			default:
				n += CountTokens(p.GetText())
			}
		}
		for _, tc := range m.GetToolCalls() {
			n += CountTokens(tc.GetName()) + CountTokens(tc.GetArguments())
		}
	}
	for _, t := range req.GetTools() {
		n += CountTokens(t.GetName()) + CountTokens(t.GetDescription()) + 8
	}
	return n
}

func splitN(s string, n int) []string {
	r := []rune(s)
	if len(r) < n || n <= 1 {
		return []string{s}
	}
	size := (len(r) + n - 1) / n
	var out []string
	for len(r) > size {
		out = append(out, string(r[:size]))
		r = r[size:]
	}
	return append(out, string(r))
}
