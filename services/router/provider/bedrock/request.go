package bedrock

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// jsonToolName is the tool the adapter forces to get JSON output: Converse
// has no JSON mode that every model honours, but every tool-capable model
// fills a tool's input to its schema. The tool's input becomes the answer's
// text.
const jsonToolName = "manifold_json_output"

// translated is a Converse request plus what reading its answer needs.
type translated struct {
	body converseRequest
	// names maps Bedrock tool names back to the caller's names where they
	// differ (hyphens are not allowed by Bedrock).
	names map[string]string
	// jsonTool is true when the JSON output tool was added.
	jsonTool bool
	// stops are the request's stop sequences.
	stops []string
	// offered maps the Bedrock names of the request's tools to their names.
	offered map[string]string
}

// originalName returns the caller's name for a Bedrock tool name.
func (t *translated) originalName(name string) string {
	if n, ok := t.names[name]; ok {
		return n
	}
	return name
}

// bedrockName maps a caller tool name to Bedrock's pattern
// [a-zA-Z][a-zA-Z0-9_]*: hyphens become underscores and a name that does not
// start with a letter gets a "t_" prefix. The mapping is made reversible per
// request by translated.names; two names that map alike are refused.
func bedrockName(name string) string {
	valid := name != "" && isLetter(name[0])
	for i := 0; i < len(name) && valid; i++ {
		c := name[i]
		valid = isLetter(c) || (c >= '0' && c <= '9') || c == '_'
	}
	if valid {
		return name
	}
	b := make([]byte, 0, len(name)+2)
	if name == "" || !isLetter(name[0]) {
		b = append(b, "t_"...)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isLetter(c) || (c >= '0' && c <= '9') || c == '_' {
			b = append(b, c)
		} else {
			b = append(b, '_')
		}
	}
	return string(b)
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// translate builds the Converse request for req.
func translate(req *mcpv1.Request) (*translated, error) {
	t := &translated{}
	if err := t.tools(req); err != nil {
		return nil, err
	}
	hasToolBlocks := false
	for i, m := range req.GetMessages() {
		switch m.GetRole() {
		case mcpv1.Role_ROLE_SYSTEM, mcpv1.Role_ROLE_DEVELOPER:
			for j, p := range m.GetContent() {
				if _, ok := p.GetPart().(*mcpv1.ContentPart_Text); !ok {
					return nil, unsupported(partField(i, j), "Bedrock system prompts take text only")
				}
				if p.GetText() != "" {
					t.body.System = append(t.body.System, systemBlock{Text: p.GetText()})
				}
			}
		case mcpv1.Role_ROLE_USER:
			blocks, err := t.userBlocks(i, m.GetContent())
			if err != nil {
				return nil, err
			}
			t.appendMessage("user", blocks)
		case mcpv1.Role_ROLE_TOOL:
			content, err := toolResults(m.GetContent())
			if err != nil {
				return nil, inField(err, fmt.Sprintf("messages[%d]", i))
			}
			t.appendMessage("user", []contentBlock{{ToolResult: &toolResultBlock{ToolUseID: m.GetToolCallId(), Content: content}}})
			hasToolBlocks = true
		case mcpv1.Role_ROLE_ASSISTANT:
			var blocks []contentBlock
			for j, p := range m.GetContent() {
				if _, ok := p.GetPart().(*mcpv1.ContentPart_Text); !ok {
					return nil, unsupported(partField(i, j), "assistant messages take text and tool calls only")
				}
				if p.GetText() != "" {
					blocks = append(blocks, contentBlock{Text: p.GetText()})
				}
			}
			for _, c := range m.GetToolCalls() {
				blocks = append(blocks, contentBlock{ToolUse: &toolUseBlock{
					ToolUseID: c.GetId(),
					Name:      t.nameFor(c.GetName()),
					Input:     toolInput(c.GetArguments()),
				}})
				hasToolBlocks = true
			}
			t.appendMessage("assistant", blocks)
		default:
			return nil, apierror.Invalid(fmt.Sprintf("messages[%d].role", i), "unknown role %v", m.GetRole())
		}
	}
	for _, m := range t.body.Messages {
		for _, b := range m.Content {
			if b.ToolResult != nil {
				hasToolBlocks = true
			}
		}
	}
	if hasToolBlocks && t.body.ToolConfig == nil && len(req.GetTools()) > 0 {
		// Tool choice none dropped the tools, but Bedrock refuses toolUse and
		// toolResult blocks without a toolConfig; offer them without forcing.
		t.body.ToolConfig = &toolConfig{Tools: t.toolSpecs(req)}
	}
	t.sampling(req)
	t.metadata(req.GetOptions())
	return t, nil
}

// appendMessage adds blocks as a message, merging with the previous one
// when it has the same role: Converse wants roles to alternate, and
// consecutive tool results belong in one user message.
func (t *translated) appendMessage(role string, blocks []contentBlock) {
	if len(blocks) == 0 {
		return
	}
	if n := len(t.body.Messages); n > 0 && t.body.Messages[n-1].Role == role {
		t.body.Messages[n-1].Content = append(t.body.Messages[n-1].Content, blocks...)
		return
	}
	t.body.Messages = append(t.body.Messages, message{Role: role, Content: blocks})
}

// partField names content part j of message i, for errors.
func partField(i, j int) string { return fmt.Sprintf("messages[%d].content[%d]", i, j) }

// inField prefixes an error's field with where it happened; fields are
// built only on the error path, not for every part of every request.
func inField(err error, prefix string) error {
	if e, ok := err.(*apierror.Error); ok {
		if e.Field == "" {
			e.Field = prefix
		} else {
			e.Field = prefix + "." + e.Field
		}
	}
	return err
}

func (t *translated) userBlocks(i int, parts []*mcpv1.ContentPart) ([]contentBlock, error) {
	blocks := make([]contentBlock, 0, len(parts))
	for j, p := range parts {
		switch v := p.GetPart().(type) {
		case *mcpv1.ContentPart_Text:
			if v.Text != "" {
				blocks = append(blocks, contentBlock{Text: v.Text})
			}
		case *mcpv1.ContentPart_Image:
			img, err := image(v.Image)
			if err != nil {
				return nil, inField(err, partField(i, j))
			}
			blocks = append(blocks, contentBlock{Image: img})
		case *mcpv1.ContentPart_Document:
			doc, err := document(v.Document, j)
			if err != nil {
				return nil, inField(err, partField(i, j))
			}
			blocks = append(blocks, contentBlock{Document: doc})
		case *mcpv1.ContentPart_ToolResult:
			content, err := toolResults(v.ToolResult.GetContent())
			if err != nil {
				return nil, inField(err, partField(i, j)+".tool_result")
			}
			r := &toolResultBlock{ToolUseID: v.ToolResult.GetToolCallId(), Content: content}
			if v.ToolResult.GetIsError() {
				r.Status = "error"
			}
			blocks = append(blocks, contentBlock{ToolResult: r})
		case *mcpv1.ContentPart_Audio:
			return nil, unsupported(partField(i, j), "Bedrock Converse does not take audio input")
		default:
			return nil, apierror.Invalid(partField(i, j), "empty content part")
		}
	}
	return blocks, nil
}

// toolResults translates a tool result's content. Text stays text
// (every model takes it; json blocks are not universally supported).
// The status field is sent only for errors: Bedrock documents it as
// supported by some models only.
func toolResults(parts []*mcpv1.ContentPart) ([]toolResultContent, error) {
	out := make([]toolResultContent, 0, len(parts))
	for j, p := range parts {
		switch v := p.GetPart().(type) {
		case *mcpv1.ContentPart_Text:
			// An empty text would be an empty union on the wire.
			if v.Text != "" {
				out = append(out, toolResultContent{Text: v.Text})
			}
		case *mcpv1.ContentPart_Image:
			img, err := image(v.Image)
			if err != nil {
				return nil, inField(err, fmt.Sprintf("content[%d]", j))
			}
			out = append(out, toolResultContent{Image: img})
		case *mcpv1.ContentPart_Document:
			doc, err := document(v.Document, j)
			if err != nil {
				return nil, inField(err, fmt.Sprintf("content[%d]", j))
			}
			out = append(out, toolResultContent{Document: doc})
		default:
			return nil, unsupported(fmt.Sprintf("content[%d]", j), "Bedrock tool results take text, images and documents only")
		}
	}
	return out, nil
}

var imageFormats = map[string]string{
	"image/png":  "png",
	"image/jpeg": "jpeg",
	"image/jpg":  "jpeg",
	"image/gif":  "gif",
	"image/webp": "webp",
}

// image translates an image. Bedrock takes bytes (or an S3 object), never
// an HTTP URL, so https URLs are unsupported; data: URLs are decoded.
func image(p *mcpv1.ImagePart) (*imageBlock, error) {
	mime := strings.ToLower(p.GetMimeType())
	var src mediaSource
	switch v := p.GetSource().(type) {
	case *mcpv1.ImagePart_Data:
		src.Bytes = v.Data
	case *mcpv1.ImagePart_Url:
		switch {
		case strings.HasPrefix(v.Url, "data:"):
			dm, data, err := decodeDataURL(v.Url)
			if err != nil {
				return nil, apierror.Invalid("image.url", "%v", err)
			}
			src.Bytes = data
			if mime == "" {
				mime = dm
			}
		case strings.HasPrefix(v.Url, "s3://"):
			src.S3Location = &s3Location{URI: v.Url}
		default:
			return nil, unsupported("image.url", "Bedrock takes images as bytes or s3:// locations, not URLs; send the image data")
		}
	default:
		return nil, apierror.Invalid("image", "image needs url or data")
	}
	if mime == "" && len(src.Bytes) > 0 {
		mime = http.DetectContentType(src.Bytes)
	}
	format, ok := imageFormats[mime]
	if !ok {
		return nil, unsupported("image.mime_type", fmt.Sprintf("Bedrock takes png, jpeg, gif and webp images, not %q", mime))
	}
	return &imageBlock{Format: format, Source: src}, nil
}

var documentFormats = map[string]string{
	"application/pdf":    "pdf",
	"text/csv":           "csv",
	"application/msword": "doc",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
	"application/vnd.ms-excel": "xls",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
	"text/html":     "html",
	"text/plain":    "txt",
	"text/markdown": "md",
}

// document translates a document. Text documents are sent as txt bytes;
// Bedrock requires a name, made from the title or the part's position.
func document(p *mcpv1.DocumentPart, index int) (*documentBlock, error) {
	mime := strings.ToLower(p.GetMimeType())
	var src mediaSource
	switch v := p.GetSource().(type) {
	case *mcpv1.DocumentPart_Data:
		src.Bytes = v.Data
	case *mcpv1.DocumentPart_Text:
		src.Bytes = []byte(v.Text)
		if mime == "" {
			mime = "text/plain"
		}
	case *mcpv1.DocumentPart_Url:
		if !strings.HasPrefix(v.Url, "s3://") {
			return nil, unsupported("document.url", "Bedrock takes documents as bytes or s3:// locations, not URLs")
		}
		src.S3Location = &s3Location{URI: v.Url}
	default:
		return nil, apierror.Invalid("document", "document needs url, data or text")
	}
	format, ok := documentFormats[mime]
	if !ok {
		return nil, unsupported("document.mime_type", fmt.Sprintf("Bedrock does not take %q documents", mime))
	}
	return &documentBlock{Format: format, Name: documentName(p.GetTitle(), index), Source: src}, nil
}

// documentName keeps what Bedrock allows in a document name (letters,
// digits, single spaces, hyphens, parentheses and square brackets).
func documentName(title string, index int) string {
	var b strings.Builder
	space := false
	for _, r := range title {
		switch {
		case r < 128 && (isLetter(byte(r)) || (r >= '0' && r <= '9') || strings.ContainsRune("-()[]", r)):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		default:
			space = true
		}
	}
	if b.Len() == 0 {
		return fmt.Sprintf("document-%d", index+1)
	}
	return b.String()
}

func decodeDataURL(u string) (string, []byte, error) {
	meta, data, ok := strings.Cut(strings.TrimPrefix(u, "data:"), ",")
	if !ok {
		return "", nil, fmt.Errorf("malformed data URL")
	}
	if !strings.HasSuffix(meta, ";base64") {
		return "", nil, fmt.Errorf("data URL must be base64-encoded")
	}
	mime, _, _ := strings.Cut(meta, ";")
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return "", nil, fmt.Errorf("decode data URL: %w", err)
	}
	return strings.ToLower(mime), b, nil
}

// toolInput turns arguments text into the JSON document Bedrock wants. An
// empty text is an empty object; text that is not JSON (a model's mistake)
// is passed through as a JSON string rather than dropped.
func toolInput(args string) json.RawMessage {
	if strings.TrimSpace(args) == "" {
		return json.RawMessage("{}")
	}
	if json.Valid([]byte(args)) {
		return json.RawMessage(args)
	}
	b, _ := json.Marshal(args)
	return b
}

// nameFor maps a tool name for Bedrock, remembering the way back. A name
// in the history that rewrites to an offered tool's own name is sent as
// that name but not remembered, so the offered tool keeps its name.
func (t *translated) nameFor(name string) string {
	b := bedrockName(name)
	if orig, ok := t.offered[b]; ok && orig == b {
		return b
	}
	if b != name {
		if t.names == nil {
			t.names = map[string]string{}
		}
		t.names[b] = name
	}
	return b
}

func (t *translated) toolSpecs(req *mcpv1.Request) []tool {
	specs := make([]tool, 0, len(req.GetTools())+1)
	for _, tl := range req.GetTools() {
		specs = append(specs, tool{ToolSpec: toolSpec{
			Name:        t.nameFor(tl.GetName()),
			Description: tl.GetDescription(),
			InputSchema: inputSchema{JSON: schemaJSON(tl.GetParameters())},
		}})
	}
	return specs
}

// schemaJSON renders a JSON Schema; a tool without one takes an empty
// object, which Bedrock still wants described.
func schemaJSON(s *structpb.Struct) json.RawMessage {
	if s == nil || len(s.GetFields()) == 0 {
		return json.RawMessage(`{"type":"object","properties":{}}`)
	}
	b, err := protojson.Marshal(s)
	if err != nil {
		return json.RawMessage(`{"type":"object"}`)
	}
	return b
}

// tools sets toolConfig from the request's tools, tool choice and response
// format.
func (t *translated) tools(req *mcpv1.Request) error {
	seen := make(map[string]string, len(req.GetTools()))
	for i, tl := range req.GetTools() {
		b := bedrockName(tl.GetName())
		if len(b) > 64 {
			return apierror.Invalid(fmt.Sprintf("tools[%d].name", i), "tool name %q is too long for Bedrock once mapped to %q", tl.GetName(), b)
		}
		if prev, ok := seen[b]; ok || b == jsonToolName {
			if b == jsonToolName {
				prev = "the JSON output tool"
			}
			return apierror.Invalid(fmt.Sprintf("tools[%d].name", i), "tool names %q and %q both map to %q on Bedrock (hyphens become underscores)", prev, tl.GetName(), b)
		}
		seen[b] = tl.GetName()
	}
	t.offered = seen
	mode := req.GetToolChoice().GetMode()
	forced := req.GetToolChoice().GetToolName()
	rf := req.GetResponseFormat()
	jsonOut := rf.GetType() == mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_OBJECT ||
		rf.GetType() == mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA

	var specs []tool
	if mode != mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE {
		specs = t.toolSpecs(req)
	}
	if jsonOut {
		t.jsonTool = true
		desc := "Give the final answer as the input of this tool, as JSON."
		schema := json.RawMessage(`{"type":"object"}`)
		if js := rf.GetJsonSchema(); js != nil {
			if js.GetDescription() != "" {
				desc = js.GetDescription()
			}
			schema = schemaJSON(js.GetSchema())
		}
		specs = append(specs, tool{ToolSpec: toolSpec{Name: jsonToolName, Description: desc, InputSchema: inputSchema{JSON: schema}}})
	}
	if len(specs) == 0 {
		return nil
	}
	tc := &toolConfig{Tools: specs}
	switch {
	case forced != "":
		if _, ok := seen[bedrockName(forced)]; !ok {
			return apierror.Invalid("tool_choice.tool_name", "tool %q is not among the request's tools", forced)
		}
		tc.ToolChoice = &toolChoice{Tool: &specificChoice{Name: t.nameFor(forced)}}
	case jsonOut && len(specs) == 1:
		tc.ToolChoice = &toolChoice{Tool: &specificChoice{Name: jsonToolName}}
	case jsonOut:
		// Either a real tool or the answer tool: the model must call one.
		tc.ToolChoice = &toolChoice{Any: &empty{}}
	case mode == mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED:
		tc.ToolChoice = &toolChoice{Any: &empty{}}
	case mode == mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO:
		tc.ToolChoice = &toolChoice{Auto: &empty{}}
	}
	t.body.ToolConfig = tc
	return nil
}

// sampling sets inferenceConfig. Bedrock has no seed or penalties; they are
// best-effort hints and are dropped. top_k goes to the model-specific
// fields, where Anthropic and Mistral models read it.
func (t *translated) sampling(req *mcpv1.Request) {
	s := req.GetSampling()
	if s == nil {
		return
	}
	ic := inferenceConfig{
		MaxTokens:     s.MaxOutputTokens,
		Temperature:   s.Temperature,
		TopP:          s.TopP,
		StopSequences: s.GetStopSequences(),
	}
	t.stops = ic.StopSequences
	if ic.MaxTokens != nil || ic.Temperature != nil || ic.TopP != nil || len(ic.StopSequences) > 0 {
		t.body.InferenceConfig = &ic
	}
	if s.TopK != nil {
		t.body.AdditionalModelRequestFields = &additionalFields{TopK: s.TopK}
	}
}

// metadata forwards the request's labels and end user as requestMetadata
// (kept in Bedrock's invocation logs). Entries Bedrock would refuse are
// left out rather than failing the call.
func (t *translated) metadata(o *mcpv1.RequestOptions) {
	if o == nil || (len(o.GetMetadata()) == 0 && o.GetUser() == "") {
		return
	}
	md := make(map[string]string, len(o.GetMetadata())+1)
	for k, v := range o.GetMetadata() {
		if metadataOK(k, 1) && metadataOK(v, 0) {
			md[k] = v
		}
	}
	if u := o.GetUser(); u != "" && metadataOK(u, 0) {
		md["user"] = u
	}
	if len(md) > 0 {
		t.body.RequestMetadata = md
	}
}

// metadataOK checks Bedrock's requestMetadata pattern
// [a-zA-Z0-9\s:_@$#=/+,\-.]{min,256}.
func metadataOK(s string, min int) bool {
	if len(s) < min || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isLetter(c) || (c >= '0' && c <= '9') || strings.IndexByte(" \t\n\r:_@$#=/+,-.", c) >= 0) {
			return false
		}
	}
	return true
}

func unsupported(field, msg string) *apierror.Error {
	return &apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED, Field: field, Message: msg}
}
