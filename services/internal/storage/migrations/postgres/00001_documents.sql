-- +goose Up

-- Keys collate as "C" (byte order) so List sorts exactly as SQLite's BINARY
-- collation does and as Go compares strings. Times are unix microseconds, UTC.
CREATE TABLE documents (
    namespace  TEXT COLLATE "C" NOT NULL,
    key        TEXT COLLATE "C" NOT NULL,
    value      BYTEA            NOT NULL,
    version    BIGINT           NOT NULL,
    created_at BIGINT           NOT NULL,
    updated_at BIGINT           NOT NULL,
    PRIMARY KEY (namespace, key)
);

CREATE TABLE document_changes (
    seq        BIGINT PRIMARY KEY,
    namespace  TEXT COLLATE "C" NOT NULL,
    key        TEXT COLLATE "C" NOT NULL,
    version    BIGINT           NOT NULL,
    deleted    BOOLEAN          NOT NULL,
    changed_at BIGINT           NOT NULL
);

-- A single counter row rather than a SEQUENCE: every write bumps it first, so
-- the row lock orders writers, seq order is commit order (a reader paging by
-- seq never skips a late commit) and a rolled-back write leaves no gap.
CREATE TABLE document_change_seq (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT  NOT NULL
);
INSERT INTO document_change_seq (id, last_seq) VALUES (1, 0);

-- +goose Down
DROP TABLE document_change_seq;
DROP TABLE document_changes;
DROP TABLE documents;
