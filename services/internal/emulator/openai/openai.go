// Package openai emulates the OpenAI API and its compatible family (Azure
// OpenAI deployments, Mistral, Groq, OpenRouter quirks) for tests:
// POST /v1/chat/completions (JSON and SSE), POST /v1/embeddings (float and
// base64), GET /v1/models, per shared/PROVIDER_WIRE_FORMATS.md §1, §4.2, §7.
package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/manifoldgw/manifold/services/internal/emulator"
)

// Flavor selects which member of the family the emulator imitates.
type Flavor string

const (
	// FlavorOpenAI is api.openai.com (Azure deployment paths are served
	// in every flavor).
	FlavorOpenAI Flavor = ""
	// FlavorMistral: top-level error envelope, 9-character tool-call ids,
	// random_seed/max_tokens, no seed/max_completion_tokens/stream_options/
	// user (422 extra_forbidden), usage on the last content chunk.
	FlavorMistral Flavor = "mistral"
	// FlavorGroq: 400 on messages[].name, logprobs, logit_bias,
	// top_logprobs and n > 1.
	FlavorGroq Flavor = "groq"
	// FlavorOpenRouter: ": OPENROUTER PROCESSING" comments in streams and
	// numeric error codes.
	FlavorOpenRouter Flavor = "openrouter"
)

// Options configure the emulator; the zero value imitates OpenAI.
type Options struct {
	Flavor Flavor
	// APIKey, when set, is the only key accepted; any key otherwise.
	APIKey string
	// Models are listed by GET /v1/models; when set, other models get 404.
	Models []string
	// ContextWindow, when > 0, rejects requests with more input tokens
	// with OpenAI's context_length_exceeded error.
	ContextWindow int
	// CachedTokens are reported as prompt_tokens_details.cached_tokens
	// (at most the prompt tokens).
	CachedTokens int
	// Reasoning is streamed as reasoning_content before the answer and
	// counted as reasoning tokens (included in completion_tokens).
	Reasoning string
	// EmbeddingDimensions is the default vector size (8 when zero).
	EmbeddingDimensions int
}

var defaultModels = []string{"gpt-4o-mini", "gpt-4.1", "o4-mini", "text-embedding-3-small"}

// Emulator is an http.Handler speaking the OpenAI wire format.
type Emulator struct {
	emulator.Base
	mu   sync.Mutex
	opts Options
	seq  atomic.Uint64
}

// New returns an emulator imitating api.openai.com.
func New() *Emulator { return &Emulator{} }

// Configure replaces the emulator's options.
func (e *Emulator) Configure(o Options) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.opts = o
}

func (e *Emulator) options() Options {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.opts
}

// call is one request being answered.
type call struct {
	e     *Emulator
	opts  Options
	azure bool
	w     http.ResponseWriter
	r     *http.Request
	fault emulator.Fault
}

// ServeHTTP implements http.Handler.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := e.seq.Add(1)
	start := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return
	}
	w.Header().Set("X-Request-Id", fmt.Sprintf("req_%032x", n))
	w.Header().Set("Openai-Version", "2020-10-01")
	f, ok := e.Begin(r, body)
	if !ok {
		return
	}
	emulator.WriteHeaders(w, f)
	c := &call{e: e, opts: e.options(), w: w, r: r, fault: f}
	c.azure = strings.HasPrefix(r.URL.Path, "/openai/deployments/")
	if c.azure {
		w.Header().Set("Apim-Request-Id", fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n))
	}
	w.Header().Set("Openai-Processing-Ms", strconv.FormatInt(time.Since(start).Milliseconds(), 10))
	if f.Status != 0 {
		c.scripted(f)
		return
	}
	if !c.authorized() {
		return
	}
	path := r.URL.Path
	model := ""
	if c.azure {
		rest := strings.TrimPrefix(path, "/openai/deployments/")
		dep, op, _ := strings.Cut(rest, "/")
		if r.URL.Query().Get("api-version") == "" || dep == "" {
			c.azureNotFound()
			return
		}
		model, path = dep, "/"+op
	}
	switch {
	case strings.HasSuffix(path, "/chat/completions") && r.Method == http.MethodPost:
		c.chat(body, model)
	case strings.HasSuffix(path, "/embeddings") && r.Method == http.MethodPost:
		c.embeddings(body, model)
	case strings.HasSuffix(path, "/models") && r.Method == http.MethodGet:
		c.listModels()
	case strings.Contains(path, "/models/") && r.Method == http.MethodGet:
		c.getModel(path[strings.LastIndex(path, "/models/")+len("/models/"):])
	default:
		c.fail(http.StatusNotFound, "invalid_request_error", fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path), "", "")
	}
}

func (c *call) azureNotFound() {
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(http.StatusNotFound)
	_, _ = io.WriteString(c.w, `{"error":{"code":"404","message":"Resource not found"}}`)
}

// authorized checks the key: Authorization: Bearer, or api-key on Azure.
func (c *call) authorized() bool {
	var key string
	if c.azure {
		key = c.r.Header.Get("Api-Key")
		if key == "" {
			key = strings.TrimPrefix(c.r.Header.Get("Authorization"), "Bearer ")
		}
		if key == "" || (c.opts.APIKey != "" && key != c.opts.APIKey) {
			c.w.Header().Set("Content-Type", "application/json")
			c.w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(c.w, `{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}`)
			return false
		}
		return true
	}
	auth := c.r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || key == "" {
		c.fail(http.StatusUnauthorized, "invalid_request_error", "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.", "", "")
		return false
	}
	if c.opts.APIKey != "" && key != c.opts.APIKey {
		c.fail(http.StatusUnauthorized, "invalid_request_error", "Incorrect API key provided: "+mask(key)+". You can find your API key at https://platform.openai.com/account/api-keys.", "", "invalid_api_key")
		return false
	}
	return true
}

func mask(key string) string {
	if len(key) <= 8 {
		return "sk-***"
	}
	return key[:3] + strings.Repeat("*", 8) + key[len(key)-4:]
}

// scripted answers with a scripted status in the flavor's envelope; a
// scripted 429 also carries OpenAI's rate-limit headers (the fault's own
// headers win).
func (c *call) scripted(f emulator.Fault) {
	if f.Status == http.StatusTooManyRequests {
		h := c.w.Header()
		for k, v := range map[string]string{
			"X-Ratelimit-Limit-Requests": "60", "X-Ratelimit-Remaining-Requests": "0", "X-Ratelimit-Reset-Requests": "1s",
			"X-Ratelimit-Limit-Tokens": "150000", "X-Ratelimit-Remaining-Tokens": "149984", "X-Ratelimit-Reset-Tokens": "6m0s",
		} {
			if _, set := f.Headers[k]; !set && h.Get(k) == "" {
				h.Set(k, v)
			}
		}
	}
	if f.Body != "" {
		c.w.Header().Set("Content-Type", "application/json")
		c.w.WriteHeader(f.Status)
		_, _ = io.WriteString(c.w, f.Body)
		return
	}
	typ, msg, code := "invalid_request_error", "Scripted error.", ""
	switch f.Status {
	case http.StatusUnauthorized:
		msg, code = "Incorrect API key provided: sk-ab********wxyz. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_api_key"
	case http.StatusForbidden:
		msg, code = "You are not allowed to use this model.", "model_not_allowed"
	case http.StatusNotFound:
		msg, code = "The model does not exist or you do not have access to it.", "model_not_found"
	case http.StatusTooManyRequests:
		typ, msg, code = "requests", "Rate limit reached for requests per min (RPM): Limit 60, Used 60, Requested 1. Please try again in 1s.", "rate_limit_exceeded"
	case http.StatusInternalServerError:
		typ, msg = "server_error", "The server had an error while processing your request. Sorry about that!"
	case http.StatusServiceUnavailable, 529:
		typ, msg = "server_error", "The server is overloaded or not ready yet."
	default:
		if f.Status >= 500 {
			typ = "server_error"
		}
	}
	c.fail(f.Status, typ, msg, "", code)
}

// fail writes an error in the flavor's envelope.
func (c *call) fail(status int, typ, msg, param, code string) {
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(c.errorBody(status, typ, msg, param, code))
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (c *call) errorBody(status int, typ, msg, param, code string) []byte {
	var v any
	switch {
	case c.opts.Flavor == FlavorMistral && !c.azure:
		if code == "" {
			code = strconv.Itoa(status)
		}
		v = struct {
			Object        string  `json:"object"`
			Message       string  `json:"message"`
			Type          string  `json:"type"`
			Param         *string `json:"param"`
			Code          string  `json:"code"`
			RawStatusCode int     `json:"raw_status_code"`
		}{"error", msg, typ, nullable(param), code, status}
	case c.opts.Flavor == FlavorOpenRouter && !c.azure:
		v = map[string]any{"error": map[string]any{"code": status, "message": msg}}
	default:
		v = map[string]any{"error": struct {
			Message string  `json:"message"`
			Type    string  `json:"type"`
			Param   *string `json:"param"`
			Code    *string `json:"code"`
		}{msg, typ, nullable(param), nullable(code)}}
	}
	b, _ := json.Marshal(v)
	return b
}

func (c *call) writeJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.fail(http.StatusInternalServerError, "server_error", err.Error(), "", "")
		return
	}
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(b)
}

func (c *call) models() []string {
	if c.opts.Models != nil {
		return c.opts.Models
	}
	return defaultModels
}

func (c *call) knownModel(m string) bool {
	if c.opts.Models == nil || c.azure {
		return true
	}
	for _, x := range c.opts.Models {
		if x == m {
			return true
		}
	}
	return false
}

type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func (c *call) listModels() {
	out := struct {
		Object string        `json:"object"`
		Data   []modelObject `json:"data"`
	}{Object: "list", Data: []modelObject{}}
	for _, m := range c.models() {
		out.Data = append(out.Data, modelObject{ID: m, Object: "model", Created: 1686935002, OwnedBy: "openai"})
	}
	c.writeJSON(out)
}

func (c *call) getModel(id string) {
	for _, m := range c.models() {
		if m == id {
			c.writeJSON(modelObject{ID: m, Object: "model", Created: 1686935002, OwnedBy: "openai"})
			return
		}
	}
	c.fail(http.StatusNotFound, "invalid_request_error", fmt.Sprintf("The model '%s' does not exist", id), "model", "model_not_found")
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
