package openai

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// Embed implements provider.Provider with POST {base}/embeddings. OpenAI
// and Azure are asked for base64 (little-endian float32, smaller and
// cheaper to decode); the rest of the family for floats.
func (a *Adapter) Embed(ctx context.Context, call *provider.EmbedCall) (*provider.EmbedResult, error) {
	if len(call.Inputs) == 0 {
		return nil, a.tag(apierror.Invalid("inputs", "at least one input is required"))
	}
	req := embeddingRequest{Dimensions: call.Dimensions, EncodingFormat: "base64"}
	if a.flavor != FlavorAzure {
		req.Model = call.Model
	}
	if a.quirks.floatEmbeddings {
		req.EncodingFormat = "float"
	}
	if call.Inputs[0].GetTokens() != nil {
		toks := make([][]int32, len(call.Inputs))
		for i, in := range call.Inputs {
			if in.GetTokens() == nil {
				return nil, a.tag(apierror.Invalid("inputs", "inputs mix text and tokens; %s takes one kind per call", a.name))
			}
			toks[i] = in.GetTokens().GetIds()
		}
		req.Input = toks
	} else {
		texts := make([]string, len(call.Inputs))
		for i, in := range call.Inputs {
			if in.GetTokens() != nil {
				return nil, a.tag(apierror.Invalid("inputs", "inputs mix text and tokens; %s takes one kind per call", a.name))
			}
			texts[i] = in.GetText()
		}
		req.Input = texts
	}
	resp, err := a.post(ctx, a.endpoint(call.Model, "embeddings"), call.Credential, &req, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var er embeddingResponse
	if err := json.NewDecoder(resp.Body).Decode(&er); err != nil {
		if ctx.Err() != nil {
			return nil, a.transportError(ctx, err)
		}
		return nil, a.protocolError(resp.StatusCode, "decode embeddings: %v", err)
	}
	out := &provider.EmbedResult{Embeddings: make([]*mcpv1.Embedding, 0, len(er.Data))}
	for _, d := range er.Data {
		v, err := decodeVector(d.Embedding)
		if err != nil {
			return nil, a.protocolError(resp.StatusCode, "embedding %d: %v", d.Index, err)
		}
		out.Embeddings = append(out.Embeddings, &mcpv1.Embedding{Index: d.Index, Values: v})
	}
	if u := er.Usage; u != nil {
		out.Usage = &mcpv1.Usage{InputTokens: u.PromptTokens, TotalTokens: u.PromptTokens}
	}
	return out, nil
}

// decodeVector reads an embedding given as a float array or as base64 of
// little-endian float32s.
func decodeVector(raw json.RawMessage) ([]float32, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, err
		}
		if len(b)%4 != 0 {
			return nil, errorf("base64 embedding is %d bytes, not a float32 array", len(b))
		}
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return v, nil
	}
	var v []float32
	err := json.Unmarshal(raw, &v)
	return v, err
}
