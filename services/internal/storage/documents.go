package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/manifoldgw/manifold/services/internal/storage/internal/dbsqlc"
)

// maxChangesPage caps one Changes call.
const maxChangesPage = 1000

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// DocumentsMigrations is the schema behind Documents; pass it to Migrate.
func DocumentsMigrations() Migrations {
	return Migrations{
		Component: "documents",
		SQLite:    mustSub(migrationFiles, "migrations/sqlite"),
		Postgres:  mustSub(migrationFiles, "migrations/postgres"),
	}
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a constant embedded above
	}
	return sub
}

// Documents is a versioned key/value store with a change feed. Every write
// appends a Change in the same transaction; on PostgreSQL it also sends
// pg_notify('manifold_changes', seq) on commit.
//
// Writes are serialised (one counter row hands out Change.Seq), which is the
// price of a feed that a reader can page through by seq without missing a
// late commit. That suits configuration-sized data, not hot paths.
type Documents struct {
	driver Driver
	db     *sql.DB
	tx     *sql.Tx
	now    func() time.Time
}

// Documents returns the document store on db. Migrate DocumentsMigrations
// first.
func (db *DB) Documents() *Documents {
	return &Documents{driver: db.driver, db: db.DB, now: time.Now}
}

// WithTx returns a copy that runs inside tx, so several writes commit or roll
// back together (their changes too). The caller commits or rolls back tx;
// after a failed write, roll back (PostgreSQL has aborted the transaction).
// Document writes in tx hold the change-feed lock until tx ends, so keep it
// short; on SQLite, tx holds the database write lock from its start.
func (d *Documents) WithTx(tx *sql.Tx) *Documents {
	c := *d
	c.tx = tx
	return &c
}

// WithClock returns a copy that stamps times from now instead of time.Now.
func (d *Documents) WithClock(now func() time.Time) *Documents {
	c := *d
	c.now = now
	return &c
}

// Get returns the document at namespace/key, or ErrNotFound.
func (d *Documents) Get(ctx context.Context, namespace, key string) (Document, error) {
	if err := checkNames(namespace, key); err != nil {
		return Document{}, err
	}
	row, err := d.queries().GetDocument(ctx, dbsqlc.GetDocumentParams{Namespace: namespace, Key: key})
	if err != nil {
		return Document{}, fmt.Errorf("get document: %w", MapError(err))
	}
	return documentFromRow(row), nil
}

// List returns every document in namespace, sorted by key in byte order.
func (d *Documents) List(ctx context.Context, namespace string) ([]Document, error) {
	if err := checkName("namespace", namespace); err != nil {
		return nil, err
	}
	rows, err := d.queries().ListDocuments(ctx, namespace)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", MapError(err))
	}
	docs := make([]Document, len(rows))
	for i, r := range rows {
		docs[i] = documentFromRow(r)
	}
	return docs, nil
}

// Put writes value at namespace/key and returns the new version.
// expectVersion is ExpectAbsent (create; ErrConflict if it exists), ExpectAny
// (upsert) or a version to compare and swap (ErrConflict on mismatch,
// ErrNotFound if missing).
func (d *Documents) Put(ctx context.Context, namespace, key string, value []byte, expectVersion int64) (int64, error) {
	if err := checkNames(namespace, key); err != nil {
		return 0, err
	}
	if expectVersion < ExpectAny {
		return 0, fmt.Errorf("storage: put document: invalid expected version %d", expectVersion)
	}
	if value == nil {
		value = []byte{} // NULL is not a value; the column is NOT NULL
	}
	now := d.now().UnixMicro()
	var version int64
	err := d.write(ctx, func(q *dbsqlc.Queries, seq int64) (change dbsqlc.InsertChangeParams, err error) {
		switch {
		case expectVersion == ExpectAbsent:
			version, err = q.CreateDocument(ctx, dbsqlc.CreateDocumentParams{Namespace: namespace, Key: key, Value: value, Now: now})
		case expectVersion == ExpectAny:
			version, err = q.UpsertDocument(ctx, dbsqlc.UpsertDocumentParams{Namespace: namespace, Key: key, Value: value, Now: now})
		default:
			version, err = q.UpdateDocument(ctx, dbsqlc.UpdateDocumentParams{Namespace: namespace, Key: key, Value: value, Now: now, ExpectVersion: expectVersion})
			if errors.Is(err, sql.ErrNoRows) {
				err = versionMismatch(ctx, q, namespace, key, expectVersion)
			}
		}
		return dbsqlc.InsertChangeParams{Seq: seq, Namespace: namespace, Key: key, Version: version, ChangedAt: now}, err
	})
	if err != nil {
		return 0, fmt.Errorf("put document: %w", err)
	}
	return version, nil
}

// Delete removes namespace/key. expectVersion is ExpectAny or a version to
// compare (ErrConflict on mismatch); a missing key is ErrNotFound.
func (d *Documents) Delete(ctx context.Context, namespace, key string, expectVersion int64) error {
	if err := checkNames(namespace, key); err != nil {
		return err
	}
	if expectVersion != ExpectAny && expectVersion <= 0 {
		return fmt.Errorf("storage: delete document: invalid expected version %d", expectVersion)
	}
	now := d.now().UnixMicro()
	err := d.write(ctx, func(q *dbsqlc.Queries, seq int64) (change dbsqlc.InsertChangeParams, err error) {
		var version int64
		if expectVersion == ExpectAny {
			version, err = q.DeleteDocument(ctx, dbsqlc.DeleteDocumentParams{Namespace: namespace, Key: key})
		} else {
			version, err = q.DeleteDocumentVersion(ctx, dbsqlc.DeleteDocumentVersionParams{Namespace: namespace, Key: key, ExpectVersion: expectVersion})
			if errors.Is(err, sql.ErrNoRows) {
				err = versionMismatch(ctx, q, namespace, key, expectVersion)
			}
		}
		return dbsqlc.InsertChangeParams{Seq: seq, Namespace: namespace, Key: key, Version: version, Deleted: true, ChangedAt: now}, err
	})
	if err != nil {
		return fmt.Errorf("delete document: %w", err)
	}
	return nil
}

// Changes returns up to limit committed changes with Seq > afterSeq, in Seq
// order. limit <= 0 or above 1000 means 1000.
func (d *Documents) Changes(ctx context.Context, afterSeq int64, limit int) ([]Change, error) {
	if limit <= 0 || limit > maxChangesPage {
		limit = maxChangesPage
	}
	rows, err := d.queries().ListChanges(ctx, dbsqlc.ListChangesParams{AfterSeq: afterSeq, MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", MapError(err))
	}
	changes := make([]Change, len(rows))
	for i, r := range rows {
		changes[i] = Change{
			Seq:       r.Seq,
			Namespace: r.Namespace,
			Key:       r.Key,
			Version:   r.Version,
			Deleted:   r.Deleted,
			At:        fromMicros(r.ChangedAt),
		}
	}
	return changes, nil
}

func (d *Documents) queries() *dbsqlc.Queries {
	if d.tx != nil {
		return dbsqlc.New(d.tx)
	}
	return dbsqlc.New(d.db)
}

// write runs one document write in a transaction (the caller's, after
// WithTx): it takes the next change seq first, so the counter row lock
// orders writers before they touch any document, then runs fn and records
// the change fn describes.
func (d *Documents) write(ctx context.Context, fn func(q *dbsqlc.Queries, seq int64) (dbsqlc.InsertChangeParams, error)) error {
	if d.tx != nil {
		return MapError(d.writeIn(ctx, dbsqlc.New(d.tx), fn))
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return MapError(err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	if err := d.writeIn(ctx, dbsqlc.New(tx), fn); err != nil {
		return MapError(err)
	}
	return MapError(tx.Commit())
}

func (d *Documents) writeIn(ctx context.Context, q *dbsqlc.Queries, fn func(q *dbsqlc.Queries, seq int64) (dbsqlc.InsertChangeParams, error)) error {
	seq, err := q.NextChangeSeq(ctx)
	if err != nil {
		return fmt.Errorf("next change seq: %w", err)
	}
	change, err := fn(q, seq)
	if err != nil {
		return err
	}
	if err := q.InsertChange(ctx, change); err != nil {
		return fmt.Errorf("record change: %w", err)
	}
	if d.driver == DriverPostgres {
		if err := q.NotifyChange(ctx, strconv.FormatInt(seq, 10)); err != nil {
			return fmt.Errorf("notify change: %w", err)
		}
	}
	return nil
}

// versionMismatch explains why a compare-and-swap matched no row: the key is
// missing (sql.ErrNoRows, mapped to ErrNotFound) or at another version.
func versionMismatch(ctx context.Context, q *dbsqlc.Queries, namespace, key string, expect int64) error {
	current, err := q.DocumentVersion(ctx, dbsqlc.DocumentVersionParams{Namespace: namespace, Key: key})
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: version is %d, expected %d", ErrConflict, current, expect)
}

func checkNames(namespace, key string) error {
	if err := checkName("namespace", namespace); err != nil {
		return err
	}
	return checkName("key", key)
}

// checkName rejects names PostgreSQL cannot store (NUL, invalid UTF-8), so
// both engines accept the same names.
func checkName(what, s string) error {
	if s == "" || !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("storage: invalid document %s %q: want non-empty UTF-8 without NUL", what, s)
	}
	return nil
}

func documentFromRow(r dbsqlc.Document) Document {
	value := r.Value
	if value == nil {
		value = []byte{} // SQLite returns an empty BLOB as nil
	}
	return Document{
		Namespace: r.Namespace,
		Key:       r.Key,
		Value:     value,
		Version:   r.Version,
		CreatedAt: fromMicros(r.CreatedAt),
		UpdatedAt: fromMicros(r.UpdatedAt),
	}
}

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
