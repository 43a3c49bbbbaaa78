-- name: InsertReservation :exec
INSERT INTO quota_reservations (id, idempotency_key, scope, held_cost, held_tokens, budget_ids, rate_limit_ids, state, created_at, expires_at)
VALUES (@id, @idempotency_key, @scope, @held_cost, @held_tokens, @budget_ids, @rate_limit_ids, 1, @created_at, @expires_at);

-- name: GetReservationByKey :one
SELECT * FROM quota_reservations WHERE idempotency_key = @idempotency_key;

-- name: LockReservation :one
UPDATE quota_reservations SET state = state WHERE id = @id RETURNING *;

-- name: SetReservationState :exec
UPDATE quota_reservations SET state = @state WHERE id = @id;

-- name: InsertHold :exec
INSERT INTO quota_reservation_holds (reservation_id, budget_id, period_start, amount, state, expires_at)
VALUES (@reservation_id, @budget_id, @period_start, @amount, 1, @expires_at);

-- name: ReservationHolds :many
SELECT * FROM quota_reservation_holds WHERE reservation_id = @reservation_id ORDER BY budget_id;

-- name: DropHold :execrows
UPDATE quota_reservation_holds SET state = 0
WHERE reservation_id = @reservation_id AND budget_id = @budget_id AND state = 1;

-- name: ExpiredHolds :many
SELECT * FROM quota_reservation_holds
WHERE budget_id = @budget_id AND period_start = @period_start AND state = 1 AND expires_at <= @now
ORDER BY reservation_id;
