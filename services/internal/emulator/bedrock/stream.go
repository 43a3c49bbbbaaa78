package bedrock

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/manifoldgw/manifold/services/internal/emulator"
)

// result is an answer ready to be written either way.
type result struct {
	ans       emulator.Answer
	opts      Options
	toolUseID string
	stops     []string
}

var stopReasons = map[string]string{
	"stop":          "end_turn",
	"stop_sequence": "stop_sequence",
	"length":        "max_tokens",
	"tool_calls":    "tool_use",
}

func (r result) stopReason() string { return stopReasons[r.ans.Finish] }

// usage splits the input tokens as Bedrock does: cache reads and writes are
// reported beside inputTokens, not in it.
func (r result) usage() map[string]int {
	out := r.ans.OutputTokens + emulator.CountTokens(r.opts.Reasoning)
	read, write := r.opts.CacheReadTokens, r.opts.CacheWriteTokens
	if read+write > r.ans.InputTokens {
		read, write = 0, 0
	}
	u := map[string]int{
		"inputTokens":  r.ans.InputTokens - read - write,
		"outputTokens": out,
		"totalTokens":  r.ans.InputTokens + out,
	}
	if read > 0 || write > 0 {
		u["cacheReadInputTokens"] = read
		u["cacheWriteInputTokens"] = write
	}
	return u
}

// additional is additionalModelResponseFields: Anthropic models on Bedrock
// name the stop sequence that matched.
func (r result) additional() map[string]any {
	if r.ans.StopSequence == "" {
		return nil
	}
	return map[string]any{"stop_sequence": r.ans.StopSequence}
}

func (r result) converse() []byte {
	var content []map[string]any
	if r.opts.Reasoning != "" {
		content = append(content, map[string]any{"reasoningContent": map[string]any{
			"reasoningText": map[string]string{"text": r.opts.Reasoning, "signature": "emu-signature"},
		}})
	}
	if r.ans.ToolName != "" {
		content = append(content, map[string]any{"toolUse": map[string]any{
			"toolUseId": r.toolUseID, "name": r.ans.ToolName, "input": json.RawMessage(r.ans.ToolArgs),
		}})
	} else {
		content = append(content, map[string]any{"text": r.ans.Text()})
	}
	body := map[string]any{
		"output":     map[string]any{"message": map[string]any{"role": "assistant", "content": content}},
		"stopReason": r.stopReason(),
		"usage":      r.usage(),
		"metrics":    map[string]int{"latencyMs": 42},
	}
	if a := r.additional(); a != nil {
		body["additionalModelResponseFields"] = a
	}
	b, _ := json.Marshal(body)
	return b
}

// padding mimics the "p" field Bedrock adds to stream events to hide
// payload sizes.
const padding = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

type frame struct {
	event   string
	payload map[string]any
}

func (r result) frames() []frame {
	pad := func(n int, m map[string]any) map[string]any {
		m["p"] = padding[:n%len(padding)+1]
		return m
	}
	fs := []frame{{"messageStart", pad(7, map[string]any{"role": "assistant"})}}
	index := 0
	if r.opts.Reasoning != "" {
		for i, tok := range emulator.Tokenize(r.opts.Reasoning) {
			fs = append(fs, frame{"contentBlockDelta", pad(i, map[string]any{
				"contentBlockIndex": index, "delta": map[string]any{"reasoningContent": map[string]string{"text": tok}},
			})})
		}
		fs = append(fs,
			frame{"contentBlockDelta", pad(3, map[string]any{
				"contentBlockIndex": index, "delta": map[string]any{"reasoningContent": map[string]string{"signature": "emu-signature"}},
			})},
			frame{"contentBlockStop", pad(5, map[string]any{"contentBlockIndex": index})})
		index++
	}
	if r.ans.ToolName != "" {
		fs = append(fs, frame{"contentBlockStart", pad(11, map[string]any{
			"contentBlockIndex": index,
			"start":             map[string]any{"toolUse": map[string]string{"toolUseId": r.toolUseID, "name": r.ans.ToolName}},
		})})
		for i, frag := range emulator.SplitRunes(r.ans.ToolArgs, 3) {
			fs = append(fs, frame{"contentBlockDelta", pad(i, map[string]any{
				"contentBlockIndex": index, "delta": map[string]any{"toolUse": map[string]string{"input": frag}},
			})})
		}
	} else {
		for i, tok := range r.ans.Tokens {
			fs = append(fs, frame{"contentBlockDelta", pad(i, map[string]any{
				"contentBlockIndex": index, "delta": map[string]any{"text": tok},
			})})
		}
	}
	fs = append(fs, frame{"contentBlockStop", pad(13, map[string]any{"contentBlockIndex": index})})
	stop := map[string]any{"stopReason": r.stopReason()}
	if a := r.additional(); a != nil {
		stop["additionalModelResponseFields"] = a
	}
	fs = append(fs,
		frame{"messageStop", pad(17, stop)},
		frame{"metadata", pad(19, map[string]any{"usage": r.usage(), "metrics": map[string]int{"latencyMs": 42}})})
	return fs
}

func eventMessage(f frame) eventstream.Message {
	payload, _ := json.Marshal(f.payload)
	return eventstream.Message{
		Headers: eventstream.Headers{
			{Name: ":event-type", Value: eventstream.StringValue(f.event)},
			{Name: ":content-type", Value: eventstream.StringValue("application/json")},
			{Name: ":message-type", Value: eventstream.StringValue("event")},
		},
		Payload: payload,
	}
}

// stream writes the answer as eventstream frames, applying the fault's
// cut, exception or malformed frame after its number of frames.
func (e *Emulator) stream(w http.ResponseWriter, r *http.Request, f emulator.Fault, res result) {
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	enc := eventstream.NewEncoder()
	var buf bytes.Buffer
	write := func(m eventstream.Message) bool {
		buf.Reset()
		if err := enc.Encode(&buf, m); err != nil {
			return false
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return r.Context().Err() == nil
	}
	frames := res.frames()
	for i, fr := range frames {
		switch {
		case f.CutAfterChunks > 0 && i == f.CutAfterChunks:
			if res.opts.CutMidFrame {
				// Stop inside the payload, short of the message CRC: the
				// hardest cut to tell from a clean end.
				buf.Reset()
				_ = enc.Encode(&buf, eventMessage(fr))
				_, _ = w.Write(buf.Bytes()[:buf.Len()-6])
			}
			return
		case f.ErrorAfterChunks > 0 && i == f.ErrorAfterChunks:
			typ, msg := res.opts.StreamException, res.opts.StreamExceptionMessage
			if typ == "" {
				typ = "modelStreamErrorException"
			}
			if msg == "" {
				msg = "The model stream failed. Try your request again."
			}
			payload, _ := json.Marshal(map[string]string{"message": msg})
			write(eventstream.Message{
				Headers: eventstream.Headers{
					{Name: ":exception-type", Value: eventstream.StringValue(typ)},
					{Name: ":content-type", Value: eventstream.StringValue("application/json")},
					{Name: ":message-type", Value: eventstream.StringValue("exception")},
				},
				Payload: payload,
			})
			return
		case f.MalformedAfterChunks > 0 && i == f.MalformedAfterChunks:
			m := eventMessage(fr)
			if !res.opts.CorruptCRC {
				m.Payload = []byte(`{"contentBlockIndex":0,"delta":{"text":`)
				write(m)
				return
			}
			buf.Reset()
			_ = enc.Encode(&buf, m)
			b := buf.Bytes()
			b[len(b)-1] ^= 0xff
			_, _ = w.Write(b)
			return
		}
		if !write(eventMessage(fr)) {
			return
		}
	}
}
