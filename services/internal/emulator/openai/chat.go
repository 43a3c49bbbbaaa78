package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/manifoldgw/manifold/services/internal/emulator"
)

// knownFields are the top-level request fields OpenAI accepts
// (CreateChatCompletionRequest); anything else is "Unrecognized request
// argument supplied".
var knownFields = map[string]bool{
	"model": true, "messages": true, "temperature": true, "top_p": true, "max_completion_tokens": true,
	"max_tokens": true, "stop": true, "seed": true, "n": true, "stream": true, "stream_options": true,
	"tools": true, "tool_choice": true, "parallel_tool_calls": true, "response_format": true, "user": true,
	"frequency_penalty": true, "presence_penalty": true, "logprobs": true, "top_logprobs": true,
	"logit_bias": true, "reasoning_effort": true, "metadata": true, "store": true, "service_tier": true,
	"modalities": true, "audio": true, "prediction": true, "web_search_options": true, "functions": true,
	"function_call": true, "safety_identifier": true, "prompt_cache_key": true, "verbosity": true,
}

// Fields the compatible servers add; OpenAI rejects them.
var compatFields = map[string]bool{"top_k": true, "min_p": true, "repetition_penalty": true, "random_seed": true, "safe_prompt": true}

// Mistral forbids these (pydantic extra_forbidden, HTTP 422).
var mistralForbidden = map[string]bool{"seed": true, "max_completion_tokens": true, "stream_options": true, "user": true,
	"logit_bias": true, "logprobs": true, "top_logprobs": true, "store": true, "metadata": true, "reasoning_effort": true}

// Groq rejects these (console.groq.com/docs/openai).
var groqForbidden = map[string]bool{"logprobs": true, "logit_bias": true, "top_logprobs": true}

func (c *call) invalid(msg, param, code string) {
	c.fail(http.StatusBadRequest, "invalid_request_error", msg, param, code)
}

func (c *call) chat(body []byte, azureModel string) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		c.invalid("We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)", "", "")
		return
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case c.opts.Flavor == FlavorMistral && mistralForbidden[k]:
			c.fail(http.StatusUnprocessableEntity, "invalid_request_error", fmt.Sprintf("Extra inputs are not permitted: body.%s", k), "", "extra_forbidden")
			return
		case c.opts.Flavor == FlavorGroq && groqForbidden[k]:
			c.invalid(fmt.Sprintf("'%s' : is not supported", k), k, "")
			return
		case knownFields[k]:
		case compatFields[k] && c.opts.Flavor != FlavorOpenAI:
		default:
			c.invalid("Unrecognized request argument supplied: "+k, "", "")
			return
		}
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		c.invalid(fmt.Sprintf("Invalid request body: %v", err), "", "invalid_type")
		return
	}
	if c.azure {
		req.Model = azureModel
	}
	if req.Model == "" {
		c.invalid("you must provide a model parameter", "", "")
		return
	}
	if req.Messages == nil {
		c.invalid("Missing required parameter: 'messages'.", "messages", "missing_required_parameter")
		return
	}
	msgs := *req.Messages
	if len(msgs) == 0 {
		c.invalid("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "messages", "empty_array")
		return
	}
	stream := req.Stream != nil && *req.Stream
	if req.StreamOptions != nil && !stream {
		c.invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options", "")
		return
	}
	if c.opts.Flavor == FlavorGroq && req.N != nil && *req.N != 1 {
		c.invalid("'n' : number must be at most 1", "n", "")
		return
	}
	if !c.knownModel(req.Model) {
		c.fail(http.StatusNotFound, "invalid_request_error", fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", req.Model), "", "model_not_found")
		return
	}
	turn, ok := c.turn(&req, msgs)
	if !ok {
		return
	}
	a := emulator.Respond(turn)
	if c.opts.ContextWindow > 0 && a.InputTokens > c.opts.ContextWindow {
		c.invalid(fmt.Sprintf("This model's maximum context length is %d tokens. However, your messages resulted in %d tokens. Please reduce the length of the messages.", c.opts.ContextWindow, a.InputTokens), "messages", "context_length_exceeded")
		return
	}
	ans := c.answer(a, req.Model)
	if stream {
		c.stream(ans, req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
		return
	}
	fr := ans.finish
	msg := &outMessage{Role: "assistant", Annotations: []any{}, ReasoningContent: ans.reasoning}
	if a.ToolName != "" {
		msg.ToolCalls = []outToolCall{ans.toolCall(false)}
	} else {
		text := a.Text()
		msg.Content = &text
	}
	c.writeJSON(completion{
		ID: ans.id, Object: "chat.completion", Created: ans.created, Model: req.Model,
		Choices:     []choice{{Index: 0, Message: msg, Logprobs: json.RawMessage("null"), FinishReason: &fr}},
		Usage:       &ans.usage,
		ServiceTier: "default", SystemFingerprint: "fp_emulator",
	})
}

// answer is the emulated answer in OpenAI terms.
type answer struct {
	emulator.Answer
	id        string
	created   int64
	model     string
	finish    string
	toolID    string
	reasoning string
	usage     usage
}

func (c *call) answer(a emulator.Answer, model string) *answer {
	n := c.e.seq.Load()
	ans := &answer{Answer: a, id: fmt.Sprintf("chatcmpl-emu%024d", n), created: time.Now().Unix(), model: model,
		finish: a.Finish, reasoning: c.opts.Reasoning}
	if ans.finish == "stop_sequence" {
		ans.finish = "stop" // OpenAI does not say which stop sequence matched
	}
	if a.ToolName != "" {
		ans.toolID = fmt.Sprintf("call_%024d", n)
		if c.opts.Flavor == FlavorMistral {
			ans.toolID = fmt.Sprintf("T%08d", n%100000000)
		}
	}
	reasoning := emulator.CountTokens(c.opts.Reasoning)
	ans.usage.PromptTokens = a.InputTokens
	ans.usage.CompletionTokens = a.OutputTokens + reasoning
	ans.usage.TotalTokens = ans.usage.PromptTokens + ans.usage.CompletionTokens
	ans.usage.PromptTokensDetails.CachedTokens = min(c.opts.CachedTokens, a.InputTokens)
	ans.usage.CompletionTokensDetails.ReasoningTokens = reasoning
	return ans
}

func (a *answer) toolCall(stream bool) outToolCall {
	tc := outToolCall{ID: a.toolID, Type: "function"}
	tc.Function.Name = a.ToolName
	tc.Function.Arguments = a.ToolArgs
	if stream {
		zero := 0
		tc.Index = &zero
		tc.Function.Arguments = ""
	}
	return tc
}

// turn validates the messages and builds the provider-neutral turn.
func (c *call) turn(req *chatRequest, msgs []message) (emulator.Turn, bool) {
	var t emulator.Turn
	var input strings.Builder
	pending := map[string]bool{} // tool_call_ids awaiting a tool message
	pendingAt := -1
	lastUser := -1
	for i, m := range msgs {
		if m.Role != "tool" && len(pending) > 0 {
			ids := make([]string, 0, len(pending))
			for id := range pending {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			c.invalid("An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: "+strings.Join(ids, ", "), fmt.Sprintf("messages.[%d].role", pendingAt), "")
			return t, false
		}
		if m.Name != nil && c.opts.Flavor == FlavorGroq {
			c.invalid(fmt.Sprintf("'messages.%d' : for 'role:%s' the following must be satisfied[('messages.%d.name' : property 'name' is unsupported)]", i, m.Role, i), fmt.Sprintf("messages.%d.name", i), "")
			return t, false
		}
		text, images, ok := c.content(m, i)
		if !ok {
			return t, false
		}
		input.WriteString(text)
		input.WriteByte('\n')
		switch m.Role {
		case "system", "developer":
		case "user":
			lastUser = i
			t.LastUserText, t.Images = text, images
			t.HasToolResult, t.ToolResult = false, ""
		case "assistant":
			t.HasToolResult, t.ToolResult = false, ""
			for _, tc := range m.ToolCalls {
				if !c.validToolID(tc.ID, i) {
					return t, false
				}
				pending[tc.ID] = true
				pendingAt = i
				input.WriteString(tc.Function.Name + " " + tc.Function.Arguments + "\n")
			}
		case "tool":
			if m.ToolCallID == nil {
				c.invalid(fmt.Sprintf("Missing required parameter: 'messages[%d].tool_call_id'.", i), fmt.Sprintf("messages[%d].tool_call_id", i), "missing_required_parameter")
				return t, false
			}
			if !pending[*m.ToolCallID] {
				if !c.validToolID(*m.ToolCallID, i) {
					return t, false
				}
				c.invalid("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", fmt.Sprintf("messages.[%d].role", i), "")
				return t, false
			}
			delete(pending, *m.ToolCallID)
			if t.HasToolResult {
				t.ToolResult += "\n"
			}
			t.HasToolResult = true
			t.ToolResult += text
		case "function":
		default:
			c.invalid(fmt.Sprintf("Invalid value: '%s'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.", m.Role), fmt.Sprintf("messages[%d].role", i), "invalid_value")
			return t, false
		}
	}
	if lastUser < 0 && !t.HasToolResult {
		t.LastUserText = ""
	}
	t.InputText = input.String()
	for i, tl := range req.Tools {
		if tl.Type != "function" || tl.Function == nil {
			c.invalid(fmt.Sprintf("Missing required parameter: 'tools[%d].function'.", i), fmt.Sprintf("tools[%d].function", i), "missing_required_parameter")
			return t, false
		}
		if !validToolName(tl.Function.Name) {
			c.invalid(fmt.Sprintf("Invalid 'tools[%d].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.", i), fmt.Sprintf("tools[%d].function.name", i), "invalid_value")
			return t, false
		}
		t.Tools = append(t.Tools, emulator.Tool{Name: tl.Function.Name, Parameters: tl.Function.Parameters})
	}
	if len(req.ToolChoice) > 0 && string(req.ToolChoice) != "null" {
		if len(req.Tools) == 0 {
			c.invalid("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", "tool_choice", "")
			return t, false
		}
		var mode string
		var named struct {
			Type     string `json:"type"`
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		switch {
		case json.Unmarshal(req.ToolChoice, &mode) == nil:
			switch mode {
			case "none":
				t.NoTools = true
			case "required", "any":
				t.ForceTool = "*"
			case "auto":
			default:
				c.invalid(fmt.Sprintf("Invalid value: '%s'. Supported values are: 'none', 'auto', and 'required'.", mode), "tool_choice", "invalid_value")
				return t, false
			}
		case json.Unmarshal(req.ToolChoice, &named) == nil && named.Function.Name != "":
			t.ForceTool = named.Function.Name
		default:
			c.invalid("Invalid value for 'tool_choice'.", "tool_choice", "invalid_value")
			return t, false
		}
	}
	if rf := req.ResponseFormat; rf != nil {
		switch rf.Type {
		case "text":
		case "json_object":
			if !strings.Contains(strings.ToLower(t.InputText), "json") {
				c.invalid("'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.", "messages", "")
				return t, false
			}
			t.JSON = true
		case "json_schema":
			if rf.JSONSchema == nil || rf.JSONSchema.Name == "" {
				c.invalid("Missing required parameter: 'response_format.json_schema.name'.", "response_format.json_schema.name", "missing_required_parameter")
				return t, false
			}
			t.JSON = true
		default:
			c.invalid(fmt.Sprintf("Invalid value: '%s'. Supported values are: 'text', 'json_object', and 'json_schema'.", rf.Type), "response_format.type", "invalid_value")
			return t, false
		}
	}
	switch {
	case req.MaxCompletionTokens != nil:
		t.MaxTokens = *req.MaxCompletionTokens
	case req.MaxTokens != nil:
		t.MaxTokens = *req.MaxTokens
	}
	if len(req.Stop) > 0 && string(req.Stop) != "null" {
		var one string
		if json.Unmarshal(req.Stop, &one) == nil {
			t.Stop = []string{one}
		} else if json.Unmarshal(req.Stop, &t.Stop) != nil {
			c.invalid("Invalid type for 'stop': expected a string or an array of strings.", "stop", "invalid_type")
			return t, false
		}
		if len(t.Stop) > 4 {
			c.invalid(fmt.Sprintf("Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length %d instead.", len(t.Stop)), "stop", "array_above_max_length")
			return t, false
		}
	}
	return t, true
}

// validToolID enforces Mistral's id format.
func (c *call) validToolID(id string, i int) bool {
	if c.opts.Flavor != FlavorMistral {
		return true
	}
	ok := len(id) == 9
	for j := 0; ok && j < len(id); j++ {
		b := id[j]
		ok = b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
	}
	if !ok {
		c.invalid(fmt.Sprintf("Tool call id was %s but must be a-z, A-Z, 0-9, with a length of 9.", id), fmt.Sprintf("messages.%d", i), "3280")
	}
	return ok
}

func validToolName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, r := range n {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// content validates a message's content and returns its text and the
// MIME types of its images.
func (c *call) content(m message, i int) (string, []string, bool) {
	raw := bytes.TrimSpace(m.Content)
	if len(raw) == 0 || string(raw) == "null" {
		if m.Role == "assistant" && len(m.ToolCalls) > 0 {
			return "", nil, true
		}
		c.invalid("Invalid value for 'content': expected a string, got null.", fmt.Sprintf("messages.[%d].content", i), "")
		return "", nil, false
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			c.invalid(fmt.Sprintf("Invalid 'messages[%d].content': %v", i, err), fmt.Sprintf("messages[%d].content", i), "invalid_type")
			return "", nil, false
		}
		return s, nil, true
	}
	var parts []part
	if err := json.Unmarshal(raw, &parts); err != nil {
		c.invalid(fmt.Sprintf("Invalid type for 'messages[%d].content': expected one of a string or array of objects.", i), fmt.Sprintf("messages[%d].content", i), "invalid_type")
		return "", nil, false
	}
	var text strings.Builder
	var images []string
	for j, p := range parts {
		param := fmt.Sprintf("messages[%d].content[%d]", i, j)
		if p.Type != "text" && m.Role != "user" {
			c.invalid(fmt.Sprintf("Invalid value: '%s'. Supported values are: 'text'.", p.Type), param+".type", "invalid_value")
			return "", nil, false
		}
		switch p.Type {
		case "text":
			text.WriteString(p.Text)
		case "image_url":
			if p.ImageURL == nil || p.ImageURL.URL == "" {
				c.invalid(fmt.Sprintf("Missing required parameter: '%s.image_url.url'.", param), param+".image_url.url", "missing_required_parameter")
				return "", nil, false
			}
			mt, ok := imageType(p.ImageURL.URL)
			if !ok {
				c.invalid(fmt.Sprintf("Invalid '%s.image_url.url'. Expected a base64-encoded data URL with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got a value with an invalid format.", param), param+".image_url.url", "invalid_value")
				return "", nil, false
			}
			images = append(images, mt)
		case "input_audio":
			if p.InputAudio == nil || p.InputAudio.Data == "" || (p.InputAudio.Format != "wav" && p.InputAudio.Format != "mp3") {
				c.invalid(fmt.Sprintf("Invalid '%s.input_audio'.", param), param+".input_audio", "invalid_value")
				return "", nil, false
			}
		case "file":
			if p.File == nil || (p.File.FileData == "" && p.File.FileID == "") {
				c.invalid(fmt.Sprintf("Missing required parameter: '%s.file'.", param), param+".file", "missing_required_parameter")
				return "", nil, false
			}
		default:
			c.invalid(fmt.Sprintf("Invalid value: '%s'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', 'audio', and 'file'.", p.Type), param+".type", "invalid_value")
			return "", nil, false
		}
	}
	return text.String(), images, true
}

// imageType is the MIME type of a data: URL or, for http(s) URLs, the one
// its extension suggests ("image" when unknown).
func imageType(u string) (string, bool) {
	if rest, ok := strings.CutPrefix(u, "data:"); ok {
		mt, data, ok := strings.Cut(rest, ";base64,")
		if !ok || !strings.HasPrefix(mt, "image/") || data == "" {
			return "", false
		}
		return mt, true
	}
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
		return "", false
	}
	if mt := mime.TypeByExtension(path.Ext(pu.Path)); strings.HasPrefix(mt, "image/") {
		return mt, true
	}
	return "image", true
}
