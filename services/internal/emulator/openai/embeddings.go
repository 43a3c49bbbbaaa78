package openai

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"

	"github.com/manifoldgw/manifold/services/internal/emulator"
)

type embeddingRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat *string         `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
	User           string          `json:"user"`
}

type embedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"`
}

// embeddings answers POST /v1/embeddings with deterministic unit vectors
// derived from each input, as float arrays or, when encoding_format is
// "base64" (the official SDKs' default), base64 of little-endian float32s.
func (c *call) embeddings(body []byte, azureModel string) {
	var req embeddingRequest
	dec := json.NewDecoder(bytesReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		if _, ok := err.(*json.SyntaxError); ok || !json.Valid(body) {
			c.invalid("We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)", "", "")
			return
		}
		c.invalid(fmt.Sprintf("Invalid request body: %v", err), "", "")
		return
	}
	if c.azure {
		req.Model = azureModel
	}
	if req.Model == "" {
		c.invalid("you must provide a model parameter", "", "")
		return
	}
	if len(req.Input) == 0 || string(req.Input) == "null" {
		c.invalid("Missing required parameter: 'input'.", "input", "missing_required_parameter")
		return
	}
	format := "float"
	if req.EncodingFormat != nil {
		format = *req.EncodingFormat
	}
	if format != "float" && format != "base64" {
		c.invalid(fmt.Sprintf("Invalid value: '%s'. Supported values are: 'float' and 'base64'.", format), "encoding_format", "invalid_value")
		return
	}
	if format == "base64" && c.opts.Flavor == FlavorMistral {
		c.fail(http.StatusUnprocessableEntity, "invalid_request_error", "Extra inputs are not permitted: body.encoding_format", "", "extra_forbidden")
		return
	}
	dims := c.opts.EmbeddingDimensions
	if dims == 0 {
		dims = 8
	}
	if req.Dimensions != nil {
		if *req.Dimensions < 1 {
			c.invalid(fmt.Sprintf("Invalid 'dimensions': integer below minimum value. Expected a value >= 1, but got %d instead.", *req.Dimensions), "dimensions", "integer_below_min_value")
			return
		}
		dims = *req.Dimensions
	}
	keys, tokens, ok := c.inputs(req.Input)
	if !ok {
		return
	}
	out := struct {
		Object string      `json:"object"`
		Data   []embedding `json:"data"`
		Model  string      `json:"model"`
		Usage  struct {
			PromptTokens int `json:"prompt_tokens"`
			TotalTokens  int `json:"total_tokens"`
		} `json:"usage"`
	}{Object: "list", Model: req.Model}
	for i, k := range keys {
		v := Vector(k, dims)
		var enc any = v
		if format == "base64" {
			b := make([]byte, 4*len(v))
			for j, f := range v {
				binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(f))
			}
			enc = base64.StdEncoding.EncodeToString(b)
		}
		out.Data = append(out.Data, embedding{Object: "embedding", Index: i, Embedding: enc})
	}
	out.Usage.PromptTokens, out.Usage.TotalTokens = tokens, tokens
	c.writeJSON(out)
}

// inputs reads string | string[] | int[] | int[][] into one key per input.
func (c *call) inputs(raw json.RawMessage) ([]string, int, bool) {
	invalid := func() ([]string, int, bool) {
		c.invalid("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", "", "")
		return nil, 0, false
	}
	// Decode into fresh values each time: a failed attempt may leave
	// partial results behind.
	var many []string
	var tokLists [][]int
	var one string
	var toks []int
	switch {
	case json.Unmarshal(raw, &one) == nil:
		many = []string{one}
	case json.Unmarshal(raw, &many) == nil:
	case json.Unmarshal(raw, &toks) == nil:
		many, tokLists = nil, [][]int{toks}
	case json.Unmarshal(raw, &tokLists) == nil:
		many = nil
	default:
		return invalid()
	}
	var keys []string
	n := 0
	for _, s := range many {
		if s == "" {
			return invalid()
		}
		keys = append(keys, s)
		n += emulator.CountTokens(s)
	}
	for _, t := range tokLists {
		if len(t) == 0 {
			return invalid()
		}
		keys = append(keys, fmt.Sprint(t))
		n += len(t)
	}
	if len(keys) == 0 || len(keys) > 2048 {
		return invalid()
	}
	return keys, n, true
}

// Vector is the emulator's embedding of key: a deterministic unit vector,
// so tests can compute the expected values.
func Vector(key string, dims int) []float32 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	x := h.Sum64() | 1
	v := make([]float32, dims)
	var norm float64
	for i := range v {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		f := float64(int64(x%2001)-1000) / 1000
		v[i] = float32(f)
		norm += f * f
	}
	if norm > 0 {
		s := 1 / math.Sqrt(norm)
		for i := range v {
			v[i] = float32(float64(v[i]) * s)
		}
	}
	return v
}
