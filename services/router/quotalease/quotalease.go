// Package quotalease admits router calls against budgets and rate limits
// from leases: slices of each budget and limit that the quota service
// grants this replica. A call is admitted in memory when every lease that
// applies to it has room for its worst case; the actual usage is settled
// locally when the call ends and reported to the quota service in batches.
// RPCs happen only when a target or an unpriced model is first seen, when
// a lease runs short or needs renewing, and when settlements are flushed —
// never once per call. See docs/QUOTA.md for the overspend bound.
package quotalease

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/dial"
	"github.com/manifoldgw/manifold/services/router"
)

// Unmetered is the lease id of settlements of calls no budget or rate
// limit applied to: they reach the ledger (and reports) without drawing
// from any lease.
const Unmetered = "unmetered"

// Config tunes the admission.
type Config struct {
	// ReplicaID names this router replica to the quota service; unique
	// among replicas and stable for the process's life.
	ReplicaID string
	// SettleEvery is how often pending settlements are sent.
	SettleEvery time.Duration
	// SettleBatch is the most settlements per Settle call.
	SettleBatch int
	// Backoff is how long an exhausted lease refuses calls locally before
	// asking the quota service again.
	Backoff time.Duration
	// FailOpen admits calls unmetered when the quota service cannot
	// confirm them (QUOTA_UNCONFIRMED); false refuses them.
	FailOpen bool
	// SpoolDir, when set, keeps the settlements the quota service could
	// not take at shutdown (and those of calls ending after it) in a file,
	// sent when a replica next runs with the same directory. Empty: they
	// are logged and lost.
	SpoolDir string
}

// DefaultConfig returns the defaults for replica id.
func DefaultConfig(replica string) Config {
	return Config{ReplicaID: replica, SettleEvery: 100 * time.Millisecond, SettleBatch: 500, Backoff: 250 * time.Millisecond}
}

// Admission implements router.Admission from leases.
type Admission struct {
	client quotav1connect.QuotaServiceClient
	cfg    Config
	logger *slog.Logger
	now    func() time.Time

	mu      sync.Mutex
	targets map[targetKey]*target
	prices  map[string]*quotav1.Price
	// looked is when a model missing from prices was last looked up, so
	// a model is looked up once (per recheck) rather than per call.
	looked map[string]time.Time

	settleMu sync.Mutex // serialises flushes
	pendMu   sync.Mutex
	pending  []*quotav1.Settlement
	closed   bool // after Close, settlements are sent one by one or spooled
	// spooled is true while spool files of earlier runs wait to be sent.
	spooled bool
}

// New returns an admission that reaches the quota service at target.
func New(to dial.Target, cfg Config, logger *slog.Logger) *Admission {
	return &Admission{
		client:  quotav1connect.NewQuotaServiceClient(to.Client, to.BaseURL),
		cfg:     cfg,
		logger:  logger,
		now:     time.Now,
		targets: map[targetKey]*target{},
		prices:  map[string]*quotav1.Price{},
		looked:  map[string]time.Time{},
	}
}

// target is one AcquireLease target (a subject, a budget or a rate limit)
// and the leases it yielded.
type target struct {
	req       *quotav1.AcquireLeaseRequest
	load      sync.Mutex // one acquisition at a time
	loaded    bool
	leases    []*lease
	recheckAt time.Time
}

// lease is this replica's view of one granted lease. Fields other than
// id, name and unit are guarded by Admission.mu.
type lease struct {
	id   string
	name string // "budget:<id>", "rpm:<id>" or "tpm:<id>"
	unit quotav1.LeaseUnit

	granted, used    int64 // cumulative; used counts holds and settled spend
	spent            int64 // cumulative settled spend only (no holds)
	recent           int64 // admitted since the last renewal, for demand
	limit, remaining int64
	expiresAt        time.Time
	windowEnd        time.Time
	dead             bool
	exhaustedUntil   time.Time
	renew            sync.Mutex // one renewal at a time
}

// need is what a call holds of each unit.
type need struct{ cost, tokens int64 }

func (n need) of(u quotav1.LeaseUnit) int64 {
	switch u {
	case quotav1.LeaseUnit_LEASE_UNIT_COST_MICROS:
		return n.cost
	case quotav1.LeaseUnit_LEASE_UNIT_TOKENS:
		return n.tokens
	}
	return 1
}

// usable reports whether l may admit calls at now.
func (l *lease) usable(now time.Time) bool {
	return !l.dead && now.Before(l.expiresAt) && (l.windowEnd.IsZero() || now.Before(l.windowEnd))
}

// reported is the cumulative spending told to the quota service. For a
// budget it is settled spend only: the service keeps the largest value it
// was told, and a hold that later settles for less must not stay counted.
// For a rate limit it includes holds, so calls in flight are not handed
// to other replicas; the window ends within a minute anyway.
func (l *lease) reported() int64 {
	if l.unit == quotav1.LeaseUnit_LEASE_UNIT_COST_MICROS {
		return max(l.spent, 0)
	}
	return max(l.used, 0)
}

// holds is what calls in flight hold of l.
func (l *lease) holds() int64 { return max(l.used-l.spent, 0) }

// want is the demand for l's next grant: headroom d for coming calls,
// capped at a quarter of the limit so one replica does not take the
// whole source, yet never less than the call at hand (n) needs; plus what
// calls in flight hold, which the service counts as unspent grant.
func (l *lease) want(d, n int64) int64 {
	return max(min(d, (l.limit+3)/4), n) + l.holds()
}

// fits reports whether l has room for n; a budget lease with nothing left
// refuses even calls estimated at zero.
func (l *lease) fits(n need) bool {
	avail := l.granted - l.used
	return avail >= n.of(l.unit) && (l.unit != quotav1.LeaseUnit_LEASE_UNIT_COST_MICROS || avail > 0)
}

// Admit reserves the call's worst case from local leases.
func (a *Admission) Admit(ctx context.Context, call *router.CallInfo) (router.Ticket, error) {
	t, err := a.admit(ctx, call)
	if err != nil && a.cfg.FailOpen && apierror.As(err).Class == mcpv1.ErrorClass_ERROR_CLASS_QUOTA_UNCONFIRMED {
		// Fail open: admitted without leases; the settlement still reaches
		// the ledger (or the spool) when the call ends.
		a.logger.Warn("quota unconfirmed: call admitted unmetered (quota.fail-open)", "call", call.ID, "error", err)
		return &ticket{a: a, info: call}, nil
	}
	return t, err
}

func (a *Admission) admit(ctx context.Context, call *router.CallInfo) (router.Ticket, error) {
	if err := a.lookUpPrice(ctx, call.Model); err != nil {
		return nil, err
	}
	n := need{cost: a.estimate(call), tokens: call.EstimatedInputTokens + call.MaxOutputTokens}
	leases, err := a.hold(ctx, a.targetsOf(call), n, call)
	if err != nil {
		return nil, err
	}
	return &ticket{a: a, info: call, need: n, leases: leases}, nil
}

// AdmitAttempt admits one upstream attempt on a provider credential against
// the credential's own rate limits (requests and tokens per minute, to stay
// under the provider's limits for that key); release ends the attempt. A
// credential without limits is admitted at once, without an RPC once known.
func (a *Admission) AdmitAttempt(ctx context.Context, credential string, tokens int64) (release func(), err error) {
	k := targetKey{int32(quotav1.SubjectKind_SUBJECT_KIND_CREDENTIAL), credential}
	a.mu.Lock()
	t, ok := a.targets[k]
	if !ok {
		t = &target{req: acquireRequest(k)}
		a.targets[k] = t
	}
	a.mu.Unlock()
	n := need{tokens: tokens}
	leases, err := a.hold(ctx, []*target{t}, n, nil)
	if err != nil {
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			defer a.mu.Unlock()
			for _, l := range leases {
				switch l.unit {
				case quotav1.LeaseUnit_LEASE_UNIT_TOKENS:
					l.spent += n.tokens
				case quotav1.LeaseUnit_LEASE_UNIT_REQUESTS:
					l.spent++
				}
			}
		})
	}, nil
}

// hold reserves n on every lease of ts, topping leases up from the quota
// service when they run short, and returns the leases drawn from. A call
// (nil for an attempt on a credential) larger than a whole limit is
// refused at once, without asking for a grant it could never use.
func (a *Admission) hold(ctx context.Context, ts []*target, n need, call *router.CallInfo) ([]*lease, error) {
	var short *lease
	for range 4 {
		leases, err := a.leasesOf(ctx, ts)
		if err != nil {
			return nil, err
		}
		now := a.now()
		a.mu.Lock()
		short = nil
		for _, l := range leases {
			if !l.usable(now) || !l.fits(n) {
				short = l
				break
			}
		}
		if short == nil {
			for _, l := range leases {
				l.used += n.of(l.unit)
				l.recent += n.of(l.unit)
			}
			a.mu.Unlock()
			return leases, nil
		}
		if call != nil && short.usable(now) && n.of(short.unit) > short.limit {
			err := tooLarge(short, n, call)
			a.mu.Unlock()
			return nil, err
		}
		backingOff := short.usable(now) && now.Before(short.exhaustedUntil)
		a.mu.Unlock()
		if backingOff {
			return nil, a.refusal(short)
		}
		if err := a.topUp(ctx, short, n); err != nil {
			return nil, err
		}
	}
	return nil, a.refusal(short)
}

// refusal is the error for a call l has no room for.
func (a *Admission) refusal(l *lease) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := &apierror.Error{LimitName: l.name, LimitValue: l.limit, LimitRemaining: max(l.remaining, 0)}
	if l.unit == quotav1.LeaseUnit_LEASE_UNIT_COST_MICROS {
		e.Class = mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED
		e.Message = fmt.Sprintf("%s is exhausted: the call's worst-case cost does not fit in what is left of the %d micro-dollar limit", l.name, l.limit)
		if !l.windowEnd.IsZero() {
			e.RetryAfter = l.windowEnd.Sub(a.now())
		}
		return e
	}
	e.Class = mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED
	what := "requests"
	if l.unit == quotav1.LeaseUnit_LEASE_UNIT_TOKENS {
		what = "tokens"
	}
	e.Message = fmt.Sprintf("%s is exceeded: limit %d %s per minute", l.name, l.limit, what)
	e.RetryAfter = max(l.windowEnd.Sub(a.now()), time.Second)
	return e
}

// tooLarge is the error for a call whose worst case is more than l's
// whole limit (not just what is left of it): it would be refused in every
// window or period, so it is an invalid request naming what the caller
// can lower, without retry-after. a.mu must be held.
func tooLarge(l *lease, n need, call *router.CallInfo) error {
	_, id, _ := strings.Cut(l.name, ":")
	e := &apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_INVALID_REQUEST, Field: "request.sampling.max_output_tokens",
		LimitName: l.name, LimitValue: l.limit}
	in, out := call.EstimatedInputTokens, call.MaxOutputTokens
	if l.unit == quotav1.LeaseUnit_LEASE_UNIT_COST_MICROS {
		e.Message = fmt.Sprintf("the request may cost up to %d micro-dollars (about %d input and up to %d output tokens), more than budget %s allows in a whole period (%d micro-dollars); set a lower request.sampling.max_output_tokens",
			n.cost, in, out, id, l.limit)
		return e
	}
	e.Message = fmt.Sprintf("the request may use up to %d tokens (about %d input and up to %d output), more than rate limit %s allows (%d tokens per minute)",
		n.tokens, in, out, id, l.limit)
	if fit := l.limit - in; fit > 0 {
		e.Message += fmt.Sprintf("; set request.sampling.max_output_tokens to at most %d", fit)
	} else {
		e.Field = "request.messages"
		e.Message += "; the input alone does not fit"
	}
	return e
}

// unconfirmed is the error when the quota service cannot be reached: the
// call is refused rather than admitted unmetered.
func unconfirmed(err error) error {
	return &apierror.Error{Class: mcpv1.ErrorClass_ERROR_CLASS_QUOTA_UNCONFIRMED, Message: "quota could not be confirmed; retry shortly", Cause: err}
}

// topUp renews l with a demand sized for n and recent use; a lease that
// has ended is marked dead so its target is acquired anew.
func (a *Admission) topUp(ctx context.Context, l *lease, n need) error {
	l.renew.Lock()
	defer l.renew.Unlock()
	now := a.now()
	a.mu.Lock()
	if !l.usable(now) {
		l.dead = true
		a.mu.Unlock()
		return nil
	}
	if l.fits(n) { // another call renewed it meanwhile
		a.mu.Unlock()
		return nil
	}
	// The service sizes the top-up as demand less the unspent grant, and
	// does not know the holds: they are added to the demand.
	spent, d := l.reported(), l.want(max(4*n.of(l.unit), 2*l.recent), n.of(l.unit))
	a.mu.Unlock()
	res, err := a.client.RenewLease(ctx, connect.NewRequest(&quotav1.RenewLeaseRequest{LeaseId: l.id, ReplicaId: a.cfg.ReplicaID, Spent: spent, Demand: demand(l.unit, d)}))
	a.mu.Lock()
	defer a.mu.Unlock()
	if connect.CodeOf(err) == connect.CodeNotFound {
		l.dead = true
		return nil
	}
	if err != nil {
		return unconfirmed(err)
	}
	a.apply(l, res.Msg.GetLease())
	if !l.fits(n) {
		l.exhaustedUntil = a.now().Add(a.cfg.Backoff)
	}
	return nil
}

func demand(u quotav1.LeaseUnit, n int64) *quotav1.LeaseDemand {
	switch u {
	case quotav1.LeaseUnit_LEASE_UNIT_COST_MICROS:
		return &quotav1.LeaseDemand{CostMicros: n}
	case quotav1.LeaseUnit_LEASE_UNIT_TOKENS:
		return &quotav1.LeaseDemand{Tokens: n}
	}
	return &quotav1.LeaseDemand{Requests: n}
}

// apply takes a granted lease's numbers; a.mu must be held.
func (a *Admission) apply(l *lease, g *quotav1.Lease) {
	l.granted, l.limit, l.remaining, l.recent = g.GetGranted(), g.GetLimit(), g.GetRemaining(), 0
	l.expiresAt = g.GetExpiresAt().AsTime()
	l.windowEnd = time.Time{}
	if g.GetWindowEnd() != nil {
		l.windowEnd = g.GetWindowEnd().AsTime()
	}
}

// targetKey names a lease target: a subject (kind and id), a budget id
// (kind -1) or a rate limit id (kind -2).
type targetKey struct {
	kind int32
	id   string
}

const (
	budgetTarget    = -1
	rateLimitTarget = -2
)

// targetsOf lists the lease targets that apply to a call: its key, team,
// project and route as subjects, and the budgets and limits its key links.
// Known targets are found without allocating; new ones are created.
func (a *Admission) targetsOf(call *router.CallInfo) []*target {
	c := call.Caller
	keys := make([]targetKey, 0, 8)
	subject := func(k quotav1.SubjectKind, id string) {
		if id != "" {
			keys = append(keys, targetKey{int32(k), id})
		}
	}
	if c != nil {
		subject(quotav1.SubjectKind_SUBJECT_KIND_VIRTUAL_KEY, c.KeyID)
		subject(quotav1.SubjectKind_SUBJECT_KIND_TEAM, c.Team)
		subject(quotav1.SubjectKind_SUBJECT_KIND_PROJECT, c.Project)
	}
	subject(quotav1.SubjectKind_SUBJECT_KIND_ROUTE, call.Route)
	if c != nil {
		for _, id := range c.BudgetIDs {
			keys = append(keys, targetKey{budgetTarget, id})
		}
		for _, id := range c.RateLimitIDs {
			keys = append(keys, targetKey{rateLimitTarget, id})
		}
	}
	out := make([]*target, 0, len(keys))
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, k := range keys {
		t, ok := a.targets[k]
		if !ok {
			t = &target{req: acquireRequest(k)}
			a.targets[k] = t
		}
		out = append(out, t)
	}
	return out
}

// acquireRequest is the AcquireLease request of a target.
func acquireRequest(k targetKey) *quotav1.AcquireLeaseRequest {
	switch k.kind {
	case budgetTarget:
		return &quotav1.AcquireLeaseRequest{Target: &quotav1.AcquireLeaseRequest_BudgetId{BudgetId: k.id}}
	case rateLimitTarget:
		return &quotav1.AcquireLeaseRequest{Target: &quotav1.AcquireLeaseRequest_RateLimitId{RateLimitId: k.id}}
	}
	return &quotav1.AcquireLeaseRequest{Target: &quotav1.AcquireLeaseRequest_Subject{Subject: &quotav1.Subject{Kind: quotav1.SubjectKind(k.kind), Id: k.id}}}
}

// leasesOf returns the leases of ts, acquiring for targets never loaded,
// due for their recheck (so budgets and rate limits created, changed or
// deleted since are followed within quota.lease-ttl, also on targets
// whose leases stay live), or holding a lease that has ended. A lease shared by
// two targets (a key's budget also linked by id) appears once.
func (a *Admission) leasesOf(ctx context.Context, ts []*target) ([]*lease, error) {
	var out []*lease
	for _, t := range ts {
		if a.stale(t) {
			if err := a.acquire(ctx, t); err != nil {
				return nil, err
			}
		}
		a.mu.Lock()
		for _, l := range t.leases {
			if !slices.ContainsFunc(out, func(o *lease) bool { return o.name == l.name }) {
				out = append(out, l)
			}
		}
		a.mu.Unlock()
	}
	return out, nil
}

func (a *Admission) stale(t *target) bool {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if !t.loaded || !now.Before(t.recheckAt) {
		return true
	}
	for _, l := range t.leases {
		if !l.usable(now) {
			return true
		}
	}
	return false
}

// acquire replaces t's ended leases with fresh grants, takes leases of
// budgets and limits created since, and returns those of budgets and
// limits that no longer apply.
func (a *Admission) acquire(ctx context.Context, t *target) error {
	t.load.Lock()
	defer t.load.Unlock()
	if !a.stale(t) { // another call acquired meanwhile
		return nil
	}
	req := proto.CloneOf(t.req)
	req.ReplicaId = a.cfg.ReplicaID
	// Ended leases of this target size the new grants from their recent
	// use; a first acquisition (or a recheck of live leases, whose new
	// grants are returned) takes the service's smallest grant.
	req.Demand = &quotav1.LeaseDemand{}
	now := a.now()
	a.mu.Lock()
	for _, l := range t.leases {
		if l.usable(now) {
			continue
		}
		d := min(2*l.recent, (l.limit+3)/4)
		switch l.unit {
		case quotav1.LeaseUnit_LEASE_UNIT_COST_MICROS:
			req.Demand.CostMicros = max(req.Demand.CostMicros, d)
		case quotav1.LeaseUnit_LEASE_UNIT_TOKENS:
			req.Demand.Tokens = max(req.Demand.Tokens, d)
		default:
			req.Demand.Requests = max(req.Demand.Requests, d)
		}
	}
	live := t.loaded && len(t.leases) > 0 && !slices.ContainsFunc(t.leases, func(l *lease) bool { return !l.usable(now) })
	a.mu.Unlock()
	res, err := a.client.AcquireLease(ctx, connect.NewRequest(req))
	if err != nil && live {
		// Only the recheck was due: the live leases keep admitting calls
		// (as they would without a recheck) until the service answers.
		a.logger.Warn("recheck of quota leases failed; retrying shortly", "err", err)
		a.mu.Lock()
		t.recheckAt = now.Add(recheckRetry)
		a.mu.Unlock()
		return nil
	}
	if err != nil {
		return unconfirmed(err)
	}
	now = a.now()
	type giving struct {
		id    string
		spent int64
	}
	var back []giving
	defer func() {
		for _, g := range back {
			a.giveBack(ctx, g.id, g.spent)
		}
	}()
	a.mu.Lock()
	defer a.mu.Unlock()
	old := map[string]*lease{}
	for _, l := range t.leases {
		old[l.name] = l
	}
	var leases []*lease
	for _, g := range res.Msg.GetLeases() {
		name := "budget:" + g.GetBudgetId()
		switch g.GetUnit() {
		case quotav1.LeaseUnit_LEASE_UNIT_REQUESTS:
			name = "rpm:" + g.GetRateLimitId()
		case quotav1.LeaseUnit_LEASE_UNIT_TOKENS:
			name = "tpm:" + g.GetRateLimitId()
		}
		// A live lease of the same source stays, with the source's
		// current limit; the new grant is returned at once so it does
		// not sit held.
		if l, ok := old[name]; ok && l.usable(now) {
			delete(old, name)
			l.limit = g.GetLimit()
			back = append(back, giving{g.GetId(), 0})
			leases = append(leases, l)
			continue
		}
		l := &lease{id: g.GetId(), name: name, unit: g.GetUnit()}
		a.apply(l, g)
		leases = append(leases, l)
	}
	// Live leases of sources that no longer apply (deleted, or moved to
	// another subject) are returned, so they stop admitting calls here
	// and holding part of their source.
	for _, l := range old {
		if l.usable(now) {
			l.dead = true
			back = append(back, giving{l.id, l.reported()})
		}
	}
	t.leases, t.loaded = leases, true
	t.recheckAt = now.Add(30 * time.Second)
	if r := res.Msg.GetRecheckAt(); r != nil {
		t.recheckAt = r.AsTime()
	}
	return nil
}

// recheckRetry is how soon a target whose recheck failed is rechecked
// again while its live leases keep admitting calls.
const recheckRetry = time.Second

// giveBack returns a lease (synchronously, so its grant stops holding
// before the caller goes on).
func (a *Admission) giveBack(ctx context.Context, id string, spent int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := a.client.ReturnLease(ctx, connect.NewRequest(&quotav1.ReturnLeaseRequest{LeaseId: id, ReplicaId: a.cfg.ReplicaID, Spent: spent})); err != nil {
		a.logger.Warn("return lease", "lease", id, "err", err)
	}
}

// estimate is the call's worst-case cost: every input token at the
// dearer of the input and cache-write prices, every possible output token
// at the dearer of the output and reasoning prices, rounded up. An
// unpriced model estimates 0 (and settles at the router's catalog price).
func (a *Admission) estimate(call *router.CallInfo) int64 {
	a.mu.Lock()
	p := a.prices[call.Model]
	a.mu.Unlock()
	if p == nil {
		return 0
	}
	in := max(p.GetInputPerMtokMicros(), p.GetCacheWritePerMtokMicros())
	out := max(p.GetOutputPerMtokMicros(), p.GetReasoningPerMtokMicros())
	return (call.EstimatedInputTokens*in + call.MaxOutputTokens*out + 999_999) / 1_000_000
}

// Cost prices usage with the quota catalog's price for model, by the
// formula of quotav1.Price; without a price, the router's own cost.
func (a *Admission) Cost(model string, u *mcpv1.Usage) int64 {
	a.mu.Lock()
	p := a.prices[model]
	a.mu.Unlock()
	if p == nil {
		return u.GetCostMicros()
	}
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

func scopeOf(call *router.CallInfo) *quotav1.ChargeScope {
	s := &quotav1.ChargeScope{Route: call.Route, Model: call.Model}
	if c := call.Caller; c != nil {
		s.VirtualKeyId, s.Team, s.Project = c.KeyID, c.Team, c.Project
		s.BudgetIds, s.RateLimitIds = c.BudgetIDs, c.RateLimitIDs
	}
	return s
}

// ticket is an admitted call's holds on its leases.
type ticket struct {
	a      *Admission
	once   sync.Once
	info   *router.CallInfo
	need   need
	leases []*lease
}

// Settle replaces the holds by the actual usage (or releases them for nil
// usage) exactly once, and queues the settlement for the quota service.
func (t *ticket) Settle(u *mcpv1.Usage) { t.once.Do(func() { t.a.settle(t, u) }) }

func (a *Admission) settle(t *ticket, u *mcpv1.Usage) {
	if u == nil {
		a.mu.Lock()
		for _, l := range t.leases {
			l.used -= t.need.of(l.unit)
		}
		a.mu.Unlock()
		return
	}
	u = proto.CloneOf(u)
	u.CostMicros = a.Cost(t.info.Model, u)
	if u.TotalTokens == 0 {
		u.TotalTokens = u.InputTokens + u.OutputTokens
	}
	var ids, budgetIDs []string
	a.mu.Lock()
	for _, l := range t.leases {
		switch l.unit {
		case quotav1.LeaseUnit_LEASE_UNIT_COST_MICROS:
			l.used += u.CostMicros - t.need.cost
			l.spent += u.CostMicros
			budgetIDs = append(budgetIDs, l.id)
		case quotav1.LeaseUnit_LEASE_UNIT_TOKENS:
			l.used += u.TotalTokens - t.need.tokens
			l.spent += u.TotalTokens
		default:
			l.spent++
		}
		ids = append(ids, l.id)
	}
	a.mu.Unlock()
	// The quota service counts spend against the budget leases; rate
	// leases are named when there are none, so the line still says where
	// the call drew from.
	switch {
	case len(budgetIDs) > 0:
		ids = budgetIDs
	case len(ids) == 0:
		ids = []string{Unmetered}
	}
	st := &quotav1.Settlement{CallId: t.info.ID, LeaseIds: ids, Scope: scopeOf(t.info), Usage: u, FinishedAt: timestamppb.New(a.now())}
	a.pendMu.Lock()
	if !a.closed {
		a.pending = append(a.pending, st)
		a.pendMu.Unlock()
		return
	}
	a.pendMu.Unlock()
	// A call that ends after Close (one drained at shutdown) is sent on
	// its own, or kept in the spool.
	ctx, cancel := context.WithTimeout(context.Background(), lateSendTimeout)
	defer cancel()
	if err := a.send(ctx, []*quotav1.Settlement{st}); err != nil {
		_ = a.keep([]*quotav1.Settlement{st}, err) // logged
	}
}

// lateSendTimeout bounds sending one settlement after Close.
const lateSendTimeout = 2 * time.Second

// Flush sends every pending settlement now.
func (a *Admission) Flush(ctx context.Context) error {
	a.settleMu.Lock()
	defer a.settleMu.Unlock()
	for {
		a.pendMu.Lock()
		batch := a.pending[:min(len(a.pending), a.cfg.SettleBatch)]
		a.pendMu.Unlock()
		if len(batch) == 0 {
			return nil
		}
		if err := a.send(ctx, batch); err != nil {
			return err
		}
		a.pendMu.Lock()
		a.pending = a.pending[len(batch):]
		a.pendMu.Unlock()
	}
}

// send delivers one batch; a batch the service rejects as invalid is sent
// one by one so a single bad settlement cannot hold the others back.
func (a *Admission) send(ctx context.Context, batch []*quotav1.Settlement) error {
	_, err := a.client.Settle(ctx, connect.NewRequest(&quotav1.SettleRequest{Settlements: batch}))
	if connect.CodeOf(err) != connect.CodeInvalidArgument || len(batch) == 1 {
		if connect.CodeOf(err) == connect.CodeInvalidArgument {
			a.logger.Error("quota refused a settlement; dropped", "call_id", batch[0].GetCallId(), "err", err)
			return nil
		}
		if err != nil {
			return fmt.Errorf("settle %d calls: %w", len(batch), err)
		}
		return nil
	}
	for _, st := range batch {
		if err := a.send(ctx, []*quotav1.Settlement{st}); err != nil {
			return err
		}
	}
	return nil
}

// Run keeps prices fresh, renews budget leases before they expire and
// flushes settlements, until ctx ends; then it flushes and returns every
// lease.
func (a *Admission) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.watchPrices(ctx)
	}()
	tick := time.NewTicker(a.cfg.SettleEvery)
	defer tick.Stop()
	a.spooled = a.cfg.SpoolDir != ""
	for done := false; !done; {
		if a.spooled {
			a.spooled = !a.Resend(ctx)
		}
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
			if err := a.Flush(ctx); err != nil && ctx.Err() == nil {
				a.logger.Warn("flush settlements", "err", err)
			}
			a.renewDue(ctx)
		}
	}
	wg.Wait()
	closeCtx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := a.Close(closeCtx); err != nil {
		a.logger.Warn("close quota leases", "err", err)
	}
}

// renewDue renews budget leases in their last 10 seconds, so calls rarely
// wait for a renewal. A lease that admitted nothing since it was last
// granted and holds no call is returned instead: an idle replica does not
// keep a slice of the budget from the others, and acquires again when a
// call comes.
func (a *Admission) renewDue(ctx context.Context) {
	now := a.now()
	var due, idle []*lease
	a.mu.Lock()
	for _, t := range a.targets {
		for _, l := range t.leases {
			if l.unit != quotav1.LeaseUnit_LEASE_UNIT_COST_MICROS || !l.usable(now) || l.expiresAt.Sub(now) >= 10*time.Second {
				continue
			}
			if l.recent == 0 && l.holds() == 0 {
				idle = append(idle, l)
			} else {
				due = append(due, l)
			}
		}
	}
	a.mu.Unlock()
	for _, l := range due {
		if err := a.renewNow(ctx, l); err != nil && ctx.Err() == nil {
			a.logger.Warn("renew lease", "lease", l.id, "err", err)
		}
	}
	for _, l := range idle {
		a.returnIdle(ctx, l)
	}
}

// returnIdle returns l unless a call came meanwhile.
func (a *Admission) returnIdle(ctx context.Context, l *lease) {
	l.renew.Lock()
	defer l.renew.Unlock()
	a.mu.Lock()
	if l.dead || l.recent != 0 || l.holds() != 0 {
		a.mu.Unlock()
		return
	}
	l.dead = true // the next call acquires a fresh lease
	spent := l.reported()
	a.mu.Unlock()
	a.giveBack(ctx, l.id, spent)
}

func (a *Admission) renewNow(ctx context.Context, l *lease) error {
	l.renew.Lock()
	defer l.renew.Unlock()
	a.mu.Lock()
	spent, d := l.reported(), l.want(2*l.recent, 0)
	a.mu.Unlock()
	res, err := a.client.RenewLease(ctx, connect.NewRequest(&quotav1.RenewLeaseRequest{LeaseId: l.id, ReplicaId: a.cfg.ReplicaID, Spent: spent, Demand: demand(l.unit, d)}))
	a.mu.Lock()
	defer a.mu.Unlock()
	if connect.CodeOf(err) == connect.CodeNotFound {
		l.dead = true
		return nil
	}
	if err != nil {
		return err
	}
	a.apply(l, res.Msg.GetLease())
	return nil
}

// Close flushes pending settlements and returns every lease with its
// final spending. Calls still in flight when it runs settle late: their
// cost still reaches the ledger and the budget, but their holds no longer
// stand against it (docs/QUOTA.md counts this in the overspend bound).
func (a *Admission) Close(ctx context.Context) error {
	ferr := a.Flush(ctx)
	a.pendMu.Lock()
	a.closed = true
	left := a.pending
	a.pending = nil
	a.pendMu.Unlock()
	if len(left) > 0 {
		ferr = a.keep(left, ferr)
	}
	a.mu.Lock()
	type ret struct {
		id    string
		spent int64
	}
	var rets []ret
	for _, t := range a.targets {
		for _, l := range t.leases {
			if !l.dead {
				l.dead = true
				rets = append(rets, ret{l.id, l.reported()})
			}
		}
		t.loaded = false
	}
	a.mu.Unlock()
	var errs []error
	for _, r := range rets {
		if _, err := a.client.ReturnLease(ctx, connect.NewRequest(&quotav1.ReturnLeaseRequest{LeaseId: r.id, ReplicaId: a.cfg.ReplicaID, Spent: r.spent})); err != nil && connect.CodeOf(err) != connect.CodeNotFound {
			errs = append(errs, err)
		}
	}
	return errors.Join(append(errs, ferr)...)
}

// watchPrices follows the quota price catalog, reconnecting after errors.
func (a *Admission) watchPrices(ctx context.Context) {
	var rev int64
	for ctx.Err() == nil {
		stream, err := a.client.WatchPrices(ctx, connect.NewRequest(&quotav1.WatchPricesRequest{AfterRevision: rev}))
		if err == nil {
			for stream.Receive() {
				m := stream.Msg()
				if snap := m.GetSnapshot(); snap != nil {
					prices := make(map[string]*quotav1.Price, len(snap.GetPrices()))
					for _, p := range snap.GetPrices() {
						prices[p.GetModel()] = p
					}
					a.mu.Lock()
					a.prices = prices
					a.mu.Unlock()
				}
				if c := m.GetChange(); c != nil {
					a.mu.Lock()
					if p := c.GetPriceUpserted(); p != nil {
						a.prices[p.GetModel()] = p
					} else {
						delete(a.prices, c.GetPriceDeleted())
					}
					a.mu.Unlock()
				}
				rev = m.GetRevision()
			}
			err = stream.Err()
			_ = stream.Close()
		}
		if ctx.Err() != nil {
			return
		}
		a.logger.Warn("price watch ended; reconnecting", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// lookUpPrice fetches the price of a model the price watch has not
// delivered yet: the first time the model is seen, and again every
// priceRecheck while it has no price. Afterwards the watch keeps it.
func (a *Admission) lookUpPrice(ctx context.Context, model string) error {
	now := a.now()
	a.mu.Lock()
	_, known := a.prices[model]
	last, looked := a.looked[model]
	a.mu.Unlock()
	if known || model == "" || (looked && now.Sub(last) < priceRecheck) {
		return nil
	}
	res, err := a.client.ListPrices(ctx, connect.NewRequest(&quotav1.ListPricesRequest{Models: []string{model}}))
	if err != nil {
		return unconfirmed(err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.looked[model] = now
	for _, p := range res.Msg.GetPrices() {
		if _, ok := a.prices[p.GetModel()]; !ok {
			a.prices[p.GetModel()] = p
		}
	}
	return nil
}

// priceRecheck is how often an unpriced model's price is looked up again
// (the price watch normally delivers it first).
const priceRecheck = 30 * time.Second

// LoadPrices reads the price catalog once (for callers that do not Run
// the watch, and for tests that need prices before the first call).
func (a *Admission) LoadPrices(ctx context.Context) error {
	prices := map[string]*quotav1.Price{}
	token := ""
	for {
		res, err := a.client.ListPrices(ctx, connect.NewRequest(&quotav1.ListPricesRequest{PageSize: 1000, PageToken: token}))
		if err != nil {
			return fmt.Errorf("list prices: %w", err)
		}
		for _, p := range res.Msg.GetPrices() {
			prices[p.GetModel()] = p
		}
		if token = res.Msg.GetNextPageToken(); token == "" {
			break
		}
	}
	a.mu.Lock()
	a.prices = prices
	a.mu.Unlock()
	return nil
}

var _ router.Admission = (*Admission)(nil)

// String names the admission in logs.
func (a *Admission) String() string { return "quotalease(" + strings.TrimSpace(a.cfg.ReplicaID) + ")" }
