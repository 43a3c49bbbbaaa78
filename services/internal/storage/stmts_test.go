package storage_test

import (
	"sync"
	"testing"

	"github.com/manifoldgw/manifold/services/internal/storage"
)

// TestStmtsOnSQLite: the statement cache serves queries and concurrent
// transactions (more than the pool has connections) without losing a
// write or deadlocking on the pool.
func TestStmtsOnSQLite(t *testing.T) {
	db, err := storage.Open(t.Context(), storage.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), "CREATE TABLE n (v INTEGER NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	base, inTx := storage.Queriers(db)
	if _, ok := base.(*storage.Stmts); !ok {
		t.Fatalf("SQLite querier is %T, want the statement cache", base)
	}
	const insert = "INSERT INTO n (v) VALUES (?)"
	if _, err := base.ExecContext(t.Context(), insert, 1); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			tx, err := db.BeginTx(t.Context(), nil)
			if err != nil {
				errs <- err
				return
			}
			q := inTx(tx)
			for range 5 {
				if _, err := q.ExecContext(t.Context(), insert, 1); err != nil {
					_ = tx.Rollback()
					errs <- err
					return
				}
			}
			var n int
			if err := q.QueryRowContext(t.Context(), "SELECT count(*) FROM n").Scan(&n); err != nil {
				_ = tx.Rollback()
				errs <- err
				return
			}
			errs <- tx.Commit()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := base.QueryRowContext(t.Context(), "SELECT sum(v) FROM n").Scan(&n); err != nil || n != 101 {
		t.Fatalf("sum = %d (%v), want 101", n, err)
	}
}

// TestCloseClosesEveryConnection: statements the cache prepared, in the
// background too, do not keep connections open after Close (SQLite would
// keep writing its files in a directory the caller may be removing).
func TestCloseClosesEveryConnection(t *testing.T) {
	db, err := storage.Open(t.Context(), storage.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), "CREATE TABLE n (v INTEGER NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	base, inTx := storage.Queriers(db)
	if _, err := base.ExecContext(t.Context(), "INSERT INTO n (v) VALUES (?)", 1); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Not prepared yet: runs as plain SQL and is prepared in the background.
	if _, err := inTx(tx).ExecContext(t.Context(), "INSERT INTO n (v) VALUES (?), (?)", 2, 3); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := db.Stats().OpenConnections; n != 0 {
		t.Errorf("%d connections open after Close", n)
	}
}
