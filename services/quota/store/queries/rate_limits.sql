-- name: UpsertRateLimit :exec
INSERT INTO quota_rate_limits (id, subject_kind, subject_id, requests_per_minute, tokens_per_minute, description, updated_by, created_at, updated_at)
VALUES (@id, @subject_kind, @subject_id, @requests_per_minute, @tokens_per_minute, @description, @updated_by, @now, @now)
ON CONFLICT (id) DO UPDATE
SET subject_kind        = excluded.subject_kind,
    subject_id          = excluded.subject_id,
    requests_per_minute = excluded.requests_per_minute,
    tokens_per_minute   = excluded.tokens_per_minute,
    description         = excluded.description,
    updated_by          = excluded.updated_by,
    updated_at          = excluded.updated_at;

-- name: GetRateLimit :one
SELECT * FROM quota_rate_limits WHERE id = @id;

-- name: ListRateLimits :many
SELECT * FROM quota_rate_limits WHERE id > @after ORDER BY id LIMIT @lim;

-- name: ListRateLimitsBySubject :many
SELECT * FROM quota_rate_limits WHERE subject_kind = @subject_kind AND subject_id = @subject_id AND id > @after ORDER BY id LIMIT @lim;

-- name: DeleteRateLimit :execrows
DELETE FROM quota_rate_limits WHERE id = @id;

-- name: EnsureRateWindow :exec
INSERT INTO quota_rate_windows (rate_limit_id, unit, window_start, granted)
VALUES (@rate_limit_id, @unit, @window_start, 0)
ON CONFLICT (rate_limit_id, unit, window_start) DO NOTHING;

-- name: LockRateWindow :one
UPDATE quota_rate_windows
SET granted = granted
WHERE rate_limit_id = @rate_limit_id AND unit = @unit AND window_start = @window_start
RETURNING granted;

-- name: AddRateWindow :exec
UPDATE quota_rate_windows
SET granted = granted + @delta
WHERE rate_limit_id = @rate_limit_id AND unit = @unit AND window_start = @window_start;

-- name: DeleteOldRateWindows :exec
DELETE FROM quota_rate_windows WHERE window_start < @before;
