package anthropicapi

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/internal/jsonhttp"
)

// eventStream writes a streamed answer as Anthropic's typed server-sent
// events (§2.3): message_start, then per content block content_block_start,
// its deltas and content_block_stop (indices contiguous from 0), then
// message_delta with the stop reason and cumulative usage, then
// message_stop. Every event's `event:` line equals its JSON type, since the
// SDKs dispatch on the former. A failure after the first byte becomes an
// `event: error` and the stream ends.
//
// Events are assembled by hand: a text delta costs one JSON string escape
// and no reflection.
type eventStream struct {
	w       http.ResponseWriter
	out     *jsonhttp.EventWriter
	router  Router
	req     *mcpv1.Request
	buf     []byte
	started bool
	done    bool

	next       int    // index of the next content block
	open       int    // index of the open block, -1 when none
	openText   bool   // the open block is a text block
	toolBlocks []int  // tool-call index → content block index
	stopSeq    string // the matched stop sequence, if any
	usage      *mcpv1.Usage
}

func (h *Handler) stream(w http.ResponseWriter, r *http.Request, reqID string, req *mcpv1.Request, fields *fieldMap) {
	ctx, out := jsonhttp.NewEventWriter(r.Context(), w)
	s := &eventStream{w: w, out: out, router: h.router, req: req, open: -1}
	err := h.router.DoStream(ctx, req, router.SurfaceAnthropic, s.emit)
	switch {
	case err != nil && !s.started:
		h.writeMappedError(w, reqID, err, fields)
	case err != nil:
		if !s.done && r.Context().Err() == nil {
			_ = s.fail(apierror.Detail(err))
		}
	case !s.done:
		// A stream must never end silently.
		_ = s.fail(apierror.Detail(apierror.Internal(errors.New("stream ended without a finish event"))))
	}
}

func (s *eventStream) emit(ev *mcpv1.StreamEvent) error {
	if s.done {
		return nil
	}
	if !s.started {
		if err := s.begin(ev.GetStart()); err != nil {
			return err
		}
	}
	switch e := ev.GetEvent().(type) {
	case *mcpv1.StreamEvent_TextDelta:
		return s.text(e.TextDelta.GetText())
	case *mcpv1.StreamEvent_ToolCallDelta:
		return s.toolCall(e.ToolCallDelta)
	case *mcpv1.StreamEvent_Usage:
		s.usage = e.Usage
	case *mcpv1.StreamEvent_Finish:
		return s.finish(e.Finish)
	case *mcpv1.StreamEvent_Error:
		return s.fail(e.Error)
	}
	return nil
}

// event starts an SSE event whose name equals its JSON type.
func event(b []byte, typ string) []byte {
	b = append(b, "event: "...)
	b = append(b, typ...)
	b = append(b, "\ndata: {\"type\":\""...)
	b = append(b, typ...)
	return append(b, '"')
}

// begin sends the headers and message_start. The input token count there
// is the router's local estimate; the provider's count arrives with
// message_delta, which the SDKs let override it.
func (s *eventStream) begin(start *mcpv1.StreamStart) error {
	s.started = true
	in, _ := s.router.CountRequestTokens(s.req)
	s.buf = make([]byte, 0, 512)
	b := event(s.buf[:0], "message_start")
	b = append(b, `,"message":{"id":`...)
	b = jsonhttp.AppendString(b, messageID(start.GetId()))
	b = append(b, `,"type":"message","role":"assistant","model":`...)
	b = jsonhttp.AppendString(b, modelName(start.GetModel(), s.req.GetModel()))
	b = append(b, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":`...)
	b = strconv.AppendInt(b, in, 10)
	b = append(b, `,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}`+"\n\n"...)
	jsonhttp.StartEventStream(s.w)
	return s.write(b)
}

func (s *eventStream) write(b []byte) error {
	s.buf = b
	return s.out.Write(b, s.done)
}

// closeBlock appends content_block_stop for the open block, if any.
func (s *eventStream) closeBlock(b []byte) []byte {
	if s.open < 0 {
		return b
	}
	b = event(b, "content_block_stop")
	b = append(b, `,"index":`...)
	b = strconv.AppendInt(b, int64(s.open), 10)
	b = append(b, "}\n\n"...)
	s.open = -1
	return b
}

func (s *eventStream) text(t string) error {
	if t == "" {
		return nil
	}
	b := s.buf[:0]
	if s.open < 0 || !s.openText {
		b = s.closeBlock(b)
		s.open, s.openText = s.next, true
		s.next++
		b = event(b, "content_block_start")
		b = append(b, `,"index":`...)
		b = strconv.AppendInt(b, int64(s.open), 10)
		b = append(b, `,"content_block":{"type":"text","text":""}}`+"\n\n"...)
	}
	b = event(b, "content_block_delta")
	b = append(b, `,"index":`...)
	b = strconv.AppendInt(b, int64(s.open), 10)
	b = append(b, `,"delta":{"type":"text_delta","text":`...)
	b = jsonhttp.AppendString(b, t)
	b = append(b, "}}\n\n"...)
	return s.write(b)
}

// toolCall opens a tool_use block (input {}) on a call's first delta and
// sends argument fragments as input_json_delta. Blocks cannot interleave on
// the wire, so a new block closes the previous one; a late fragment for an
// earlier call (parallel calls streamed interleaved upstream) still goes to
// that call's block index, which is how the SDKs accumulate input.
func (s *eventStream) toolCall(d *mcpv1.ToolCallDelta) error {
	b := s.buf[:0]
	idx := int(d.GetIndex())
	if d.GetId() != "" || d.GetName() != "" {
		b = s.closeBlock(b)
		s.open, s.openText = s.next, false
		s.next++
		for len(s.toolBlocks) <= idx {
			s.toolBlocks = append(s.toolBlocks, -1)
		}
		s.toolBlocks[idx] = s.open
		b = event(b, "content_block_start")
		b = append(b, `,"index":`...)
		b = strconv.AppendInt(b, int64(s.open), 10)
		b = append(b, `,"content_block":{"type":"tool_use","id":`...)
		b = jsonhttp.AppendString(b, d.GetId())
		b = append(b, `,"name":`...)
		b = jsonhttp.AppendString(b, d.GetName())
		b = append(b, `,"input":{}}}`+"\n\n"...)
	}
	if frag := d.GetArgumentsDelta(); frag != "" {
		block := s.open
		if idx < len(s.toolBlocks) && s.toolBlocks[idx] >= 0 {
			block = s.toolBlocks[idx]
		}
		if block < 0 {
			return errors.New("tool-call arguments before the call's first delta")
		}
		b = event(b, "content_block_delta")
		b = append(b, `,"index":`...)
		b = strconv.AppendInt(b, int64(block), 10)
		b = append(b, `,"delta":{"type":"input_json_delta","partial_json":`...)
		b = jsonhttp.AppendString(b, frag)
		b = append(b, "}}\n\n"...)
	}
	if len(b) == 0 {
		return nil
	}
	return s.write(b)
}

// finish closes the open block and sends message_delta (stop reason and the
// final usage, input included) and message_stop.
func (s *eventStream) finish(f *mcpv1.StreamFinish) error {
	s.done = true
	b := s.closeBlock(s.buf[:0])
	b = event(b, "message_delta")
	b = append(b, `,"delta":{"stop_reason":"`...)
	b = append(b, stopReason(f.GetFinishReason())...)
	b = append(b, `","stop_sequence":`...)
	if f.GetFinishReason() == mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE {
		b = jsonhttp.AppendString(b, f.GetStopSequence())
	} else {
		b = append(b, "null"...)
	}
	u := toUsage(s.usage)
	b = append(b, `},"usage":{"input_tokens":`...)
	b = strconv.AppendInt(b, u.InputTokens, 10)
	b = append(b, `,"cache_creation_input_tokens":`...)
	b = strconv.AppendInt(b, u.CacheCreationInputTokens, 10)
	b = append(b, `,"cache_read_input_tokens":`...)
	b = strconv.AppendInt(b, u.CacheReadInputTokens, 10)
	b = append(b, `,"output_tokens":`...)
	b = strconv.AppendInt(b, u.OutputTokens, 10)
	b = append(b, "}}\n\n"...)
	b = event(b, "message_stop")
	b = append(b, "}\n\n"...)
	return s.write(b)
}

// fail ends the stream with an error event. Its type is the one the same
// failure would have as an HTTP error (e.g. overloaded_error for 529).
func (s *eventStream) fail(d *mcpv1.ErrorDetail) error {
	s.done = true
	if !s.started {
		if err := s.begin(nil); err != nil {
			return err
		}
	}
	e := apierror.FromDetail(d)
	b := bytes.NewBuffer(append(s.buf[:0], "event: error\ndata: "...))
	if err := jsonhttp.Encode(b, errorEnvelope{Type: "error", Error: errorBody{Type: errorType(status(e.Class)), Message: errorMessage(e, nil)}}); err != nil {
		return err
	}
	return s.write(append(b.Bytes(), "\n\n"...))
}
