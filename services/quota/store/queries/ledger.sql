-- name: InsertLedgerLine :execrows
INSERT INTO quota_ledger (call_id, virtual_key_id, team, project, route, credential, model, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, total_tokens, cost_micros, finished_at, recorded_at)
VALUES (@call_id, @virtual_key_id, @team, @project, @route, @credential, @model, @input_tokens, @output_tokens, @cached_input_tokens, @cache_write_tokens, @reasoning_tokens, @total_tokens, @cost_micros, @finished_at, @recorded_at)
ON CONFLICT (call_id) DO NOTHING;

-- UsageByHour sums the ledger per hour and attribution; the service
-- regroups the hours into the report's dimensions and days.
-- name: UsageByHour :many
SELECT virtual_key_id, team, project, model, route,
       CAST(finished_at - finished_at % 3600000000 AS BIGINT) AS hour,
       CAST(COUNT(*) AS BIGINT) AS requests,
       CAST(SUM(input_tokens) AS BIGINT) AS input_tokens,
       CAST(SUM(output_tokens) AS BIGINT) AS output_tokens,
       CAST(SUM(cached_input_tokens) AS BIGINT) AS cached_input_tokens,
       CAST(SUM(cache_write_tokens) AS BIGINT) AS cache_write_tokens,
       CAST(SUM(reasoning_tokens) AS BIGINT) AS reasoning_tokens,
       CAST(SUM(total_tokens) AS BIGINT) AS total_tokens,
       CAST(SUM(cost_micros) AS BIGINT) AS cost_micros
FROM quota_ledger
WHERE finished_at >= @start AND finished_at < @end_before
GROUP BY virtual_key_id, team, project, model, route, CAST(finished_at - finished_at % 3600000000 AS BIGINT);

-- name: SumLedger :one
SELECT CAST(COUNT(*) AS BIGINT) AS requests, CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) AS cost_micros FROM quota_ledger;
