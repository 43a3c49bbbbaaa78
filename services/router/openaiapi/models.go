package openaiapi

import (
	"net/http"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/internal/jsonhttp"
)

type modelList struct {
	Object string        `json:"object"`
	Data   []modelObject `json:"data"`
}

type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func (h *Handler) model(m *routerv1.Model) modelObject {
	return modelObject{ID: m.GetName(), Object: "model", Created: h.created, OwnedBy: m.GetProvider()}
}

func (h *Handler) listModels(w http.ResponseWriter, r *http.Request) {
	models, err := h.router.ModelsFor(r.Context())
	if err != nil {
		h.writeError(w, err)
		return
	}
	out := modelList{Object: "list", Data: make([]modelObject, len(models))}
	for i, m := range models {
		out.Data[i] = h.model(m)
	}
	if err := jsonhttp.WriteJSON(w, http.StatusOK, out); err != nil {
		h.logger.Debug("openai surface: write response", "err", err)
	}
}

func (h *Handler) getModel(w http.ResponseWriter, r *http.Request, name string) {
	models, err := h.router.ModelsFor(r.Context())
	if err != nil {
		h.writeError(w, err)
		return
	}
	for _, m := range models {
		if m.GetName() == name {
			if err := jsonhttp.WriteJSON(w, http.StatusOK, h.model(m)); err != nil {
				h.logger.Debug("openai surface: write response", "err", err)
			}
			return
		}
	}
	e := apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "The model `%s` does not exist or you do not have access to it.", name)
	e.Field = "model"
	h.writeError(w, e)
}
