package bedrock

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	fastjson "github.com/goccy/go-json"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// maxFrame bounds one eventstream frame (AWS caps them at 16 MiB of payload
// plus headers); a larger declared length is a corrupt stream.
const maxFrame = 24 << 20

// exceptionStatus is the HTTP status Bedrock's model gives each stream
// exception; it is reported as the upstream status.
var exceptionStatus = map[string]int{
	"validationException":         http.StatusBadRequest,
	"throttlingException":         http.StatusTooManyRequests,
	"modelStreamErrorException":   http.StatusFailedDependency,
	"internalServerException":     http.StatusInternalServerError,
	"serviceUnavailableException": http.StatusServiceUnavailable,
}

// Stream calls ConverseStream and relays its events. The stream is complete
// when messageStop and then metadata (the usage) have arrived and the body
// ends on a frame boundary.
func (a *Adapter) Stream(ctx context.Context, call *provider.Call, emit func(*mcpv1.StreamEvent) error) (provider.Finish, error) {
	t, err := translate(call.Request)
	if err != nil {
		return provider.Finish{}, a.tag(err)
	}
	resp, err := a.send(ctx, call.Model, call.Credential, "converse-stream", "application/vnd.amazon.eventstream", &t.body)
	if err != nil {
		return provider.Finish{}, err
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/vnd.amazon.eventstream") {
		drain(resp.Body)
		return provider.Finish{}, a.protocolError(resp.StatusCode, "Bedrock stream answered with content type %q", ct)
	}
	s := streamState{a: a, t: t, emit: emit}
	return s.read(ctx, resp.Body)
}

// countingReader counts bytes so a body that ends inside a frame can be
// told from one that ends between frames: the eventstream decoder reports
// io.EOF for both when the cut falls just before a CRC.
type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// block is a toolUse content block: a real tool call (numbered among the
// answer's calls) or the JSON output tool, whose input is answer text.
type block struct {
	json bool
	tool int32
}

type streamState struct {
	a    *Adapter
	t    *translated
	emit func(*mcpv1.StreamEvent) error

	ev        streamEvent
	blocks    map[int]block
	tools     int32
	finish    provider.Finish
	stopped   bool
	metadata  bool
	realCalls bool
}

func (s *streamState) read(ctx context.Context, body io.Reader) (provider.Finish, error) {
	br := bufio.NewReaderSize(body, 16<<10)
	cr := &countingReader{r: br}
	dec := eventstream.NewDecoder()
	var buf []byte
	for {
		if head, err := br.Peek(4); err == nil {
			if n := binary.BigEndian.Uint32(head); n < 16 || n > maxFrame {
				return provider.Finish{}, s.a.protocolError(http.StatusOK, "Bedrock stream frame declares %d bytes", n)
			}
		}
		start := cr.n
		msg, err := dec.Decode(cr, buf)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return provider.Finish{}, s.a.transportError(ctxErr)
			}
			if errors.Is(err, io.EOF) && cr.n == start {
				break
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return provider.Finish{}, s.a.protocolError(http.StatusOK, "Bedrock stream ended inside a frame")
			}
			var ce eventstream.ChecksumError
			if errors.As(err, &ce) {
				return provider.Finish{}, s.a.protocolError(http.StatusOK, "Bedrock stream frame failed its CRC check")
			}
			return provider.Finish{}, s.a.protocolError(http.StatusOK, "read Bedrock stream: %v", err)
		}
		buf = msg.Payload[:0]
		if err := s.handle(msg); err != nil {
			return provider.Finish{}, err
		}
	}
	if !s.stopped {
		return provider.Finish{}, s.a.protocolError(http.StatusOK, "Bedrock stream ended before messageStop")
	}
	if !s.metadata {
		return provider.Finish{}, s.a.protocolError(http.StatusOK, "Bedrock stream ended before its metadata (usage)")
	}
	return s.finish, nil
}

func header(m eventstream.Message, name string) string {
	if v, ok := m.Headers.Get(name).(eventstream.StringValue); ok {
		return string(v)
	}
	return ""
}

func (s *streamState) handle(m eventstream.Message) error {
	switch header(m, ":message-type") {
	case "event":
	case "exception":
		typ := header(m, ":exception-type")
		var body errorBody
		_ = json.Unmarshal(m.Payload, &body)
		msg := body.Message
		if msg == "" {
			msg = body.MessageUpper
		}
		status := exceptionStatus[typ]
		return &apierror.Error{
			Class:          classify(typ, status, msg),
			Message:        "Bedrock " + typ + ": " + msg,
			Provider:       s.a.name,
			UpstreamStatus: status,
		}
	case "error":
		return &apierror.Error{
			Class:          mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE,
			Message:        "Bedrock stream error " + header(m, ":error-code") + ": " + header(m, ":error-message"),
			Provider:       s.a.name,
			UpstreamStatus: http.StatusOK,
		}
	default:
		return s.a.protocolError(http.StatusOK, "Bedrock stream frame has message type %q", header(m, ":message-type"))
	}
	typ := header(m, ":event-type")
	s.ev = streamEvent{}
	ev := &s.ev
	if err := fastjson.Unmarshal(m.Payload, ev); err != nil {
		return s.a.protocolError(http.StatusOK, "decode Bedrock %s event: %v", typ, err)
	}
	switch typ {
	case "contentBlockStart":
		tu := ev.Start.ToolUse
		if tu == nil {
			return nil
		}
		if s.blocks == nil {
			s.blocks = make(map[int]block, 2)
		}
		if s.t.jsonTool && tu.Name == jsonToolName {
			s.blocks[ev.ContentBlockIndex] = block{json: true}
			return nil
		}
		idx := s.tools
		s.tools++
		s.realCalls = true
		s.blocks[ev.ContentBlockIndex] = block{tool: idx}
		return s.emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_ToolCallDelta{ToolCallDelta: &mcpv1.ToolCallDelta{
			Index: idx, Id: tu.ToolUseID, Name: s.t.originalName(tu.Name),
		}}})
	case "contentBlockDelta":
		d := &ev.Delta
		switch {
		case d.Text != "":
			return s.emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_TextDelta{TextDelta: &mcpv1.TextDelta{Text: d.Text}}})
		case d.ToolUse.Input != "":
			b, ok := s.blocks[ev.ContentBlockIndex]
			if !ok {
				return s.a.protocolError(http.StatusOK, "Bedrock sent tool input for block %d before its contentBlockStart", ev.ContentBlockIndex)
			}
			if b.json {
				return s.emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_TextDelta{TextDelta: &mcpv1.TextDelta{Text: d.ToolUse.Input}}})
			}
			return s.emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_ToolCallDelta{ToolCallDelta: &mcpv1.ToolCallDelta{
				Index: b.tool, ArgumentsDelta: d.ToolUse.Input,
			}}})
		case d.ReasoningContent.Text != "":
			return s.emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_ReasoningDelta{ReasoningDelta: &mcpv1.TextDelta{Text: d.ReasoningContent.Text}}})
		}
		// An empty delta, a reasoning signature or redacted reasoning.
	case "messageStop":
		s.stopped = true
		s.finish.Reason, s.finish.StopSequence = s.t.finish(ev.StopReason, s.realCalls, ev.AdditionalFields.StopSequence)
	case "metadata":
		if !s.stopped {
			return s.a.protocolError(http.StatusOK, "Bedrock sent metadata before messageStop")
		}
		s.metadata = true
		return s.emit(&mcpv1.StreamEvent{Event: &mcpv1.StreamEvent_Usage{Usage: mapUsage(ev.Usage)}})
	}
	// messageStart, contentBlockStop and events newer than this adapter
	// carry nothing to relay.
	return nil
}
