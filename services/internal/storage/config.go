package storage

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// sqliteFileName is the database file created in DataDir when no
// database_url is configured.
const sqliteFileName = "manifold.db"

// Config selects and locates the database.
type Config struct {
	// DatabaseURL is postgres://..., postgresql://..., sqlite:///abs/path.db
	// or sqlite:relative/path.db (relative to the working directory). Empty
	// means the SQLite file manifold.db in DataDir.
	DatabaseURL string
	// DataDir holds the default SQLite file; it is created if missing.
	DataDir string
}

// Validate reports a configuration error naming the bad setting. It never
// echoes a password from database_url.
func (c Config) Validate() error {
	_, err := c.target()
	return err
}

// target is a validated Config: which engine, and where.
type target struct {
	driver Driver
	// path is the SQLite database file (SQLite only).
	path string
	// pool is the parsed pgx configuration (PostgreSQL only).
	pool *pgxpool.Config
}

func (c Config) target() (target, error) {
	u := strings.TrimSpace(c.DatabaseURL)
	switch {
	case u == "":
		if c.DataDir == "" {
			return target{}, errors.New("storage: data_dir must be set when database_url is empty")
		}
		if strings.ContainsAny(c.DataDir, "?#") {
			return target{}, fmt.Errorf("storage: data_dir %q: '?' and '#' are not supported in the path", c.DataDir)
		}
		return target{driver: DriverSQLite, path: filepath.Join(c.DataDir, sqliteFileName)}, nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		// pgx redacts the password in its parse errors, so they can be wrapped as is.
		pc, err := pgxpool.ParseConfig(u)
		if err != nil {
			return target{}, fmt.Errorf("storage: database_url: %w", err)
		}
		return target{driver: DriverPostgres, pool: pc}, nil
	case strings.HasPrefix(u, "sqlite:"):
		path, err := sqlitePath(strings.TrimPrefix(u, "sqlite:"))
		if err != nil {
			return target{}, fmt.Errorf("storage: database_url %q: %w", u, err)
		}
		return target{driver: DriverSQLite, path: path}, nil
	default:
		// The value may be a keyword/value DSN with a password in it, so only
		// its scheme is safe to show.
		scheme, _, ok := strings.Cut(u, ":")
		if !ok || strings.ContainsAny(scheme, " =/@") {
			scheme = ""
		}
		return target{}, fmt.Errorf("storage: database_url: unsupported scheme %q, want postgres://, postgresql:// or sqlite:", scheme)
	}
}

// sqlitePath turns the part after "sqlite:" into a file path: "///abs/x.db"
// is absolute, "x.db" is relative.
func sqlitePath(rest string) (string, error) {
	switch {
	case strings.HasPrefix(rest, "///"):
		rest = rest[2:]
	case strings.HasPrefix(rest, "//"):
		return "", errors.New("want sqlite:///absolute/path.db or sqlite:relative/path.db")
	}
	if rest == "" || rest == "/" {
		return "", errors.New("missing file path")
	}
	if strings.ContainsAny(rest, "?#") {
		// The SQLite DSN carries our pragmas after '?', so the path cannot.
		return "", errors.New("query strings and fragments are not supported")
	}
	return filepath.Clean(rest), nil
}
