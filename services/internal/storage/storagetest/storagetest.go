// Package storagetest is the conformance suite that every storage driver
// passes: the same cases, run against SQLite and PostgreSQL.
package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/manifoldgw/manifold/services/internal/storage"
)

// Run runs the suite. open returns a fresh, empty, unmigrated database that
// no other test uses, and closes it in t.Cleanup. Cases run in parallel.
func Run(t *testing.T, open func(t *testing.T) *storage.DB) {
	cases := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) *storage.DB)
	}{
		{"Migrate", testMigrate},
		{"MapError", testMapError},
		{"DocumentCreate", withDocuments(testDocumentCreate)},
		{"DocumentCompareAndSwap", withDocuments(testDocumentCompareAndSwap)},
		{"DocumentUpsert", withDocuments(testDocumentUpsert)},
		{"DocumentDelete", withDocuments(testDocumentDelete)},
		{"DocumentInvalidInput", withDocuments(testDocumentInvalidInput)},
		{"DocumentRoundTrip", withDocuments(testDocumentRoundTrip)},
		{"DocumentListOrder", withDocuments(testDocumentListOrder)},
		{"DocumentTimeUTC", withDocuments(testDocumentTimeUTC)},
		{"ChangeFeed", withDocuments(testChangeFeed)},
		{"ChangeFeedRollback", withDocuments(testChangeFeedRollback)},
		{"ConcurrentCompareAndSwap", withDocuments(testConcurrentCompareAndSwap)},
		{"ConcurrentTransactions", withDocuments(testConcurrentTransactions)},
		{"ConcurrentCreate", withDocuments(testConcurrentCreate)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, open)
		})
	}
}

// withDocuments adapts a case that needs a migrated document store.
func withDocuments(fn func(t *testing.T, db *storage.DB, docs *storage.Documents)) func(*testing.T, func(*testing.T) *storage.DB) {
	return func(t *testing.T, open func(*testing.T) *storage.DB) {
		db := open(t)
		if err := db.Migrate(t.Context(), storage.DocumentsMigrations()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		fn(t, db, db.Documents())
	}
}

// widgets is a second component, to show that components migrate
// independently and that MapError sees constraint violations of any table.
func widgets() storage.Migrations {
	// The same SQL happens to be valid on both engines.
	files := fstest.MapFS{
		"00001_widgets.sql": {Data: []byte(`-- +goose Up
CREATE TABLE widgets (name TEXT PRIMARY KEY, note TEXT NOT NULL);
-- +goose Down
DROP TABLE widgets;
`)},
		"00002_widgets_note.sql": {Data: []byte(`-- +goose Up
CREATE INDEX widgets_note ON widgets (note);
-- +goose Down
DROP INDEX widgets_note;
`)},
	}
	return storage.Migrations{Component: "widgets", SQLite: files, Postgres: files}
}

func testMigrate(t *testing.T, open func(*testing.T) *storage.DB) {
	ctx := t.Context()
	db := open(t)

	// Several starters at once: PostgreSQL serialises them with an advisory
	// lock, SQLite within the process.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = db.Migrate(ctx, storage.DocumentsMigrations(), widgets()) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent Migrate: %v", err)
	}
	// And again, with nothing left to do.
	if err := db.Migrate(ctx, storage.DocumentsMigrations(), widgets()); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}

	for table, want := range map[string]int64{"goose_documents": 1, "goose_widgets": 2} {
		var got int64
		if err := db.QueryRowContext(ctx, "SELECT MAX(version_id) FROM "+table).Scan(&got); err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		if got != want {
			t.Errorf("%s at version %d, want %d", table, got, want)
		}
	}

	if err := db.Migrate(ctx, storage.Migrations{Component: "Bad Name", SQLite: fstest.MapFS{}, Postgres: fstest.MapFS{}}); err == nil {
		t.Error("Migrate with an invalid component name: got nil error")
	}
	if err := db.Migrate(ctx, storage.Migrations{Component: "empty"}); err == nil {
		t.Error("Migrate without migrations for the driver: got nil error")
	}
}

func testMapError(t *testing.T, open func(*testing.T) *storage.DB) {
	ctx := t.Context()
	db := open(t)
	if err := db.Migrate(ctx, widgets()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	const insert = "INSERT INTO widgets (name, note) VALUES ($1, $2)"
	if _, err := db.ExecContext(ctx, insert, "w", "first"); err != nil {
		t.Fatalf("insert: %v", err)
	}
	_, err := db.ExecContext(ctx, insert, "w", "second")
	if err := storage.MapError(err); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("duplicate insert: got %v, want ErrConflict", err)
	}
	var note string
	err = db.QueryRowContext(ctx, "SELECT note FROM widgets WHERE name = $1", "missing").Scan(&note)
	if err := storage.MapError(err); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("select missing row: got %v, want ErrNotFound", err)
	}
	_, err = db.ExecContext(ctx, "INSERT INTO widgets (name) VALUES ($1)", "no note")
	if err := storage.MapError(err); err == nil || errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrNotFound) {
		t.Errorf("not-null violation: got %v, want an unclassified error", err)
	}
	if storage.MapError(nil) != nil {
		t.Error("MapError(nil) != nil")
	}
}

func testDocumentCreate(t *testing.T, _ *storage.DB, docs *storage.Documents) {
	ctx := t.Context()
	if _, err := docs.Get(ctx, "ns", "k"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get missing: got %v, want ErrNotFound", err)
	}
	mustPut(t, docs, "ns", "k", "v1", storage.ExpectAbsent, 1)
	if _, err := docs.Put(ctx, "ns", "k", []byte("again"), storage.ExpectAbsent); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("create existing: got %v, want ErrConflict", err)
	}
	wantDoc(t, docs, "ns", "k", "v1", 1)
	// Namespaces are separate key spaces.
	mustPut(t, docs, "other", "k", "o1", storage.ExpectAbsent, 1)
	wantDoc(t, docs, "ns", "k", "v1", 1)
	wantDoc(t, docs, "other", "k", "o1", 1)
}

func testDocumentCompareAndSwap(t *testing.T, _ *storage.DB, docs *storage.Documents) {
	ctx := t.Context()
	if _, err := docs.Put(ctx, "ns", "k", []byte("x"), 1); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("swap missing: got %v, want ErrNotFound", err)
	}
	mustPut(t, docs, "ns", "k", "v1", storage.ExpectAbsent, 1)
	mustPut(t, docs, "ns", "k", "v2", 1, 2)
	for _, stale := range []int64{1, 3} {
		if _, err := docs.Put(ctx, "ns", "k", []byte("stale"), stale); !errors.Is(err, storage.ErrConflict) {
			t.Errorf("swap at version %d: got %v, want ErrConflict", stale, err)
		}
	}
	wantDoc(t, docs, "ns", "k", "v2", 2)
	mustPut(t, docs, "ns", "k", "v3", 2, 3)
	wantDoc(t, docs, "ns", "k", "v3", 3)
}

func testDocumentUpsert(t *testing.T, _ *storage.DB, docs *storage.Documents) {
	mustPut(t, docs, "ns", "k", "v1", storage.ExpectAny, 1)
	mustPut(t, docs, "ns", "k", "v2", storage.ExpectAny, 2)
	mustPut(t, docs, "ns", "k", "v3", storage.ExpectAny, 3)
	wantDoc(t, docs, "ns", "k", "v3", 3)
}

func testDocumentDelete(t *testing.T, _ *storage.DB, docs *storage.Documents) {
	ctx := t.Context()
	if err := docs.Delete(ctx, "ns", "k", storage.ExpectAny); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("delete missing: got %v, want ErrNotFound", err)
	}
	if err := docs.Delete(ctx, "ns", "k", 1); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("delete missing at version: got %v, want ErrNotFound", err)
	}
	mustPut(t, docs, "ns", "k", "v1", storage.ExpectAbsent, 1)
	mustPut(t, docs, "ns", "k", "v2", 1, 2)
	if err := docs.Delete(ctx, "ns", "k", 1); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("delete at stale version: got %v, want ErrConflict", err)
	}
	wantDoc(t, docs, "ns", "k", "v2", 2)
	if err := docs.Delete(ctx, "ns", "k", 2); err != nil {
		t.Fatalf("delete at version: %v", err)
	}
	if _, err := docs.Get(ctx, "ns", "k"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get deleted: got %v, want ErrNotFound", err)
	}
	// A deleted key can be created again, from version 1.
	mustPut(t, docs, "ns", "k", "again", storage.ExpectAbsent, 1)
	if err := docs.Delete(ctx, "ns", "k", storage.ExpectAny); err != nil {
		t.Fatalf("unconditional delete: %v", err)
	}
	if _, err := docs.Get(ctx, "ns", "k"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get deleted: got %v, want ErrNotFound", err)
	}
}

func testDocumentInvalidInput(t *testing.T, _ *storage.DB, docs *storage.Documents) {
	ctx := t.Context()
	for _, name := range []string{"", "nul\x00byte", "bad\xffutf8"} {
		if _, err := docs.Put(ctx, "ns", name, []byte("v"), storage.ExpectAny); !isPlainError(err) {
			t.Errorf("Put key %q: got %v, want an input error", name, err)
		}
		if _, err := docs.Put(ctx, name, "k", []byte("v"), storage.ExpectAny); !isPlainError(err) {
			t.Errorf("Put namespace %q: got %v, want an input error", name, err)
		}
		if _, err := docs.List(ctx, name); !isPlainError(err) {
			t.Errorf("List namespace %q: got %v, want an input error", name, err)
		}
	}
	if _, err := docs.Put(ctx, "ns", "k", []byte("v"), -2); !isPlainError(err) {
		t.Errorf("Put at version -2: got %v, want an input error", err)
	}
	if err := docs.Delete(ctx, "ns", "k", storage.ExpectAbsent); !isPlainError(err) {
		t.Errorf("Delete with ExpectAbsent: got %v, want an input error", err)
	}
	if changes := mustChanges(t, docs, 0, 0); len(changes) != 0 {
		t.Errorf("rejected writes left changes: %+v", changes)
	}
}

func isPlainError(err error) bool {
	return err != nil && !errors.Is(err, storage.ErrConflict) && !errors.Is(err, storage.ErrNotFound)
}

func testDocumentRoundTrip(t *testing.T, _ *storage.DB, docs *storage.Documents) {
	ctx := t.Context()
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	values := map[string][]byte{
		"empty":                 {},
		"nil":                   nil,
		"all bytes":             allBytes,
		"invalid utf-8":         []byte("\xff\xfe\x00\xc3\x28"),
		"unicode":               []byte("héllo wörld, 日本語, 🚀, עברית"),
		"large":                 bytes.Repeat([]byte("0123456789abcdef"), 1<<16), // 1 MiB
		"ключ/日本語/🔑":            []byte("unicode key"),
		`quotes ' " \ and %_*`:  []byte("awkward key"),
		"  spaced  \t tabbed\n": []byte("whitespace key"),
	}
	for key, value := range values {
		mustPut(t, docs, "round trip ✓", key, string(value), storage.ExpectAbsent, 1)
	}
	for key, value := range values {
		doc, err := docs.Get(ctx, "round trip ✓", key)
		if err != nil {
			t.Fatalf("Get %q: %v", key, err)
		}
		if doc.Namespace != "round trip ✓" || doc.Key != key {
			t.Errorf("Get %q: got namespace %q key %q", key, doc.Namespace, doc.Key)
		}
		if doc.Value == nil || !bytes.Equal(doc.Value, value) {
			t.Errorf("Get %q: value %q (len %d, nil %t), want %q", key, abbrev(doc.Value), len(doc.Value), doc.Value == nil, abbrev(value))
		}
	}
	list, err := docs.List(ctx, "round trip ✓")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != len(values) {
		t.Fatalf("List: %d documents, want %d", len(list), len(values))
	}
	for _, doc := range list {
		if want := values[doc.Key]; doc.Value == nil || !bytes.Equal(doc.Value, want) {
			t.Errorf("List %q: value %q, want %q", doc.Key, abbrev(doc.Value), abbrev(want))
		}
	}
}

func abbrev(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}

func testDocumentListOrder(t *testing.T, _ *storage.DB, docs *storage.Documents) {
	ctx := t.Context()
	if list, err := docs.List(ctx, "ns"); err != nil || len(list) != 0 {
		t.Fatalf("List empty namespace: %v, %v", list, err)
	}
	// Byte order, the same as Go's string comparison: upper case before
	// lower, "a" before "aa", multi-byte UTF-8 after ASCII.
	keys := []string{"b", "B", "a", "aa", "a/b", "a-b", "Z", "é", "e", "z", "日本", "🚀", "10", "9"}
	for _, k := range keys {
		mustPut(t, docs, "ns", k, "v", storage.ExpectAbsent, 1)
	}
	mustPut(t, docs, "ns2", "0", "elsewhere", storage.ExpectAbsent, 1)
	mustPut(t, docs, "n", "0", "prefix namespace", storage.ExpectAbsent, 1)
	list, err := docs.List(ctx, "ns")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var got []string
	for _, d := range list {
		if d.Namespace != "ns" {
			t.Errorf("List(ns) returned namespace %q", d.Namespace)
		}
		got = append(got, d.Key)
	}
	if want := slices.Sorted(slices.Values(keys)); !slices.Equal(got, want) {
		t.Errorf("List order\n got %q\nwant %q", got, want)
	}
}

func testDocumentTimeUTC(t *testing.T, _ *storage.DB, docs *storage.Documents) {
	// Not UTC, with nanoseconds: stored as UTC microseconds.
	zone := time.FixedZone("UTC+05:30", 5*3600+30*60)
	created := time.Date(2031, 7, 14, 23, 59, 58, 123456789, zone)
	updated := time.Date(1999, 12, 31, 23, 59, 59, 999999999, zone)

	mustPut(t, docs.WithClock(func() time.Time { return created }), "ns", "k", "v1", storage.ExpectAbsent, 1)
	doc := wantDoc(t, docs, "ns", "k", "v1", 1)
	wantTime(t, "CreatedAt", doc.CreatedAt, created)
	wantTime(t, "UpdatedAt", doc.UpdatedAt, created)

	mustPut(t, docs.WithClock(func() time.Time { return updated }), "ns", "k", "v2", storage.ExpectAny, 2)
	doc = wantDoc(t, docs, "ns", "k", "v2", 2)
	wantTime(t, "CreatedAt after update", doc.CreatedAt, created)
	wantTime(t, "UpdatedAt after update", doc.UpdatedAt, updated)

	changes := mustChanges(t, docs, 0, 0)
	if len(changes) != 2 {
		t.Fatalf("got %d changes, want 2", len(changes))
	}
	wantTime(t, "first Change.At", changes[0].At, created)
	wantTime(t, "second Change.At", changes[1].At, updated)
}

func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	want = want.Truncate(time.Microsecond).UTC()
	if got.Location() != time.UTC {
		t.Errorf("%s in %v, want UTC", what, got.Location())
	}
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func testChangeFeed(t *testing.T, _ *storage.DB, docs *storage.Documents) {
	ctx := t.Context()
	at := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
	docs = docs.WithClock(func() time.Time { return at })

	mustPut(t, docs, "a", "x", "1", storage.ExpectAbsent, 1)
	mustPut(t, docs, "b", "y", "1", storage.ExpectAny, 1)
	mustPut(t, docs, "a", "x", "2", 1, 2)
	// Failed writes leave no trace in the feed.
	if _, err := docs.Put(ctx, "a", "x", []byte("dup"), storage.ExpectAbsent); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("create existing: %v", err)
	}
	if _, err := docs.Put(ctx, "a", "x", []byte("stale"), 1); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("stale swap: %v", err)
	}
	if err := docs.Delete(ctx, "b", "y", 7); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("stale delete: %v", err)
	}
	if err := docs.Delete(ctx, "a", "nope", storage.ExpectAny); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("delete missing: %v", err)
	}
	if err := docs.Delete(ctx, "b", "y", storage.ExpectAny); err != nil {
		t.Fatalf("delete: %v", err)
	}
	mustPut(t, docs, "b", "y", "again", storage.ExpectAbsent, 1)

	want := []storage.Change{
		{Seq: 1, Namespace: "a", Key: "x", Version: 1, At: at},
		{Seq: 2, Namespace: "b", Key: "y", Version: 1, At: at},
		{Seq: 3, Namespace: "a", Key: "x", Version: 2, At: at},
		{Seq: 4, Namespace: "b", Key: "y", Version: 1, Deleted: true, At: at},
		{Seq: 5, Namespace: "b", Key: "y", Version: 1, At: at},
	}
	wantChanges(t, "all", mustChanges(t, docs, 0, 0), want)
	wantChanges(t, "page after 1, limit 2", mustChanges(t, docs, 1, 2), want[1:3])
	wantChanges(t, "page after 3", mustChanges(t, docs, 3, 100), want[3:])
	wantChanges(t, "page after the end", mustChanges(t, docs, 5, 100), nil)
}

func testChangeFeedRollback(t *testing.T, db *storage.DB, docs *storage.Documents) {
	ctx := t.Context()
	mustPut(t, docs, "ns", "before", "v", storage.ExpectAbsent, 1)

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("BeginTx: %v", err)
	}
	inTx := docs.WithTx(tx)
	mustPut(t, inTx, "ns", "ghost", "v", storage.ExpectAbsent, 1)
	mustPut(t, inTx, "ns", "before", "v2", 1, 2)
	if got := mustChanges(t, inTx, 0, 0); len(got) != 3 {
		t.Fatalf("inside the transaction: %d changes, want 3", len(got))
	}
	if err := tx.Rollback(); err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	if _, err := docs.Get(ctx, "ns", "ghost"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get rolled-back document: got %v, want ErrNotFound", err)
	}
	wantDoc(t, docs, "ns", "before", "v", 1)
	got := mustChanges(t, docs, 0, 0)
	if len(got) != 1 || got[0].Key != "before" {
		t.Fatalf("after rollback: changes %+v, want only the first write", got)
	}

	// A committed transaction publishes all its writes, and the feed stays
	// gapless: the rolled-back seqs are reused.
	tx, err = db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("BeginTx: %v", err)
	}
	inTx = docs.WithTx(tx)
	mustPut(t, inTx, "ns", "one", "v", storage.ExpectAbsent, 1)
	if err := inTx.Delete(ctx, "ns", "before", 1); err != nil {
		t.Fatalf("Delete in transaction: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	got = mustChanges(t, docs, 0, 0)
	var seqs []int64
	for _, c := range got {
		seqs = append(seqs, c.Seq)
	}
	if !slices.Equal(seqs, []int64{1, 2, 3}) || got[1].Key != "one" || !got[2].Deleted {
		t.Fatalf("after commit: changes %+v, want seqs 1..3 ending with put one, delete before", got)
	}
}

// testConcurrentCompareAndSwap increments a counter from many goroutines
// with a read/compare-and-swap retry loop: every increment must land (no
// lost update) and no writer may fail with anything but ErrConflict, which
// on SQLite means no SQLITE_BUSY.
func testConcurrentCompareAndSwap(t *testing.T, _ *storage.DB, docs *storage.Documents) {
	ctx := t.Context()
	concurrentIncrements(t, docs, func() error {
		doc, err := docs.Get(ctx, "ns", "counter")
		if err != nil {
			return err
		}
		_, err = docs.Put(ctx, "ns", "counter", increment(t, doc.Value), doc.Version)
		return err
	})
}

// testConcurrentTransactions is the same race with the read inside the
// writer's own transaction. On SQLite a deferred transaction that reads and
// then writes fails with SQLITE_BUSY when another writer got in between;
// the driver must begin write transactions so that this cannot happen.
func testConcurrentTransactions(t *testing.T, db *storage.DB, docs *storage.Documents) {
	ctx := t.Context()
	concurrentIncrements(t, docs, func() error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		inTx := docs.WithTx(tx)
		doc, err := inTx.Get(ctx, "ns", "counter")
		if err != nil {
			return err
		}
		if _, err := inTx.Put(ctx, "ns", "counter", increment(t, doc.Value), doc.Version); err != nil {
			return err
		}
		return tx.Commit()
	})
}

func increment(t *testing.T, value []byte) []byte {
	n, err := strconv.Atoi(string(value))
	if err != nil {
		t.Errorf("counter value %q: %v", value, err)
	}
	return strconv.AppendInt(nil, int64(n+1), 10)
}

// concurrentIncrements runs inc from 16 goroutines until each has succeeded
// 8 times, retrying on ErrConflict, then checks that the counter document
// and the change feed account for every increment.
func concurrentIncrements(t *testing.T, docs *storage.Documents, inc func() error) {
	const writers, increments = 16, 8
	mustPut(t, docs, "ns", "counter", "0", storage.ExpectAbsent, 1)
	var (
		wg        sync.WaitGroup
		conflicts atomic.Int64
	)
	for range writers {
		wg.Go(func() {
			for range increments {
				for {
					err := inc()
					if errors.Is(err, storage.ErrConflict) {
						conflicts.Add(1)
						continue
					}
					if err != nil {
						t.Errorf("increment: %v", err)
						return
					}
					break
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	const total = writers * increments
	wantDoc(t, docs, "ns", "counter", strconv.Itoa(total), total+1)
	changes := mustChanges(t, docs, 0, 0)
	if len(changes) != total+1 {
		t.Fatalf("%d changes, want %d", len(changes), total+1)
	}
	for i, c := range changes {
		if c.Seq != int64(i+1) || c.Version != int64(i+1) {
			t.Fatalf("change %d = seq %d version %d, want both %d", i, c.Seq, c.Version, i+1)
		}
	}
	t.Logf("%d increments, %d conflicts retried", total, conflicts.Load())
}

func testConcurrentCreate(t *testing.T, _ *storage.DB, docs *storage.Documents) {
	const writers = 16
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = docs.Put(t.Context(), "ns", "k", fmt.Appendf(nil, "writer %d", i), storage.ExpectAbsent)
		})
	}
	wg.Wait()
	var won []int
	for i, err := range errs {
		switch {
		case err == nil:
			won = append(won, i)
		case !errors.Is(err, storage.ErrConflict):
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if len(won) != 1 {
		t.Fatalf("%d writers created the document, want exactly 1", len(won))
	}
	wantDoc(t, docs, "ns", "k", fmt.Sprintf("writer %d", won[0]), 1)
	if changes := mustChanges(t, docs, 0, 0); len(changes) != 1 {
		t.Errorf("%d changes, want 1", len(changes))
	}
}

func mustPut(t *testing.T, docs *storage.Documents, ns, key, value string, expect, wantVersion int64) {
	t.Helper()
	got, err := docs.Put(t.Context(), ns, key, []byte(value), expect)
	if err != nil {
		t.Fatalf("Put %s/%s (expect %d): %v", ns, key, expect, err)
	}
	if got != wantVersion {
		t.Fatalf("Put %s/%s (expect %d): version %d, want %d", ns, key, expect, got, wantVersion)
	}
}

func wantDoc(t *testing.T, docs *storage.Documents, ns, key, value string, version int64) storage.Document {
	t.Helper()
	doc, err := docs.Get(t.Context(), ns, key)
	if err != nil {
		t.Fatalf("Get %s/%s: %v", ns, key, err)
	}
	if string(doc.Value) != value || doc.Version != version || doc.Namespace != ns || doc.Key != key {
		t.Fatalf("Get %s/%s = %s/%s %q v%d, want %q v%d", ns, key, doc.Namespace, doc.Key, doc.Value, doc.Version, value, version)
	}
	return doc
}

func mustChanges(t *testing.T, docs *storage.Documents, after int64, limit int) []storage.Change {
	t.Helper()
	changes, err := docs.Changes(t.Context(), after, limit)
	if err != nil {
		t.Fatalf("Changes(%d, %d): %v", after, limit, err)
	}
	return changes
}

func wantChanges(t *testing.T, what string, got, want []storage.Change) {
	t.Helper()
	if len(got) == len(want) && slices.EqualFunc(got, want, func(a, b storage.Change) bool {
		return a.Seq == b.Seq && a.Namespace == b.Namespace && a.Key == b.Key &&
			a.Version == b.Version && a.Deleted == b.Deleted && a.At.Equal(b.At) && a.At.Location() == time.UTC
	}) {
		return
	}
	var b strings.Builder
	for _, c := range got {
		fmt.Fprintf(&b, "\n  got  %+v", c)
	}
	for _, c := range want {
		fmt.Fprintf(&b, "\n  want %+v", c)
	}
	t.Errorf("changes (%s) differ:%s", what, b.String())
}
