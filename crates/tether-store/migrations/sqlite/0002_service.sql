-- What the service needs on top of 0001, SQLite flavour (the PostgreSQL flavour holds the same
-- tables and columns; the two differ only in column types). Never edit an applied migration.
-- SQLite stores BOOLEAN as 0/1 integers; ADD/DROP COLUMN need SQLite 3.35 (sqlx bundles newer).

-- OAuth connect and reconnect flows. The authorize URL carries a random secret as its `state`;
-- only the secret's SHA-256 is kept, so a database leak cannot complete someone's flow. A state is
-- single use: consuming it sets used_at in the same UPDATE that finds it.
CREATE TABLE oauth_states (
    id                 BLOB PRIMARY KEY,
    workspace_id       BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    secret_hash        BLOB NOT NULL UNIQUE,
    network            TEXT NOT NULL,
    reconnect_login_id BLOB REFERENCES logins(id) ON DELETE CASCADE,
    allow_other_person BOOLEAN NOT NULL,
    scopes             TEXT NOT NULL,
    rerequest          BOOLEAN NOT NULL,
    return_to          TEXT,
    expires_at         INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    used_at            INTEGER
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);

-- Logins: why the last check failed (a stale verdict is shown as such, never changed), when any
-- status under the login last changed, and what the platform client wants back next check.
-- claimed_at is when the current lease was taken (the time a failed check is dated with);
-- check_requested_at is a push signal that arrived while the login was leased, so the release of
-- that lease does not schedule past it.
ALTER TABLE logins ADD COLUMN last_error TEXT;
ALTER TABLE logins ADD COLUMN last_failed_at INTEGER;
ALTER TABLE logins ADD COLUMN last_changed_at INTEGER;
ALTER TABLE logins ADD COLUMN known_token TEXT;
ALTER TABLE logins ADD COLUMN claimed_at INTEGER;
ALTER TABLE logins ADD COLUMN check_requested_at INTEGER;
-- Platform callbacks (deauthorize, permission webhooks) name only the platform user.
CREATE INDEX logins_platform_user ON logins (network, platform_user_id);

-- Assets: the latest per-asset report (REPORT.md AssetReport) and, for filtering in SQL the same
-- way on both engines, bit sets of who must act and of the features that are unavailable or at
-- risk. Bit numbers are fixed in the store's code (db/words.rs), not derived from enum order.
-- updated_at is the time of the last diagnosis that touched the asset (0 until the first one);
-- the server's pre-flight index follows changes by (updated_at, id).
ALTER TABLE assets ADD COLUMN report TEXT;
ALTER TABLE assets ADD COLUMN owners_mask INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN unavailable_mask INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN at_risk_mask INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE assets SET updated_at = COALESCE(last_verified_at, 0);
CREATE INDEX assets_page ON assets (workspace_id, id);
CREATE INDEX assets_updated ON assets (updated_at, id);

-- Digests: claimed per workspace by moving last_digest_at forward, so one process sends each.
ALTER TABLE workspaces ADD COLUMN last_digest_at INTEGER;

CREATE INDEX transitions_workspace ON transitions (workspace_id, at);

-- Delivery state moves from the event to one delivery per (event, endpoint): each endpoint
-- succeeds, retries and gives up on its own.
DROP INDEX outbox_due;
ALTER TABLE outbox DROP COLUMN attempts;
ALTER TABLE outbox DROP COLUMN next_attempt_at;
ALTER TABLE outbox DROP COLUMN lease_owner;
ALTER TABLE outbox DROP COLUMN lease_until;
ALTER TABLE outbox DROP COLUMN last_error;
ALTER TABLE outbox DROP COLUMN delivered_at;
CREATE INDEX outbox_workspace ON outbox (workspace_id, created_at);

-- Outbound webhook endpoints. The signing secret is sealed like a login's token (AES-256-GCM,
-- AAD = this row); secret_key_id lets a key rotation find stale rows.
CREATE TABLE endpoints (
    id            BLOB PRIMARY KEY,
    workspace_id  BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    url           TEXT NOT NULL,
    description   TEXT NOT NULL,
    secret_sealed BLOB NOT NULL,
    secret_key_id INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX endpoints_workspace ON endpoints (workspace_id);
CREATE INDEX endpoints_key ON endpoints (secret_key_id);

-- One row per event per endpoint the workspace had when the event was written (same transaction).
-- next_attempt_at is NULL once delivered (delivered_at) or given up (dead_at). Deleting an endpoint
-- deletes its deliveries: its log goes with it.
CREATE TABLE deliveries (
    id              BLOB PRIMARY KEY,
    workspace_id    BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    event_id        BLOB NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    endpoint_id     BLOB NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    lease_owner     TEXT,
    lease_until     INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    INTEGER,
    dead_at         INTEGER,
    created_at      INTEGER NOT NULL,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX deliveries_log ON deliveries (workspace_id, created_at);
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, created_at);
-- A claim reads back what it leased by (owner, lease end); settled rows clear their lease, so this
-- stays small while the log grows.
CREATE INDEX deliveries_lease ON deliveries (lease_owner, lease_until) WHERE lease_owner IS NOT NULL;
