-- Tether's schema, SQLite flavour. The PostgreSQL flavour (migrations/postgres) holds the same tables;
-- the two differ only in column types. Never edit an applied migration: add a new one.
--
-- UUIDs are 16-byte BLOBs (sqlx's SQLite encoding), JSON is TEXT. Foreign keys are enforced
-- because the store opens SQLite with foreign_keys=ON.
-- Times are INTEGER microseconds since the Unix epoch on both engines: they round-trip exactly on
-- both (TIMESTAMPTZ on PostgreSQL would truncate nanoseconds, STACK.md G8) and compare with plain integers.
-- Every table a client can read carries workspace_id so that every read can be scoped by it.

CREATE TABLE workspaces (
    id         BLOB PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Only a hash of each key's secret is kept: a database leak must not yield working API keys. The
-- prefix is shown in listings so people can tell their keys apart.
CREATE TABLE api_keys (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    prefix       TEXT NOT NULL,
    secret_hash  BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id);

-- One row per person per network per workspace. The token is sealed (AES-256-GCM, AAD = this row),
-- token_key_id says which key of the ring sealed it so rotation can find stale rows.
-- next_check_at / lease_owner / lease_until are the scheduler: a worker claims due rows by setting a
-- lease, so two workers never check the same login at once.
CREATE TABLE logins (
    id                     BLOB PRIMARY KEY,
    workspace_id           BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    network                TEXT NOT NULL,
    platform_user_id       TEXT NOT NULL,
    person_name            TEXT NOT NULL,
    token_sealed           BLOB NOT NULL,
    token_key_id           INTEGER NOT NULL,
    expires_at             INTEGER,
    data_access_expires_at INTEGER,
    status                 TEXT NOT NULL,
    last_verified_at       INTEGER,
    next_check_at          INTEGER NOT NULL,
    lease_owner            TEXT,
    lease_until            INTEGER,
    consecutive_failures   INTEGER NOT NULL DEFAULT 0,
    created_at             INTEGER NOT NULL,
    UNIQUE (workspace_id, network, platform_user_id)
);
CREATE INDEX logins_due ON logins (next_check_at);
CREATE INDEX logins_key ON logins (token_key_id);

-- Pages, Instagram accounts, groups... a login reaches. workspace_id is repeated from the login so
-- listings filter without a join and isolation holds in one predicate.
CREATE TABLE assets (
    id               BLOB PRIMARY KEY,
    workspace_id     BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    login_id         BLOB NOT NULL REFERENCES logins(id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    platform_id      TEXT NOT NULL,
    name             TEXT NOT NULL,
    status           TEXT NOT NULL,
    last_verified_at INTEGER,
    UNIQUE (login_id, kind, platform_id)
);
CREATE INDEX assets_workspace ON assets (workspace_id, status);

-- The latest facts seen about a login (subject_id = login id) or an asset (subject_id = asset id),
-- kept so a diagnosis can be recomputed without calling the platform again.
CREATE TABLE facts (
    subject_id   BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    login_id     BLOB NOT NULL REFERENCES logins(id) ON DELETE CASCADE,
    facts        TEXT NOT NULL,
    seen_at      INTEGER NOT NULL
);

-- The current report per login (REPORT.md); per-asset status lives on assets.status.
CREATE TABLE diagnoses (
    login_id     BLOB PRIMARY KEY REFERENCES logins(id) ON DELETE CASCADE,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    report       TEXT NOT NULL,
    diagnosed_at INTEGER NOT NULL
);

-- Every status change, never updated: the history a person reads and the source of events.
-- asset_id NULL means the login's own status changed. Ordered by (at, id); ids are UUIDv7.
CREATE TABLE transitions (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    login_id     BLOB NOT NULL REFERENCES logins(id) ON DELETE CASCADE,
    asset_id     BLOB REFERENCES assets(id) ON DELETE CASCADE,
    old_status   TEXT,
    new_status   TEXT NOT NULL,
    findings     TEXT NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX transitions_login ON transitions (workspace_id, login_id, at);
CREATE INDEX transitions_asset ON transitions (asset_id, at);

-- Transactional outbox: events are written in the same transaction as the change they announce, then
-- delivered at least once. id is the stable event id (UUIDv7) receivers deduplicate on.
CREATE TABLE outbox (
    id              BLOB PRIMARY KEY,
    workspace_id    BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    last_error      TEXT,
    delivered_at    INTEGER
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE delivered_at IS NULL;
