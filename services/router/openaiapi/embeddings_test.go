package openaiapi_test

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"testing"
)

type embeddingList struct {
	Object string `json:"object"`
	Model  string `json:"model"`
	Data   []struct {
		Object    string          `json:"object"`
		Index     int             `json:"index"`
		Embedding json.RawMessage `json:"embedding"`
	} `json:"data"`
	Usage struct {
		PromptTokens int64 `json:"prompt_tokens"`
		TotalTokens  int64 `json:"total_tokens"`
	} `json:"usage"`
}

func embed(t *testing.T, body string) embeddingList {
	t.Helper()
	res, b := post(t, serve(t, demoRouter()), "/v1/embeddings", body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, b)
	}
	var l embeddingList
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	if l.Object != "list" || l.Model == "" || l.Usage.PromptTokens == 0 || l.Usage.TotalTokens != l.Usage.PromptTokens {
		t.Fatalf("envelope: %s", b)
	}
	for i, d := range l.Data {
		if d.Object != "embedding" || d.Index != i {
			t.Fatalf("data[%d]: %s", i, b)
		}
	}
	return l
}

// TestEmbeddingsEncodings checks that base64 (what both SDKs send by
// default) decodes to exactly the float answer.
func TestEmbeddingsEncodings(t *testing.T) {
	floats := embed(t, `{"model":"demo","input":["hello world","second"],"encoding_format":"float","dimensions":16}`)
	b64 := embed(t, `{"model":"demo","input":["hello world","second"],"encoding_format":"base64","dimensions":16}`)
	if len(floats.Data) != 2 || len(b64.Data) != 2 {
		t.Fatalf("want two embeddings, got %d and %d", len(floats.Data), len(b64.Data))
	}
	for i := range floats.Data {
		var want []float32
		if err := json.Unmarshal(floats.Data[i].Embedding, &want); err != nil || len(want) != 16 {
			t.Fatalf("float embedding %s: %v", floats.Data[i].Embedding, err)
		}
		var s string
		if err := json.Unmarshal(b64.Data[i].Embedding, &s); err != nil {
			t.Fatalf("base64 embedding %s is not a string", b64.Data[i].Embedding)
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw) != 4*len(want) {
			t.Fatalf("base64 embedding: %d bytes, %v", len(raw), err)
		}
		for j := range want {
			if got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:])); got != want[j] {
				t.Errorf("embedding %d[%d]: base64 %v, float %v", i, j, got, want[j])
			}
		}
	}
	// A single string and token arrays are accepted too.
	if l := embed(t, `{"model":"demo","input":"one"}`); len(l.Data) != 1 {
		t.Errorf("single input: %d embeddings", len(l.Data))
	}
	if l := embed(t, `{"model":"demo","input":[[1,2,3],[4,5]]}`); len(l.Data) != 2 {
		t.Errorf("token arrays: %d embeddings", len(l.Data))
	}
}

func TestEmbeddingsErrors(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		status     int
		param      string
	}{
		{"bad encoding_format", `{"model":"demo","input":"x","encoding_format":"hex"}`, 400, "encoding_format"},
		{"no input", `{"model":"demo"}`, 400, "input"},
		{"bad input", `{"model":"demo","input":{"a":1}}`, 400, ""},
		{"unknown model", `{"model":"nope","input":"x"}`, 404, "model"},
		// Unbounded, one call made the demo model allocate gigabytes.
		{"empty input", `{"model":"demo","input":""}`, 400, ""},
		{"too many dimensions", `{"model":"demo","input":"x","dimensions":20000000}`, 400, "dimensions"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, b := post(t, serve(t, demoRouter()), "/v1/embeddings", tt.body)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, b)
			}
			_, _, param, _ := errorObject(t, b)
			if tt.param != "" && (param == nil || *param != tt.param) {
				t.Errorf("param %v, want %q: %s", param, tt.param, b)
			}
		})
	}
}

func TestModels(t *testing.T) {
	srv := serve(t, demoRouter())
	res, b := get(t, srv, "/v1/models")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, b)
	}
	var l struct {
		Object string `json:"object"`
		Data   []struct {
			ID      string `json:"id"`
			Object  string `json:"object"`
			Created int64  `json:"created"`
			OwnedBy string `json:"owned_by"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range l.Data {
		if m.Object != "model" || m.Created == 0 || m.OwnedBy == "" {
			t.Errorf("model object %+v", m)
		}
		found = found || m.ID == "demo"
	}
	if l.Object != "list" || !found {
		t.Fatalf("list: %s", b)
	}

	res, b = get(t, srv, "/v1/models/demo")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("get demo: %d %s", res.StatusCode, b)
	}
	var m struct{ ID, Object string }
	if err := json.Unmarshal(b, &m); err != nil || m.ID != "demo" || m.Object != "model" {
		t.Fatalf("get demo: %s", b)
	}

	res, b = get(t, srv, "/v1/models/nope")
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("get unknown: %d %s", res.StatusCode, b)
	}
	if _, _, _, code := errorObject(t, b); code == nil || *code != "model_not_found" {
		t.Errorf("get unknown: %s", b)
	}
}
