package anthropicapi

import (
	"net/http"
	"strings"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/internal/jsonhttp"
)

// ModelPatterns are the model-listing paths, which Anthropic shares with
// OpenAI: callers that send anthropic-version get this shape (see
// IsAnthropic).
var ModelPatterns = []string{"/v1/models", "/v1/models/"}

// IsAnthropic reports whether r comes from an Anthropic client (the SDKs
// send anthropic-version on every request).
func IsAnthropic(r *http.Request) bool { return r.Header.Get("anthropic-version") != "" }

// modelInfo is Anthropic's ModelInfo.
type modelInfo struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	CreatedAt   string `json:"created_at"`
}

type modelPage struct {
	Data    []modelInfo `json:"data"`
	HasMore bool        `json:"has_more"`
	FirstID *string     `json:"first_id"`
	LastID  *string     `json:"last_id"`
}

func (h *Handler) modelInfo(m *routerv1.Model) modelInfo {
	return modelInfo{Type: "model", ID: m.GetName(), DisplayName: m.GetName(), CreatedAt: h.created}
}

// models answers GET /v1/models (one page: every model the key may call)
// and GET /v1/models/{id}.
func (h *Handler) models(w http.ResponseWriter, r *http.Request, reqID string) {
	models, err := h.router.ModelsFor(r.Context())
	if err != nil {
		h.writeError(w, reqID, err)
		return
	}
	if id := strings.Trim(strings.TrimPrefix(r.URL.Path, "/v1/models"), "/"); id != "" {
		for _, m := range models {
			if m.GetName() == id {
				h.writeJSON(w, h.modelInfo(m))
				return
			}
		}
		h.writeError(w, reqID, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "model: %s", id))
		return
	}
	page := modelPage{Data: make([]modelInfo, len(models))}
	for i, m := range models {
		page.Data[i] = h.modelInfo(m)
	}
	if len(page.Data) > 0 {
		page.FirstID, page.LastID = &page.Data[0].ID, &page.Data[len(page.Data)-1].ID
	}
	h.writeJSON(w, page)
}

func (h *Handler) writeJSON(w http.ResponseWriter, v any) {
	if err := jsonhttp.WriteJSON(w, http.StatusOK, v); err != nil {
		h.logger.Debug("anthropic surface: write response", "err", err)
	}
}
