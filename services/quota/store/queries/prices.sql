-- name: UpsertPrice :exec
INSERT INTO quota_prices (model, input_per_mtok, output_per_mtok, cached_input_per_mtok, cache_write_per_mtok, reasoning_per_mtok, updated_by, updated_at)
VALUES (@model, @input_per_mtok, @output_per_mtok, @cached_input_per_mtok, @cache_write_per_mtok, @reasoning_per_mtok, @updated_by, @updated_at)
ON CONFLICT (model) DO UPDATE
SET input_per_mtok        = excluded.input_per_mtok,
    output_per_mtok       = excluded.output_per_mtok,
    cached_input_per_mtok = excluded.cached_input_per_mtok,
    cache_write_per_mtok  = excluded.cache_write_per_mtok,
    reasoning_per_mtok    = excluded.reasoning_per_mtok,
    updated_by            = excluded.updated_by,
    updated_at            = excluded.updated_at;

-- name: GetPrice :one
SELECT * FROM quota_prices WHERE model = @model;

-- name: ListPrices :many
SELECT * FROM quota_prices WHERE model > @after ORDER BY model LIMIT @lim;

-- name: AllPrices :many
SELECT * FROM quota_prices ORDER BY model;

-- name: DeletePrice :execrows
DELETE FROM quota_prices WHERE model = @model;

-- name: BumpRevision :one
INSERT INTO quota_revisions (name, revision) VALUES (@name, 1)
ON CONFLICT (name) DO UPDATE SET revision = quota_revisions.revision + 1
RETURNING revision;

-- name: GetRevision :one
SELECT revision FROM quota_revisions WHERE name = @name;
