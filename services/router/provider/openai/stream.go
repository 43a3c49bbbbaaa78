package openai

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	fastjson "github.com/goccy/go-json"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// Stream implements provider.Provider.
func (a *Adapter) Stream(ctx context.Context, call *provider.Call, emit func(*mcpv1.StreamEvent) error) (provider.Finish, error) {
	body, err := a.buildRequest(call, true)
	if err != nil {
		return provider.Finish{}, a.tag(err)
	}
	resp, err := a.post(ctx, a.endpoint(call.Model, "chat/completions"), call.Credential, body, true)
	if err != nil {
		return provider.Finish{}, err
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		// Some servers and proxies answer a stream request with a JSON
		// error and status 200.
		return provider.Finish{}, a.jsonInsteadOfStream(resp)
	}
	return a.readStream(ctx, resp.Body, emit)
}

var doneMarker = []byte("[DONE]")

func (a *Adapter) jsonInsteadOfStream(resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body errorBody
	if json.Unmarshal(raw, &body) == nil {
		if body.Error != nil {
			return a.streamError(body.Error)
		}
		if body.Object == "error" {
			return a.streamError(&wireError{Message: body.Message, Type: body.Type, Code: body.Code})
		}
	}
	return a.protocolError(resp.StatusCode, "expected an event stream, got %s", resp.Header.Get("Content-Type"))
}

// readStream parses the SSE body (PROVIDER_WIRE_FORMATS.md §1.4) until
// data: [DONE]. Comments (OpenRouter's keep-alives) are skipped; an error
// payload, a malformed chunk or an end without [DONE] is an error.
func (a *Adapter) readStream(ctx context.Context, body io.Reader, emit func(*mcpv1.StreamEvent) error) (provider.Finish, error) {
	sse := sseReader{r: bufio.NewReaderSize(body, 16<<10)}
	var (
		finish provider.Finish
		tools  []bool // tools[i]: the first delta of call i was emitted
		last   = -1   // the call the previous index-less delta belonged to
		c      streamChunk
	)
	for {
		event, data, err := sse.next()
		if err != nil {
			if ctx.Err() != nil {
				return finish, a.transportError(ctx, err)
			}
			if errors.Is(err, io.EOF) {
				return finish, a.protocolError(200, "stream ended without [DONE]")
			}
			return finish, a.protocolError(200, "read stream: %v", err)
		}
		if bytes.Equal(data, doneMarker) {
			return finish, nil
		}
		c = streamChunk{} // reused across chunks so it is allocated once
		if err := fastjson.Unmarshal(data, &c); err != nil {
			return finish, a.protocolError(200, "malformed stream chunk: %v", err)
		}
		if c.Error != nil {
			return finish, a.streamError(c.Error)
		}
		if event == "error" {
			var eb errorBody
			_ = json.Unmarshal(data, &eb)
			we := wireError{Message: eb.Message, Type: eb.Type, Code: eb.Code}
			if we.Message == "" {
				we.Message = flexString(data)
			}
			return finish, a.streamError(&we)
		}
		for i := range c.Choices {
			ch := &c.Choices[i]
			if ch.Index != 0 {
				continue // n is never set, so only choice 0 exists
			}
			d := &ch.Delta
			if r := d.ReasoningContent + d.Reasoning; r != "" {
				if err := emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_ReasoningDelta{ReasoningDelta: &mcpv1.TextDelta{Text: r}}}); err != nil {
					return finish, err
				}
			}
			if d.Content != nil && *d.Content != "" {
				if err := emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_TextDelta{TextDelta: &mcpv1.TextDelta{Text: *d.Content}}}); err != nil {
					return finish, err
				}
			}
			if d.Refusal != nil && *d.Refusal != "" {
				if err := emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_TextDelta{TextDelta: &mcpv1.TextDelta{Text: *d.Refusal}}}); err != nil {
					return finish, err
				}
				finish.Reason = mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER
			}
			for j := range d.ToolCalls {
				tc := &d.ToolCalls[j]
				idx := last
				switch {
				case tc.Index != nil:
					idx = *tc.Index
				case tc.ID != "" || idx < 0:
					// Servers that omit index send each call whole or
					// start it with its id.
					idx = len(tools)
				}
				if idx < 0 || idx > 1<<10 {
					return finish, a.protocolError(200, "tool call index %d out of range", idx)
				}
				last = idx
				for len(tools) <= idx {
					tools = append(tools, false)
				}
				delta := &mcpv1.ToolCallDelta{Index: int32(idx), ArgumentsDelta: tc.Function.Arguments}
				if !tools[idx] {
					tools[idx] = true
					delta.Id, delta.Name = tc.ID, tc.Function.Name
					if delta.Id == "" {
						delta.Id = "call_" + strconv.Itoa(idx)
					}
				} else if delta.ArgumentsDelta == "" {
					continue
				}
				if err := emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_ToolCallDelta{ToolCallDelta: delta}}); err != nil {
					return finish, err
				}
			}
			if ch.FinishReason != nil && *ch.FinishReason != "" && finish.Reason != mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER {
				finish.Reason = mapFinish(*ch.FinishReason)
				if s := stopString(ch.StopReason); s != "" && finish.Reason == mcpv1.FinishReason_FINISH_REASON_STOP {
					finish.Reason, finish.StopSequence = mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE, s
				}
			}
		}
		if c.Usage != nil {
			if err := emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_Usage{Usage: usageOf(c.Usage)}}); err != nil {
				return finish, err
			}
		}
	}
}

// sseReader reads Server-Sent Events line by line without buffering the
// body: data lines of one event are joined with "\n" and returned at the
// blank line that ends it.
type sseReader struct {
	r     *bufio.Reader
	line  []byte // a line longer than the bufio buffer, assembled
	data  []byte
	event []byte
}

// next returns the next event's name and data. The data is valid until the
// following call.
func (s *sseReader) next() (string, []byte, error) {
	s.data, s.event = s.data[:0], s.event[:0]
	hasData := false
	for {
		line, err := s.readLine()
		if err != nil && !errors.Is(err, io.EOF) {
			return "", nil, err
		}
		switch {
		case len(line) == 0:
			if hasData {
				return string(s.event), s.data, nil
			}
			s.event = s.event[:0]
		case line[0] == ':':
			// A comment, e.g. OpenRouter's ": OPENROUTER PROCESSING".
		default:
			field, value := line, []byte(nil)
			if i := bytes.IndexByte(line, ':'); i >= 0 {
				field, value = line[:i], line[i+1:]
				if len(value) > 0 && value[0] == ' ' {
					value = value[1:]
				}
			}
			switch string(field) {
			case "data":
				if hasData {
					s.data = append(s.data, '\n')
				}
				s.data = append(s.data, value...)
				hasData = true
			case "event":
				s.event = append(s.event[:0], value...)
			}
		}
		if err != nil {
			if hasData {
				// A last event without its blank line: let the caller
				// judge its data.
				return string(s.event), s.data, nil
			}
			return "", nil, err
		}
	}
}

// readLine returns one line without its line ending.
func (s *sseReader) readLine() ([]byte, error) {
	line, err := s.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.line = append(s.line[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = s.r.ReadSlice('\n')
			s.line = append(s.line, line...)
		}
		line = s.line
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line, err
}
