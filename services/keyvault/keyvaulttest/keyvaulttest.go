// Package keyvaulttest runs a real key vault for tests: on SQLite or on
// PostgreSQL (a fresh schema per test), served over real HTTP by the shared
// server (Connect, gRPC and gRPC-Web, with request validation and the
// vault's access checks).
package keyvaulttest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1/keyvaultv1connect"
	"github.com/manifoldgw/manifold/services/internal/server"
	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/keyvault"
)

// DefaultDatabaseURL is a local PostgreSQL with trust auth; override with
// MANIFOLD_TEST_DATABASE_URL.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Tokens used by Config.
const (
	AdminToken    = "test-bootstrap-admin-token"
	InternalToken = "test-internal-service-token"
)

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
	db, _ := OpenPostgresURL(t)
	return db
}

// OpenPostgresURL is OpenPostgres, also returning a URL for pgx.Connect
// that sees the test's schema, for raw reads.
func OpenPostgresURL(t *testing.T) (*storage.DB, string) {
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
	u.RawQuery = q.Encode()
	raw := u.String()
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
	return db, raw
}

func migrate(t *testing.T, db *storage.DB) {
	t.Helper()
	if err := db.Migrate(t.Context(), storage.DocumentsMigrations()); err != nil {
		t.Fatalf("migrate documents: %v", err)
	}
}

// NewMasterKey returns a random master key as base64 text.
func NewMasterKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Config is a vault configuration for tests: keys required, a fresh master
// key, the test tokens, and a fast watch.
func Config(t *testing.T) keyvault.Config {
	cfg := keyvault.DefaultConfig()
	cfg.MasterKey = NewMasterKey(t)
	cfg.AdminToken = AdminToken
	cfg.InternalToken = InternalToken
	cfg.WatchPoll = 20 * 1e6 // 20ms
	return cfg
}

// Logs collects a server's log output, to check that no secret is logged.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Vault is a served key vault.
type Vault struct {
	URL     string // http://127.0.0.1:port
	Addr    string // 127.0.0.1:port
	Service *keyvault.Service
	Server  *server.Server
	Logs    *Logs
}

// Serve runs the vault on db over real HTTP until the test ends.
func Serve(t *testing.T, db *storage.DB, cfg keyvault.Config) *Vault {
	t.Helper()
	logs := &Logs{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.New(server.DefaultConfig(), logger)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	svc, err := keyvault.New(t.Context(), cfg, db, logger)
	if err != nil {
		t.Fatalf("keyvault.New: %v", err)
	}
	Mount(srv, svc)
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
	return &Vault{URL: "http://" + ln.Addr().String(), Addr: ln.Addr().String(), Service: svc, Server: srv, Logs: logs}
}

// Mount registers the vault on srv with its access checks ahead of request
// validation, as the gateway does.
func Mount(srv *server.Server, svc *keyvault.Service) {
	path, h := svc.Handler(srv.HandlerOptions()...)
	srv.RegisterService(keyvaultv1connect.KeyVaultServiceName, path, h)
}
