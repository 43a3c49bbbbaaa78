package bedrock

import (
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
)

// response translates a Converse answer.
func (t *translated) response(out *converseResponse) *mcpv1.Response {
	msg := &mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT}
	realCalls := false
	if m := out.Output.Message; m != nil {
		for _, b := range m.Content {
			switch {
			case b.ToolUse != nil && t.jsonTool && b.ToolUse.Name == jsonToolName:
				msg.Content = append(msg.Content, textPart(string(b.ToolUse.Input)))
			case b.ToolUse != nil:
				realCalls = true
				args := string(b.ToolUse.Input)
				if args == "" || args == "null" {
					args = "{}"
				}
				msg.ToolCalls = append(msg.ToolCalls, &mcpv1.ToolCall{
					Id:        b.ToolUse.ToolUseID,
					Name:      t.originalName(b.ToolUse.Name),
					Arguments: args,
				})
			case b.Text != "":
				msg.Content = append(msg.Content, textPart(b.Text))
			}
			// Reasoning blocks have no place in a standard message; their
			// tokens are in outputTokens.
		}
	}
	if len(msg.Content) == 0 && len(msg.ToolCalls) == 0 {
		msg.Content = append(msg.Content, textPart(""))
	}
	r := &mcpv1.Response{Message: msg, Usage: mapUsage(out.Usage)}
	r.FinishReason, r.StopSequence = t.finish(out.StopReason, realCalls, out.AdditionalModelResponseFields.StopSequence)
	return r
}

func textPart(s string) *mcpv1.ContentPart {
	return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: s}}
}

// finish maps a stopReason (§6.2). A tool_use stop that only called the JSON
// output tool is a natural stop.
func (t *translated) finish(reason string, realCalls bool, stopSequence string) (mcpv1.FinishReason, string) {
	switch reason {
	case "end_turn":
		return mcpv1.FinishReason_FINISH_REASON_STOP, ""
	case "tool_use":
		if t.jsonTool && !realCalls {
			return mcpv1.FinishReason_FINISH_REASON_STOP, ""
		}
		return mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS, ""
	case "max_tokens", "model_context_window_exceeded":
		return mcpv1.FinishReason_FINISH_REASON_LENGTH, ""
	case "stop_sequence":
		// Anthropic models name the matched sequence; otherwise it is known
		// only when there was one.
		if stopSequence == "" && len(t.stops) == 1 {
			stopSequence = t.stops[0]
		}
		return mcpv1.FinishReason_FINISH_REASON_STOP_SEQUENCE, stopSequence
	case "guardrail_intervened", "content_filtered":
		return mcpv1.FinishReason_FINISH_REASON_CONTENT_FILTER, ""
	default:
		// malformed_model_output, malformed_tool_use and reasons newer than
		// this adapter.
		return mcpv1.FinishReason_FINISH_REASON_OTHER, ""
	}
}

// mapUsage maps Bedrock usage (§6.5). inputTokens excludes the prompt-cache
// reads and writes Bedrock reports beside it, so all three are summed.
func mapUsage(u *usage) *mcpv1.Usage {
	if u == nil {
		return &mcpv1.Usage{}
	}
	in := u.InputTokens + u.CacheReadInputTokens + u.CacheWriteInputTokens
	return &mcpv1.Usage{
		InputTokens:       in,
		OutputTokens:      u.OutputTokens,
		CachedInputTokens: u.CacheReadInputTokens,
		CacheWriteTokens:  u.CacheWriteInputTokens,
		TotalTokens:       in + u.OutputTokens,
	}
}
