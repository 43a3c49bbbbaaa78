// Package jsonhttp holds the plumbing shared by the router's JSON-over-HTTP
// surfaces (the OpenAI- and Anthropic-compatible APIs): pooled request and
// response buffers, JSON string encoding without reflection for the
// streaming hot path, request ids and retry headers.
package jsonhttp

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// maxPooled keeps huge one-off buffers (a 30 MB image upload) out of the
// pool, so memory returns to the runtime after a burst.
const maxPooled = 1 << 20

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// GetBuffer returns an empty buffer from the pool.
func GetBuffer() *bytes.Buffer {
	b := buffers.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

// PutBuffer returns b to the pool. b must not be used afterwards.
func PutBuffer(b *bytes.Buffer) {
	if b == nil || b.Cap() > maxPooled {
		return
	}
	buffers.Put(b)
}

// ReadBody reads the whole request body into a pooled buffer, which the
// caller returns with PutBuffer. A body over the server's limit yields an
// error wrapping *http.MaxBytesError; see TooLarge.
func ReadBody(r *http.Request) (*bytes.Buffer, error) {
	b := GetBuffer()
	if r.ContentLength > 0 && r.ContentLength < maxPooled {
		b.Grow(int(r.ContentLength))
	}
	if _, err := b.ReadFrom(r.Body); err != nil {
		PutBuffer(b)
		return nil, fmt.Errorf("read request body: %w", err)
	}
	return b, nil
}

// TooLarge reports whether err came from a body over the size limit, and
// the limit.
func TooLarge(err error) (int64, bool) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return mbe.Limit, true
	}
	return 0, false
}

// Encode appends the JSON encoding of v to b without the trailing newline
// json.Encoder adds (a newline inside an SSE data line would end it) and
// without HTML escaping (the APIs being mirrored do not escape).
func Encode(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	b.Truncate(b.Len() - 1)
	return nil
}

// WriteJSON writes v as a JSON response with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	b := GetBuffer()
	defer PutBuffer(b)
	if err := Encode(b, v); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	_, err := w.Write(b.Bytes())
	return err
}

// StartEventStream writes the headers of a server-sent-event response.
func StartEventStream(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	// Reverse proxies such as nginx buffer responses unless told not to.
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
}

// NewID returns prefix followed by 24 random hex digits.
func NewID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, len(prefix)+24)
	copy(out, prefix)
	hex.Encode(out[len(prefix):], b[:])
	return string(out)
}

// SetRetryAfter sets retry-after (whole seconds, rounded up) and
// retry-after-ms, which the OpenAI and Anthropic SDKs honour before their
// own backoff.
func SetRetryAfter(h http.Header, d time.Duration) {
	if d <= 0 {
		return
	}
	secs := (d + time.Second - 1) / time.Second
	h.Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	h.Set("Retry-After-Ms", strconv.FormatInt(d.Milliseconds(), 10))
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string literal, as encoding/json would
// (without HTML escaping): quotes, backslashes and control characters are
// escaped, invalid UTF-8 becomes U+FFFD, and U+2028/U+2029 are escaped so
// the output is also valid JavaScript.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
