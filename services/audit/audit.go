// Package audit is the audit service: the call log, the admin-action log and analytics.
//
// Its contract (proto/manifold/audit/v1) is complete; the RPCs answer
// Unimplemented until the issue that builds this service lands.
package audit

import "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"

// Service implements AuditService.
type Service struct {
	auditv1connect.UnimplementedAuditServiceHandler
}

// New returns the service.
func New() *Service { return &Service{} }
