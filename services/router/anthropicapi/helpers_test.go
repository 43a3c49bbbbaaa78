package anthropicapi_test

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
	"github.com/manifoldgw/manifold/services/router/anthropicapi"
)

// maxBody is the test server's body limit, enforced like the real server
// does with http.MaxBytesHandler.
const maxBody = 64 << 10

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func demoRouter() *router.Service {
	return router.New(router.Config{DemoTokenDelay: 0}, discard())
}

func serve(t testing.TB, r anthropicapi.Router) *httptest.Server {
	t.Helper()
	h := anthropicapi.New(r, discard())
	mux := http.NewServeMux()
	for _, p := range anthropicapi.Patterns {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(http.MaxBytesHandler(mux, maxBody))
	t.Cleanup(srv.Close)
	return srv
}

// post sends body with the headers the Anthropic SDK sends.
func post(t testing.TB, srv *httptest.Server, path, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", "sk-ant-test")
	req.Header.Set("Anthropic-Version", "2023-06-01")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.Header.Get("Request-Id") == "" {
		t.Errorf("POST %s: no request-id header", path)
	}
	return res, b
}

// sseEvent is one parsed server-sent event.
type sseEvent struct {
	name string
	data json.RawMessage
	typ  string
}

// sseEvents parses an Anthropic event stream strictly: every event is an
// "event: " line, one "data: " line and a blank line, and the event name
// equals the JSON type.
func sseEvents(t *testing.T, body []byte) []sseEvent {
	t.Helper()
	var out []sseEvent
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, ok := strings.CutPrefix(sc.Text(), "event: ")
		if !ok {
			t.Fatalf("line %q, want an event line", sc.Text())
		}
		if !sc.Scan() {
			t.Fatalf("event %s without data", name)
		}
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			t.Fatalf("line %q after event %s, want a data line", sc.Text(), name)
		}
		if !sc.Scan() || sc.Text() != "" {
			t.Fatalf("event %s not closed by a blank line", name)
		}
		var v struct{ Type string }
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			t.Fatalf("event %s data %s: %v", name, data, err)
		}
		if v.Type != name {
			t.Fatalf("event: %s carries JSON type %q", name, v.Type)
		}
		out = append(out, sseEvent{name: name, data: json.RawMessage(data), typ: v.Type})
	}
	return out
}

type errorEnvelope struct {
	Type  string `json:"type"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
	RequestID string `json:"request_id"`
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

func (f *fakeRouter) CountRequestTokens(*mcpv1.Request) (int64, error) { return 7, nil }

func (f *fakeRouter) ModelsFor(context.Context) ([]*routerv1.Model, error) { return nil, nil }
