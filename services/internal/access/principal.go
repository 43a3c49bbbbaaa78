package access

import (
	"context"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
)

type principalKey struct{}

// WithPrincipal returns ctx carrying the authenticated caller of an admin
// RPC.
func WithPrincipal(ctx context.Context, p *keyvaultv1.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller WithPrincipal stored, or nil.
func PrincipalFrom(ctx context.Context) *keyvaultv1.Principal {
	p, _ := ctx.Value(principalKey{}).(*keyvaultv1.Principal)
	return p
}

// Bootstrap is the principal of the bootstrap admin token (and of callers
// without a key when authentication is not required).
func Bootstrap() *keyvaultv1.Principal {
	return &keyvaultv1.Principal{
		Kind: keyvaultv1.PrincipalKind_PRINCIPAL_KIND_ADMIN_KEY, Name: "bootstrap",
		Owner: &keyvaultv1.KeyOwner{User: "bootstrap"}, Role: keyvaultv1.AdminRole_ADMIN_ROLE_ADMIN,
	}
}

// Service is the principal of Manifold's own services (the internal token).
func Service() *keyvaultv1.Principal {
	return &keyvaultv1.Principal{Kind: keyvaultv1.PrincipalKind_PRINCIPAL_KIND_SERVICE, Name: "manifold"}
}

// Author names the caller in ctx for created_by, updated_by and authors:
// the key's user, else its id, else its name; "anonymous" when no admin
// check ran in front of the service.
func Author(ctx context.Context) string {
	p := PrincipalFrom(ctx)
	switch {
	case p == nil:
		return "anonymous"
	case p.GetOwner().GetUser() != "":
		return p.GetOwner().GetUser()
	case p.GetKeyId() != "":
		return p.GetKeyId()
	}
	return p.GetName()
}
