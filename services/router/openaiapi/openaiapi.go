// Package openaiapi serves the OpenAI-compatible HTTP surface of the router:
// POST /v1/chat/completions (JSON and server-sent events), POST
// /v1/embeddings, GET /v1/models and GET /v1/models/{model}. Existing OpenAI
// SDKs work against it by changing only their base URL and key. Requests are
// translated to the Model Context Protocol, validated with the same rules as
// every other surface, and answered in OpenAI's wire format, errors included
// (see shared/PROVIDER_WIRE_FORMATS.md §1).
package openaiapi

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
	// DoEmbed embeds a validated request's inputs.
	DoEmbed(ctx context.Context, req *routerv1.EmbedRequest, surface router.Surface) (*routerv1.EmbedResponse, error)
	// ModelsFor lists the catalog models the caller may call, or why the
	// caller was refused.
	ModelsFor(ctx context.Context) ([]*routerv1.Model, error)
}

// Patterns are the paths to mount the handler on.
var Patterns = []string{"/v1/chat/completions", "/v1/embeddings", "/v1/models", "/v1/models/"}

// Handler serves the OpenAI-compatible API.
type Handler struct {
	router  Router
	logger  *slog.Logger
	created int64 // reported as every model's creation time
}

// New returns a handler answering through r.
func New(r Router, logger *slog.Logger) *Handler {
	return &Handler{router: r, logger: logger, created: time.Now().Unix()}
}

// ServeHTTP dispatches by path and method, answering unknown paths and
// methods in OpenAI's error envelope.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := jsonhttp.NewID("req_")
	w.Header().Set("X-Request-Id", reqID)
	path := r.URL.Path
	switch {
	case path == "/v1/chat/completions":
		if h.method(w, r, http.MethodPost) {
			h.chatCompletions(w, r)
		}
	case path == "/v1/embeddings":
		if h.method(w, r, http.MethodPost) {
			h.embeddings(w, r)
		}
	case path == "/v1/models" || path == "/v1/models/":
		if h.method(w, r, http.MethodGet) {
			h.listModels(w, r)
		}
	case strings.HasPrefix(path, "/v1/models/"):
		if h.method(w, r, http.MethodGet) {
			h.getModel(w, r, strings.TrimPrefix(path, "/v1/models/"))
		}
	default:
		e := apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "Unknown request URL: %s %s.", r.Method, path)
		h.writeError(w, e)
	}
}

func (h *Handler) method(w http.ResponseWriter, r *http.Request, want string) bool {
	if r.Method == want {
		return true
	}
	w.Header().Set("Allow", want)
	h.writeErrorStatus(w, http.StatusMethodNotAllowed, errorBody{
		Message: "Method " + r.Method + " is not allowed for " + r.URL.Path + "; use " + want + ".",
		Type:    "invalid_request_error",
		Code:    strPtr("method_not_allowed"),
	})
	return false
}

func strPtr(s string) *string { return &s }
