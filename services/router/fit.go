package router

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/demo"
)

// servable keeps the targets whose model can serve the request's features
// (tools, images, JSON schema, streaming); see capable.
func servable(ts []*boundTarget, r *mcpv1.Request, stream bool) ([]*boundTarget, error) {
	var need []routerv1.Capability
	if len(r.GetTools()) > 0 {
		need = append(need, routerv1.Capability_CAPABILITY_TOOLS)
	}
	if hasImages(r) {
		need = append(need, routerv1.Capability_CAPABILITY_VISION)
	}
	if r.GetResponseFormat().GetType() == mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA {
		need = append(need, routerv1.Capability_CAPABILITY_JSON_SCHEMA)
	}
	if stream {
		need = append(need, routerv1.Capability_CAPABILITY_STREAMING)
	}
	return capable(ts, need...)
}

// capable keeps the targets whose model has every needed capability; a
// model listing no capabilities is assumed able. With none left, the error
// names the first missing one.
func capable(ts []*boundTarget, need ...routerv1.Capability) ([]*boundTarget, error) {
	var out []*boundTarget
	var missing routerv1.Capability
	for _, t := range ts {
		caps := t.model.GetCapabilities()
		ok := true
		for _, c := range need {
			if len(caps) > 0 && !slices.Contains(caps, c) {
				ok, missing = false, c
				break
			}
		}
		if ok {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		name := strings.ToLower(strings.TrimPrefix(missing.String(), "CAPABILITY_"))
		e := apierror.New(mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED, "model %q does not support %s", ts[0].model.GetName(), strings.ReplaceAll(name, "_", " "))
		e.Field = "request.model"
		return nil, e
	}
	return out, nil
}

func hasImages(r *mcpv1.Request) bool {
	for _, m := range r.GetMessages() {
		for _, p := range m.GetContent() {
			if p.GetImage() != nil {
				return true
			}
		}
	}
	return false
}

// fitContext applies the route's context policy for the target's window:
// reject with context_length_exceeded, or drop the oldest turns (keeping
// system messages and the latest user turn onwards). It returns r itself
// when it fits.
func fitContext(route *routerv1.Route, m *routerv1.Model, r *mcpv1.Request) (*mcpv1.Request, error) {
	window := m.GetContextWindow()
	if window <= 0 {
		return r, nil
	}
	reserve := int64(r.GetSampling().GetMaxOutputTokens())
	need := demo.CountRequestTokens(r) + reserve
	if need <= window {
		return r, nil
	}
	tooLong := func() error {
		e := apierror.New(mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED,
			"this model's maximum context length is %d tokens; the request needs about %d (input plus max_output_tokens)", window, need)
		e.Field = "request.messages"
		return e
	}
	if route.GetContextPolicy() != routerv1.ContextPolicy_CONTEXT_POLICY_DROP_OLDEST {
		return nil, tooLong()
	}
	msgs := r.GetMessages()
	lastUser := -1
	for i, msg := range msgs {
		if msg.GetRole() == mcpv1.Role_ROLE_USER {
			lastUser = i
		}
	}
	trimmed := proto.Clone(r).(*mcpv1.Request)
	kept := slices.Clone(trimmed.GetMessages())
	// pos[k] is kept[k]'s index in the original messages: equal messages
	// (a repeated "Continue.") must not pass for one another.
	pos := make([]int, len(kept))
	for i := range pos {
		pos[i] = i
	}
	// Drop the oldest droppable turn (with the tool results that answer it)
	// until the request fits.
	for {
		trimmed.Messages = kept
		if demo.CountRequestTokens(trimmed)+reserve <= window {
			return trimmed, nil
		}
		i := slices.IndexFunc(kept, func(msg *mcpv1.Message) bool {
			return msg.GetRole() != mcpv1.Role_ROLE_SYSTEM && msg.GetRole() != mcpv1.Role_ROLE_DEVELOPER
		})
		if i < 0 || pos[i] >= lastUser {
			return nil, tooLong()
		}
		j := i + 1
		for j < len(kept) && kept[j].GetRole() == mcpv1.Role_ROLE_TOOL {
			j++
		}
		kept = slices.Delete(kept, i, j)
		pos = slices.Delete(pos, i, j)
	}
}
