package provider

import (
	"context"
	"io"
)

// A streamed answer reaches the client in bursts: the upstream sends
// several events per network read, and writing each one to the client
// with a flush of its own costs a system call and a packet per event. A
// surface that puts a Flusher on the context lets the adapter decide when
// to flush: the adapter reads its stream through FlushingReader, which
// flushes what the surface wrote just before each read from the network,
// that is, before the adapter could wait. Events are never held back
// while the gateway waits for the upstream; a burst goes out in one write.
//
// Surface, router and adapter run the stream in one goroutine, so the
// Flusher needs no lock.

type flusherKey struct{}

// Flusher holds a surface's pending flush.
type Flusher struct {
	flush    func()
	deferred bool
}

// WithFlusher returns ctx carrying a Flusher that runs flush, the
// surface's flush of what it has written so far.
func WithFlusher(ctx context.Context, flush func()) (context.Context, *Flusher) {
	f := &Flusher{flush: flush}
	return context.WithValue(ctx, flusherKey{}, f), f
}

// Deferred reports whether an adapter flushes before each network read, so
// that the surface need not flush after each event. It is false for
// answers that come from elsewhere (the demo provider, the response
// cache), which the surface flushes event by event.
func (f *Flusher) Deferred() bool { return f != nil && f.deferred }

// FlushingReader returns body for reading a stream: when ctx carries a
// Flusher, each read from body first flushes what the surface wrote.
func FlushingReader(ctx context.Context, body io.Reader) io.Reader {
	f, _ := ctx.Value(flusherKey{}).(*Flusher)
	if f == nil {
		return body
	}
	f.deferred = true
	return flushingReader{r: body, f: f}
}

type flushingReader struct {
	r io.Reader
	f *Flusher
}

func (r flushingReader) Read(p []byte) (int, error) {
	r.f.flush()
	return r.r.Read(p)
}
