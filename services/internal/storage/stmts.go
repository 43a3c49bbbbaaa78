package storage

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// Stmts keeps each SQL text prepared once per database, for sqlc's
// generated queries (it satisfies their DBTX). database/sql prepares a
// statement on each pooled connection the first time it runs there;
// without this, SQLite parses every statement on every call. PostgreSQL's
// driver caches its own statements, so a DB there hands out the plain pool.
type Stmts struct {
	db     *sql.DB
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	closed bool
	// warming counts the statements being prepared in the background.
	warming sync.WaitGroup
}

// Querier is what sqlc's generated code runs on (its DBTX).
type Querier interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	PrepareContext(context.Context, string) (*sql.Stmt, error)
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// Queriers returns the Querier for db and a function giving one for a
// transaction of it: statement-caching on SQLite, the plain handles on
// PostgreSQL.
func Queriers(db *DB) (Querier, func(*sql.Tx) Querier) {
	if db.Driver() != DriverSQLite {
		return db.DB, func(tx *sql.Tx) Querier { return tx }
	}
	s := &Stmts{db: db.DB, stmts: map[string]*sql.Stmt{}}
	db.stmtsMu.Lock()
	db.stmts = append(db.stmts, s)
	db.stmtsMu.Unlock()
	return s, s.Tx
}

// close waits for background preparation and closes every statement: an
// open statement keeps its connections open past sql.DB.Close, and a late
// preparation would open a new one.
func (s *Stmts) close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.warming.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for q, st := range s.stmts {
		errs = append(errs, st.Close())
		delete(s.stmts, q)
	}
	return errors.Join(errs...)
}

// stmt returns the prepared statement for query, preparing it once.
func (s *Stmts) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	st, ok := s.stmts[query]
	s.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.stmts[query]; ok {
		_ = st.Close() // prepared concurrently: keep the first
		return prev, nil
	}
	if s.closed {
		_ = st.Close()
		return nil, sql.ErrConnDone
	}
	s.stmts[query] = st
	return st, nil
}

func (s *Stmts) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (s *Stmts) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return s.db.PrepareContext(ctx, query)
}

func (s *Stmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext falls back to the plain query when preparing fails, so
// that the error surfaces from Scan as usual.
func (s *Stmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return s.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// cached returns query's statement if it is prepared already.
func (s *Stmts) cached(query string) (*sql.Stmt, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.stmts[query]
	return st, ok
}

// warm prepares query for later calls, without blocking the caller: a
// transaction holds a pooled connection, and preparing needs another one,
// which could wait on transactions queued behind this one.
func (s *Stmts) warm(query string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.warming.Add(1)
	go func() {
		defer s.warming.Done()
		_, _ = s.stmt(context.Background(), query)
	}()
}

// Tx returns a Querier running the cached statements inside tx; a
// statement not prepared yet runs as plain SQL this time.
func (s *Stmts) Tx(tx *sql.Tx) Querier { return txStmts{s: s, tx: tx} }

type txStmts struct {
	s  *Stmts
	tx *sql.Tx
}

func (t txStmts) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, ok := t.s.cached(query)
	if !ok {
		t.s.warm(query)
		return t.tx.ExecContext(ctx, query, args...)
	}
	return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

func (t txStmts) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, query)
}

func (t txStmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, ok := t.s.cached(query)
	if !ok {
		t.s.warm(query)
		return t.tx.QueryContext(ctx, query, args...)
	}
	return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
}

func (t txStmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, ok := t.s.cached(query)
	if !ok {
		t.s.warm(query)
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}
