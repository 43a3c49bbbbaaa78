package ollama

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// translator turns one mcpv1.Request into an Ollama chat request.
type translator struct {
	out chatRequest
	// names maps tool-call ids to tool names: Ollama's tool messages carry
	// the tool's name.
	names map[string]string
}

func buildRequest(req *mcpv1.Request, model string, stream bool) (*chatRequest, error) {
	t := translator{out: chatRequest{Model: model, Stream: stream, Messages: make([]message, 0, len(req.GetMessages()))}}
	for _, m := range req.GetMessages() {
		for _, tc := range m.GetToolCalls() {
			if t.names == nil {
				t.names = make(map[string]string)
			}
			t.names[tc.GetId()] = tc.GetName()
		}
	}
	for i, m := range req.GetMessages() {
		if err := t.message(i, m); err != nil {
			return nil, err
		}
	}
	t.tools(req)
	if err := t.format(req); err != nil {
		return nil, err
	}
	t.options(req)
	return &t.out, nil
}

func (t *translator) message(i int, m *mcpv1.Message) error {
	field := "request.messages[" + strconv.Itoa(i) + "]"
	var role string
	switch m.GetRole() {
	case mcpv1.Role_ROLE_SYSTEM, mcpv1.Role_ROLE_DEVELOPER:
		role = "system"
	case mcpv1.Role_ROLE_USER:
		role = "user"
	case mcpv1.Role_ROLE_ASSISTANT:
		role = "assistant"
	case mcpv1.Role_ROLE_TOOL:
		msg := message{Role: "tool", ToolName: t.names[m.GetToolCallId()], ToolCallID: m.GetToolCallId()}
		if err := t.fill(field, &msg, m.GetContent()); err != nil {
			return err
		}
		t.out.Messages = append(t.out.Messages, msg)
		return nil
	default:
		return apierror.Invalid(field+".role", "unsupported role %s", m.GetRole())
	}
	msg := message{Role: role}
	// Tool results inside a message become tool messages of their own,
	// before what remains of the message.
	rest := m.GetContent()
	results := 0
	for j, c := range m.GetContent() {
		tr := c.GetToolResult()
		if tr == nil {
			continue
		}
		results++
		name := tr.GetName()
		if name == "" {
			name = t.names[tr.GetToolCallId()]
		}
		tm := message{Role: "tool", ToolName: name, ToolCallID: tr.GetToolCallId()}
		if err := t.fill(fmt.Sprintf("%s.content[%d].tool_result", field, j), &tm, tr.GetContent()); err != nil {
			return err
		}
		if tr.GetIsError() {
			tm.Content = "Error: " + tm.Content
		}
		t.out.Messages = append(t.out.Messages, tm)
	}
	if results > 0 {
		rest = make([]*mcpv1.ContentPart, 0, len(m.GetContent())-results)
		for _, c := range m.GetContent() {
			if c.GetToolResult() == nil {
				rest = append(rest, c)
			}
		}
		if len(rest) == 0 && len(m.GetToolCalls()) == 0 {
			return nil
		}
	}
	if err := t.fill(field, &msg, rest); err != nil {
		return err
	}
	for j, tc := range m.GetToolCalls() {
		args := strings.TrimSpace(tc.GetArguments())
		if args == "" {
			args = "{}"
		}
		if !strings.HasPrefix(args, "{") || !json.Valid([]byte(args)) {
			return apierror.Invalid(fmt.Sprintf("%s.tool_calls[%d].arguments", field, j), "Ollama needs tool-call arguments as a JSON object")
		}
		msg.ToolCalls = append(msg.ToolCalls, toolCall{ID: tc.GetId(), Function: toolCallFunction{Name: tc.GetName(), Arguments: json.RawMessage(args)}})
	}
	t.out.Messages = append(t.out.Messages, msg)
	return nil
}

// fill sets a message's text and images from content parts.
func (t *translator) fill(field string, msg *message, parts []*mcpv1.ContentPart) error {
	var text strings.Builder
	add := func(s string) {
		if text.Len() > 0 {
			text.WriteByte('\n')
		}
		text.WriteString(s)
	}
	for j, c := range parts {
		f := fmt.Sprintf("%s.content[%d]", field, j)
		switch p := c.GetPart().(type) {
		case *mcpv1.ContentPart_Text:
			add(p.Text)
		case *mcpv1.ContentPart_Image:
			img, err := imageData(f+".image", p.Image)
			if err != nil {
				return err
			}
			msg.Images = append(msg.Images, img)
		case *mcpv1.ContentPart_Document:
			src, ok := p.Document.GetSource().(*mcpv1.DocumentPart_Text)
			if !ok {
				return unsupported(f+".document", "Ollama takes documents as text only")
			}
			if title := p.Document.GetTitle(); title != "" {
				add(title + "\n\n" + src.Text)
			} else {
				add(src.Text)
			}
		case *mcpv1.ContentPart_Audio:
			return unsupported(f+".audio", "Ollama does not take audio input")
		case *mcpv1.ContentPart_ToolResult:
			return apierror.Invalid(f+".tool_result", "a tool result cannot be nested here")
		}
	}
	msg.Content = text.String()
	return nil
}

// imageData returns an image as the base64 text Ollama wants. Ollama
// cannot fetch URLs, and the gateway does not fetch on its behalf.
func imageData(field string, img *mcpv1.ImagePart) (string, error) {
	switch src := img.GetSource().(type) {
	case *mcpv1.ImagePart_Data:
		return base64.StdEncoding.EncodeToString(src.Data), nil
	case *mcpv1.ImagePart_Url:
		rest, ok := strings.CutPrefix(src.Url, "data:")
		if !ok {
			return "", unsupported(field+".url", "Ollama takes images as bytes or data: URLs, not %s URLs", scheme(src.Url))
		}
		meta, data, ok := strings.Cut(rest, ",")
		if !ok {
			return "", apierror.Invalid(field+".url", "malformed data: URL")
		}
		if strings.HasSuffix(meta, ";base64") {
			return data, nil
		}
		raw, err := url.PathUnescape(data)
		if err != nil {
			return "", apierror.Invalid(field+".url", "malformed data: URL: %v", err)
		}
		return base64.StdEncoding.EncodeToString([]byte(raw)), nil
	}
	return "", apierror.Invalid(field, "image has no source")
}

func scheme(u string) string {
	if i := strings.Index(u, ":"); i > 0 {
		return u[:i]
	}
	return "relative"
}

func unsupported(field, format string, args ...any) *apierror.Error {
	return &apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED, Field: field, Message: fmt.Sprintf(format, args...)}
}

// tools sends the offered tools. Ollama has no tool_choice: "none" sends no
// tools and a named tool sends only that one; "required" cannot be enforced.
func (t *translator) tools(req *mcpv1.Request) {
	tc := req.GetToolChoice()
	if tc.GetMode() == mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE {
		return
	}
	only := tc.GetToolName()
	for _, tl := range req.GetTools() {
		if only != "" && tl.GetName() != only {
			continue
		}
		t.out.Tools = append(t.out.Tools, tool{Type: "function", Function: toolFunction{
			Name: tl.GetName(), Description: tl.GetDescription(), Parameters: tl.GetParameters(),
		}})
	}
}

func (t *translator) format(req *mcpv1.Request) error {
	switch rf := req.GetResponseFormat(); rf.GetType() {
	case mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_OBJECT:
		t.out.Format = json.RawMessage(`"json"`)
	case mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA:
		b, err := rf.GetJsonSchema().GetSchema().MarshalJSON()
		if err != nil {
			return apierror.Invalid("request.response_format.json_schema.schema", "%v", err)
		}
		t.out.Format = b
	}
	return nil
}

func (t *translator) options(req *mcpv1.Request) {
	s := req.GetSampling()
	if s == nil {
		return
	}
	t.out.Options = &options{
		Temperature:      s.Temperature,
		TopP:             s.TopP,
		TopK:             s.TopK,
		Seed:             s.Seed,
		NumPredict:       s.MaxOutputTokens,
		Stop:             s.GetStopSequences(),
		PresencePenalty:  s.PresencePenalty,
		FrequencyPenalty: s.FrequencyPenalty,
	}
}
