// Package bedrock emulates AWS Bedrock's Converse and ConverseStream APIs
// for tests: POST /model/{modelId}/converse and /converse-stream (and
// /invoke for Titan and Cohere embedding models), SigV4
// verified for real against known test credentials, requests parsed
// strictly, answers from the shared deterministic model, streams as binary
// application/vnd.amazon.eventstream frames, errors as rest-json bodies with
// x-amzn-ErrorType.
package bedrock

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/manifoldgw/manifold/services/internal/emulator"
)

// Options are Bedrock-specific knobs beyond the shared faults.
type Options struct {
	// CacheReadTokens and CacheWriteTokens of the input tokens are reported
	// as prompt-cache reads and writes (and left out of inputTokens, as
	// Bedrock does).
	CacheReadTokens  int
	CacheWriteTokens int
	// Reasoning, when set, is the model's reasoning, sent as a
	// reasoningContent block before the answer and counted in outputTokens.
	Reasoning string
	// StreamException is the :exception-type of the frame an
	// ErrorAfterChunks fault sends (default modelStreamErrorException), with
	// StreamExceptionMessage as its message.
	StreamException        string
	StreamExceptionMessage string
	// CutMidFrame makes a CutAfterChunks fault also send the next frame
	// but for its last bytes (inside the payload) before closing.
	CutMidFrame bool
	// CorruptCRC makes a MalformedAfterChunks fault send a well-formed frame
	// whose message CRC is wrong, instead of one whose payload is not JSON.
	CorruptCRC bool
	// ContextWindow, when > 0, refuses inputs of more tokens with the
	// ValidationException Bedrock sends for over-long input.
	ContextWindow int
}

// Emulator is an http.Handler speaking Bedrock Converse.
type Emulator struct {
	emulator.Base

	mu          sync.Mutex
	credentials map[string]credential
	region      string
	opts        Options
	now         func() time.Time
	requestSeq  atomic.Int64
}

// New returns an emulator accepting AccessKeyID/SecretAccessKey in Region.
func New() *Emulator {
	return &Emulator{
		credentials: map[string]credential{AccessKeyID: {secret: SecretAccessKey}},
		region:      Region,
		now:         time.Now,
	}
}

// AddCredential accepts another key pair; a non-empty token must then come
// as X-Amz-Security-Token (temporary credentials).
func (e *Emulator) AddCredential(accessKeyID, secret, sessionToken string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.credentials[accessKeyID] = credential{secret: secret, token: sessionToken}
}

// SetOptions replaces the Bedrock-specific options.
func (e *Emulator) SetOptions(o Options) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.opts = o
}

func (e *Emulator) options() Options {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.opts
}

// errorTypes are the default x-amzn-ErrorType and message per status, for
// scripted faults.
var errorTypes = map[int][2]string{
	http.StatusBadRequest:          {"ValidationException", "Malformed input request, please reformat your input and try again."},
	http.StatusUnauthorized:        {"UnrecognizedClientException", "The security token included in the request is invalid."},
	http.StatusForbidden:           {"AccessDeniedException", "You don't have access to the model with the specified model ID."},
	http.StatusNotFound:            {"ResourceNotFoundException", "The provided model identifier is invalid."},
	http.StatusRequestTimeout:      {"ModelTimeoutException", "Model has timed out in processing the request. Try your request again."},
	http.StatusFailedDependency:    {"ModelErrorException", "The model returned an error. Try your request again."},
	http.StatusTooManyRequests:     {"ThrottlingException", "Too many requests, please wait before trying again."},
	http.StatusInternalServerError: {"InternalServerException", "The server encountered an internal error while processing the request."},
	http.StatusServiceUnavailable:  {"ServiceUnavailableException", "Bedrock is unable to process your request."},
}

// writeError writes a rest-json error: status, x-amzn-ErrorType and
// {"message": …}.
func (e *Emulator) writeError(w http.ResponseWriter, status int, typ, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if h.Get("X-Amzn-Errortype") == "" {
		h.Set("X-Amzn-Errortype", typ+":http://internal.amazon.com/coral/com.amazon.bedrock/")
	}
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": msg})
	_, _ = w.Write(b)
}

func (e *Emulator) validation(w http.ResponseWriter, format string, args ...any) {
	e.writeError(w, http.StatusBadRequest, "ValidationException", fmt.Sprintf(format, args...))
}

// ServeHTTP serves POST /model/{modelId}/converse and /converse-stream.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("emu-%08d-0000-4000-8000-000000000000", e.requestSeq.Add(1)))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<20))
	if err != nil {
		e.writeError(w, http.StatusRequestEntityTooLarge, "ValidationException", "Request body too large.")
		return
	}
	fault, ok := e.Begin(r, body)
	if !ok {
		return
	}
	model, op, pathOK := modelID(r)
	if !pathOK || r.Method != http.MethodPost || (op != "converse" && op != "converse-stream" && op != "invoke") {
		e.writeError(w, http.StatusNotFound, "UnknownOperationException", "")
		return
	}
	if f := e.verify(r, body); f != nil {
		e.writeError(w, http.StatusForbidden, f.typ, f.msg)
		return
	}
	emulator.WriteHeaders(w, fault)
	if fault.Status != 0 {
		def, known := errorTypes[fault.Status]
		if !known {
			def = [2]string{"InternalServerException", http.StatusText(fault.Status)}
		}
		if fault.Body != "" {
			w.Header().Set("Content-Type", "application/json")
			if w.Header().Get("X-Amzn-Errortype") == "" {
				w.Header().Set("X-Amzn-Errortype", def[0]+":http://internal.amazon.com/coral/com.amazon.bedrock/")
			}
			w.WriteHeader(fault.Status)
			_, _ = io.WriteString(w, fault.Body)
			return
		}
		e.writeError(w, fault.Status, def[0], def[1])
		return
	}
	if op == "invoke" {
		e.invoke(w, model, body)
		return
	}
	var req converseRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		e.validation(w, "Malformed input request: %v, please reformat your input and try again.", err)
		return
	}
	if msg := validate(&req); msg != "" {
		e.validation(w, "%s", msg)
		return
	}
	opts := e.options()
	turn := turnOf(&req)
	ans := emulator.Respond(turn)
	if opts.ContextWindow > 0 && ans.InputTokens > opts.ContextWindow {
		e.validation(w, "Input is too long for requested model.")
		return
	}
	res := result{ans: ans, opts: opts, toolUseID: toolUseID(body), stops: turn.Stop}
	if op == "converse" {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(res.converse())
		return
	}
	e.stream(w, r, fault, res)
}

var (
	toolNamePattern  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]*$`)
	toolUseIDPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	imageFormats     = map[string]bool{"png": true, "jpeg": true, "gif": true, "webp": true}
	documentFormats  = map[string]bool{"pdf": true, "csv": true, "doc": true, "docx": true, "xls": true, "xlsx": true, "html": true, "txt": true, "md": true}
)

// validate applies the service's constraints, returning a
// ValidationException message or "".
func validate(req *converseRequest) string {
	if len(req.Messages) == 0 {
		return "A conversation must start with a user message. Try again with a conversation that starts with a user message."
	}
	if req.Messages[0].Role != "user" {
		return "A conversation must start with a user message. Try again with a conversation that starts with a user message."
	}
	var toolBlocks bool
	var prevToolUses map[string]bool
	for i, m := range req.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return fmt.Sprintf("1 validation error detected: Value '%s' at 'messages.%d.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]", m.Role, i+1)
		}
		if i > 0 && req.Messages[i-1].Role == m.Role {
			return "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."
		}
		if len(m.Content) == 0 {
			return fmt.Sprintf("The content field in the Message object at messages.%d is empty. Add a ContentBlock object to the content field and try again.", i)
		}
		toolUses := map[string]bool{}
		results := 0
		for j, b := range m.Content {
			at := fmt.Sprintf("messages.%d.content.%d", i, j)
			if b.members() != 1 {
				return fmt.Sprintf("ContentBlock object at %s must set one of the following keys: text, image, toolUse, toolResult, document, video.", at)
			}
			switch {
			case b.Text != nil:
				if strings.TrimSpace(*b.Text) == "" {
					return "The text field in the ContentBlock object at " + at + " is blank. Add text to the text field, and try again."
				}
			case b.Image != nil:
				if msg := checkImage(b.Image, at); msg != "" {
					return msg
				}
			case b.Document != nil:
				if msg := checkDocument(b.Document, at); msg != "" {
					return msg
				}
			case b.ToolUse != nil:
				toolBlocks = true
				if m.Role != "assistant" {
					return "toolUse blocks are allowed in assistant messages only (" + at + ")."
				}
				if !toolUseIDPattern.MatchString(b.ToolUse.ToolUseID) || len(b.ToolUse.ToolUseID) > 64 {
					return fmt.Sprintf("1 validation error detected: Value '%s' at '%s.toolUse.toolUseId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+", b.ToolUse.ToolUseID, at)
				}
				if !toolNamePattern.MatchString(b.ToolUse.Name) {
					return fmt.Sprintf("1 validation error detected: Value '%s' at '%s.toolUse.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_]*", b.ToolUse.Name, at)
				}
				if len(b.ToolUse.Input) == 0 {
					return "The toolUse block at " + at + " needs an input."
				}
				toolUses[b.ToolUse.ToolUseID] = true
			case b.ToolResult != nil:
				toolBlocks = true
				results++
				if m.Role != "user" {
					return "toolResult blocks are allowed in user messages only (" + at + ")."
				}
				if !prevToolUses[b.ToolResult.ToolUseID] {
					return fmt.Sprintf("Expected toolResult blocks at messages.%d.content for the following Ids: %s", i, strings.Join(keys(prevToolUses), ", "))
				}
				if s := b.ToolResult.Status; s != "" && s != "success" && s != "error" {
					return fmt.Sprintf("1 validation error detected: Value '%s' at '%s.toolResult.status' failed to satisfy constraint: Member must satisfy enum value set: [success, error]", s, at)
				}
				for k, c := range b.ToolResult.Content {
					cat := fmt.Sprintf("%s.toolResult.content.%d", at, k)
					switch {
					case c.Image != nil:
						if msg := checkImage(c.Image, cat); msg != "" {
							return msg
						}
					case c.Document != nil:
						if msg := checkDocument(c.Document, cat); msg != "" {
							return msg
						}
					case c.Text == nil && c.JSON == nil && c.Video == nil:
						return "ToolResultContentBlock object at " + cat + " must set one of the following keys: json, text, image, document, video."
					}
				}
			}
		}
		if m.Role == "user" && results > 0 && results < len(prevToolUses) {
			return fmt.Sprintf("Expected toolResult blocks at messages.%d.content for the following Ids: %s", i, strings.Join(keys(prevToolUses), ", "))
		}
		if m.Role == "assistant" {
			prevToolUses = toolUses
		} else {
			prevToolUses = nil
		}
	}
	for i, s := range req.System {
		if s.Text != nil && strings.TrimSpace(*s.Text) == "" {
			return fmt.Sprintf("The text field in the SystemContentBlock object at system.%d is blank. Add text to the text field, and try again.", i)
		}
	}
	if ic := req.InferenceConfig; ic != nil {
		switch {
		case ic.MaxTokens != nil && *ic.MaxTokens < 1:
			return "1 validation error detected: Value at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1"
		case ic.Temperature != nil && (*ic.Temperature < 0 || *ic.Temperature > 1):
			return "1 validation error detected: Value at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1"
		case ic.TopP != nil && (*ic.TopP < 0 || *ic.TopP > 1):
			return "1 validation error detected: Value at 'inferenceConfig.topP' failed to satisfy constraint: Member must have value less than or equal to 1"
		}
	}
	if len(req.AdditionalModelRequestFields) > 0 {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(req.AdditionalModelRequestFields, &fields); err != nil {
			return "The additionalModelRequestFields field must be a JSON object."
		}
	}
	tc := req.ToolConfig
	if tc == nil {
		if toolBlocks {
			return "The toolConfig field must be defined when using toolUse and toolResult content blocks."
		}
		return ""
	}
	if len(tc.Tools) == 0 {
		return "1 validation error detected: Value '[]' at 'toolConfig.tools' failed to satisfy constraint: Member must have length greater than or equal to 1"
	}
	names := map[string]bool{}
	for i, t := range tc.Tools {
		if t.ToolSpec == nil {
			continue
		}
		if !toolNamePattern.MatchString(t.ToolSpec.Name) || len(t.ToolSpec.Name) > 64 {
			return fmt.Sprintf("1 validation error detected: Value '%s' at 'toolConfig.tools.%d.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_]*", t.ToolSpec.Name, i+1)
		}
		if names[t.ToolSpec.Name] {
			return "The toolConfig field contains duplicate tool names: " + t.ToolSpec.Name
		}
		names[t.ToolSpec.Name] = true
		var schema map[string]any
		if err := json.Unmarshal(t.ToolSpec.InputSchema.JSON, &schema); err != nil {
			return fmt.Sprintf("The inputSchema of tool %s must be a JSON object.", t.ToolSpec.Name)
		}
	}
	if c := tc.ToolChoice; c != nil {
		n := 0
		for _, set := range []bool{c.Auto != nil, c.Any != nil, c.Tool != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return "ToolChoice must set exactly one of the following keys: auto, any, tool."
		}
		if c.Tool != nil && !names[c.Tool.Name] {
			return "The tool " + c.Tool.Name + " in toolChoice is not defined in toolConfig.tools."
		}
	}
	return ""
}

func checkImage(img *imageBlock, at string) string {
	if !imageFormats[img.Format] {
		return fmt.Sprintf("1 validation error detected: Value '%s' at '%s.image.format' failed to satisfy constraint: Member must satisfy enum value set: [gif, jpeg, png, webp]", img.Format, at)
	}
	if (len(img.Source.Bytes) > 0) == (img.Source.S3Location != nil) || img.Source.Text != nil {
		return "ImageSource object at " + at + ".image.source must set one of the following keys: bytes, s3Location."
	}
	return ""
}

func checkDocument(doc *documentBlock, at string) string {
	if !documentFormats[doc.Format] {
		return fmt.Sprintf("1 validation error detected: Value '%s' at '%s.document.format' failed to satisfy constraint: Member must satisfy enum value set: [pdf, csv, doc, docx, xls, xlsx, html, txt, md]", doc.Format, at)
	}
	if doc.Name == "" {
		return "The document name at " + at + " is required."
	}
	n := 0
	for _, set := range []bool{len(doc.Source.Bytes) > 0, doc.Source.S3Location != nil, doc.Source.Text != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return "DocumentSource object at " + at + ".document.source must set one of the following keys: bytes, s3Location, text."
	}
	return ""
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// turnOf is the provider-neutral view of a Converse request.
func turnOf(req *converseRequest) emulator.Turn {
	var t emulator.Turn
	var input []string
	for _, s := range req.System {
		if s.Text != nil {
			input = append(input, *s.Text)
		}
	}
	last := -1
	for i, m := range req.Messages {
		if m.Role == "user" {
			last = i
		}
		for _, b := range m.Content {
			switch {
			case b.Text != nil:
				input = append(input, *b.Text)
			case b.ToolUse != nil:
				input = append(input, b.ToolUse.Name, string(b.ToolUse.Input))
			case b.ToolResult != nil:
				input = append(input, toolResultText(b.ToolResult))
			}
		}
	}
	t.InputText = strings.Join(input, "\n")
	if last >= 0 {
		var texts, results []string
		for _, b := range req.Messages[last].Content {
			switch {
			case b.Text != nil:
				texts = append(texts, *b.Text)
			case b.Image != nil:
				t.Images = append(t.Images, "image/"+b.Image.Format)
			case b.ToolResult != nil:
				t.HasToolResult = true
				results = append(results, toolResultText(b.ToolResult))
			}
		}
		t.LastUserText = strings.Join(texts, "\n")
		t.ToolResult = strings.Join(results, "\n")
	}
	if tc := req.ToolConfig; tc != nil {
		for _, tl := range tc.Tools {
			if tl.ToolSpec == nil {
				continue
			}
			var params map[string]any
			_ = json.Unmarshal(tl.ToolSpec.InputSchema.JSON, &params)
			t.Tools = append(t.Tools, emulator.Tool{Name: tl.ToolSpec.Name, Parameters: params})
		}
		if c := tc.ToolChoice; c != nil {
			switch {
			case c.Any != nil:
				t.ForceTool = "*"
			case c.Tool != nil:
				t.ForceTool = c.Tool.Name
			}
		}
	} else {
		t.NoTools = true
	}
	if ic := req.InferenceConfig; ic != nil {
		if ic.MaxTokens != nil {
			t.MaxTokens = *ic.MaxTokens
		}
		t.Stop = ic.StopSequences
	}
	return t
}

func toolResultText(r *toolResultBlock) string {
	var parts []string
	for _, c := range r.Content {
		switch {
		case c.Text != nil:
			parts = append(parts, *c.Text)
		case c.JSON != nil:
			var buf bytes.Buffer
			if json.Compact(&buf, c.JSON) == nil {
				parts = append(parts, buf.String())
			}
		}
	}
	return strings.Join(parts, "\n")
}

// toolUseID is a Bedrock-looking id derived from the request, so a
// streamed and a plain answer to the same request agree.
func toolUseID(body []byte) string {
	sum := sha256.Sum256(body)
	return "tooluse_" + base64.RawURLEncoding.EncodeToString(sum[:])[:22]
}
