package storage

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var (
	// ErrNotFound means the addressed row does not exist.
	ErrNotFound = errors.New("storage: not found")
	// ErrConflict means the write lost a race or broke a uniqueness rule: a
	// unique violation on either engine, or a compare-and-swap whose expected
	// version did not match. Callers typically re-read and retry.
	ErrConflict = errors.New("storage: conflict")
)

// pgUniqueViolation is SQLSTATE unique_violation.
const pgUniqueViolation = "23505"

// MapError is the one place where engine errors become storage errors: it
// wraps sql.ErrNoRows as ErrNotFound and unique or primary-key violations as
// ErrConflict, on either engine, and returns anything else unchanged. The
// engine error stays in the chain for logs; callers match with errors.Is.
// Stores built on *DB outside this package call it on their query errors.
func MapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == pgUniqueViolation {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	if sqliteErr, ok := errors.AsType[*sqlite.Error](err); ok {
		switch sqliteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", ErrConflict, err)
		}
	}
	return err
}
