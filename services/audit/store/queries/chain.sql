-- name: GetChain :one
SELECT first_seq, last_seq, last_hash, last_stored_at
FROM audit_chain
WHERE log = @log;

-- name: SetChainHead :exec
UPDATE audit_chain
SET last_seq = @last_seq, last_hash = @last_hash, last_stored_at = @last_stored_at
WHERE log = @log;

-- name: SetChainFirst :exec
UPDATE audit_chain
SET first_seq = @first_seq
WHERE log = @log AND first_seq < @first_seq;
