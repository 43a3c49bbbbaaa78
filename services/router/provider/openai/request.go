package openai

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// buildRequest translates a standard request into a chat completion request.
func (a *Adapter) buildRequest(call *provider.Call, stream bool) (*chatRequest, error) {
	req := call.Request
	q := a.quirks
	out := &chatRequest{Messages: make([]chatMessage, 0, len(req.GetMessages()))}
	if a.flavor != FlavorAzure {
		out.Model = call.Model
	}
	for i, m := range req.GetMessages() {
		var err error
		out.Messages, err = a.appendMessage(out.Messages, m, i)
		if err != nil {
			return nil, err
		}
	}
	for _, t := range req.GetTools() {
		ct := chatTool{Type: "function", Function: toolFunction{Name: t.GetName(), Description: t.GetDescription(), Strict: t.GetStrict()}}
		if t.GetParameters() != nil {
			p, err := structJSON(t.GetParameters())
			if err != nil {
				return nil, apierror.Invalid("tools.parameters", "tool %q parameters: %v", t.GetName(), err)
			}
			ct.Function.Parameters = p
		}
		out.Tools = append(out.Tools, ct)
	}
	if tc := req.GetToolChoice(); tc != nil {
		switch {
		case tc.GetToolName() != "":
			out.ToolChoice = &toolChoice{Name: tc.GetToolName()}
		case tc.GetMode() == mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO:
			out.ToolChoice = &toolChoice{Mode: "auto"}
		case tc.GetMode() == mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE:
			out.ToolChoice = &toolChoice{Mode: "none"}
		case tc.GetMode() == mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED:
			out.ToolChoice = &toolChoice{Mode: "required"}
		}
	}
	if rf := req.GetResponseFormat(); rf != nil {
		switch rf.GetType() {
		case mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_TEXT:
			out.ResponseFormat = &responseFormat{Type: "text"}
		case mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_OBJECT:
			out.ResponseFormat = &responseFormat{Type: "json_object"}
		case mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA:
			js := rf.GetJsonSchema()
			spec := &jsonSchemaSpec{Name: js.GetName(), Description: js.GetDescription(), Strict: js.GetStrict()}
			if spec.Name == "" {
				spec.Name = "response" // OpenAI requires a name.
			}
			if js.GetSchema() != nil {
				s, err := structJSON(js.GetSchema())
				if err != nil {
					return nil, apierror.Invalid("response_format.json_schema.schema", "schema: %v", err)
				}
				spec.Schema = s
			}
			out.ResponseFormat = &responseFormat{Type: "json_schema", JSONSchema: spec}
		}
	}
	if s := req.GetSampling(); s != nil {
		out.Temperature = s.Temperature
		out.TopP = s.TopP
		out.PresencePenalty = s.PresencePenalty
		out.FrequencyPenalty = s.FrequencyPenalty
		if q.topK {
			out.TopK = s.TopK
		}
		if q.maxTokens {
			out.MaxTokens = s.MaxOutputTokens
		} else {
			out.MaxCompletionTokens = s.MaxOutputTokens
		}
		if q.randomSeed {
			out.RandomSeed = s.Seed
		} else {
			out.Seed = s.Seed
		}
		out.Stop = s.GetStopSequences()
	}
	if !q.noUser {
		out.User = req.GetOptions().GetUser()
	}
	if stream {
		out.Stream = true
		if !q.noStreamOptions {
			out.StreamOptions = &streamOptions{IncludeUsage: true}
		}
	}
	return out, nil
}

func structJSON(s *structpb.Struct) (json.RawMessage, error) {
	b, err := s.MarshalJSON()
	return json.RawMessage(b), err
}

func (a *Adapter) toolID(id string) string {
	if a.quirks.shortIDs {
		return mistralID(id)
	}
	return id
}

// appendMessage appends the chat messages for one standard message. Tool
// results carried as parts of a user or tool message become one "tool"
// message each, placed before the rest of the message.
func (a *Adapter) appendMessage(out []chatMessage, m *mcpv1.Message, i int) ([]chatMessage, error) {
	name := m.GetName()
	if a.quirks.noName {
		name = ""
	}
	switch m.GetRole() {
	case mcpv1.Role_ROLE_SYSTEM, mcpv1.Role_ROLE_DEVELOPER:
		role := "system"
		if m.GetRole() == mcpv1.Role_ROLE_DEVELOPER && !a.quirks.developerAsSystem {
			role = "developer"
		}
		text, err := textOnly(m.GetContent(), i)
		if err != nil {
			return nil, err
		}
		return append(out, chatMessage{Role: role, Content: messageContent{Text: text}, Name: name}), nil
	case mcpv1.Role_ROLE_ASSISTANT:
		text, err := textOnly(m.GetContent(), i)
		if err != nil {
			return nil, err
		}
		cm := chatMessage{Role: "assistant", Content: messageContent{Text: text, Null: text == "" && len(m.GetToolCalls()) > 0}, Name: name}
		for _, tc := range m.GetToolCalls() {
			args := tc.GetArguments()
			if args == "" {
				args = "{}"
			}
			cm.ToolCalls = append(cm.ToolCalls, wireToolCall{ID: a.toolID(tc.GetId()), Type: "function",
				Function: wireFunction{Name: tc.GetName(), Arguments: args}})
		}
		return append(out, cm), nil
	case mcpv1.Role_ROLE_TOOL:
		var rest []*mcpv1.ContentPart
		for _, p := range m.GetContent() {
			if tr := p.GetToolResult(); tr != nil {
				out = append(out, a.toolMessage(tr.GetToolCallId(), tr.GetContent()))
				continue
			}
			rest = append(rest, p)
		}
		if len(rest) > 0 || len(m.GetContent()) == 0 {
			out = append(out, a.toolMessage(m.GetToolCallId(), rest))
		}
		return out, nil
	case mcpv1.Role_ROLE_USER:
		parts := make([]contentPart, 0, len(m.GetContent()))
		onlyText := true
		for _, p := range m.GetContent() {
			if tr := p.GetToolResult(); tr != nil {
				out = append(out, a.toolMessage(tr.GetToolCallId(), tr.GetContent()))
				continue
			}
			cp, err := userPart(p, i)
			if err != nil {
				return nil, err
			}
			onlyText = onlyText && cp.Type == "text"
			parts = append(parts, cp)
		}
		switch {
		case len(parts) == 0:
			return out, nil
		case len(parts) == 1 && onlyText:
			return append(out, chatMessage{Role: "user", Content: messageContent{Text: parts[0].Text}, Name: name}), nil
		default:
			return append(out, chatMessage{Role: "user", Content: messageContent{Parts: parts}, Name: name}), nil
		}
	}
	return nil, apierror.Invalid("messages.role", "message %d: unsupported role %s", i, m.GetRole())
}

// toolMessage answers one tool call. OpenAI tool messages carry text only;
// images in tool results are not forwarded.
func (a *Adapter) toolMessage(id string, content []*mcpv1.ContentPart) chatMessage {
	var b strings.Builder
	for _, p := range content {
		switch {
		case p.GetToolResult() != nil:
			for _, q := range p.GetToolResult().GetContent() {
				b.WriteString(q.GetText())
			}
		default:
			b.WriteString(p.GetText())
			if d := p.GetDocument(); d != nil {
				b.WriteString(d.GetText())
			}
		}
	}
	return chatMessage{Role: "tool", ToolCallID: a.toolID(id), Content: messageContent{Text: b.String()}}
}

// textOnly joins the text parts of a system or assistant message; other
// parts are not allowed there.
func textOnly(parts []*mcpv1.ContentPart, i int) (string, error) {
	if len(parts) == 1 {
		if t, ok := parts[0].GetPart().(*mcpv1.ContentPart_Text); ok {
			return t.Text, nil
		}
	}
	var b strings.Builder
	for _, p := range parts {
		switch v := p.GetPart().(type) {
		case *mcpv1.ContentPart_Text:
			b.WriteString(v.Text)
		case *mcpv1.ContentPart_Document:
			if v.Document.GetText() == "" {
				return "", unsupported("message %d: only text documents are allowed in system and assistant messages", i)
			}
			b.WriteString(v.Document.GetText())
		default:
			return "", unsupported("message %d: only text is allowed in system and assistant messages", i)
		}
	}
	return b.String(), nil
}

func userPart(p *mcpv1.ContentPart, i int) (contentPart, error) {
	switch v := p.GetPart().(type) {
	case *mcpv1.ContentPart_Text:
		return contentPart{Type: "text", Text: v.Text}, nil
	case *mcpv1.ContentPart_Image:
		img := v.Image
		u := img.GetUrl()
		if u == "" {
			mime := img.GetMimeType()
			if mime == "" {
				mime = "image/png"
			}
			u = dataURL(mime, img.GetData())
		}
		iu := &imageURL{URL: u}
		switch img.GetDetail() {
		case mcpv1.ImageDetail_IMAGE_DETAIL_LOW:
			iu.Detail = "low"
		case mcpv1.ImageDetail_IMAGE_DETAIL_HIGH:
			iu.Detail = "high"
		}
		return contentPart{Type: "image_url", ImageURL: iu}, nil
	case *mcpv1.ContentPart_Audio:
		format := ""
		switch strings.ToLower(v.Audio.GetMimeType()) {
		case "audio/wav", "audio/x-wav", "audio/wave":
			format = "wav"
		case "audio/mpeg", "audio/mp3":
			format = "mp3"
		default:
			return contentPart{}, unsupported("message %d: audio type %q is not supported (wav or mp3)", i, v.Audio.GetMimeType())
		}
		return contentPart{Type: "input_audio", InputAudio: &inputAudio{Data: base64.StdEncoding.EncodeToString(v.Audio.GetData()), Format: format}}, nil
	case *mcpv1.ContentPart_Document:
		d := v.Document
		switch {
		case d.GetText() != "":
			text := d.GetText()
			if d.GetTitle() != "" {
				text = d.GetTitle() + "\n\n" + text
			}
			return contentPart{Type: "text", Text: text}, nil
		case len(d.GetData()) > 0:
			mime := d.GetMimeType()
			if mime == "" {
				mime = "application/pdf"
			}
			name := d.GetTitle()
			if name == "" {
				name = "document.pdf"
			}
			return contentPart{Type: "file", File: &filePart{Filename: name, FileData: dataURL(mime, d.GetData())}}, nil
		default:
			return contentPart{}, unsupported("message %d: documents by URL are not supported by OpenAI chat completions", i)
		}
	}
	return contentPart{}, unsupported("message %d: unsupported content part", i)
}

func dataURL(mime string, data []byte) string {
	const prefix = ";base64,"
	b := make([]byte, 0, len("data:")+len(mime)+len(prefix)+base64.StdEncoding.EncodedLen(len(data)))
	b = append(b, "data:"...)
	b = append(b, mime...)
	b = append(b, prefix...)
	b = base64.StdEncoding.AppendEncode(b, data)
	return string(b)
}

func unsupported(format string, args ...any) *apierror.Error {
	return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED, format, args...)
}
