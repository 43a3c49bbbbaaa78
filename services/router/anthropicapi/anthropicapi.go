// Package anthropicapi serves the Anthropic-compatible HTTP surface of the
// router: POST /v1/messages (JSON and the typed server-sent-event stream)
// and POST /v1/messages/count_tokens, and GET /v1/models for callers that
// send anthropic-version, so Anthropic SDKs and the tools built
// on them work against Manifold unchanged. Requests are translated to the
// Model Context Protocol, validated with the same rules as every other
// surface, and answered in Anthropic's wire format, errors included (see
// shared/PROVIDER_WIRE_FORMATS.md §2).
package anthropicapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/internal/jsonhttp"
)

// Router is what the surface needs from the router; *router.Service
// satisfies it.
type Router interface {
	// Do answers a validated request in one response.
	Do(ctx context.Context, req *mcpv1.Request, surface router.Surface) (*mcpv1.Response, error)
	// DoStream answers as events; it returns an error only when nothing was
	// emitted, later failures arrive as a final error event.
	DoStream(ctx context.Context, req *mcpv1.Request, surface router.Surface, emit func(*mcpv1.StreamEvent) error) error
	// CountRequestTokens estimates a request's input tokens.
	CountRequestTokens(req *mcpv1.Request) (int64, error)
	// ModelsFor lists the catalog models the caller may call, or why the
	// caller was refused.
	ModelsFor(ctx context.Context) ([]*routerv1.Model, error)
}

// Patterns are the paths to mount the handler on.
var Patterns = []string{"/v1/messages", "/v1/messages/count_tokens"}

// Handler serves the Anthropic-compatible API.
type Handler struct {
	router  Router
	logger  *slog.Logger
	created string // reported as every model's creation time
}

// New returns a handler answering through r.
func New(r Router, logger *slog.Logger) *Handler {
	return &Handler{router: r, logger: logger, created: time.Now().UTC().Format(time.RFC3339)}
}

// ServeHTTP dispatches by path and method, answering unknown paths and
// methods in Anthropic's error envelope.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := jsonhttp.NewID("req_")
	w.Header().Set("Request-Id", reqID)
	if r.URL.Path == "/v1/models" || strings.HasPrefix(r.URL.Path, "/v1/models/") {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			h.writeErrorStatus(w, reqID, http.StatusMethodNotAllowed, "invalid_request_error", "Method "+r.Method+" is not allowed; use GET.")
			return
		}
		h.models(w, r, reqID)
		return
	}
	var serve func(http.ResponseWriter, *http.Request, string)
	switch r.URL.Path {
	case "/v1/messages":
		serve = h.messages
	case "/v1/messages/count_tokens":
		serve = h.countTokens
	default:
		h.writeError(w, reqID, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "Not found: %s %s", r.Method, r.URL.Path))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.writeErrorStatus(w, reqID, http.StatusMethodNotAllowed, "invalid_request_error", "Method "+r.Method+" is not allowed; use POST.")
		return
	}
	serve(w, r, reqID)
}
