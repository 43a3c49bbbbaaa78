// Package store keeps the quota service's state in SQL: prices, budgets
// and their periods, rate limits and their minute windows, leases,
// reservations, the spend ledger and budget alerts. Every write that moves
// money or rate between holders runs in one transaction that first locks
// the budget period (or rate window) row with an UPDATE … RETURNING, so
// concurrent grants on PostgreSQL are serialised per budget, and SQLite's
// immediate transactions serialise them anyway: the sum of what is granted
// and spent can never pass a limit by more than late settlements add.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/quota/store/internal/quotadb"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// Migrations is the quota component's schema history.
func Migrations() storage.Migrations {
	sub := func(dir string) fs.FS {
		f, err := fs.Sub(migrationFiles, dir)
		if err != nil {
			panic(err) // dir is a constant embedded above
		}
		return f
	}
	return storage.Migrations{Component: "quota", SQLite: sub("migrations/sqlite"), Postgres: sub("migrations/postgres")}
}

// Options size leases.
type Options struct {
	// LeaseTTL is how long a budget lease lives without renewal.
	LeaseTTL time.Duration
	// MinGrantFraction and MaxGrantFraction bound one grant, as fractions
	// of the limit; the replica's demand picks a size between them, and
	// a demand above the upper bound (one large call) is granted in full.
	MinGrantFraction, MaxGrantFraction float64
}

// DefaultOptions are the lease sizes used unless configured.
func DefaultOptions() Options {
	return Options{LeaseTTL: 30 * time.Second, MinGrantFraction: 0.02, MaxGrantFraction: 0.25}
}

// Store is the quota state on one database.
type Store struct {
	db   *storage.DB
	q    *quotadb.Queries
	inTx func(*sql.Tx) storage.Querier
	opts Options
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// Open migrates the quota tables and returns the store.
func Open(ctx context.Context, db *storage.DB, opts Options) (*Store, error) {
	if err := db.Migrate(ctx, Migrations()); err != nil {
		return nil, err
	}
	base, inTx := storage.Queriers(db)
	return &Store{db: db, q: quotadb.New(base), inTx: inTx, opts: opts, Now: time.Now}, nil
}

// ErrNotFound means the addressed row does not exist (or a lease has ended).
var ErrNotFound = storage.ErrNotFound

// tx runs fn in a transaction, retrying PostgreSQL serialisation failures
// and deadlocks a few times.
func (s *Store) tx(ctx context.Context, fn func(q *quotadb.Queries) error) error {
	for attempt := 0; ; attempt++ {
		err := s.tx1(ctx, fn)
		var pe *pgconn.PgError
		if err != nil && attempt < 5 && errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01") {
			continue
		}
		return err
	}
}

func (s *Store) tx1(ctx context.Context, fn func(q *quotadb.Queries) error) error {
	t, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(quotadb.New(s.inTx(t))); err != nil {
		_ = t.Rollback()
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("commit: %w", storage.MapError(err))
	}
	return nil
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

func notFound(err error) bool { return errors.Is(err, sql.ErrNoRows) }
