package openaiapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/openaiapi"
)

// maxBody is the test server's body limit, enforced like the real server
// does with http.MaxBytesHandler.
const maxBody = 64 << 10

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// demoRouter is a real router serving the demo model at full speed.
func demoRouter() *router.Service {
	return router.New(router.Config{DemoTokenDelay: 0}, discard())
}

// serve runs the handler behind a real HTTP server, mounted as the app
// mounts it.
func serve(t testing.TB, r openaiapi.Router) *httptest.Server {
	t.Helper()
	h := openaiapi.New(r, discard())
	mux := http.NewServeMux()
	for _, p := range openaiapi.Patterns {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(http.MaxBytesHandler(mux, maxBody))
	t.Cleanup(srv.Close)
	return srv
}

// post sends body as JSON and returns the response with its body read.
func post(t testing.TB, srv *httptest.Server, path, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk-test")
	return do(t, srv, req)
}

func get(t testing.TB, srv *httptest.Server, path string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, srv, req)
}

func do(t testing.TB, srv *httptest.Server, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.Header.Get("X-Request-Id") == "" {
		t.Errorf("%s %s: no x-request-id header", req.Method, req.URL.Path)
	}
	return res, b
}

// sseData parses an OpenAI event stream strictly: every event is exactly
// one "data: " line followed by a blank line, nothing else is allowed.
func sseData(t *testing.T, body []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	expectBlank := false
	for sc.Scan() {
		line := sc.Text()
		if expectBlank {
			if line != "" {
				t.Fatalf("line %q after a data line, want a blank line", line)
			}
			expectBlank = false
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("line %q is not a data line", line)
		}
		out = append(out, data)
		expectBlank = true
	}
	if expectBlank {
		t.Fatalf("stream ends without the blank line closing the last event")
	}
	return out
}

// errorObject decodes an OpenAI error body and checks all four keys exist.
func errorObject(t *testing.T, b []byte) (msg, typ string, param, code *string) {
	t.Helper()
	var env struct {
		Error map[string]json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatalf("error body %s: %v", b, err)
	}
	for _, k := range []string{"message", "type", "param", "code"} {
		if _, ok := env.Error[k]; !ok {
			t.Errorf("error body %s lacks key %q", b, k)
		}
	}
	_ = json.Unmarshal(env.Error["message"], &msg)
	_ = json.Unmarshal(env.Error["type"], &typ)
	_ = json.Unmarshal(env.Error["param"], &param)
	_ = json.Unmarshal(env.Error["code"], &code)
	return msg, typ, param, code
}

// fakeRouter scripts the router for failure cases the demo model cannot
// produce.
type fakeRouter struct {
	do     func(*mcpv1.Request) (*mcpv1.Response, error)
	events []*mcpv1.StreamEvent
}

func (f *fakeRouter) Do(_ context.Context, req *mcpv1.Request, _ router.Surface) (*mcpv1.Response, error) {
	return f.do(req)
}

func (f *fakeRouter) DoStream(_ context.Context, _ *mcpv1.Request, _ router.Surface, emit func(*mcpv1.StreamEvent) error) error {
	for _, ev := range f.events {
		if err := emit(ev); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeRouter) DoEmbed(context.Context, *routerv1.EmbedRequest, router.Surface) (*routerv1.EmbedResponse, error) {
	return &routerv1.EmbedResponse{}, nil
}

func (f *fakeRouter) ModelsFor(context.Context) ([]*routerv1.Model, error) { return nil, nil }
