package quotalease_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"connectrpc.com/connect"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	routerv1 "github.com/manifoldgw/manifold/gen/go/manifold/router/v1"
	openaiemu "github.com/manifoldgw/manifold/services/internal/emulator/openai"
	"github.com/manifoldgw/manifold/services/quota"
	"github.com/manifoldgw/manifold/services/quota/quotatest"
	"github.com/manifoldgw/manifold/services/router"
)

// Anthropic's documented usage for the fake below (PROVIDER_WIRE_FORMATS
// §2: input_tokens excludes cache reads and writes; output_tokens
// includes thinking).
const (
	claudeInput      = 7
	claudeCacheWrite = 11
	claudeCacheRead  = 13
	claudeOutput     = 17
	claudeThinking   = 5
)

// anthropicUpstream serves POST /v1/messages as Anthropic does for a
// call that read and wrote the prompt cache and thought before answering,
// plain and streamed (the emulator has no prompt cache or thinking), and
// returns a catalog with model on it behind route "chat".
func anthropicUpstream(t *testing.T) router.Spec {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model  string `json:"model"`
			Stream bool   `json:"stream"`
		}
		if r.URL.Path != "/v1/messages" || r.Header.Get("anthropic-version") == "" || json.NewDecoder(r.Body).Decode(&req) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		usage := fmt.Sprintf(`{"input_tokens":%d,"cache_creation_input_tokens":%d,"cache_read_input_tokens":%d,"output_tokens":%d,"output_tokens_details":{"thinking_tokens":%d},"service_tier":"standard"}`,
			claudeInput, claudeCacheWrite, claudeCacheRead, claudeOutput, claudeThinking)
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			_, _ = fmt.Fprintf(w, `{"id":"msg_01","type":"message","role":"assistant","model":%q,"content":[{"type":"thinking","thinking":"Budgets first.","signature":"c2ln"},{"type":"text","text":"Reserve, then settle."}],"stop_reason":"end_turn","stop_sequence":null,"usage":%s}`, req.Model, usage)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		events := []string{
			"message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":%q,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":%d,"cache_creation_input_tokens":%d,"cache_read_input_tokens":%d,"output_tokens":1,"service_tier":"standard"}}}`, req.Model, claudeInput, claudeCacheWrite, claudeCacheRead),
			"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}`,
			"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Budgets first."}}`,
			"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"c2ln"}}`,
			"content_block_stop", `{"type":"content_block_stop","index":0}`,
			"content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`,
			"content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Reserve, then settle."}}`,
			"content_block_stop", `{"type":"content_block_stop","index":1}`,
			"message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":%d,"output_tokens_details":{"thinking_tokens":%d}}}`, claudeOutput, claudeThinking),
			"message_stop", `{"type":"message_stop"}`,
		}
		for i := 0; i < len(events); i += 2 {
			_, _ = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", events[i], events[i+1])
		}
	}))
	t.Cleanup(srv.Close)
	t.Setenv("MANIFOLD_TEST_QUOTA_ANTHROPIC", "sk-ant-test-0123456789")
	return router.Spec{
		Providers:   []*routerv1.Provider{{Name: "anthropic", Kind: routerv1.ProviderKind_PROVIDER_KIND_ANTHROPIC, BaseUrl: srv.URL, Credentials: []*routerv1.CredentialRef{{Name: "anthropic-key"}}}},
		Models:      []*routerv1.Model{{Name: model, Provider: "anthropic", UpstreamModel: "claude-sonnet-4-5", MaxOutputTokens: 64}},
		Credentials: []router.CredentialSpec{{Name: "anthropic-key", APIKeyEnv: "MANIFOLD_TEST_QUOTA_ANTHROPIC"}},
		Routes:      []*routerv1.Route{{Name: "chat", Targets: []*routerv1.Target{{Model: model}}}},
	}
}

// TestCachedAndReasoningCost settles calls with cached input and
// reasoning tokens from OpenAI and Anthropic upstreams, streamed and not,
// and compares each ledger line with a cost computed by hand.
func TestCachedAndReasoningCost(t *testing.T) {
	// OpenAI bills reasoning tokens inside completion_tokens; this price
	// bills them apart, at $3 against $2 for visible output, so a mistake
	// shows. Anthropic bills thinking as output (no reasoning price) and
	// cache writes at 1.25× input.
	openaiPrice := &quotav1.Price{Model: model, InputPerMtokMicros: 1_000_000, CachedInputPerMtokMicros: 250_000, OutputPerMtokMicros: 2_000_000, ReasoningPerMtokMicros: 3_000_000}
	claudePrice := &quotav1.Price{Model: model, InputPerMtokMicros: 3_000_000, CachedInputPerMtokMicros: 300_000, CacheWritePerMtokMicros: 3_750_000, OutputPerMtokMicros: 15_000_000}
	for _, tc := range []struct {
		name     string
		catalog  func(t *testing.T) router.Spec
		price    *quotav1.Price
		stream   bool
		want     *mcpv1.Usage
		wantCost int64
	}{
		{
			name: "openai",
			catalog: func(t *testing.T) router.Spec {
				return upstream(t, openaiemu.Options{CachedTokens: 4, Reasoning: "think think think"})
			},
			price: openaiPrice,
			// 7 prompt tokens of which 4 cached; 10 completion tokens of
			// which 3 reasoning:
			// 3×$1 + 4×$0.25 + 7×$2 + 3×$3 per million = 27 µ$.
			want:     &mcpv1.Usage{InputTokens: 7, CachedInputTokens: 4, OutputTokens: 10, ReasoningTokens: 3},
			wantCost: 27,
		},
		{
			name: "openai streamed", stream: true,
			catalog: func(t *testing.T) router.Spec {
				return upstream(t, openaiemu.Options{CachedTokens: 4, Reasoning: "think think think"})
			},
			price:    openaiPrice,
			want:     &mcpv1.Usage{InputTokens: 7, CachedInputTokens: 4, OutputTokens: 10, ReasoningTokens: 3},
			wantCost: 27,
		},
		{
			name:    "anthropic",
			catalog: anthropicUpstream,
			price:   claudePrice,
			// 7 uncached × $3 + 13 read × $0.30 + 11 written × $3.75 +
			// 17 output (5 of them thinking) × $15 per million
			// = 21 + 3.9 + 41.25 + 255 = 321.15, rounded up: 322 µ$.
			want:     &mcpv1.Usage{InputTokens: 31, CachedInputTokens: 13, CacheWriteTokens: 11, OutputTokens: 17, ReasoningTokens: 5},
			wantCost: 322,
		},
		{
			name: "anthropic streamed", stream: true,
			catalog:  anthropicUpstream,
			price:    claudePrice,
			want:     &mcpv1.Usage{InputTokens: 31, CachedInputTokens: 13, CacheWriteTokens: 11, OutputTokens: 17, ReasoningTokens: 5},
			wantCost: 322,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := quotatest.OpenSQLite(t)
			_, url := quotatest.Serve(t, db, quota.DefaultConfig())
			c := client(url)
			if _, err := c.PutPrice(t.Context(), connect.NewRequest(&quotav1.PutPriceRequest{Price: tc.price})); err != nil {
				t.Fatal(err)
			}
			rep := newReplica(t, "r1", tc.catalog(t), url)
			ctx := router.WithCaller(t.Context(), &router.Caller{KeyID: "k1", Team: "billing"})
			r := request("hello there friend of mine", 32)
			var usage *mcpv1.Usage
			if tc.stream {
				var text strings.Builder
				if err := rep.svc.DoStream(ctx, r, router.SurfaceConnect, func(ev *mcpv1.StreamEvent) error {
					if u := ev.GetUsage(); u != nil {
						usage = u
					}
					text.WriteString(ev.GetTextDelta().GetText())
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if text.Len() == 0 {
					t.Fatal("the stream carried no text")
				}
			} else {
				res, err := rep.svc.Do(ctx, r, router.SurfaceConnect)
				if err != nil {
					t.Fatal(err)
				}
				usage = res.GetUsage()
			}
			if usage.GetInputTokens() != tc.want.GetInputTokens() || usage.GetCachedInputTokens() != tc.want.GetCachedInputTokens() ||
				usage.GetCacheWriteTokens() != tc.want.GetCacheWriteTokens() || usage.GetOutputTokens() != tc.want.GetOutputTokens() ||
				usage.GetReasoningTokens() != tc.want.GetReasoningTokens() {
				t.Fatalf("usage %v, want %v", usage, tc.want)
			}
			// The caller (and the call log) are told what the ledger bills.
			if usage.GetCostMicros() != tc.wantCost {
				t.Errorf("the answer's usage costs %d µ$, want %d µ$ (the quota price)", usage.GetCostMicros(), tc.wantCost)
			}
			if err := rep.adm.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			res, err := c.GetUsageReport(t.Context(), connect.NewRequest(&quotav1.GetUsageReportRequest{Range: everything()}))
			if err != nil {
				t.Fatal(err)
			}
			tot := res.Msg.GetTotal()
			if tot.GetRequests() != 1 || tot.GetUsage().GetCostMicros() != tc.wantCost {
				t.Fatalf("ledger: %d calls costing %d µ$, want 1 costing %d µ$", tot.GetRequests(), tot.GetUsage().GetCostMicros(), tc.wantCost)
			}
			if got := rep.adm.Cost(model, usage); got != tc.wantCost {
				t.Errorf("the router's own pricing: %d µ$, want %d µ$", got, tc.wantCost)
			}
		})
	}
}
