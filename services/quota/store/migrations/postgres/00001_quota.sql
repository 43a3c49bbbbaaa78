-- +goose Up

-- Times are unix microseconds, UTC; money is micro-dollars.

-- The price catalog; revision orders changes for WatchPrices.
CREATE TABLE quota_prices (
    model                 TEXT   PRIMARY KEY,
    input_per_mtok        BIGINT NOT NULL,
    output_per_mtok       BIGINT NOT NULL,
    cached_input_per_mtok BIGINT NOT NULL,
    cache_write_per_mtok  BIGINT NOT NULL,
    reasoning_per_mtok    BIGINT NOT NULL,
    updated_by            TEXT   NOT NULL,
    updated_at            BIGINT NOT NULL
);

-- Named counters: "prices" is the price catalog's revision.
CREATE TABLE quota_revisions (
    name     TEXT   PRIMARY KEY,
    revision BIGINT NOT NULL
);

CREATE TABLE quota_budgets (
    id               TEXT    PRIMARY KEY,
    subject_kind     INTEGER NOT NULL,
    subject_id       TEXT    NOT NULL,
    period           INTEGER NOT NULL,
    limit_micros     BIGINT  NOT NULL,
    alert_thresholds TEXT    NOT NULL,
    time_zone        TEXT    NOT NULL,
    description      TEXT    NOT NULL,
    updated_by       TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    -- Start of a lifetime budget's single period: creation, or the last
    -- change of period.
    period_anchor    BIGINT  NOT NULL
);
CREATE INDEX quota_budgets_subject ON quota_budgets (subject_kind, subject_id);

-- One row per budget and period: settled spend and what reservations and
-- live leases hold. Every ledger write locks this row first (an UPDATE …
-- RETURNING), so concurrent grants are serialised per budget.
CREATE TABLE quota_budget_periods (
    budget_id    TEXT   NOT NULL,
    period_start BIGINT NOT NULL,
    spent_micros BIGINT NOT NULL,
    held_micros  BIGINT NOT NULL,
    PRIMARY KEY (budget_id, period_start)
);

CREATE TABLE quota_rate_limits (
    id                  TEXT    PRIMARY KEY,
    subject_kind        INTEGER NOT NULL,
    subject_id          TEXT    NOT NULL,
    requests_per_minute BIGINT  NOT NULL,
    tokens_per_minute   BIGINT  NOT NULL,
    description         TEXT    NOT NULL,
    updated_by          TEXT    NOT NULL,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);
CREATE INDEX quota_rate_limits_subject ON quota_rate_limits (subject_kind, subject_id);

-- What was granted of a rate limit (requests or tokens) in one minute.
CREATE TABLE quota_rate_windows (
    rate_limit_id TEXT    NOT NULL,
    unit          INTEGER NOT NULL,
    window_start  BIGINT  NOT NULL,
    granted       BIGINT  NOT NULL,
    PRIMARY KEY (rate_limit_id, unit, window_start)
);

-- Leases: slices of a budget period or a rate window granted to a replica.
-- state: 1 active, 2 returned, 3 expired.
CREATE TABLE quota_leases (
    id            TEXT    PRIMARY KEY,
    replica_id    TEXT    NOT NULL,
    budget_id     TEXT    NOT NULL,
    rate_limit_id TEXT    NOT NULL,
    unit          INTEGER NOT NULL,
    window_start  BIGINT  NOT NULL,
    window_end    BIGINT  NOT NULL,
    granted       BIGINT  NOT NULL,
    spent         BIGINT  NOT NULL,
    settled       BIGINT  NOT NULL,
    state         INTEGER NOT NULL,
    expires_at    BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);
CREATE INDEX quota_leases_budget ON quota_leases (budget_id, window_start, state, expires_at);

-- Reservations; state as ReservationState.
CREATE TABLE quota_reservations (
    id              TEXT    PRIMARY KEY,
    idempotency_key TEXT    NOT NULL UNIQUE,
    scope           TEXT    NOT NULL,
    held_cost       BIGINT  NOT NULL,
    held_tokens     BIGINT  NOT NULL,
    budget_ids      TEXT    NOT NULL,
    rate_limit_ids  TEXT    NOT NULL,
    state           INTEGER NOT NULL,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL
);

-- One hold per reservation and budget; state 1 active, 0 gone.
CREATE TABLE quota_reservation_holds (
    reservation_id TEXT    NOT NULL,
    budget_id      TEXT    NOT NULL,
    period_start   BIGINT  NOT NULL,
    amount         BIGINT  NOT NULL,
    state          INTEGER NOT NULL,
    expires_at     BIGINT  NOT NULL,
    PRIMARY KEY (reservation_id, budget_id)
);
CREATE INDEX quota_reservation_holds_budget ON quota_reservation_holds (budget_id, period_start, state, expires_at);

-- The spend ledger: one line per settled call, keyed by call id.
CREATE TABLE quota_ledger (
    call_id             TEXT   PRIMARY KEY,
    virtual_key_id      TEXT   NOT NULL,
    team                TEXT   NOT NULL,
    project             TEXT   NOT NULL,
    route               TEXT   NOT NULL,
    credential          TEXT   NOT NULL,
    model               TEXT   NOT NULL,
    input_tokens        BIGINT NOT NULL,
    output_tokens       BIGINT NOT NULL,
    cached_input_tokens BIGINT NOT NULL,
    cache_write_tokens  BIGINT NOT NULL,
    reasoning_tokens    BIGINT NOT NULL,
    total_tokens        BIGINT NOT NULL,
    cost_micros         BIGINT NOT NULL,
    finished_at         BIGINT NOT NULL,
    recorded_at         BIGINT NOT NULL
);
CREATE INDEX quota_ledger_finished ON quota_ledger (finished_at);

CREATE TABLE quota_alerts (
    id                TEXT    PRIMARY KEY,
    budget_id         TEXT    NOT NULL,
    subject_kind      INTEGER NOT NULL,
    subject_id        TEXT    NOT NULL,
    threshold_percent INTEGER NOT NULL,
    period_start      BIGINT  NOT NULL,
    spent_micros      BIGINT  NOT NULL,
    limit_micros      BIGINT  NOT NULL,
    fired_at          BIGINT  NOT NULL,
    UNIQUE (budget_id, period_start, threshold_percent)
);
CREATE INDEX quota_alerts_fired ON quota_alerts (fired_at);

-- +goose Down
DROP TABLE quota_alerts;
DROP TABLE quota_ledger;
DROP TABLE quota_reservation_holds;
DROP TABLE quota_reservations;
DROP TABLE quota_leases;
DROP TABLE quota_rate_windows;
DROP TABLE quota_rate_limits;
DROP TABLE quota_budget_periods;
DROP TABLE quota_budgets;
DROP TABLE quota_revisions;
DROP TABLE quota_prices;
