//! Every statement, as `&'static str` (sqlx 0.9 takes only static SQL, STACK.md G6). Placeholders
//! are `$N` on both engines (sqlx maps `$N` to SQLite's numbered parameters). Where the dialects
//! differ there is one constant per engine.

macro_rules! login_cols {
    () => {
        "id, workspace_id, network, platform_user_id, person_name, token_key_id, expires_at, \
         data_access_expires_at, status, last_verified_at, next_check_at, lease_owner, lease_until, \
         consecutive_failures, created_at"
    };
}
macro_rules! asset_cols {
    () => {
        "id, workspace_id, login_id, kind, platform_id, name, status, last_verified_at"
    };
}
macro_rules! transition_cols {
    () => {
        "id, workspace_id, login_id, asset_id, old_status, new_status, findings, at"
    };
}
macro_rules! event_cols {
    () => {
        "id, workspace_id, event_type, payload, created_at, attempts, next_attempt_at, last_error, \
         delivered_at"
    };
}

pub const INSERT_WORKSPACE: &str =
    "INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)";
pub const GET_WORKSPACE: &str = "SELECT id, name, created_at FROM workspaces WHERE id = $1";

pub const INSERT_API_KEY: &str = "INSERT INTO api_keys (id, workspace_id, prefix, secret_hash, created_at) \
     VALUES ($1, $2, $3, $4, $5)";
pub const AUTHENTICATE_API_KEY: &str =
    "SELECT workspace_id FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL";
pub const REVOKE_API_KEY: &str = "UPDATE api_keys SET revoked_at = $3 \
     WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL";

pub const FIND_LOGIN_ID: &str = "SELECT id FROM logins \
     WHERE workspace_id = $1 AND network = $2 AND platform_user_id = $3";
pub const INSERT_LOGIN: &str = concat!(
    "INSERT INTO logins (id, workspace_id, network, platform_user_id, person_name, token_sealed, \
     token_key_id, expires_at, data_access_expires_at, status, next_check_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING ",
    login_cols!()
);
/// A reconnect: new token and expiries, checked soon, failures forgiven; identity, status and
/// history stay.
pub const RECONNECT_LOGIN: &str = concat!(
    "UPDATE logins SET person_name = $3, token_sealed = $4, token_key_id = $5, expires_at = $6, \
     data_access_expires_at = $7, next_check_at = $8, consecutive_failures = 0 \
     WHERE workspace_id = $1 AND id = $2 RETURNING ",
    login_cols!()
);
pub const GET_LOGIN: &str = concat!(
    "SELECT ",
    login_cols!(),
    " FROM logins WHERE workspace_id = $1 AND id = $2"
);
pub const LIST_LOGINS: &str = concat!(
    "SELECT ",
    login_cols!(),
    " FROM logins WHERE workspace_id = $1 ORDER BY id"
);
pub const GET_LOGIN_TOKEN: &str =
    "SELECT network, token_sealed FROM logins WHERE workspace_id = $1 AND id = $2";
pub const COUNT_STALE_TOKENS: &str = "SELECT COUNT(*) FROM logins WHERE token_key_id <> $1";
pub const STALE_TOKENS: &str = "SELECT id, network, token_sealed, token_key_id FROM logins \
     WHERE token_key_id <> $1 ORDER BY id LIMIT $2";
/// Guarded by the old key id so a concurrent reconnect (which seals afresh) is never overwritten.
pub const RESEAL_TOKEN: &str = "UPDATE logins SET token_sealed = $3, token_key_id = $4 \
     WHERE id = $1 AND token_key_id = $2";

pub const UPSERT_ASSET: &str = concat!(
    "INSERT INTO assets (id, workspace_id, login_id, kind, platform_id, name, status) \
     VALUES ($1, $2, $3, $4, $5, $6, 'pending') \
     ON CONFLICT (login_id, kind, platform_id) DO UPDATE SET name = excluded.name RETURNING ",
    asset_cols!()
);
pub const LOGIN_IN_WORKSPACE: &str = "SELECT id FROM logins WHERE workspace_id = $1 AND id = $2";
pub const GET_ASSET: &str = concat!(
    "SELECT ",
    asset_cols!(),
    " FROM assets WHERE workspace_id = $1 AND id = $2"
);
pub const LIST_ASSETS: &str = concat!(
    "SELECT ",
    asset_cols!(),
    " FROM assets WHERE workspace_id = $1 ORDER BY id"
);
pub const LIST_LOGIN_ASSETS: &str = concat!(
    "SELECT ",
    asset_cols!(),
    " FROM assets WHERE workspace_id = $1 AND login_id = $2 ORDER BY id"
);
pub const ASSET_OF_LOGIN: &str =
    "SELECT status FROM assets WHERE workspace_id = $1 AND login_id = $2 AND id = $3";

pub const PUT_FACTS: &str = "INSERT INTO facts (subject_id, workspace_id, login_id, facts, seen_at) \
     VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (subject_id) DO UPDATE SET facts = excluded.facts, seen_at = excluded.seen_at";
pub const GET_FACTS: &str =
    "SELECT facts, seen_at FROM facts WHERE workspace_id = $1 AND subject_id = $2";

pub const LOGIN_STATUS: &str = "SELECT status FROM logins WHERE workspace_id = $1 AND id = $2";
pub const SET_LOGIN_STATUS: &str =
    "UPDATE logins SET status = $3, last_verified_at = $4 WHERE workspace_id = $1 AND id = $2";
pub const SET_ASSET_STATUS: &str =
    "UPDATE assets SET status = $3, last_verified_at = $4 WHERE workspace_id = $1 AND id = $2";
pub const PUT_DIAGNOSIS: &str = "INSERT INTO diagnoses (login_id, workspace_id, report, diagnosed_at) \
     VALUES ($1, $2, $3, $4) \
     ON CONFLICT (login_id) DO UPDATE SET report = excluded.report, diagnosed_at = excluded.diagnosed_at";
pub const GET_DIAGNOSIS: &str =
    "SELECT report, diagnosed_at FROM diagnoses WHERE workspace_id = $1 AND login_id = $2";
pub const INSERT_TRANSITION: &str = "INSERT INTO transitions \
     (id, workspace_id, login_id, asset_id, old_status, new_status, findings, at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
pub const LIST_TRANSITIONS: &str = concat!(
    "SELECT ",
    transition_cols!(),
    " FROM transitions WHERE workspace_id = $1 AND login_id = $2 ORDER BY at, id"
);

/// PostgreSQL: SKIP LOCKED lets concurrent workers each take different rows instead of queueing
/// on the same ones; the re-check of the WHERE clause on locked rows keeps a lease exclusive.
pub const CLAIM_LOGINS_PG: &str = "UPDATE logins SET lease_owner = $1, lease_until = $2 \
     WHERE id IN (SELECT id FROM logins \
                  WHERE next_check_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) \
                  ORDER BY next_check_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING id, workspace_id";
/// SQLite has one writer at a time, so the UPDATE is already serialized against other claims.
pub const CLAIM_LOGINS_SQLITE: &str = "UPDATE logins SET lease_owner = $1, lease_until = $2 \
     WHERE id IN (SELECT id FROM logins \
                  WHERE next_check_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) \
                  ORDER BY next_check_at, id LIMIT $4) \
     RETURNING id, workspace_id";
pub const RELEASE_VERIFIED: &str = "UPDATE logins SET lease_owner = NULL, lease_until = NULL, \
     next_check_at = $3, consecutive_failures = 0 WHERE id = $1 AND lease_owner = $2";
pub const RELEASE_FAILED: &str = "UPDATE logins SET lease_owner = NULL, lease_until = NULL, \
     next_check_at = $3, consecutive_failures = consecutive_failures + 1 \
     WHERE id = $1 AND lease_owner = $2";

pub const INSERT_EVENT: &str = "INSERT INTO outbox \
     (id, workspace_id, event_type, payload, created_at, next_attempt_at) \
     VALUES ($1, $2, $3, $4, $5, $5)";
pub const CLAIM_EVENTS_PG: &str = concat!(
    "UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM outbox \
                  WHERE delivered_at IS NULL AND next_attempt_at <= $3 \
                    AND (lease_until IS NULL OR lease_until <= $3) \
                  ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING ",
    event_cols!()
);
pub const CLAIM_EVENTS_SQLITE: &str = concat!(
    "UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM outbox \
                  WHERE delivered_at IS NULL AND next_attempt_at <= $3 \
                    AND (lease_until IS NULL OR lease_until <= $3) \
                  ORDER BY next_attempt_at, id LIMIT $4) \
     RETURNING ",
    event_cols!()
);
pub const MARK_DELIVERED: &str = "UPDATE outbox SET delivered_at = $3, lease_owner = NULL, \
     lease_until = NULL, last_error = NULL WHERE id = $1 AND lease_owner = $2 AND delivered_at IS NULL";
pub const MARK_FAILED: &str = "UPDATE outbox SET next_attempt_at = $4, last_error = $3, \
     lease_owner = NULL, lease_until = NULL \
     WHERE id = $1 AND lease_owner = $2 AND delivered_at IS NULL";
pub const LIST_EVENTS: &str = concat!(
    "SELECT ",
    event_cols!(),
    " FROM outbox WHERE workspace_id = $1 ORDER BY created_at, id"
);
