// Package store keeps the audit logs in SQL: a plain table on SQLite, a
// table partitioned by ingestion day on PostgreSQL (ingested with COPY), one
// hash chain per log. It implements audit.Store.
package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
	"github.com/manifoldgw/manifold/services/audit"
	"github.com/manifoldgw/manifold/services/audit/store/internal/auditsqlc"
	"github.com/manifoldgw/manifold/services/internal/storage"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the audit schema for storage.DB.Migrate.
func Migrations() storage.Migrations {
	sqlite, _ := fs.Sub(migrations, "migrations/sqlite")
	postgres, _ := fs.Sub(migrations, "migrations/postgres")
	return storage.Migrations{Component: "audit", SQLite: sqlite, Postgres: postgres}
}

// Log names in audit_chain.
const (
	logCalls   = "calls"
	logActions = "admin_actions"
)

// chainPage is how many rows ScanChain reads per query.
const chainPage = 1000

// Store is the SQL audit store.
type Store struct {
	db   *storage.DB
	q    *auditsqlc.Queries
	inTx func(*sql.Tx) storage.Querier
	now  func() time.Time

	// partitions are the PostgreSQL day partitions known to exist, by day
	// start (unix micros).
	partMu     sync.Mutex
	partitions map[int64]bool
}

var _ audit.Store = (*Store)(nil)

// New returns the store over a database migrated with Migrations.
func New(db *storage.DB) *Store {
	base, inTx := storage.Queriers(db)
	return &Store{db: db, q: auditsqlc.New(base), inTx: inTx, now: time.Now, partitions: map[int64]bool{}}
}

// WithClock returns a copy of the store using now for ingestion times.
func (s *Store) WithClock(now func() time.Time) *Store {
	return &Store{db: s.db, q: s.q, inTx: s.inTx, now: now, partitions: map[int64]bool{}}
}

// storedAt is the ingestion time of a batch: now, but never before the
// chain's last one, so that sequence order is time order and retention
// removes a prefix of the chain.
func (s *Store) storedAt(last int64) int64 {
	return max(s.now().UnixMicro(), last)
}

// RecordCalls stores new records in order and skips known ids.
func (s *Store) RecordCalls(ctx context.Context, recs []*auditv1.CallRecord) (int, int, error) {
	if len(recs) == 0 {
		return 0, 0, nil
	}
	if s.db.Driver() == storage.DriverPostgres {
		return s.copyCalls(ctx, recs)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	q := auditsqlc.New(s.inTx(tx))
	head, err := q.GetChain(ctx, logCalls)
	if err != nil {
		return 0, 0, fmt.Errorf("read chain head: %w", err)
	}
	at := s.storedAt(head.LastStoredAt)
	seq, prev := head.LastSeq, head.LastHash
	stored := 0
	for _, in := range recs {
		n, err := q.InsertCallID(ctx, auditsqlc.InsertCallIDParams{ID: in.GetId(), StoredAt: at})
		if err != nil {
			return 0, 0, fmt.Errorf("insert call id: %w", err)
		}
		if n == 0 {
			continue
		}
		seq++
		p, hash, err := sealedCall(in, seq, prev, at)
		if err != nil {
			return 0, 0, err
		}
		if err := q.InsertCall(ctx, p); err != nil {
			return 0, 0, fmt.Errorf("insert call: %w", err)
		}
		prev = hash
		stored++
	}
	if stored > 0 {
		if err := q.SetChainHead(ctx, auditsqlc.SetChainHeadParams{Log: logCalls, LastSeq: seq, LastHash: prev, LastStoredAt: at}); err != nil {
			return 0, 0, fmt.Errorf("advance chain: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("commit: %w", err)
	}
	return stored, len(recs) - stored, nil
}

// sealedCall seals rec as link seq of the chain after prev and returns its
// row and hash. It seals in place (no copy of the bodies) and puts the
// caller's chain fields back afterwards.
func sealedCall(rec *auditv1.CallRecord, seq int64, prev []byte, at int64) (auditsqlc.InsertCallParams, []byte, error) {
	oldSeq, oldPrev, oldHash := rec.Sequence, rec.PrevHash, rec.Hash
	defer func() { rec.Sequence, rec.PrevHash, rec.Hash = oldSeq, oldPrev, oldHash }()
	enc, hash, err := audit.Seal(rec, seq, prev)
	if err != nil {
		return auditsqlc.InsertCallParams{}, nil, err
	}
	return callParams(rec, at, enc), hash, nil
}

func callParams(rec *auditv1.CallRecord, at int64, enc []byte) auditsqlc.InsertCallParams {
	c := audit.ColumnsOf(rec)
	return auditsqlc.InsertCallParams{
		StoredAt: at, Seq: rec.GetSequence(), ID: rec.GetId(), ReceivedAt: c.Time,
		KeyID: c.KeyID, Team: c.Team, Project: c.Project, Model: c.Model, Route: c.Route, Provider: c.Provider,
		PromptName: c.PromptName, RunID: c.RunID, Surface: c.Surface, Status: c.Status, ErrorClass: c.ErrorClass,
		CacheHit: c.CacheHit, InputTokens: c.InputTokens, OutputTokens: c.OutputTokens, CostMicros: c.CostMicros,
		LatencyUs: c.LatencyMicros, TtftUs: c.TTFTMicros, Search: audit.SearchText(rec),
		Record: enc, PrevHash: rec.GetPrevHash(), Hash: rec.GetHash(),
	}
}

// RecordAdminActions stores new admin actions in order and skips known ids.
func (s *Store) RecordAdminActions(ctx context.Context, actions []*auditv1.AdminAction) (int, int, error) {
	if len(actions) == 0 {
		return 0, 0, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if s.db.Driver() == storage.DriverPostgres {
		// SQLite's write transactions are serialised already.
		if _, err := tx.ExecContext(ctx, "SELECT 1 FROM audit_chain WHERE log = $1 FOR UPDATE", logActions); err != nil {
			return 0, 0, fmt.Errorf("lock chain: %w", err)
		}
	}
	q := auditsqlc.New(s.inTx(tx))
	head, err := q.GetChain(ctx, logActions)
	if err != nil {
		return 0, 0, fmt.Errorf("read chain head: %w", err)
	}
	seq, prev := head.LastSeq, head.LastHash
	stored := 0
	seen := map[string]bool{}
	for _, in := range actions {
		n, err := q.AdminActionExists(ctx, in.GetId())
		if err != nil {
			return 0, 0, fmt.Errorf("look up admin action: %w", err)
		}
		if n > 0 || seen[in.GetId()] {
			continue
		}
		seen[in.GetId()] = true
		seq++
		a := proto.Clone(in).(*auditv1.AdminAction)
		enc, hash, err := audit.SealAction(a, seq, prev)
		if err != nil {
			return 0, 0, err
		}
		c := audit.ActionColumnsOf(a)
		if err := q.InsertAdminAction(ctx, auditsqlc.InsertAdminActionParams{
			Seq: seq, ID: a.GetId(), At: c.Time, ActorID: c.ActorID, Action: c.Action,
			ResourceType: c.ResourceType, ResourceID: c.ResourceID, Record: enc, PrevHash: prev, Hash: hash,
		}); err != nil {
			return 0, 0, fmt.Errorf("insert admin action: %w", err)
		}
		prev = hash
		stored++
	}
	if stored > 0 {
		if err := q.SetChainHead(ctx, auditsqlc.SetChainHeadParams{Log: logActions, LastSeq: seq, LastHash: prev, LastStoredAt: head.LastStoredAt}); err != nil {
			return 0, 0, fmt.Errorf("advance chain: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("commit: %w", err)
	}
	return stored, len(actions) - stored, nil
}

// GetCall returns one record with its bodies.
func (s *Store) GetCall(ctx context.Context, id string) (*auditv1.CallRecord, error) {
	row, err := s.q.GetCall(ctx, id)
	if err != nil {
		return nil, storage.MapError(err)
	}
	return decodeCall(row.Record, row.PrevHash, row.Hash, true)
}

func decodeCall(enc, prev, hash []byte, bodies bool) (*auditv1.CallRecord, error) {
	rec := &auditv1.CallRecord{}
	if err := proto.Unmarshal(enc, rec); err != nil {
		return nil, fmt.Errorf("decode call record: %w", err)
	}
	rec.PrevHash, rec.Hash = prev, hash
	if !bodies {
		rec.RequestBody, rec.ResponseBody = nil, nil
	}
	return rec, nil
}

// Chain returns the first kept and last assigned sequence numbers of a log.
func (s *Store) Chain(ctx context.Context, log auditv1.AuditLog) (int64, int64, error) {
	name, err := logName(log)
	if err != nil {
		return 0, 0, err
	}
	head, err := s.q.GetChain(ctx, name)
	if err != nil {
		return 0, 0, fmt.Errorf("read chain head: %w", err)
	}
	return head.FirstSeq, head.LastSeq, nil
}

func logName(log auditv1.AuditLog) (string, error) {
	switch log {
	case auditv1.AuditLog_AUDIT_LOG_CALLS:
		return logCalls, nil
	case auditv1.AuditLog_AUDIT_LOG_ADMIN_ACTIONS:
		return logActions, nil
	}
	return "", fmt.Errorf("unknown log %v", log)
}

// ScanChain reads a log's rows in sequence order.
func (s *Store) ScanChain(ctx context.Context, log auditv1.AuditLog, from, to int64, fn func(audit.ChainRow) bool) error {
	for from <= to {
		var rows []audit.ChainRow
		switch log {
		case auditv1.AuditLog_AUDIT_LOG_CALLS:
			page, err := s.q.ListCallChain(ctx, auditsqlc.ListCallChainParams{FromSeq: from, ToSeq: to, MaxRows: chainPage})
			if err != nil {
				return fmt.Errorf("read call chain: %w", err)
			}
			for _, r := range page {
				rows = append(rows, audit.ChainRow{Seq: r.Seq, ID: r.ID, Stored: r.Record, PrevHash: r.PrevHash, Hash: r.Hash, Columns: &audit.Columns{
					Time: r.ReceivedAt, KeyID: r.KeyID, Team: r.Team, Project: r.Project, Model: r.Model, Route: r.Route,
					Provider: r.Provider, PromptName: r.PromptName, RunID: r.RunID, Surface: r.Surface, Status: r.Status,
					ErrorClass: r.ErrorClass, CacheHit: r.CacheHit, InputTokens: r.InputTokens, OutputTokens: r.OutputTokens,
					CostMicros: r.CostMicros, LatencyMicros: r.LatencyUs, TTFTMicros: r.TtftUs,
				}})
			}
		case auditv1.AuditLog_AUDIT_LOG_ADMIN_ACTIONS:
			page, err := s.q.ListActionChain(ctx, auditsqlc.ListActionChainParams{FromSeq: from, ToSeq: to, MaxRows: chainPage})
			if err != nil {
				return fmt.Errorf("read admin-action chain: %w", err)
			}
			for _, r := range page {
				rows = append(rows, audit.ChainRow{Seq: r.Seq, ID: r.ID, Stored: r.Record, PrevHash: r.PrevHash, Hash: r.Hash, Columns: &audit.Columns{
					Time: r.At, ActorID: r.ActorID, Action: r.Action, ResourceType: r.ResourceType, ResourceID: r.ResourceID,
				}})
			}
		default:
			return fmt.Errorf("unknown log %v", log)
		}
		for _, r := range rows {
			if !fn(r) {
				return nil
			}
		}
		if len(rows) < chainPage {
			return nil
		}
		from = rows[len(rows)-1].Seq + 1
	}
	return nil
}

// DeleteBefore removes the calls stored before t and moves the chain's
// first sequence number to the oldest one kept.
func (s *Store) DeleteBefore(ctx context.Context, t time.Time) error {
	cutoff := t.UnixMicro()
	if s.db.Driver() == storage.DriverPostgres {
		if err := s.dropPartitions(ctx, cutoff); err != nil {
			return err
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	q := auditsqlc.New(s.inTx(tx))
	if s.db.Driver() == storage.DriverPostgres {
		if _, err := tx.ExecContext(ctx, "SELECT 1 FROM audit_chain WHERE log = $1 FOR UPDATE", logCalls); err != nil {
			return fmt.Errorf("lock chain: %w", err)
		}
	}
	// On PostgreSQL only the default partition has rows left to delete.
	if _, err := q.DeleteCallsBefore(ctx, cutoff); err != nil {
		return fmt.Errorf("delete calls: %w", err)
	}
	if err := q.DeleteCallIDsBefore(ctx, cutoff); err != nil {
		return fmt.Errorf("delete call ids: %w", err)
	}
	first, err := q.FirstCallSeqFrom(ctx, cutoff)
	if err != nil {
		return fmt.Errorf("find first call: %w", err)
	}
	if first == 0 {
		head, err := q.GetChain(ctx, logCalls)
		if err != nil {
			return fmt.Errorf("read chain head: %w", err)
		}
		first = head.LastSeq + 1
	}
	if err := q.SetChainFirst(ctx, auditsqlc.SetChainFirstParams{Log: logCalls, FirstSeq: first}); err != nil {
		return fmt.Errorf("move chain start: %w", err)
	}
	return tx.Commit()
}
