package anthropic

import "encoding/json"

// The JSON shapes of the Messages API (PROVIDER_WIRE_FORMATS.md §2), typed
// so encoding needs no maps and decoding no type switches.

// messagesRequest is the body of POST /v1/messages.
type messagesRequest struct {
	Model         string        `json:"model"`
	MaxTokens     int32         `json:"max_tokens"`
	System        string        `json:"system,omitempty"`
	Messages      []message     `json:"messages"`
	Tools         []tool        `json:"tools,omitempty"`
	ToolChoice    *toolChoice   `json:"tool_choice,omitempty"`
	StopSequences []string      `json:"stop_sequences,omitempty"`
	Temperature   *float64      `json:"temperature,omitempty"`
	TopP          *float64      `json:"top_p,omitempty"`
	TopK          *int32        `json:"top_k,omitempty"`
	Metadata      *metadata     `json:"metadata,omitempty"`
	OutputConfig  *outputConfig `json:"output_config,omitempty"`
	Stream        bool          `json:"stream,omitempty"`
}

type message struct {
	Role    string         `json:"role"`
	Content []contentBlock `json:"content"`
}

// contentBlock is any request content block: text, image, document,
// tool_use or tool_result. Type says which fields apply.
type contentBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text,omitempty"`
	Source    *source         `json:"source,omitempty"`
	Title     string          `json:"title,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   []contentBlock  `json:"content,omitempty"`
	IsError   bool            `json:"is_error,omitempty"`
}

// source is an image or document source: base64, url or (documents) text.
type source struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

type tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
	Strict      bool            `json:"strict,omitempty"`
}

type toolChoice struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

type metadata struct {
	UserID string `json:"user_id,omitempty"`
}

type outputConfig struct {
	Format *outputFormat `json:"format,omitempty"`
}

type outputFormat struct {
	Type   string          `json:"type"`
	Schema json.RawMessage `json:"schema"`
}

// messageResponse is a complete Message, and the message of message_start.
type messageResponse struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	Role         string          `json:"role"`
	Model        string          `json:"model"`
	Content      []responseBlock `json:"content"`
	StopReason   string          `json:"stop_reason"`
	StopSequence string          `json:"stop_sequence"`
	Usage        usage           `json:"usage"`
}

// responseBlock is a content block of an answer (text, tool_use, thinking,
// redacted_thinking, server tool blocks; unknown kinds are skipped).
type responseBlock struct {
	Type     string          `json:"type"`
	Text     string          `json:"text"`
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Input    json.RawMessage `json:"input"`
	Thinking string          `json:"thinking"`
}

// usage is Anthropic's token count. input_tokens excludes cache reads and
// writes; output_tokens includes thinking. In message_delta every field but
// output_tokens may be absent or null, which decodes as zero.
type usage struct {
	InputTokens              int64         `json:"input_tokens"`
	OutputTokens             int64         `json:"output_tokens"`
	CacheCreationInputTokens int64         `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64         `json:"cache_read_input_tokens"`
	OutputTokensDetails      outputDetails `json:"output_tokens_details"`
}

type outputDetails struct {
	ThinkingTokens int64 `json:"thinking_tokens"`
}

// streamEvent is the data of any SSE event; Type says which fields apply.
type streamEvent struct {
	Type         string           `json:"type"`
	Index        int              `json:"index"`
	Message      *messageResponse `json:"message"`
	ContentBlock responseBlock    `json:"content_block"`
	Delta        streamDelta      `json:"delta"`
	Usage        usage            `json:"usage"`
	Error        errorDetail      `json:"error"`
}

// streamDelta is the delta of content_block_delta (Type set) or of
// message_delta (StopReason set).
type streamDelta struct {
	Type         string `json:"type"`
	Text         string `json:"text"`
	PartialJSON  string `json:"partial_json"`
	Thinking     string `json:"thinking"`
	StopReason   string `json:"stop_reason"`
	StopSequence string `json:"stop_sequence"`
}

// errorEnvelope is the body of every error answer and of `event: error`.
type errorEnvelope struct {
	Type      string      `json:"type"`
	Error     errorDetail `json:"error"`
	RequestID string      `json:"request_id"`
}

type errorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}
