-- +goose Up

-- One row per hash-chained log: the head of the chain (last sequence number
-- and hash, and the ingestion time, kept monotonic) and the first sequence
-- number retention kept. Times are unix microseconds, UTC.
CREATE TABLE audit_chain (
    log            TEXT PRIMARY KEY,
    first_seq      BIGINT NOT NULL,
    last_seq       BIGINT NOT NULL,
    last_hash      BLOB   NOT NULL,
    last_stored_at BIGINT NOT NULL
);
INSERT INTO audit_chain (log, first_seq, last_seq, last_hash, last_stored_at)
VALUES ('calls', 1, 0, zeroblob(32), 0), ('admin_actions', 1, 0, zeroblob(32), 0);

-- Every call id ever stored (until retention), for idempotent ingestion.
CREATE TABLE audit_call_ids (
    id        TEXT PRIMARY KEY,
    stored_at BIGINT NOT NULL
);
CREATE INDEX audit_call_ids_stored_at ON audit_call_ids (stored_at);

-- The call log. record is the record's canonical protobuf encoding (what the
-- hash covers); the other columns repeat some of its fields for queries, and
-- VerifyChain checks that they agree with it. search is the bodies,
-- lower-cased, for text filters.
CREATE TABLE audit_calls (
    stored_at     BIGINT  NOT NULL,
    seq           BIGINT  NOT NULL,
    id            TEXT    NOT NULL,
    received_at   BIGINT  NOT NULL,
    key_id        TEXT    NOT NULL,
    team          TEXT    NOT NULL,
    project       TEXT    NOT NULL,
    model         TEXT    NOT NULL,
    route         TEXT    NOT NULL,
    provider      TEXT    NOT NULL,
    prompt_name   TEXT    NOT NULL,
    run_id        TEXT    NOT NULL,
    surface       INTEGER NOT NULL,
    status        INTEGER NOT NULL,
    error_class   INTEGER NOT NULL,
    cache_hit     BOOLEAN NOT NULL,
    input_tokens  BIGINT  NOT NULL,
    output_tokens BIGINT  NOT NULL,
    cost_micros   BIGINT  NOT NULL,
    latency_us    BIGINT  NOT NULL,
    ttft_us       BIGINT  NOT NULL,
    search        TEXT    NOT NULL,
    record        BLOB    NOT NULL,
    prev_hash     BLOB    NOT NULL,
    hash          BLOB    NOT NULL,
    PRIMARY KEY (stored_at, seq)
);
CREATE UNIQUE INDEX audit_calls_seq ON audit_calls (seq);
CREATE INDEX audit_calls_id ON audit_calls (id);
CREATE INDEX audit_calls_received_at ON audit_calls (received_at, seq);

CREATE TABLE audit_admin_actions (
    seq           BIGINT PRIMARY KEY,
    id            TEXT   NOT NULL UNIQUE,
    at            BIGINT NOT NULL,
    actor_id      TEXT   NOT NULL,
    action        TEXT   NOT NULL,
    resource_type TEXT   NOT NULL,
    resource_id   TEXT   NOT NULL,
    record        BLOB   NOT NULL,
    prev_hash     BLOB   NOT NULL,
    hash          BLOB   NOT NULL
);
CREATE INDEX audit_admin_actions_at ON audit_admin_actions (at, seq);

-- +goose Down
DROP TABLE audit_admin_actions;
DROP TABLE audit_calls;
DROP TABLE audit_call_ids;
DROP TABLE audit_chain;
