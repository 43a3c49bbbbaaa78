package anthropic

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/manifoldgw/manifold/services/internal/emulator"
)

// request is the body of POST /v1/messages (and count_tokens). Unknown
// fields are rejected, as the API does ("Extra inputs are not permitted"),
// so an adapter that misspells a field fails here.
type request struct {
	Model         string          `json:"model"`
	MaxTokens     *int            `json:"max_tokens"`
	Messages      []message       `json:"messages"`
	System        json.RawMessage `json:"system"`
	StopSequences []string        `json:"stop_sequences"`
	Temperature   *float64        `json:"temperature"`
	TopP          *float64        `json:"top_p"`
	TopK          *int            `json:"top_k"`
	Tools         []tool          `json:"tools"`
	ToolChoice    *toolChoice     `json:"tool_choice"`
	Metadata      *struct {
		UserID *string `json:"user_id"`
	} `json:"metadata"`
	Stream       bool            `json:"stream"`
	Thinking     json.RawMessage `json:"thinking"`
	OutputConfig *struct {
		Effort string `json:"effort"`
		Format *struct {
			Type   string          `json:"type"`
			Schema json.RawMessage `json:"schema"`
		} `json:"format"`
	} `json:"output_config"`
	ServiceTier  string          `json:"service_tier"`
	CacheControl json.RawMessage `json:"cache_control"`
	Container    json.RawMessage `json:"container"`
	InferenceGeo string          `json:"inference_geo"`
}

type message struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	blocks  []block
}

// block is any content block; Type says which fields apply.
type block struct {
	Type         string          `json:"type"`
	Text         *string         `json:"text"`
	Source       *source         `json:"source"`
	Title        string          `json:"title"`
	Context      string          `json:"context"`
	Citations    json.RawMessage `json:"citations"`
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Input        json.RawMessage `json:"input"`
	ToolUseID    string          `json:"tool_use_id"`
	Content      json.RawMessage `json:"content"`
	IsError      bool            `json:"is_error"`
	CacheControl json.RawMessage `json:"cache_control"`
	Thinking     string          `json:"thinking"`
	Signature    string          `json:"signature"`
	Data         string          `json:"data"`
}

type source struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type"`
	Data      string `json:"data"`
	URL       string `json:"url"`
	FileID    string `json:"file_id"`
}

type tool struct {
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	InputSchema  json.RawMessage `json:"input_schema"`
	Strict       bool            `json:"strict"`
	CacheControl json.RawMessage `json:"cache_control"`
	Type         string          `json:"type"`
}

type toolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use"`
}

var toolName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)

var imageTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

// strictUnmarshal decodes data into v, rejecting unknown fields.
func strictUnmarshal(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data after JSON value")
	}
	return nil
}

// parseRequest decodes and validates a request the way the API does; the
// error is the message of a 400 invalid_request_error.
func parseRequest(body []byte, countOnly bool) (*request, error) {
	var req request
	if err := strictUnmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("invalid request body: %v", err)
	}
	if req.Model == "" {
		return nil, fmt.Errorf("model: Field required")
	}
	if !countOnly {
		if req.MaxTokens == nil {
			return nil, fmt.Errorf("max_tokens: Field required")
		}
		if *req.MaxTokens < 1 {
			return nil, fmt.Errorf("max_tokens: Input should be greater than or equal to 1")
		}
	}
	if req.Messages == nil {
		return nil, fmt.Errorf("messages: Field required")
	}
	if req.Temperature != nil && (*req.Temperature < 0 || *req.Temperature > 1) {
		return nil, fmt.Errorf("temperature: range: 0..1")
	}
	if req.TopP != nil && (*req.TopP < 0 || *req.TopP > 1) {
		return nil, fmt.Errorf("top_p: range: 0..1")
	}
	if _, err := systemText(req.System); err != nil {
		return nil, err
	}
	for i, s := range req.StopSequences {
		if strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("stop_sequences.%d: each stop sequence must contain non-whitespace", i)
		}
	}
	for i, t := range req.Tools {
		if t.Type != "" && t.Type != "custom" {
			continue // a server tool
		}
		if !toolName.MatchString(t.Name) {
			return nil, fmt.Errorf("tools.%d.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'", i)
		}
		var schema struct {
			Type string `json:"type"`
		}
		if len(t.InputSchema) == 0 || json.Unmarshal(t.InputSchema, &schema) != nil {
			return nil, fmt.Errorf("tools.%d.custom.input_schema: Field required", i)
		}
		if schema.Type != "object" {
			return nil, fmt.Errorf("tools.%d.custom.input_schema.type: Input should be 'object'", i)
		}
	}
	if tc := req.ToolChoice; tc != nil {
		switch tc.Type {
		case "auto", "any", "none":
		case "tool":
			if !hasTool(req.Tools, tc.Name) {
				return nil, fmt.Errorf("tool_choice: tool %q not found in tools", tc.Name)
			}
		default:
			return nil, fmt.Errorf("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'")
		}
	}
	if oc := req.OutputConfig; oc != nil && oc.Format != nil {
		if oc.Format.Type != "json_schema" {
			return nil, fmt.Errorf("output_config.format.type: Input should be 'json_schema'")
		}
		var schema map[string]any
		if json.Unmarshal(oc.Format.Schema, &schema) != nil {
			return nil, fmt.Errorf("output_config.format.schema: Input should be a valid dictionary")
		}
	}
	for i := range req.Messages {
		if err := parseMessage(&req.Messages[i], i); err != nil {
			return nil, err
		}
	}
	if err := checkToolTurns(req.Messages); err != nil {
		return nil, err
	}
	return &req, nil
}

func hasTool(tools []tool, name string) bool {
	for _, t := range tools {
		if t.Name == name {
			return true
		}
	}
	return false
}

// systemText is the top-level system prompt: a string or text blocks.
func systemText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var blocks []block
	if err := strictUnmarshal(raw, &blocks); err != nil {
		return "", fmt.Errorf("system: Input should be a valid string or list of text blocks")
	}
	texts := make([]string, 0, len(blocks))
	for i, b := range blocks {
		if b.Type != "text" || b.Text == nil {
			return "", fmt.Errorf("system.%d.type: Input should be 'text'", i)
		}
		texts = append(texts, *b.Text)
	}
	return strings.Join(texts, "\n"), nil
}

func parseMessage(m *message, i int) error {
	if m.Role != "user" && m.Role != "assistant" {
		return fmt.Errorf("messages.%d.role: Input should be 'user' or 'assistant'", i)
	}
	if len(m.Content) == 0 {
		return fmt.Errorf("messages.%d.content: Field required", i)
	}
	var s string
	if json.Unmarshal(m.Content, &s) == nil {
		if s == "" {
			return fmt.Errorf("messages.%d: text content blocks must be non-empty", i)
		}
		m.blocks = []block{{Type: "text", Text: &s}}
		return nil
	}
	if err := strictUnmarshal(m.Content, &m.blocks); err != nil {
		return fmt.Errorf("messages.%d.content: %v", i, err)
	}
	if len(m.blocks) == 0 {
		return fmt.Errorf("messages.%d: all messages must have non-empty content except for the optional final assistant message", i)
	}
	for j := range m.blocks {
		if err := checkBlock(&m.blocks[j], m.Role, fmt.Sprintf("messages.%d.content.%d", i, j)); err != nil {
			return err
		}
	}
	return nil
}

func checkBlock(b *block, role, field string) error {
	switch b.Type {
	case "text":
		if b.Text == nil {
			return fmt.Errorf("%s.text.text: Field required", field)
		}
		if *b.Text == "" {
			return fmt.Errorf("%s: text content blocks must be non-empty", field)
		}
	case "image":
		return checkImage(b.Source, field+".image.source")
	case "document":
		if b.Source == nil {
			return fmt.Errorf("%s.document.source: Field required", field)
		}
		switch b.Source.Type {
		case "base64":
			if b.Source.MediaType != "application/pdf" {
				return fmt.Errorf("%s.document.source.base64.media_type: Input should be 'application/pdf'", field)
			}
		case "text":
			if b.Source.MediaType != "text/plain" {
				return fmt.Errorf("%s.document.source.text.media_type: Input should be 'text/plain'", field)
			}
		case "url", "file", "content":
		default:
			return fmt.Errorf("%s.document.source.type: unknown source type %q", field, b.Source.Type)
		}
	case "tool_use":
		if role != "assistant" {
			return fmt.Errorf("%s: tool_use blocks are only allowed in assistant messages", field)
		}
		if b.ID == "" || b.Name == "" {
			return fmt.Errorf("%s.tool_use: id and name are required", field)
		}
		var obj map[string]any
		if json.Unmarshal(b.Input, &obj) != nil || obj == nil {
			return fmt.Errorf("%s.tool_use.input: Input should be a valid dictionary", field)
		}
	case "tool_result":
		if role != "user" {
			return fmt.Errorf("%s: tool_result blocks are only allowed in user messages", field)
		}
		if b.ToolUseID == "" {
			return fmt.Errorf("%s.tool_result.tool_use_id: Field required", field)
		}
		if _, err := toolResultText(b, field); err != nil {
			return err
		}
	case "thinking", "redacted_thinking":
		if role != "assistant" {
			return fmt.Errorf("%s: thinking blocks are only allowed in assistant messages", field)
		}
	default:
		return fmt.Errorf("%s.type: Input tag %q found using 'type' does not match any of the expected tags", field, b.Type)
	}
	return nil
}

func checkImage(s *source, field string) error {
	if s == nil {
		return fmt.Errorf("%s: Field required", field)
	}
	switch s.Type {
	case "base64":
		if !imageTypes[s.MediaType] {
			return fmt.Errorf("%s.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'", field)
		}
		if _, err := base64.StdEncoding.DecodeString(s.Data); err != nil || s.Data == "" {
			return fmt.Errorf("%s.base64.data: invalid base64 data", field)
		}
	case "url":
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			return fmt.Errorf("%s.url.url: Input should be a valid URL", field)
		}
	case "file":
	default:
		return fmt.Errorf("%s.type: Input tag %q found using 'type' does not match any of the expected tags", field, s.Type)
	}
	return nil
}

// toolResultText is the text of a tool_result's content (string or blocks).
func toolResultText(b *block, field string) (string, error) {
	if len(b.Content) == 0 || string(b.Content) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(b.Content, &s) == nil {
		return s, nil
	}
	var blocks []block
	if err := strictUnmarshal(b.Content, &blocks); err != nil {
		return "", fmt.Errorf("%s.tool_result.content: %v", field, err)
	}
	var texts []string
	for j := range blocks {
		switch blocks[j].Type {
		case "text":
			if blocks[j].Text == nil || *blocks[j].Text == "" {
				return "", fmt.Errorf("%s.tool_result.content.%d: text content blocks must be non-empty", field, j)
			}
			texts = append(texts, *blocks[j].Text)
		case "image":
			if err := checkImage(blocks[j].Source, fmt.Sprintf("%s.tool_result.content.%d.image.source", field, j)); err != nil {
				return "", err
			}
		case "document", "search_result":
		default:
			return "", fmt.Errorf("%s.tool_result.content.%d.type: unsupported block type %q", field, j, blocks[j].Type)
		}
	}
	return strings.Join(texts, "\n"), nil
}

// checkToolTurns enforces the API's tool-turn rule: every tool_use must be
// answered by a tool_result in the next message, and every tool_result must
// answer a tool_use of the previous message.
func checkToolTurns(msgs []message) error {
	for i, m := range msgs {
		if m.Role == "assistant" {
			var ids []string
			for _, b := range m.blocks {
				if b.Type == "tool_use" {
					ids = append(ids, b.ID)
				}
			}
			if len(ids) == 0 || i == len(msgs)-1 {
				continue
			}
			next := msgs[i+1]
			for _, id := range ids {
				if !hasResult(next, id) {
					return fmt.Errorf("messages.%d: `tool_use` ids were found without `tool_result` blocks immediately after: %s. Each `tool_use` block must have a corresponding `tool_result` block in the next message.", i+1, id)
				}
			}
			continue
		}
		for j, b := range m.blocks {
			if b.Type != "tool_result" {
				continue
			}
			if i == 0 || !hasUse(msgs[i-1], b.ToolUseID) {
				return fmt.Errorf("messages.%d.content.%d: unexpected `tool_use_id` found in `tool_result` blocks: %s. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.", i, j, b.ToolUseID)
			}
		}
	}
	return nil
}

func hasResult(m message, id string) bool {
	for _, b := range m.blocks {
		if b.Type == "tool_result" && b.ToolUseID == id {
			return true
		}
	}
	return false
}

func hasUse(m message, id string) bool {
	for _, b := range m.blocks {
		if b.Type == "tool_use" && b.ID == id {
			return true
		}
	}
	return false
}

// turn is the provider-neutral view of a validated request.
func (req *request) turn() emulator.Turn {
	t := emulator.Turn{Stop: req.StopSequences}
	if req.MaxTokens != nil {
		t.MaxTokens = *req.MaxTokens
	}
	var input strings.Builder
	sys, _ := systemText(req.System)
	input.WriteString(sys)
	for i, m := range req.Messages {
		last := i == len(req.Messages)-1
		for j := range m.blocks {
			b := &m.blocks[j]
			switch b.Type {
			case "text":
				input.WriteString(" " + *b.Text)
			case "tool_use":
				input.WriteString(" " + b.Name + " " + string(b.Input))
			case "tool_result":
				text, _ := toolResultText(b, "")
				input.WriteString(" " + text)
			}
		}
		if !last || m.Role != "user" {
			continue
		}
		var texts, results []string
		for j := range m.blocks {
			b := &m.blocks[j]
			switch b.Type {
			case "text":
				texts = append(texts, *b.Text)
			case "image":
				t.Images = append(t.Images, imageType(b.Source))
			case "tool_result":
				text, _ := toolResultText(b, "")
				results = append(results, text)
				t.HasToolResult = true
			}
		}
		t.LastUserText = strings.Join(texts, " ")
		t.ToolResult = strings.Join(results, "\n")
	}
	t.InputText = input.String()
	for _, tl := range req.Tools {
		var params map[string]any
		_ = json.Unmarshal(tl.InputSchema, &params)
		t.Tools = append(t.Tools, emulator.Tool{Name: tl.Name, Parameters: params})
	}
	if tc := req.ToolChoice; tc != nil {
		switch tc.Type {
		case "any":
			t.ForceTool = "*"
		case "tool":
			t.ForceTool = tc.Name
		case "none":
			t.NoTools = true
		}
	}
	if oc := req.OutputConfig; oc != nil && oc.Format != nil {
		t.JSON = true
	}
	return t
}

// imageType names an image for the emulated model: its media type, from
// the URL's extension for URL images.
func imageType(s *source) string {
	if s.Type == "base64" {
		return s.MediaType
	}
	if u, err := url.Parse(s.URL); err == nil {
		if mt := mime.TypeByExtension(path.Ext(u.Path)); strings.HasPrefix(mt, "image/") {
			return mt
		}
	}
	return "image"
}
