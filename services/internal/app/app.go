package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	"github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1/promptsv1connect"
	"github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	"github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1/workflowsv1connect"
	"github.com/manifoldgw/manifold/services/audit"
	auditstore "github.com/manifoldgw/manifold/services/audit/store"
	"github.com/manifoldgw/manifold/services/internal/access"
	"github.com/manifoldgw/manifold/services/internal/console"
	"github.com/manifoldgw/manifold/services/internal/dial"
	"github.com/manifoldgw/manifold/services/internal/discovery"
	"github.com/manifoldgw/manifold/services/internal/server"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/internal/telemetry"
	"github.com/manifoldgw/manifold/services/keyvault"
	"github.com/manifoldgw/manifold/services/prompts"
	promptstore "github.com/manifoldgw/manifold/services/prompts/store"
	"github.com/manifoldgw/manifold/services/quota"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/anthropicapi"
	"github.com/manifoldgw/manifold/services/router/calllog"
	"github.com/manifoldgw/manifold/services/router/keycache"
	"github.com/manifoldgw/manifold/services/router/openaiapi"
	"github.com/manifoldgw/manifold/services/router/promptapi"
	"github.com/manifoldgw/manifold/services/router/promptcache"
	"github.com/manifoldgw/manifold/services/router/quotalease"
	"github.com/manifoldgw/manifold/services/workflows"
)

// deps is what a module's init may use.
type deps struct {
	ctx context.Context
	// flush ends once the server has drained the requests from outside the
	// process, before in-process connections close: the work that flushes
	// to this process's services as it stops (call log, quota settlements
	// and leases, admin actions) runs on it, so that it still reaches them.
	flush  context.Context
	err    error // set by an init that failed
	cfg    Config
	logger *slog.Logger
	server *server.Server
	db     *storage.DB
	// stopped are waited for after the server stops (background work that
	// finishes on ctx's end, such as flushing the call log).
	stopped []<-chan struct{}
	// names are the services this process runs.
	names []string
	// discovery finds the services of other processes in Consul (split
	// mode); nil without consul.addr.
	discovery *discovery.Registry
}

// target is where this process's clients reach service name: addr when
// configured, else this process when it runs the service, else the
// service's healthy instances in Consul when discovery is on, else this
// process.
// Calls carry the internal token unless they send a key of their own, and
// the caller's trace context.
func (d *deps) target(name, addr string) dial.Target {
	var t dial.Target
	switch {
	case addr != "":
		t = dial.Remote(addr)
	case d.discovery != nil && !slices.Contains(d.names, name):
		t = d.discovery.Target(d.ctx, name)
	default:
		t = d.server.InProcess()
	}
	return dial.Traced(dial.WithToken(t, d.cfg.KeyVault.InternalToken))
}

// module builds one service and mounts it on the server.
type module struct {
	name string
	init func(d *deps) error
}

// modules is the component graph, in start order.
var modules = []module{
	{name: "keyvault", init: mount(keyvaultv1connect.KeyVaultServiceName, func(d *deps) (string, http.Handler) {
		svc, err := keyvault.New(d.ctx, d.cfg.KeyVault.WithDataDir(d.cfg.Storage.DataDir), d.db, d.logger.With("service", "keyvault"))
		if err != nil {
			d.err = fmt.Errorf("key vault: %w", err)
			return "", nil
		}
		return svc.Handler(d.server.HandlerOptions()...)
	})},
	{name: "quota", init: mount(quotav1connect.QuotaServiceName, func(d *deps) (string, http.Handler) {
		svc, err := quota.Open(d.ctx, d.cfg.Quota, d.db, d.logger.With("service", "quota"))
		if err != nil {
			d.err = err
			return "", nil
		}
		// Budget alerts also go to the audit log, beside the API.
		auditTarget := d.target("audit", d.cfg.CallLog.AuditAddr)
		go svc.ForwardAlerts(d.ctx, auditv1connect.NewAuditServiceClient(auditTarget.Client, auditTarget.BaseURL), time.Second)
		return quotav1connect.NewQuotaServiceHandler(svc, d.server.HandlerOptions()...)
	})},
	{name: "prompts", init: mount(promptsv1connect.PromptServiceName, func(d *deps) (string, http.Handler) {
		if err := d.db.Migrate(d.ctx, promptstore.Migrations()); err != nil {
			d.err = fmt.Errorf("migrate prompts: %w", err)
		}
		svc := prompts.New(d.cfg.Prompts, d.db, d.logger.With("service", "prompts"))
		return promptsv1connect.NewPromptServiceHandler(svc, d.server.HandlerOptions()...)
	})},
	{name: "audit", init: mount(auditv1connect.AuditServiceName, func(d *deps) (string, http.Handler) {
		if err := d.db.Migrate(d.ctx, auditstore.Migrations()); err != nil {
			d.err = fmt.Errorf("migrate audit: %w", err)
		}
		svc := audit.New(d.cfg.Audit, auditstore.New(d.db), d.logger.With("service", "audit"))
		go svc.RunRetention(d.ctx, time.Hour)
		return auditv1connect.NewAuditServiceHandler(svc, d.server.HandlerOptions()...)
	})},
	{name: "router", init: mount(routerv1connect.RouterServiceName, func(d *deps) (string, http.Handler) {
		svc := router.New(d.cfg.Router, d.logger.With("service", "router"))
		if err := svc.Attach(d.ctx, d.db.Documents()); err != nil {
			d.err = err
		}
		// The OpenAI- and Anthropic-compatible HTTP surfaces share the listener.
		openai := svc.AuthenticateHTTP(openaiapi.New(svc, d.logger.With("service", "router", "surface", "openai")))
		for _, p := range openaiapi.Patterns {
			if !slices.Contains(anthropicapi.ModelPatterns, p) {
				d.server.Handle(p, openai)
			}
		}
		anthropic := svc.AuthenticateHTTP(anthropicapi.New(svc, d.logger.With("service", "router", "surface", "anthropic")))
		for _, p := range anthropicapi.Patterns {
			d.server.Handle(p, anthropic)
		}
		// Both APIs list models at /v1/models; Anthropic's clients say
		// which they are.
		models := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if anthropicapi.IsAnthropic(r) {
				anthropic.ServeHTTP(w, r)
				return
			}
			openai.ServeHTTP(w, r)
		})
		for _, p := range anthropicapi.ModelPatterns {
			d.server.Handle(p, models)
		}
		// Callers and vault-held provider credentials come from a local
		// cache fed by the key vault's watch.
		vaultTarget := d.target("keyvault", d.cfg.KeyVault.Addr)
		keyCache := keycache.New(vaultTarget, d.cfg.KeyVault.InternalToken, d.logger.With("service", "router", "component", "keycache"))
		go keyCache.Run(d.ctx)
		svc.Use(router.Hooks{Credentials: keyCache})
		if d.cfg.KeyVault.AuthRequired {
			svc.Use(router.Hooks{Auth: keyCache})
		}
		// Prompts render from a local cache fed by the registry's watch;
		// published prompts are served at /apis/{slug}.
		promptCache := promptcache.New(d.target("prompts", d.cfg.PromptsAddr), d.logger.With("service", "router", "component", "promptcache"))
		go promptCache.Run(d.ctx)
		svc.Use(router.Hooks{Prompts: promptCache})
		// Budgets and rate limits admit calls from leases of the quota
		// service, settled in batches; leases are returned on shutdown.
		// Settlements the quota service cannot take at shutdown wait in a
		// spool under the data directory for the next start.
		leaseCfg := quotalease.DefaultConfig("router-" + strings.ToLower(rand.Text())[:12])
		leaseCfg.SpoolDir = filepath.Join(d.cfg.Storage.DataDir, "quota-spool")
		leaseCfg.FailOpen = d.cfg.Quota.FailOpen
		leases := quotalease.New(d.target("quota", d.cfg.Quota.Addr), leaseCfg, d.logger.With("service", "router", "component", "quotalease"))
		leasesDone := make(chan struct{})
		go func() { defer close(leasesDone); leases.Run(d.flush) }()
		d.stopped = append(d.stopped, leasesDone)
		svc.Use(router.Hooks{Quota: leases})
		// The call log: batched to the audit service, spooled to disk when
		// it cannot take it, flushed on shutdown.
		logCfg := d.cfg.CallLog
		if logCfg.SpoolDir == "" {
			logCfg.SpoolDir = filepath.Join(d.cfg.Storage.DataDir, "calllog-spool")
		}
		auditTarget := d.target("audit", logCfg.AuditAddr)
		// Prometheus metrics are counted from the same records.
		metrics := telemetry.New()
		d.server.Handle(telemetry.Path, metrics.Handler())
		callLog, err := calllog.New(logCfg, auditTarget, calllog.RoutePolicy(svc), d.logger.With("service", "router", "component", "calllog"))
		if err != nil {
			d.err = fmt.Errorf("call log: %w", err)
		} else {
			go callLog.Run(d.flush)
			d.stopped = append(d.stopped, callLog.Done())
			svc.Use(router.Hooks{Audit: calllog.Tee(callLog, calllog.Metrics(metrics), calllog.Traces())})
		}
		d.server.Handle(promptapi.Pattern, promptapi.New(svc, promptCache, d.cfg.Prompts.PublicURL, d.logger.With("service", "router", "surface", "prompt_api")))
		return routerv1connect.NewRouterServiceHandler(svc, d.server.HandlerOptions()...)
	})},
	{name: "workflows", init: mount(workflowsv1connect.WorkflowServiceName, func(d *deps) (string, http.Handler) {
		// Runs execute on a Temporal worker in this process; their model
		// calls go through the router in-process, so keys, quotas, prompts
		// and the call log apply.
		cfg := d.cfg.Workflows
		cfg.DataDir = d.cfg.Storage.DataDir
		cfg.KeysRequired = d.cfg.KeyVault.AuthRequired
		svc, done, err := workflows.Start(d.ctx, cfg, workflows.Deps{
			DB: d.db, Router: d.target("router", ""), KeyVault: d.target("keyvault", d.cfg.KeyVault.Addr),
			Audit:         d.target("audit", d.cfg.CallLog.AuditAddr),
			InternalToken: d.cfg.KeyVault.InternalToken, Logger: d.logger.With("service", "workflows"),
		})
		if err != nil {
			d.err = fmt.Errorf("workflows: %w", err)
			return "", nil
		}
		d.stopped = append(d.stopped, done)
		return workflowsv1connect.NewWorkflowServiceHandler(svc, d.server.HandlerOptions()...)
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
	names := cfg.Services.Resolve()
	if cfg.KeyVault.InternalToken == "" {
		// All in one process: the services share a random identity.
		cfg.KeyVault.InternalToken = access.NewToken()
	}
	flush, stopFlush := context.WithCancel(context.WithoutCancel(ctx))
	defer stopFlush()
	d := &deps{ctx: ctx, flush: flush, cfg: cfg, logger: logger, server: srv, db: db, names: names}
	srv.OnDrained(func() {
		stopFlush()
		for _, done := range d.stopped {
			<-done
		}
	})
	if cfg.Consul.Addr != "" {
		if d.discovery, err = discovery.New(cfg.Consul, logger.With("component", "discovery")); err != nil {
			return err
		}
	}
	guard(d)
	// The web console (built by make web) talks Connect to this listener.
	srv.Handle(console.Prefix, console.Handler())
	// health maps each service run here to the gRPC health name Consul
	// checks: the Connect service its module registered.
	health := map[string]string{}
	for _, name := range names {
		for _, m := range modules {
			if m.name == name {
				before := len(srv.Services())
				if err := m.init(d); err != nil {
					return fmt.Errorf("start %s: %w", name, err)
				}
				if registered := srv.Services(); len(registered) > before {
					health[name] = registered[before]
				}
			}
		}
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen on addr %s: %w", cfg.Server.Addr, err)
	}
	logger.Info("manifold serving", "addr", ln.Addr().String(), "services", names, "storage", string(db.Driver()))
	var registered []discovery.Registration
	if d.discovery != nil && cfg.Consul.Register {
		host, port, err := cfg.Consul.Advertised(ln.Addr().String())
		if err != nil {
			ln.Close()
			return err
		}
		for _, name := range names {
			reg := discovery.Registration{Name: name, Address: host, Port: port, HealthService: health[name]}
			if err := d.discovery.Register(ctx, reg); err != nil {
				ln.Close()
				deregister(d.discovery, registered, logger)
				return err
			}
			registered = append(registered, reg)
		}
	}
	if ready != nil {
		ready(ln.Addr())
	}
	err = srv.Serve(ctx, ln)
	// Serve returned after draining in-flight requests; only now does the
	// instance leave Consul (its health check already fails, so clients
	// have stopped choosing it).
	deregister(d.discovery, registered, logger)
	stopFlush() // done already, unless serving failed
	for _, done := range d.stopped {
		<-done
	}
	return err
}

// deregister removes this process's services from Consul, bounded in time
// so that an unreachable agent cannot hold up the exit (the instances then
// turn critical and Consul removes them after consul.deregister-critical-after).
func deregister(reg *discovery.Registry, regs []discovery.Registration, logger *slog.Logger) {
	if len(regs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, r := range regs {
		if err := reg.Deregister(ctx, r); err != nil {
			logger.Warn("leaving consul", "error", err)
		}
	}
}
