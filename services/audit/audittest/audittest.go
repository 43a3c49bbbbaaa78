// Package audittest runs a real audit service for tests: on SQLite or on
// PostgreSQL (a fresh schema per test), served over real HTTP by the shared
// server (Connect, gRPC and gRPC-Web, with request validation), behind a
// switch that can take it down and bring it back.
package audittest

import (
	"cmp"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/manifoldgw/manifold/gen/go/manifold/audit/v1/auditv1connect"
	"github.com/manifoldgw/manifold/services/audit"
	"github.com/manifoldgw/manifold/services/audit/store"
	"github.com/manifoldgw/manifold/services/internal/server"
	"github.com/manifoldgw/manifold/services/internal/storage"
)

// DefaultDatabaseURL is a local PostgreSQL with trust auth; override with
// MANIFOLD_TEST_DATABASE_URL.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Driver opens a fresh, migrated database for one test.
type Driver struct {
	Name string
	Open func(t testing.TB) *storage.DB
}

// Drivers are both storage engines; PostgreSQL must be reachable (the test
// fails otherwise, it is never skipped).
var Drivers = []Driver{{"sqlite", OpenSQLite}, {"postgres", OpenPostgres}}

// OpenSQLite opens a migrated SQLite database in t.TempDir().
func OpenSQLite(t testing.TB) *storage.DB {
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

func migrate(t testing.TB, db *storage.DB) {
	t.Helper()
	if err := db.Migrate(t.Context(), store.Migrations()); err != nil {
		t.Fatalf("migrate audit: %v", err)
	}
}

// Mode is what a Server does with requests.
type Mode int32

// Modes.
const (
	// Up serves normally.
	Up Mode = iota
	// Down answers every RecordCalls 503 without reaching the service.
	Down
	// LoseReplies serves each RecordCalls, then drops the connection
	// instead of replying, so the caller cannot know that it succeeded.
	LoseReplies
)

// Server is a running audit service.
type Server struct {
	// URL is the base URL (http://127.0.0.1:port).
	URL  string
	mode atomic.Int32
}

// SetMode switches what the server does with the next requests.
func (s *Server) SetMode(m Mode) { s.mode.Store(int32(m)) }

// Serve runs the audit service on db over real HTTP until the test ends.
func Serve(t testing.TB, db *storage.DB, cfg audit.Config) *Server {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(server.DefaultConfig(), logger)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	s := &Server{}
	path, h := auditv1connect.NewAuditServiceHandler(audit.New(cfg, store.New(db), logger), srv.HandlerOptions()...)
	srv.RegisterService(auditv1connect.AuditServiceName, path, s.gate(h))
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
	s.URL = "http://" + ln.Addr().String()
	return s
}

func (s *Server) gate(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mode := Mode(s.mode.Load())
		if !strings.HasSuffix(r.URL.Path, "/RecordCalls") {
			mode = Up // queries always work, so tests can look
		}
		switch mode {
		case Down:
			http.Error(w, "audit service down (test)", http.StatusServiceUnavailable)
		case LoseReplies:
			h.ServeHTTP(discard{header: http.Header{}}, r)
			panic(http.ErrAbortHandler)
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// discard is a ResponseWriter that drops the reply.
type discard struct{ header http.Header }

func (d discard) Header() http.Header       { return d.header }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}
