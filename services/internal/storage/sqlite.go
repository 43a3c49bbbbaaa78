package storage

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// sqliteMaxOpenConns bounds the pool. Writers are serialised by SQLite
// anyway; the extra connections serve concurrent readers, which WAL lets run
// alongside the writer.
const sqliteMaxOpenConns = 8

// sqliteDSN configures every pooled connection:
//   - _txlock=immediate: BEGIN takes the write lock up front, so a
//     transaction never reads a snapshot and then fails to upgrade it
//     (SQLITE_BUSY_SNAPSHOT, which busy_timeout cannot retry); writers queue
//     on busy_timeout instead;
//   - busy_timeout(5000): wait up to 5s for the write lock before SQLITE_BUSY;
//   - journal_mode(WAL): readers do not block the writer, nor it them;
//   - synchronous(NORMAL): durable at checkpoints, the usual WAL pairing;
//   - foreign_keys(1): SQLite ignores REFERENCES otherwise.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Set("_txlock", "immediate")
	q["_pragma"] = []string{
		"busy_timeout(5000)",
		"journal_mode(WAL)",
		"synchronous(NORMAL)",
		"foreign_keys(1)",
	}
	return path + "?" + q.Encode()
}

func openSQLite(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	// The database holds key hashes, encrypted credentials and call bodies:
	// only its owner may read it. SQLite gives the WAL and shared-memory
	// files the database file's mode, so creating it first is enough.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	sqlDB, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(sqliteMaxOpenConns)
	sqlDB.SetMaxIdleConns(sqliteMaxOpenConns)
	return &DB{DB: sqlDB, driver: DriverSQLite}, nil
}
