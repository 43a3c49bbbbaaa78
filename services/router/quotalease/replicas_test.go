package quotalease_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"connectrpc.com/connect"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/emulator"
	openaiemu "github.com/manifoldgw/manifold/services/internal/emulator/openai"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/quota"
	"github.com/manifoldgw/manifold/services/quota/quotatest"
	"github.com/manifoldgw/manifold/services/quota/store"
	"github.com/manifoldgw/manifold/services/router"
)

// records keeps every call record of every replica: the usage a record
// carries is the usage its call settled.
type records struct {
	mu   sync.Mutex
	list []*router.CallRecord
}

func (r *records) RecordCall(rec *router.CallRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, rec)
}

// worstCase is what the admission reserved for a call, by the formula in
// docs/QUOTA.md: input at the dearer of the input and cache-write prices,
// output at the dearer of the output and reasoning prices, rounded up.
func worstCase(p *quotav1.Price, c router.CallInfo) int64 {
	in := max(p.GetInputPerMtokMicros(), p.GetCacheWritePerMtokMicros())
	out := max(p.GetOutputPerMtokMicros(), p.GetReasoningPerMtokMicros())
	return (c.EstimatedInputTokens*in + c.MaxOutputTokens*out + 999_999) / 1_000_000
}

var errClientGone = errors.New("the client went away")

// TestReplicasNeverOverspend runs 4 router replicas with 200 concurrent
// streaming and non-streaming callers against one team budget: on SQLite
// with one quota service (all-in-one), and on PostgreSQL with two quota
// services on the same database, each serving two of the replicas over
// HTTP (split). Some streams are cut short by their client, some by the
// provider, and some calls fail upstream. The settled total equals the
// sum of each call's cost, every call settles at most once, and the spend
// stays within the bound of docs/QUOTA.md: the limit plus what calls cost
// beyond their reserved worst case (0 here, as no lease expires with
// calls in flight).
func TestReplicasNeverOverspend(t *testing.T) {
	for _, d := range []struct {
		name     string
		open     func(testing.TB) *storage.DB
		services int
	}{{"sqlite", quotatest.OpenSQLite, 1}, {"postgres", quotatest.OpenPostgres, 2}} {
		t.Run(d.name, func(t *testing.T) {
			db := d.open(t)
			var urls []string
			for range d.services {
				_, url := quotatest.Serve(t, db, quota.DefaultConfig())
				urls = append(urls, url)
			}
			const limit = 4_000
			setup(t, client(urls[0]), &quotav1.Budget{Id: "team-ml", Subject: &quotav1.Subject{Kind: quotav1.SubjectKind_SUBJECT_KIND_TEAM, Id: "ml"},
				Period: quotav1.BudgetPeriod_BUDGET_PERIOD_MONTHLY, LimitMicros: limit})
			catalog, emu := upstreamEmulator(t, openaiemu.Options{})
			// The first upstream requests: streams the provider cuts
			// short, and failures before any token.
			for range 6 {
				emu.Script(emulator.Fault{CutAfterChunks: 3}, emulator.Fault{Status: 400})
			}
			recs := &records{}
			var replicas []*replica
			for i := range 4 {
				rep := newReplica(t, fmt.Sprintf("replica-%d", i), catalog, urls[i%len(urls)])
				rep.svc.Use(router.Hooks{Audit: recs})
				replicas = append(replicas, rep)
			}
			var (
				mu              sync.Mutex
				served, refused int
				wg              sync.WaitGroup
			)
			for i := range 200 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rep := replicas[i%4]
					ctx := router.WithCaller(t.Context(), &router.Caller{KeyID: fmt.Sprint("key-", i%7), Team: "ml"})
					r := request(fmt.Sprintf("caller %d asks a question about budgets", i), int32(8+i%24))
					var err error
					if i%2 == 0 {
						_, err = rep.svc.Do(ctx, r, router.SurfaceConnect)
					} else {
						deltas := 0
						err = rep.svc.DoStream(ctx, r, router.SurfaceConnect, func(ev *mcpv1.StreamEvent) error {
							if ev.GetTextDelta() != nil {
								deltas++
							}
							if i%10 == 1 && deltas == 2 { // this client hangs up mid-stream
								return errClientGone
							}
							return nil
						})
					}
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						served++
					case errors.Is(err, errClientGone):
					case apierror.As(err).Class == mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED:
						refused++
					case apierror.As(err).Class == mcpv1.ErrorClass_ERROR_CLASS_INTERNAL || apierror.As(err).Class == mcpv1.ErrorClass_ERROR_CLASS_QUOTA_UNCONFIRMED:
						t.Errorf("call %d: %v", i, err)
					}
				}()
			}
			wg.Wait()
			for _, rep := range replicas {
				if err := rep.adm.Close(t.Context()); err != nil {
					t.Fatalf("close: %v", err)
				}
			}
			recs.mu.Lock()
			defer recs.mu.Unlock()
			var costs, bound, settled int64
			for _, rec := range recs.list {
				if rec.Usage == nil {
					continue
				}
				cost := store.Cost(price, rec.Usage)
				costs += cost
				bound += max(0, cost-worstCase(price, rec.CallInfo))
				settled++
			}
			if len(recs.list) != 200 {
				t.Errorf("%d call records, want one per call (200)", len(recs.list))
			}
			b, err := client(urls[0]).GetBudget(t.Context(), connect.NewRequest(&quotav1.GetBudgetRequest{Id: "team-ml"}))
			if err != nil {
				t.Fatal(err)
			}
			st := b.Msg.GetBudget().GetStatus()
			t.Logf("served %d, refused %d, other failures %d; %d calls settled; spent %d of %d µ$, bound %d µ$",
				served, refused, 200-served-refused, settled, st.GetSpentMicros(), limit, bound)
			if st.GetSpentMicros() != costs {
				t.Errorf("settled %d µ$, want the sum of the calls' costs %d µ$", st.GetSpentMicros(), costs)
			}
			if st.GetSpentMicros() > limit+bound {
				t.Errorf("spent %d µ$ exceeds the limit %d µ$ + bound %d µ$", st.GetSpentMicros(), limit, bound)
			}
			if st.GetHeldMicros() != 0 {
				t.Errorf("held %d µ$ after every replica returned its leases", st.GetHeldMicros())
			}
			if refused == 0 || served == 0 {
				t.Errorf("served %d, refused %d: the budget should run out part way", served, refused)
			}
			rep, err := client(urls[len(urls)-1]).GetUsageReport(t.Context(), connect.NewRequest(&quotav1.GetUsageReportRequest{
				Range: &quotav1.TimeRange{Start: st.GetPeriodStart(), End: st.GetPeriodEnd()}}))
			if err != nil {
				t.Fatal(err)
			}
			if tot := rep.Msg.GetTotal(); tot.GetRequests() != settled || tot.GetUsage().GetCostMicros() != costs {
				t.Errorf("ledger: %d calls costing %d µ$, want %d (one line per settled call) costing %d µ$", tot.GetRequests(), tot.GetUsage().GetCostMicros(), settled, costs)
			}
		})
	}
}
