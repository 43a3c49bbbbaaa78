-- +goose Up

-- Mirrors migrations/postgres/00001_prompts.sql; the queries are shared, so
-- column names and meanings must match. Times are unix microseconds, UTC.
CREATE TABLE prompts (
    name           TEXT    PRIMARY KEY,
    description    TEXT    NOT NULL,
    latest_version INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE prompt_versions (
    prompt_name TEXT    NOT NULL REFERENCES prompts (name) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    template    BLOB    NOT NULL,
    digest      TEXT    NOT NULL,
    author      TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (prompt_name, version)
) STRICT;

CREATE TABLE prompt_labels (
    prompt_name TEXT    NOT NULL REFERENCES prompts (name) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    stickiness  INTEGER NOT NULL,
    updated_by  TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (prompt_name, name)
) STRICT;

CREATE TABLE prompt_label_targets (
    prompt_name TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    position    INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    weight      INTEGER NOT NULL,
    PRIMARY KEY (prompt_name, label, position),
    FOREIGN KEY (prompt_name, label) REFERENCES prompt_labels (prompt_name, name) ON DELETE CASCADE,
    FOREIGN KEY (prompt_name, version) REFERENCES prompt_versions (prompt_name, version) ON DELETE CASCADE
) STRICT;

CREATE TABLE prompt_publications (
    slug            TEXT    PRIMARY KEY,
    prompt_name     TEXT    NOT NULL REFERENCES prompts (name) ON DELETE CASCADE,
    label           TEXT    NOT NULL,
    allow_streaming INTEGER NOT NULL CHECK (allow_streaming IN (0, 1)),
    description     TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX prompt_publications_prompt ON prompt_publications (prompt_name);

CREATE TABLE prompt_changes (
    revision   INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('prompt', 'publication')),
    key        TEXT    NOT NULL,
    deleted    INTEGER NOT NULL CHECK (deleted IN (0, 1)),
    changed_at INTEGER NOT NULL
) STRICT;

CREATE TABLE prompt_revision (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    last_revision INTEGER NOT NULL
) STRICT;
INSERT INTO prompt_revision (id, last_revision) VALUES (1, 0);

-- +goose Down
DROP TABLE prompt_revision;
DROP TABLE prompt_changes;
DROP TABLE prompt_publications;
DROP TABLE prompt_label_targets;
DROP TABLE prompt_labels;
DROP TABLE prompt_versions;
DROP TABLE prompts;
