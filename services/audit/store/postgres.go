package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	auditv1 "github.com/manifoldgw/manifold/gen/go/manifold/audit/v1"
)

// day is a day partition's width in microseconds.
const day = int64(24 * time.Hour / time.Microsecond)

// partitionPrefix starts the name of every day partition; the rest is the
// day as YYYYMMDD (UTC).
const partitionPrefix = "audit_calls_p"

// callColumns are audit_calls' columns in COPY order.
var callColumns = []string{
	"stored_at", "seq", "id", "received_at", "key_id", "team", "project", "model", "route", "provider", "prompt_name", "run_id",
	"surface", "status", "error_class", "cache_hit", "input_tokens", "output_tokens", "cost_micros", "latency_us", "ttft_us",
	"search", "record", "prev_hash", "hash",
}

// copyCalls is RecordCalls on PostgreSQL: one transaction that locks the
// chain head, claims the new ids, and COPYs the sealed records.
func (s *Store) copyCalls(ctx context.Context, recs []*auditv1.CallRecord) (int, int, error) {
	// Partitions are created outside the ingest transaction: a failure
	// there (say, rows for that day already in the default partition) only
	// means the rows land in the default partition.
	s.ensurePartitions(ctx, s.now().UnixMicro())

	pool := s.db.Pool()
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var (
		firstSeq, lastSeq, lastStoredAt int64
		lastHash                        []byte
	)
	err = tx.QueryRow(ctx, "SELECT first_seq, last_seq, last_hash, last_stored_at FROM audit_chain WHERE log = $1 FOR UPDATE", logCalls).
		Scan(&firstSeq, &lastSeq, &lastHash, &lastStoredAt)
	if err != nil {
		return 0, 0, fmt.Errorf("lock chain: %w", err)
	}
	at := s.storedAt(lastStoredAt)
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.GetId()
	}
	rows, err := tx.Query(ctx, "INSERT INTO audit_call_ids (id, stored_at) SELECT unnest($1::text[]), $2 ON CONFLICT (id) DO NOTHING RETURNING id", ids, at)
	if err != nil {
		return 0, 0, fmt.Errorf("claim call ids: %w", err)
	}
	fresh, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, 0, fmt.Errorf("claim call ids: %w", err)
	}
	isNew := make(map[string]bool, len(fresh))
	for _, id := range fresh {
		isNew[id] = true
	}
	seq, prev := lastSeq, lastHash
	data := make([][]any, 0, len(fresh))
	for _, in := range recs {
		if !isNew[in.GetId()] {
			continue
		}
		delete(isNew, in.GetId()) // a repeated id in the batch is a duplicate
		seq++
		p, hash, err := sealedCall(in, seq, prev, at)
		if err != nil {
			return 0, 0, err
		}
		data = append(data, []any{
			p.StoredAt, p.Seq, p.ID, p.ReceivedAt, p.KeyID, p.Team, p.Project, p.Model, p.Route, p.Provider, p.PromptName, p.RunID,
			p.Surface, p.Status, p.ErrorClass, p.CacheHit, p.InputTokens, p.OutputTokens, p.CostMicros, p.LatencyUs, p.TtftUs,
			p.Search, p.Record, p.PrevHash, p.Hash,
		})
		prev = hash
	}
	if len(data) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"audit_calls"}, callColumns, pgx.CopyFromRows(data)); err != nil {
			return 0, 0, fmt.Errorf("copy calls: %w", err)
		}
		if _, err := tx.Exec(ctx, "UPDATE audit_chain SET last_seq = $1, last_hash = $2, last_stored_at = $3 WHERE log = $4", seq, prev, at, logCalls); err != nil {
			return 0, 0, fmt.Errorf("advance chain: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, 0, fmt.Errorf("commit: %w", err)
	}
	return len(data), len(recs) - len(data), nil
}

// ensurePartitions creates the day partitions for now's day and the next,
// once per process and day.
func (s *Store) ensurePartitions(ctx context.Context, now int64) {
	start := now - now%day
	for _, d := range []int64{start, start + day} {
		s.partMu.Lock()
		known := s.partitions[d]
		s.partMu.Unlock()
		if known {
			continue
		}
		name := partitionPrefix + time.UnixMicro(d).UTC().Format("20060102")
		_, err := s.db.Pool().Exec(ctx, fmt.Sprintf(
			"CREATE TABLE IF NOT EXISTS %s PARTITION OF audit_calls FOR VALUES FROM (%d) TO (%d)",
			pgx.Identifier{name}.Sanitize(), d, d+day))
		if _, refused := errors.AsType[*pgconn.PgError](err); err != nil && !refused {
			continue // the database is unreachable: try again next batch
		}
		// Refused (say, the default partition already holds rows of that
		// day): the day's rows stay in the default partition, which
		// retention empties row by row.
		s.partMu.Lock()
		s.partitions[d] = true
		s.partMu.Unlock()
	}
}

// dropPartitions drops the day partitions that end at or before cutoff.
func (s *Store) dropPartitions(ctx context.Context, cutoff int64) error {
	rows, err := s.db.Pool().Query(ctx, `
		SELECT c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_class p ON p.oid = i.inhparent
		WHERE p.relname = 'audit_calls' AND c.relname LIKE 'audit\_calls\_p%'`)
	if err != nil {
		return fmt.Errorf("list partitions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list partitions: %w", err)
	}
	for _, name := range names {
		t, err := time.Parse("20060102", strings.TrimPrefix(name, partitionPrefix))
		if err != nil {
			continue // not one of ours
		}
		start := t.UnixMicro()
		if start+day > cutoff {
			continue
		}
		if _, err := s.db.Pool().Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
			return fmt.Errorf("drop partition %s: %w", name, err)
		}
		s.partMu.Lock()
		delete(s.partitions, start)
		s.partMu.Unlock()
	}
	return nil
}
