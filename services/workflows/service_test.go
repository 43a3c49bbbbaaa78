package workflows_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1/workflowsv1connect"
	"github.com/manifoldgw/manifold/services/internal/dial"
	"github.com/manifoldgw/manifold/services/internal/server"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/workflows"
)

// serveWorkflows runs the workflow service in process against a real
// Temporal dev server, behind the shared server's handler options (which
// turn handler errors into Connect errors carrying their class and field,
// as in manifold serve), and returns a client of it. Model calls go to
// routerURL.
func serveWorkflows(t *testing.T, routerURL string, keysRequired bool) workflowsv1connect.WorkflowServiceClient {
	t.Helper()
	temporalAddr := startTemporal(t)
	ctx, cancel := context.WithCancel(context.Background())
	db, err := storage.Open(ctx, storage.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, storage.DocumentsMigrations()); err != nil {
		t.Fatal(err)
	}
	cfg := workflows.DefaultConfig()
	cfg.TemporalAddress, cfg.DataDir, cfg.KeysRequired = temporalAddr, t.TempDir(), keysRequired
	svc, done, err := workflows.Start(ctx, cfg, workflows.Deps{
		DB: db, Router: dial.Target{BaseURL: routerURL, Client: http.DefaultClient},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); <-done; db.Close() })
	shared, err := server.New(server.DefaultConfig(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(workflowsv1connect.NewWorkflowServiceHandler(svc, shared.HandlerOptions()...))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return workflowsv1connect.NewWorkflowServiceClient(http.DefaultClient, srv.URL)
}
