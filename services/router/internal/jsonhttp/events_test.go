package jsonhttp_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	str "strings"
	"testing"

	"github.com/manifoldgw/manifold/services/router/internal/jsonhttp"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// countingWriter counts flushes and what was written before each.
type countingWriter struct {
	*httptest.ResponseRecorder
	flushed []string
	written str.Builder
}

func (c *countingWriter) Write(b []byte) (int, error) { return c.written.Write(b) }
func (c *countingWriter) Flush()                      { c.flushed = append(c.flushed, c.written.String()) }

// While an upstream body is read through FlushingTransport, the events
// written so far are flushed before each read from it, and no more often;
// without one, every event is flushed as it is written; the last is always
// flushed.
func TestEventWriterFlushes(t *testing.T) {
	t.Run("event by event", func(t *testing.T) {
		w := &countingWriter{ResponseRecorder: httptest.NewRecorder()}
		_, out := jsonhttp.NewEventWriter(t.Context(), w)
		for _, ev := range []string{"a", "b", "c"} {
			if err := out.Write([]byte(ev), ev == "c"); err != nil {
				t.Fatal(err)
			}
		}
		if got := str.Join(w.flushed, "|"); got != "a|ab|abc" {
			t.Errorf("flushes %q, want one per event", got)
		}
	})
	t.Run("before each upstream read", func(t *testing.T) {
		w := &countingWriter{ResponseRecorder: httptest.NewRecorder()}
		ctx, out := jsonhttp.NewEventWriter(t.Context(), w)
		upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "upstream")
		}))
		defer upstream.Close()
		client := &http.Client{Transport: provider.FlushingTransport(http.DefaultTransport)}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, upstream.URL, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body := resp.Body
		buf := make([]byte, 4)
		read := func() {
			if _, err := body.Read(buf); err != nil && err != io.EOF {
				t.Fatal(err)
			}
		}
		read() // nothing written yet: no flush
		_ = out.Write([]byte("a"), false)
		_ = out.Write([]byte("b"), false)
		if len(w.flushed) != 0 {
			t.Fatalf("flushed %q before the next upstream read", w.flushed)
		}
		read()
		_ = out.Write([]byte("c"), false)
		_ = out.Write([]byte("d"), true)
		if got := str.Join(w.flushed, "|"); got != "ab|abcd" {
			t.Errorf("flushes %q, want ab (before the read) then abcd (the end)", got)
		}
	})
}

var _ http.Flusher = (*countingWriter)(nil)
