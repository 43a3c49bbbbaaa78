package gemini

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

const (
	roleUser  = "user"
	roleModel = "model"
	// skipSignature stands in for a function call's thought signature
	// (ai.google.dev/gemini-api/docs/thought-signatures).
	skipSignature = "skip_thought_signature_validator"
)

// translator turns one mcpv1.Request into a Gemini request.
type translator struct {
	out generateRequest
	// names maps tool-call ids to tool names, from the assistant messages
	// that issued the calls: Gemini matches function responses by name.
	names map[string]string
}

func buildRequest(req *mcpv1.Request) (*generateRequest, error) {
	t := translator{}
	for _, m := range req.GetMessages() {
		for _, tc := range m.GetToolCalls() {
			if t.names == nil {
				t.names = make(map[string]string)
			}
			t.names[tc.GetId()] = tc.GetName()
		}
	}
	t.out.Contents = make([]content, 0, len(req.GetMessages()))
	for i, m := range req.GetMessages() {
		if err := t.message(i, m); err != nil {
			return nil, err
		}
	}
	if len(t.out.Contents) == 0 {
		return nil, apierror.Invalid("request.messages", "Gemini needs at least one user or assistant message")
	}
	t.tools(req)
	t.generationConfig(req)
	return &t.out, nil
}

func (t *translator) message(i int, m *mcpv1.Message) error {
	field := "request.messages[" + strconv.Itoa(i) + "]"
	switch m.GetRole() {
	case mcpv1.Role_ROLE_SYSTEM, mcpv1.Role_ROLE_DEVELOPER:
		for j, c := range m.GetContent() {
			text, ok := systemText(c)
			if !ok {
				return apierror.Invalid(fmt.Sprintf("%s.content[%d]", field, j), "Gemini system instructions take text only")
			}
			if text == "" {
				continue
			}
			if t.out.SystemInstruction == nil {
				t.out.SystemInstruction = &content{}
			}
			t.out.SystemInstruction.Parts = append(t.out.SystemInstruction.Parts, part{Text: text})
		}
		return nil
	case mcpv1.Role_ROLE_USER:
		return t.contentParts(field, roleUser, m.GetContent())
	case mcpv1.Role_ROLE_ASSISTANT:
		if err := t.contentParts(field, roleModel, m.GetContent()); err != nil {
			return err
		}
		for j, tc := range m.GetToolCalls() {
			args, err := callArgs(tc.GetArguments())
			if err != nil {
				return apierror.Invalid(fmt.Sprintf("%s.tool_calls[%d].arguments", field, j), "%v", err)
			}
			fc := &functionCall{Name: tc.GetName(), Args: args}
			if !synthesized(tc.GetId(), tc.GetName()) {
				fc.ID = tc.GetId()
			}
			p := part{FunctionCall: fc}
			if j == 0 {
				// Gemini 3 rejects a replayed function call without the
				// thought signature it came with, and the Model Context
				// Protocol has nowhere to keep one; this is Gemini's
				// documented placeholder for calls from elsewhere.
				p.ThoughtSignature = skipSignature
			}
			t.appendPart(roleModel, p)
		}
		return nil
	case mcpv1.Role_ROLE_TOOL:
		name, err := t.toolName(field+".tool_call_id", m.GetToolCallId(), "")
		if err != nil {
			return err
		}
		fr, extra, err := t.functionResponse(field, m.GetToolCallId(), name, m.GetContent(), false)
		if err != nil {
			return err
		}
		t.appendPart(roleUser, part{FunctionResponse: fr})
		for _, p := range extra {
			t.appendPart(roleUser, p)
		}
		return nil
	}
	return apierror.Invalid(field+".role", "unsupported role %s", m.GetRole())
}

func systemText(c *mcpv1.ContentPart) (string, bool) {
	switch p := c.GetPart().(type) {
	case *mcpv1.ContentPart_Text:
		return p.Text, true
	case *mcpv1.ContentPart_Document:
		if text, ok := p.Document.GetSource().(*mcpv1.DocumentPart_Text); ok {
			return documentText(p.Document.GetTitle(), text.Text), true
		}
	}
	return "", false
}

func documentText(title, text string) string {
	if title == "" {
		return text
	}
	return title + "\n\n" + text
}

// appendPart adds a part to the last content when it has the same role:
// Gemini wants user and model turns to alternate.
func (t *translator) appendPart(role string, p part) {
	if n := len(t.out.Contents); n > 0 && t.out.Contents[n-1].Role == role {
		t.out.Contents[n-1].Parts = append(t.out.Contents[n-1].Parts, p)
		return
	}
	t.out.Contents = append(t.out.Contents, content{Role: role, Parts: []part{p}})
}

func (t *translator) contentParts(field, role string, parts []*mcpv1.ContentPart) error {
	for j, c := range parts {
		f := fmt.Sprintf("%s.content[%d]", field, j)
		if tr := c.GetToolResult(); tr != nil {
			name, err := t.toolName(f+".tool_result.tool_call_id", tr.GetToolCallId(), tr.GetName())
			if err != nil {
				return err
			}
			fr, extra, err := t.functionResponse(f+".tool_result", tr.GetToolCallId(), name, tr.GetContent(), tr.GetIsError())
			if err != nil {
				return err
			}
			t.appendPart(roleUser, part{FunctionResponse: fr})
			for _, p := range extra {
				t.appendPart(roleUser, p)
			}
			continue
		}
		if p, ok := c.GetPart().(*mcpv1.ContentPart_Text); ok && p.Text == "" {
			// Gemini rejects a part without data.
			continue
		}
		p, err := mediaPart(f, c)
		if err != nil {
			return err
		}
		t.appendPart(role, p)
	}
	return nil
}

// mediaPart converts text, image, audio and document parts.
func mediaPart(field string, c *mcpv1.ContentPart) (part, error) {
	switch p := c.GetPart().(type) {
	case *mcpv1.ContentPart_Text:
		return part{Text: p.Text}, nil
	case *mcpv1.ContentPart_Image:
		img := p.Image
		switch src := img.GetSource().(type) {
		case *mcpv1.ImagePart_Data:
			if img.GetMimeType() == "" {
				return part{}, apierror.Invalid(field+".image.mime_type", "mime_type is required with image data")
			}
			return part{InlineData: &blob{MimeType: img.GetMimeType(), Data: base64.StdEncoding.EncodeToString(src.Data)}}, nil
		case *mcpv1.ImagePart_Url:
			return urlPart(field+".image.url", src.Url, img.GetMimeType())
		}
	case *mcpv1.ContentPart_Audio:
		return part{InlineData: &blob{MimeType: p.Audio.GetMimeType(), Data: base64.StdEncoding.EncodeToString(p.Audio.GetData())}}, nil
	case *mcpv1.ContentPart_Document:
		doc := p.Document
		switch src := doc.GetSource().(type) {
		case *mcpv1.DocumentPart_Text:
			return part{Text: documentText(doc.GetTitle(), src.Text)}, nil
		case *mcpv1.DocumentPart_Data:
			mime := doc.GetMimeType()
			if mime == "" {
				mime = "application/pdf"
			}
			return part{InlineData: &blob{MimeType: mime, Data: base64.StdEncoding.EncodeToString(src.Data)}}, nil
		case *mcpv1.DocumentPart_Url:
			return urlPart(field+".document.url", src.Url, doc.GetMimeType())
		}
	}
	return part{}, apierror.Invalid(field, "unsupported content part")
}

// urlPart sends data: URLs inline and other URLs as fileData.
func urlPart(field, u, mime string) (part, error) {
	if rest, ok := strings.CutPrefix(u, "data:"); ok {
		meta, data, ok := strings.Cut(rest, ",")
		if !ok {
			return part{}, apierror.Invalid(field, "malformed data: URL")
		}
		dataMime, isBase64 := strings.CutSuffix(meta, ";base64")
		if i := strings.IndexByte(dataMime, ';'); i >= 0 {
			dataMime = dataMime[:i]
		}
		if mime == "" {
			mime = dataMime
		}
		if mime == "" {
			return part{}, apierror.Invalid(field, "data: URL has no MIME type")
		}
		if !isBase64 {
			raw, err := url.PathUnescape(data)
			if err != nil {
				return part{}, apierror.Invalid(field, "malformed data: URL: %v", err)
			}
			data = base64.StdEncoding.EncodeToString([]byte(raw))
		}
		return part{InlineData: &blob{MimeType: mime, Data: data}}, nil
	}
	if mime == "" {
		mime = mimeFromPath(u)
	}
	return part{FileData: &fileData{MimeType: mime, FileURI: u}}, nil
}

func mimeFromPath(u string) string {
	if parsed, err := url.Parse(u); err == nil {
		u = parsed.Path
	}
	switch strings.ToLower(path.Ext(u)) {
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	case ".heic":
		return "image/heic"
	case ".pdf":
		return "application/pdf"
	}
	return ""
}

func (t *translator) toolName(field, id, given string) (string, error) {
	if given != "" {
		return given, nil
	}
	if name, ok := t.names[id]; ok {
		return name, nil
	}
	if name, ok := nameFromSynthesized(id); ok {
		return name, nil
	}
	return "", apierror.Invalid(field, "no assistant tool call has id %q; Gemini needs the tool's name", id)
}

// functionResponse builds the response object Gemini requires: a JSON
// object result as is, anything else as {"output": text} (or {"error": text}
// for failures). Images in the result follow as inline parts.
func (t *translator) functionResponse(field, id, name string, parts []*mcpv1.ContentPart, isError bool) (*functionResponse, []part, error) {
	var text strings.Builder
	var extra []part
	for j, c := range parts {
		if s, ok := c.GetPart().(*mcpv1.ContentPart_Text); ok {
			text.WriteString(s.Text)
			continue
		}
		p, err := mediaPart(fmt.Sprintf("%s.content[%d]", field, j), c)
		if err != nil {
			return nil, nil, err
		}
		extra = append(extra, p)
	}
	s := text.String()
	var resp json.RawMessage
	if !isError && isJSONObject(s) {
		resp = json.RawMessage(s)
	} else {
		key := "output"
		if isError {
			key = "error"
		}
		b, err := json.Marshal(map[string]string{key: s})
		if err != nil {
			return nil, nil, apierror.Internal(err)
		}
		resp = b
	}
	fr := &functionResponse{Name: name, Response: resp}
	if !synthesized(id, name) {
		fr.ID = id
	}
	return fr, extra, nil
}

func isJSONObject(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "{") && json.Valid([]byte(s))
}

func callArgs(args string) (json.RawMessage, error) {
	if strings.TrimSpace(args) == "" {
		return json.RawMessage("{}"), nil
	}
	if !isJSONObject(args) {
		return nil, fmt.Errorf("Gemini needs tool-call arguments as a JSON object")
	}
	return json.RawMessage(args), nil
}

// synthesizedID is the id Manifold gives a Gemini function call that came
// without one: deterministic, so a replayed conversation maps the same way.
func synthesizedID(index int, name string) string {
	return "call_" + strconv.Itoa(index) + "_" + name
}

// synthesized reports whether id is one synthesizedID made for name; such
// ids mean nothing to Gemini and are not sent back.
func synthesized(id, name string) bool {
	n, ok := nameFromSynthesized(id)
	return ok && n == name
}

func nameFromSynthesized(id string) (string, bool) {
	rest, ok := strings.CutPrefix(id, "call_")
	if !ok {
		return "", false
	}
	digits, name, ok := strings.Cut(rest, "_")
	if !ok || digits == "" || name == "" {
		return "", false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return name, true
}

func (t *translator) tools(req *mcpv1.Request) {
	if len(req.GetTools()) > 0 {
		decls := make([]functionDeclaration, len(req.GetTools()))
		for i, tl := range req.GetTools() {
			decls[i] = functionDeclaration{Name: tl.GetName(), Description: tl.GetDescription(), ParametersJSONSchema: tl.GetParameters()}
		}
		t.out.Tools = []tool{{FunctionDeclarations: decls}}
	}
	tc := req.GetToolChoice()
	if tc == nil {
		return
	}
	if name := tc.GetToolName(); name != "" {
		t.out.ToolConfig = &toolConfig{FunctionCallingConfig: functionCallingConfig{Mode: "ANY", AllowedFunctionNames: []string{name}}}
		return
	}
	var mode string
	switch tc.GetMode() {
	case mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO:
		mode = "AUTO"
	case mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE:
		mode = "NONE"
	case mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED:
		mode = "ANY"
	default:
		return
	}
	t.out.ToolConfig = &toolConfig{FunctionCallingConfig: functionCallingConfig{Mode: mode}}
}

func (t *translator) generationConfig(req *mcpv1.Request) {
	var gc generationConfig
	set := false
	if s := req.GetSampling(); s != nil {
		gc.Temperature = s.Temperature
		gc.TopP = s.TopP
		gc.TopK = s.TopK
		gc.MaxOutputTokens = s.MaxOutputTokens
		gc.StopSequences = s.GetStopSequences()
		gc.Seed = s.Seed
		gc.PresencePenalty = s.PresencePenalty
		gc.FrequencyPenalty = s.FrequencyPenalty
		set = true
	}
	switch rf := req.GetResponseFormat(); rf.GetType() {
	case mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_OBJECT:
		gc.ResponseMimeType = "application/json"
		set = true
	case mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA:
		gc.ResponseMimeType = "application/json"
		gc.ResponseJSONSchema = rf.GetJsonSchema().GetSchema()
		set = true
	}
	if set {
		t.out.GenerationConfig = &gc
	}
}
