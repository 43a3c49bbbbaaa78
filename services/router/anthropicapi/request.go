package anthropicapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	fastjson "github.com/goccy/go-json"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// The request types follow the Anthropic SDK's MessageCreateParams
// (PROVIDER_WIRE_FORMATS.md §2.1). Unknown fields (thinking, service_tier,
// cache_control, …) are ignored.

type messagesRequest struct {
	Model         string        `json:"model"`
	MaxTokens     *int64        `json:"max_tokens"`
	Messages      []wireMessage `json:"messages"`
	System        blocks        `json:"system"`
	StopSequences []string      `json:"stop_sequences"`
	Temperature   *float64      `json:"temperature"`
	TopP          *float64      `json:"top_p"`
	TopK          *int64        `json:"top_k"`
	Tools         []wireTool    `json:"tools"`
	ToolChoice    *toolChoice   `json:"tool_choice"`
	Metadata      *struct {
		UserID string `json:"user_id"`
	} `json:"metadata"`
	Stream bool `json:"stream"`
}

type wireMessage struct {
	Role    string `json:"role"`
	Content blocks `json:"content"`
}

// blocks is a string (one text block) or an array of content blocks.
type blocks []block

func (bs *blocks) UnmarshalJSON(b []byte) error {
	switch firstByte(b) {
	case 'n':
		return nil
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*bs = blocks{{Type: "text", Text: s}}
		return nil
	case '[':
		return json.Unmarshal(b, (*[]block)(bs))
	}
	return errors.New("content must be a string or an array of content blocks")
}

type block struct {
	Type string `json:"type"`
	// text
	Text string `json:"text"`
	// image, document
	Source *source `json:"source"`
	Title  string  `json:"title"`
	// tool_use
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`
	// tool_result
	ToolUseID string `json:"tool_use_id"`
	Content   blocks `json:"content"`
	IsError   bool   `json:"is_error"`
}

type source struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type"`
	Data      string `json:"data"`
	URL       string `json:"url"`
}

type wireTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type toolChoice struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// jsonTypeError is a JSON value of the wrong type for a known field.
type jsonTypeError struct {
	field, msg string
}

func (e *jsonTypeError) Error() string { return e.field + ": " + e.msg }

// decodeJSON parses body into v, turning type mismatches into errors that
// name the field.
func decodeJSON(body []byte, v any) error {
	err := fastjson.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var ute *fastjson.UnmarshalTypeError
	if errors.As(err, &ute) && ute.Field != "" {
		return &jsonTypeError{field: ute.Field, msg: fmt.Sprintf("expected %s, got JSON %s", ute.Type, ute.Value)}
	}
	return err
}

// fieldMap remembers which Anthropic request path each translated message
// came from (the system prompt becomes message 0), so validation errors
// name the field the caller sent.
type fieldMap struct {
	messages []string
}

// fieldNames renames Model Context Protocol paths to the Anthropic
// request's, longest first (a strings.Replacer tries them in order).
var fieldNames = strings.NewReplacer(
	"request.", "",
	"sampling.max_output_tokens", "max_tokens",
	"sampling.", "",
	"options.user", "metadata.user_id",
	"tool_choice.tool_name", "tool_choice.name",
	"].parameters", "].input_schema",
)

var messageIndex = regexp.MustCompile(`messages\[(\d+)\]`)

// rewrite renames every field path in s (a path, or a validation message
// listing several) to the Anthropic request's.
func (f *fieldMap) rewrite(s string) string {
	s = fieldNames.Replace(s)
	if f == nil || !strings.Contains(s, "messages[") {
		return s
	}
	return messageIndex.ReplaceAllStringFunc(s, func(m string) string {
		n, err := strconv.Atoi(m[len("messages[") : len(m)-1])
		if err != nil || n >= len(f.messages) {
			return m
		}
		return f.messages[n]
	})
}

// toMCP translates the request. requireMaxTokens is false for
// count_tokens, where max_tokens is not part of the request.
func (m *messagesRequest) toMCP(requireMaxTokens bool) (*mcpv1.Request, *fieldMap, error) {
	if requireMaxTokens && m.MaxTokens == nil {
		return nil, nil, apierror.Invalid("max_tokens", "max_tokens: Field required")
	}
	if len(m.Messages) == 0 {
		return nil, nil, apierror.Invalid("messages", "messages: at least one message is required")
	}
	r := &mcpv1.Request{Model: m.Model, Messages: make([]*mcpv1.Message, 0, len(m.Messages)+1)}
	fields := &fieldMap{messages: make([]string, 0, cap(r.Messages))}
	if len(m.System) > 0 {
		sys := &mcpv1.Message{Role: mcpv1.Role_ROLE_SYSTEM, Content: make([]*mcpv1.ContentPart, 0, len(m.System))}
		for i, b := range m.System {
			if b.Type != "text" {
				return nil, nil, apierror.Invalid("system["+strconv.Itoa(i)+"].type", "system blocks must be text blocks, got %q", b.Type)
			}
			sys.Content = append(sys.Content, textPart(b.Text))
		}
		r.Messages = append(r.Messages, sys)
		fields.messages = append(fields.messages, "system")
	}
	var toolNames map[string]string // tool_use id → name, for tool results
	for i := range m.Messages {
		field := "messages[" + strconv.Itoa(i) + "]"
		msg, err := m.Messages[i].toMCP(field, &toolNames)
		if err != nil {
			return nil, nil, err
		}
		r.Messages = append(r.Messages, msg)
		fields.messages = append(fields.messages, field)
	}
	if err := m.sampling(r); err != nil {
		return nil, nil, err
	}
	for i, t := range m.Tools {
		field := "tools[" + strconv.Itoa(i) + "]"
		if t.Type != "" && t.Type != "custom" {
			e := apierror.New(mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED, "server tool %q (type %s) is not supported: declare client tools with name and input_schema", t.Name, t.Type)
			e.Field = field + ".type"
			return nil, nil, e
		}
		tool := &mcpv1.Tool{Name: t.Name, Description: t.Description}
		if len(t.InputSchema) > 0 && firstByte(t.InputSchema) != 'n' {
			s := &structpb.Struct{}
			if err := protojson.Unmarshal(t.InputSchema, s); err != nil {
				return nil, nil, apierror.Invalid(field+".input_schema", "input_schema must be a JSON object")
			}
			tool.Parameters = s
		}
		r.Tools = append(r.Tools, tool)
	}
	if tc := m.ToolChoice; tc != nil {
		mode := func(m mcpv1.ToolChoiceMode) *mcpv1.ToolChoice {
			return &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: m}}
		}
		switch tc.Type {
		case "auto":
			r.ToolChoice = mode(mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO)
		case "any":
			r.ToolChoice = mode(mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED)
		case "none":
			r.ToolChoice = mode(mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE)
		case "tool":
			if tc.Name == "" {
				return nil, nil, apierror.Invalid("tool_choice.name", "tool_choice.name is required with type tool")
			}
			r.ToolChoice = &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_ToolName{ToolName: tc.Name}}
		default:
			return nil, nil, apierror.Invalid("tool_choice.type", "unsupported tool_choice type %q: use auto, any, none or tool", tc.Type)
		}
	}
	if md := m.Metadata; md != nil && md.UserID != "" {
		r.Options = &mcpv1.RequestOptions{User: md.UserID}
	}
	return r, fields, nil
}

func (m *messagesRequest) sampling(r *mcpv1.Request) error {
	if m.MaxTokens == nil && m.Temperature == nil && m.TopP == nil && m.TopK == nil && len(m.StopSequences) == 0 {
		return nil
	}
	s := &mcpv1.SamplingParams{Temperature: m.Temperature, TopP: m.TopP, StopSequences: m.StopSequences}
	if m.MaxTokens != nil {
		if *m.MaxTokens < 1 || *m.MaxTokens > math.MaxInt32 {
			return apierror.Invalid("max_tokens", "max_tokens must be between 1 and %d, got %d", math.MaxInt32, *m.MaxTokens)
		}
		n := int32(*m.MaxTokens)
		s.MaxOutputTokens = &n
	}
	if m.TopK != nil {
		if *m.TopK < 0 || *m.TopK > math.MaxInt32 {
			return apierror.Invalid("top_k", "top_k must be between 1 and %d, got %d", math.MaxInt32, *m.TopK)
		}
		k := int32(*m.TopK)
		s.TopK = &k
	}
	r.Sampling = s
	return nil
}

func (w *wireMessage) toMCP(field string, toolNames *map[string]string) (*mcpv1.Message, error) {
	out := &mcpv1.Message{Content: make([]*mcpv1.ContentPart, 0, len(w.Content))}
	switch w.Role {
	case "user":
		out.Role = mcpv1.Role_ROLE_USER
	case "assistant":
		out.Role = mcpv1.Role_ROLE_ASSISTANT
	case "":
		return nil, apierror.Invalid(field+".role", "%s.role: Field required", field)
	default:
		return nil, apierror.Invalid(field+".role", "unsupported role %q: use user or assistant (system instructions go in the top-level system field)", w.Role)
	}
	for j := range w.Content {
		b := &w.Content[j]
		bf := field + ".content[" + strconv.Itoa(j) + "]"
		switch {
		case b.Type == "tool_use" && out.Role == mcpv1.Role_ROLE_ASSISTANT:
			args := "{}"
			if len(b.Input) > 0 {
				args = string(compact(b.Input))
			}
			out.ToolCalls = append(out.ToolCalls, &mcpv1.ToolCall{Id: b.ID, Name: b.Name, Arguments: args})
			if *toolNames == nil {
				*toolNames = map[string]string{}
			}
			(*toolNames)[b.ID] = b.Name
		case b.Type == "tool_result" && out.Role == mcpv1.Role_ROLE_USER:
			tr := &mcpv1.ToolResultPart{ToolCallId: b.ToolUseID, Name: (*toolNames)[b.ToolUseID], IsError: b.IsError}
			for k := range b.Content {
				p, err := b.Content[k].part(bf + ".content[" + strconv.Itoa(k) + "]")
				if err != nil {
					return nil, err
				}
				tr.Content = append(tr.Content, p)
			}
			out.Content = append(out.Content, &mcpv1.ContentPart{Part: &mcpv1.ContentPart_ToolResult{ToolResult: tr}})
		case b.Type == "tool_use" || b.Type == "tool_result":
			return nil, apierror.Invalid(bf+".type", "%s blocks are not allowed in %s messages", b.Type, w.Role)
		case b.Type == "thinking" || b.Type == "redacted_thinking":
			// Echoed reasoning is the provider's own state; Manifold does
			// not replay it across providers.
		default:
			p, err := b.part(bf)
			if err != nil {
				return nil, err
			}
			out.Content = append(out.Content, p)
		}
	}
	return out, nil
}

// part translates a text, image or document block.
func (b *block) part(field string) (*mcpv1.ContentPart, error) {
	switch b.Type {
	case "text":
		return textPart(b.Text), nil
	case "image":
		src := b.Source
		if src == nil {
			return nil, apierror.Invalid(field+".source", "%s.source: Field required", field)
		}
		switch src.Type {
		case "base64":
			data, err := base64.StdEncoding.DecodeString(src.Data)
			if err != nil || len(data) == 0 {
				return nil, apierror.Invalid(field+".source.data", "%s.source.data: not valid base64 image data", field)
			}
			return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{
				Source: &mcpv1.ImagePart_Data{Data: data}, MimeType: src.MediaType,
			}}}, nil
		case "url":
			return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{
				Source: &mcpv1.ImagePart_Url{Url: src.URL},
			}}}, nil
		}
		return nil, apierror.Invalid(field+".source.type", "unsupported image source type %q: use base64 or url", src.Type)
	case "document":
		src := b.Source
		if src == nil {
			return nil, apierror.Invalid(field+".source", "%s.source: Field required", field)
		}
		doc := &mcpv1.DocumentPart{MimeType: src.MediaType, Title: b.Title}
		switch src.Type {
		case "base64":
			data, err := base64.StdEncoding.DecodeString(src.Data)
			if err != nil || len(data) == 0 {
				return nil, apierror.Invalid(field+".source.data", "%s.source.data: not valid base64 data", field)
			}
			doc.Source = &mcpv1.DocumentPart_Data{Data: data}
		case "text":
			doc.Source = &mcpv1.DocumentPart_Text{Text: src.Data}
		case "url":
			doc.Source = &mcpv1.DocumentPart_Url{Url: src.URL}
		default:
			return nil, apierror.Invalid(field+".source.type", "unsupported document source type %q: use base64, text or url", src.Type)
		}
		return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Document{Document: doc}}, nil
	case "":
		return nil, apierror.Invalid(field+".type", "%s.type: Field required", field)
	}
	return nil, apierror.Invalid(field+".type", "unsupported content block type %q", b.Type)
}

func textPart(s string) *mcpv1.ContentPart {
	return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: s}}
}

// compact strips insignificant whitespace from a JSON value; the input was
// already checked to be valid JSON by the decoder.
func compact(raw json.RawMessage) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}
