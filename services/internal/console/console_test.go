package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/manifoldgw/manifold/services/internal/console"
)

// serve mounts h as app.go does and sends one request to it.
func serve(t *testing.T, h http.Handler, method, target string) *http.Response {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(console.Prefix, h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var built = fstest.MapFS{
	"index.html":            {Data: []byte("<!doctype html><title>Manifold</title>")},
	"assets/index-abc1.js":  {Data: []byte("console.log(1)")},
	"assets/index-abc1.css": {Data: []byte("body{}")},
	"favicon.svg":           {Data: []byte("<svg/>")},
}

func TestServesBuiltConsole(t *testing.T) {
	h := console.New(built)
	for _, tc := range []struct {
		target, wantType, wantBody, wantCache string
	}{
		{"/console/", "text/html", "<title>Manifold</title>", "no-cache"},
		{"/console/index.html", "text/html", "<title>Manifold</title>", "no-cache"},
		// Pages of the app get index.html: its router reads the path.
		{"/console/keys", "text/html", "<title>Manifold</title>", "no-cache"},
		{"/console/calls/0af3", "text/html", "<title>Manifold</title>", "no-cache"},
		{"/console/assets/index-abc1.js", "text/javascript", "console.log(1)", "immutable"},
		{"/console/assets/index-abc1.css", "text/css", "body{}", "immutable"},
		{"/console/favicon.svg", "image/svg+xml", "<svg/>", "no-cache"},
	} {
		res := serve(t, h, http.MethodGet, tc.target)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", tc.target, res.StatusCode)
			continue
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.wantType) {
			t.Errorf("GET %s: Content-Type %q, want %s", tc.target, ct, tc.wantType)
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, tc.wantCache) {
			t.Errorf("GET %s: Cache-Control %q, want %s", tc.target, cc, tc.wantCache)
		}
		if got := body(t, res); !strings.Contains(got, tc.wantBody) {
			t.Errorf("GET %s: body %q, want %q", tc.target, got, tc.wantBody)
		}
		if res.Header.Get("Content-Security-Policy") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: security headers missing: %v", tc.target, res.Header)
		}
	}
}

func TestMissingAssetIsNotFound(t *testing.T) {
	res := serve(t, console.New(built), http.MethodGet, "/console/assets/index-old.js")
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404 (never index.html for a missing bundle)", res.StatusCode)
	}
}

func TestBarePrefixRedirects(t *testing.T) {
	res := serve(t, console.New(built), http.MethodGet, "/console")
	if res.StatusCode/100 != 3 || res.Header.Get("Location") != "/console/" {
		t.Fatalf("GET /console: status %d, Location %q; want a redirect to /console/", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestOnlyReads(t *testing.T) {
	res := serve(t, console.New(built), http.MethodPost, "/console/keys")
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST: status %d, Allow %q; want 405 with GET, HEAD", res.StatusCode, res.Header.Get("Allow"))
	}
}

// A clone where `make web` has not run embeds only dist/README.txt.
func TestNotBuilt(t *testing.T) {
	h := console.New(fstest.MapFS{"README.txt": {Data: []byte("run make web")}})
	for _, target := range []string{"/console/", "/console/keys", "/console/README.txt"} {
		res := serve(t, h, http.MethodGet, target)
		if got := body(t, res); res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(got, "console not built: run make web") {
			t.Errorf("GET %s: status %d %q, want 503 saying to run make web", target, res.StatusCode, got)
		}
	}
}

// The embedded console answers whether or not it was built.
func TestEmbedded(t *testing.T) {
	res := serve(t, console.Handler(), http.MethodGet, "/console/")
	got := body(t, res)
	switch res.StatusCode {
	case http.StatusOK:
		if !strings.Contains(got, `<div id="app">`) {
			t.Fatalf("embedded index.html is not the console's: %q", got)
		}
	case http.StatusServiceUnavailable:
		if !strings.Contains(got, "run make web") {
			t.Fatalf("503 without the hint: %q", got)
		}
	default:
		t.Fatalf("status %d", res.StatusCode)
	}
}
