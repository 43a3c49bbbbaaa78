package openaiapi

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"time"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/internal/jsonhttp"
)

// chunkStream writes a streamed answer as chat.completion.chunk server-sent
// events (§1.4): a first chunk with role "assistant" and content "", text and
// tool-call deltas, finish_reason on a chunk with an empty delta, the usage
// chunk with empty choices when include_usage is on, then data: [DONE]. A
// failure after the first byte becomes a data: {"error":…} event and the
// stream ends without [DONE], so SDKs raise it instead of returning a
// truncated answer.
//
// Chunks are assembled by hand around a precomputed prefix holding the id,
// created time and model, which every chunk repeats: the hot path (a text
// delta) costs one JSON string escape and no reflection.
type chunkStream struct {
	w            http.ResponseWriter
	out          *jsonhttp.EventWriter
	requested    string
	includeUsage bool

	buf     []byte
	prefix  []byte // `data: {"id":…,"model":…,"choices":`
	suffix  string // closes a chunk: `}` or `,"usage":null}` then "\n\n"
	usage   *mcpv1.Usage
	started bool
	done    bool
}

func (h *Handler) stream(w http.ResponseWriter, r *http.Request, req *mcpv1.Request, includeUsage bool) {
	ctx, out := jsonhttp.NewEventWriter(r.Context(), w)
	s := &chunkStream{w: w, out: out, requested: req.GetModel(), includeUsage: includeUsage}
	err := h.router.DoStream(ctx, req, router.SurfaceOpenAI, s.emit)
	switch {
	case err != nil && !s.started:
		h.writeError(w, err)
	case err != nil:
		// The client went away or the context ended mid-stream; tell it if
		// it is still listening.
		if !s.done && r.Context().Err() == nil {
			_ = s.fail(apierror.Detail(err))
		}
	case !s.done:
		// A stream must never end silently.
		_ = s.fail(apierror.Detail(apierror.Internal(errors.New("stream ended without a finish event"))))
	}
}

func (s *chunkStream) emit(ev *mcpv1.StreamEvent) error {
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
		if e.TextDelta.GetText() == "" {
			return nil
		}
		b := s.open()
		b = append(b, `[{"index":0,"delta":{"content":`...)
		b = jsonhttp.AppendString(b, e.TextDelta.GetText())
		b = append(b, `},"logprobs":null,"finish_reason":null}]`...)
		return s.close(b)
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

// begin sends the headers and the role chunk.
func (s *chunkStream) begin(start *mcpv1.StreamStart) error {
	s.started = true
	created := start.GetCreatedAt().GetSeconds()
	if created == 0 {
		created = time.Now().Unix()
	}
	p := make([]byte, 0, 128)
	p = append(p, `data: {"id":`...)
	p = jsonhttp.AppendString(p, completionID(start.GetId()))
	p = append(p, `,"object":"chat.completion.chunk","created":`...)
	p = strconv.AppendInt(p, created, 10)
	p = append(p, `,"model":`...)
	p = jsonhttp.AppendString(p, modelName(start.GetModel(), s.requested))
	p = append(p, `,"choices":`...)
	s.prefix = p
	s.suffix = "}\n\n"
	if s.includeUsage {
		s.suffix = `,"usage":null}` + "\n\n"
	}
	s.buf = make([]byte, 0, 512)
	jsonhttp.StartEventStream(s.w)
	b := s.open()
	b = append(b, `[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]`...)
	return s.close(b)
}

func (s *chunkStream) open() []byte { return append(s.buf[:0], s.prefix...) }

// close ends the chunk in b, writes and flushes it.
func (s *chunkStream) close(b []byte) error {
	b = append(b, s.suffix...)
	return s.write(b)
}

func (s *chunkStream) write(b []byte) error {
	s.buf = b
	return s.out.Write(b, s.done)
}

// toolCall writes a tool-call delta. The first delta of a call carries its
// id, type, name and empty arguments (the SDK's stream helper rejects a call
// whose type never arrives); argument fragments follow in their own chunks.
func (s *chunkStream) toolCall(d *mcpv1.ToolCallDelta) error {
	if d.GetId() != "" || d.GetName() != "" {
		b := s.open()
		b = append(b, `[{"index":0,"delta":{"tool_calls":[{"index":`...)
		b = strconv.AppendInt(b, int64(d.GetIndex()), 10)
		b = append(b, `,"id":`...)
		b = jsonhttp.AppendString(b, d.GetId())
		b = append(b, `,"type":"function","function":{"name":`...)
		b = jsonhttp.AppendString(b, d.GetName())
		b = append(b, `,"arguments":""}}]},"logprobs":null,"finish_reason":null}]`...)
		if err := s.close(b); err != nil {
			return err
		}
	}
	if d.GetArgumentsDelta() == "" {
		return nil
	}
	b := s.open()
	b = append(b, `[{"index":0,"delta":{"tool_calls":[{"index":`...)
	b = strconv.AppendInt(b, int64(d.GetIndex()), 10)
	b = append(b, `,"function":{"arguments":`...)
	b = jsonhttp.AppendString(b, d.GetArgumentsDelta())
	b = append(b, `}}]},"logprobs":null,"finish_reason":null}]`...)
	return s.close(b)
}

func (s *chunkStream) finish(f *mcpv1.StreamFinish) error {
	s.done = true
	b := s.open()
	b = append(b, `[{"index":0,"delta":{},"logprobs":null,"finish_reason":"`...)
	b = append(b, finishReason(f.GetFinishReason())...)
	b = append(b, `"}]`...)
	b = append(b, s.suffix...)
	if s.includeUsage {
		b = append(b, s.prefix...)
		b = append(b, `[],"usage":`...)
		ub := bytes.NewBuffer(b)
		if err := jsonhttp.Encode(ub, toUsage(s.usage)); err != nil {
			return err
		}
		b = append(ub.Bytes(), "}\n\n"...)
	}
	b = append(b, "data: [DONE]\n\n"...)
	return s.write(b)
}

// fail ends the stream with an error event and no [DONE].
func (s *chunkStream) fail(d *mcpv1.ErrorDetail) error {
	s.done = true
	if !s.started {
		if err := s.begin(nil); err != nil {
			return err
		}
	}
	ub := bytes.NewBuffer(append(s.buf[:0], "data: "...))
	if err := jsonhttp.Encode(ub, errorEnvelope{Error: body(apierror.FromDetail(d))}); err != nil {
		return err
	}
	return s.write(append(ub.Bytes(), "\n\n"...))
}
