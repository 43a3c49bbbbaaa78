// Package audit is the audit service: the call log, the admin-action log and
// the analytics computed from them.
//
// Records arrive in batches (RecordCalls, RecordAdminActions) and are stored
// in arrival order as hash chains: each record's hash covers the previous
// record's hash and the record's canonical bytes, so that VerifyChain finds
// a record changed, inserted or deleted behind the service's back. Storage
// is behind Store (services/audit/store: SQLite and PostgreSQL).
package audit

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"connectrpc.com/connect"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	mcpv1 "github.com/manifoldgw/manifold/gen/go/manifold/mcp/v1"
	"github.com/manifoldgw/manifold/services/internal/apierror"
	"github.com/manifoldgw/manifold/services/internal/storage"
)

// Store keeps the logs. Implementations assign sequence numbers and hashes
// (with Seal and SealAction) inside the transaction that stores a batch, so
// that concurrent writers, in one process or several, extend one chain.
type Store interface {
	// RecordCalls stores the records whose id is new, in order, and counts
	// those it skipped as already stored.
	RecordCalls(ctx context.Context, recs []*auditv1.CallRecord) (stored, duplicates int, err error)
	// RecordAdminActions is RecordCalls for admin actions.
	RecordAdminActions(ctx context.Context, actions []*auditv1.AdminAction) (stored, duplicates int, err error)
	// QueryCalls returns up to q.Limit records matching q, in q's order.
	QueryCalls(ctx context.Context, q Query) ([]*auditv1.CallRecord, error)
	// GetCall returns one record, or an error wrapping storage.ErrNotFound.
	GetCall(ctx context.Context, id string) (*auditv1.CallRecord, error)
	// QueryAdminActions returns up to q.Limit actions, newest first.
	QueryAdminActions(ctx context.Context, q ActionQuery) ([]*auditv1.AdminAction, error)
	// ScanStats calls fn with the columns of every call matching q
	// (q.After, q.Limit and q.Ascending are ignored).
	ScanStats(ctx context.Context, q Query, fn func(Columns) error) error
	// Chain returns the sequence numbers a log holds: the first kept (after
	// retention) and the last assigned; last is 0 for an empty log.
	Chain(ctx context.Context, log auditv1.AuditLog) (first, last int64, err error)
	// ScanChain calls fn with the rows of a log from sequence from to to
	// (inclusive), in sequence order, until fn returns false.
	ScanChain(ctx context.Context, log auditv1.AuditLog, from, to int64, fn func(ChainRow) bool) error
	// DeleteBefore drops the calls received before t (on PostgreSQL, whole
	// partitions) and moves the chain's first sequence past them.
	DeleteBefore(ctx context.Context, t time.Time) error
}

// Query selects call records. Times are unix microseconds; the range is
// [Start, End).
type Query struct {
	Start, End int64
	Filter     *auditv1.CallFilter
	// After continues a listing after this position (exclusive).
	After     *Cursor
	Ascending bool
	Limit     int
	// Bodies keeps request and response bodies; without it they are cleared.
	Bodies bool
}

// Cursor is a position in the call log's time order.
type Cursor struct {
	Time, Seq int64
}

// CursorOf is the position of rec.
func CursorOf(rec *auditv1.CallRecord) Cursor {
	return Cursor{Time: rec.GetReceivedAt().AsTime().UnixMicro(), Seq: rec.GetSequence()}
}

// ActionQuery selects admin actions.
type ActionQuery struct {
	Start, End                                int64
	ActorID, Action, ResourceType, ResourceID string
	After                                     *Cursor
	Limit                                     int
}

// Config configures the audit service.
type Config struct {
	// Retention is how long call records are kept; 0 keeps them forever.
	Retention time.Duration
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config { return Config{Retention: 90 * 24 * time.Hour} }

// RegisterFlags registers the audit service's flags.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.Retention, "audit.retention", c.Retention, "how long call records are kept (PostgreSQL drops whole day partitions); 0 keeps them forever")
}

// Validate checks the settings, naming the bad one.
func (c Config) Validate() error {
	if c.Retention < 0 || (c.Retention > 0 && c.Retention < 24*time.Hour) {
		return fmt.Errorf("invalid audit.retention %s: must be 0 (forever) or at least 24h", c.Retention)
	}
	return nil
}

// Service implements AuditService.
type Service struct {
	auditv1connect.UnimplementedAuditServiceHandler

	cfg    Config
	store  Store
	logger *slog.Logger
	now    func() time.Time
}

var _ auditv1connect.AuditServiceHandler = (*Service)(nil)

// New returns the service over store.
func New(cfg Config, store Store, logger *slog.Logger) *Service {
	return &Service{cfg: cfg, store: store, logger: logger, now: time.Now}
}

// RunRetention deletes expired call records now and then every interval
// until ctx ends. It does nothing when retention is off.
func (s *Service) RunRetention(ctx context.Context, interval time.Duration) {
	if s.cfg.Retention == 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.store.DeleteBefore(ctx, s.now().Add(-s.cfg.Retention)); err != nil && ctx.Err() == nil {
			s.logger.Error("audit retention failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RecordCalls ingests a batch of call records.
func (s *Service) RecordCalls(ctx context.Context, req *connect.Request[auditv1.RecordCallsRequest]) (*connect.Response[auditv1.RecordCallsResponse], error) {
	stored, dups, err := s.store.RecordCalls(ctx, req.Msg.GetRecords())
	if err != nil {
		return nil, s.internal("record calls", err)
	}
	return connect.NewResponse(&auditv1.RecordCallsResponse{Stored: int32(stored), Duplicates: int32(dups)}), nil
}

// RecordAdminActions ingests a batch of admin-action records.
func (s *Service) RecordAdminActions(ctx context.Context, req *connect.Request[auditv1.RecordAdminActionsRequest]) (*connect.Response[auditv1.RecordAdminActionsResponse], error) {
	stored, dups, err := s.store.RecordAdminActions(ctx, req.Msg.GetActions())
	if err != nil {
		return nil, s.internal("record admin actions", err)
	}
	return connect.NewResponse(&auditv1.RecordAdminActionsResponse{Stored: int32(stored), Duplicates: int32(dups)}), nil
}

// QueryCalls finds call records, newest first.
func (s *Service) QueryCalls(ctx context.Context, req *connect.Request[auditv1.QueryCallsRequest]) (*connect.Response[auditv1.QueryCallsResponse], error) {
	m := req.Msg
	after, err := decodePageToken(m.GetPageToken())
	if err != nil {
		return nil, err
	}
	limit := int(m.GetPageSize())
	if limit == 0 {
		limit = 100
	}
	q := Query{
		Start: m.GetRange().GetStart().AsTime().UnixMicro(), End: m.GetRange().GetEnd().AsTime().UnixMicro(),
		Filter: m.GetFilter(), After: after, Limit: limit + 1,
		Bodies: m.GetView() == auditv1.CallView_CALL_VIEW_FULL,
	}
	recs, err := s.store.QueryCalls(ctx, q)
	if err != nil {
		return nil, s.internal("query calls", err)
	}
	res := &auditv1.QueryCallsResponse{Records: recs}
	if len(recs) > limit {
		res.Records = recs[:limit]
		res.NextPageToken = encodePageToken(CursorOf(recs[limit-1]))
	}
	return connect.NewResponse(res), nil
}

// GetCall returns one call record with its bodies.
func (s *Service) GetCall(ctx context.Context, req *connect.Request[auditv1.GetCallRequest]) (*connect.Response[auditv1.GetCallResponse], error) {
	rec, err := s.store.GetCall(ctx, req.Msg.GetId())
	if errors.Is(err, storage.ErrNotFound) {
		return nil, apierror.New(mcpv1.ErrorClass_ERROR_CLASS_NOT_FOUND, "call %q not found", req.Msg.GetId())
	}
	if err != nil {
		return nil, s.internal("get call", err)
	}
	return connect.NewResponse(&auditv1.GetCallResponse{Record: rec}), nil
}

// QueryAdminActions finds admin actions, newest first.
func (s *Service) QueryAdminActions(ctx context.Context, req *connect.Request[auditv1.QueryAdminActionsRequest]) (*connect.Response[auditv1.QueryAdminActionsResponse], error) {
	m := req.Msg
	after, err := decodePageToken(m.GetPageToken())
	if err != nil {
		return nil, err
	}
	limit := int(m.GetPageSize())
	if limit == 0 {
		limit = 100
	}
	acts, err := s.store.QueryAdminActions(ctx, ActionQuery{
		Start: m.GetRange().GetStart().AsTime().UnixMicro(), End: m.GetRange().GetEnd().AsTime().UnixMicro(),
		ActorID: m.GetActorId(), Action: m.GetAction(), ResourceType: m.GetResourceType(), ResourceID: m.GetResourceId(),
		After: after, Limit: limit + 1,
	})
	if err != nil {
		return nil, s.internal("query admin actions", err)
	}
	res := &auditv1.QueryAdminActionsResponse{Actions: acts}
	if len(acts) > limit {
		last := acts[limit-1]
		res.Actions = acts[:limit]
		res.NextPageToken = encodePageToken(Cursor{Time: last.GetTime().AsTime().UnixMicro(), Seq: last.GetSequence()})
	}
	return connect.NewResponse(res), nil
}

// VerifyChain recomputes a log's hash chain over a range.
func (s *Service) VerifyChain(ctx context.Context, req *connect.Request[auditv1.VerifyChainRequest]) (*connect.Response[auditv1.VerifyChainResponse], error) {
	log := req.Msg.GetLog()
	first, last, err := s.store.Chain(ctx, log)
	if err != nil {
		return nil, s.internal("verify chain", err)
	}
	from, to := req.Msg.GetFromSequence(), req.Msg.GetToSequence()
	if from < first {
		from = first
	}
	if to == 0 || to > last {
		to = last
	}
	v := NewVerifier(log)
	if last == 0 || from > to {
		return connect.NewResponse(v.Result(0)), nil
	}
	expect := from
	err = s.store.ScanChain(ctx, log, from, to, func(r ChainRow) bool {
		if r.Seq != expect && v.LastSeq() == 0 {
			// The range starts with a missing record.
			v.done = true
			v.res.Ok, v.res.Failure, v.res.FirstBadSequence = false, auditv1.ChainFailure_CHAIN_FAILURE_GAP, expect
			v.res.Reason = fmt.Sprintf("record %d is missing (the next stored record is %d)", expect, r.Seq)
			return false
		}
		expect = r.Seq + 1
		return v.Check(r)
	})
	if err != nil {
		return nil, s.internal("verify chain", err)
	}
	missing := int64(0)
	if v.LastSeq() < to {
		missing = max(v.LastSeq()+1, from)
	}
	return connect.NewResponse(v.Result(missing)), nil
}

func (s *Service) internal(what string, err error) error {
	s.logger.Error("audit: "+what+" failed", "err", err)
	return apierror.Internal(fmt.Errorf("%s: %w", what, err))
}
