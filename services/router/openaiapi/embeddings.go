package openaiapi

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/validate"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/internal/jsonhttp"
)

// The embeddings types follow CreateEmbeddingRequest/Response (§1.6).

type embeddingRequest struct {
	Model          string         `json:"model"`
	Input          embeddingInput `json:"input"`
	EncodingFormat string         `json:"encoding_format"`
	Dimensions     *int32         `json:"dimensions"`
	User           string         `json:"user"`
}

// embeddingInput is a string, an array of strings, an array of token ids
// or an array of token-id arrays.
type embeddingInput []*mcpv1.EmbeddingInput

func (in *embeddingInput) UnmarshalJSON(b []byte) error {
	text := func(s string) *mcpv1.EmbeddingInput {
		return &mcpv1.EmbeddingInput{Input: &mcpv1.EmbeddingInput_Text{Text: s}}
	}
	tokens := func(ids []int32) *mcpv1.EmbeddingInput {
		return &mcpv1.EmbeddingInput{Input: &mcpv1.EmbeddingInput_Tokens{Tokens: &mcpv1.TokenList{Ids: ids}}}
	}
	switch firstByte(b) {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*in = embeddingInput{text(s)}
		return nil
	case '[':
		var texts []string
		if err := json.Unmarshal(b, &texts); err == nil {
			out := make(embeddingInput, len(texts))
			for i, s := range texts {
				out[i] = text(s)
			}
			*in = out
			return nil
		}
		var ids []int32
		if err := json.Unmarshal(b, &ids); err == nil {
			*in = embeddingInput{tokens(ids)}
			return nil
		}
		var lists [][]int32
		if err := json.Unmarshal(b, &lists); err == nil {
			out := make(embeddingInput, len(lists))
			for i, l := range lists {
				out[i] = tokens(l)
			}
			*in = out
			return nil
		}
	}
	return errors.New("input must be a string, an array of strings, an array of token ids or an array of token-id arrays")
}

type embeddingList struct {
	Object string          `json:"object"`
	Data   []embeddingData `json:"data"`
	Model  string          `json:"model"`
	Usage  embeddingUsage  `json:"usage"`
}

type embeddingData struct {
	Object    string `json:"object"`
	Index     int32  `json:"index"`
	Embedding vector `json:"embedding"`
}

type embeddingUsage struct {
	PromptTokens int64 `json:"prompt_tokens"`
	TotalTokens  int64 `json:"total_tokens"`
}

// vector marshals as a float array, or as base64 of little-endian float32s
// (what both official SDKs ask for by default and decode).
type vector struct {
	values []float32
	base64 bool
}

func (v vector) MarshalJSON() ([]byte, error) {
	if v.base64 {
		raw := make([]byte, 4*len(v.values))
		for i, f := range v.values {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
		}
		out := make([]byte, 0, base64.StdEncoding.EncodedLen(len(raw))+2)
		out = append(out, '"')
		out = base64.StdEncoding.AppendEncode(out, raw)
		return append(out, '"'), nil
	}
	out := make([]byte, 0, 12*len(v.values)+2)
	out = append(out, '[')
	for i, f := range v.values {
		if i > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendFloat(out, float64(f), 'g', -1, 32)
	}
	return append(out, ']'), nil
}

func (h *Handler) embeddings(w http.ResponseWriter, r *http.Request) {
	buf, err := jsonhttp.ReadBody(r)
	if err != nil {
		h.writeBodyError(w, err)
		return
	}
	var er embeddingRequest
	err = decodeJSON(buf.Bytes(), &er)
	jsonhttp.PutBuffer(buf)
	if err != nil {
		h.writeBodyError(w, err)
		return
	}
	b64 := false
	switch er.EncodingFormat {
	case "", "float":
	case "base64":
		b64 = true
	default:
		h.writeError(w, apierror.Invalid("encoding_format", "unsupported encoding_format %q: use float or base64", er.EncodingFormat))
		return
	}
	if len(er.Input) == 0 {
		h.writeError(w, apierror.Invalid("input", "input is required"))
		return
	}
	req := &routerv1.EmbedRequest{Model: er.Model, Inputs: er.Input, Dimensions: er.Dimensions}
	if er.User != "" {
		req.Options = &mcpv1.RequestOptions{User: er.User}
	}
	if err := validate.Check(req); err != nil {
		h.writeError(w, embedFieldNames(err))
		return
	}
	res, err := h.router.DoEmbed(r.Context(), req, router.SurfaceOpenAI)
	if err != nil {
		h.writeError(w, err)
		return
	}
	out := embeddingList{Object: "list", Model: modelName(res.GetMetadata().GetModel(), er.Model), Data: make([]embeddingData, len(res.GetEmbeddings()))}
	for i, e := range res.GetEmbeddings() {
		out.Data[i] = embeddingData{Object: "embedding", Index: e.GetIndex(), Embedding: vector{values: e.GetValues(), base64: b64}}
	}
	out.Usage = embeddingUsage{PromptTokens: res.GetUsage().GetInputTokens(), TotalTokens: res.GetUsage().GetInputTokens()}
	if err := jsonhttp.WriteJSON(w, http.StatusOK, out); err != nil {
		h.logger.Debug("openai surface: write response", "err", err)
	}
}

// embedFieldNames renames EmbedRequest fields to the OpenAI parameters.
func embedFieldNames(err error) error {
	e := apierror.As(err)
	if rest, ok := strings.CutPrefix(e.Field, "inputs"); ok {
		c := *e
		c.Message = strings.ReplaceAll(c.Message, "inputs", "input")
		c.Field = "input" + rest
		return &c
	}
	return e
}
