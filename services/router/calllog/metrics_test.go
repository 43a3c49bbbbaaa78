package calllog_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"connectrpc.com/connect"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	"github.com/manifoldgw/manifold/services/internal/server"
	"github.com/manifoldgw/manifold/services/internal/telemetry"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/calllog"
	"github.com/manifoldgw/manifold/services/router/demo"
)

// TestMetrics sends calls through a real router and scrapes /metrics.
func TestMetrics(t *testing.T) {
	m := telemetry.New()
	svc := router.New(router.Config{Catalog: router.Spec{Routes: []*routerv1.Route{
		{Name: "chat", Targets: []*routerv1.Target{{Model: demo.Model}}},
	}}}, discard())
	svc.Use(router.Hooks{Audit: calllog.Metrics(m)})
	shared, err := server.New(server.DefaultConfig(), discard())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(routerv1connect.NewRouterServiceHandler(svc, shared.HandlerOptions()...))
	mux.Handle(telemetry.Path, m.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	rc := routerv1connect.NewRouterServiceClient(http.DefaultClient, srv.URL)
	msg := []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: "hello"}}}}}
	var out int64
	for range 3 {
		res, err := rc.Generate(t.Context(), connect.NewRequest(&routerv1.GenerateRequest{Request: &mcpv1.Request{Model: "chat", Messages: msg}}))
		if err != nil {
			t.Fatalf("Generate: %v", err)
		}
		out += res.Msg.GetResponse().GetUsage().GetOutputTokens()
	}
	if _, err := rc.Generate(t.Context(), connect.NewRequest(&routerv1.GenerateRequest{Request: &mcpv1.Request{Model: "missing", Messages: msg}})); err == nil {
		t.Fatal("Generate(missing model) succeeded")
	}

	res, err := http.Get(srv.URL + telemetry.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	text := string(body)
	for _, want := range []string{
		`manifold_requests_total{error_class="",model="demo",provider="demo",route="chat",status="succeeded",surface="connect"} 3`,
		`manifold_tokens_total{direction="output",model="demo",provider="demo",route="chat"} ` + strconv.FormatInt(out, 10),
		`manifold_request_duration_seconds_count{model="demo",provider="demo",route="chat"} 3`,
		`status="failed",surface="connect"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, grep(text, "manifold_"))
		}
	}
}

func grep(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
