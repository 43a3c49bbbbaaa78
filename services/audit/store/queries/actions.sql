-- name: AdminActionExists :one
SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_admin_actions WHERE id = @id;

-- name: InsertAdminAction :exec
INSERT INTO audit_admin_actions (seq, id, at, actor_id, action, resource_type, resource_id, record, prev_hash, hash)
VALUES (@seq, @id, @at, @actor_id, @action, @resource_type, @resource_id, @record, @prev_hash, @hash);

-- name: ListActionChain :many
SELECT seq, id, at, actor_id, action, resource_type, resource_id, record, prev_hash, hash
FROM audit_admin_actions
WHERE seq >= @from_seq AND seq <= @to_seq
ORDER BY seq
LIMIT @max_rows;
