// Package quota is the quota service: the price catalog, budgets, rate
// limits, reservations, leases for router replicas, and the spend ledger
// with its usage reports. State lives in quota/store (SQLite or
// PostgreSQL); this package maps the QuotaService contract onto it.
package quota

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"
	"github.com/manifoldgw/manifold/services/internal/access"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/quota/store"
)

// Config is the quota service's configuration.
type Config struct {
	// LeaseTTL is how long a budget lease lives without renewal, and how
	// often routers recheck a target's budgets and rate limits (so how
	// long a change can take to reach them; docs/QUOTA.md).
	LeaseTTL time.Duration
	// WatchPoll is how often a price watch checks for changes.
	WatchPoll time.Duration
	// WatchHeartbeat is how often an idle price watch sends a heartbeat.
	WatchHeartbeat time.Duration
	// Addr is the quota service's address (host:port) for routers running
	// in another process; empty: this process (or Consul in split mode).
	Addr string
	// FailOpen makes routers admit calls unmetered (settled later) when the
	// quota service cannot confirm them beyond their leases; by default
	// they are refused (fail closed).
	FailOpen bool
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{LeaseTTL: 30 * time.Second, WatchPoll: 500 * time.Millisecond, WatchHeartbeat: 5 * time.Second}
}

// RegisterFlags registers the quota.* flags.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.LeaseTTL, "quota.lease-ttl", c.LeaseTTL, "how long a router's budget lease lives without renewal, and how often routers recheck budgets and rate limits")
	fs.DurationVar(&c.WatchPoll, "quota.watch-poll", c.WatchPoll, "how often price watches check for changes")
	fs.DurationVar(&c.WatchHeartbeat, "quota.watch-heartbeat", c.WatchHeartbeat, "how often an idle price watch sends a heartbeat")
	fs.BoolVar(&c.FailOpen, "quota.fail-open", c.FailOpen, "admit calls unmetered when the quota service cannot confirm them beyond the router's leases (default: refuse them with quota_unconfirmed)")
	fs.StringVar(&c.Addr, "quota.addr", c.Addr, "host:port of the quota service for routers in another process (split mode; needs internal-token); empty: this process or Consul")
}

// Validate names the first bad setting.
func (c Config) Validate() error {
	if c.LeaseTTL < time.Second || c.LeaseTTL > 10*time.Minute {
		return fmt.Errorf("invalid quota.lease-ttl %s: want 1s to 10m", c.LeaseTTL)
	}
	if c.WatchPoll < 10*time.Millisecond || c.WatchPoll > 10*time.Second {
		return fmt.Errorf("invalid quota.watch-poll %s: want 10ms to 10s", c.WatchPoll)
	}
	if c.WatchHeartbeat < 100*time.Millisecond || c.WatchHeartbeat > time.Minute {
		return fmt.Errorf("invalid quota.watch-heartbeat %s: want 100ms to 1m", c.WatchHeartbeat)
	}
	if c.Addr != "" {
		if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
			return fmt.Errorf("invalid quota.addr %q: want host:port", c.Addr)
		}
	}
	return nil
}

// Service implements QuotaService.
type Service struct {
	quotav1connect.UnimplementedQuotaServiceHandler

	cfg    Config
	logger *slog.Logger
	store  *store.Store
}

// Open migrates the quota tables on db and returns the service.
func Open(ctx context.Context, cfg Config, db *storage.DB, logger *slog.Logger) (*Service, error) {
	opts := store.DefaultOptions()
	opts.LeaseTTL = cfg.LeaseTTL
	st, err := store.Open(ctx, db, opts)
	if err != nil {
		return nil, fmt.Errorf("open quota store: %w", err)
	}
	return &Service{cfg: cfg, logger: logger, store: st}, nil
}

// Store is the service's state, for tests that move its clock.
func (s *Service) Store() *store.Store { return s.store }

// storeError maps store errors to API errors.
func storeError(err error, what string) error {
	var le *store.LimitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &le):
		return LimitAPIError(le)
	case errors.Is(err, storage.ErrNotFound):
		return apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "%s not found", what)
	case errors.Is(err, store.ErrInvalid):
		return apierror.Invalid("", "%s", err)
	}
	var e *apierror.Error
	if errors.As(err, &e) {
		return e
	}
	return apierror.Internal(err)
}

// LimitAPIError is a refusal in Manifold's error shape: QUOTA_EXCEEDED for
// budgets, RATE_LIMITED for rate limits, with the limit in the detail.
func LimitAPIError(le *store.LimitError) *apierror.Error {
	class := mcpv1.ErrorClass_ERROR_CLASS_RATE_LIMITED
	if le.Budget {
		class = mcpv1.ErrorClass_ERROR_CLASS_QUOTA_EXCEEDED
	}
	return &apierror.Error{Class: class, Message: le.Error(), RetryAfter: le.RetryAfter,
		LimitName: le.Name, LimitValue: le.Limit, LimitRemaining: max(le.Remaining, 0)}
}

func pageSize(n int32) int {
	if n <= 0 {
		return 100
	}
	return int(n)
}

func encodeToken(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeToken(t string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil {
		return "", apierror.Invalid("page_token", "invalid page token")
	}
	return string(b), nil
}

// PutPrice sets a model's price.
func (s *Service) PutPrice(ctx context.Context, req *connect.Request[quotav1.PutPriceRequest]) (*connect.Response[quotav1.PutPriceResponse], error) {
	p, err := s.store.PutPrice(ctx, req.Msg.GetPrice(), access.Author(ctx))
	if err != nil {
		return nil, storeError(err, "price")
	}
	return connect.NewResponse(&quotav1.PutPriceResponse{Price: p}), nil
}

// ListPrices pages through prices by model.
func (s *Service) ListPrices(ctx context.Context, req *connect.Request[quotav1.ListPricesRequest]) (*connect.Response[quotav1.ListPricesResponse], error) {
	m := req.Msg
	if len(m.GetModels()) > 0 {
		out := &quotav1.ListPricesResponse{}
		for _, model := range m.GetModels() {
			p, err := s.store.GetPrice(ctx, model)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			} else if err != nil {
				return nil, storeError(err, "price")
			}
			out.Prices = append(out.Prices, p)
		}
		return connect.NewResponse(out), nil
	}
	after, err := decodeToken(m.GetPageToken())
	if err != nil {
		return nil, err
	}
	n := pageSize(m.GetPageSize())
	prices, err := s.store.ListPrices(ctx, after, n+1)
	if err != nil {
		return nil, storeError(err, "prices")
	}
	out := &quotav1.ListPricesResponse{Prices: prices}
	if len(prices) > n {
		out.Prices = prices[:n]
		out.NextPageToken = encodeToken(prices[n-1].GetModel())
	}
	return connect.NewResponse(out), nil
}

// DeletePrice removes a model's price; NOT_FOUND when it has none.
func (s *Service) DeletePrice(ctx context.Context, req *connect.Request[quotav1.DeletePriceRequest]) (*connect.Response[quotav1.DeletePriceResponse], error) {
	if err := s.store.DeletePrice(ctx, req.Msg.GetModel()); err != nil {
		return nil, storeError(err, fmt.Sprintf("price of model %q", req.Msg.GetModel()))
	}
	return connect.NewResponse(&quotav1.DeletePriceResponse{}), nil
}

// WatchPrices sends the catalog as a snapshot, then a new snapshot after
// every change (changes are rare and the catalog is small), with
// heartbeats in between.
func (s *Service) WatchPrices(ctx context.Context, req *connect.Request[quotav1.WatchPricesRequest], stream *connect.ServerStream[quotav1.WatchPricesResponse]) error {
	sent := int64(-1)
	poll := time.NewTicker(s.cfg.WatchPoll)
	defer poll.Stop()
	lastSend := time.Now()
	for {
		rev, err := s.store.PriceRevision(ctx)
		if err != nil {
			return storeError(err, "prices")
		}
		switch {
		case rev != sent && !(sent < 0 && rev == req.Msg.GetAfterRevision() && rev > 0):
			prices, rev, err := s.store.Prices(ctx)
			if err != nil {
				return storeError(err, "prices")
			}
			if err := stream.Send(&quotav1.WatchPricesResponse{Revision: rev, Event: &quotav1.WatchPricesResponse_Snapshot{
				Snapshot: &quotav1.PriceSnapshot{Prices: prices, Complete: true}}}); err != nil {
				return err
			}
			sent, lastSend = rev, time.Now()
		case sent < 0:
			sent = rev // the watcher is up to date
		case time.Since(lastSend) >= s.cfg.WatchHeartbeat:
			if err := stream.Send(&quotav1.WatchPricesResponse{Revision: sent, Event: &quotav1.WatchPricesResponse_Heartbeat{Heartbeat: timestamppb.Now()}}); err != nil {
				return err
			}
			lastSend = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-poll.C:
		}
	}
}

// PutBudget sets a budget.
func (s *Service) PutBudget(ctx context.Context, req *connect.Request[quotav1.PutBudgetRequest]) (*connect.Response[quotav1.PutBudgetResponse], error) {
	b, err := s.store.PutBudget(ctx, req.Msg.GetBudget(), access.Author(ctx))
	if err != nil {
		return nil, storeError(err, "budget")
	}
	return connect.NewResponse(&quotav1.PutBudgetResponse{Budget: b}), nil
}

// GetBudget returns a budget with its status.
func (s *Service) GetBudget(ctx context.Context, req *connect.Request[quotav1.GetBudgetRequest]) (*connect.Response[quotav1.GetBudgetResponse], error) {
	b, err := s.store.GetBudget(ctx, req.Msg.GetId())
	if err != nil {
		return nil, storeError(err, fmt.Sprintf("budget %q", req.Msg.GetId()))
	}
	return connect.NewResponse(&quotav1.GetBudgetResponse{Budget: b}), nil
}

// ListBudgets pages through budgets by id.
func (s *Service) ListBudgets(ctx context.Context, req *connect.Request[quotav1.ListBudgetsRequest]) (*connect.Response[quotav1.ListBudgetsResponse], error) {
	after, err := decodeToken(req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	n := pageSize(req.Msg.GetPageSize())
	bs, err := s.store.ListBudgets(ctx, req.Msg.GetSubject(), after, n+1)
	if err != nil {
		return nil, storeError(err, "budgets")
	}
	out := &quotav1.ListBudgetsResponse{Budgets: bs}
	if len(bs) > n {
		out.Budgets = bs[:n]
		out.NextPageToken = encodeToken(bs[n-1].GetId())
	}
	return connect.NewResponse(out), nil
}

// DeleteBudget removes a budget; NOT_FOUND when there is none.
func (s *Service) DeleteBudget(ctx context.Context, req *connect.Request[quotav1.DeleteBudgetRequest]) (*connect.Response[quotav1.DeleteBudgetResponse], error) {
	if err := s.store.DeleteBudget(ctx, req.Msg.GetId()); err != nil {
		return nil, storeError(err, fmt.Sprintf("budget %q", req.Msg.GetId()))
	}
	return connect.NewResponse(&quotav1.DeleteBudgetResponse{}), nil
}

// ListBudgetAlerts pages through fired alerts, newest first. The page
// token is "<fired micros>/<id>" of the last alert sent.
func (s *Service) ListBudgetAlerts(ctx context.Context, req *connect.Request[quotav1.ListBudgetAlertsRequest]) (*connect.Response[quotav1.ListBudgetAlertsResponse], error) {
	m := req.Msg
	tok, err := decodeToken(m.GetPageToken())
	if err != nil {
		return nil, err
	}
	var (
		beforeFired int64
		beforeID    string
	)
	if tok != "" {
		fired, id, ok := strings.Cut(tok, "/")
		if beforeFired, err = strconv.ParseInt(fired, 10, 64); !ok || err != nil {
			return nil, apierror.Invalid("page_token", "invalid page token")
		}
		beforeID = id
	}
	var from, to time.Time
	if r := m.GetFired(); r != nil {
		from, to = r.GetStart().AsTime(), r.GetEnd().AsTime()
	}
	n := pageSize(m.GetPageSize())
	alerts, err := s.store.ListAlerts(ctx, m.GetBudgetId(), m.GetSubject(), from, to, beforeFired, beforeID, n+1)
	if err != nil {
		return nil, storeError(err, "alerts")
	}
	out := &quotav1.ListBudgetAlertsResponse{Alerts: alerts}
	if len(alerts) > n {
		last := alerts[n-1]
		out.Alerts = alerts[:n]
		out.NextPageToken = encodeToken(strconv.FormatInt(last.GetFiredAt().AsTime().UnixMicro(), 10) + "/" + last.GetId())
	}
	return connect.NewResponse(out), nil
}

// PutRateLimit sets a rate limit.
func (s *Service) PutRateLimit(ctx context.Context, req *connect.Request[quotav1.PutRateLimitRequest]) (*connect.Response[quotav1.PutRateLimitResponse], error) {
	l, err := s.store.PutRateLimit(ctx, req.Msg.GetRateLimit(), access.Author(ctx))
	if err != nil {
		return nil, storeError(err, "rate limit")
	}
	return connect.NewResponse(&quotav1.PutRateLimitResponse{RateLimit: l}), nil
}

// ListRateLimits pages through rate limits by id.
func (s *Service) ListRateLimits(ctx context.Context, req *connect.Request[quotav1.ListRateLimitsRequest]) (*connect.Response[quotav1.ListRateLimitsResponse], error) {
	after, err := decodeToken(req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	n := pageSize(req.Msg.GetPageSize())
	ls, err := s.store.ListRateLimits(ctx, req.Msg.GetSubject(), after, n+1)
	if err != nil {
		return nil, storeError(err, "rate limits")
	}
	out := &quotav1.ListRateLimitsResponse{RateLimits: ls}
	if len(ls) > n {
		out.RateLimits = ls[:n]
		out.NextPageToken = encodeToken(ls[n-1].GetId())
	}
	return connect.NewResponse(out), nil
}

// DeleteRateLimit removes a rate limit; NOT_FOUND when there is none.
func (s *Service) DeleteRateLimit(ctx context.Context, req *connect.Request[quotav1.DeleteRateLimitRequest]) (*connect.Response[quotav1.DeleteRateLimitResponse], error) {
	if err := s.store.DeleteRateLimit(ctx, req.Msg.GetId()); err != nil {
		return nil, storeError(err, fmt.Sprintf("rate limit %q", req.Msg.GetId()))
	}
	return connect.NewResponse(&quotav1.DeleteRateLimitResponse{}), nil
}

// Reserve holds a call's worst case.
func (s *Service) Reserve(ctx context.Context, req *connect.Request[quotav1.ReserveRequest]) (*connect.Response[quotav1.ReserveResponse], error) {
	r, err := s.store.Reserve(ctx, req.Msg)
	if err != nil {
		return nil, storeError(err, "reservation")
	}
	return connect.NewResponse(&quotav1.ReserveResponse{Reservation: r}), nil
}

// Settle records finished calls, one by one, in request order.
func (s *Service) Settle(ctx context.Context, req *connect.Request[quotav1.SettleRequest]) (*connect.Response[quotav1.SettleResponse], error) {
	sts := req.Msg.GetSettlements()
	outcomes, err := s.store.SettleAll(ctx, sts)
	if err != nil {
		var se *store.SettleError
		if errors.As(err, &se) && errors.Is(err, storage.ErrNotFound) {
			return nil, apierror.Invalid(fmt.Sprintf("settlements[%d].reservation_id", se.Index), "no reservation %q", sts[se.Index].GetReservationId())
		}
		return nil, storeError(err, "settlement")
	}
	out := &quotav1.SettleResponse{Results: make([]*quotav1.SettlementResult, len(sts))}
	for i, st := range sts {
		out.Results[i] = &quotav1.SettlementResult{CallId: st.GetCallId(), Outcome: outcomes[i]}
	}
	return connect.NewResponse(out), nil
}

// Release drops reservations' holds.
func (s *Service) Release(ctx context.Context, req *connect.Request[quotav1.ReleaseRequest]) (*connect.Response[quotav1.ReleaseResponse], error) {
	out := &quotav1.ReleaseResponse{}
	for _, id := range req.Msg.GetReservationIds() {
		ok, err := s.store.Release(ctx, id)
		if err != nil {
			return nil, storeError(err, "reservation")
		}
		if ok {
			out.Released++
		} else {
			out.Unchanged++
		}
	}
	return connect.NewResponse(out), nil
}

// AcquireLease grants a replica leases of a target.
func (s *Service) AcquireLease(ctx context.Context, req *connect.Request[quotav1.AcquireLeaseRequest]) (*connect.Response[quotav1.AcquireLeaseResponse], error) {
	m := req.Msg
	leases, err := s.store.AcquireLeases(ctx, m.GetReplicaId(), store.Target{Subject: m.GetSubject(), BudgetID: m.GetBudgetId(), RateLimitID: m.GetRateLimitId()}, m.GetDemand())
	if err != nil {
		return nil, storeError(err, "lease")
	}
	return connect.NewResponse(&quotav1.AcquireLeaseResponse{Leases: leases, RecheckAt: timestamppb.New(s.store.Now().Add(s.cfg.LeaseTTL))}), nil
}

// RenewLease reports a lease's spending and extends it.
func (s *Service) RenewLease(ctx context.Context, req *connect.Request[quotav1.RenewLeaseRequest]) (*connect.Response[quotav1.RenewLeaseResponse], error) {
	m := req.Msg
	l, err := s.store.RenewLease(ctx, m.GetLeaseId(), m.GetReplicaId(), m.GetSpent(), m.GetDemand())
	if err != nil {
		return nil, storeError(err, fmt.Sprintf("lease %q", m.GetLeaseId()))
	}
	return connect.NewResponse(&quotav1.RenewLeaseResponse{Lease: l}), nil
}

// ReturnLease ends a lease.
func (s *Service) ReturnLease(ctx context.Context, req *connect.Request[quotav1.ReturnLeaseRequest]) (*connect.Response[quotav1.ReturnLeaseResponse], error) {
	m := req.Msg
	n, err := s.store.ReturnLease(ctx, m.GetLeaseId(), m.GetReplicaId(), m.GetSpent())
	if err != nil {
		return nil, storeError(err, fmt.Sprintf("lease %q", m.GetLeaseId()))
	}
	return connect.NewResponse(&quotav1.ReturnLeaseResponse{Returned: n}), nil
}
