package gemini

import (
	"encoding/json"
	"strings"
)

// Request types as the Developer API parses them. Unknown fields are
// rejected, as Gemini does ("Invalid JSON payload received. Unknown name").

type generateRequest struct {
	Model             string            `json:"model"`
	Contents          []content         `json:"contents"`
	SystemInstruction *content          `json:"systemInstruction"`
	Tools             []tool            `json:"tools"`
	ToolConfig        *toolConfig       `json:"toolConfig"`
	SafetySettings    []safetySetting   `json:"safetySettings"`
	GenerationConfig  *generationConfig `json:"generationConfig"`
	CachedContent     string            `json:"cachedContent"`
}

type content struct {
	Role  string `json:"role"`
	Parts []part `json:"parts"`
}

type part struct {
	Text                *string           `json:"text"`
	Thought             bool              `json:"thought"`
	ThoughtSignature    string            `json:"thoughtSignature"`
	InlineData          *blob             `json:"inlineData"`
	FileData            *fileData         `json:"fileData"`
	FunctionCall        *functionCall     `json:"functionCall"`
	FunctionResponse    *functionResponse `json:"functionResponse"`
	ExecutableCode      json.RawMessage   `json:"executableCode"`
	CodeExecutionResult json.RawMessage   `json:"codeExecutionResult"`
	VideoMetadata       json.RawMessage   `json:"videoMetadata"`
}

type blob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

type fileData struct {
	MimeType string `json:"mimeType"`
	FileURI  string `json:"fileUri"`
}

type functionCall struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
}

type functionResponse struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Response     json.RawMessage `json:"response"`
	WillContinue bool            `json:"willContinue"`
	Scheduling   string          `json:"scheduling"`
}

type tool struct {
	FunctionDeclarations  []functionDeclaration `json:"functionDeclarations"`
	GoogleSearch          json.RawMessage       `json:"googleSearch"`
	GoogleSearchRetrieval json.RawMessage       `json:"googleSearchRetrieval"`
	CodeExecution         json.RawMessage       `json:"codeExecution"`
	URLContext            json.RawMessage       `json:"urlContext"`
}

type functionDeclaration struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description"`
	Behavior             string          `json:"behavior"`
	Parameters           json.RawMessage `json:"parameters"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema"`
	Response             json.RawMessage `json:"response"`
	ResponseJSONSchema   json.RawMessage `json:"responseJsonSchema"`
}

type toolConfig struct {
	FunctionCallingConfig *functionCallingConfig `json:"functionCallingConfig"`
	RetrievalConfig       json.RawMessage        `json:"retrievalConfig"`
}

type functionCallingConfig struct {
	Mode                 string   `json:"mode"`
	AllowedFunctionNames []string `json:"allowedFunctionNames"`
}

type safetySetting struct {
	Category  string `json:"category"`
	Threshold string `json:"threshold"`
}

type generationConfig struct {
	StopSequences      []string        `json:"stopSequences"`
	ResponseMimeType   string          `json:"responseMimeType"`
	ResponseSchema     json.RawMessage `json:"responseSchema"`
	ResponseJSONSchema json.RawMessage `json:"responseJsonSchema"`
	ResponseModalities []string        `json:"responseModalities"`
	CandidateCount     *int            `json:"candidateCount"`
	MaxOutputTokens    *int            `json:"maxOutputTokens"`
	Temperature        *float64        `json:"temperature"`
	TopP               *float64        `json:"topP"`
	TopK               *float64        `json:"topK"`
	Seed               *int64          `json:"seed"`
	PresencePenalty    *float64        `json:"presencePenalty"`
	FrequencyPenalty   *float64        `json:"frequencyPenalty"`
	ResponseLogprobs   bool            `json:"responseLogprobs"`
	Logprobs           *int            `json:"logprobs"`
	EnableEnhancedCivi bool            `json:"enableEnhancedCivicAnswers"`
	ThinkingConfig     json.RawMessage `json:"thinkingConfig"`
	SpeechConfig       json.RawMessage `json:"speechConfig"`
	MediaResolution    string          `json:"mediaResolution"`
}

type embedContentRequest struct {
	Model                string  `json:"model"`
	Content              content `json:"content"`
	TaskType             string  `json:"taskType"`
	Title                string  `json:"title"`
	OutputDimensionality int     `json:"outputDimensionality"`
}

type batchEmbedRequest struct {
	Requests []embedContentRequest `json:"requests"`
}

// Response types, emitted in lowerCamelCase like the real API.

type response struct {
	Candidates     []respCandidate `json:"candidates,omitempty"`
	PromptFeedback json.RawMessage `json:"promptFeedback,omitempty"`
	UsageMetadata  *respUsage      `json:"usageMetadata,omitempty"`
	ModelVersion   string          `json:"modelVersion"`
	ResponseID     string          `json:"responseId"`
}

type respCandidate struct {
	Content      respContent `json:"content"`
	FinishReason string      `json:"finishReason,omitempty"`
	Index        int         `json:"index"`
}

type respContent struct {
	Parts []respPart `json:"parts,omitempty"`
	Role  string     `json:"role"`
}

type respPart struct {
	Text         string            `json:"text,omitempty"`
	Thought      bool              `json:"thought,omitempty"`
	FunctionCall *respFunctionCall `json:"functionCall,omitempty"`
}

type respFunctionCall struct {
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
}

type respUsage struct {
	PromptTokenCount        int `json:"promptTokenCount"`
	CandidatesTokenCount    int `json:"candidatesTokenCount,omitempty"`
	CachedContentTokenCount int `json:"cachedContentTokenCount,omitempty"`
	ThoughtsTokenCount      int `json:"thoughtsTokenCount,omitempty"`
	TotalTokenCount         int `json:"totalTokenCount"`
}

// opaque are fields whose values are user data (schemas, arguments,
// results): their keys are never renamed.
var opaque = map[string]bool{
	"args": true, "response": true, "parameters": true, "parametersJsonSchema": true,
	"responseSchema": true, "responseJsonSchema": true, "executableCode": true, "codeExecutionResult": true,
}

// camelize rewrites snake_case keys to lowerCamelCase, as proto3 JSON
// parsers accept both spellings, leaving user data untouched.
func camelize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			ck := camelKey(k)
			if opaque[ck] {
				out[ck] = val
			} else {
				out[ck] = camelize(val)
			}
		}
		return out
	case []any:
		for i := range x {
			x[i] = camelize(x[i])
		}
		return x
	}
	return v
}

func camelKey(k string) string {
	if !strings.Contains(k, "_") || strings.HasPrefix(k, "@") {
		return k
	}
	var b strings.Builder
	up := false
	for _, r := range k {
		if r == '_' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}
