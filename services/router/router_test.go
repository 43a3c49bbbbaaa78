package router_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	anthropicemu "github.com/manifoldgw/manifold/services/internal/emulator/anthropic"
	bedrockemu "github.com/manifoldgw/manifold/services/internal/emulator/bedrock"
	geminiemu "github.com/manifoldgw/manifold/services/internal/emulator/gemini"
	ollamaemu "github.com/manifoldgw/manifold/services/internal/emulator/ollama"
	openaiemu "github.com/manifoldgw/manifold/services/internal/emulator/openai"
	"github.com/manifoldgw/manifold/services/router"
)

// providerCases are every provider kind with its emulator.
var providerCases = []struct {
	name string
	kind routerv1.ProviderKind
	emu  func() fake
}{
	{"openai", routerv1.ProviderKind_PROVIDER_KIND_OPENAI, func() fake { return openaiemu.New() }},
	{"anthropic", routerv1.ProviderKind_PROVIDER_KIND_ANTHROPIC, func() fake { return anthropicemu.New() }},
	{"gemini", routerv1.ProviderKind_PROVIDER_KIND_GEMINI, func() fake { return geminiemu.New() }},
	{"ollama", routerv1.ProviderKind_PROVIDER_KIND_OLLAMA, func() fake { return ollamaemu.New() }},
	{"bedrock", routerv1.ProviderKind_PROVIDER_KIND_BEDROCK, func() fake { return bedrockemu.New() }},
}

// TestProviders drives each provider's adapter through the engine and the
// Connect API (Connect and gRPC protocols) against its emulator.
func TestProviders(t *testing.T) {
	for _, pc := range providerCases {
		t.Run(pc.name, func(t *testing.T) {
			up := startUpstream(t, pc.name, pc.kind, pc.emu())
			svc := newService(t, spec([]*upstream{up}))
			model := up.model.GetName()
			for _, pr := range protocols {
				t.Run(pr.name, func(t *testing.T) {
					c := serve(t, svc, pr.opts...)
					t.Run("plain and streamed", func(t *testing.T) { testPlainAndStreamed(t, c, up, model) })
					t.Run("image", func(t *testing.T) { testImage(t, c, up, model) })
					t.Run("tool round trip", func(t *testing.T) { testToolRoundTrip(t, c, up, model, false) })
					t.Run("tool round trip streamed", func(t *testing.T) { testToolRoundTrip(t, c, up, model, true) })
				})
			}
		})
	}
}

func testPlainAndStreamed(t *testing.T, c routerClient, up *upstream, model string) {
	req := ask(model, "Hello there, router.")
	res := mustGenerate(t, c, req)
	if got, want := answer(res), "Echo: Hello there, router."; got != want {
		t.Errorf("answer = %q, want %q", got, want)
	}
	if res.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("finish reason = %s, want STOP", res.GetFinishReason())
	}
	u := res.GetUsage()
	if u.GetInputTokens() <= 0 || u.GetOutputTokens() <= 0 || u.GetTotalTokens() != u.GetInputTokens()+u.GetOutputTokens() {
		t.Errorf("usage = %v, want positive input and output tokens adding up to the total", u)
	}
	md := res.GetMetadata()
	if md.GetProvider() != up.provider.GetName() || md.GetModel() != up.model.GetUpstreamModel() || len(md.GetAttempts()) != 1 || md.GetCacheHit() {
		t.Errorf("metadata = %v, want provider %s, model %s, one attempt, no cache hit", md, up.provider.GetName(), up.model.GetUpstreamModel())
	}
	if !strings.HasPrefix(res.GetId(), "call_") {
		t.Errorf("id = %q, want a call_ id", res.GetId())
	}

	before := len(up.Requests())
	s := stream(t, c, req)
	if s.err != nil {
		t.Fatalf("GenerateStream: %v", s.err)
	}
	if s.errEvent != nil {
		t.Fatalf("stream ended with error event %v", s.errEvent)
	}
	if len(up.Requests()) != before+1 {
		t.Errorf("emulator got %d requests for the stream, want 1", len(up.Requests())-before)
	}
	if start := s.events[0].GetStart(); start == nil || start.GetProvider() != up.provider.GetName() || start.GetId() == "" {
		t.Errorf("first event = %v, want a start naming provider %s", s.events[0], up.provider.GetName())
	}
	if last := s.events[len(s.events)-1]; last.GetFinish() == nil {
		t.Errorf("last event = %v, want finish", last)
	}
	if s.text != answer(res) {
		t.Errorf("streamed text = %q, want %q", s.text, answer(res))
	}
	if s.usage.GetInputTokens() != u.GetInputTokens() || s.usage.GetOutputTokens() != u.GetOutputTokens() {
		t.Errorf("streamed usage = %v, want the plain call's %v", s.usage, u)
	}
	if s.finish.GetFinishReason() != res.GetFinishReason() {
		t.Errorf("streamed finish reason = %s, want %s", s.finish.GetFinishReason(), res.GetFinishReason())
	}
	if fm := s.finish.GetMetadata(); fm.GetProvider() != up.provider.GetName() || len(fm.GetAttempts()) != 1 {
		t.Errorf("finish metadata = %v, want provider %s with one attempt", fm, up.provider.GetName())
	}
}

func testImage(t *testing.T, c routerClient, up *upstream, model string) {
	img := pngImage(t)
	req := &mcpv1.Request{Model: model, Messages: []*mcpv1.Message{{
		Role: mcpv1.Role_ROLE_USER,
		Content: []*mcpv1.ContentPart{
			text("What is in this picture?"),
			{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Data{Data: img}, MimeType: "image/png"}}},
		},
	}}}
	res := mustGenerate(t, c, req)
	if got, want := answer(res), "I see 1 image(s): image/png."; !strings.Contains(got, want) {
		t.Errorf("answer = %q, want it to contain %q", got, want)
	}
	reqs := up.Requests()
	body := reqs[len(reqs)-1].Body
	if !bytes.Contains(body, []byte(b64(img))) {
		t.Errorf("the emulator's request does not carry the image bytes: %s", body)
	}
}

var weatherTool = &mcpv1.Tool{
	Name:        "get_weather",
	Description: "Current weather in a city.",
	Parameters: mustStruct(map[string]any{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}},
		"required":   []any{"city"},
	}),
}

func mustStruct(m map[string]any) *structpb.Struct {
	s, err := structpb.NewStruct(m)
	if err != nil {
		panic(err)
	}
	return s
}

func testToolRoundTrip(t *testing.T, c routerClient, up *upstream, model string, streamIt bool) {
	prompt := "Please call get_weather for Paris."
	req := &mcpv1.Request{Model: model, Messages: []*mcpv1.Message{userMsg(prompt)}, Tools: []*mcpv1.Tool{weatherTool}}
	var call *mcpv1.ToolCall
	if streamIt {
		s := stream(t, c, req)
		if s.err != nil || s.errEvent != nil {
			t.Fatalf("GenerateStream: %v %v", s.err, s.errEvent)
		}
		if s.finish.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS || len(s.toolCalls) != 1 {
			t.Fatalf("finish = %v with tool calls %v, want one call and TOOL_CALLS", s.finish, s.toolCalls)
		}
		call = s.toolCalls[0]
	} else {
		res := mustGenerate(t, c, req)
		if res.GetFinishReason() != mcpv1.FinishReason_FINISH_REASON_TOOL_CALLS || len(res.GetMessage().GetToolCalls()) != 1 {
			t.Fatalf("response = %v, want one tool call and TOOL_CALLS", res)
		}
		call = res.GetMessage().GetToolCalls()[0]
	}
	if call.GetName() != "get_weather" || call.GetId() == "" || !strings.Contains(call.GetArguments(), `"city":"`+prompt+`"`) {
		t.Errorf("tool call = %v, want get_weather with an id and city = the prompt", call)
	}

	follow := proto.Clone(req).(*mcpv1.Request)
	follow.Messages = append(follow.Messages,
		&mcpv1.Message{Role: mcpv1.Role_ROLE_ASSISTANT, ToolCalls: []*mcpv1.ToolCall{call}},
		&mcpv1.Message{Role: mcpv1.Role_ROLE_TOOL, ToolCallId: call.GetId(), Content: []*mcpv1.ContentPart{text("sunny, 21C")}},
	)
	var got string
	if streamIt {
		s := stream(t, c, follow)
		if s.err != nil || s.errEvent != nil {
			t.Fatalf("GenerateStream: %v %v", s.err, s.errEvent)
		}
		got = s.text
	} else {
		got = answer(mustGenerate(t, c, follow))
	}
	if !strings.HasPrefix(got, "Tool said: ") || !strings.Contains(got, "sunny, 21C") {
		t.Errorf("answer after the tool result = %q, want \"Tool said: …sunny, 21C…\"", got)
	}
}

// TestEmbedNeedsTheCapability: a model whose capabilities are listed
// without embeddings is refused before any upstream call.
func TestEmbedNeedsTheCapability(t *testing.T) {
	up := startUpstream(t, "openai", routerv1.ProviderKind_PROVIDER_KIND_OPENAI, openaiemu.New())
	up.model.Capabilities = []routerv1.Capability{routerv1.Capability_CAPABILITY_TOOLS, routerv1.Capability_CAPABILITY_STREAMING}
	c := serve(t, newService(t, spec([]*upstream{up})))
	_, err := c.Embed(t.Context(), connect.NewRequest(&routerv1.EmbedRequest{
		Model: up.model.GetName(), Inputs: []*mcpv1.EmbeddingInput{{Input: &mcpv1.EmbeddingInput_Text{Text: "hi"}}},
	}))
	code, d := connectError(t, err)
	if code != connect.CodeInvalidArgument || d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED ||
		!strings.Contains(d.GetMessage(), "embeddings") || len(up.Requests()) != 0 {
		t.Errorf("Embed = %v %v with %d emulator requests, want UNSUPPORTED naming embeddings, without a call", code, d, len(up.Requests()))
	}
}

// TestDirectDo exercises Do and DoStream without the Connect layer.
func TestDirectDo(t *testing.T) {
	up := startUpstream(t, "openai", routerv1.ProviderKind_PROVIDER_KIND_OPENAI, openaiemu.New())
	svc := newService(t, spec([]*upstream{up}))
	res, err := svc.Do(t.Context(), ask(up.model.GetName(), "Direct call."), router.SurfaceOpenAI)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if answer(res) != "Echo: Direct call." {
		t.Errorf("answer = %q", answer(res))
	}
	var kinds []string
	var text strings.Builder
	err = svc.DoStream(t.Context(), ask(up.model.GetName(), "Direct stream."), router.SurfaceOpenAI, func(ev *mcpv1.StreamEvent) error {
		switch e := ev.GetEvent().(type) {
		case *mcpv1.StreamEvent_Start:
			kinds = append(kinds, "start")
		case *mcpv1.StreamEvent_TextDelta:
			text.WriteString(e.TextDelta.GetText())
		case *mcpv1.StreamEvent_Finish:
			kinds = append(kinds, "finish")
		case *mcpv1.StreamEvent_Error:
			kinds = append(kinds, "error")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("DoStream: %v", err)
	}
	if strings.Join(kinds, ",") != "start,finish" || text.String() != "Echo: Direct stream." {
		t.Errorf("events %v with text %q, want start…finish with \"Echo: Direct stream.\"", kinds, text.String())
	}
}

func TestEmbedAndCountTokens(t *testing.T) {
	inputs := []*mcpv1.EmbeddingInput{
		{Input: &mcpv1.EmbeddingInput_Text{Text: "first text"}},
		{Input: &mcpv1.EmbeddingInput_Text{Text: "second text"}},
	}
	for _, pc := range providerCases {
		if pc.name == "bedrock" {
			continue // Bedrock embeds with separate Titan models; covered by its adapter's tests.
		}
		t.Run(pc.name, func(t *testing.T) {
			up := startUpstream(t, pc.name, pc.kind, pc.emu())
			c := serve(t, newService(t, spec([]*upstream{up})))
			res, err := c.Embed(t.Context(), connect.NewRequest(&routerv1.EmbedRequest{Model: up.model.GetName(), Inputs: inputs}))
			if pc.name == "anthropic" {
				// Anthropic has no embeddings API.
				code, d := connectError(t, err)
				if code != connect.CodeInvalidArgument || d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED || len(up.Requests()) != 0 {
					t.Errorf("Embed = %v %v with %d emulator requests, want UNSUPPORTED without a call", code, d, len(up.Requests()))
				}
			} else {
				if err != nil {
					t.Fatalf("Embed: %v", err)
				}
				es := res.Msg.GetEmbeddings()
				if len(es) != 2 || len(es[0].GetValues()) == 0 || es[1].GetIndex() != 1 || slices.Equal(es[0].GetValues(), es[1].GetValues()) {
					t.Errorf("embeddings = %v, want two distinct vectors in order", es)
				}
				if md := res.Msg.GetMetadata(); md.GetProvider() != pc.name || len(md.GetAttempts()) != 1 {
					t.Errorf("metadata = %v", md)
				}
			}

			n, err := c.CountTokens(t.Context(), connect.NewRequest(&routerv1.CountTokensRequest{Request: ask(up.model.GetName(), "Count these words, please.")}))
			if err != nil || n.Msg.GetInputTokens() <= 0 {
				t.Errorf("CountTokens = %v, %v; want a positive count", n, err)
			}
			_, err = c.CountTokens(t.Context(), connect.NewRequest(&routerv1.CountTokensRequest{Request: ask("no-such-model", "Hi.")}))
			wantCode(t, "CountTokens for an unknown model", err, connect.CodeNotFound)
		})
	}
}
