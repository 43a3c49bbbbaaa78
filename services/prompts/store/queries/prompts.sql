-- name: GetPrompt :one
SELECT name, description, latest_version, created_at, updated_at
FROM prompts
WHERE name = @name;

-- name: ListPrompts :many
-- A page of prompts after after_name, optionally only those whose name
-- starts with name_prefix or that carry label.
SELECT p.name, p.description, p.latest_version, p.created_at, p.updated_at
FROM prompts p
WHERE p.name > @after_name
  AND substr(p.name, 1, length(CAST(@name_prefix AS TEXT))) = CAST(@name_prefix AS TEXT)
  AND (CAST(@label AS TEXT) = '' OR EXISTS (
      SELECT 1 FROM prompt_labels l WHERE l.prompt_name = p.name AND l.name = CAST(@label AS TEXT)))
ORDER BY p.name
LIMIT @max_rows;

-- name: InsertPrompt :exec
INSERT INTO prompts (name, description, latest_version, created_at, updated_at)
VALUES (@name, @description, 1, @now, @now);

-- name: UpdatePrompt :exec
UPDATE prompts
SET description    = @description,
    latest_version = @latest_version,
    updated_at     = @now
WHERE name = @name;

-- name: DeletePrompt :execrows
DELETE FROM prompts
WHERE name = @name;

-- name: InsertVersion :exec
INSERT INTO prompt_versions (prompt_name, version, template, digest, author, message, created_at)
VALUES (@prompt_name, @version, @template, @digest, @author, @message, @created_at);

-- name: GetVersion :one
SELECT prompt_name, version, template, digest, author, message, created_at
FROM prompt_versions
WHERE prompt_name = @prompt_name AND version = @version;

-- name: ListVersions :many
-- Newest first, below before_version.
SELECT prompt_name, version, template, digest, author, message, created_at
FROM prompt_versions
WHERE prompt_name = @prompt_name AND version < @before_version
ORDER BY version DESC
LIMIT @max_rows;

-- name: ListLabels :many
SELECT prompt_name, name, stickiness, updated_by, updated_at
FROM prompt_labels
WHERE prompt_name = @prompt_name
ORDER BY name;

-- name: ListLabelTargets :many
SELECT prompt_name, label, position, version, weight
FROM prompt_label_targets
WHERE prompt_name = @prompt_name
ORDER BY label, position;

-- name: UpsertLabel :exec
INSERT INTO prompt_labels (prompt_name, name, stickiness, updated_by, updated_at)
VALUES (@prompt_name, @name, @stickiness, @updated_by, @updated_at)
ON CONFLICT (prompt_name, name) DO UPDATE
SET stickiness = excluded.stickiness,
    updated_by = excluded.updated_by,
    updated_at = excluded.updated_at;

-- name: DeleteLabelTargets :exec
DELETE FROM prompt_label_targets
WHERE prompt_name = @prompt_name AND label = @label;

-- name: InsertLabelTarget :exec
INSERT INTO prompt_label_targets (prompt_name, label, position, version, weight)
VALUES (@prompt_name, @label, @position, @version, @weight);

-- name: DeleteLabel :execrows
DELETE FROM prompt_labels
WHERE prompt_name = @prompt_name AND name = @name;

-- name: GetPublication :one
SELECT slug, prompt_name, label, allow_streaming, description, created_by, created_at, updated_at
FROM prompt_publications
WHERE slug = @slug;

-- name: UpsertPublication :exec
INSERT INTO prompt_publications (slug, prompt_name, label, allow_streaming, description, created_by, created_at, updated_at)
VALUES (@slug, @prompt_name, @label, @allow_streaming, @description, @created_by, @now, @now)
ON CONFLICT (slug) DO UPDATE
SET label           = excluded.label,
    allow_streaming = excluded.allow_streaming,
    description     = excluded.description,
    updated_at      = excluded.updated_at;

-- name: DeletePublication :execrows
DELETE FROM prompt_publications
WHERE slug = @slug;

-- name: ListPublications :many
SELECT slug, prompt_name, label, allow_streaming, description, created_by, created_at, updated_at
FROM prompt_publications
WHERE slug > @after_slug
  AND (CAST(@prompt_name AS TEXT) = '' OR prompt_name = CAST(@prompt_name AS TEXT))
ORDER BY slug
LIMIT @max_rows;

-- name: NextRevision :one
UPDATE prompt_revision
SET last_revision = last_revision + 1
WHERE id = 1
RETURNING last_revision;

-- name: CurrentRevision :one
SELECT last_revision
FROM prompt_revision
WHERE id = 1;

-- name: InsertChange :exec
INSERT INTO prompt_changes (revision, kind, key, deleted, changed_at)
VALUES (@revision, @kind, @key, @deleted, @changed_at);

-- name: ListChanges :many
SELECT revision, kind, key, deleted, changed_at
FROM prompt_changes
WHERE revision > @after_revision
ORDER BY revision
LIMIT @max_rows;

-- name: TouchPrompt :exec
UPDATE prompts
SET updated_at = @now
WHERE name = @name;
