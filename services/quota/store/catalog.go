package store

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/quota/store/internal/quotadb"
)

const priceRevision = "prices"

// PutPrice stores a model's price and bumps the catalog revision.
func (s *Store) PutPrice(ctx context.Context, p *quotav1.Price, by string) (*quotav1.Price, error) {
	now := s.Now()
	err := s.tx(ctx, func(q *quotadb.Queries) error {
		if err := q.UpsertPrice(ctx, quotadb.UpsertPriceParams{
			Model: p.GetModel(), InputPerMtok: p.GetInputPerMtokMicros(), OutputPerMtok: p.GetOutputPerMtokMicros(),
			CachedInputPerMtok: p.GetCachedInputPerMtokMicros(), CacheWritePerMtok: p.GetCacheWritePerMtokMicros(),
			ReasoningPerMtok: p.GetReasoningPerMtokMicros(), UpdatedBy: by, UpdatedAt: micros(now),
		}); err != nil {
			return fmt.Errorf("upsert price: %w", err)
		}
		_, err := q.BumpRevision(ctx, priceRevision)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetPrice(ctx, p.GetModel())
}

// GetPrice returns a model's price or ErrNotFound.
func (s *Store) GetPrice(ctx context.Context, model string) (*quotav1.Price, error) {
	row, err := s.q.GetPrice(ctx, model)
	if err != nil {
		return nil, storage.MapError(err)
	}
	return priceOf(row), nil
}

// ListPrices returns up to limit prices after the given model, by model.
func (s *Store) ListPrices(ctx context.Context, after string, limit int) ([]*quotav1.Price, error) {
	rows, err := s.q.ListPrices(ctx, quotadb.ListPricesParams{After: after, Lim: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list prices: %w", err)
	}
	out := make([]*quotav1.Price, len(rows))
	for i, r := range rows {
		out[i] = priceOf(r)
	}
	return out, nil
}

// Prices returns the whole catalog and its revision, read in one
// transaction so the revision matches.
func (s *Store) Prices(ctx context.Context) ([]*quotav1.Price, int64, error) {
	var (
		out []*quotav1.Price
		rev int64
	)
	err := s.tx(ctx, func(q *quotadb.Queries) error {
		r, err := q.GetRevision(ctx, priceRevision)
		if err != nil && !notFound(err) {
			return err
		}
		rev = r
		rows, err := q.AllPrices(ctx)
		if err != nil {
			return err
		}
		out = make([]*quotav1.Price, len(rows))
		for i, r := range rows {
			out[i] = priceOf(r)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read prices: %w", err)
	}
	return out, rev, nil
}

// PriceRevision is the catalog's revision: it grows with every change.
func (s *Store) PriceRevision(ctx context.Context) (int64, error) {
	r, err := s.q.GetRevision(ctx, priceRevision)
	if notFound(err) {
		return 0, nil
	}
	return r, err
}

// DeletePrice removes a model's price, or fails with ErrNotFound (changing
// nothing, not even the catalog revision) when it has none.
func (s *Store) DeletePrice(ctx context.Context, model string) error {
	return s.tx(ctx, func(q *quotadb.Queries) error {
		n, err := q.DeletePrice(ctx, model)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		_, err = q.BumpRevision(ctx, priceRevision)
		return err
	})
}

func priceOf(r quotadb.QuotaPrice) *quotav1.Price {
	return &quotav1.Price{
		Model: r.Model, InputPerMtokMicros: r.InputPerMtok, OutputPerMtokMicros: r.OutputPerMtok,
		CachedInputPerMtokMicros: r.CachedInputPerMtok, CacheWritePerMtokMicros: r.CacheWritePerMtok,
		ReasoningPerMtokMicros: r.ReasoningPerMtok, UpdatedBy: r.UpdatedBy, UpdatedAt: ts(r.UpdatedAt),
	}
}

func ts(us int64) *timestamppb.Timestamp {
	if us == 0 {
		return nil
	}
	return timestamppb.New(fromMicros(us))
}

// PutBudget creates or replaces a budget. Changing a budget's period (or
// time zone) starts a new period now for lifetime budgets.
func (s *Store) PutBudget(ctx context.Context, b *quotav1.Budget, by string) (*quotav1.Budget, error) {
	if _, err := location(b.GetTimeZone()); err != nil {
		return nil, err
	}
	now := s.Now()
	err := s.tx(ctx, func(q *quotadb.Queries) error {
		anchor := micros(now)
		if old, err := q.GetBudget(ctx, b.GetId()); err == nil && old.Period == int32(b.GetPeriod()) {
			anchor = old.PeriodAnchor
		}
		th := make([]string, len(b.GetAlertThresholdsPercent()))
		for i, t := range b.GetAlertThresholdsPercent() {
			th[i] = strconv.FormatUint(uint64(t), 10)
		}
		return q.UpsertBudget(ctx, quotadb.UpsertBudgetParams{
			ID: b.GetId(), SubjectKind: int32(b.GetSubject().GetKind()), SubjectID: b.GetSubject().GetId(),
			Period: int32(b.GetPeriod()), LimitMicros: b.GetLimitMicros(), AlertThresholds: strings.Join(th, ","),
			TimeZone: b.GetTimeZone(), Description: b.GetDescription(), UpdatedBy: by, Now: micros(now), PeriodAnchor: anchor,
		})
	})
	if err != nil {
		return nil, fmt.Errorf("put budget: %w", err)
	}
	return s.GetBudget(ctx, b.GetId())
}

// GetBudget returns a budget with its current-period status.
func (s *Store) GetBudget(ctx context.Context, id string) (*quotav1.Budget, error) {
	row, err := s.q.GetBudget(ctx, id)
	if err != nil {
		return nil, storage.MapError(err)
	}
	return s.withStatus(ctx, row)
}

// ListBudgets returns up to limit budgets after the given id, optionally
// only those of one subject.
func (s *Store) ListBudgets(ctx context.Context, subject *quotav1.Subject, after string, limit int) ([]*quotav1.Budget, error) {
	var (
		rows []quotadb.QuotaBudget
		err  error
	)
	if subject != nil {
		rows, err = s.q.ListBudgetsBySubject(ctx, quotadb.ListBudgetsBySubjectParams{SubjectKind: int32(subject.GetKind()), SubjectID: subject.GetId(), After: after, Lim: int32(limit)})
	} else {
		rows, err = s.q.ListBudgets(ctx, quotadb.ListBudgetsParams{After: after, Lim: int32(limit)})
	}
	if err != nil {
		return nil, fmt.Errorf("list budgets: %w", err)
	}
	out := make([]*quotav1.Budget, 0, len(rows))
	for _, r := range rows {
		b, err := s.withStatus(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// DeleteBudget removes a budget, or fails with ErrNotFound when there is
// none; its leases die at their next renewal.
func (s *Store) DeleteBudget(ctx context.Context, id string) error {
	return deleted(s.q.DeleteBudget(ctx, id))
}

// withStatus adds the current period's status, dropping expired holds first.
func (s *Store) withStatus(ctx context.Context, row quotadb.QuotaBudget) (*quotav1.Budget, error) {
	b := budgetOf(row)
	now := s.Now()
	start, end, err := periodOf(row, now)
	if err != nil {
		return nil, err
	}
	var p quotadb.LockBudgetPeriodRow
	err = s.tx(ctx, func(q *quotadb.Queries) error {
		var err error
		p, err = lockPeriod(ctx, q, row.ID, micros(start), micros(now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("budget status: %w", err)
	}
	b.Status = &quotav1.BudgetStatus{
		PeriodStart: timestamppb.New(start), SpentMicros: p.SpentMicros, HeldMicros: p.HeldMicros,
		RemainingMicros: row.LimitMicros - p.SpentMicros - p.HeldMicros,
	}
	if !end.IsZero() {
		b.Status.PeriodEnd = timestamppb.New(end)
	}
	return b, nil
}

func budgetOf(r quotadb.QuotaBudget) *quotav1.Budget {
	b := &quotav1.Budget{
		Id: r.ID, Period: quotav1.BudgetPeriod(r.Period), LimitMicros: r.LimitMicros, TimeZone: r.TimeZone,
		Description: r.Description, UpdatedBy: r.UpdatedBy, CreatedAt: ts(r.CreatedAt), UpdatedAt: ts(r.UpdatedAt),
		AlertThresholdsPercent: thresholds(r.AlertThresholds),
	}
	if r.SubjectKind != 0 {
		b.Subject = &quotav1.Subject{Kind: quotav1.SubjectKind(r.SubjectKind), Id: r.SubjectID}
	}
	return b
}

func thresholds(csv string) []uint32 {
	var out []uint32
	for _, f := range strings.Split(csv, ",") {
		if n, err := strconv.ParseUint(f, 10, 32); err == nil {
			out = append(out, uint32(n))
		}
	}
	slices.Sort(out)
	return out
}

// periodOf is the budget period containing now: [start, end), end zero for
// lifetime budgets. Calendar periods follow the budget's time zone (UTC by
// default); weeks start on Monday.
func periodOf(b quotadb.QuotaBudget, now time.Time) (start, end time.Time, err error) {
	loc, err := location(b.TimeZone)
	if err != nil {
		return start, end, err
	}
	t := now.In(loc)
	y, m, d := t.Date()
	switch quotav1.BudgetPeriod(b.Period) {
	case quotav1.BudgetPeriod_BUDGET_PERIOD_DAILY:
		start = time.Date(y, m, d, 0, 0, 0, 0, loc)
		end = start.AddDate(0, 0, 1)
	case quotav1.BudgetPeriod_BUDGET_PERIOD_WEEKLY:
		start = time.Date(y, m, d-(int(t.Weekday())+6)%7, 0, 0, 0, 0, loc)
		end = start.AddDate(0, 0, 7)
	case quotav1.BudgetPeriod_BUDGET_PERIOD_MONTHLY:
		start = time.Date(y, m, 1, 0, 0, 0, 0, loc)
		end = start.AddDate(0, 1, 0)
	default:
		return fromMicros(b.PeriodAnchor), time.Time{}, nil
	}
	return start.UTC(), end.UTC(), nil
}

// PeriodOf exposes periodOf for a stored budget (tests, reports).
func PeriodOf(b *quotav1.Budget, anchor, now time.Time) (start, end time.Time, err error) {
	return periodOf(quotadb.QuotaBudget{Period: int32(b.GetPeriod()), TimeZone: b.GetTimeZone(), PeriodAnchor: micros(anchor)}, now)
}

func location(tz string) (*time.Location, error) {
	if tz == "" || tz == "UTC" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("%w: unknown time zone %q", ErrInvalid, tz)
	}
	return loc, nil
}

// ErrInvalid marks a request the store cannot apply (e.g. an unknown time
// zone).
var ErrInvalid = fmt.Errorf("invalid")

// PutRateLimit creates or replaces a rate limit.
func (s *Store) PutRateLimit(ctx context.Context, l *quotav1.RateLimit, by string) (*quotav1.RateLimit, error) {
	err := s.q.UpsertRateLimit(ctx, quotadb.UpsertRateLimitParams{
		ID: l.GetId(), SubjectKind: int32(l.GetSubject().GetKind()), SubjectID: l.GetSubject().GetId(),
		RequestsPerMinute: l.GetRequestsPerMinute(), TokensPerMinute: l.GetTokensPerMinute(),
		Description: l.GetDescription(), UpdatedBy: by, Now: micros(s.Now()),
	})
	if err != nil {
		return nil, fmt.Errorf("put rate limit: %w", err)
	}
	row, err := s.q.GetRateLimit(ctx, l.GetId())
	if err != nil {
		return nil, storage.MapError(err)
	}
	return rateLimitOf(row), nil
}

// ListRateLimits returns up to limit rate limits after the given id.
func (s *Store) ListRateLimits(ctx context.Context, subject *quotav1.Subject, after string, limit int) ([]*quotav1.RateLimit, error) {
	var (
		rows []quotadb.QuotaRateLimit
		err  error
	)
	if subject != nil {
		rows, err = s.q.ListRateLimitsBySubject(ctx, quotadb.ListRateLimitsBySubjectParams{SubjectKind: int32(subject.GetKind()), SubjectID: subject.GetId(), After: after, Lim: int32(limit)})
	} else {
		rows, err = s.q.ListRateLimits(ctx, quotadb.ListRateLimitsParams{After: after, Lim: int32(limit)})
	}
	if err != nil {
		return nil, fmt.Errorf("list rate limits: %w", err)
	}
	out := make([]*quotav1.RateLimit, len(rows))
	for i, r := range rows {
		out[i] = rateLimitOf(r)
	}
	return out, nil
}

// DeleteRateLimit removes a rate limit, or fails with ErrNotFound when
// there is none.
func (s *Store) DeleteRateLimit(ctx context.Context, id string) error {
	return deleted(s.q.DeleteRateLimit(ctx, id))
}

// deleted is the outcome of a DELETE that affected n rows.
func deleted(n int64, err error) error {
	switch {
	case err != nil:
		return err
	case n == 0:
		return ErrNotFound
	}
	return nil
}

func rateLimitOf(r quotadb.QuotaRateLimit) *quotav1.RateLimit {
	l := &quotav1.RateLimit{
		Id: r.ID, RequestsPerMinute: r.RequestsPerMinute, TokensPerMinute: r.TokensPerMinute,
		Description: r.Description, UpdatedBy: r.UpdatedBy, CreatedAt: ts(r.CreatedAt), UpdatedAt: ts(r.UpdatedAt),
	}
	if r.SubjectKind != 0 {
		l.Subject = &quotav1.Subject{Kind: quotav1.SubjectKind(r.SubjectKind), Id: r.SubjectID}
	}
	return l
}

// ListAlerts returns fired alerts newest first, after the (fired, id)
// cursor; a zero cursor starts at the newest.
func (s *Store) ListAlerts(ctx context.Context, budgetID string, subject *quotav1.Subject, from, to time.Time, beforeFired int64, beforeID string, limit int) ([]*quotav1.BudgetAlert, error) {
	if beforeFired == 0 {
		beforeFired = math.MaxInt64
	}
	toUs := int64(math.MaxInt64)
	if !to.IsZero() {
		toUs = micros(to)
	}
	rows, err := s.q.ListAlerts(ctx, quotadb.ListAlertsParams{
		BudgetID: budgetID, SubjectKind: int32(subject.GetKind()), SubjectID: subject.GetId(),
		FiredFrom: micros(from), FiredTo: toUs, BeforeFired: beforeFired, BeforeID: beforeID, Lim: int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	out := make([]*quotav1.BudgetAlert, len(rows))
	for i, r := range rows {
		a := &quotav1.BudgetAlert{
			Id: r.ID, BudgetId: r.BudgetID, ThresholdPercent: uint32(r.ThresholdPercent), PeriodStart: ts(r.PeriodStart),
			SpentMicros: r.SpentMicros, LimitMicros: r.LimitMicros, FiredAt: ts(r.FiredAt),
		}
		if r.SubjectKind != 0 {
			a.Subject = &quotav1.Subject{Kind: quotav1.SubjectKind(r.SubjectKind), Id: r.SubjectID}
		}
		out[i] = a
	}
	return out, nil
}
