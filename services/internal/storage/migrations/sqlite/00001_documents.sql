-- +goose Up

-- Mirrors migrations/postgres/00001_documents.sql; the queries are shared, so
-- column names and meanings must match. Times are unix microseconds, UTC.
CREATE TABLE documents (
    namespace  TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    value      BLOB    NOT NULL,
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, key)
) STRICT;

CREATE TABLE document_changes (
    seq        INTEGER PRIMARY KEY,
    namespace  TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    deleted    INTEGER NOT NULL CHECK (deleted IN (0, 1)),
    changed_at INTEGER NOT NULL
) STRICT;

-- See the PostgreSQL migration: one counter row keeps seq gapless on rollback.
CREATE TABLE document_change_seq (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq INTEGER NOT NULL
) STRICT;
INSERT INTO document_change_seq (id, last_seq) VALUES (1, 0);

-- +goose Down
DROP TABLE document_change_seq;
DROP TABLE document_changes;
DROP TABLE documents;
