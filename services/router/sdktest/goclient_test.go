package sdktest

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/router/v1/routerv1connect"
	"github.com/manifoldgw/manifold/services/internal/emulator"
)

// TestGoClient drives the same gateway as TestSDKs with the generated Go
// client, over the Connect protocol (HTTP/1.1) and over gRPC (cleartext
// HTTP/2), against every provider emulator.
func TestGoClient(t *testing.T) {
	ups := startUpstreams(t)
	for _, u := range ups {
		for k, v := range u.env {
			t.Setenv(k, v)
		}
	}
	gatewayURL := startGateway(t, "--config", writeConfig(t, ups), "--server.max-request-bytes", strconv.Itoa(maxRequestBytes))

	protocols := []struct {
		name string
		http *http.Client
		opts []connect.ClientOption
	}{
		{"connect", &http.Client{}, nil},
		{"grpc", h2cClient(), []connect.ClientOption{connect.WithGRPC()}},
	}
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			c := routerv1connect.NewRouterServiceClient(p.http, gatewayURL, p.opts...)
			for _, u := range ups {
				model := u.name + "-emu"
				t.Run(model, func(t *testing.T) {
					u.emu.Reset()
					t.Run("plain answer", func(t *testing.T) { testPlain(t, c, model) })
					t.Run("streamed answer equals the plain one", func(t *testing.T) { testStreamEqualsPlain(t, c, model) })
					t.Run("image input", func(t *testing.T) { testImage(t, c, model) })
					t.Run("tool-call round trip", func(t *testing.T) { testToolRoundTrip(t, c, model, false) })
					t.Run("streamed tool-call round trip", func(t *testing.T) { testToolRoundTrip(t, c, model, true) })
					t.Run("stream cut after the first byte ends with an error event", func(t *testing.T) { testStreamCut(t, c, u, model) })
				})
			}
			byName := map[string]*upstream{}
			for _, u := range ups {
				byName[u.name] = u
			}
			t.Run("503 from the primary falls back to the secondary", func(t *testing.T) {
				testFallback(t, c, byName["openai"], byName["anthropic"])
			})
			t.Run("429 with retry-after", func(t *testing.T) { testRateLimited(t, c, byName["openai"]) })
			t.Run("bad requests", func(t *testing.T) { testBadRequests(t, c) })
		})
	}
}

// h2cClient speaks HTTP/2 without TLS, as gRPC needs against `manifold serve`.
func h2cClient() *http.Client {
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: &protocols}}
}

func text(s string) *mcpv1.ContentPart {
	return &mcpv1.ContentPart{Part: &mcpv1.ContentPart_Text{Text: s}}
}

func ask(model, prompt string) *mcpv1.Request {
	return &mcpv1.Request{Model: model, Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{text(prompt)}}}}
}

func generate(t *testing.T, c routerv1connect.RouterServiceClient, r *mcpv1.Request) (*mcpv1.Response, error) {
	t.Helper()
	res, err := c.Generate(t.Context(), connect.NewRequest(&routerv1.GenerateRequest{Request: r}))
	if err != nil {
		return nil, err
	}
	return res.Msg.GetResponse(), nil
}

func mustGenerate(t *testing.T, c routerv1connect.RouterServiceClient, r *mcpv1.Request) *mcpv1.Response {
	t.Helper()
	res, err := generate(t, c, r)
	if err != nil {
		t.Fatalf("Generate(%s): %v", r.GetModel(), err)
	}
	return res
}

// answer is the text of a response's message.
func answer(res *mcpv1.Response) string {
	var b strings.Builder
	for _, p := range res.GetMessage().GetContent() {
		b.WriteString(p.GetText())
	}
	return b.String()
}

// streamed is a GenerateStream call as the client saw it.
type streamed struct {
	events    int
	text      string
	usage     *mcpv1.Usage
	toolCalls []*mcpv1.ToolCall
	finish    *mcpv1.StreamFinish
	errEvent  *mcpv1.ErrorDetail
	// err is the stream's error status (a failure before the first event,
	// or a transport failure).
	err error
}

// stream calls GenerateStream and assembles what it sends.
func stream(t *testing.T, c routerv1connect.RouterServiceClient, r *mcpv1.Request) *streamed {
	t.Helper()
	s := &streamed{}
	st, err := c.GenerateStream(t.Context(), connect.NewRequest(&routerv1.GenerateStreamRequest{Request: r}))
	if err != nil {
		s.err = err
		return s
	}
	defer st.Close()
	for st.Receive() {
		s.events++
		ev := st.Msg().GetEvent()
		if s.finish != nil || s.errEvent != nil {
			t.Errorf("event %v after the stream's last event", ev)
		}
		switch e := ev.GetEvent().(type) {
		case *mcpv1.StreamEvent_TextDelta:
			s.text += e.TextDelta.GetText()
		case *mcpv1.StreamEvent_ToolCallDelta:
			d := e.ToolCallDelta
			for int(d.GetIndex()) >= len(s.toolCalls) {
				s.toolCalls = append(s.toolCalls, &mcpv1.ToolCall{})
			}
			tc := s.toolCalls[d.GetIndex()]
			if d.GetId() != "" {
				tc.Id = d.GetId()
			}
			if d.GetName() != "" {
				tc.Name = d.GetName()
			}
			tc.Arguments += d.GetArgumentsDelta()
		case *mcpv1.StreamEvent_Usage:
			s.usage = e.Usage
		case *mcpv1.StreamEvent_Finish:
			s.finish = e.Finish
		case *mcpv1.StreamEvent_Error:
			s.errEvent = e.Error
		}
	}
	s.err = st.Err()
	return s
}

func testPlain(t *testing.T, c routerv1connect.RouterServiceClient, model string) {
	res := mustGenerate(t, c, ask(model, "Hello there, gateway"))
	if got, want := answer(res), "Echo: Hello there, gateway"; got != want {
		t.Errorf("answer = %q, want %q", got, want)
	}
	if res.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("finish reason = %s, want STOP", res.GetFinishReason())
	}
	u := res.GetUsage()
	// The emulators count a token per word or punctuation mark: Echo|:| Hello| there|,| gateway.
	if u.GetInputTokens() <= 0 || u.GetOutputTokens() != 6 || u.GetTotalTokens() != u.GetInputTokens()+u.GetOutputTokens() {
		t.Errorf("usage = %v, want input > 0, output 6 and their sum as total", u)
	}
	if md := res.GetMetadata(); md.GetModel() == "" || len(md.GetAttempts()) != 1 {
		t.Errorf("metadata = %v, want the serving model and one attempt", md)
	}
}

func testStreamEqualsPlain(t *testing.T, c routerv1connect.RouterServiceClient, model string) {
	req := ask(model, "Stream this, please")
	plain := mustGenerate(t, c, req)
	s := stream(t, c, req)
	if s.err != nil || s.errEvent != nil {
		t.Fatalf("GenerateStream: %v, error event %v", s.err, s.errEvent)
	}
	if s.finish == nil {
		t.Fatal("stream ended without a finish event")
	}
	// start, several text deltas, usage, finish.
	if s.events < 5 {
		t.Errorf("only %d events: not streamed", s.events)
	}
	if s.text != answer(plain) {
		t.Errorf("streamed text = %q, want the plain answer %q", s.text, answer(plain))
	}
	if s.finish.GetFinishReason() != plain.GetFinishReason() {
		t.Errorf("streamed finish reason = %s, want %s", s.finish.GetFinishReason(), plain.GetFinishReason())
	}
	if !proto.Equal(s.usage, plain.GetUsage()) {
		t.Errorf("streamed usage = %v, want the plain answer's %v", s.usage, plain.GetUsage())
	}
}

// png is a 1×1 image.
var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\xdac\xfc\xcf\xc0P\x0f\x00\x04\x85\x01\x80\x84\xa9\x8c!\x00\x00\x00\x00IEND\xaeB`\x82")

func imageRequest(model string) *mcpv1.Request {
	return &mcpv1.Request{Model: model, Messages: []*mcpv1.Message{{
		Role: mcpv1.Role_ROLE_USER,
		Content: []*mcpv1.ContentPart{
			text("What is in this picture?"),
			{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Data{Data: png}, MimeType: "image/png"}}},
		},
	}}}
}

func testImage(t *testing.T, c routerv1connect.RouterServiceClient, model string) {
	res := mustGenerate(t, c, imageRequest(model))
	if got, want := answer(res), "I see 1 image(s): image/png."; !strings.Contains(got, want) {
		t.Errorf("answer = %q, want it to contain %q", got, want)
	}
}

var weatherTool = &mcpv1.Tool{
	Name:        "get_weather",
	Description: "Current weather in a city",
	Parameters: func() *structpb.Struct {
		s, err := structpb.NewStruct(map[string]any{
			"type":       "object",
			"properties": map[string]any{"city": map[string]any{"type": "string"}},
			"required":   []any{"city"},
		})
		if err != nil {
			panic(err)
		}
		return s
	}(),
}

func testToolRoundTrip(t *testing.T, c routerv1connect.RouterServiceClient, model string, streamIt bool) {
	prompt := "please call get_weather for Paris"
	req := ask(model, prompt)
	req.Tools = []*mcpv1.Tool{weatherTool}
	var call *mcpv1.ToolCall
	if streamIt {
		s := stream(t, c, req)
		if s.err != nil || s.errEvent != nil {
			t.Fatalf("GenerateStream: %v, error event %v", s.err, s.errEvent)
		}
		if s.finish.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS || len(s.toolCalls) != 1 {
			t.Fatalf("finish %v with tool calls %v, want one call and TOOL_CALLS", s.finish, s.toolCalls)
		}
		call = s.toolCalls[0]
	} else {
		res := mustGenerate(t, c, req)
		if res.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS || len(res.GetMessage().GetToolCalls()) != 1 {
			t.Fatalf("response %v, want one tool call and TOOL_CALLS", res)
		}
		call = res.GetMessage().GetToolCalls()[0]
	}
	args, err := structpb.NewStruct(nil)
	if err == nil {
		err = args.UnmarshalJSON([]byte(call.GetArguments()))
	}
	if call.GetName() != "get_weather" || call.GetId() == "" || err != nil || args.GetFields()["city"].GetStringValue() != prompt {
		t.Fatalf("tool call %v (arguments: %v), want get_weather with an id and city = the prompt", call, err)
	}

	req.Messages = append(req.Messages,
		&mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: []*mcpv1.ToolCall{call}},
		&mcpv1.Message{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: call.GetId(), Content: []*mcpv1.ContentPart{text("sunny and 21 degrees")}},
	)
	var got string
	if streamIt {
		s := stream(t, c, req)
		if s.err != nil || s.errEvent != nil {
			t.Fatalf("GenerateStream: %v, error event %v", s.err, s.errEvent)
		}
		got = s.text
	} else {
		got = answer(mustGenerate(t, c, req))
	}
	if !strings.HasPrefix(got, "Tool said: ") || !strings.Contains(got, "sunny and 21 degrees") {
		t.Errorf("answer after the tool result = %q, want \"Tool said: …sunny and 21 degrees…\"", got)
	}
}

func testStreamCut(t *testing.T, c routerv1connect.RouterServiceClient, u *upstream, model string) {
	u.emu.Reset()
	u.emu.Script(emulator.Fault{CutAfterChunks: 6})
	s := stream(t, c, ask(model, "Tell me a long story about a gateway that routes every request to the right model"))
	if s.err != nil {
		t.Fatalf("stream status %v, want the stream to end with an error event", s.err)
	}
	if s.errEvent == nil {
		t.Fatalf("stream ended without an error event after %q (finish %v): a silent truncation", s.text, s.finish)
	}
	if s.finish != nil {
		t.Errorf("finish event %v in a cut stream", s.finish)
	}
	if !strings.HasPrefix(s.text, "Echo:") {
		t.Errorf("text before the error event = %q, want the start of the answer", s.text)
	}
	if s.errEvent.GetErrorClass() == mcpv1.ErrorClass_ERROR_CLASS_UNSPECIFIED || s.errEvent.GetMessage() == "" {
		t.Errorf("error event %v, want a class and a message", s.errEvent)
	}
	if n := len(u.emu.Requests()); n != 1 {
		t.Errorf("the emulator got %d requests, want 1: no retry once text went out", n)
	}
}

func testFallback(t *testing.T, c routerv1connect.RouterServiceClient, primary, secondary *upstream) {
	for _, streamIt := range []bool{false, true} {
		primary.emu.Reset()
		secondary.emu.Reset()
		primary.emu.Script(emulator.Fault{Status: http.StatusServiceUnavailable})
		req := ask("fallback-route", "Are you there?")
		var got string
		if streamIt {
			s := stream(t, c, req)
			if s.err != nil || s.errEvent != nil {
				t.Fatalf("GenerateStream: %v, error event %v", s.err, s.errEvent)
			}
			got = s.text
			if md := s.finish.GetMetadata(); len(md.GetAttempts()) != 2 || md.GetAttempts()[0].GetUpstreamStatus() != http.StatusServiceUnavailable {
				t.Errorf("streamed metadata attempts = %v, want the 503 and the fallback", md.GetAttempts())
			}
		} else {
			res := mustGenerate(t, c, req)
			got = answer(res)
			if md := res.GetMetadata(); len(md.GetAttempts()) != 2 || md.GetAttempts()[0].GetUpstreamStatus() != http.StatusServiceUnavailable || md.GetProvider() != secondary.name {
				t.Errorf("metadata = %v, want the 503 attempt, then %s serving", md, secondary.name)
			}
		}
		if got != "Echo: Are you there?" {
			t.Errorf("stream %v: answer = %q, want the fallback's echo", streamIt, got)
		}
		if p, s := len(primary.emu.Requests()), len(secondary.emu.Requests()); p != 1 || s != 1 {
			t.Errorf("stream %v: primary got %d requests, secondary %d; want 1 each", streamIt, p, s)
		}
	}
}

func testRateLimited(t *testing.T, c routerv1connect.RouterServiceClient, u *upstream) {
	t.Run("retried after a short retry-after", func(t *testing.T) {
		u.emu.Reset()
		u.emu.Script(emulator.Fault{Status: http.StatusTooManyRequests, Headers: map[string]string{"retry-after": "1"}})
		res := mustGenerate(t, c, ask("retry-route", "Try again"))
		if answer(res) != "Echo: Try again" {
			t.Errorf("answer = %q", answer(res))
		}
		if n := len(u.emu.Requests()); n != 2 {
			t.Errorf("the emulator got %d requests, want the 429 and one retry", n)
		}
		if at := res.GetMetadata().GetAttempts(); len(at) != 2 || at[0].GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED {
			t.Errorf("attempts = %v, want a rate-limited one then the answer", at)
		}
	})
	t.Run("surfaces with retry_after beyond the route's limit", func(t *testing.T) {
		u.emu.Reset()
		u.emu.Script(emulator.Fault{Status: http.StatusTooManyRequests, Headers: map[string]string{"retry-after": "120"}})
		_, err := generate(t, c, ask("retry-route", "Try again"))
		d := errorDetail(t, err, connect.CodeResourceExhausted)
		if d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED {
			t.Errorf("error class = %s, want RATE_LIMITED", d.GetErrorClass())
		}
		if ra := d.GetRetryAfter().AsDuration(); ra <= time.Minute || ra > 120*time.Second {
			t.Errorf("retry_after = %s, want the upstream's ~120s", ra)
		}
		if n := len(u.emu.Requests()); n != 1 {
			t.Errorf("the emulator got %d requests, want 1: a wait beyond max_retry_after is not retried", n)
		}
	})
}

func testBadRequests(t *testing.T, c routerv1connect.RouterServiceClient) {
	t.Run("unknown model", func(t *testing.T) {
		_, err := generate(t, c, ask("no-such-model", "hi"))
		d := errorDetail(t, err, connect.CodeNotFound)
		if d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND || !strings.Contains(d.GetMessage(), "no-such-model") {
			t.Errorf("detail = %v, want NOT_FOUND naming the model", d)
		}
		s := stream(t, c, ask("no-such-model", "hi"))
		errorDetail(t, s.err, connect.CodeNotFound)
	})
	t.Run("invalid request", func(t *testing.T) {
		req := ask("openai-emu", "hi")
		req.Messages[0].Role = mcpv1.Role_ROLE_UNSPECIFIED
		_, err := generate(t, c, req)
		if got := connect.CodeOf(err); got != connect.CodeInvalidArgument {
			t.Fatalf("error %v, want InvalidArgument", err)
		}
		if !strings.Contains(err.Error(), "role") {
			t.Errorf("error %q does not name the role field", err)
		}
	})
	t.Run("oversize body", func(t *testing.T) {
		_, err := generate(t, c, ask("openai-emu", strings.Repeat("x", maxRequestBytes+1024)))
		if got := connect.CodeOf(err); got != connect.CodeResourceExhausted {
			t.Errorf("error %v (code %s), want ResourceExhausted", err, got)
		}
	})
	t.Run("image for a model without vision", func(t *testing.T) {
		_, err := generate(t, c, imageRequest("text-only-emu"))
		d := errorDetail(t, err, connect.CodeInvalidArgument)
		if d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED || !strings.Contains(d.GetMessage(), "vision") {
			t.Errorf("detail = %v, want UNSUPPORTED naming vision", d)
		}
	})
}

// errorDetail checks err has the code and returns its ErrorDetail.
func errorDetail(t *testing.T, err error, code connect.Code) *mcpv1.ErrorDetail {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != code {
		t.Fatalf("error %v, want a Connect error with code %s", err, code)
	}
	for _, d := range ce.Details() {
		if v, derr := d.Value(); derr == nil {
			if detail, ok := v.(*mcpv1.ErrorDetail); ok {
				return detail
			}
		}
	}
	t.Fatalf("error %v carries no ErrorDetail", err)
	return nil
}
