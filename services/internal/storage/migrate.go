package storage

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"regexp"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/manifoldgw/manifold/services/internal/storage/internal/dbsqlc"
)

// Migrations is one component's embedded schema history, one goose directory
// per engine. Each component keeps its own version table, goose_<Component>,
// so components migrate independently.
type Migrations struct {
	// Component names the owner, lowercase [a-z0-9_], e.g. "documents".
	Component string
	// SQLite and Postgres hold goose .sql files at their root
	// (use fs.Sub on an embed.FS).
	SQLite   fs.FS
	Postgres fs.FS
}

var componentName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

// Migrate applies every pending migration of each component, in order. It is
// idempotent. On PostgreSQL a session advisory lock per schema and component
// makes concurrent starts of several processes safe; on SQLite, calls within
// this process are serialised (SQLite files are not shared between processes).
func (db *DB) Migrate(ctx context.Context, ms ...Migrations) error {
	for _, m := range ms {
		if err := db.migrate(ctx, m); err != nil {
			return fmt.Errorf("storage: migrate %s: %w", m.Component, err)
		}
	}
	return nil
}

func (db *DB) migrate(ctx context.Context, m Migrations) error {
	if !componentName.MatchString(m.Component) {
		return fmt.Errorf("invalid component name %q", m.Component)
	}
	opts := []goose.ProviderOption{
		goose.WithTableName("goose_" + m.Component),
		goose.WithDisableGlobalRegistry(true),
	}
	var (
		dialect goose.Dialect
		fsys    fs.FS
	)
	switch db.driver {
	case DriverSQLite:
		dialect, fsys = goose.DialectSQLite3, m.SQLite
		db.migrateMu.Lock()
		defer db.migrateMu.Unlock()
	case DriverPostgres:
		dialect, fsys = goose.DialectPostgres, m.Postgres
		id, err := db.migrationLockID(ctx, m.Component)
		if err != nil {
			return err
		}
		// goose polls pg_try_advisory_lock; poll every second for up to 10 minutes.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(id), lock.WithLockTimeout(1, 600))
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	if fsys == nil {
		return errors.New("no migrations for " + string(db.driver))
	}
	p, err := goose.NewProvider(dialect, db.DB, fsys, opts...)
	if err != nil {
		return err
	}
	// Not p.Close: it would close db.DB.
	_, err = p.Up(ctx)
	return err
}

// migrationLockID scopes the advisory lock to the current schema and the
// component, so deployments (and test runs) in other schemas of the same
// database do not wait on each other.
func (db *DB) migrationLockID(ctx context.Context, component string) (int64, error) {
	schema, err := dbsqlc.New(db.DB).CurrentSchema(ctx)
	if err != nil {
		return 0, fmt.Errorf("read current schema: %w", err)
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "manifold/migrate/%s/%s", schema, component)
	return int64(h.Sum64()), nil
}
