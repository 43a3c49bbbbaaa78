-- name: InsertCallID :execrows
INSERT INTO audit_call_ids (id, stored_at)
VALUES (@id, @stored_at)
ON CONFLICT (id) DO NOTHING;

-- name: InsertCall :exec
INSERT INTO audit_calls (
    stored_at, seq, id, received_at, key_id, team, project, model, route, provider, prompt_name, run_id,
    surface, status, error_class, cache_hit, input_tokens, output_tokens, cost_micros, latency_us, ttft_us,
    search, record, prev_hash, hash
) VALUES (
    @stored_at, @seq, @id, @received_at, @key_id, @team, @project, @model, @route, @provider, @prompt_name, @run_id,
    @surface, @status, @error_class, @cache_hit, @input_tokens, @output_tokens, @cost_micros, @latency_us, @ttft_us,
    @search, @record, @prev_hash, @hash
);

-- name: GetCall :one
-- The stored_at bound lets PostgreSQL read one partition.
SELECT record, prev_hash, hash
FROM audit_calls
WHERE audit_calls.id = @id AND audit_calls.stored_at = (SELECT i.stored_at FROM audit_call_ids i WHERE i.id = @id);

-- name: ListCallChain :many
SELECT seq, id, received_at, key_id, team, project, model, route, provider, prompt_name, run_id,
       surface, status, error_class, cache_hit, input_tokens, output_tokens, cost_micros, latency_us, ttft_us,
       record, prev_hash, hash
FROM audit_calls
WHERE seq >= @from_seq AND seq <= @to_seq
ORDER BY seq
LIMIT @max_rows;

-- name: FirstCallSeqFrom :one
SELECT CAST(COALESCE(MIN(seq), 0) AS BIGINT) AS seq
FROM audit_calls
WHERE stored_at >= @stored_at;

-- name: DeleteCallsBefore :execrows
DELETE FROM audit_calls WHERE stored_at < @stored_at;

-- name: DeleteCallIDsBefore :exec
DELETE FROM audit_call_ids WHERE stored_at < @stored_at;
