package jsonhttp_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/manifoldgw/manifold/services/router/internal/jsonhttp"
)

var strings = []string{
	"", "plain", `quote " and \ backslash`, "new\nline\ttab\rcr", "\x00\x01\x1f\x7f",
	"<html> & 'single'", "héllo wörld 日本語 👋🏽", "bad \xff utf8 \xc3", "line\u2028sep\u2029para",
}

// want is encoding/json's encoding without HTML escaping.
func want(t testing.TB, s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func TestAppendString(t *testing.T) {
	for _, s := range strings {
		if got, want := string(jsonhttp.AppendString(nil, s)), want(t, s); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range strings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := jsonhttp.AppendString(nil, s)
		if want := want(t, s); string(got) != want {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("AppendString(%q) = %s is not JSON: %v", s, got, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("round trip of %q gave %q", s, back)
		}
	})
}

func TestEncodeHasNoNewline(t *testing.T) {
	var b bytes.Buffer
	if err := jsonhttp.Encode(&b, map[string]string{"a": "<b>"}); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != `{"a":"<b>"}` {
		t.Errorf("Encode = %q", got)
	}
}

func TestSetRetryAfter(t *testing.T) {
	h := http.Header{}
	jsonhttp.SetRetryAfter(h, 1200*time.Millisecond)
	if h.Get("Retry-After") != "2" || h.Get("Retry-After-Ms") != "1200" {
		t.Errorf("headers %v", h)
	}
	h = http.Header{}
	jsonhttp.SetRetryAfter(h, 0)
	if len(h) != 0 {
		t.Errorf("zero delay set headers %v", h)
	}
}
