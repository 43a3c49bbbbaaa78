package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/quota/store/internal/quotadb"
)

// Lease states.
const (
	leaseActive   = 1
	leaseReturned = 2
	leaseExpired  = 3
)

// LimitError refuses a reservation or reports an exhausted source.
type LimitError struct {
	// Name is "budget:<id>", "rpm:<id>" or "tpm:<id>".
	Name       string
	Limit      int64
	Remaining  int64
	RetryAfter time.Duration
	// Budget is true for budgets (QUOTA_EXCEEDED), false for rate limits.
	Budget bool
}

func (e *LimitError) Error() string {
	if e.Budget {
		return fmt.Sprintf("%s is exhausted: %d of %d micro-dollars remain", e.Name, max(e.Remaining, 0), e.Limit)
	}
	return fmt.Sprintf("%s is exceeded: %d of %d remain this minute", e.Name, max(e.Remaining, 0), e.Limit)
}

// contrib is what a lease holds against its budget period: while active,
// its grant (or its reported spending, if larger) less what settlements
// already moved to spent; once returned, only reported spending whose
// settlements have not arrived; nothing once expired.
func contrib(l quotadb.QuotaLease) int64 {
	switch l.State {
	case leaseActive:
		return max(max(l.Granted, l.Spent)-l.Settled, 0)
	case leaseReturned:
		return max(l.Spent-l.Settled, 0)
	}
	return 0
}

// lockPeriod creates, locks and sweeps a budget period: leases and
// reservation holds past their expiry stop holding. It returns the totals
// after the sweep.
func lockPeriod(ctx context.Context, q *quotadb.Queries, budgetID string, start, now int64) (quotadb.LockBudgetPeriodRow, error) {
	if err := q.EnsureBudgetPeriod(ctx, quotadb.EnsureBudgetPeriodParams{BudgetID: budgetID, PeriodStart: start}); err != nil {
		return quotadb.LockBudgetPeriodRow{}, fmt.Errorf("create budget period: %w", err)
	}
	p, err := q.LockBudgetPeriod(ctx, quotadb.LockBudgetPeriodParams{BudgetID: budgetID, PeriodStart: start})
	if err != nil {
		return p, fmt.Errorf("lock budget period: %w", err)
	}
	var delta int64
	leases, err := q.ExpiredLeases(ctx, quotadb.ExpiredLeasesParams{BudgetID: budgetID, WindowStart: start, Now: now})
	if err != nil {
		return p, fmt.Errorf("expired leases: %w", err)
	}
	for _, l := range leases {
		delta -= contrib(l)
		if err := q.UpdateLease(ctx, quotadb.UpdateLeaseParams{ID: l.ID, Granted: l.Granted, Spent: l.Spent, Settled: l.Settled, State: leaseExpired, ExpiresAt: l.ExpiresAt, Now: now}); err != nil {
			return p, fmt.Errorf("expire lease: %w", err)
		}
	}
	holds, err := q.ExpiredHolds(ctx, quotadb.ExpiredHoldsParams{BudgetID: budgetID, PeriodStart: start, Now: now})
	if err != nil {
		return p, fmt.Errorf("expired holds: %w", err)
	}
	for _, h := range holds {
		if n, err := q.DropHold(ctx, quotadb.DropHoldParams{ReservationID: h.ReservationID, BudgetID: h.BudgetID}); err != nil {
			return p, fmt.Errorf("drop hold: %w", err)
		} else if n == 1 {
			delta -= h.Amount
		}
	}
	if delta != 0 {
		if err := q.AddBudgetPeriod(ctx, quotadb.AddBudgetPeriodParams{BudgetID: budgetID, PeriodStart: start, HeldDelta: delta}); err != nil {
			return p, err
		}
		p.HeldMicros += delta
	}
	return p, nil
}

// grantSize is one grant: the demand, kept between the configured
// fractions of the limit, and at least 1. A demand above the upper
// fraction is granted in full (up to the limit): a single call may need
// more than a usual slice, and would otherwise never be admitted; the
// replica sizes such demands to what its calls need.
func (s *Store) grantSize(limit, demand int64) int64 {
	lo := int64(math.Ceil(float64(limit) * s.opts.MinGrantFraction))
	hi := int64(math.Ceil(float64(limit) * s.opts.MaxGrantFraction))
	return max(min(max(demand, lo), max(hi, min(demand, limit))), 1)
}

// Target is what AcquireLeases leases: a subject's budgets and rate limits,
// or one budget, or one rate limit.
type Target struct {
	Subject     *quotav1.Subject
	BudgetID    string
	RateLimitID string
}

// AcquireLeases grants replica one lease per budget and per rate limit
// unit (requests, tokens) of the target.
func (s *Store) AcquireLeases(ctx context.Context, replica string, t Target, d *quotav1.LeaseDemand) ([]*quotav1.Lease, error) {
	var (
		budgets []quotadb.QuotaBudget
		limits  []quotadb.QuotaRateLimit
	)
	switch {
	case t.Subject != nil:
		var err error
		budgets, err = s.q.ListBudgetsBySubject(ctx, quotadb.ListBudgetsBySubjectParams{SubjectKind: int32(t.Subject.GetKind()), SubjectID: t.Subject.GetId(), Lim: 1000})
		if err != nil {
			return nil, fmt.Errorf("find budgets: %w", err)
		}
		limits, err = s.q.ListRateLimitsBySubject(ctx, quotadb.ListRateLimitsBySubjectParams{SubjectKind: int32(t.Subject.GetKind()), SubjectID: t.Subject.GetId(), Lim: 1000})
		if err != nil {
			return nil, fmt.Errorf("find rate limits: %w", err)
		}
	case t.BudgetID != "":
		b, err := s.q.GetBudget(ctx, t.BudgetID)
		if err == nil {
			budgets = append(budgets, b)
		} else if !notFound(err) {
			return nil, err
		}
	case t.RateLimitID != "":
		l, err := s.q.GetRateLimit(ctx, t.RateLimitID)
		if err == nil {
			limits = append(limits, l)
		} else if !notFound(err) {
			return nil, err
		}
	}
	var out []*quotav1.Lease
	for _, b := range budgets {
		l, err := s.grantBudget(ctx, replica, b, d.GetCostMicros())
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	for _, rl := range limits {
		if rl.RequestsPerMinute > 0 {
			l, err := s.grantRate(ctx, replica, rl, quotav1.LeaseUnit_LEASE_UNIT_REQUESTS, d.GetRequests())
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		}
		if rl.TokensPerMinute > 0 {
			l, err := s.grantRate(ctx, replica, rl, quotav1.LeaseUnit_LEASE_UNIT_TOKENS, d.GetTokens())
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		}
	}
	return out, nil
}

func newID(prefix string) string { return prefix + strings.ToLower(rand.Text()) }

func (s *Store) grantBudget(ctx context.Context, replica string, b quotadb.QuotaBudget, demand int64) (*quotav1.Lease, error) {
	now := s.Now()
	start, end, err := periodOf(b, now)
	if err != nil {
		return nil, err
	}
	expires := now.Add(s.opts.LeaseTTL)
	if !end.IsZero() && expires.After(end) {
		expires = end
	}
	row := quotadb.QuotaLease{ID: newID(leasePrefix), ReplicaID: replica, BudgetID: b.ID, Unit: int32(quotav1.LeaseUnit_LEASE_UNIT_COST_MICROS),
		WindowStart: micros(start), WindowEnd: micros(end), ExpiresAt: micros(expires), State: leaseActive}
	var remaining int64
	err = s.tx(ctx, func(q *quotadb.Queries) error {
		p, err := lockPeriod(ctx, q, b.ID, row.WindowStart, micros(now))
		if err != nil {
			return err
		}
		remaining = b.LimitMicros - p.SpentMicros - p.HeldMicros
		row.Granted = max(min(s.grantSize(b.LimitMicros, demand), remaining), 0)
		remaining -= row.Granted
		if err := q.InsertLease(ctx, quotadb.InsertLeaseParams{ID: row.ID, ReplicaID: replica, BudgetID: b.ID, Unit: row.Unit,
			WindowStart: row.WindowStart, WindowEnd: row.WindowEnd, Granted: row.Granted, ExpiresAt: row.ExpiresAt, Now: micros(now)}); err != nil {
			return fmt.Errorf("insert lease: %w", err)
		}
		return q.AddBudgetPeriod(ctx, quotadb.AddBudgetPeriodParams{BudgetID: b.ID, PeriodStart: row.WindowStart, HeldDelta: row.Granted})
	})
	if err != nil {
		return nil, fmt.Errorf("grant budget lease: %w", err)
	}
	return leaseOf(row, b.LimitMicros, remaining), nil
}

func rateLimitValue(rl quotadb.QuotaRateLimit, unit int32) int64 {
	if quotav1.LeaseUnit(unit) == quotav1.LeaseUnit_LEASE_UNIT_REQUESTS {
		return rl.RequestsPerMinute
	}
	return rl.TokensPerMinute
}

func (s *Store) grantRate(ctx context.Context, replica string, rl quotadb.QuotaRateLimit, unit quotav1.LeaseUnit, demand int64) (*quotav1.Lease, error) {
	now := s.Now()
	start := now.Truncate(time.Minute)
	end := start.Add(time.Minute)
	limit := rateLimitValue(rl, int32(unit))
	row := quotadb.QuotaLease{ID: newID(leasePrefix), ReplicaID: replica, RateLimitID: rl.ID, Unit: int32(unit),
		WindowStart: micros(start), WindowEnd: micros(end), ExpiresAt: micros(end), State: leaseActive}
	var remaining int64
	err := s.tx(ctx, func(q *quotadb.Queries) error {
		g, err := lockWindow(ctx, q, rl.ID, row.Unit, row.WindowStart)
		if err != nil {
			return err
		}
		remaining = limit - g
		row.Granted = max(min(s.grantSize(limit, demand), remaining), 0)
		remaining -= row.Granted
		if err := q.InsertLease(ctx, quotadb.InsertLeaseParams{ID: row.ID, ReplicaID: replica, RateLimitID: rl.ID, Unit: row.Unit,
			WindowStart: row.WindowStart, WindowEnd: row.WindowEnd, Granted: row.Granted, ExpiresAt: row.ExpiresAt, Now: micros(now)}); err != nil {
			return fmt.Errorf("insert lease: %w", err)
		}
		return q.AddRateWindow(ctx, quotadb.AddRateWindowParams{RateLimitID: rl.ID, Unit: row.Unit, WindowStart: row.WindowStart, Delta: row.Granted})
	})
	if err != nil {
		return nil, fmt.Errorf("grant rate lease: %w", err)
	}
	return leaseOf(row, limit, remaining), nil
}

func lockWindow(ctx context.Context, q *quotadb.Queries, id string, unit int32, start int64) (int64, error) {
	if err := q.EnsureRateWindow(ctx, quotadb.EnsureRateWindowParams{RateLimitID: id, Unit: unit, WindowStart: start}); err != nil {
		return 0, fmt.Errorf("create rate window: %w", err)
	}
	g, err := q.LockRateWindow(ctx, quotadb.LockRateWindowParams{RateLimitID: id, Unit: unit, WindowStart: start})
	if err != nil {
		return 0, fmt.Errorf("lock rate window: %w", err)
	}
	return g, nil
}

func leaseOf(r quotadb.QuotaLease, limit, remaining int64) *quotav1.Lease {
	l := &quotav1.Lease{Id: r.ID, ReplicaId: r.ReplicaID, Unit: quotav1.LeaseUnit(r.Unit), Granted: r.Granted, Spent: r.Spent,
		ExpiresAt: ts(r.ExpiresAt), WindowEnd: ts(r.WindowEnd), Limit: limit, Remaining: remaining}
	if r.BudgetID != "" {
		l.Source = &quotav1.Lease_BudgetId{BudgetId: r.BudgetID}
	} else {
		l.Source = &quotav1.Lease_RateLimitId{RateLimitId: r.RateLimitID}
	}
	return l
}

// RenewLease records a lease's cumulative spending and tops its unspent
// grant back up to the demanded size, as far as its source allows; when
// the source has less than nothing left (a lowered limit), the unspent
// grant shrinks by as much, so a lowered limit applies at the renewal. It
// fails with ErrNotFound once the lease has ended, expired, or its window
// (budget period, rate minute) is over.
func (s *Store) RenewLease(ctx context.Context, id, replica string, spent int64, d *quotav1.LeaseDemand) (*quotav1.Lease, error) {
	now := s.Now()
	l, err := s.q.GetLease(ctx, id)
	if err != nil || l.ReplicaID != replica || l.State != leaseActive || micros(now) >= l.ExpiresAt ||
		(l.WindowEnd != 0 && micros(now) >= l.WindowEnd) {
		return nil, fmt.Errorf("%w: lease %s has ended", ErrNotFound, id)
	}
	var (
		out   *quotav1.Lease
		ended bool
	)
	err = s.tx(ctx, func(q *quotadb.Queries) error {
		var limit, remaining, demand int64
		if l.BudgetID != "" {
			b, err := q.GetBudget(ctx, l.BudgetID)
			if notFound(err) {
				ended = true
				return nil
			} else if err != nil {
				return err
			}
			p, err := lockPeriod(ctx, q, l.BudgetID, l.WindowStart, micros(now))
			if err != nil {
				return err
			}
			limit, remaining, demand = b.LimitMicros, b.LimitMicros-p.SpentMicros-p.HeldMicros, d.GetCostMicros()
		} else {
			rl, err := q.GetRateLimit(ctx, l.RateLimitID)
			if notFound(err) {
				ended = true
				return nil
			} else if err != nil {
				return err
			}
			limit = rateLimitValue(rl, l.Unit)
			if limit == 0 {
				ended = true
				return nil
			}
			g, err := lockWindow(ctx, q, l.RateLimitID, l.Unit, l.WindowStart)
			if err != nil {
				return err
			}
			remaining = limit - g
			demand = d.GetRequests()
			if quotav1.LeaseUnit(l.Unit) == quotav1.LeaseUnit_LEASE_UNIT_TOKENS {
				demand = d.GetTokens()
			}
		}
		ll, err := q.LockLease(ctx, id)
		if err != nil {
			return err
		}
		if ll.State != leaseActive {
			ended = true
			return nil
		}
		before := contrib(ll)
		ll.Spent = max(ll.Spent, spent)
		add := max(min(s.grantSize(limit, demand)-(ll.Granted-ll.Spent), remaining), 0)
		if remaining < 0 {
			// The source is over-committed (its limit was lowered, or
			// calls cost more than reserved): the lease gives back as
			// much of its unspent grant as the source is over.
			add = -min(-remaining, max(ll.Granted-max(ll.Spent, ll.Settled), 0))
		}
		ll.Granted += add
		if l.BudgetID != "" {
			exp := now.Add(s.opts.LeaseTTL)
			if ll.WindowEnd != 0 {
				exp = time.UnixMicro(min(micros(exp), ll.WindowEnd))
			}
			ll.ExpiresAt = micros(exp)
			delta := contrib(ll) - before
			if err := q.AddBudgetPeriod(ctx, quotadb.AddBudgetPeriodParams{BudgetID: ll.BudgetID, PeriodStart: ll.WindowStart, HeldDelta: delta}); err != nil {
				return err
			}
			remaining -= delta
		} else {
			if err := q.AddRateWindow(ctx, quotadb.AddRateWindowParams{RateLimitID: ll.RateLimitID, Unit: ll.Unit, WindowStart: ll.WindowStart, Delta: add}); err != nil {
				return err
			}
			remaining -= add
		}
		if err := q.UpdateLease(ctx, quotadb.UpdateLeaseParams{ID: id, Granted: ll.Granted, Spent: ll.Spent, Settled: ll.Settled, State: ll.State, ExpiresAt: ll.ExpiresAt, Now: micros(now)}); err != nil {
			return err
		}
		out = leaseOf(ll, limit, remaining)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("renew lease: %w", err)
	}
	if ended {
		return nil, fmt.Errorf("%w: lease %s has ended", ErrNotFound, id)
	}
	return out, nil
}

// ReturnLease ends a lease with its final spending and gives the unspent
// grant back. Returning an ended lease returns 0.
func (s *Store) ReturnLease(ctx context.Context, id, replica string, spent int64) (int64, error) {
	now := s.Now()
	l, err := s.q.GetLease(ctx, id)
	if err != nil {
		if notFound(err) {
			return 0, fmt.Errorf("%w: no lease %s", ErrNotFound, id)
		}
		return 0, err
	}
	if l.ReplicaID != replica {
		return 0, fmt.Errorf("%w: no lease %s", ErrNotFound, id)
	}
	if l.State != leaseActive {
		return 0, nil
	}
	var returned int64
	err = s.tx(ctx, func(q *quotadb.Queries) error {
		if l.BudgetID != "" {
			if _, err := lockPeriod(ctx, q, l.BudgetID, l.WindowStart, micros(now)); err != nil {
				return err
			}
		} else if _, err := lockWindow(ctx, q, l.RateLimitID, l.Unit, l.WindowStart); err != nil {
			return err
		}
		ll, err := q.LockLease(ctx, id)
		if err != nil {
			return err
		}
		if ll.State != leaseActive {
			return nil
		}
		before := contrib(ll)
		ll.Spent = max(ll.Spent, spent)
		ll.State = leaseReturned
		returned = max(ll.Granted-max(ll.Spent, ll.Settled), 0)
		if ll.BudgetID != "" {
			if err := q.AddBudgetPeriod(ctx, quotadb.AddBudgetPeriodParams{BudgetID: ll.BudgetID, PeriodStart: ll.WindowStart, HeldDelta: contrib(ll) - before}); err != nil {
				return err
			}
		} else if micros(now) < ll.WindowEnd {
			if err := q.AddRateWindow(ctx, quotadb.AddRateWindowParams{RateLimitID: ll.RateLimitID, Unit: ll.Unit, WindowStart: ll.WindowStart, Delta: -returned}); err != nil {
				return err
			}
		}
		return q.UpdateLease(ctx, quotadb.UpdateLeaseParams{ID: id, Granted: ll.Granted, Spent: ll.Spent, Settled: ll.Settled, State: ll.State, ExpiresAt: ll.ExpiresAt, Now: micros(now)})
	})
	if err != nil {
		return 0, fmt.Errorf("return lease: %w", err)
	}
	return returned, nil
}

// Cost prices usage at p in micro-dollars, rounded up (the contract of
// quotav1.Price).
func Cost(p *quotav1.Price, u *mcpv1.Usage) int64 {
	in := p.GetInputPerMtokMicros()
	cached := cmp.Or(p.GetCachedInputPerMtokMicros(), in)
	write := cmp.Or(p.GetCacheWritePerMtokMicros(), in)
	out := p.GetOutputPerMtokMicros()
	reasoning := cmp.Or(p.GetReasoningPerMtokMicros(), out)
	uncached := max(u.GetInputTokens()-u.GetCachedInputTokens()-u.GetCacheWriteTokens(), 0)
	visible := max(u.GetOutputTokens()-u.GetReasoningTokens(), 0)
	total := uncached*in + u.GetCachedInputTokens()*cached + u.GetCacheWriteTokens()*write + visible*out + u.GetReasoningTokens()*reasoning
	return (total + 999_999) / 1_000_000
}

// Settle records one finished call: a ledger line (once per call id), and
// its cost moved from held to spent on each budget it was charged to. The
// cost is the quota price catalog's when it prices the model, else the
// usage's own cost_micros (the router's catalog price).
func (s *Store) Settle(ctx context.Context, st *quotav1.Settlement) (quotav1.SettlementOutcome, int64, error) {
	var (
		outcome quotav1.SettlementOutcome
		cost    int64
	)
	err := s.tx(ctx, func(q *quotadb.Queries) error {
		var err error
		outcome, cost, err = s.settleIn(ctx, q, st, s.Now(), prices{})
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("settle %s: %w", st.GetCallId(), err)
	}
	return outcome, cost, nil
}

// SettleAll settles a batch in one transaction (one commit instead of one
// per call), with Settle's outcome for each, in order. A settlement that
// fails fails the batch, and nothing of it is stored.
func (s *Store) SettleAll(ctx context.Context, sts []*quotav1.Settlement) ([]quotav1.SettlementOutcome, error) {
	out := make([]quotav1.SettlementOutcome, len(sts))
	err := s.tx(ctx, func(q *quotadb.Queries) error {
		now := s.Now()
		ps := prices{}
		for i, st := range sts {
			o, _, err := s.settleIn(ctx, q, st, now, ps)
			if err != nil {
				return &SettleError{Index: i, CallID: st.GetCallId(), Err: err}
			}
			out[i] = o
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SettleError is the settlement that failed a SettleAll batch.
type SettleError struct {
	Index  int
	CallID string
	Err    error
}

func (e *SettleError) Error() string { return fmt.Sprintf("settle %s: %v", e.CallID, e.Err) }
func (e *SettleError) Unwrap() error { return e.Err }

// prices are the catalog prices read in one transaction, by model; nil for
// a model the catalog does not price.
type prices map[string]*quotav1.Price

// get returns model's price, reading it once per transaction.
func (ps prices) get(ctx context.Context, q *quotadb.Queries, model string) (*quotav1.Price, error) {
	if p, ok := ps[model]; ok {
		return p, nil
	}
	row, err := q.GetPrice(ctx, model)
	switch {
	case notFound(err):
		ps[model] = nil
		return nil, nil
	case err != nil:
		return nil, err
	}
	p := priceOf(row)
	ps[model] = p
	return p, nil
}

// leasePrefix starts every lease id this store grants; a settlement naming
// another id (a router's "unmetered") draws from no lease here.
const leasePrefix = "lease_"

// settleIn is Settle's work inside the caller's transaction.
func (s *Store) settleIn(ctx context.Context, q *quotadb.Queries, st *quotav1.Settlement, now time.Time, ps prices) (quotav1.SettlementOutcome, int64, error) {
	u := st.GetUsage()
	cost := u.GetCostMicros()
	outcome := quotav1.SettlementOutcome_SETTLEMENT_OUTCOME_SETTLED
	err := func() error {
		outcome = quotav1.SettlementOutcome_SETTLEMENT_OUTCOME_SETTLED
		scope := st.GetScope()
		var res quotadb.QuotaReservation
		if st.GetReservationId() != "" {
			var err error
			res, err = q.LockReservation(ctx, st.GetReservationId())
			if err != nil {
				return storage.MapError(err)
			}
			if scope == nil {
				scope = &quotav1.ChargeScope{}
				_ = protojson.Unmarshal([]byte(res.Scope), scope)
			}
		}
		if model := scope.GetModel(); model != "" {
			p, err := ps.get(ctx, q, model)
			if err != nil {
				return err
			}
			if p != nil {
				cost = Cost(p, u)
			}
		}
		n, err := q.InsertLedgerLine(ctx, quotadb.InsertLedgerLineParams{
			CallID: st.GetCallId(), VirtualKeyID: scope.GetVirtualKeyId(), Team: scope.GetTeam(), Project: scope.GetProject(),
			Route: scope.GetRoute(), Credential: scope.GetCredential(), Model: scope.GetModel(),
			InputTokens: u.GetInputTokens(), OutputTokens: u.GetOutputTokens(), CachedInputTokens: u.GetCachedInputTokens(),
			CacheWriteTokens: u.GetCacheWriteTokens(), ReasoningTokens: u.GetReasoningTokens(),
			TotalTokens: cmp.Or(u.GetTotalTokens(), u.GetInputTokens()+u.GetOutputTokens()), CostMicros: cost,
			FinishedAt: micros(st.GetFinishedAt().AsTime()), RecordedAt: micros(now),
		})
		if err != nil {
			return fmt.Errorf("insert ledger line: %w", err)
		}
		if n == 0 {
			outcome = quotav1.SettlementOutcome_SETTLEMENT_OUTCOME_DUPLICATE
			return nil
		}
		late := false
		if st.GetReservationId() != "" {
			late = res.State != int32(quotav1.ReservationState_RESERVATION_STATE_ACTIVE) || micros(now) >= res.ExpiresAt
			holds, err := q.ReservationHolds(ctx, res.ID)
			if err != nil {
				return err
			}
			for _, h := range holds {
				b, err := q.GetBudget(ctx, h.BudgetID)
				if notFound(err) {
					continue
				} else if err != nil {
					return err
				}
				p, err := lockPeriod(ctx, q, h.BudgetID, h.PeriodStart, micros(now))
				if err != nil {
					return err
				}
				var heldDelta int64
				if n, err := q.DropHold(ctx, quotadb.DropHoldParams{ReservationID: h.ReservationID, BudgetID: h.BudgetID}); err != nil {
					return err
				} else if n == 1 {
					heldDelta = -h.Amount
				}
				if err := s.spend(ctx, q, b, h.PeriodStart, p.SpentMicros, cost, heldDelta, now); err != nil {
					return err
				}
			}
			return q.SetReservationState(ctx, quotadb.SetReservationStateParams{ID: res.ID, State: int32(quotav1.ReservationState_RESERVATION_STATE_SETTLED)})
		}
		var leases []quotadb.QuotaLease
		for _, id := range st.GetLeaseIds() {
			if !strings.HasPrefix(id, leasePrefix) {
				continue
			}
			l, err := q.GetLease(ctx, id)
			if notFound(err) {
				continue
			} else if err != nil {
				return err
			}
			if l.BudgetID != "" {
				leases = append(leases, l)
			}
		}
		slices.SortFunc(leases, func(a, b quotadb.QuotaLease) int { return strings.Compare(a.BudgetID, b.BudgetID) })
		for _, l := range leases {
			b, err := q.GetBudget(ctx, l.BudgetID)
			if notFound(err) {
				continue
			} else if err != nil {
				return err
			}
			p, err := lockPeriod(ctx, q, l.BudgetID, l.WindowStart, micros(now))
			if err != nil {
				return err
			}
			ll, err := q.LockLease(ctx, l.ID)
			if err != nil {
				return err
			}
			late = late || ll.State != leaseActive
			before := contrib(ll)
			ll.Settled += cost
			if err := q.UpdateLease(ctx, quotadb.UpdateLeaseParams{ID: ll.ID, Granted: ll.Granted, Spent: ll.Spent, Settled: ll.Settled, State: ll.State, ExpiresAt: ll.ExpiresAt, Now: ll.UpdatedAt}); err != nil {
				return err
			}
			if err := s.spend(ctx, q, b, l.WindowStart, p.SpentMicros, cost, contrib(ll)-before, now); err != nil {
				return err
			}
		}
		if late {
			outcome = quotav1.SettlementOutcome_SETTLEMENT_OUTCOME_SETTLED_LATE
		}
		return nil
	}()
	if err != nil {
		return 0, 0, err
	}
	return outcome, cost, nil
}

// spend adds cost to a budget period's spend and fires the alert
// thresholds it crosses.
func (s *Store) spend(ctx context.Context, q *quotadb.Queries, b quotadb.QuotaBudget, start, spentBefore, cost, heldDelta int64, now time.Time) error {
	if err := q.AddBudgetPeriod(ctx, quotadb.AddBudgetPeriodParams{BudgetID: b.ID, PeriodStart: start, SpentDelta: cost, HeldDelta: heldDelta}); err != nil {
		return err
	}
	after := spentBefore + cost
	for _, t := range thresholds(b.AlertThresholds) {
		mark := int64(t) * b.LimitMicros
		if spentBefore*100 < mark && after*100 >= mark {
			if _, err := q.InsertAlert(ctx, quotadb.InsertAlertParams{ID: newID("alert_"), BudgetID: b.ID, SubjectKind: b.SubjectKind, SubjectID: b.SubjectID,
				ThresholdPercent: int32(t), PeriodStart: start, SpentMicros: after, LimitMicros: b.LimitMicros, FiredAt: micros(now)}); err != nil {
				return fmt.Errorf("fire alert: %w", err)
			}
		}
	}
	return nil
}

// Applicable finds the budgets and rate limits that apply to a scope.
func (s *Store) Applicable(ctx context.Context, sc *quotav1.ChargeScope) ([]quotadb.QuotaBudget, []quotadb.QuotaRateLimit, error) {
	var (
		budgets []quotadb.QuotaBudget
		limits  []quotadb.QuotaRateLimit
	)
	seenB, seenL := map[string]bool{}, map[string]bool{}
	addB := func(bs ...quotadb.QuotaBudget) {
		for _, b := range bs {
			if !seenB[b.ID] {
				seenB[b.ID] = true
				budgets = append(budgets, b)
			}
		}
	}
	addL := func(ls ...quotadb.QuotaRateLimit) {
		for _, l := range ls {
			if !seenL[l.ID] {
				seenL[l.ID] = true
				limits = append(limits, l)
			}
		}
	}
	for kind, id := range map[quotav1.SubjectKind]string{
		quotav1.SubjectKind_SUBJECT_KIND_VIRTUAL_KEY: sc.GetVirtualKeyId(), quotav1.SubjectKind_SUBJECT_KIND_TEAM: sc.GetTeam(),
		quotav1.SubjectKind_SUBJECT_KIND_PROJECT: sc.GetProject(), quotav1.SubjectKind_SUBJECT_KIND_ROUTE: sc.GetRoute(),
		quotav1.SubjectKind_SUBJECT_KIND_CREDENTIAL: sc.GetCredential(),
	} {
		if id == "" {
			continue
		}
		bs, err := s.q.ListBudgetsBySubject(ctx, quotadb.ListBudgetsBySubjectParams{SubjectKind: int32(kind), SubjectID: id, Lim: 1000})
		if err != nil {
			return nil, nil, err
		}
		addB(bs...)
		ls, err := s.q.ListRateLimitsBySubject(ctx, quotadb.ListRateLimitsBySubjectParams{SubjectKind: int32(kind), SubjectID: id, Lim: 1000})
		if err != nil {
			return nil, nil, err
		}
		addL(ls...)
	}
	for _, id := range sc.GetBudgetIds() {
		if b, err := s.q.GetBudget(ctx, id); err == nil {
			addB(b)
		} else if !notFound(err) {
			return nil, nil, err
		}
	}
	for _, id := range sc.GetRateLimitIds() {
		if l, err := s.q.GetRateLimit(ctx, id); err == nil {
			addL(l)
		} else if !notFound(err) {
			return nil, nil, err
		}
	}
	slices.SortFunc(budgets, func(a, b quotadb.QuotaBudget) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(limits, func(a, b quotadb.QuotaRateLimit) int { return strings.Compare(a.ID, b.ID) })
	return budgets, limits, nil
}

// Reserve holds a call's worst case against every applicable budget and
// rate limit, or refuses it with a *LimitError. The same idempotency key
// returns the same reservation.
func (s *Store) Reserve(ctx context.Context, req *quotav1.ReserveRequest) (*quotav1.Reservation, error) {
	if r, err := s.q.GetReservationByKey(ctx, req.GetIdempotencyKey()); err == nil {
		return reservationOf(r), nil
	} else if !notFound(err) {
		return nil, err
	}
	budgets, limits, err := s.Applicable(ctx, req.GetScope())
	if err != nil {
		return nil, fmt.Errorf("find limits: %w", err)
	}
	now := s.Now()
	ttl := 10 * time.Minute
	if req.GetTtl() != nil {
		ttl = req.GetTtl().AsDuration()
	}
	scope, err := protojson.Marshal(req.GetScope())
	if err != nil {
		return nil, err
	}
	row := quotadb.QuotaReservation{ID: newID("res_"), IdempotencyKey: req.GetIdempotencyKey(), Scope: string(scope),
		HeldCost: req.GetEstimatedCostMicros(), HeldTokens: req.GetEstimatedTokens(),
		State: int32(quotav1.ReservationState_RESERVATION_STATE_ACTIVE), CreatedAt: micros(now), ExpiresAt: micros(now.Add(ttl))}
	var bids, lids []string
	for _, b := range budgets {
		bids = append(bids, b.ID)
	}
	for _, l := range limits {
		lids = append(lids, l.ID)
	}
	row.BudgetIds, row.RateLimitIds = strings.Join(bids, ","), strings.Join(lids, ",")
	err = s.tx(ctx, func(q *quotadb.Queries) error {
		for _, b := range budgets {
			start, _, err := periodOf(b, now)
			if err != nil {
				return err
			}
			p, err := lockPeriod(ctx, q, b.ID, micros(start), micros(now))
			if err != nil {
				return err
			}
			if rem := b.LimitMicros - p.SpentMicros - p.HeldMicros; rem < row.HeldCost || rem <= 0 {
				return &LimitError{Name: "budget:" + b.ID, Limit: b.LimitMicros, Remaining: rem, Budget: true}
			}
			if err := q.InsertHold(ctx, quotadb.InsertHoldParams{ReservationID: row.ID, BudgetID: b.ID, PeriodStart: micros(start), Amount: row.HeldCost, ExpiresAt: row.ExpiresAt}); err != nil {
				return err
			}
			if err := q.AddBudgetPeriod(ctx, quotadb.AddBudgetPeriodParams{BudgetID: b.ID, PeriodStart: micros(start), HeldDelta: row.HeldCost}); err != nil {
				return err
			}
		}
		start := now.Truncate(time.Minute)
		for _, l := range limits {
			for _, u := range []struct {
				unit  quotav1.LeaseUnit
				name  string
				limit int64
				need  int64
			}{{quotav1.LeaseUnit_LEASE_UNIT_REQUESTS, "rpm:", l.RequestsPerMinute, 1}, {quotav1.LeaseUnit_LEASE_UNIT_TOKENS, "tpm:", l.TokensPerMinute, row.HeldTokens}} {
				if u.limit == 0 {
					continue
				}
				g, err := lockWindow(ctx, q, l.ID, int32(u.unit), micros(start))
				if err != nil {
					return err
				}
				if g+u.need > u.limit {
					return &LimitError{Name: u.name + l.ID, Limit: u.limit, Remaining: u.limit - g, RetryAfter: start.Add(time.Minute).Sub(now)}
				}
				if err := q.AddRateWindow(ctx, quotadb.AddRateWindowParams{RateLimitID: l.ID, Unit: int32(u.unit), WindowStart: micros(start), Delta: u.need}); err != nil {
					return err
				}
			}
		}
		return q.InsertReservation(ctx, quotadb.InsertReservationParams{ID: row.ID, IdempotencyKey: row.IdempotencyKey, Scope: row.Scope,
			HeldCost: row.HeldCost, HeldTokens: row.HeldTokens, BudgetIds: row.BudgetIds, RateLimitIds: row.RateLimitIds,
			CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt})
	})
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			return nil, le
		}
		if errors.Is(storage.MapError(err), storage.ErrConflict) {
			// A concurrent Reserve with the same key won.
			if r, err := s.q.GetReservationByKey(ctx, req.GetIdempotencyKey()); err == nil {
				return reservationOf(r), nil
			}
		}
		return nil, fmt.Errorf("reserve: %w", err)
	}
	return reservationOf(row), nil
}

// Release drops the holds of active reservations; it reports whether the
// reservation was active.
func (s *Store) Release(ctx context.Context, id string) (bool, error) {
	now := s.Now()
	released := false
	err := s.tx(ctx, func(q *quotadb.Queries) error {
		released = false
		r, err := q.LockReservation(ctx, id)
		if notFound(err) {
			return nil
		} else if err != nil {
			return err
		}
		if r.State != int32(quotav1.ReservationState_RESERVATION_STATE_ACTIVE) {
			return nil
		}
		holds, err := q.ReservationHolds(ctx, id)
		if err != nil {
			return err
		}
		for _, h := range holds {
			if _, err := lockPeriod(ctx, q, h.BudgetID, h.PeriodStart, micros(now)); err != nil {
				return err
			}
			if n, err := q.DropHold(ctx, quotadb.DropHoldParams{ReservationID: id, BudgetID: h.BudgetID}); err != nil {
				return err
			} else if n == 1 {
				if err := q.AddBudgetPeriod(ctx, quotadb.AddBudgetPeriodParams{BudgetID: h.BudgetID, PeriodStart: h.PeriodStart, HeldDelta: -h.Amount}); err != nil {
					return err
				}
			}
		}
		state := quotav1.ReservationState_RESERVATION_STATE_RELEASED
		if micros(now) >= r.ExpiresAt {
			state = quotav1.ReservationState_RESERVATION_STATE_EXPIRED
		} else {
			released = true
		}
		return q.SetReservationState(ctx, quotadb.SetReservationStateParams{ID: id, State: int32(state)})
	})
	return released, err
}

func reservationOf(r quotadb.QuotaReservation) *quotav1.Reservation {
	scope := &quotav1.ChargeScope{}
	_ = protojson.Unmarshal([]byte(r.Scope), scope)
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	return &quotav1.Reservation{Id: r.ID, IdempotencyKey: r.IdempotencyKey, Scope: scope, HeldCostMicros: r.HeldCost, HeldTokens: r.HeldTokens,
		BudgetIds: split(r.BudgetIds), RateLimitIds: split(r.RateLimitIds), State: quotav1.ReservationState(r.State),
		CreatedAt: timestamppb.New(fromMicros(r.CreatedAt)), ExpiresAt: timestamppb.New(fromMicros(r.ExpiresAt))}
}

// UsageLine is the ledger summed per hour and attribution.
type UsageLine = quotadb.UsageByHourRow

// Usage sums the ledger per hour and attribution over [start, end).
func (s *Store) Usage(ctx context.Context, start, end time.Time) ([]UsageLine, error) {
	rows, err := s.q.UsageByHour(ctx, quotadb.UsageByHourParams{Start: micros(start), EndBefore: micros(end)})
	if err != nil {
		return nil, fmt.Errorf("sum ledger: %w", err)
	}
	return rows, nil
}

// LedgerTotal is the number of ledger lines and their summed cost.
func (s *Store) LedgerTotal(ctx context.Context) (requests, costMicros int64, err error) {
	r, err := s.q.SumLedger(ctx)
	return r.Requests, r.CostMicros, err
}
