package template

import (
	"hash/fnv"
	"math/rand/v2"

	"google.golang.org/protobuf/proto"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
)

// Pick chooses the version a label serves for one call. A single target is
// a plain pointer. A split draws by weight: at random when key is empty,
// else by a hash of key and the label, so the same key gets the same
// version while the split is unchanged.
func Pick(l *promptsv1.Label, key string) int32 {
	ts := l.GetTargets()
	switch len(ts) {
	case 0:
		return 0
	case 1:
		return ts[0].GetVersion()
	}
	var total uint64
	for _, t := range ts {
		total += uint64(max(t.GetWeight(), 1))
	}
	var draw uint64
	if key == "" {
		draw = rand.Uint64N(total)
	} else {
		h := fnv.New64a()
		_, _ = h.Write([]byte(l.GetName()))
		_, _ = h.Write([]byte{0})
		_, _ = h.Write([]byte(key))
		draw = h.Sum64() % total
	}
	for _, t := range ts {
		w := uint64(max(t.GetWeight(), 1))
		if draw < w {
			return t.GetVersion()
		}
		draw -= w
	}
	return ts[len(ts)-1].GetVersion()
}

// SplitKey is the key a label's stickiness hashes for a call: the virtual
// key id, the end user, or nothing (a random draw).
func SplitKey(l *promptsv1.Label, keyID, user string) string {
	switch l.GetStickiness() {
	case promptsv1.LabelStickiness_LABEL_STICKINESS_KEY:
		return keyID
	case promptsv1.LabelStickiness_LABEL_STICKINESS_USER:
		return user
	}
	return ""
}

// Apply returns a copy of r with the rendered messages before its own, the
// version's defaults under its own fields (field by field, as
// RequestDefaults describes) and the prompt reference removed.
func Apply(r *mcpv1.Request, msgs []*mcpv1.Message, d *promptsv1.RequestDefaults) *mcpv1.Request {
	out := proto.Clone(r).(*mcpv1.Request)
	out.Prompt = nil
	out.Messages = append(msgs, out.GetMessages()...)
	if out.GetModel() == "" {
		out.Model = d.GetModel()
	}
	if ds := d.GetSampling(); ds != nil {
		merged := proto.Clone(ds).(*mcpv1.SamplingParams)
		if s := out.GetSampling(); s != nil {
			proto.Merge(merged, s) // the request's set fields win
			if len(s.GetStopSequences()) > 0 {
				merged.StopSequences = s.GetStopSequences()
			}
		}
		out.Sampling = merged
	}
	if len(out.GetTools()) == 0 && len(d.GetTools()) > 0 {
		for _, t := range d.GetTools() {
			out.Tools = append(out.Tools, proto.Clone(t).(*mcpv1.Tool))
		}
	}
	if out.GetToolChoice() == nil && d.GetToolChoice() != nil {
		out.ToolChoice = proto.Clone(d.GetToolChoice()).(*mcpv1.ToolChoice)
	}
	if out.GetResponseFormat() == nil && d.GetResponseFormat() != nil {
		out.ResponseFormat = proto.Clone(d.GetResponseFormat()).(*mcpv1.ResponseFormat)
	}
	return out
}
