package openaiapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	fastjson "github.com/goccy/go-json"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
)

// The request types follow openai/openai-openapi CreateChatCompletionRequest
// (PROVIDER_WIRE_FORMATS.md §1.1, §1.2). Unknown fields are ignored, as
// OpenAI-compatible servers do, so newer SDKs keep working.

type chatRequest struct {
	Model               string            `json:"model"`
	Messages            []chatMessage     `json:"messages"`
	Temperature         *float64          `json:"temperature"`
	TopP                *float64          `json:"top_p"`
	MaxCompletionTokens *int64            `json:"max_completion_tokens"`
	MaxTokens           *int64            `json:"max_tokens"`
	Stop                stopList          `json:"stop"`
	Seed                *int64            `json:"seed"`
	N                   *int64            `json:"n"`
	PresencePenalty     *float64          `json:"presence_penalty"`
	FrequencyPenalty    *float64          `json:"frequency_penalty"`
	Tools               []chatTool        `json:"tools"`
	ToolChoice          *toolChoice       `json:"tool_choice"`
	ResponseFormat      *responseFormat   `json:"response_format"`
	User                string            `json:"user"`
	Metadata            map[string]string `json:"metadata"`
	Stream              bool              `json:"stream"`
	StreamOptions       *streamOptions    `json:"stream_options"`
	// Prompt is Manifold's extension: a managed prompt to render, whose
	// messages come before messages (which may then be empty).
	Prompt *chatPrompt `json:"prompt"`
}

// chatPrompt references a managed prompt: by name, at a label or an exact
// version (neither: "production"), with its variables as a JSON object.
type chatPrompt struct {
	Name      string          `json:"name"`
	Label     string          `json:"label"`
	Version   int32           `json:"version"`
	Variables json.RawMessage `json:"variables"`
}

func (p *chatPrompt) toMCP() (*mcpv1.PromptRef, error) {
	ref := &mcpv1.PromptRef{Name: p.Name}
	switch {
	case p.Label != "" && p.Version != 0:
		return nil, apierror.Invalid("prompt", "give prompt.label or prompt.version, not both")
	case p.Label != "":
		ref.Selector = &mcpv1.PromptRef_Label{Label: p.Label}
	case p.Version != 0:
		ref.Selector = &mcpv1.PromptRef_Version{Version: p.Version}
	}
	if len(p.Variables) > 0 && string(p.Variables) != "null" {
		var vars map[string]any
		if err := json.Unmarshal(p.Variables, &vars); err != nil || vars == nil {
			return nil, apierror.Invalid("prompt.variables", "prompt.variables must be a JSON object")
		}
		st, err := structpb.NewStruct(vars)
		if err != nil {
			return nil, apierror.Invalid("prompt.variables", "prompt.variables: %v", err)
		}
		ref.Variables = st
	}
	return ref, nil
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type chatMessage struct {
	Role       string         `json:"role"`
	Content    messageContent `json:"content"`
	Name       string         `json:"name"`
	ToolCalls  []toolCall     `json:"tool_calls"`
	ToolCallID string         `json:"tool_call_id"`
}

// messageContent is a string, an array of parts, or null.
type messageContent struct {
	text  *string
	parts []contentPart
}

func (c *messageContent) UnmarshalJSON(b []byte) error {
	switch firstByte(b) {
	case 'n':
		return nil
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		c.text = &s
		return nil
	case '[':
		return json.Unmarshal(b, &c.parts)
	}
	return errors.New("content must be a string, an array of content parts or null")
}

type contentPart struct {
	Type       string      `json:"type"`
	Text       string      `json:"text"`
	Refusal    string      `json:"refusal"`
	ImageURL   *imageURL   `json:"image_url"`
	InputAudio *inputAudio `json:"input_audio"`
	File       *filePart   `json:"file"`
}

type imageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail"`
}

type inputAudio struct {
	Data   string `json:"data"`
	Format string `json:"format"`
}

type filePart struct {
	FileData string `json:"file_data"`
	FileID   string `json:"file_id"`
	Filename string `json:"filename"`
}

type toolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type chatTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
		Strict      bool            `json:"strict"`
	} `json:"function"`
}

// toolChoice is "none" | "auto" | "required" | {"type":"function","function":{"name"}}.
type toolChoice struct {
	mode string
	name string
	typ  string
}

func (t *toolChoice) UnmarshalJSON(b []byte) error {
	switch firstByte(b) {
	case '"':
		return json.Unmarshal(b, &t.mode)
	case '{':
		var v struct {
			Type     string `json:"type"`
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		t.typ, t.name = v.Type, v.Function.Name
		return nil
	}
	return errors.New("tool_choice must be a string or an object")
}

type responseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Schema      json.RawMessage `json:"schema"`
		Strict      bool            `json:"strict"`
	} `json:"json_schema"`
}

// stopList is a string, an array of strings, or null.
type stopList []string

func (s *stopList) UnmarshalJSON(b []byte) error {
	switch firstByte(b) {
	case 'n':
		return nil
	case '"':
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = stopList{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(s))
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

func jsonErrorText(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

// streamOptionsMessage is the real API's wording (BerriAI/litellm#5803).
const streamOptionsMessage = "The 'stream_options' parameter is only allowed when 'stream' is enabled."

// toMCP translates the request. It reports surface-level problems (values
// protovalidate cannot see, such as n or stream_options) as invalid-request
// errors naming the OpenAI parameter; the result still needs validate.Check.
func (c *chatRequest) toMCP() (*mcpv1.Request, error) {
	if c.StreamOptions != nil && !c.Stream {
		return nil, apierror.Invalid("stream_options", streamOptionsMessage)
	}
	if c.N != nil {
		switch {
		case *c.N < 1:
			return nil, apierror.Invalid("n", "n must be at least 1")
		case *c.N > 1:
			e := apierror.New(mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED, "n > 1 is not supported: ask for one choice per request")
			e.Field = "n"
			return nil, e
		}
	}
	if len(c.Messages) == 0 && c.Prompt == nil {
		return nil, apierror.Invalid("messages", "messages must contain at least one message")
	}
	r := &mcpv1.Request{Model: c.Model, Messages: make([]*mcpv1.Message, 0, len(c.Messages))}
	if c.Prompt != nil {
		ref, err := c.Prompt.toMCP()
		if err != nil {
			return nil, err
		}
		r.Prompt = ref
	}
	for i := range c.Messages {
		m, err := c.Messages[i].toMCP(i)
		if err != nil {
			return nil, err
		}
		r.Messages = append(r.Messages, m)
	}
	if err := c.sampling(r); err != nil {
		return nil, err
	}
	for i := range c.Tools {
		t, err := c.Tools[i].toMCP(i)
		if err != nil {
			return nil, err
		}
		r.Tools = append(r.Tools, t)
	}
	if tc := c.ToolChoice; tc != nil {
		choice, err := tc.toMCP()
		if err != nil {
			return nil, err
		}
		r.ToolChoice = choice
	}
	if rf := c.ResponseFormat; rf != nil {
		f, err := rf.toMCP()
		if err != nil {
			return nil, err
		}
		r.ResponseFormat = f
	}
	if c.User != "" || len(c.Metadata) > 0 {
		r.Options = &mcpv1.RequestOptions{User: c.User, Metadata: c.Metadata}
	}
	return r, nil
}

func (c *chatRequest) sampling(r *mcpv1.Request) error {
	maxTokens, maxName := c.MaxCompletionTokens, "max_completion_tokens"
	if maxTokens == nil {
		maxTokens, maxName = c.MaxTokens, "max_tokens"
	}
	if c.Temperature == nil && c.TopP == nil && maxTokens == nil && len(c.Stop) == 0 && c.Seed == nil &&
		c.PresencePenalty == nil && c.FrequencyPenalty == nil {
		return nil
	}
	s := &mcpv1.SamplingParams{
		Temperature: c.Temperature, TopP: c.TopP, Seed: c.Seed,
		PresencePenalty: c.PresencePenalty, FrequencyPenalty: c.FrequencyPenalty,
		StopSequences: c.Stop,
	}
	if maxTokens != nil {
		if *maxTokens < 1 || *maxTokens > math.MaxInt32 {
			return apierror.Invalid(maxName, "%s must be between 1 and %d, got %d", maxName, math.MaxInt32, *maxTokens)
		}
		n := int32(*maxTokens)
		s.MaxOutputTokens = &n
	}
	r.Sampling = s
	return nil
}

func (m *chatMessage) toMCP(i int) (*mcpv1.Message, error) {
	field := "messages[" + strconv.Itoa(i) + "]"
	out := &mcpv1.Message{Name: m.Name}
	switch m.Role {
	case "system":
		out.Role = mcpv1.Role_ROLE_SYSTEM
	case "developer":
		out.Role = mcpv1.Role_ROLE_DEVELOPER
	case "user":
		out.Role = mcpv1.Role_ROLE_USER
	case "assistant":
		out.Role = mcpv1.Role_ROLE_ASSISTANT
	case "tool":
		out.Role = mcpv1.Role_ROLE_TOOL
		out.ToolCallId = m.ToolCallID
		if m.ToolCallID == "" {
			return nil, apierror.Invalid(field+".tool_call_id", "tool messages need a tool_call_id")
		}
	case "":
		return nil, apierror.Invalid(field+".role", "role is required")
	default:
		return nil, apierror.Invalid(field+".role", "unsupported role %q: use system, developer, user, assistant or tool", m.Role)
	}
	if t := m.Content.text; t != nil {
		out.Content = []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: *t}}}
	}
	if len(m.Content.parts) > 0 {
		out.Content = make([]*mcpv1.ContentPart, 0, len(m.Content.parts))
		for j := range m.Content.parts {
			p, err := m.Content.parts[j].toMCP(field + ".content[" + strconv.Itoa(j) + "]")
			if err != nil {
				return nil, err
			}
			out.Content = append(out.Content, p)
		}
	}
	if len(m.ToolCalls) > 0 {
		if out.Role != mcpv1.Role_ROLE_ASSISTANT {
			return nil, apierror.Invalid(field+".tool_calls", "only assistant messages may carry tool_calls")
		}
		out.ToolCalls = make([]*mcpv1.ToolCall, len(m.ToolCalls))
		for j, tc := range m.ToolCalls {
			out.ToolCalls[j] = &mcpv1.ToolCall{Id: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments}
		}
	}
	return out, nil
}

func (p *contentPart) toMCP(field string) (*mcpv1.ContentPart, error) {
	switch p.Type {
	case "text":
		return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: p.Text}}, nil
	case "refusal":
		return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: p.Refusal}}, nil
	case "image_url":
		if p.ImageURL == nil || p.ImageURL.URL == "" {
			return nil, apierror.Invalid(field+".image_url.url", "image_url.url is required")
		}
		img, err := imagePart(p.ImageURL.URL, field+".image_url.url")
		if err != nil {
			return nil, err
		}
		switch p.ImageURL.Detail {
		case "low":
			img.Detail = mcpv1.ImageDetail_IMAGE_DETAIL_LOW
		case "high":
			img.Detail = mcpv1.ImageDetail_IMAGE_DETAIL_HIGH
		}
		return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Image{Image: img}}, nil
	case "input_audio":
		if p.InputAudio == nil {
			return nil, apierror.Invalid(field+".input_audio", "input_audio is required")
		}
		data, err := base64.StdEncoding.DecodeString(p.InputAudio.Data)
		if err != nil {
			return nil, apierror.Invalid(field+".input_audio.data", "input_audio.data is not valid base64")
		}
		mime := "audio/" + p.InputAudio.Format
		if p.InputAudio.Format == "mp3" {
			mime = "audio/mpeg"
		}
		return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Audio{Audio: &mcpv1.AudioPart{Data: data, MimeType: mime}}}, nil
	case "file":
		if p.File == nil || p.File.FileData == "" {
			return nil, apierror.Invalid(field+".file.file_data", "file parts need file_data (uploaded file ids are not supported)")
		}
		mime, data, err := decodeDataURI(p.File.FileData)
		if err != nil {
			return nil, apierror.Invalid(field+".file.file_data", "%v", err)
		}
		return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Document{Document: &mcpv1.DocumentPart{
			Source: &mcpv1.DocumentPart_Data{Data: data}, MimeType: mime, Title: p.File.Filename,
		}}}, nil
	case "":
		return nil, apierror.Invalid(field+".type", "content part type is required")
	}
	return nil, apierror.Invalid(field+".type", "unsupported content part type %q", p.Type)
}

// imagePart keeps https URLs as URLs and decodes data: URIs to bytes, so
// every provider gets the image the way it wants it.
func imagePart(url, field string) (*mcpv1.ImagePart, error) {
	if !strings.HasPrefix(url, "data:") {
		return &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Url{Url: url}}, nil
	}
	mime, data, err := decodeDataURI(url)
	if err != nil {
		return nil, apierror.Invalid(field, "%v", err)
	}
	return &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Data{Data: data}, MimeType: mime}, nil
}

// decodeDataURI decodes "data:<mime>;base64,<data>".
func decodeDataURI(uri string) (mime string, data []byte, err error) {
	rest, ok := strings.CutPrefix(uri, "data:")
	if !ok {
		return "", nil, errors.New("expected a data: URI with base64 content")
	}
	meta, payload, ok := strings.Cut(rest, ",")
	if !ok || !strings.HasSuffix(meta, ";base64") {
		return "", nil, errors.New("expected a data: URI with base64 content")
	}
	mime = strings.TrimSuffix(meta, ";base64")
	data, err = base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return "", nil, errors.New("data: URI content is not valid base64")
	}
	if len(data) == 0 {
		return "", nil, errors.New("data: URI content is empty")
	}
	return mime, data, nil
}

func (t *chatTool) toMCP(i int) (*mcpv1.Tool, error) {
	field := "tools[" + strconv.Itoa(i) + "]"
	if t.Type != "function" {
		return nil, apierror.Invalid(field+".type", "unsupported tool type %q: only function tools are supported", t.Type)
	}
	out := &mcpv1.Tool{Name: t.Function.Name, Description: t.Function.Description, Strict: t.Function.Strict}
	if len(t.Function.Parameters) > 0 && firstByte(t.Function.Parameters) != 'n' {
		s, err := jsonStruct(t.Function.Parameters, field+".function.parameters")
		if err != nil {
			return nil, err
		}
		out.Parameters = s
	}
	return out, nil
}

func jsonStruct(raw json.RawMessage, field string) (*structpb.Struct, error) {
	s := &structpb.Struct{}
	if err := protojson.Unmarshal(raw, s); err != nil {
		return nil, apierror.Invalid(field, "must be a JSON object")
	}
	return s, nil
}

func (t *toolChoice) toMCP() (*mcpv1.ToolChoice, error) {
	mode := func(m mcpv1.ToolChoiceMode) *mcpv1.ToolChoice {
		return &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_Mode{Mode: m}}
	}
	switch {
	case t.mode == "auto":
		return mode(mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO), nil
	case t.mode == "none":
		return mode(mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE), nil
	case t.mode == "required":
		return mode(mcpv1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED), nil
	case t.mode != "":
		return nil, apierror.Invalid("tool_choice", "unsupported tool_choice %q: use none, auto, required or a function", t.mode)
	case t.typ == "function" && t.name != "":
		return &mcpv1.ToolChoice{Choice: &mcpv1.ToolChoice_ToolName{ToolName: t.name}}, nil
	case t.typ == "function":
		return nil, apierror.Invalid("tool_choice.function.name", "tool_choice.function.name is required")
	}
	return nil, apierror.Invalid("tool_choice.type", "unsupported tool_choice type %q", t.typ)
}

func (f *responseFormat) toMCP() (*mcpv1.ResponseFormat, error) {
	switch f.Type {
	case "text":
		return &mcpv1.ResponseFormat{Type: mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_TEXT}, nil
	case "json_object":
		return &mcpv1.ResponseFormat{Type: mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_OBJECT}, nil
	case "json_schema":
		js := f.JSONSchema
		if js == nil {
			return nil, apierror.Invalid("response_format.json_schema", "response_format.json_schema is required with type json_schema")
		}
		out := &mcpv1.JsonSchema{Name: js.Name, Description: js.Description, Strict: js.Strict}
		if len(js.Schema) > 0 {
			s, err := jsonStruct(js.Schema, "response_format.json_schema.schema")
			if err != nil {
				return nil, err
			}
			out.Schema = s
		}
		return &mcpv1.ResponseFormat{Type: mcpv1.ResponseFormatType_RESPONSE_FORMAT_TYPE_JSON_SCHEMA, JsonSchema: out}, nil
	}
	return nil, apierror.Invalid("response_format.type", "unsupported response_format type %q: use text, json_object or json_schema", f.Type)
}
