// Package promptstest runs a real prompt registry for tests: on SQLite or
// on PostgreSQL (a fresh schema per test), served over real HTTP by the
// shared server (Connect, gRPC and gRPC-Web, with request validation).
package promptstest

import (
	"cmp"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/manifoldgw/manifold/gen/go/manifold/prompts/v1/promptsv1connect"
	"github.com/manifoldgw/manifold/services/internal/server"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/prompts"
	"github.com/manifoldgw/manifold/services/prompts/store"
)

// DefaultDatabaseURL is a local PostgreSQL with trust auth; override with
// MANIFOLD_TEST_DATABASE_URL.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Driver opens a fresh, migrated database for one test.
type Driver struct {
	Name string
	Open func(t *testing.T) *storage.DB
}

// Drivers are both storage engines; PostgreSQL must be reachable (the test
// fails otherwise, it is never skipped).
var Drivers = []Driver{{"sqlite", OpenSQLite}, {"postgres", OpenPostgres}}

// OpenSQLite opens a migrated SQLite database in t.TempDir().
func OpenSQLite(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.Open(t.Context(), storage.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("open SQLite: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	migrate(t, db)
	return db
}

// OpenPostgres opens a migrated PostgreSQL database in a schema of its own,
// dropped at cleanup.
func OpenPostgres(t *testing.T) *storage.DB {
	t.Helper()
	base := cmp.Or(os.Getenv("MANIFOLD_TEST_DATABASE_URL"), DefaultDatabaseURL)
	schema := "t_" + strings.ToLower(rand.Text())
	exec := func(ctx context.Context, sql string) {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("PostgreSQL is required for this test and is unreachable: %v\n"+
				"Start it or point MANIFOLD_TEST_DATABASE_URL at one (default %s).", err, DefaultDatabaseURL)
		}
		defer func() { _ = conn.Close(ctx) }()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Errorf("%s: %v", sql, err)
		}
	}
	exec(t.Context(), "CREATE SCHEMA "+schema)
	t.Cleanup(func() { exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("MANIFOLD_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	if !q.Has("pool_max_conns") {
		q.Set("pool_max_conns", "4")
	}
	u.RawQuery = q.Encode()
	db, err := storage.Open(t.Context(), storage.Config{DatabaseURL: u.String()})
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() }) // runs before the schema drop
	migrate(t, db)
	return db
}

func migrate(t *testing.T, db *storage.DB) {
	t.Helper()
	if err := db.Migrate(t.Context(), store.Migrations()); err != nil {
		t.Fatalf("migrate prompts: %v", err)
	}
}

// Serve runs the registry on db over real HTTP until the test ends and
// returns its base URL (http://127.0.0.1:port).
func Serve(t *testing.T, db *storage.DB, cfg prompts.Config) string {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(server.DefaultConfig(), logger)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	path, h := promptsv1connect.NewPromptServiceHandler(prompts.New(cfg, db, logger), srv.HandlerOptions()...)
	srv.RegisterService(promptsv1connect.PromptServiceName, path, h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}
