package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is an open database. The embedded *sql.DB runs portable SQL on either
// engine; Pool exposes pgx for PostgreSQL-only features.
type DB struct {
	*sql.DB
	driver Driver
	pool   *pgxpool.Pool
	// migrateMu serialises Migrate on SQLite, which has no advisory locks.
	migrateMu sync.Mutex
	// stmts are the statement caches handed out by Queriers, closed with db.
	stmtsMu sync.Mutex
	stmts   []*Stmts
}

// Open validates cfg, connects, and checks the connection. It does not
// migrate: call Migrate with each component's Migrations.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	t, err := cfg.target()
	if err != nil {
		return nil, err
	}
	var db *DB
	switch t.driver {
	case DriverSQLite:
		db, err = openSQLite(t.path)
	case DriverPostgres:
		db, err = openPostgres(ctx, t.pool)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", t.driver, err)
	}
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("storage: connect to %s: %w", t.driver, err), db.Close())
	}
	return db, nil
}

// Driver reports which engine is behind db.
func (db *DB) Driver() Driver { return db.driver }

// Pool returns the pgx pool behind db on PostgreSQL (for COPY, LISTEN and
// NOTIFY) and nil on SQLite. It shares connections with db.DB.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Close closes the cached statements, db.DB and, on PostgreSQL, the pool.
// When it returns, no connection is open.
func (db *DB) Close() error {
	db.stmtsMu.Lock()
	caches := db.stmts
	db.stmts = nil
	db.stmtsMu.Unlock()
	var errs []error
	for _, s := range caches {
		errs = append(errs, s.close())
	}
	errs = append(errs, db.DB.Close())
	if db.pool != nil {
		db.pool.Close()
	}
	return errors.Join(errs...)
}
