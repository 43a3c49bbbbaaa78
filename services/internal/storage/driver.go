// Package storage is the seam between Manifold's services and their database.
//
// One binary runs on an embedded SQLite file by default and on PostgreSQL when
// database_url points at one. Services see a *DB, the sentinel errors in this
// package, and stores such as [Documents]; the engine differences (DSNs,
// pragmas, error codes, migration dialects, notifications) stay in here.
//
// Queries are written once in queries/*.sql and compiled by sqlc against the
// PostgreSQL schema into internal/dbsqlc. The same generated code runs on both
// engines because modernc.org/sqlite binds $1, $2, ... positionally, so every
// query must stay in the portable subset (no ::casts, no engine-only
// functions except where a method only runs on one driver).
package storage

// Driver names a database engine behind the seam.
type Driver string

const (
	// DriverSQLite is the embedded default: one file, no server, no cgo.
	DriverSQLite Driver = "sqlite"
	// DriverPostgres is PostgreSQL through pgx v5.
	DriverPostgres Driver = "postgres"
)
