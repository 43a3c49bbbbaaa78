package bedrock

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/manifoldgw/manifold/services/internal/emulator"
)

// invoke serves InvokeModel for the embedding models: Amazon Titan Text
// Embeddings ({"inputText"} → {"embedding","inputTextTokenCount"}) and
// Cohere Embed ({"texts","input_type"} → {"embeddings":[[…]]}), with the
// token count in X-Amzn-Bedrock-Input-Token-Count as Bedrock sends it.
func (e *Emulator) invoke(w http.ResponseWriter, model string, body []byte) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var out any
	tokens := 0
	switch {
	case strings.Contains(model, "amazon.titan-embed-text-v2"), strings.Contains(model, "amazon.titan-embed-text-v1"):
		var req struct {
			InputText  *string `json:"inputText"`
			Dimensions int     `json:"dimensions"`
			Normalize  *bool   `json:"normalize"`
		}
		if err := dec.Decode(&req); err != nil || req.InputText == nil {
			e.validation(w, "Malformed input request: #: required key [inputText] not found, please reformat your input and try again.")
			return
		}
		v2 := strings.Contains(model, "v2")
		dims := 1536
		if v2 {
			dims = 1024
			switch req.Dimensions {
			case 0:
			case 256, 512, 1024:
				dims = req.Dimensions
			default:
				e.validation(w, "Malformed input request: #/dimensions: %d is not a valid enum value, please reformat your input and try again.", req.Dimensions)
				return
			}
		} else if req.Dimensions != 0 || req.Normalize != nil {
			e.validation(w, "Malformed input request: extraneous key [dimensions] is not permitted, please reformat your input and try again.")
			return
		}
		tokens = emulator.CountTokens(*req.InputText)
		out = map[string]any{"embedding": vector(*req.InputText, dims), "inputTextTokenCount": tokens}
	case strings.Contains(model, "cohere.embed-"):
		var req struct {
			Texts           []string `json:"texts"`
			InputType       string   `json:"input_type"`
			Truncate        string   `json:"truncate"`
			EmbeddingTypes  []string `json:"embedding_types"`
			OutputDimension int      `json:"output_dimension"`
		}
		if err := dec.Decode(&req); err != nil || len(req.Texts) == 0 || req.InputType == "" {
			e.validation(w, "Malformed input request: #: required key [texts, input_type] not found, please reformat your input and try again.")
			return
		}
		if len(req.Texts) > 96 {
			e.validation(w, "Malformed input request: #/texts: expected maximum item count: 96, found: %d, please reformat your input and try again.", len(req.Texts))
			return
		}
		dims := 1024
		if req.OutputDimension != 0 {
			if !strings.Contains(model, "embed-v4") {
				e.validation(w, "Malformed input request: extraneous key [output_dimension] is not permitted, please reformat your input and try again.")
				return
			}
			dims = req.OutputDimension
		}
		vecs := make([][]float32, len(req.Texts))
		for i, t := range req.Texts {
			vecs[i] = vector(t, dims)
			tokens += emulator.CountTokens(t)
		}
		out = map[string]any{"id": "emu-embed", "response_type": "embeddings_floats", "texts": req.Texts, "embeddings": vecs}
	default:
		e.validation(w, "The provided model doesn't support on-demand throughput or is not an embedding model served here.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Bedrock-Input-Token-Count", strconv.Itoa(tokens))
	b, _ := json.Marshal(out)
	_, _ = w.Write(b)
}

// vector is a deterministic unit vector for text: equal texts embed alike.
func vector(text string, dims int) []float32 {
	v := make([]float32, dims)
	var norm float64
	seed := sha256.Sum256([]byte(text))
	for i := range v {
		if i%8 == 0 && i > 0 {
			seed = sha256.Sum256(seed[:])
		}
		x := float64(binary.BigEndian.Uint32(seed[(i%8)*4:]))/math.MaxUint32*2 - 1
		v[i] = float32(x)
		norm += x * x
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i] = float32(float64(v[i]) / norm)
	}
	return v
}
