package calllog_test

import (
	"context"
	"testing"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/audit"
	"github.com/manifoldgw/manifold/services/audit/audittest"
	"github.com/manifoldgw/manifold/services/router"
	"github.com/manifoldgw/manifold/services/router/demo"
)

// BenchmarkRouter compares the router's throughput (demo model, no token
// delay) with the call log off and on; "on" ships every call to a real
// audit service on PostgreSQL. Run it alone on a quiet machine:
//
//	go test -run '^$' -bench Router -benchtime 5s ./router/calllog/
func BenchmarkRouter(b *testing.B) {
	req := &mcpv1.Request{Model: demo.Model, Messages: []*mcpv1.Message{{
		Role: mcpv1.Role_ROLE_USER, Content: []*mcpv1.ContentPart{{Part: &mcpv1.ContentPart_Text{Text: "Summarise the meeting notes in three bullet points."}}},
	}}}
	run := func(b *testing.B, svc *router.Service) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := svc.Do(context.Background(), req, router.SurfaceOpenAI); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	}
	b.Run("audit=off", func(b *testing.B) {
		run(b, router.New(router.Config{}, discard()))
	})
	b.Run("audit=on", func(b *testing.B) {
		srv := audittest.Serve(b, audittest.OpenPostgres(b), audit.DefaultConfig())
		svc := router.New(router.Config{}, discard())
		cfg := testConfig(b.TempDir())
		cfg.QueueSize, cfg.BatchSize = 10000, 1000
		rec, stop := start(b, cfg, srv.URL, nil)
		svc.Use(router.Hooks{Audit: rec})
		run(b, svc)
		b.StopTimer()
		if err := rec.Sync(b.Context()); err != nil {
			b.Fatalf("Sync: %v", err)
		}
		stop()
		b.ReportMetric(float64(rec.Counts().Spooled), "spooled")
	})
}
