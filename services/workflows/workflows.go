// Package workflows is the workflow service: agentic chains and approvals on Temporal.
//
// Its contract (proto/manifold/workflows/v1) is complete; the RPCs answer
// Unimplemented until the issue that builds this service lands.
package workflows

import "github.com/manifoldgw/manifold/gen/go/manifold/workflows/v1/workflowsv1connect"

// Service implements WorkflowService.
type Service struct {
	workflowsv1connect.UnimplementedWorkflowServiceHandler
}

// New returns the service.
func New() *Service { return &Service{} }
