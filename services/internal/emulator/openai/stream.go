package openai

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/manifoldgw/manifold/services/internal/emulator"
)

// sse writes chat.completion.chunk events and applies the stream faults;
// the terminator counts as a chunk for CutAfterChunks and friends.
type sse struct {
	w       http.ResponseWriter
	flusher http.Flusher
	fault   emulator.Fault
	sent    int
	stopped bool
	c       *call
}

// send writes one data event, or applies the fault due at this point and
// reports false.
func (s *sse) send(payload []byte) bool {
	if s.stopped {
		return false
	}
	f := s.fault
	switch {
	case f.CutAfterChunks > 0 && s.sent == f.CutAfterChunks:
		s.stopped = true
		return false
	case f.ErrorAfterChunks > 0 && s.sent == f.ErrorAfterChunks:
		s.stopped = true
		if s.c.opts.Flavor == FlavorOpenRouter {
			_, _ = io.WriteString(s.w, `data: {"error":{"code":502,"message":"Provider returned error"}}`+"\n\n")
		} else {
			_, _ = io.WriteString(s.w, `data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`+"\n\n")
		}
		s.flush()
		return false
	case f.MalformedAfterChunks > 0 && s.sent == f.MalformedAfterChunks:
		s.stopped = true
		_, _ = io.WriteString(s.w, `data: {"id":"chatcmpl-emu","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":`+"\n\n")
		s.flush()
		return false
	}
	_, _ = io.WriteString(s.w, "data: ")
	_, _ = s.w.Write(payload)
	_, _ = io.WriteString(s.w, "\n\n")
	s.flush()
	s.sent++
	return true
}

func (s *sse) flush() {
	if s.flusher != nil {
		s.flusher.Flush()
	}
}

func (s *sse) chunk(ans *answer, ch []choice, u *usage, includeUsage bool) bool {
	v := struct {
		ID                string   `json:"id"`
		Object            string   `json:"object"`
		Created           int64    `json:"created"`
		Model             string   `json:"model"`
		ServiceTier       string   `json:"service_tier"`
		SystemFingerprint string   `json:"system_fingerprint"`
		Choices           []choice `json:"choices"`
		Usage             *usage   `json:"usage,omitempty"`
	}{ID: ans.id, Object: "chat.completion.chunk", Created: ans.created, Model: ans.model, ServiceTier: "default",
		SystemFingerprint: "fp_emulator", Choices: ch, Usage: u}
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	if includeUsage && u == nil {
		// usage is null on every other chunk when include_usage is on.
		b = append(b[:len(b)-1], `,"usage":null}`...)
	}
	return s.send(b)
}

func str(s string) *string { return &s }

// stream answers with SSE chunks: role, reasoning, content or tool-call
// deltas, an empty delta with finish_reason, the usage chunk when asked,
// then data: [DONE].
func (c *call) stream(ans *answer, includeUsage bool) {
	h := c.w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	c.w.WriteHeader(http.StatusOK)
	s := &sse{w: c.w, fault: c.fault, c: c}
	s.flusher, _ = c.w.(http.Flusher)
	if c.opts.Flavor == FlavorOpenRouter {
		_, _ = io.WriteString(c.w, ": OPENROUTER PROCESSING\n\n")
		s.flush()
	}
	mistral := c.opts.Flavor == FlavorMistral
	one := func(d delta, finish *string) []choice {
		return []choice{{Index: 0, Delta: &d, Logprobs: json.RawMessage("null"), FinishReason: finish}}
	}
	roleSent := false
	if ans.ToolName == "" || ans.reasoning != "" {
		if !s.chunk(ans, one(delta{Role: "assistant", Content: json.RawMessage(`""`), Refusal: json.RawMessage("null")}, nil), nil, includeUsage) {
			return
		}
		roleSent = true
	}
	for _, tok := range emulator.Tokenize(ans.reasoning) {
		if !s.chunk(ans, one(delta{ReasoningContent: tok}, nil), nil, includeUsage) {
			return
		}
	}
	if ans.ToolName != "" {
		d := delta{ToolCalls: []outToolCall{ans.toolCall(true)}}
		if !roleSent {
			d.Role, d.Content, d.Refusal = "assistant", json.RawMessage("null"), json.RawMessage("null")
		}
		if !s.chunk(ans, one(d, nil), nil, includeUsage) {
			return
		}
		for _, frag := range emulator.SplitRunes(ans.ToolArgs, 3) {
			tc := outToolCall{Index: new(int)}
			tc.Function.Arguments = frag
			if !s.chunk(ans, one(delta{ToolCalls: []outToolCall{tc}}, nil), nil, includeUsage) {
				return
			}
		}
	} else {
		for _, tok := range ans.Tokens {
			b, _ := json.Marshal(tok)
			if !s.chunk(ans, one(delta{Content: b}, nil), nil, includeUsage) {
				return
			}
		}
	}
	var finalUsage *usage
	if mistral {
		finalUsage = &ans.usage // Mistral sends usage on the last chunk, unasked
	}
	if !s.chunk(ans, one(delta{}, str(ans.finish)), finalUsage, includeUsage) {
		return
	}
	if includeUsage && !mistral {
		if !s.chunk(ans, []choice{}, &ans.usage, true) {
			return
		}
	}
	s.send([]byte("[DONE]"))
}
