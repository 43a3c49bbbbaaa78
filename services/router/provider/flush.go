package provider

import (
	"context"
	"io"
	"net/http"
)

// A streamed answer reaches the client in bursts: the upstream sends
// several events per network read, and writing each one to the client
// with a flush of its own costs a system call and a packet per event. A
// surface that puts a Flusher on the context lets the upstream's response
// body decide when to flush: FlushingTransport, under the client every
// adapter shares, flushes what the surface wrote just before each read of
// the body, that is, before the adapter could wait for the network. Events
// are never held back while the gateway waits for the upstream; a burst
// goes out in one write. Once the body is closed, the surface flushes event
// by event again (a fallback to the demo provider, a cached answer).
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

// Deferred reports whether an upstream body is being read, which flushes
// before each read, so that the surface need not flush after each event.
func (f *Flusher) Deferred() bool { return f != nil && f.deferred }

// FlushingTransport returns t with the response bodies of requests whose
// context carries a Flusher flushing before each read.
func FlushingTransport(t http.RoundTripper) http.RoundTripper { return flushingTransport{t} }

type flushingTransport struct{ http.RoundTripper }

func (t flushingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.RoundTripper.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	if f, _ := r.Context().Value(flusherKey{}).(*Flusher); f != nil {
		resp.Body = flushingBody{ReadCloser: resp.Body, f: f}
	}
	return resp, nil
}

type flushingBody struct {
	io.ReadCloser
	f *Flusher
}

func (b flushingBody) Read(p []byte) (int, error) {
	b.f.flush()
	b.f.deferred = true
	return b.ReadCloser.Read(p)
}

// Close leaves what is pending to the surface's next write, which flushes
// it: a stream always ends with one.
func (b flushingBody) Close() error {
	b.f.deferred = false
	return b.ReadCloser.Close()
}
