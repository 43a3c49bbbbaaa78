// Package quotatest runs a real quota service for tests: on SQLite or on
// PostgreSQL (a fresh schema per test), served over real HTTP by the shared
// server (Connect, gRPC and gRPC-Web, with request validation).
package quotatest

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

	"github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"
	"github.com/manifoldgw/manifold/services/internal/server"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/quota"
)

// DefaultDatabaseURL is a local PostgreSQL with trust auth; override with
// MANIFOLD_TEST_DATABASE_URL.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Driver opens a fresh database for one test.
type Driver struct {
	Name string
	Open func(t testing.TB) *storage.DB
}

// Drivers are both storage engines; PostgreSQL must be reachable (the test
// fails otherwise, it is never skipped).
var Drivers = []Driver{{"sqlite", OpenSQLite}, {"postgres", OpenPostgres}}

// OpenSQLite opens an SQLite database in t.TempDir().
func OpenSQLite(t testing.TB) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), storage.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("open SQLite: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// OpenPostgres opens a PostgreSQL database in a schema of its own, dropped
// at cleanup.
func OpenPostgres(t testing.TB) *storage.DB {
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
	exec(context.Background(), "CREATE SCHEMA "+schema)
	t.Cleanup(func() { exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("MANIFOLD_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	if !q.Has("pool_max_conns") {
		q.Set("pool_max_conns", "8")
	}
	u.RawQuery = q.Encode()
	db, err := storage.Open(context.Background(), storage.Config{DatabaseURL: u.String()})
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() }) // runs before the schema drop
	return db
}

// Serve runs the quota service on db over real HTTP until the test ends and
// returns it with its base URL (http://127.0.0.1:port).
func Serve(t testing.TB, db *storage.DB, cfg quota.Config) (*quota.Service, string) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := quota.Open(context.Background(), cfg, db, logger)
	if err != nil {
		t.Fatalf("quota.Open: %v", err)
	}
	srv, err := server.New(server.DefaultConfig(), logger)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	path, h := quotav1connect.NewQuotaServiceHandler(svc, srv.HandlerOptions()...)
	srv.RegisterService(quotav1connect.QuotaServiceName, path, h)
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
	return svc, "http://" + ln.Addr().String()
}
