package jsonhttp

import (
	"context"
	"errors"
	"net/http"

	"github.com/manifoldgw/manifold/services/router/provider"
)

// EventWriter writes a server-sent event stream. Each write reaches the
// client at once, except while an upstream body is read through the
// router's client (provider.FlushingTransport), which flushes before each
// read: then writes wait for that flush, so a burst of upstream events
// leaves in one write, and never wait for the upstream. The last write of
// a stream is always flushed.
type EventWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	f       *provider.Flusher
	pending bool
}

// NewEventWriter returns the writer for w and the context to run the
// stream's model call with.
func NewEventWriter(ctx context.Context, w http.ResponseWriter) (context.Context, *EventWriter) {
	e := &EventWriter{w: w, rc: http.NewResponseController(w)}
	ctx, e.f = provider.WithFlusher(ctx, func() { _ = e.flush() })
	return ctx, e
}

// Write writes b, one or more whole events; last marks the stream's end.
func (e *EventWriter) Write(b []byte, last bool) error {
	if _, err := e.w.Write(b); err != nil {
		return err
	}
	e.pending = true
	if e.f.Deferred() && !last {
		return nil
	}
	return e.flush()
}

func (e *EventWriter) flush() error {
	if !e.pending {
		return nil
	}
	e.pending = false
	if err := e.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
