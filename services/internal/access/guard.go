package access

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"connectrpc.com/connect"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// Rule is who may call a procedure.
type Rule int

const (
	// Admin needs an admin key with role admin.
	Admin Rule = iota
	// Developer needs role developer or admin.
	Developer
	// Read needs any admin key (viewer and up).
	Read
	// Internal is for Manifold's own services (the internal token).
	Internal
	// Open is checked by the service itself (model calls, which the router
	// authenticates with virtual keys).
	Open
	// OpenOrRead is Open, except that an admin credential (an admin key,
	// the bootstrap or internal token) is checked here as for Read and the
	// service finds the principal in the context: the model list answers
	// virtual keys with what they may use and admins with everything.
	OpenOrRead
)

// GuardConfig configures a Guard.
type GuardConfig struct {
	// Required refuses calls without a key; when false they act as the
	// bootstrap admin (local experiments only). A key that is sent is
	// always checked.
	Required bool
	// InternalToken authenticates Manifold's services to each other.
	InternalToken string
	// AdminToken is the bootstrap admin token.
	AdminToken string
	// Vault authenticates admin keys (KeyVaultService.WhoAmI).
	Vault keyvaultv1connect.KeyVaultServiceClient
	// Rules override the default rule of a procedure: Read for procedures
	// without side effects, Admin for the rest.
	Rules map[string]Rule
	// Actions, when set, records every change an admin makes.
	Actions *ActionLog
}

// Guard authenticates the callers of admin RPCs and checks their role, on
// every service but the key vault (which checks its own, and whose caller
// the Guard only records).
type Guard struct {
	cfg      GuardConfig
	failures Throttle
}

// NewGuard returns a Guard.
func NewGuard(cfg GuardConfig) *Guard { return &Guard{cfg: cfg} }

// Interceptor returns the Connect interceptor; servers put it before
// request validation.
func (g *Guard) Interceptor() connect.Interceptor { return guardInterceptor{g} }

// rule is the rule of a procedure.
func (g *Guard) rule(spec connect.Spec) Rule {
	if r, ok := g.cfg.Rules[spec.Procedure]; ok {
		return r
	}
	if spec.IdempotencyLevel == connect.IdempotencyNoSideEffects {
		return Read
	}
	return Admin
}

// admit authenticates the caller and checks the rule; ctx carries the
// principal afterwards. A principal already in ctx (set by the key vault)
// is taken as is.
func (g *Guard) admit(ctx context.Context, spec connect.Spec, h http.Header, peer string) (context.Context, error) {
	if PrincipalFrom(ctx) != nil {
		return ctx, nil
	}
	rule := g.rule(spec)
	if rule == Open || rule == OpenOrRead && !g.adminCredential(h) {
		return ctx, nil
	}
	p, err := g.authenticate(ctx, h, peer)
	if err != nil {
		return ctx, err
	}
	if err := permits(p, rule); err != nil {
		return ctx, err
	}
	return WithPrincipal(ctx, p), nil
}

func (g *Guard) authenticate(ctx context.Context, h http.Header, peer string) (*keyvaultv1.Principal, error) {
	token := Bearer(h)
	switch {
	case token == "" && !g.cfg.Required:
		return Bootstrap(), nil
	case token == "":
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, "missing credentials: send an admin key as \"Authorization: Bearer <key>\"")
	}
	if p := g.builtIn(token); p != nil {
		return p, nil
	}
	client := ClientOf(peer)
	if err := g.failures.Wait(ctx, client); err != nil {
		return nil, apierror.As(err)
	}
	req := connect.NewRequest(&keyvaultv1.WhoAmIRequest{})
	req.Header().Set("Authorization", "Bearer "+token)
	res, err := g.cfg.Vault.WhoAmI(ctx, req)
	if err != nil {
		e := apierror.As(err)
		switch e.Class {
		case mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION:
			g.failures.Fail(client)
		case mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED:
			// A virtual key: valid, but not an admin key.
			return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, "a virtual key cannot call admin RPCs; use an admin key")
		}
		return nil, e
	}
	g.failures.Succeed(client)
	return res.Msg.GetPrincipal(), nil
}

// builtIn is the principal of the internal or the bootstrap admin token,
// or nil for any other token.
func (g *Guard) builtIn(token string) *keyvaultv1.Principal {
	switch {
	case g.cfg.InternalToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(g.cfg.InternalToken)) == 1:
		return Service()
	case g.cfg.AdminToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(g.cfg.AdminToken)) == 1:
		return Bootstrap()
	}
	return nil
}

// adminCredential reports whether h carries an admin key or token rather
// than (presumably) a virtual key.
func (g *Guard) adminCredential(h http.Header) bool {
	token := Bearer(h)
	return strings.HasPrefix(token, "mka-") || g.builtIn(token) != nil
}

// permits checks a principal against a rule. Manifold's services may call
// anything.
func permits(p *keyvaultv1.Principal, need Rule) error {
	if p.GetKind() == keyvaultv1.PrincipalKind_PRINCIPAL_KIND_SERVICE {
		return nil
	}
	role := p.GetRole()
	if role == keyvaultv1.AdminRole_ADMIN_ROLE_UNSPECIFIED {
		return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, "an admin key is needed")
	}
	switch need {
	case Read, Open, OpenOrRead:
		return nil
	case Internal:
		return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, "this call is for Manifold services only")
	case Developer:
		if role == keyvaultv1.AdminRole_ADMIN_ROLE_ADMIN || role == keyvaultv1.AdminRole_ADMIN_ROLE_DEVELOPER {
			return nil
		}
		return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, "role %s may not make this change; role developer or admin is needed", RoleName(role))
	default:
		if role == keyvaultv1.AdminRole_ADMIN_ROLE_ADMIN {
			return nil
		}
		return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, "role %s may not make this change; role admin is needed", RoleName(role))
	}
}

// RoleName is a role as written in the CLI and errors: admin, developer,
// viewer.
func RoleName(r keyvaultv1.AdminRole) string {
	return strings.ToLower(strings.TrimPrefix(r.String(), "ADMIN_ROLE_"))
}

// Bearer reads "Authorization: Bearer <token>".
func Bearer(h http.Header) string {
	v, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(v)
}

// ClientOf is the throttling key of a peer address: its host.
func ClientOf(peer string) string {
	if host, _, err := net.SplitHostPort(peer); err == nil {
		return host
	}
	return peer
}

type guardInterceptor struct{ g *Guard }

func (i guardInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		ctx, err := i.g.admit(ctx, req.Spec(), req.Header(), req.Peer().Addr)
		if err != nil {
			return nil, apierror.ToConnect(err)
		}
		res, err := next(ctx, req)
		if i.g.cfg.Actions != nil && i.g.records(req.Spec()) {
			var msg any
			if res != nil {
				msg = res.Any()
			}
			i.g.cfg.Actions.Record(ctx, req.Spec().Procedure, req.Peer().Addr, req.Any(), msg, err)
		}
		return res, err
	}
}

func (i guardInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i guardInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		ctx, err := i.g.admit(ctx, conn.Spec(), conn.RequestHeader(), conn.Peer().Addr)
		if err != nil {
			return apierror.ToConnect(err)
		}
		return next(ctx, conn)
	}
}

// records reports whether calls of a procedure change something an admin
// log should show: unary RPCs with side effects that are not model calls
// or internal.
func (g *Guard) records(spec connect.Spec) bool {
	if spec.StreamType != connect.StreamTypeUnary || spec.IdempotencyLevel == connect.IdempotencyNoSideEffects {
		return false
	}
	r, ok := g.cfg.Rules[spec.Procedure]
	return !ok || (r != Open && r != OpenOrRead && r != Internal)
}
