package bedrock

import "encoding/json"

// The Converse request as the service model defines it, parsed strictly:
// a field the real API does not know is a ValidationException here, so a
// misspelt field in an adapter fails its tests.

type converseRequest struct {
	Messages                          []message          `json:"messages"`
	System                            []systemBlock      `json:"system"`
	InferenceConfig                   *inferenceConfig   `json:"inferenceConfig"`
	ToolConfig                        *toolConfig        `json:"toolConfig"`
	GuardrailConfig                   json.RawMessage    `json:"guardrailConfig"`
	AdditionalModelRequestFields      json.RawMessage    `json:"additionalModelRequestFields"`
	AdditionalModelResponseFieldPaths []string           `json:"additionalModelResponseFieldPaths"`
	PromptVariables                   json.RawMessage    `json:"promptVariables"`
	RequestMetadata                   map[string]string  `json:"requestMetadata"`
	PerformanceConfig                 *performanceConfig `json:"performanceConfig"`
}

type performanceConfig struct {
	Latency string `json:"latency"`
}

type systemBlock struct {
	Text         *string         `json:"text"`
	GuardContent json.RawMessage `json:"guardContent"`
	CachePoint   *cachePoint     `json:"cachePoint"`
}

type cachePoint struct {
	Type string `json:"type"`
}

type message struct {
	Role    string         `json:"role"`
	Content []contentBlock `json:"content"`
}

type contentBlock struct {
	Text             *string           `json:"text"`
	Image            *imageBlock       `json:"image"`
	Document         *documentBlock    `json:"document"`
	Video            json.RawMessage   `json:"video"`
	ToolUse          *toolUseBlock     `json:"toolUse"`
	ToolResult       *toolResultBlock  `json:"toolResult"`
	GuardContent     json.RawMessage   `json:"guardContent"`
	CachePoint       *cachePoint       `json:"cachePoint"`
	ReasoningContent *reasoningContent `json:"reasoningContent"`
}

// members counts the union members set.
func (b *contentBlock) members() int {
	n := 0
	for _, set := range []bool{b.Text != nil, b.Image != nil, b.Document != nil, b.Video != nil, b.ToolUse != nil,
		b.ToolResult != nil, b.GuardContent != nil, b.CachePoint != nil, b.ReasoningContent != nil} {
		if set {
			n++
		}
	}
	return n
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

type mediaSource struct {
	Bytes      []byte      `json:"bytes"`
	S3Location *s3Location `json:"s3Location"`
	Text       *string     `json:"text"`
}

type s3Location struct {
	URI         string `json:"uri"`
	BucketOwner string `json:"bucketOwner"`
}

type toolUseBlock struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type toolResultBlock struct {
	ToolUseID string              `json:"toolUseId"`
	Content   []toolResultContent `json:"content"`
	Status    string              `json:"status"`
}

type toolResultContent struct {
	Text     *string         `json:"text"`
	JSON     json.RawMessage `json:"json"`
	Image    *imageBlock     `json:"image"`
	Document *documentBlock  `json:"document"`
	Video    json.RawMessage `json:"video"`
}

type reasoningContent struct {
	ReasoningText *struct {
		Text      string `json:"text"`
		Signature string `json:"signature"`
	} `json:"reasoningText"`
	RedactedContent []byte `json:"redactedContent"`
}

type inferenceConfig struct {
	MaxTokens     *int     `json:"maxTokens"`
	Temperature   *float64 `json:"temperature"`
	TopP          *float64 `json:"topP"`
	StopSequences []string `json:"stopSequences"`
}

type toolConfig struct {
	Tools      []tool      `json:"tools"`
	ToolChoice *toolChoice `json:"toolChoice"`
}

type tool struct {
	ToolSpec   *toolSpec   `json:"toolSpec"`
	CachePoint *cachePoint `json:"cachePoint"`
}

type toolSpec struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	InputSchema struct {
		JSON json.RawMessage `json:"json"`
	} `json:"inputSchema"`
}

type toolChoice struct {
	Auto *struct{} `json:"auto"`
	Any  *struct{} `json:"any"`
	Tool *struct {
		Name string `json:"name"`
	} `json:"tool"`
}
