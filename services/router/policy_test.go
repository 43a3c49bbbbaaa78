package router_test

import (
	"encoding/json"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	openaiemu "github.com/manifoldgw/manifold/services/internal/emulator/openai"
	"github.com/manifoldgw/manifold/services/router/demo"
)

func TestCapabilities(t *testing.T) {
	up := startUpstream(t, "openai", routerv1.ProviderKind_PROVIDER_KIND_OPENAI, openaiemu.New())
	up.model.Capabilities = []routerv1.Capability{routerv1.Capability_CAPABILITY_STREAMING}
	c := serve(t, newService(t, spec([]*upstream{up})))

	for _, tc := range []struct {
		name, feature string
		req           *mcpv1.Request
	}{
		{"tools", "tools", &mcpv1.Request{Model: "openai-model", Messages: []*mcpv1.Message{userMsg("Call get_weather.")}, Tools: []*mcpv1.Tool{weatherTool}}},
		{"image", "vision", &mcpv1.Request{Model: "openai-model", Messages: []*mcpv1.Message{{Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{
			{Part: &mcpv1.ContentPart_Image{Image: &mcpv1.ImagePart{Source: &mcpv1.ImagePart_Data{Data: pngImage(t)}, MimeType: "image/png"}}},
		}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := generate(t, c, tc.req)
			code, d := connectError(t, err)
			if code != connect.CodeInvalidArgument || d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_UNSUPPORTED || !strings.Contains(d.GetMessage(), tc.feature) {
				t.Errorf("error = %v %v, want InvalidArgument UNSUPPORTED naming %q", code, d, tc.feature)
			}
		})
	}
	if n := len(up.Requests()); n != 0 {
		t.Errorf("emulator got %d requests, want none", n)
	}
	// Streaming is declared, so a plain streamed call goes through.
	if s := stream(t, c, ask("openai-model", "Fine.")); s.err != nil || s.finish == nil {
		t.Errorf("stream = %v %v, want success", s.err, s.errEvent)
	}
}

// longText is n words.
func longText(word string, n int) string { return strings.TrimSpace(strings.Repeat(word+" ", n)) }

func TestContextPolicy(t *testing.T) {
	system := &mcpv1.Message{Role: mcpv1.Role_ROLE_SYSTEM, Content: []*mcpv1.ContentPart{text("You are terse.")}}
	conversation := []*mcpv1.Message{
		system,
		userMsg("First question: " + longText("alpha", 60)),
		{Role: mcpv1.Role_ROLE_ASSISTANT, Content: []*mcpv1.ContentPart{text("First answer: " + longText("beta", 60))}},
		userMsg("Second question."),
		{Role: mcpv1.Role_ROLE_ASSISTANT, Content: []*mcpv1.ContentPart{text("Second answer.")}},
		userMsg("What now?"),
	}
	fits := &mcpv1.Request{Messages: []*mcpv1.Message{system, conversation[3], conversation[4], conversation[5]}}
	window := demo.CountRequestTokens(fits)

	up := startUpstream(t, "openai", routerv1.ProviderKind_PROVIDER_KIND_OPENAI, openaiemu.New())
	up.model.ContextWindow = window
	drop := &routerv1.Route{Name: "drop", ContextPolicy: routerv1.ContextPolicy_CONTEXT_POLICY_DROP_OLDEST, Targets: []*routerv1.Target{{Model: "openai-model"}}}
	c := serve(t, newService(t, spec([]*upstream{up}, drop)))
	req := &mcpv1.Request{Model: "openai-model", Messages: conversation}

	t.Run("reject", func(t *testing.T) {
		_, err := generate(t, c, req)
		code, d := connectError(t, err)
		if code != connect.CodeInvalidArgument || d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED {
			t.Errorf("error = %v %v, want InvalidArgument CONTEXT_LENGTH_EXCEEDED", code, d)
		}
		if n := len(up.Requests()); n != 0 {
			t.Errorf("emulator got %d requests, want none", n)
		}
	})
	t.Run("max output tokens count", func(t *testing.T) {
		short := &mcpv1.Request{Model: "openai-model", Messages: fits.GetMessages(), Sampling: &mcpv1.SamplingParams{MaxOutputTokens: proto.Int32(1)}}
		_, err := generate(t, c, short)
		if _, d := connectError(t, err); d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED {
			t.Errorf("error = %v, want CONTEXT_LENGTH_EXCEEDED: the window must hold the output too", d)
		}
	})
	t.Run("drop oldest", func(t *testing.T) {
		dropReq := proto.Clone(req).(*mcpv1.Request)
		dropReq.Model = "drop"
		res := mustGenerate(t, c, dropReq)
		if answer(res) != "Echo: What now?" {
			t.Errorf("answer = %q", answer(res))
		}
		reqs := up.Requests()
		var sent struct {
			Messages []struct {
				Role    string `json:"role"`
				Content any    `json:"content"`
			} `json:"messages"`
		}
		if err := json.Unmarshal(reqs[len(reqs)-1].Body, &sent); err != nil {
			t.Fatalf("emulator's request: %v", err)
		}
		var roles []string
		for _, m := range sent.Messages {
			roles = append(roles, m.Role)
		}
		if got, want := strings.Join(roles, ","), "system,user,assistant,user"; got != want {
			t.Errorf("roles sent = %s, want %s (the first exchange dropped)", got, want)
		}
		if n := len(sent.Messages); n > 0 && sent.Messages[n-1].Content != "What now?" {
			t.Errorf("last message sent = %v, want the last user turn", sent.Messages[n-1])
		}
	})
	t.Run("drop oldest cannot drop the last user turn", func(t *testing.T) {
		// The first and last user turns are equal; only the first may go.
		repeat := &mcpv1.Request{Model: "drop", Messages: []*mcpv1.Message{
			userMsg(longText("again", 80)),
			{Role: mcpv1.Role_ROLE_ASSISTANT, Content: []*mcpv1.ContentPart{text("Sure.")}},
			userMsg(longText("again", 80)),
		}}
		before := len(up.Requests())
		_, err := generate(t, c, repeat)
		if _, d := connectError(t, err); d.GetErrorClass() != mcpv1.ErrorClass_ERROR_CLASS_CONTEXT_LENGTH_EXCEEDED {
			t.Errorf("error = %v, want CONTEXT_LENGTH_EXCEEDED", d)
		}
		if got := len(up.Requests()) - before; got != 0 {
			t.Errorf("emulator got %d requests, want none", got)
		}
	})
}

func TestCache(t *testing.T) {
	up := startUpstream(t, "openai", routerv1.ProviderKind_PROVIDER_KIND_OPENAI, openaiemu.New())
	route := &routerv1.Route{Name: "cached", Cache: &routerv1.CacheSettings{Enabled: true}, Targets: []*routerv1.Target{{Model: "openai-model"}}}
	c := serve(t, newService(t, spec([]*upstream{up}, route)))
	req := ask("cached", "Remember me.")
	requests := func() int { return len(up.Requests()) }

	first := mustGenerate(t, c, req)
	if first.GetMetadata().GetCacheHit() {
		t.Error("first call is a cache hit")
	}
	second := mustGenerate(t, c, req)
	if !second.GetMetadata().GetCacheHit() || answer(second) != answer(first) || second.GetId() == first.GetId() {
		t.Errorf("second call: cache hit %v, answer %q, id %q; want a hit with the same answer and a new id",
			second.GetMetadata().GetCacheHit(), answer(second), second.GetId())
	}
	if n := requests(); n != 1 {
		t.Errorf("emulator got %d requests, want 1", n)
	}

	s := stream(t, c, req)
	if s.err != nil || s.text != answer(first) || !s.finish.GetMetadata().GetCacheHit() || s.usage.GetOutputTokens() != first.GetUsage().GetOutputTokens() {
		t.Errorf("streamed replay: err %v, text %q, finish %v, usage %v; want the cached answer", s.err, s.text, s.finish, s.usage)
	}
	if n := requests(); n != 1 {
		t.Errorf("emulator got %d requests after the replay, want 1", n)
	}

	other := mustGenerate(t, c, ask("cached", "Something else."))
	if other.GetMetadata().GetCacheHit() || requests() != 2 {
		t.Errorf("a different request hit the cache (or did not reach the emulator)")
	}

	bypass := proto.Clone(req).(*mcpv1.Request)
	bypass.Options = &mcpv1.RequestOptions{Cache: mcpv1.CachePolicy_CACHE_POLICY_BYPASS}
	if res := mustGenerate(t, c, bypass); res.GetMetadata().GetCacheHit() || requests() != 3 {
		t.Errorf("BYPASS: cache hit %v with %d emulator requests, want a miss reaching the emulator", res.GetMetadata().GetCacheHit(), requests())
	}

	purged, err := c.PurgeCache(t.Context(), connect.NewRequest(&routerv1.PurgeCacheRequest{}))
	if err != nil {
		t.Fatalf("PurgeCache: %v", err)
	}
	if purged.Msg.GetEntries() != 2 {
		t.Errorf("PurgeCache removed %d entries, want 2", purged.Msg.GetEntries())
	}
	if res := mustGenerate(t, c, req); res.GetMetadata().GetCacheHit() || requests() != 4 {
		t.Errorf("after purge: cache hit %v with %d emulator requests, want a miss", res.GetMetadata().GetCacheHit(), requests())
	}
	if res := mustGenerate(t, c, req); !res.GetMetadata().GetCacheHit() || requests() != 4 {
		t.Errorf("after refill: cache hit %v with %d emulator requests, want a hit", res.GetMetadata().GetCacheHit(), requests())
	}

	// A bare model name has no route cache; USE asks for it explicitly.
	use := ask("openai-model", "Cache me by request.")
	use.Options = &mcpv1.RequestOptions{Cache: mcpv1.CachePolicy_CACHE_POLICY_USE}
	mustGenerate(t, c, use)
	if res := mustGenerate(t, c, use); !res.GetMetadata().GetCacheHit() || requests() != 5 {
		t.Errorf("USE: cache hit %v with %d emulator requests, want a hit", res.GetMetadata().GetCacheHit(), requests())
	}
	if res := mustGenerate(t, c, ask("openai-model", "Cache me by request.")); res.GetMetadata().GetCacheHit() {
		t.Error("a bare model without USE read the cache")
	}
}
