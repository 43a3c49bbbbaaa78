package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	"github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1/promptsv1connect"
	"github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	"github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1/workflowsv1connect"
	"github.com/manifoldgw/manifold/services/audit"
	"github.com/manifoldgw/manifold/services/internal/server"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/keyvault"
	"github.com/manifoldgw/manifold/services/prompts"
	"github.com/manifoldgw/manifold/services/quota"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/workflows"
)

// deps is what a module's init may use.
type deps struct {
	ctx    context.Context
	err    error // set by an init that failed
	cfg    Config
	logger *slog.Logger
	server *server.Server
	db     *storage.DB
}

// module builds one service and mounts it on the server.
type module struct {
	name string
	init func(d *deps) error
}

// modules is the component graph, in start order.
var modules = []module{
	{name: "keyvault", init: mount(keyvaultv1connect.KeyVaultServiceName, func(d *deps) (string, http.Handler) {
		return keyvaultv1connect.NewKeyVaultServiceHandler(keyvault.New(), d.server.HandlerOptions()...)
	})},
	{name: "quota", init: mount(quotav1connect.QuotaServiceName, func(d *deps) (string, http.Handler) {
		return quotav1connect.NewQuotaServiceHandler(quota.New(), d.server.HandlerOptions()...)
	})},
	{name: "prompts", init: mount(promptsv1connect.PromptServiceName, func(d *deps) (string, http.Handler) {
		return promptsv1connect.NewPromptServiceHandler(prompts.New(), d.server.HandlerOptions()...)
	})},
	{name: "audit", init: mount(auditv1connect.AuditServiceName, func(d *deps) (string, http.Handler) {
		return auditv1connect.NewAuditServiceHandler(audit.New(), d.server.HandlerOptions()...)
	})},
	{name: "router", init: mount(routerv1connect.RouterServiceName, func(d *deps) (string, http.Handler) {
		svc := router.New(d.cfg.Router, d.logger.With("service", "router"))
		if err := svc.Attach(d.ctx, d.db.Documents()); err != nil {
			d.err = err
		}
		return routerv1connect.NewRouterServiceHandler(svc, d.server.HandlerOptions()...)
	})},
	{name: "workflows", init: mount(workflowsv1connect.WorkflowServiceName, func(d *deps) (string, http.Handler) {
		return workflowsv1connect.NewWorkflowServiceHandler(workflows.New(), d.server.HandlerOptions()...)
	})},
}

// mount makes a module init that builds a Connect handler and registers it
// under its service name.
func mount(name string, build func(d *deps) (string, http.Handler)) func(d *deps) error {
	return func(d *deps) error {
		path, h := build(d)
		if d.err != nil {
			return d.err
		}
		d.server.RegisterService(name, path, h)
		return nil
	}
}

// Names lists every service name, in start order.
func Names() []string {
	out := make([]string, len(modules))
	for i, m := range modules {
		out[i] = m.name
	}
	return out
}

// Run starts the configured services and serves until ctx ends. ready, if
// not nil, is called with the listening address once requests are accepted.
func Run(ctx context.Context, cfg Config, logger *slog.Logger, ready func(net.Addr)) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	db, err := storage.Open(ctx, cfg.Storage)
	if err != nil {
		return fmt.Errorf("open storage: %w", err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, storage.DocumentsMigrations()); err != nil {
		return fmt.Errorf("migrate storage: %w", err)
	}
	srv, err := server.New(cfg.Server, logger)
	if err != nil {
		return err
	}
	d := &deps{ctx: ctx, cfg: cfg, logger: logger, server: srv, db: db}
	names := cfg.Services.Resolve()
	for _, name := range names {
		for _, m := range modules {
			if m.name == name {
				if err := m.init(d); err != nil {
					return fmt.Errorf("start %s: %w", name, err)
				}
			}
		}
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen on addr %s: %w", cfg.Server.Addr, err)
	}
	logger.Info("manifold serving", "addr", ln.Addr().String(), "services", names, "storage", string(db.Driver()))
	if ready != nil {
		ready(ln.Addr())
	}
	return srv.Serve(ctx, ln)
}
