package anthropic

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/router/provider"
)

// DefaultMaxTokens is sent as max_tokens, which Anthropic requires, when the
// request sets no max_output_tokens.
const DefaultMaxTokens = 4096

// jsonObjectInstruction is appended to the system prompt for
// RESPONSE_FORMAT_TYPE_JSON_OBJECT: Anthropic has no schema-less JSON mode,
// and structured outputs require a closed schema.
const jsonObjectInstruction = "Respond with a single valid JSON object and nothing else."

var emptyObjectSchema = json.RawMessage(`{"type":"object","properties":{}}`)

// buildRequest translates a call into a Messages request body.
func buildRequest(call *provider.Call, stream bool) (*messagesRequest, error) {
	req := call.Request
	out := &messagesRequest{
		Model:     call.Model,
		MaxTokens: DefaultMaxTokens,
		Stream:    stream,
		Messages:  make([]message, 0, len(req.GetMessages())),
	}
	if out.Model == "" {
		out.Model = req.GetModel()
	}
	var system strings.Builder
	for i, m := range req.GetMessages() {
		switch m.GetRole() {
		case mcpv1.Role_ROLE_SYSTEM, mcpv1.Role_ROLE_DEVELOPER:
			for j, p := range m.GetContent() {
				t, ok := p.GetPart().(*mcpv1.ContentPart_Text)
				if !ok {
					return nil, unsupported(fmt.Sprintf("request.messages[%d].content[%d]", i, j), "system messages may only hold text for Anthropic")
				}
				if t.Text == "" {
					continue
				}
				if system.Len() > 0 {
					system.WriteString("\n\n")
				}
				system.WriteString(t.Text)
			}
		case mcpv1.Role_ROLE_USER:
			blocks, err := userBlocks(m.GetContent(), fmt.Sprintf("request.messages[%d]", i))
			if err != nil {
				return nil, err
			}
			out.Messages = appendMessage(out.Messages, "user", blocks)
		case mcpv1.Role_ROLE_ASSISTANT:
			blocks, err := assistantBlocks(m, i)
			if err != nil {
				return nil, err
			}
			out.Messages = appendMessage(out.Messages, "assistant", blocks)
		case mcpv1.Role_ROLE_TOOL:
			content, err := toolResultContent(m.GetContent(), fmt.Sprintf("request.messages[%d]", i))
			if err != nil {
				return nil, err
			}
			block := contentBlock{Type: "tool_result", ToolUseID: m.GetToolCallId(), Content: content}
			out.Messages = appendMessage(out.Messages, "user", []contentBlock{block})
		default:
			return nil, apierror.Invalid(fmt.Sprintf("request.messages[%d].role", i), "unknown role %v", m.GetRole())
		}
	}
	for i := range out.Messages {
		if out.Messages[i].Role == "user" {
			toolResultsFirst(out.Messages[i].Content)
		}
	}

	if err := addTools(out, req); err != nil {
		return nil, err
	}

	switch rf := req.GetResponseFormat(); rf.GetType() {
	case mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA:
		schema, err := marshalStruct(rf.GetJsonSchema().GetSchema())
		if err != nil {
			return nil, apierror.Invalid("request.response_format.json_schema.schema", "invalid schema: %v", err)
		}
		out.OutputConfig = &outputConfig{Format: &outputFormat{Type: "json_schema", Schema: schema}}
	case mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_OBJECT:
		if system.Len() > 0 {
			system.WriteString("\n\n")
		}
		system.WriteString(jsonObjectInstruction)
	}
	out.System = system.String()

	if s := req.GetSampling(); s != nil {
		if s.MaxOutputTokens != nil {
			out.MaxTokens = s.GetMaxOutputTokens()
		}
		if s.Temperature != nil {
			// The unified range is OpenAI's 0–2; Anthropic accepts 0–1.
			t := min(s.GetTemperature(), 1)
			out.Temperature = &t
		}
		if s.TopP != nil {
			p := s.GetTopP()
			out.TopP = &p
		}
		if s.TopK != nil {
			k := s.GetTopK()
			out.TopK = &k
		}
		out.StopSequences = s.GetStopSequences()
		// seed, presence_penalty and frequency_penalty have no Anthropic
		// counterpart and are dropped.
	}
	if u := req.GetOptions().GetUser(); u != "" {
		out.Metadata = &metadata{UserID: u}
	}
	return out, nil
}

// appendMessage adds blocks as a turn of role, merged into the previous turn
// when it has the same role (Anthropic alternates user and assistant).
func appendMessage(msgs []message, role string, blocks []contentBlock) []message {
	if len(blocks) == 0 {
		return msgs
	}
	if n := len(msgs); n > 0 && msgs[n-1].Role == role {
		msgs[n-1].Content = append(msgs[n-1].Content, blocks...)
		return msgs
	}
	return append(msgs, message{Role: role, Content: blocks})
}

// toolResultsFirst moves tool_result blocks to the front of a user turn,
// keeping order otherwise: Anthropic wants the results of the previous
// turn's tool_use blocks first.
func toolResultsFirst(blocks []contentBlock) {
	inOrder, seenOther := true, false
	for _, b := range blocks {
		if b.Type != "tool_result" {
			seenOther = true
		} else if seenOther {
			inOrder = false
			break
		}
	}
	if inOrder {
		return
	}
	sorted := make([]contentBlock, 0, len(blocks))
	for _, b := range blocks {
		if b.Type == "tool_result" {
			sorted = append(sorted, b)
		}
	}
	for _, b := range blocks {
		if b.Type != "tool_result" {
			sorted = append(sorted, b)
		}
	}
	copy(blocks, sorted)
}

func userBlocks(parts []*mcpv1.ContentPart, field string) ([]contentBlock, error) {
	blocks := make([]contentBlock, 0, len(parts))
	for j, p := range parts {
		f := fmt.Sprintf("%s.content[%d]", field, j)
		switch v := p.GetPart().(type) {
		case *mcpv1.ContentPart_Text:
			if v.Text != "" {
				blocks = append(blocks, contentBlock{Type: "text", Text: v.Text})
			}
		case *mcpv1.ContentPart_Image:
			b, err := imageBlock(v.Image, f)
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, b)
		case *mcpv1.ContentPart_Document:
			b, err := documentBlock(v.Document, f)
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, b)
		case *mcpv1.ContentPart_ToolResult:
			content, err := toolResultContent(v.ToolResult.GetContent(), f+".tool_result")
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, contentBlock{
				Type:      "tool_result",
				ToolUseID: v.ToolResult.GetToolCallId(),
				Content:   content,
				IsError:   v.ToolResult.GetIsError(),
			})
		case *mcpv1.ContentPart_Audio:
			return nil, unsupported(f, "Anthropic does not accept audio input")
		default:
			return nil, apierror.Invalid(f, "empty content part")
		}
	}
	return blocks, nil
}

// toolResultContent is the content of a tool_result block: text and images.
func toolResultContent(parts []*mcpv1.ContentPart, field string) ([]contentBlock, error) {
	blocks := make([]contentBlock, 0, len(parts))
	for j, p := range parts {
		switch v := p.GetPart().(type) {
		case *mcpv1.ContentPart_Text:
			if v.Text != "" {
				blocks = append(blocks, contentBlock{Type: "text", Text: v.Text})
			}
		case *mcpv1.ContentPart_Image:
			b, err := imageBlock(v.Image, fmt.Sprintf("%s.content[%d]", field, j))
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, b)
		default:
			return nil, unsupported(fmt.Sprintf("%s.content[%d]", field, j), "Anthropic tool results hold only text and images")
		}
	}
	return blocks, nil
}

func assistantBlocks(m *mcpv1.Message, i int) ([]contentBlock, error) {
	blocks := make([]contentBlock, 0, len(m.GetContent())+len(m.GetToolCalls()))
	for j, p := range m.GetContent() {
		t, ok := p.GetPart().(*mcpv1.ContentPart_Text)
		if !ok {
			return nil, unsupported(fmt.Sprintf("request.messages[%d].content[%d]", i, j), "assistant messages may only hold text for Anthropic")
		}
		if t.Text != "" {
			blocks = append(blocks, contentBlock{Type: "text", Text: t.Text})
		}
	}
	for j, tc := range m.GetToolCalls() {
		input := json.RawMessage(strings.TrimSpace(tc.GetArguments()))
		if len(input) == 0 {
			input = json.RawMessage("{}")
		} else if input[0] != '{' || !json.Valid(input) {
			// Anthropic's input is an object; a model's invalid JSON cannot be
			// replayed to it.
			return nil, apierror.Invalid(fmt.Sprintf("request.messages[%d].tool_calls[%d].arguments", i, j), "tool call arguments must be a JSON object for Anthropic")
		}
		blocks = append(blocks, contentBlock{Type: "tool_use", ID: tc.GetId(), Name: tc.GetName(), Input: input})
	}
	return blocks, nil
}

func imageBlock(img *mcpv1.ImagePart, field string) (contentBlock, error) {
	switch src := img.GetSource().(type) {
	case *mcpv1.ImagePart_Url:
		if strings.HasPrefix(src.Url, "data:") {
			mediaType, data, err := parseDataURL(src.Url)
			if err != nil {
				return contentBlock{}, apierror.Invalid(field+".image.url", "%v", err)
			}
			return contentBlock{Type: "image", Source: &source{Type: "base64", MediaType: mediaType, Data: data}}, nil
		}
		return contentBlock{Type: "image", Source: &source{Type: "url", URL: src.Url}}, nil
	case *mcpv1.ImagePart_Data:
		if img.GetMimeType() == "" {
			return contentBlock{}, apierror.Invalid(field+".image.mime_type", "mime_type is required with image data")
		}
		return contentBlock{Type: "image", Source: &source{
			Type: "base64", MediaType: img.GetMimeType(), Data: base64.StdEncoding.EncodeToString(src.Data),
		}}, nil
	}
	return contentBlock{}, apierror.Invalid(field+".image", "image needs a url or data")
}

func documentBlock(doc *mcpv1.DocumentPart, field string) (contentBlock, error) {
	b := contentBlock{Type: "document", Title: doc.GetTitle()}
	switch src := doc.GetSource().(type) {
	case *mcpv1.DocumentPart_Url:
		b.Source = &source{Type: "url", URL: src.Url}
	case *mcpv1.DocumentPart_Text:
		b.Source = &source{Type: "text", MediaType: "text/plain", Data: src.Text}
	case *mcpv1.DocumentPart_Data:
		mt := doc.GetMimeType()
		switch {
		case mt == "application/pdf":
			b.Source = &source{Type: "base64", MediaType: mt, Data: base64.StdEncoding.EncodeToString(src.Data)}
		case mt == "text/plain" || strings.HasPrefix(mt, "text/"):
			b.Source = &source{Type: "text", MediaType: "text/plain", Data: string(src.Data)}
		default:
			return contentBlock{}, unsupported(field+".document.mime_type", fmt.Sprintf("Anthropic documents are PDF or plain text, not %q", mt))
		}
	default:
		return contentBlock{}, apierror.Invalid(field+".document", "document needs a url, data or text")
	}
	return b, nil
}

// parseDataURL splits data:<media type>;base64,<data>.
func parseDataURL(u string) (mediaType, data string, err error) {
	meta, payload, ok := strings.Cut(strings.TrimPrefix(u, "data:"), ",")
	if !ok {
		return "", "", fmt.Errorf("malformed data URL")
	}
	mediaType, enc, _ := strings.Cut(meta, ";")
	if enc != "base64" || mediaType == "" {
		return "", "", fmt.Errorf("data URL must be base64 with a media type")
	}
	return mediaType, payload, nil
}

func addTools(out *messagesRequest, req *mcpv1.Request) error {
	tools := req.GetTools()
	if len(tools) == 0 {
		return nil
	}
	out.Tools = make([]tool, len(tools))
	for i, t := range tools {
		schema := emptyObjectSchema
		if len(t.GetParameters().GetFields()) > 0 {
			var err error
			if schema, err = marshalStruct(t.GetParameters()); err != nil {
				return apierror.Invalid(fmt.Sprintf("request.tools[%d].parameters", i), "invalid schema: %v", err)
			}
		}
		out.Tools[i] = tool{Name: t.GetName(), Description: t.GetDescription(), InputSchema: schema, Strict: t.GetStrict()}
	}
	tc := req.GetToolChoice()
	if name := tc.GetToolName(); name != "" {
		out.ToolChoice = &toolChoice{Type: "tool", Name: name}
		return nil
	}
	switch tc.GetMode() {
	case mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO:
		out.ToolChoice = &toolChoice{Type: "auto"}
	case mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE:
		out.ToolChoice = &toolChoice{Type: "none"}
	case mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED:
		out.ToolChoice = &toolChoice{Type: "any"}
	}
	return nil
}

func marshalStruct(s *structpb.Struct) (json.RawMessage, error) {
	if s == nil {
		return emptyObjectSchema, nil
	}
	b, err := protojson.Marshal(s)
	return json.RawMessage(b), err
}

func unsupported(field, msg string) *apierror.Error {
	return &apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED, Field: field, Message: msg}
}
