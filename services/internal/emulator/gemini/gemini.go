// Package gemini emulates the Google Gemini Developer API (v1beta
// generateContent, streamGenerateContent with and without alt=sse,
// embedContent and batchEmbedContents) for tests, following
// shared/PROVIDER_WIRE_FORMATS.md §3. Requests are parsed as proto3 JSON
// (camelCase and snake_case names), answers are camelCase.
package gemini

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/manifoldgw/manifold/services/internal/emulator"
)

// Emulator is a fake Gemini API.
type Emulator struct {
	emulator.Base
	// APIKey, when set, is the only key accepted; others get Gemini's
	// 400 API_KEY_INVALID. Any key is accepted when empty, but one must be
	// sent (x-goog-api-key header or ?key=).
	APIKey string
	// Thought, when set, is emitted as a thought-summary part before the
	// answer and counted as thoughtsTokenCount.
	Thought string
	// CachedTokens is reported as cachedContentTokenCount (at most the
	// prompt's tokens).
	CachedTokens int

	ids atomic.Int64
}

// New returns an emulator.
func New() *Emulator { return &Emulator{} }

// ErrorBody is Gemini's google.rpc.Status envelope.
func ErrorBody(code int, status, message string, details ...any) string {
	st := map[string]any{"code": code, "message": message, "status": status}
	if len(details) > 0 {
		st["details"] = details
	}
	b, _ := json.MarshalIndent(map[string]any{"error": st}, "", "  ")
	return string(b)
}

// defaultError is the envelope real Gemini sends for a status.
func defaultError(code int) string {
	switch code {
	case http.StatusBadRequest:
		return ErrorBody(code, "INVALID_ARGUMENT", "Request contains an invalid argument.")
	case http.StatusUnauthorized:
		return ErrorBody(code, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
	case http.StatusForbidden:
		return ErrorBody(code, "PERMISSION_DENIED", "The caller does not have permission")
	case http.StatusNotFound:
		return ErrorBody(code, "NOT_FOUND", "models/unknown is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.")
	case http.StatusTooManyRequests:
		return ErrorBody(code, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details.",
			map[string]any{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []any{map[string]any{
				"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests", "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
			}}},
			map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "20s"})
	case http.StatusServiceUnavailable:
		return ErrorBody(code, "UNAVAILABLE", "The model is overloaded. Please try again later.")
	case http.StatusGatewayTimeout:
		return ErrorBody(code, "DEADLINE_EXCEEDED", "The request timed out. Please try again.")
	case http.StatusInternalServerError:
		return ErrorBody(code, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting")
	}
	return ErrorBody(code, "UNKNOWN", http.StatusText(code))
}

func writeError(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
}

func invalid(w http.ResponseWriter, message string) {
	writeError(w, http.StatusBadRequest, ErrorBody(http.StatusBadRequest, "INVALID_ARGUMENT", message))
}

// ServeHTTP serves POST /v1beta/models/{model}:{method}.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	f, ok := e.Begin(r, body)
	if !ok {
		return
	}
	emulator.WriteHeaders(w, f)
	w.Header().Set("Vary", "Origin, X-Origin, Referer")
	w.Header().Set("Server-Timing", "gfet4t7; dur=12")
	if f.Status != 0 {
		b := f.Body
		if b == "" {
			b = defaultError(f.Status)
		}
		writeError(w, f.Status, b)
		return
	}
	model, method, ok := route(r.URL.Path)
	if !ok || r.Method != http.MethodPost {
		writeError(w, http.StatusNotFound, ErrorBody(http.StatusNotFound, "NOT_FOUND", "Requested entity was not found."))
		return
	}
	key := r.Header.Get("x-goog-api-key")
	if key == "" {
		key = r.URL.Query().Get("key")
	}
	if key == "" {
		writeError(w, http.StatusForbidden, ErrorBody(http.StatusForbidden, "PERMISSION_DENIED",
			"Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."))
		return
	}
	if e.APIKey != "" && key != e.APIKey {
		writeError(w, http.StatusBadRequest, ErrorBody(http.StatusBadRequest, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
			map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
				"metadata": map[string]string{"service": "generativelanguage.googleapis.com"}}))
		return
	}
	switch method {
	case "generateContent":
		e.generate(w, r, f, model, body, false)
	case "streamGenerateContent":
		e.generate(w, r, f, model, body, true)
	case "embedContent":
		e.embed(w, model, body, false)
	case "batchEmbedContents":
		e.embed(w, model, body, true)
	default:
		writeError(w, http.StatusNotFound, ErrorBody(http.StatusNotFound, "NOT_FOUND", "Requested entity was not found."))
	}
}

func route(path string) (model, method string, ok bool) {
	rest, ok := strings.CutPrefix(path, "/v1beta/models/")
	if !ok {
		if rest, ok = strings.CutPrefix(path, "/v1/models/"); !ok {
			return "", "", false
		}
	}
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// decode parses proto3 JSON into v, accepting snake_case names and
// rejecting unknown fields. It returns Gemini's message on failure.
func decode(body []byte, v any) string {
	var tree any
	if err := json.Unmarshal(body, &tree); err != nil {
		return "Invalid JSON payload received. " + err.Error()
	}
	if _, ok := tree.(map[string]any); !ok {
		return "Invalid JSON payload received. Expected an object."
	}
	norm, err := json.Marshal(camelize(tree))
	if err != nil {
		return "Invalid JSON payload received. " + err.Error()
	}
	dec := json.NewDecoder(bytes.NewReader(norm))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return "Invalid JSON payload received. Unknown name " + name + ": Cannot find field."
		}
		return "Invalid JSON payload received. " + msg
	}
	return ""
}

func (e *Emulator) generate(w http.ResponseWriter, r *http.Request, f emulator.Fault, model string, body []byte, stream bool) {
	var req generateRequest
	if msg := decode(body, &req); msg != "" {
		invalid(w, msg)
		return
	}
	turn, msg := toTurn(&req)
	if msg != "" {
		invalid(w, msg)
		return
	}
	a := emulator.Respond(turn)
	id := fmt.Sprintf("emu-%d", e.ids.Add(1))
	thoughts := 0
	if e.Thought != "" {
		thoughts = emulator.CountTokens(e.Thought)
	}
	usage := &respUsage{PromptTokenCount: a.InputTokens, CandidatesTokenCount: a.OutputTokens, ThoughtsTokenCount: thoughts,
		TotalTokenCount: a.InputTokens + a.OutputTokens + thoughts, CachedContentTokenCount: min(e.CachedTokens, a.InputTokens)}
	finish := "STOP"
	if a.Finish == "length" {
		finish = "MAX_TOKENS"
	}
	if !stream {
		var parts []respPart
		if e.Thought != "" {
			parts = append(parts, respPart{Text: e.Thought, Thought: true})
		}
		if a.ToolName != "" {
			parts = append(parts, respPart{FunctionCall: &respFunctionCall{Name: a.ToolName, Args: json.RawMessage(a.ToolArgs)}})
		} else if text := a.Text(); text != "" {
			parts = append(parts, respPart{Text: text})
		}
		out := response{
			Candidates:    []respCandidate{{Content: respContent{Role: "model", Parts: parts}, FinishReason: finish}},
			UsageMetadata: usage, ModelVersion: model, ResponseID: id,
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		b, _ := json.MarshalIndent(out, "", "  ")
		_, _ = w.Write(b)
		return
	}
	chunks := streamChunks(a, e.Thought, finish, usage, model, id)
	sse := r.URL.Query().Get("alt") == "sse"
	writeStream(w, f, chunks, sse)
}

// streamChunks splits an answer into the events Gemini streams: text
// deltas with partial usage, the last one carrying finishReason and the
// final usage; a function call arrives whole.
func streamChunks(a emulator.Answer, thought, finish string, usage *respUsage, model, id string) []response {
	partial := &respUsage{PromptTokenCount: usage.PromptTokenCount, TotalTokenCount: usage.PromptTokenCount}
	var chunks []response
	mk := func(parts []respPart) response {
		return response{Candidates: []respCandidate{{Content: respContent{Role: "model", Parts: parts}}}, UsageMetadata: partial, ModelVersion: model, ResponseID: id}
	}
	if thought != "" {
		chunks = append(chunks, mk([]respPart{{Text: thought, Thought: true}}))
	}
	var last []respPart
	if a.ToolName != "" {
		last = []respPart{{FunctionCall: &respFunctionCall{Name: a.ToolName, Args: json.RawMessage(a.ToolArgs)}}}
	} else if n := len(a.Tokens); n > 0 {
		for _, tok := range a.Tokens[:n-1] {
			chunks = append(chunks, mk([]respPart{{Text: tok}}))
		}
		last = []respPart{{Text: a.Tokens[n-1]}}
	}
	final := mk(last)
	final.Candidates[0].FinishReason = finish
	final.UsageMetadata = usage
	return append(chunks, final)
}

// writeStream sends chunks as SSE (`data: …` CRLF-separated, as real
// streams have been seen to be) or, without alt=sse, as a JSON array,
// applying the fault's cut, error and malformed-chunk knobs.
func writeStream(w http.ResponseWriter, f emulator.Fault, chunks []response, sse bool) {
	rc := http.NewResponseController(w)
	if sse {
		w.Header().Set("Content-Type", "text/event-stream")
	} else {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_, _ = io.WriteString(w, "[")
	}
	write := func(i int, payload []byte) {
		if sse {
			_, _ = fmt.Fprintf(w, "data: %s\r\n\r\n", payload)
		} else {
			if i > 0 {
				_, _ = io.WriteString(w, ",\r\n")
			}
			_, _ = w.Write(payload)
		}
		_ = rc.Flush()
	}
	for i, c := range chunks {
		b, _ := json.Marshal(c)
		write(i, b)
		n := i + 1
		switch {
		case f.CutAfterChunks == n:
			return
		case f.ErrorAfterChunks == n:
			write(n, []byte(`{"error":{"code":500,"message":"An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting","status":"INTERNAL"}}`))
			return
		case f.MalformedAfterChunks == n:
			write(n, []byte(`{"candidates":[{"content":{"parts":[{"text":`))
			return
		}
	}
	if !sse {
		_, _ = io.WriteString(w, "]")
	}
}

// toTurn validates the request as Gemini does and extracts what the
// deterministic model answers.
func toTurn(req *generateRequest) (emulator.Turn, string) {
	var t emulator.Turn
	if len(req.Contents) == 0 {
		return t, "* GenerateContentRequest.contents: contents is not specified\n"
	}
	var input strings.Builder
	if si := req.SystemInstruction; si != nil {
		for _, p := range si.Parts {
			if p.Text != nil {
				input.WriteString(*p.Text)
				input.WriteByte('\n')
			}
		}
	}
	for i, c := range req.Contents {
		if c.Role != "" && c.Role != "user" && c.Role != "model" {
			return t, "Please use a valid role: user, model."
		}
		if len(c.Parts) == 0 {
			return t, fmt.Sprintf("* GenerateContentRequest.contents[%d].parts: contents.parts must not be empty.\n", i)
		}
		last := i == len(req.Contents)-1
		var userText []string
		for j, p := range c.Parts {
			field := fmt.Sprintf("contents[%d].parts[%d]", i, j)
			if p.ThoughtSignature != "" {
				if _, err := decodeBytes(p.ThoughtSignature); err != nil {
					return t, fmt.Sprintf("Invalid value at '%s.thought_signature' (TYPE_BYTES), Base64 decoding failed for %q", field, p.ThoughtSignature)
				}
			}
			switch {
			case p.Text != nil:
				input.WriteString(*p.Text)
				input.WriteByte('\n')
				if c.Role != "model" && !p.Thought {
					userText = append(userText, *p.Text)
				}
			case p.InlineData != nil:
				if p.InlineData.MimeType == "" {
					return t, "* GenerateContentRequest." + field + ".inline_data.mime_type: mime_type must not be empty.\n"
				}
				if _, err := decodeBytes(p.InlineData.Data); err != nil {
					return t, fmt.Sprintf("Invalid value at '%s.inline_data.data' (TYPE_BYTES), Base64 decoding failed for %q", field, p.InlineData.Data)
				}
				if last && c.Role != "model" {
					t.Images = append(t.Images, p.InlineData.MimeType)
				}
			case p.FileData != nil:
				if p.FileData.FileURI == "" {
					return t, "* GenerateContentRequest." + field + ".file_data.file_uri: file_uri must not be empty.\n"
				}
				if last && c.Role != "model" {
					t.Images = append(t.Images, p.FileData.MimeType)
				}
			case p.FunctionCall != nil:
				if p.FunctionCall.Name == "" {
					return t, "* GenerateContentRequest." + field + ".function_call.name: Name cannot be empty.\n"
				}
			case p.FunctionResponse != nil:
				fr := p.FunctionResponse
				if fr.Name == "" {
					return t, "* GenerateContentRequest." + field + ".function_response.name: Name cannot be empty.\n"
				}
				result, ok := responseText(fr.Response)
				if !ok {
					return t, fmt.Sprintf("Invalid value at '%s.function_response.response' (type.googleapis.com/google.protobuf.Struct), expected an object", field)
				}
				input.WriteString(result)
				input.WriteByte('\n')
				if last {
					t.HasToolResult = true
					t.ToolResult += result
				}
			case len(p.ExecutableCode) == 0 && len(p.CodeExecutionResult) == 0:
				return t, "* GenerateContentRequest." + field + ".data: required oneof field 'data' must have one initialized field\n"
			}
		}
		if c.Role != "model" && len(userText) > 0 {
			t.LastUserText = strings.Join(userText, "\n")
		}
	}
	for _, tl := range req.Tools {
		for _, d := range tl.FunctionDeclarations {
			if d.Name == "" {
				return t, "* GenerateContentRequest.tools[0].function_declarations[0].name: Name cannot be empty.\n"
			}
			if len(d.Parameters) > 0 && len(d.ParametersJSONSchema) > 0 {
				return t, "* GenerateContentRequest.tools[0].function_declarations[0].parameters: parameters and parameters_json_schema are mutually exclusive.\n"
			}
			schema := d.ParametersJSONSchema
			if len(schema) == 0 {
				schema = d.Parameters
			}
			var params map[string]any
			if len(schema) > 0 {
				if err := json.Unmarshal(schema, &params); err != nil {
					return t, "Invalid JSON payload received. function declaration schema must be an object"
				}
			}
			t.Tools = append(t.Tools, emulator.Tool{Name: d.Name, Parameters: params})
		}
	}
	if tc := req.ToolConfig; tc != nil && tc.FunctionCallingConfig != nil {
		fc := tc.FunctionCallingConfig
		switch fc.Mode {
		case "", "MODE_UNSPECIFIED", "AUTO", "VALIDATED":
			if len(fc.AllowedFunctionNames) > 0 && fc.Mode != "VALIDATED" {
				return t, "* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: allowed_function_names should only be set when the Mode is ANY or VALIDATED.\n"
			}
		case "NONE":
			t.NoTools = true
		case "ANY":
			t.ForceTool = "*"
			if len(fc.AllowedFunctionNames) == 1 {
				t.ForceTool = fc.AllowedFunctionNames[0]
			}
		default:
			return t, fmt.Sprintf("Invalid value at 'tool_config.function_calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), %q", fc.Mode)
		}
	}
	if gc := req.GenerationConfig; gc != nil {
		if gc.MaxOutputTokens != nil {
			t.MaxTokens = *gc.MaxOutputTokens
		}
		t.Stop = gc.StopSequences
		if len(gc.StopSequences) > 5 {
			return t, "* GenerateContentRequest.generation_config.stop_sequences: at most 5 stop sequences are allowed.\n"
		}
		if (len(gc.ResponseSchema) > 0 || len(gc.ResponseJSONSchema) > 0) && gc.ResponseMimeType != "application/json" && gc.ResponseMimeType != "text/x.enum" {
			return t, "* GenerateContentRequest.generation_config.response_mime_type: response_mime_type must be set to application/json when a response schema is given.\n"
		}
		if len(gc.ResponseSchema) > 0 && len(gc.ResponseJSONSchema) > 0 {
			return t, "* GenerateContentRequest.generation_config.response_schema: response_schema and response_json_schema are mutually exclusive.\n"
		}
		t.JSON = gc.ResponseMimeType == "application/json"
	}
	t.InputText = input.String()
	return t, ""
}

// responseText is what the model reads from a function response: its
// "output" (or "error") when that is a string, else the object's JSON.
func responseText(raw json.RawMessage) (string, bool) {
	var obj map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &obj) != nil || obj == nil {
		return "", false
	}
	for _, k := range []string{"output", "error"} {
		var s string
		if v, ok := obj[k]; ok && len(obj) == 1 && json.Unmarshal(v, &s) == nil {
			return s, true
		}
	}
	var compact bytes.Buffer
	if json.Compact(&compact, raw) != nil {
		return "", false
	}
	return compact.String(), true
}

// decodeBytes decodes proto3 JSON bytes, which may be standard or
// URL-safe base64, padded or not.
func decodeBytes(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

func (e *Emulator) embed(w http.ResponseWriter, model string, body []byte, batch bool) {
	var reqs []embedContentRequest
	if batch {
		var br batchEmbedRequest
		if msg := decode(body, &br); msg != "" {
			invalid(w, msg)
			return
		}
		if len(br.Requests) == 0 {
			invalid(w, "* BatchEmbedContentsRequest.requests: requests is not specified\n")
			return
		}
		for i, r := range br.Requests {
			if r.Model != "models/"+model {
				invalid(w, fmt.Sprintf("* BatchEmbedContentsRequest.requests[%d].model: model must match the parent model models/%s.\n", i, model))
				return
			}
		}
		reqs = br.Requests
	} else {
		var r embedContentRequest
		if msg := decode(body, &r); msg != "" {
			invalid(w, msg)
			return
		}
		reqs = []embedContentRequest{r}
	}
	type values struct {
		Values []float32 `json:"values"`
	}
	out := make([]values, len(reqs))
	for i, r := range reqs {
		var text strings.Builder
		for _, p := range r.Content.Parts {
			if p.Text != nil {
				text.WriteString(*p.Text)
			}
		}
		if text.Len() == 0 {
			invalid(w, "* EmbedContentRequest.content: contents is not specified\n")
			return
		}
		dims := r.OutputDimensionality
		if dims <= 0 {
			dims = 8
		}
		out[i] = values{Values: vector(text.String(), dims)}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	var b []byte
	if batch {
		b, _ = json.Marshal(map[string]any{"embeddings": out})
	} else {
		b, _ = json.Marshal(map[string]any{"embedding": out[0]})
	}
	_, _ = w.Write(b)
}

// vector is a deterministic pseudo-embedding of text.
func vector(text string, dims int) []float32 {
	v := make([]float32, dims)
	for i := range v {
		h := fnv.New32a()
		_, _ = fmt.Fprintf(h, "%d:%s", i, text)
		v[i] = float32(h.Sum32()%2000)/1000 - 1
	}
	return v
}
