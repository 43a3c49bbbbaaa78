-- name: UpsertBudget :exec
INSERT INTO quota_budgets (id, subject_kind, subject_id, period, limit_micros, alert_thresholds, time_zone, description, updated_by, created_at, updated_at, period_anchor)
VALUES (@id, @subject_kind, @subject_id, @period, @limit_micros, @alert_thresholds, @time_zone, @description, @updated_by, @now, @now, @period_anchor)
ON CONFLICT (id) DO UPDATE
SET subject_kind     = excluded.subject_kind,
    subject_id       = excluded.subject_id,
    period           = excluded.period,
    limit_micros     = excluded.limit_micros,
    alert_thresholds = excluded.alert_thresholds,
    time_zone        = excluded.time_zone,
    description      = excluded.description,
    updated_by       = excluded.updated_by,
    updated_at       = excluded.updated_at,
    period_anchor    = excluded.period_anchor;

-- name: GetBudget :one
SELECT * FROM quota_budgets WHERE id = @id;

-- name: ListBudgets :many
SELECT * FROM quota_budgets WHERE id > @after ORDER BY id LIMIT @lim;

-- name: ListBudgetsBySubject :many
SELECT * FROM quota_budgets WHERE subject_kind = @subject_kind AND subject_id = @subject_id AND id > @after ORDER BY id LIMIT @lim;

-- name: DeleteBudget :execrows
DELETE FROM quota_budgets WHERE id = @id;

-- name: EnsureBudgetPeriod :exec
INSERT INTO quota_budget_periods (budget_id, period_start, spent_micros, held_micros)
VALUES (@budget_id, @period_start, 0, 0)
ON CONFLICT (budget_id, period_start) DO NOTHING;

-- LockBudgetPeriod takes the period row's write lock until the transaction
-- ends (PostgreSQL; SQLite transactions are already exclusive) and returns
-- its current totals.
-- name: LockBudgetPeriod :one
UPDATE quota_budget_periods
SET spent_micros = spent_micros
WHERE budget_id = @budget_id AND period_start = @period_start
RETURNING spent_micros, held_micros;

-- name: AddBudgetPeriod :exec
UPDATE quota_budget_periods
SET spent_micros = spent_micros + @spent_delta, held_micros = held_micros + @held_delta
WHERE budget_id = @budget_id AND period_start = @period_start;

-- name: GetBudgetPeriod :one
SELECT spent_micros, held_micros FROM quota_budget_periods
WHERE budget_id = @budget_id AND period_start = @period_start;

-- name: InsertAlert :execrows
INSERT INTO quota_alerts (id, budget_id, subject_kind, subject_id, threshold_percent, period_start, spent_micros, limit_micros, fired_at)
VALUES (@id, @budget_id, @subject_kind, @subject_id, @threshold_percent, @period_start, @spent_micros, @limit_micros, @fired_at)
ON CONFLICT (budget_id, period_start, threshold_percent) DO NOTHING;

-- name: ListAlerts :many
SELECT * FROM quota_alerts
WHERE (CAST(@budget_id AS TEXT) = '' OR budget_id = @budget_id)
  AND (CAST(@subject_kind AS INTEGER) = 0 OR (subject_kind = @subject_kind AND subject_id = @subject_id))
  AND fired_at >= @fired_from AND fired_at < @fired_to
  AND (fired_at < @before_fired OR (fired_at = @before_fired AND id < @before_id))
ORDER BY fired_at DESC, id DESC
LIMIT @lim;
