-- +goose Up

-- Names collate as "C" (byte order) so listings page identically on both
-- engines. Times are unix microseconds, UTC.
CREATE TABLE prompts (
    name           TEXT COLLATE "C" PRIMARY KEY,
    description    TEXT   NOT NULL,
    latest_version BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- Versions are written once and never updated.
CREATE TABLE prompt_versions (
    prompt_name TEXT COLLATE "C" NOT NULL REFERENCES prompts (name) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    -- Deterministic protobuf encoding of manifold.prompts.v1.PromptTemplate.
    template    BYTEA  NOT NULL,
    digest      TEXT   NOT NULL,
    author      TEXT   NOT NULL,
    message     TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (prompt_name, version)
);

CREATE TABLE prompt_labels (
    prompt_name TEXT COLLATE "C" NOT NULL REFERENCES prompts (name) ON DELETE CASCADE,
    name        TEXT COLLATE "C" NOT NULL,
    stickiness  BIGINT NOT NULL,
    updated_by  TEXT   NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (prompt_name, name)
);

-- A label's targets, in order (position 0 is the primary).
CREATE TABLE prompt_label_targets (
    prompt_name TEXT COLLATE "C" NOT NULL,
    label       TEXT COLLATE "C" NOT NULL,
    position    BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    weight      BIGINT NOT NULL,
    PRIMARY KEY (prompt_name, label, position),
    FOREIGN KEY (prompt_name, label) REFERENCES prompt_labels (prompt_name, name) ON DELETE CASCADE,
    FOREIGN KEY (prompt_name, version) REFERENCES prompt_versions (prompt_name, version) ON DELETE CASCADE
);

CREATE TABLE prompt_publications (
    slug            TEXT COLLATE "C" PRIMARY KEY,
    prompt_name     TEXT COLLATE "C" NOT NULL REFERENCES prompts (name) ON DELETE CASCADE,
    label           TEXT COLLATE "C" NOT NULL,
    allow_streaming BOOLEAN NOT NULL,
    description     TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX prompt_publications_prompt ON prompt_publications (prompt_name);

-- The change log behind WatchPrompts: one row per changed prompt or
-- publication, by revision.
CREATE TABLE prompt_changes (
    revision   BIGINT PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('prompt', 'publication')),
    key        TEXT COLLATE "C" NOT NULL,
    deleted    BOOLEAN NOT NULL,
    changed_at BIGINT  NOT NULL
);

-- One counter row rather than a SEQUENCE: every write bumps it first, so the
-- row lock orders writers, revision order is commit order (a watcher paging
-- by revision never skips a late commit) and a rollback leaves no gap.
CREATE TABLE prompt_revision (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    last_revision BIGINT  NOT NULL
);
INSERT INTO prompt_revision (id, last_revision) VALUES (1, 0);

-- +goose Down
DROP TABLE prompt_revision;
DROP TABLE prompt_changes;
DROP TABLE prompt_publications;
DROP TABLE prompt_label_targets;
DROP TABLE prompt_labels;
DROP TABLE prompt_versions;
DROP TABLE prompts;
