// Package quota is the quota service: prices, budgets, rate limits, reservations and leases.
//
// Its contract (proto/manifold/quota/v1) is complete; the RPCs answer
// Unimplemented until the issue that builds this service lands.
package quota

import "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"

// Service implements QuotaService.
type Service struct {
	quotav1connect.UnimplementedQuotaServiceHandler
}

// New returns the service.
func New() *Service { return &Service{} }
