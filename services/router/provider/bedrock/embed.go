package bedrock

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// Embeddings are not part of Converse: they go through InvokeModel
// (POST /model/{modelId}/invoke) with each model family's own body. Two
// families are served: Amazon Titan Text Embeddings (one text per call) and
// Cohere Embed (up to 96 texts per call). Token-list inputs are
// unsupported; neither family takes them.

// cohereBatch is Cohere Embed's limit on texts per call.
const cohereBatch = 96

type titanEmbedRequest struct {
	InputText  string `json:"inputText"`
	Dimensions int32  `json:"dimensions,omitempty"`
	Normalize  *bool  `json:"normalize,omitempty"`
}

type titanEmbedResponse struct {
	Embedding           []float32 `json:"embedding"`
	InputTextTokenCount int64     `json:"inputTextTokenCount"`
}

type cohereEmbedRequest struct {
	Texts           []string `json:"texts"`
	InputType       string   `json:"input_type"`
	OutputDimension int32    `json:"output_dimension,omitempty"`
}

type cohereEmbedResponse struct {
	Embeddings [][]float32 `json:"embeddings"`
}

type embedFamily uint8

const (
	familyUnknown embedFamily = iota
	familyTitanV1
	familyTitanV2
	familyCohereV3
	familyCohereV4
)

// familyOf recognises a model id, including cross-region profile ids such
// as us.cohere.embed-v4:0.
func familyOf(model string) embedFamily {
	switch {
	case strings.Contains(model, "amazon.titan-embed-text-v2"):
		return familyTitanV2
	case strings.Contains(model, "amazon.titan-embed-text-v1"), strings.Contains(model, "amazon.titan-embed-g1-text"):
		return familyTitanV1
	case strings.Contains(model, "cohere.embed-v4"):
		return familyCohereV4
	case strings.Contains(model, "cohere.embed-"):
		return familyCohereV3
	}
	return familyUnknown
}

// Embed embeds texts with a Titan or Cohere embedding model.
func (a *Adapter) Embed(ctx context.Context, call *provider.EmbedCall) (*provider.EmbedResult, error) {
	family := familyOf(call.Model)
	if family == familyUnknown {
		return nil, a.unsupported("model", fmt.Sprintf("the Bedrock adapter embeds with Titan and Cohere models, not %q", call.Model))
	}
	texts := make([]string, len(call.Inputs))
	for i, in := range call.Inputs {
		if _, ok := in.GetInput().(*mcpv1.EmbeddingInput_Text); !ok {
			return nil, a.unsupported(fmt.Sprintf("inputs[%d]", i), "Bedrock embedding models take text, not token ids")
		}
		texts[i] = in.GetText()
	}
	if call.Dimensions > 0 && family != familyTitanV2 && family != familyCohereV4 {
		return nil, a.unsupported("dimensions", fmt.Sprintf("%s has a fixed number of dimensions", call.Model))
	}
	res := &provider.EmbedResult{Usage: &mcpv1.Usage{}}
	switch family {
	case familyTitanV1, familyTitanV2:
		for i, text := range texts {
			body := titanEmbedRequest{InputText: text}
			if family == familyTitanV2 {
				normalize := true
				body.Dimensions, body.Normalize = call.Dimensions, &normalize
			}
			var out titanEmbedResponse
			tokens, err := a.invoke(ctx, call, &body, &out)
			if err != nil {
				return nil, err
			}
			if tokens == 0 {
				tokens = out.InputTextTokenCount
			}
			res.Usage.InputTokens += tokens
			res.Embeddings = append(res.Embeddings, &mcpv1.Embedding{Index: int32(i), Values: out.Embedding})
		}
	default:
		for start := 0; start < len(texts); start += cohereBatch {
			batch := texts[start:min(start+cohereBatch, len(texts))]
			body := cohereEmbedRequest{Texts: batch, InputType: "search_document"}
			if family == familyCohereV4 {
				body.OutputDimension = call.Dimensions
			}
			var out cohereEmbedResponse
			tokens, err := a.invoke(ctx, call, &body, &out)
			if err != nil {
				return nil, err
			}
			if len(out.Embeddings) != len(batch) {
				return nil, a.protocolError(http.StatusOK, "Bedrock returned %d embeddings for %d texts", len(out.Embeddings), len(batch))
			}
			res.Usage.InputTokens += tokens
			for i, e := range out.Embeddings {
				res.Embeddings = append(res.Embeddings, &mcpv1.Embedding{Index: int32(start + i), Values: e})
			}
		}
	}
	res.Usage.TotalTokens = res.Usage.InputTokens
	return res, nil
}

// invoke posts body to InvokeModel and decodes the answer into out. It
// returns the input token count Bedrock reports in a header.
func (a *Adapter) invoke(ctx context.Context, call *provider.EmbedCall, body, out any) (int64, error) {
	resp, err := a.send(ctx, call.Model, call.Credential, "invoke", "application/json", body)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return 0, a.transportError(ctxErr)
		}
		return 0, a.protocolError(resp.StatusCode, "decode InvokeModel response: %v", err)
	}
	drain(resp.Body)
	tokens, _ := strconv.ParseInt(resp.Header.Get("X-Amzn-Bedrock-Input-Token-Count"), 10, 64)
	return tokens, nil
}

func (a *Adapter) unsupported(field, msg string) *apierror.Error {
	return &apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED, Field: field, Message: msg, Provider: a.name}
}
