package storage_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/manifoldgw/manifold/services/internal/storage"
	"github.com/manifoldgw/manifold/services/internal/storage/storagetest"
)

// defaultTestDatabaseURL is a local PostgreSQL with trust auth; override
// with MANIFOLD_TEST_DATABASE_URL.
const defaultTestDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func TestSQLite(t *testing.T) {
	storagetest.Run(t, openSQLite)
}

func TestPostgres(t *testing.T) {
	storagetest.Run(t, openPostgres)
}

func openSQLite(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.Open(t.Context(), storage.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("open SQLite: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// openPostgres opens the test database in a schema of its own, dropped at
// cleanup, so runs and parallel tests never see each other's tables.
func openPostgres(t *testing.T) *storage.DB {
	t.Helper()
	base := cmp.Or(os.Getenv("MANIFOLD_TEST_DATABASE_URL"), defaultTestDatabaseURL)
	schema := "t_" + strings.ToLower(rand.Text())

	admin := connectAdmin(t, t.Context(), base)
	if _, err := admin.Exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	_ = admin.Close(t.Context())
	t.Cleanup(func() {
		// t.Context is already done during cleanup.
		ctx := context.Background()
		admin := connectAdmin(t, ctx, base)
		defer func() { _ = admin.Close(ctx) }()
		if _, err := admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})

	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("MANIFOLD_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	if !q.Has("pool_max_conns") {
		// Parallel cases each hold a pool; stay well below max_connections.
		q.Set("pool_max_conns", "4")
	}
	u.RawQuery = q.Encode()
	db, err := storage.Open(t.Context(), storage.Config{DatabaseURL: u.String()})
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	// Registered after the schema drop, so it runs before it.
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func connectAdmin(t *testing.T, ctx context.Context, dbURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("PostgreSQL is required for this test and is unreachable: %v\n"+
			"Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) "+
			"or point MANIFOLD_TEST_DATABASE_URL at one (default %s).", err, defaultTestDatabaseURL)
	}
	return conn
}

func TestSQLiteDefaults(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not", "yet", "there")
	db, err := storage.Open(t.Context(), storage.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer func() { _ = db.Close() }()
	if db.Driver() != storage.DriverSQLite || db.Pool() != nil {
		t.Errorf("Driver() = %q, Pool() = %v; want sqlite and nil", db.Driver(), db.Pool())
	}
	if _, err := os.Stat(filepath.Join(dir, "manifold.db")); err != nil {
		t.Errorf("database file: %v", err)
	}
	// Every pooled connection carries the pragmas; check one.
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatalf("Conn: %v", err)
	}
	defer func() { _ = conn.Close() }()
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"busy_timeout": "5000",
		"foreign_keys": "1",
		"synchronous":  "1", // NORMAL
	} {
		var got string
		if err := conn.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

func TestPostgresNotify(t *testing.T) {
	db := openPostgres(t)
	ctx := t.Context()
	if db.Driver() != storage.DriverPostgres || db.Pool() == nil {
		t.Fatalf("Driver() = %q, Pool() = %v; want postgres and a pool", db.Driver(), db.Pool())
	}
	if err := db.Migrate(ctx, storage.DocumentsMigrations()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	listener, err := db.Pool().Acquire(ctx)
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	defer listener.Release()
	if _, err := listener.Exec(ctx, "LISTEN manifold_changes"); err != nil {
		t.Fatalf("LISTEN: %v", err)
	}

	docs := db.Documents()
	if _, err := docs.Put(ctx, "ns", "k", []byte("v"), storage.ExpectAbsent); err != nil {
		t.Fatalf("Put: %v", err)
	}
	n, err := listener.Conn().WaitForNotification(ctx)
	if err != nil {
		t.Fatalf("WaitForNotification: %v", err)
	}
	changes, err := docs.Changes(ctx, 0, 0)
	if err != nil || len(changes) != 1 {
		t.Fatalf("Changes: %v, %v", changes, err)
	}
	if n.Channel != "manifold_changes" || n.Payload != strconv.FormatInt(changes[0].Seq, 10) {
		t.Errorf("notification %q %q, want manifold_changes %d", n.Channel, n.Payload, changes[0].Seq)
	}
}
