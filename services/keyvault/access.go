package keyvault

import (
	"context"
	"crypto/subtle"
	"net/http"

	"connectrpc.com/connect"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/access"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// rule is who may call an RPC.
type rule int

const (
	// accessAdmin needs an admin key with role admin.
	accessAdmin rule = iota
	// accessRead needs any admin key (viewer and up).
	accessRead
	// accessInternal needs the internal service identity.
	accessInternal
	// accessAny needs any authenticated caller.
	accessAny
)

// procedures is the one table of who may call what; an RPC missing here is
// refused. Reads (NO_SIDE_EFFECTS in the proto) are never admin-only, and
// writes are never open to viewers, so that a refusal of accessAdmin can say
// the caller "may not change the key vault".
var procedures = map[string]rule{
	keyvaultv1connect.KeyVaultServicePutCredentialProcedure:          accessAdmin,
	keyvaultv1connect.KeyVaultServiceGetCredentialProcedure:          accessRead,
	keyvaultv1connect.KeyVaultServiceListCredentialsProcedure:        accessRead,
	keyvaultv1connect.KeyVaultServiceRotateCredentialProcedure:       accessAdmin,
	keyvaultv1connect.KeyVaultServiceDeleteCredentialProcedure:       accessAdmin,
	keyvaultv1connect.KeyVaultServiceResolveCredentialProcedure:      accessInternal,
	keyvaultv1connect.KeyVaultServiceReportCredentialStatusProcedure: accessInternal,
	keyvaultv1connect.KeyVaultServiceCreateVirtualKeyProcedure:       accessAdmin,
	keyvaultv1connect.KeyVaultServiceGetVirtualKeyProcedure:          accessRead,
	keyvaultv1connect.KeyVaultServiceListVirtualKeysProcedure:        accessRead,
	keyvaultv1connect.KeyVaultServiceUpdateVirtualKeyProcedure:       accessAdmin,
	keyvaultv1connect.KeyVaultServiceRevokeVirtualKeyProcedure:       accessAdmin,
	keyvaultv1connect.KeyVaultServiceRotateVirtualKeyProcedure:       accessAdmin,
	keyvaultv1connect.KeyVaultServiceAuthenticateKeyProcedure:        accessInternal,
	keyvaultv1connect.KeyVaultServiceCreateAdminKeyProcedure:         accessAdmin,
	keyvaultv1connect.KeyVaultServiceListAdminKeysProcedure:          accessRead,
	keyvaultv1connect.KeyVaultServiceRevokeAdminKeyProcedure:         accessAdmin,
	keyvaultv1connect.KeyVaultServiceWhoAmIProcedure:                 accessAny,
	keyvaultv1connect.KeyVaultServiceRotateMasterKeyProcedure:        accessAdmin,
	keyvaultv1connect.KeyVaultServiceWatchKeysProcedure:              accessInternal,
}

// principalFrom returns the caller authenticated by the interceptor.
func principalFrom(ctx context.Context) *keyvaultv1.Principal { return access.PrincipalFrom(ctx) }

// Interceptor authenticates every call and checks it against procedures,
// before the request is validated or reaches a handler. With auth not
// required, callers without a key act as the bootstrap admin; a key that is
// presented is still checked.
func (s *Service) Interceptor() connect.Interceptor { return &interceptor{s: s} }

type interceptor struct {
	s *Service
}

func (i *interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		ctx, err := i.s.authorize(ctx, req.Spec().Procedure, req.Header(), req.Peer().Addr)
		if err != nil {
			return nil, apierror.ToConnect(err)
		}
		return next(ctx, req)
	}
}

func (i *interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i *interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		ctx, err := i.s.authorize(ctx, conn.Spec().Procedure, conn.RequestHeader(), conn.Peer().Addr)
		if err != nil {
			return apierror.ToConnect(err)
		}
		return next(ctx, conn)
	}
}

// authorize authenticates the caller of procedure and checks its access.
func (s *Service) authorize(ctx context.Context, procedure string, h http.Header, peer string) (context.Context, error) {
	need, ok := procedures[procedure]
	if !ok {
		return ctx, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, "no access rule for %s", procedure)
	}
	token := access.Bearer(h)
	var p *keyvaultv1.Principal
	switch {
	case token == "" && !s.cfg.AuthRequired:
		p = bootstrapPrincipal()
	case token == "":
		return ctx, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION, "missing credentials: send an admin key as \"Authorization: Bearer <key>\"")
	default:
		client := access.ClientOf(peer)
		if err := s.failures.Wait(ctx, client); err != nil {
			return ctx, apierror.As(err)
		}
		var err error
		p, err = s.principalForToken(ctx, token)
		if err != nil {
			if e := apierror.As(err); e.Class == mcpv1.ErrorClass_ERROR_CLASS_AUTHENTICATION {
				s.failures.Fail(client)
			}
			return ctx, err
		}
		s.failures.Succeed(client)
	}
	if err := permits(p, need); err != nil {
		return ctx, err
	}
	return access.WithPrincipal(ctx, p), nil
}

// principalForToken authenticates the internal token, the bootstrap admin
// token or an admin key. Virtual keys have no access to the key vault.
func (s *Service) principalForToken(ctx context.Context, token string) (*keyvaultv1.Principal, error) {
	if s.cfg.InternalToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.InternalToken)) == 1 {
		return access.Service(), nil
	}
	if s.cfg.AdminToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AdminToken)) == 1 {
		return bootstrapPrincipal(), nil
	}
	p, err := s.authenticate(ctx, token)
	if err != nil {
		return nil, err
	}
	if p.GetKind() != keyvaultv1.PrincipalKind_PRINCIPAL_KIND_ADMIN_KEY {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, "a virtual key cannot manage the key vault; use an admin key")
	}
	return p, nil
}

func bootstrapPrincipal() *keyvaultv1.Principal { return access.Bootstrap() }

// permits checks a principal against an access level.
func permits(p *keyvaultv1.Principal, need rule) error {
	service := p.GetKind() == keyvaultv1.PrincipalKind_PRINCIPAL_KIND_SERVICE
	role := p.GetRole()
	switch need {
	case accessAny:
		return nil
	case accessInternal:
		if service {
			return nil
		}
		return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, "this call is for Manifold services only")
	case accessRead:
		if role != keyvaultv1.AdminRole_ADMIN_ROLE_UNSPECIFIED {
			return nil
		}
	case accessAdmin:
		if role == keyvaultv1.AdminRole_ADMIN_ROLE_ADMIN {
			return nil
		}
		if role != keyvaultv1.AdminRole_ADMIN_ROLE_UNSPECIFIED {
			return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, "role %s may not change the key vault; role admin is needed", roleName(role))
		}
	}
	return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, "an admin key is needed")
}

func roleName(r keyvaultv1.AdminRole) string { return access.RoleName(r) }
