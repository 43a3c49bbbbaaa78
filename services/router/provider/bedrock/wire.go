package bedrock

import "encoding/json"

// The Converse wire types (rest-json), written by hand from the
// bedrock-runtime service model so the adapter does not pull in the SDK
// client. Unions are structs of pointers with omitempty: exactly one member
// is set.

type converseRequest struct {
	Messages                     []message         `json:"messages"`
	System                       []systemBlock     `json:"system,omitempty"`
	InferenceConfig              *inferenceConfig  `json:"inferenceConfig,omitempty"`
	ToolConfig                   *toolConfig       `json:"toolConfig,omitempty"`
	AdditionalModelRequestFields *additionalFields `json:"additionalModelRequestFields,omitempty"`
	RequestMetadata              map[string]string `json:"requestMetadata,omitempty"`
}

type systemBlock struct {
	Text string `json:"text"`
}

type message struct {
	Role    string         `json:"role"`
	Content []contentBlock `json:"content"`
}

type contentBlock struct {
	Text             string            `json:"text,omitempty"`
	Image            *imageBlock       `json:"image,omitempty"`
	Document         *documentBlock    `json:"document,omitempty"`
	ToolUse          *toolUseBlock     `json:"toolUse,omitempty"`
	ToolResult       *toolResultBlock  `json:"toolResult,omitempty"`
	ReasoningContent *reasoningContent `json:"reasoningContent,omitempty"`
}

type imageBlock struct {
	Format string      `json:"format"`
	Source mediaSource `json:"source"`
}

type documentBlock struct {
	Format string      `json:"format"`
	Name   string      `json:"name"`
	Source mediaSource `json:"source"`
}

// mediaSource carries bytes (base64 on the wire, as encoding/json does for
// []byte) or an S3 location.
type mediaSource struct {
	Bytes      []byte      `json:"bytes,omitempty"`
	S3Location *s3Location `json:"s3Location,omitempty"`
}

type s3Location struct {
	URI string `json:"uri"`
}

type toolUseBlock struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type toolResultBlock struct {
	ToolUseID string              `json:"toolUseId"`
	Content   []toolResultContent `json:"content"`
	Status    string              `json:"status,omitempty"`
}

type toolResultContent struct {
	Text     string          `json:"text,omitempty"`
	JSON     json.RawMessage `json:"json,omitempty"`
	Image    *imageBlock     `json:"image,omitempty"`
	Document *documentBlock  `json:"document,omitempty"`
}

type reasoningContent struct {
	ReasoningText *reasoningText `json:"reasoningText,omitempty"`
	// RedactedContent is encrypted reasoning; it has no place in the
	// standard response and is dropped.
	RedactedContent []byte `json:"redactedContent,omitempty"`
}

type reasoningText struct {
	Text      string `json:"text"`
	Signature string `json:"signature,omitempty"`
}

type inferenceConfig struct {
	MaxTokens     *int32   `json:"maxTokens,omitempty"`
	Temperature   *float64 `json:"temperature,omitempty"`
	TopP          *float64 `json:"topP,omitempty"`
	StopSequences []string `json:"stopSequences,omitempty"`
}

// additionalFields are model-specific request fields Converse passes
// through; only top_k is used.
type additionalFields struct {
	TopK *int32 `json:"top_k,omitempty"`
}

type toolConfig struct {
	Tools      []tool      `json:"tools"`
	ToolChoice *toolChoice `json:"toolChoice,omitempty"`
}

type tool struct {
	ToolSpec toolSpec `json:"toolSpec"`
}

type toolSpec struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	InputSchema inputSchema `json:"inputSchema"`
}

type inputSchema struct {
	JSON json.RawMessage `json:"json"`
}

type empty struct{}

type toolChoice struct {
	Auto *empty          `json:"auto,omitempty"`
	Any  *empty          `json:"any,omitempty"`
	Tool *specificChoice `json:"tool,omitempty"`
}

type specificChoice struct {
	Name string `json:"name"`
}

type converseResponse struct {
	Output struct {
		Message *message `json:"message"`
	} `json:"output"`
	StopReason                    string         `json:"stopReason"`
	Usage                         *usage         `json:"usage"`
	AdditionalModelResponseFields responseFields `json:"additionalModelResponseFields"`
}

// responseFields are model-specific response fields; Anthropic models
// report the stop sequence that matched here.
type responseFields struct {
	StopSequence string `json:"stop_sequence"`
}

type usage struct {
	InputTokens           int64 `json:"inputTokens"`
	OutputTokens          int64 `json:"outputTokens"`
	TotalTokens           int64 `json:"totalTokens"`
	CacheReadInputTokens  int64 `json:"cacheReadInputTokens"`
	CacheWriteInputTokens int64 `json:"cacheWriteInputTokens"`
}

// errorBody is the rest-json error body. The type usually comes in the
// x-amzn-ErrorType header; some front ends put it in __type instead.
type errorBody struct {
	Message      string `json:"message"`
	MessageUpper string `json:"Message"`
	Type         string `json:"__type"`
}

// Stream event payloads. One struct covers them all: the frame's
// :event-type header says which fields are meaningful. Deltas are values,
// not pointers, to spare allocations on the hot path; an empty field is
// one that carries nothing to relay.
type streamEvent struct {
	ContentBlockIndex int            `json:"contentBlockIndex"`
	Start             blockStart     `json:"start"`
	Delta             blockDelta     `json:"delta"`
	StopReason        string         `json:"stopReason"`
	Usage             *usage         `json:"usage"`
	AdditionalFields  responseFields `json:"additionalModelResponseFields"`
}

type blockStart struct {
	ToolUse *toolUseStart `json:"toolUse"`
}

type toolUseStart struct {
	ToolUseID string `json:"toolUseId"`
	Name      string `json:"name"`
}

type blockDelta struct {
	Text    string `json:"text"`
	ToolUse struct {
		Input string `json:"input"`
	} `json:"toolUse"`
	ReasoningContent struct {
		Text string `json:"text"`
	} `json:"reasoningContent"`
}
