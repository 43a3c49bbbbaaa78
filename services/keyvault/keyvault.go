// Package keyvault is the key vault: provider credentials, virtual keys and admin keys.
//
// Its contract (proto/manifold/keyvault/v1) is complete; the RPCs answer
// Unimplemented until the issue that builds this service lands.
package keyvault

import "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"

// Service implements KeyVaultService.
type Service struct {
	keyvaultv1connect.UnimplementedKeyVaultServiceHandler
}

// New returns the service.
func New() *Service { return &Service{} }
