-- name: GetDocument :one
SELECT namespace, key, value, version, created_at, updated_at
FROM documents
WHERE namespace = @namespace AND key = @key;

-- name: ListDocuments :many
SELECT namespace, key, value, version, created_at, updated_at
FROM documents
WHERE namespace = @namespace
ORDER BY key;

-- name: DocumentVersion :one
SELECT version
FROM documents
WHERE namespace = @namespace AND key = @key;

-- name: CreateDocument :one
INSERT INTO documents (namespace, key, value, version, created_at, updated_at)
VALUES (@namespace, @key, @value, 1, @now, @now)
RETURNING version;

-- name: UpsertDocument :one
INSERT INTO documents (namespace, key, value, version, created_at, updated_at)
VALUES (@namespace, @key, @value, 1, @now, @now)
ON CONFLICT (namespace, key) DO UPDATE
SET value      = excluded.value,
    version    = documents.version + 1,
    updated_at = excluded.updated_at
RETURNING version;

-- name: UpdateDocument :one
UPDATE documents
SET value      = @value,
    version    = version + 1,
    updated_at = @now
WHERE namespace = @namespace AND key = @key AND version = @expect_version
RETURNING version;

-- name: DeleteDocument :one
DELETE FROM documents
WHERE namespace = @namespace AND key = @key
RETURNING version;

-- name: DeleteDocumentVersion :one
DELETE FROM documents
WHERE namespace = @namespace AND key = @key AND version = @expect_version
RETURNING version;

-- name: NextChangeSeq :one
UPDATE document_change_seq
SET last_seq = last_seq + 1
WHERE id = 1
RETURNING last_seq;

-- name: InsertChange :exec
INSERT INTO document_changes (seq, namespace, key, version, deleted, changed_at)
VALUES (@seq, @namespace, @key, @version, @deleted, @changed_at);

-- name: ListChanges :many
SELECT seq, namespace, key, version, deleted, changed_at
FROM document_changes
WHERE seq > @after_seq
ORDER BY seq
LIMIT @max_rows;

-- name: NotifyChange :exec
-- PostgreSQL only. Delivered on commit, so listeners never see a seq that
-- rolled back.
SELECT pg_notify('manifold_changes', @payload::text);
