-- name: InsertLease :exec
INSERT INTO quota_leases (id, replica_id, budget_id, rate_limit_id, unit, window_start, window_end, granted, spent, settled, state, expires_at, created_at, updated_at)
VALUES (@id, @replica_id, @budget_id, @rate_limit_id, @unit, @window_start, @window_end, @granted, 0, 0, 1, @expires_at, @now, @now);

-- name: GetLease :one
SELECT * FROM quota_leases WHERE id = @id;

-- LockLease takes the lease row's write lock and returns it.
-- name: LockLease :one
UPDATE quota_leases SET updated_at = updated_at WHERE id = @id RETURNING *;

-- name: UpdateLease :exec
UPDATE quota_leases
SET granted = @granted, spent = @spent, settled = @settled, state = @state, expires_at = @expires_at, updated_at = @now
WHERE id = @id;

-- name: ExpiredLeases :many
SELECT * FROM quota_leases
WHERE budget_id = @budget_id AND window_start = @window_start AND state = 1 AND expires_at <= @now
ORDER BY id;

-- name: DeleteOldLeases :exec
DELETE FROM quota_leases WHERE state <> 1 AND updated_at < @before;
