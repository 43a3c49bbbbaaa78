package anthropic

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"sync"

	fastjson "github.com/goccy/go-json"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/router/provider"
)

var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 16<<10) }}

// Stream sends a streaming request and emits its deltas as they arrive.
// A stream must start with message_start and end with message_stop (§2.3);
// anything else is an UPSTREAM_PROTOCOL error, and `event: error` is
// classified like the equivalent HTTP error.
func (a *Adapter) Stream(ctx context.Context, call *provider.Call, emit func(*mcpv1.StreamEvent) error) (provider.Finish, error) {
	resp, err := a.send(ctx, call, true)
	if err != nil {
		return provider.Finish{}, err
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("content-type")); mt != "text/event-stream" {
		a.closeBody(resp)
		return provider.Finish{}, a.protocolError(fmt.Sprintf("stream answered with content-type %q", mt), nil)
	}
	r := readerPool.Get().(*bufio.Reader)
	r.Reset(resp.Body)
	defer func() {
		r.Reset(nil)
		readerPool.Put(r)
	}()
	s := streamState{a: a, emit: emit}
	finish, err := s.run(ctx, r)
	if err != nil {
		// Not drained: the rest of a broken stream is of no use, and reading
		// it could block.
		_ = resp.Body.Close()
		return provider.Finish{}, err
	}
	a.closeBody(resp)
	return finish, nil
}

// blockState is what the stream remembers about one content block.
type blockState struct {
	tool    bool
	index   int32 // the tool call's position among tool calls
	hasArgs bool
}

type streamState struct {
	a       *Adapter
	emit    func(*mcpv1.StreamEvent) error
	started bool
	stopped bool
	usage   usage
	finish  provider.Finish
	blocks  []blockState
	tools   int32
	ev      streamEvent
	event   []byte // the pending event's name
	data    []byte // the pending event's data
	long    []byte // a line longer than the reader's buffer
}

// run reads SSE lines (event:/data:, blank line dispatches) until
// message_stop.
func (s *streamState) run(ctx context.Context, r *bufio.Reader) (provider.Finish, error) {
	for {
		line, err := s.readLine(r)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				if ctx.Err() != nil {
					return provider.Finish{}, s.a.transportError(ctx, err)
				}
				return provider.Finish{}, s.a.protocolError("stream interrupted", err)
			}
			if len(s.data) > 0 {
				if err := s.dispatch(); err != nil {
					return provider.Finish{}, err
				}
			}
			if s.stopped {
				return s.finish, nil
			}
			return provider.Finish{}, s.a.protocolError("stream ended before message_stop", nil)
		}
		if len(line) == 0 {
			if len(s.data) > 0 {
				if err := s.dispatch(); err != nil {
					return provider.Finish{}, err
				}
				if s.stopped {
					return s.finish, nil
				}
			}
			s.event, s.data = s.event[:0], s.data[:0]
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte{':'})
		value = bytes.TrimPrefix(value, []byte{' '})
		switch string(field) {
		case "event":
			s.event = append(s.event[:0], value...)
		case "data":
			if len(s.data) > 0 {
				s.data = append(s.data, '\n')
			}
			s.data = append(s.data, value...)
		}
	}
}

// readLine returns the next line without its line ending, valid until the
// next call. At the end of the body it returns io.EOF with the last,
// unterminated line if any.
func (s *streamState) readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.long = append(s.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = r.ReadSlice('\n')
			s.long = append(s.long, line...)
		}
		line = s.long
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if err != nil && len(line) > 0 {
		// An unterminated last line is still a line; EOF comes next call.
		return line, nil
	}
	return line, err
}

func (s *streamState) dispatch() error {
	s.ev = streamEvent{}
	if err := fastjson.Unmarshal(s.data, &s.ev); err != nil {
		return s.a.protocolError("malformed stream event", err)
	}
	ev := &s.ev
	if len(s.event) > 0 && string(s.event) != ev.Type {
		return s.a.protocolError(fmt.Sprintf("stream event %q carries type %q", s.event, ev.Type), nil)
	}
	switch ev.Type {
	case "ping":
		return nil
	case "error":
		return s.a.errorFromEvent(ev.Error)
	case "message_start":
		if s.started || ev.Message == nil {
			return s.a.protocolError("unexpected message_start", nil)
		}
		s.started = true
		s.usage = ev.Message.Usage
		return s.emitUsage()
	case "message_stop":
		if !s.started {
			return s.a.protocolError("message_stop before message_start", nil)
		}
		s.stopped = true
		return nil
	}
	if !s.started {
		return s.a.protocolError(fmt.Sprintf("%s before message_start", ev.Type), nil)
	}
	switch ev.Type {
	case "content_block_start":
		if ev.Index < 0 || ev.Index > len(s.blocks)+1024 {
			return s.a.protocolError("content block index out of range", nil)
		}
		for len(s.blocks) <= ev.Index {
			s.blocks = append(s.blocks, blockState{})
		}
		if ev.ContentBlock.Type != "tool_use" {
			return nil
		}
		s.blocks[ev.Index] = blockState{tool: true, index: s.tools}
		s.tools++
		return s.emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_ToolCallDelta{ToolCallDelta: &mcpv1.ToolCallDelta{
			Index: s.blocks[ev.Index].index, Id: ev.ContentBlock.ID, Name: ev.ContentBlock.Name,
		}}})
	case "content_block_delta":
		switch ev.Delta.Type {
		case "text_delta":
			if ev.Delta.Text == "" {
				return nil
			}
			return s.emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_TextDelta{TextDelta: &mcpv1.TextDelta{Text: ev.Delta.Text}}})
		case "thinking_delta":
			if ev.Delta.Thinking == "" {
				return nil
			}
			return s.emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_ReasoningDelta{ReasoningDelta: &mcpv1.TextDelta{Text: ev.Delta.Thinking}}})
		case "input_json_delta":
			if ev.Index < 0 || ev.Index >= len(s.blocks) || !s.blocks[ev.Index].tool {
				return s.a.protocolError("input_json_delta outside a tool_use block", nil)
			}
			if ev.Delta.PartialJSON == "" {
				return nil
			}
			b := &s.blocks[ev.Index]
			b.hasArgs = true
			return s.emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_ToolCallDelta{ToolCallDelta: &mcpv1.ToolCallDelta{
				Index: b.index, ArgumentsDelta: ev.Delta.PartialJSON,
			}}})
		}
		// signature_delta, citations_delta and newer kinds carry nothing
		// the protocol streams.
		return nil
	case "content_block_stop":
		if ev.Index >= 0 && ev.Index < len(s.blocks) && s.blocks[ev.Index].tool && !s.blocks[ev.Index].hasArgs {
			// A call without arguments: send "{}" as a complete answer's
			// arguments would be.
			b := &s.blocks[ev.Index]
			b.hasArgs = true
			return s.emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_ToolCallDelta{ToolCallDelta: &mcpv1.ToolCallDelta{
				Index: b.index, ArgumentsDelta: "{}",
			}}})
		}
		return nil
	case "message_delta":
		s.finish.Reason = finishReason(ev.Delta.StopReason)
		s.finish.StopSequence = ""
		if s.finish.Reason == mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE {
			s.finish.StopSequence = ev.Delta.StopSequence
		}
		// output_tokens is cumulative; the other fields, when present,
		// supersede message_start's.
		u := &ev.Usage
		s.usage.OutputTokens = u.OutputTokens
		if u.InputTokens > 0 {
			s.usage.InputTokens = u.InputTokens
		}
		if u.CacheReadInputTokens > 0 {
			s.usage.CacheReadInputTokens = u.CacheReadInputTokens
		}
		if u.CacheCreationInputTokens > 0 {
			s.usage.CacheCreationInputTokens = u.CacheCreationInputTokens
		}
		if u.OutputTokensDetails.ThinkingTokens > 0 {
			s.usage.OutputTokensDetails = u.OutputTokensDetails
		}
		return s.emitUsage()
	}
	return nil
}

func (s *streamState) emitUsage() error {
	return s.emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_Usage{Usage: toUsage(&s.usage)}})
}
