// Package promptapi serves published prompts as REST endpoints:
//
//	POST /apis/{slug}        body: the prompt's variables as a JSON object
//	GET  /apis/openapi.json  the OpenAPI 3.1 document of every publication
//
// A call authenticates with a virtual key (Authorization: Bearer <key>, or
// x-api-key) whose prompt-API scopes match the slug, renders the
// publication's prompt label with the variables (from the router's local
// prompt cache) and answers
//
//	{"output": <text, or the parsed JSON value when the prompt asks for JSON>,
//	 "usage": {...}, "cost_micros": n, "prompt": {"name": ..., "version": n}}
//
// With ?stream=true (or Accept: text/event-stream) on a publication that
// allows streaming, the answer is a server-sent-event stream:
//
//	event: delta   data: {"text": "<next piece of the answer>"}     (zero or more)
//	event: done    data: <the same object as the JSON answer>       (last, on success)
//	event: error   data: {"error": {"type", "message", "field"?}}   (last, on failure)
//
// Errors before the answer starts are plain HTTP errors with the body
// {"error": {"type": "<error class>", "message": ..., "field": ...}}: 400
// for a missing or ill-typed variable (field "variables.<name>"), 401 for a
// missing or invalid key, 403 for a key not scoped to the API, 404 for a
// slug that is not published.
package promptapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"path"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	promptsv1 "github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/validate"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/internal/jsonhttp"
)

// Pattern is the path to mount the handler on.
const Pattern = "/apis/"

// Router is what the surface needs from the router; *router.Service
// satisfies it.
type Router interface {
	Authenticate(ctx context.Context, secret string) (*router.Caller, error)
	Do(ctx context.Context, req *mcpv1.Request, surface router.Surface) (*mcpv1.Response, error)
	DoStream(ctx context.Context, req *mcpv1.Request, surface router.Surface, emit func(*mcpv1.StreamEvent) error) error
}

// Prompts is what the surface needs from the prompt cache;
// *promptcache.Cache satisfies it.
type Prompts interface {
	Publication(slug string) (*promptsv1.Publication, bool)
	Template(name string, version int32) *promptsv1.PromptTemplate
	OpenAPI(serverURL string) ([]byte, error)
}

// Handler serves the prompt APIs.
type Handler struct {
	router    Router
	prompts   Prompts
	logger    *slog.Logger
	publicURL string
}

// New returns the handler. publicURL is the gateway's base URL for the
// OpenAPI document; empty means the URL the document was requested at.
func New(r Router, p Prompts, publicURL string, logger *slog.Logger) *Handler {
	return &Handler{router: r, prompts: p, logger: logger, publicURL: publicURL}
}

// ServeHTTP dispatches by path and method.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Request-Id", jsonhttp.NewID("req_"))
	slug := strings.TrimPrefix(r.URL.Path, Pattern)
	if slug == "openapi.json" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "method %s not allowed; use GET", r.Method), http.StatusMethodNotAllowed)
			return
		}
		h.openAPI(w, r)
		return
	}
	if slug == "" || strings.Contains(slug, "/") {
		writeError(w, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "no prompt API at %s", r.URL.Path), 0)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, "method %s not allowed; use POST", r.Method), http.StatusMethodNotAllowed)
		return
	}
	h.call(w, r, slug)
}

func (h *Handler) openAPI(w http.ResponseWriter, r *http.Request) {
	server := h.publicURL
	if server == "" {
		scheme := "http"
		if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
			scheme = "https"
		}
		server = scheme + "://" + r.Host
	}
	doc, err := h.prompts.OpenAPI(server)
	if err != nil {
		h.logger.Error("build OpenAPI document", "err", err)
		writeError(w, apierror.Internal(err), 0)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(doc)
}

func (h *Handler) call(w http.ResponseWriter, r *http.Request, slug string) {
	ctx := r.Context()
	caller, err := h.router.Authenticate(ctx, router.SecretFrom(r.Header))
	if err != nil {
		writeError(w, err, 0)
		return
	}
	pub, ok := h.prompts.Publication(slug)
	if !ok {
		writeError(w, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "no prompt API is published at /apis/%s", slug), 0)
		return
	}
	if !scoped(caller, slug) {
		writeError(w, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_PERMISSION_DENIED, "this key may not call /apis/%s", slug), 0)
		return
	}
	vars, err := readVariables(r)
	if err != nil {
		writeError(w, err, 0)
		return
	}
	var stream bool
	switch q := r.URL.Query().Get("stream"); q {
	case "true":
		stream = true
	case "", "false":
		stream = strings.Contains(r.Header.Get("Accept"), "text/event-stream")
	default:
		writeError(w, apierror.Invalid("stream", "stream must be true or false, not %q", q), 0)
		return
	}
	if stream && !pub.GetAllowStreaming() {
		writeError(w, apierror.Invalid("stream", "streaming is not enabled for /apis/%s", slug), 0)
		return
	}
	req := &mcpv1.Request{Prompt: &mcpv1.PromptRef{
		Name: pub.GetPromptName(), Selector: &mcpv1.PromptRef_Label{Label: pub.GetLabel()}, Variables: vars,
	}}
	if err := validate.Check(req); err != nil {
		writeError(w, err, 0)
		return
	}
	// The publication pins the prompt, and so the route or model it calls:
	// a key scoped to the API may use it whatever its route and model
	// scopes say (they govern the key's direct calls).
	apiCaller := *caller
	apiCaller.Routes, apiCaller.Models = nil, nil
	ctx = router.WithCaller(ctx, &apiCaller)
	if stream {
		h.stream(ctx, w, req)
		return
	}
	res, err := h.router.Do(ctx, req, router.SurfacePromptAPI)
	if err != nil {
		writeError(w, err, 0)
		return
	}
	md := res.GetMetadata()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(h.answer(md.GetPromptName(), md.GetPromptVersion(), text(res.GetMessage()), res.GetUsage()))
}

// scoped reports whether caller may call slug. Without an authenticator
// (no key id) every caller may; a key needs a prompt-API scope pattern
// matching the slug ('*' matches any run of characters).
func scoped(c *router.Caller, slug string) bool {
	if c == nil || c.KeyID == "" {
		return true
	}
	for _, p := range c.PromptAPIs {
		if ok, _ := path.Match(p, slug); ok {
			return true
		}
	}
	return false
}

// readVariables decodes the body: a JSON object, or nothing for {}.
func readVariables(r *http.Request) (*structpb.Struct, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, apierror.Invalid("body", "request body too large")
		}
		return nil, apierror.Invalid("body", "cannot read the request body")
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return &structpb.Struct{}, nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, apierror.Invalid("variables", "the body must be a JSON object of the prompt's variables")
	}
	s, err := structpb.NewStruct(m)
	if err != nil {
		return nil, apierror.Invalid("variables", "the variables cannot be represented: %v", err)
	}
	return s, nil
}

// answer is the JSON answer (also the data of the stream's done event).
type answer struct {
	Output     any        `json:"output"`
	Usage      usage      `json:"usage"`
	CostMicros int64      `json:"cost_micros"`
	Prompt     promptUsed `json:"prompt"`
}

type usage struct {
	InputTokens       int64 `json:"input_tokens"`
	OutputTokens      int64 `json:"output_tokens"`
	CachedInputTokens int64 `json:"cached_input_tokens"`
	ReasoningTokens   int64 `json:"reasoning_tokens"`
	TotalTokens       int64 `json:"total_tokens"`
}

type promptUsed struct {
	Name    string `json:"name"`
	Version int32  `json:"version"`
}

func (h *Handler) answer(name string, version int32, out string, u *mcpv1.Usage) answer {
	a := answer{
		Output: out,
		Usage: usage{
			InputTokens: u.GetInputTokens(), OutputTokens: u.GetOutputTokens(), CachedInputTokens: u.GetCachedInputTokens(),
			ReasoningTokens: u.GetReasoningTokens(), TotalTokens: u.GetTotalTokens(),
		},
		CostMicros: u.GetCostMicros(),
		Prompt:     promptUsed{Name: name, Version: version},
	}
	switch h.prompts.Template(name, version).GetDefaults().GetResponseFormat().GetType() {
	case mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA, mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_OBJECT:
		var v any
		if err := json.Unmarshal([]byte(out), &v); err == nil {
			a.Output = v
		}
	}
	return a
}

func text(m *mcpv1.Message) string {
	var b strings.Builder
	for _, p := range m.GetContent() {
		b.WriteString(p.GetText())
	}
	return b.String()
}

// stream answers as server-sent events. Until the first event the answer
// can still be a plain HTTP error.
func (h *Handler) stream(ctx context.Context, w http.ResponseWriter, req *mcpv1.Request) {
	flusher, _ := w.(http.Flusher)
	started := false
	start := func() {
		if started {
			return
		}
		started = true
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
	}
	send := func(event string, data any) error {
		start()
		b, err := json.Marshal(data)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, "event: "+event+"\ndata: "+string(b)+"\n\n"); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	}
	var out strings.Builder
	var u *mcpv1.Usage
	err := h.router.DoStream(ctx, req, router.SurfacePromptAPI, func(ev *mcpv1.StreamEvent) error {
		switch e := ev.GetEvent().(type) {
		case *mcpv1.StreamEvent_Start:
			start()
			if flusher != nil {
				flusher.Flush()
			}
		case *mcpv1.StreamEvent_TextDelta:
			out.WriteString(e.TextDelta.GetText())
			return send("delta", map[string]string{"text": e.TextDelta.GetText()})
		case *mcpv1.StreamEvent_Usage:
			u = e.Usage
		case *mcpv1.StreamEvent_Finish:
			md := e.Finish.GetMetadata()
			return send("done", h.answer(md.GetPromptName(), md.GetPromptVersion(), out.String(), u))
		case *mcpv1.StreamEvent_Error:
			return send("error", errorBody(apierror.FromDetail(e.Error)))
		}
		return nil
	})
	if err != nil && !started {
		writeError(w, err, 0)
	}
}

type errorEnvelope struct {
	Error errorFields `json:"error"`
}

type errorFields struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func errorBody(e *apierror.Error) errorEnvelope {
	return errorEnvelope{Error: errorFields{Type: apierror.ClassName(e.Class), Message: e.Error(), Field: e.Field}}
}

// writeError answers err with its class's status (or status, if not 0).
func writeError(w http.ResponseWriter, err error, status int) {
	e := apierror.As(err)
	if status == 0 {
		status = apierror.HTTPStatus(e.Class)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody(e))
}
