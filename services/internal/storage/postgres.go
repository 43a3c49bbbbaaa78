package storage

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// openPostgres builds one pgx pool and a database/sql view over it, so
// portable queries and PostgreSQL-only features share connections and limits.
func openPostgres(ctx context.Context, cfg *pgxpool.Config) (*DB, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &DB{DB: stdlib.OpenDBFromPool(pool), driver: DriverPostgres, pool: pool}, nil
}
