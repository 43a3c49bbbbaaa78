// Package prompts is the prompt registry: versioned templates, labels and prompt-as-API publications.
//
// Its contract (proto/manifold/prompts/v1) is complete; the RPCs answer
// Unimplemented until the issue that builds this service lands.
package prompts

import "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1/promptsv1connect"

// Service implements PromptService.
type Service struct {
	promptsv1connect.UnimplementedPromptServiceHandler
}

// New returns the service.
func New() *Service { return &Service{} }
