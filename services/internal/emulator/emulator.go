// Package emulator holds what the provider emulators share: a deterministic
// "model" whose answers depend only on the request, scriptable faults, and a
// record of every request received. Each provider's emulator lives in a
// subpackage named after it and speaks that provider's wire format exactly
// (see shared/PROVIDER_WIRE_FORMATS.md). Emulators are test code: they stand
// in for remote APIs that tests cannot reach.
package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Fault scripts how the emulator answers one request.
type Fault struct {
	// Status, when non-zero, answers with this HTTP status and the
	// provider's error envelope (Body overrides the envelope).
	Status int
	// Headers are added to the response (e.g. retry-after, rate-limit
	// headers, x-should-retry).
	Headers map[string]string
	// Body replaces the error envelope when Status is set.
	Body string
	// Latency delays the answer (bounded by the request's context).
	Latency time.Duration
	// CutAfterChunks, when > 0, closes a stream after that many chunks
	// without the provider's terminator.
	CutAfterChunks int
	// ErrorAfterChunks, when > 0, sends the provider's mid-stream error
	// event after that many chunks, then closes.
	ErrorAfterChunks int
	// MalformedAfterChunks, when > 0, sends a chunk that is not valid JSON
	// after that many chunks, then closes.
	MalformedAfterChunks int
	// Hang never answers; the request ends when the client gives up.
	Hang bool
}

// Recorded is one request as the emulator received it.
type Recorded struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// Base is embedded by each provider emulator.
type Base struct {
	mu       sync.Mutex
	faults   []Fault
	requests []Recorded
}

// Script queues faults; each applies to one following request, in order.
func (b *Base) Script(faults ...Fault) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.faults = append(b.faults, faults...)
}

// Requests returns the requests received so far.
func (b *Base) Requests() []Recorded {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Recorded(nil), b.requests...)
}

// Reset forgets scripted faults and recorded requests.
func (b *Base) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.faults, b.requests = nil, nil
}

// Begin records a request and returns the fault that applies to it (zero
// when none is scripted). It waits out the fault's latency, and reports
// false when the client went away meanwhile or the fault hangs.
func (b *Base) Begin(r *http.Request, body []byte) (Fault, bool) {
	b.mu.Lock()
	b.requests = append(b.requests, Recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
	var f Fault
	if len(b.faults) > 0 {
		f, b.faults = b.faults[0], b.faults[1:]
	}
	b.mu.Unlock()
	return f, Wait(r.Context(), f)
}

// Wait sleeps for the fault's latency, or forever when it hangs, until ctx
// ends. It reports whether the answer should go ahead.
func Wait(ctx context.Context, f Fault) bool {
	if f.Hang {
		<-ctx.Done()
		return false
	}
	if f.Latency <= 0 {
		return true
	}
	t := time.NewTimer(f.Latency)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// WriteHeaders adds a fault's headers to w.
func WriteHeaders(w http.ResponseWriter, f Fault) {
	for k, v := range f.Headers {
		w.Header().Set(k, v)
	}
}

// Turn is the provider-neutral view of a request the emulators answer.
type Turn struct {
	// LastUserText is the text of the last user turn.
	LastUserText string
	// ToolResult is the text of tool results in the last turn, if any.
	ToolResult string
	// HasToolResult is true when the last turn carries tool results.
	HasToolResult bool
	// Images describes each image of the last user turn ("image/png").
	Images []string
	// Tools are the offered tools with their JSON-schema parameters.
	Tools []Tool
	// ForceTool names a tool the request forces, or "*" for any.
	ForceTool string
	// NoTools is true when tool choice is none.
	NoTools bool
	// InputText is all input text, for counting input tokens.
	InputText string
	// MaxTokens caps output tokens when > 0.
	MaxTokens int
	// Stop are stop sequences.
	Stop []string
	// JSON asks for a JSON object answer.
	JSON bool
}

// Tool is an offered tool.
type Tool struct {
	Name       string
	Parameters map[string]any
}

// Answer is the emulated model's answer.
type Answer struct {
	// Tokens joined are the answer text.
	Tokens []string
	// ToolName and ToolArgs are set when the model calls a tool.
	ToolName string
	ToolArgs string
	// Finish is "stop", "stop_sequence", "length" or "tool_calls".
	Finish string
	// StopSequence is the matched stop sequence.
	StopSequence string
	// InputTokens and OutputTokens are the usage.
	InputTokens  int
	OutputTokens int
}

// Text is the answer's text.
func (a Answer) Text() string { return strings.Join(a.Tokens, "") }

// Respond computes the deterministic answer to a turn:
//   - after a tool result: "Tool said: <result>"
//   - when a tool is forced, or offered and named in the user's text: a call
//     of that tool, with every string parameter set to the user's text
//   - otherwise "Echo: <user text>", plus " I see <n> image(s): <types>."
//     when images were sent; wrapped as {"answer": …} when JSON is asked.
func Respond(t Turn) Answer {
	a := Answer{Finish: "stop", InputTokens: CountTokens(t.InputText) + 1}
	var text string
	switch {
	case t.HasToolResult:
		text = "Tool said: " + t.ToolResult
	default:
		if name := pickTool(t); name != "" {
			a.ToolName = name
			a.ToolArgs = toolArgs(t, name)
			a.Finish = "tool_calls"
			a.OutputTokens = CountTokens(name) + CountTokens(a.ToolArgs)
			return a
		}
		text = "Echo: " + t.LastUserText
		if len(t.Images) > 0 {
			text += fmt.Sprintf(" I see %d image(s): %s.", len(t.Images), strings.Join(t.Images, ", "))
		}
	}
	if t.JSON {
		b, _ := json.Marshal(map[string]string{"answer": text})
		text = string(b)
	}
	cut := len(text)
	for _, s := range t.Stop {
		if i := strings.Index(text, s); i >= 0 && i < cut {
			cut, a.StopSequence = i, s
		}
	}
	if a.StopSequence != "" {
		text = text[:cut]
		a.Finish = "stop_sequence"
	}
	a.Tokens = Tokenize(text)
	if t.MaxTokens > 0 && len(a.Tokens) > t.MaxTokens {
		a.Tokens = a.Tokens[:t.MaxTokens]
		a.Finish = "length"
		a.StopSequence = ""
	}
	a.OutputTokens = len(a.Tokens)
	return a
}

func pickTool(t Turn) string {
	if t.NoTools || len(t.Tools) == 0 {
		return ""
	}
	if t.ForceTool != "" && t.ForceTool != "*" {
		return t.ForceTool
	}
	lower := strings.ToLower(t.LastUserText)
	for _, tool := range t.Tools {
		if strings.Contains(lower, strings.ToLower(tool.Name)) {
			return tool.Name
		}
	}
	if t.ForceTool == "*" {
		return t.Tools[0].Name
	}
	return ""
}

func toolArgs(t Turn, name string) string {
	args := map[string]any{}
	for _, tool := range t.Tools {
		if tool.Name != name {
			continue
		}
		props, _ := tool.Parameters["properties"].(map[string]any)
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p, _ := props[k].(map[string]any)
			switch p["type"] {
			case "integer", "number":
				args[k] = len(t.LastUserText)
			case "boolean":
				args[k] = true
			default:
				args[k] = t.LastUserText
			}
		}
	}
	b, _ := json.Marshal(args)
	return string(b)
}

// Tokenize splits text into tokens (a word or punctuation mark with the
// spaces before it); joining them gives the text back.
func Tokenize(text string) []string {
	var tokens []string
	start := 0
	var p rune
	for i, r := range text {
		if i > start {
			boundary := (unicode.IsSpace(r) && !unicode.IsSpace(p)) ||
				(!isWord(r) && !unicode.IsSpace(r)) ||
				(isWord(r) && !isWord(p) && !unicode.IsSpace(p))
			if boundary {
				tokens = append(tokens, text[start:i])
				start = i
			}
		}
		p = r
	}
	if start < len(text) {
		tokens = append(tokens, text[start:])
	}
	return tokens
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' }

// CountTokens counts Tokenize's tokens.
func CountTokens(text string) int { return len(Tokenize(text)) }

// SplitRunes splits s into n pieces on rune boundaries (for streaming
// tool-call arguments in fragments).
func SplitRunes(s string, n int) []string {
	r := []rune(s)
	if n <= 1 || len(r) < n {
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
