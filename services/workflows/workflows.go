// Package workflows is the workflow service: chains stored and versioned as
// data, and runs of them as durable Temporal workflows (package chainrun)
// executed by a worker inside this process.
package workflows

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	"github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1/workflowsv1connect"
	"github.com/manifoldgw/manifold/services/internal/access"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/dial"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/workflows/chainrun"
	"github.com/manifoldgw/manifold/services/workflows/httptool"
	"github.com/manifoldgw/manifold/services/workflows/lambdatool"
)

// Service implements WorkflowService.
type Service struct {
	workflowsv1connect.UnimplementedWorkflowServiceHandler
	cfg      Config
	docs     *storage.Documents
	temporal client.Client
	keys     keyvaultv1connect.KeyVaultServiceClient // nil: callers are anonymous
	seal     *sealer
	logger   *slog.Logger
	once     sync.Once
	trigger  chan struct{} // closed to start connecting to Temporal
	ready    chan struct{} // closed once connecting to Temporal ended
	startErr error         // why it failed; set before ready closes
}

// Deps are the other services the workflow service uses.
type Deps struct {
	DB *storage.DB
	// Router receives the runs' model calls.
	Router dial.Target
	// KeyVault authenticates callers (starters and approvers); a zero
	// Target means there is none and every caller is anonymous.
	KeyVault dial.Target
	// Audit receives decisions taken by timeout policies; a zero Target
	// skips them.
	Audit         dial.Target
	InternalToken string
	Logger        *slog.Logger
}

// Start returns the service; it connects to Temporal and starts the worker
// in the background: at once when an address is configured or the
// embedded dev server has a database already (runs may be waiting to
// resume), else on the first run RPC, so that a gateway that never runs a
// chain never starts a Temporal server. Run RPCs wait for the connection;
// chain RPCs do not. Everything stops when ctx ends; done is closed once
// it has.
func Start(ctx context.Context, cfg Config, deps Deps) (svc *Service, done <-chan struct{}, err error) {
	seal, err := openSealer(filepath.Join(cfg.DataDir, "workflows-run.key"))
	if err != nil {
		return nil, nil, err
	}
	s := &Service{cfg: cfg, docs: deps.DB.Documents(), seal: seal, logger: deps.Logger, ready: make(chan struct{}), trigger: make(chan struct{})}
	if deps.KeyVault.Client != nil {
		s.keys = keyvaultv1connect.NewKeyVaultServiceClient(deps.KeyVault.Client, deps.KeyVault.BaseURL, access.WithToken(deps.InternalToken))
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-s.trigger:
		case <-ctx.Done():
			return
		}
		stop, err := s.connect(ctx, deps)
		if err != nil {
			s.startErr = err
			s.logger.Error("workflows: runs are unavailable", "error", err)
		}
		close(s.ready)
		<-ctx.Done()
		stop()
	}()
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "temporal.db")); cfg.TemporalAddress != "" || err == nil {
		s.start()
	}
	return s, stopped, nil
}

// start triggers connecting to Temporal, once.
func (s *Service) start() { s.once.Do(func() { close(s.trigger) }) }

// connect starts Temporal (if embedded), the client and the worker, and
// returns what stops them in order.
func (s *Service) connect(ctx context.Context, deps Deps) (stop func(), err error) {
	cfg, logger := s.cfg, s.logger
	var dev *DevServer
	waitDev := func() {
		if dev != nil {
			<-dev.Done()
		}
	}
	addr := cfg.TemporalAddress
	if addr == "" {
		bin, err := FindTemporal()
		if err != nil {
			return func() {}, err
		}
		dev, err = StartDevServer(ctx, bin, filepath.Join(cfg.DataDir, "temporal.db"), cfg.Namespace, logger)
		if err != nil {
			return func() {}, err
		}
		addr = dev.Addr
	}
	c, err := dialTemporal(ctx, addr, cfg.Namespace, logger)
	if err != nil {
		return waitDev, err
	}
	w := worker.New(c, cfg.TaskQueue, worker.Options{})
	chainrun.Register(w, &chainrun.Activities{
		Router:     routerv1connect.NewRouterServiceClient(deps.Router.Client, deps.Router.BaseURL),
		HTTP:       &httptool.Caller{Resolve: s.resolveCredential},
		Lambda:     &lambdatool.Caller{Resolve: s.resolveCredential},
		PromptAPIs: chainrun.PromptAPIs{Client: deps.Router.Client, BaseURL: deps.Router.BaseURL},
		Audit:      auditClient(deps.Audit),
		OpenKey:    s.seal.open,
	})
	if err := w.Start(); err != nil {
		c.Close()
		return waitDev, fmt.Errorf("start temporal worker: %w", err)
	}
	s.temporal = c
	logger.Info("workflow worker started", "temporal", addr, "namespace", cfg.Namespace, "task_queue", cfg.TaskQueue)
	return func() {
		w.Stop()
		c.Close()
		waitDev()
	}, nil
}

// runs waits until the Temporal connection is up (or failed) and reports
// why runs are unavailable, if they are.
func (s *Service) runs(ctx context.Context) error {
	s.start()
	select {
	case <-s.ready:
	case <-ctx.Done():
		return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "workflows: still connecting to Temporal")
	}
	if s.startErr != nil {
		return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "workflows: runs are unavailable: %v", s.startErr)
	}
	return nil
}

// dialTemporal connects, retrying for a bounded time while the frontend
// (or a freshly started dev server's namespace) comes up.
func dialTemporal(ctx context.Context, addr, namespace string, logger *slog.Logger) (client.Client, error) {
	opts := client.Options{HostPort: addr, Namespace: namespace, Logger: tlog.NewStructuredLogger(slog.New(quiet{logger.Handler()}))}
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
			if err == nil {
				return c, nil
			}
			c.Close()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("connect to temporal at %s: %w", addr, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// quiet passes on the Temporal SDK's warnings and errors only.
type quiet struct{ slog.Handler }

func (q quiet) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && q.Handler.Enabled(ctx, l)
}

// caller is an authenticated caller.
type caller struct {
	name  string // the admin key's user, else the key id; "anonymous" without a key vault
	keyID string
	roles []string
	admin bool
	key   string // the presented secret, kept only to seal it into a run
}

// principal is the request's caller: the principal the admin guard put in
// ctx, else the presented key as the key vault resolves it. Without a key
// vault every caller is "anonymous"; required refuses a request that
// presents no key.
func (s *Service) principal(ctx context.Context, h http.Header, required bool) (*caller, error) {
	secret := bearer(h)
	if required && secret == "" {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, "missing API key: send an admin key as Authorization: Bearer <key>")
	}
	if p := access.PrincipalFrom(ctx); p != nil {
		return fromPrincipal(p, secret), nil
	}
	if s.keys == nil || secret == "" {
		return &caller{name: "anonymous", key: secret}, nil
	}
	p, err := s.authenticate(ctx, secret)
	if err != nil {
		return nil, err
	}
	return fromPrincipal(p, secret), nil
}

// authenticate resolves a key with the key vault.
func (s *Service) authenticate(ctx context.Context, secret string) (*keyvaultv1.Principal, error) {
	res, err := s.keys.AuthenticateKey(ctx, connect.NewRequest(&keyvaultv1.AuthenticateKeyRequest{Secret: secret}))
	if err != nil {
		if connect.CodeOf(err) == connect.CodeUnauthenticated || connect.CodeOf(err) == connect.CodeInvalidArgument {
			return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, "invalid API key")
		}
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_UNAVAILABLE, "authenticate: the key vault is unavailable")
	}
	return res.Msg.GetPrincipal(), nil
}

func fromPrincipal(p *keyvaultv1.Principal, secret string) *caller {
	c := &caller{name: cmpOr(p.GetKeyId(), p.GetName()), keyID: p.GetKeyId(), key: secret}
	if p.GetKind() == keyvaultv1.PrincipalKind_PRINCIPAL_KIND_ADMIN_KEY {
		c.admin = true
		if u := p.GetOwner().GetUser(); u != "" {
			c.name = u
		}
		if r := p.GetRole(); r != keyvaultv1.AdminRole_ADMIN_ROLE_UNSPECIFIED {
			c.roles = []string{strings.ToLower(strings.TrimPrefix(r.String(), "ADMIN_ROLE_"))}
		}
	}
	return c
}

func cmpOr(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// RunKeyHeader carries the virtual key a run's model calls are made and
// charged with, when the run is started with an admin key.
const RunKeyHeader = "X-Manifold-Run-Key"

// runKey is the virtual key a run's calls use: the RunKeyHeader, else the
// caller's own key when it is a virtual key. It must be a valid virtual
// key; the key vault checks.
func (s *Service) runKey(ctx context.Context, h http.Header, who *caller) (string, error) {
	key := strings.TrimSpace(h.Get(RunKeyHeader))
	if key == "" {
		if who.admin {
			return "", nil
		}
		return who.key, nil
	}
	if s.keys != nil {
		p, err := s.authenticate(ctx, key)
		if err != nil {
			return "", apierror.New(mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, "%s: invalid virtual key", RunKeyHeader)
		}
		if p.GetKind() != keyvaultv1.PrincipalKind_PRINCIPAL_KIND_VIRTUAL_KEY {
			return "", apierror.New(mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "%s must be a virtual key", RunKeyHeader)
		}
	}
	return key, nil
}

func bearer(h http.Header) string {
	if v := h.Get("Authorization"); len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return strings.TrimSpace(h.Get("X-Api-Key"))
}

func auditClient(t dial.Target) auditv1connect.AuditServiceClient {
	if t.Client == nil {
		return nil
	}
	return auditv1connect.NewAuditServiceClient(t.Client, t.BaseURL)
}

// resolveCredential fetches a key vault credential's current secret for a
// tool call (an internal RPC, with the internal token). Errors never carry
// the secret.
func (s *Service) resolveCredential(ctx context.Context, name string) (*keyvaultv1.CredentialSecret, error) {
	if s.keys == nil {
		return nil, fmt.Errorf("no key vault")
	}
	res, err := s.keys.ResolveCredential(ctx, connect.NewRequest(&keyvaultv1.ResolveCredentialRequest{Name: name}))
	if err != nil {
		return nil, fmt.Errorf("%s", apierror.As(err).Error())
	}
	return res.Msg.GetSecret(), nil
}
