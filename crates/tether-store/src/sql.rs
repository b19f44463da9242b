//! Every statement, as `&'static str` (sqlx 0.9 takes only static SQL, STACK.md G6). Placeholders
//! are `$N` on both engines (sqlx maps `$N` to SQLite's numbered parameters). Where the dialects
//! differ there is one constant per engine.

macro_rules! login_cols {
    () => {
        "id, workspace_id, network, platform_user_id, person_name, token_key_id, expires_at, \
         data_access_expires_at, refresh_expires_at, status, last_verified_at, next_check_at, \
         lease_owner, lease_until, consecutive_failures, created_at, last_error, last_failed_at, \
         last_changed_at, known_token, disconnected_at, connected_at"
    };
}
macro_rules! asset_cols {
    () => {
        "id, workspace_id, login_id, kind, platform_id, name, status, last_verified_at, \
         owners_mask, unavailable_mask, at_risk_mask, updated_at"
    };
}
macro_rules! transition_cols {
    () => {
        "id, workspace_id, login_id, asset_id, old_status, new_status, findings, at, cause"
    };
}
macro_rules! event_cols {
    () => {
        "id, workspace_id, event_type, payload, created_at"
    };
}
macro_rules! endpoint_cols {
    () => {
        "id, workspace_id, url, description, created_at"
    };
}
macro_rules! user_cols {
    () => {
        "id, workspace_id, email, role, active, invite_expires_at, created_at"
    };
}
/// A user as a member of one workspace: that workspace and the role held there.
macro_rules! member_cols {
    () => {
        "u.id, m.workspace_id, u.email, m.role, u.active, u.invite_expires_at, u.created_at"
    };
}
macro_rules! oauth_state_cols {
    () => {
        "id, workspace_id, network, reconnect_login_id, allow_other_person, scopes, rerequest, \
         return_to, expires_at, created_at"
    };
}

pub const INSERT_WORKSPACE: &str =
    "INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)";
pub const GET_WORKSPACE: &str =
    "SELECT id, name, created_at, profile, warning_days FROM workspaces WHERE id = $1";
pub const LIST_WORKSPACES: &str =
    "SELECT id, name, created_at, profile, warning_days FROM workspaces ORDER BY id";
pub const UPDATE_WORKSPACE_SETTINGS: &str =
    "UPDATE workspaces SET profile = $2, warning_days = $3 WHERE id = $1";
/// $3 = now - period: the last digest must be at or before it.
pub const CLAIM_DIGEST: &str = "UPDATE workspaces SET last_digest_at = $2 \
     WHERE id = $1 AND (last_digest_at IS NULL OR last_digest_at <= $3)";

pub const INSERT_API_KEY: &str = "INSERT INTO api_keys (id, workspace_id, prefix, secret_hash, created_at) \
     VALUES ($1, $2, $3, $4, $5)";
pub const LIST_API_KEYS: &str = "SELECT id, prefix, created_at, revoked_at FROM api_keys \
     WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC";
pub const AUTHENTICATE_API_KEY: &str =
    "SELECT workspace_id FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL";
// Every table naming a login cascades from it (see the migrations).
pub const DELETE_LOGIN: &str = "DELETE FROM logins WHERE workspace_id = $1 AND id = $2";

pub const REVOKE_API_KEY: &str = "UPDATE api_keys SET revoked_at = $3 \
     WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL";

pub const FIND_LOGIN_ID: &str = "SELECT id FROM logins \
     WHERE workspace_id = $1 AND network = $2 AND platform_user_id = $3";
pub const INSERT_LOGIN: &str = concat!(
    "INSERT INTO logins (id, workspace_id, network, platform_user_id, person_name, token_sealed, \
     token_key_id, expires_at, data_access_expires_at, status, next_check_at, created_at, \
     sort_name, triage, connected_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $11) RETURNING ",
    login_cols!()
);
/// A reconnect: new token and expiries, checked soon, failures forgiven, a disconnection ended;
/// identity, status and history stay. What the platform client kept about the old token no
/// longer applies.
pub const RECONNECT_LOGIN: &str = concat!(
    "UPDATE logins SET person_name = $3, token_sealed = $4, token_key_id = $5, expires_at = $6, \
     data_access_expires_at = $7, next_check_at = $8, sort_name = $9, consecutive_failures = 0, \
     last_error = NULL, known_token = NULL, disconnected_at = NULL, connected_at = $8 \
     WHERE workspace_id = $1 AND id = $2 RETURNING ",
    login_cols!()
);
/// The person's name is part of what the search box matches on each of their assets.
pub const SET_ASSETS_PERSON: &str = "UPDATE assets SET search = sort_name || ' ' || $3 \
     WHERE workspace_id = $1 AND login_id = $2";
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
pub const FIND_LOGINS_BY_PLATFORM_USER: &str = concat!(
    "SELECT ",
    login_cols!(),
    " FROM logins WHERE network = $1 AND platform_user_id = $2 ORDER BY id"
);
pub const SET_KNOWN_TOKEN: &str =
    "UPDATE logins SET known_token = $3 WHERE workspace_id = $1 AND id = $2";
/// Earlier only; a request while leased is also kept for the release (see RELEASE_*).
pub const SCHEDULE_CHECK: &str = "UPDATE logins SET \
     next_check_at = CASE WHEN next_check_at < $3 THEN next_check_at ELSE $3 END, \
     check_requested_at = CASE WHEN check_requested_at IS NOT NULL AND check_requested_at < $3 \
                               THEN check_requested_at ELSE $3 END \
     WHERE workspace_id = $1 AND id = $2";
/// $3: the failure's reason, NULL for a success.
pub const NOTE_CHECK: &str = "UPDATE logins SET last_error = $3, \
     last_failed_at = CASE WHEN $3 IS NULL THEN last_failed_at ELSE $4 END \
     WHERE workspace_id = $1 AND id = $2 AND disconnected_at IS NULL";
pub const GET_LOGIN_TOKEN: &str = "SELECT network, token_sealed, disconnected_at FROM logins \
     WHERE workspace_id = $1 AND id = $2";
/// The token is overwritten, not kept aside: a disconnection must not leave a usable token behind.
/// What the platform client kept about it goes too. Disconnecting again keeps the first time.
pub const DISCONNECT_LOGIN: &str = "UPDATE logins SET token_sealed = $3, refresh_sealed = NULL, \
     disconnected_at = COALESCE(disconnected_at, $4), \
     known_token = NULL WHERE workspace_id = $1 AND id = $2";
/// Disconnected logins have no token to re-seal.
pub const COUNT_STALE_TOKENS: &str =
    "SELECT COUNT(*) FROM logins WHERE token_key_id <> $1 AND disconnected_at IS NULL";
pub const STALE_TOKENS: &str = "SELECT id, network, token_sealed, token_key_id, refresh_sealed FROM logins \
     WHERE token_key_id <> $1 AND disconnected_at IS NULL ORDER BY id LIMIT $2";
/// Guarded by the old key id so a concurrent reconnect (which seals afresh) is never overwritten.
pub const RESEAL_TOKEN: &str = "UPDATE logins SET token_sealed = $3, token_key_id = $4, refresh_sealed = $5 \
     WHERE id = $1 AND token_key_id = $2";
pub const COUNT_STALE_SECRETS: &str = "SELECT COUNT(*) FROM endpoints WHERE secret_key_id <> $1";
pub const STALE_SECRETS: &str = "SELECT id, workspace_id, secret_sealed, secret_key_id FROM endpoints \
     WHERE secret_key_id <> $1 ORDER BY id LIMIT $2";
pub const RESEAL_SECRET: &str = "UPDATE endpoints SET secret_sealed = $3, secret_key_id = $4 \
     WHERE id = $1 AND secret_key_id = $2";

macro_rules! upsert_asset {
    () => {
        "INSERT INTO assets (id, workspace_id, login_id, kind, platform_id, name, status, triage, \
         sort_name, search) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9) \
         ON CONFLICT (login_id, kind, platform_id) DO UPDATE SET name = excluded.name, \
         sort_name = excluded.sort_name, search = excluded.search RETURNING "
    };
}
pub const UPSERT_ASSET: &str = concat!(upsert_asset!(), asset_cols!());
/// UPSERT_ASSET inside a check's transaction: only the id (the one given, or the stored one).
pub const UPSERT_ASSET_ID: &str = concat!(upsert_asset!(), "id");
pub const LOGIN_IN_WORKSPACE: &str = "SELECT id FROM logins WHERE workspace_id = $1 AND id = $2";
/// The login's person, for the search text of its assets; none if the login is not `ws`'s.
pub const LOGIN_PERSON: &str = "SELECT person_name FROM logins WHERE workspace_id = $1 AND id = $2";
pub const GET_ASSET: &str = concat!(
    "SELECT ",
    asset_cols!(),
    " FROM assets WHERE workspace_id = $1 AND id = $2"
);
/// Each filter is `$n IS NULL OR ...` so one statement serves every combination. Owners and
/// features are bit sets (see the 0002 migration); `&` and `|` are the same on both engines.
pub const LIST_ASSETS: &str = concat!(
    "SELECT ",
    asset_cols!(),
    " FROM assets WHERE workspace_id = $1 \
       AND ($2 IS NULL OR login_id = $2) \
       AND ($3 IS NULL OR status = $3) \
       AND ($4 IS NULL OR login_id IN \
            (SELECT id FROM logins WHERE workspace_id = $1 AND network = $4)) \
       AND ($5 IS NULL OR kind = $5) \
       AND ($6 IS NULL OR (owners_mask & $6) <> 0) \
       AND ($7 IS NULL OR ((unavailable_mask | at_risk_mask) & $7) <> 0) \
       AND ($8 IS NULL OR id > $8) \
     ORDER BY id LIMIT $9"
);
pub const COUNT_ASSETS_BY_STATUS: &str =
    "SELECT status, COUNT(*) FROM assets WHERE workspace_id = $1 GROUP BY status";
pub const GET_ASSET_REPORT: &str =
    "SELECT report, updated_at FROM assets WHERE workspace_id = $1 AND id = $2";
/// Across workspaces, for the pre-flight index; keyset on (updated_at, id).
pub const SCAN_ASSETS: &str = concat!(
    "SELECT ",
    asset_cols!(),
    ", report FROM assets \
     WHERE ($1 IS NULL OR updated_at > $1) \
       AND ($2 IS NULL OR updated_at > $2 OR (updated_at = $2 AND id > $3)) \
     ORDER BY updated_at, id LIMIT $4"
);
pub const ASSET_OF_LOGIN: &str =
    "SELECT status FROM assets WHERE workspace_id = $1 AND login_id = $2 AND id = $3";

pub const PUT_FACTS: &str = "INSERT INTO facts (subject_id, workspace_id, login_id, facts, seen_at) \
     VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (subject_id) DO UPDATE SET facts = excluded.facts, seen_at = excluded.seen_at";
/// A login's assets with their facts, then the login's own facts (the row without an asset id).
pub const CHECKED_FACTS: &str = "SELECT a.id, a.kind, a.platform_id, a.name, f.facts, f.seen_at \
     FROM assets a LEFT JOIN facts f ON f.subject_id = a.id AND f.workspace_id = a.workspace_id \
     WHERE a.workspace_id = $1 AND a.login_id = $2 \
     UNION ALL SELECT NULL, NULL, NULL, NULL, f.facts, f.seen_at FROM facts f \
     WHERE f.workspace_id = $1 AND f.subject_id = $2";
pub const GET_FACTS: &str =
    "SELECT facts, seen_at FROM facts WHERE workspace_id = $1 AND subject_id = $2";

pub const LOGIN_STATUS: &str = "SELECT status FROM logins WHERE workspace_id = $1 AND id = $2";
/// PostgreSQL: a recording holds the login's row until it commits, so recordings of one login
/// commit one after the other (SQLite has one writer anyway).
pub const LOCK_LOGIN_STATUS_PG: &str =
    "SELECT status FROM logins WHERE workspace_id = $1 AND id = $2 FOR UPDATE";
/// The latest instant recorded for the login (its history or its last diagnosis), read after the
/// lock: the next recording is stamped after it.
pub const LOGIN_LAST_RECORDED: &str = "SELECT MAX(at) FROM (\
     SELECT MAX(at) AS at FROM transitions WHERE workspace_id = $1 AND login_id = $2 \
     UNION ALL SELECT diagnosed_at AS at FROM diagnoses WHERE workspace_id = $1 AND login_id = $2) x";
/// With the login's own verdict: its place in the overview.
pub const SET_LOGIN_STATUS: &str = "UPDATE logins SET status = $3, last_verified_at = $4, \
     triage = $5, owners_mask = $6, unavailable_mask = $7, at_risk_mask = $8 \
     WHERE workspace_id = $1 AND id = $2";
/// Assets are added only by UPSERT_ASSET and removed only with their login.
pub const COUNT_LOGIN_ASSETS: &str = "UPDATE logins SET asset_count = \
     (SELECT COUNT(*) FROM assets a WHERE a.workspace_id = $1 AND a.login_id = $2) \
     WHERE workspace_id = $1 AND id = $2";
pub const SET_ASSET_VERDICT: &str = "UPDATE assets SET status = $3, last_verified_at = $4, \
     updated_at = $4, report = $5, owners_mask = $6, unavailable_mask = $7, at_risk_mask = $8, \
     triage = $9 WHERE workspace_id = $1 AND id = $2";
/// A diagnosis replaces the fixes of the login's own findings and of each asset it names.
pub const DELETE_LOGIN_FIXES: &str =
    "DELETE FROM fixes WHERE workspace_id = $1 AND login_id = $2 AND asset_id IS NULL";
pub const DELETE_ASSET_FIXES: &str = "DELETE FROM fixes WHERE workspace_id = $1 AND asset_id = $2";
pub const INSERT_FIX: &str = "INSERT INTO fixes (workspace_id, login_id, asset_id, action, fix_key) \
     VALUES ($1, $2, $3, $4, $5)";
pub const SET_LOGIN_CHANGED: &str =
    "UPDATE logins SET last_changed_at = $3 WHERE workspace_id = $1 AND id = $2";
pub const PUT_DIAGNOSIS: &str = "INSERT INTO diagnoses (login_id, workspace_id, report, diagnosed_at) \
     VALUES ($1, $2, $3, $4) \
     ON CONFLICT (login_id) DO UPDATE SET report = excluded.report, diagnosed_at = excluded.diagnosed_at";
pub const GET_DIAGNOSIS: &str =
    "SELECT report, diagnosed_at FROM diagnoses WHERE workspace_id = $1 AND login_id = $2";
pub const INSERT_TRANSITION: &str = "INSERT INTO transitions \
     (id, workspace_id, login_id, asset_id, old_status, new_status, findings, at, cause) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
pub const LIST_TRANSITIONS: &str = concat!(
    "SELECT ",
    transition_cols!(),
    " FROM transitions WHERE workspace_id = $1 AND login_id = $2 ORDER BY at, id"
);
pub const LIST_ASSET_TRANSITIONS: &str = concat!(
    "SELECT ",
    transition_cols!(),
    " FROM transitions WHERE workspace_id = $1 AND asset_id = $2 ORDER BY at, id"
);
pub const LIST_TRANSITIONS_SINCE: &str = concat!(
    "SELECT ",
    transition_cols!(),
    " FROM transitions WHERE workspace_id = $1 AND at >= $2 ORDER BY at, id"
);

/// Disconnected logins are never claimed: they have no token to check with.
/// PostgreSQL: SKIP LOCKED lets concurrent workers each take different rows instead of queueing
/// on the same ones; the re-check of the WHERE clause on locked rows keeps a lease exclusive.
/// A check request made before the claim is served by this check, so the claim clears it.
pub const CLAIM_LOGINS_PG: &str = "UPDATE logins SET lease_owner = $1, lease_until = $2, \
     claimed_at = $3, check_requested_at = NULL \
     WHERE id IN (SELECT id FROM logins \
                  WHERE next_check_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) \
                    AND disconnected_at IS NULL AND ($5::text IS NULL OR network = $5) \
                  ORDER BY next_check_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING id, workspace_id";
/// SQLite has one writer at a time, so the UPDATE is already serialized against other claims.
pub const CLAIM_LOGINS_SQLITE: &str = "UPDATE logins SET lease_owner = $1, lease_until = $2, \
     claimed_at = $3, check_requested_at = NULL \
     WHERE id IN (SELECT id FROM logins \
                  WHERE next_check_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) \
                    AND disconnected_at IS NULL AND ($5 IS NULL OR network = $5) \
                  ORDER BY next_check_at, id LIMIT $4) \
     RETURNING id, workspace_id";
/// A check requested during the lease (check_requested_at) wins over a later planned one.
pub const RELEASE_VERIFIED: &str = "UPDATE logins SET lease_owner = NULL, lease_until = NULL, \
     next_check_at = CASE WHEN check_requested_at IS NOT NULL AND check_requested_at < $3 \
                          THEN check_requested_at ELSE $3 END, \
     check_requested_at = NULL, consecutive_failures = 0, last_error = NULL \
     WHERE id = $1 AND lease_owner = $2";
pub const RELEASE_FAILED: &str = "UPDATE logins SET lease_owner = NULL, lease_until = NULL, \
     next_check_at = CASE WHEN check_requested_at IS NOT NULL AND check_requested_at < $3 \
                          THEN check_requested_at ELSE $3 END, \
     check_requested_at = NULL, consecutive_failures = consecutive_failures + 1, \
     last_error = $4, last_failed_at = claimed_at \
     WHERE id = $1 AND lease_owner = $2";

pub const INSERT_EVENT: &str = "INSERT INTO outbox (id, workspace_id, event_type, payload, created_at) \
     VALUES ($1, $2, $3, $4, $5)";
pub const LIST_EVENTS: &str = concat!(
    "SELECT ",
    event_cols!(),
    " FROM outbox WHERE workspace_id = $1 ORDER BY created_at, id"
);

pub const INSERT_ENDPOINT: &str = "INSERT INTO endpoints \
     (id, workspace_id, url, description, secret_sealed, secret_key_id, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub const LIST_ENDPOINTS: &str = concat!(
    "SELECT ",
    endpoint_cols!(),
    " FROM endpoints WHERE workspace_id = $1 ORDER BY id"
);
pub const DELETE_ENDPOINT: &str = "DELETE FROM endpoints WHERE workspace_id = $1 AND id = $2";
/// The endpoints an event fans out to. On PostgreSQL the KEY SHARE lock makes a concurrent
/// delete_endpoint wait for this transaction instead of failing its delivery inserts.
pub const FAN_OUT_ENDPOINTS_PG: &str =
    "SELECT id FROM endpoints WHERE workspace_id = $1 ORDER BY id FOR KEY SHARE";
pub const FAN_OUT_ENDPOINTS_SQLITE: &str =
    "SELECT id FROM endpoints WHERE workspace_id = $1 ORDER BY id";
/// The one endpoint a targeted event goes to, locked like FAN_OUT_ENDPOINTS_PG.
pub const ONE_ENDPOINT_PG: &str =
    "SELECT id FROM endpoints WHERE workspace_id = $1 AND id = $2 FOR KEY SHARE";
pub const ONE_ENDPOINT_SQLITE: &str =
    "SELECT id FROM endpoints WHERE workspace_id = $1 AND id = $2";
pub const INSERT_DELIVERY: &str = "INSERT INTO deliveries \
     (id, workspace_id, event_id, endpoint_id, next_attempt_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $5)";

/// Deliveries: leased like logins; attempts counts settled attempts, so it is not touched here.
/// The due deliveries a claim may take, fairly: at most $5 in flight per endpoint and about $6
/// per workspace (those already leased count), numbered per workspace so a claim takes them
/// round-robin across workspaces: one workspace's endpoints that never answer cannot hold every
/// slot.
macro_rules! fair_due_deliveries {
    () => {
        "SELECT id, next_attempt_at, per_workspace FROM (\
           SELECT q.id, q.next_attempt_at, \
             ROW_NUMBER() OVER (PARTITION BY q.endpoint_id ORDER BY q.next_attempt_at, q.id) \
               + COALESCE(fe.n, 0) AS per_endpoint, \
             ROW_NUMBER() OVER (PARTITION BY q.workspace_id ORDER BY q.next_attempt_at, q.id) \
               + COALESCE(fw.n, 0) AS per_workspace \
           FROM deliveries q \
           LEFT JOIN (SELECT endpoint_id, COUNT(*) AS n FROM deliveries \
                  WHERE lease_owner IS NOT NULL AND lease_until > $3 GROUP BY endpoint_id) fe \
             ON fe.endpoint_id = q.endpoint_id \
           LEFT JOIN (SELECT workspace_id, COUNT(*) AS n FROM deliveries \
                  WHERE lease_owner IS NOT NULL AND lease_until > $3 GROUP BY workspace_id) fw \
             ON fw.workspace_id = q.workspace_id \
           WHERE q.next_attempt_at <= $3 AND (q.lease_until IS NULL OR q.lease_until <= $3)) n \
         WHERE per_endpoint <= $5 AND per_workspace <= $6"
    };
}
/// Locked rows are skipped before the limit, so concurrent deliverers share the due rows. The
/// conditions are repeated on `d`: PostgreSQL re-checks a locked row's latest version against
/// them only, so a row another deliverer just sent (or leased) and committed is not taken again.
pub const CLAIM_DELIVERIES_PG: &str = concat!(
    "UPDATE deliveries SET lease_owner = $1, lease_until = $2 \
     WHERE id IN (SELECT d.id FROM deliveries d JOIN (",
    fair_due_deliveries!(),
    ") c ON c.id = d.id \
     WHERE d.next_attempt_at <= $3 AND (d.lease_until IS NULL OR d.lease_until <= $3) \
     ORDER BY c.per_workspace, d.next_attempt_at, d.id LIMIT $4 \
     FOR UPDATE OF d SKIP LOCKED) RETURNING id"
);
pub const CLAIM_DELIVERIES_SQLITE: &str = concat!(
    "UPDATE deliveries SET lease_owner = $1, lease_until = $2 WHERE id IN (SELECT id FROM (",
    fair_due_deliveries!(),
    ") c ORDER BY per_workspace, next_attempt_at, id LIMIT $4) RETURNING id"
);
/// $5: the endpoint; the newest first (the test event just written).
pub const CLAIM_ENDPOINT_DELIVERIES_PG: &str = "UPDATE deliveries SET lease_owner = $1, \
     lease_until = $2 WHERE id IN (SELECT id FROM deliveries WHERE endpoint_id = $5 \
     AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) \
     ORDER BY created_at DESC, id DESC LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING id";
pub const CLAIM_ENDPOINT_DELIVERIES_SQLITE: &str = "UPDATE deliveries SET lease_owner = $1, \
     lease_until = $2 WHERE id IN (SELECT id FROM deliveries WHERE endpoint_id = $5 \
     AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) \
     ORDER BY created_at DESC, id DESC LIMIT $4) RETURNING id";
/// What the deliverer needs for the rows this owner holds under this lease (read in the claim's
/// transaction; RETURNING cannot join on SQLite).
pub const LEASED_DELIVERIES: &str = "SELECT d.id AS delivery_id, d.attempts, d.next_attempt_at, \
     o.id AS event_id, o.workspace_id, o.event_type, o.payload, o.created_at AS event_created_at, \
     e.id AS endpoint_id, e.url, e.description, e.created_at AS endpoint_created_at, \
     e.secret_sealed \
     FROM deliveries d JOIN outbox o ON o.id = d.event_id JOIN endpoints e ON e.id = d.endpoint_id \
     WHERE d.lease_owner = $1 AND d.lease_until = $2";
pub const DELIVERY_SUCCEEDED: &str = "UPDATE deliveries SET delivered_at = $4, last_status = $3, \
     attempts = attempts + 1, last_error = NULL, next_attempt_at = NULL, \
     lease_owner = NULL, lease_until = NULL \
     WHERE id = $1 AND lease_owner = $2 AND next_attempt_at IS NOT NULL";
/// $5 NULL gives up: the delivery is dead from $6 on.
pub const DELIVERY_FAILED: &str = "UPDATE deliveries SET attempts = attempts + 1, \
     last_status = $3, last_error = $4, next_attempt_at = $5, \
     dead_at = CASE WHEN $5 IS NULL THEN $6 ELSE NULL END, lease_owner = NULL, lease_until = NULL \
     WHERE id = $1 AND lease_owner = $2 AND next_attempt_at IS NOT NULL";
pub const LIST_DELIVERIES: &str = "SELECT d.id, d.event_id, d.endpoint_id, o.event_type, \
     d.attempts, d.last_status, d.last_error, d.next_attempt_at, d.delivered_at, d.dead_at, \
     d.created_at, o.payload \
     FROM deliveries d JOIN outbox o ON o.id = d.event_id \
     WHERE d.workspace_id = $1 AND ($2 IS NULL OR d.endpoint_id = $2) \
     ORDER BY d.created_at DESC, d.id DESC LIMIT $3";

pub const INSERT_OAUTH_STATE: &str = "INSERT INTO oauth_states \
     (id, workspace_id, secret_hash, network, reconnect_login_id, allow_other_person, scopes, \
      rerequest, return_to, expires_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
/// Finding and using up in one statement is what makes a state single use under concurrency.
pub const CONSUME_OAUTH_STATE: &str = concat!(
    "UPDATE oauth_states SET used_at = $2 WHERE secret_hash = $1 AND used_at IS NULL RETURNING ",
    oauth_state_cols!()
);
pub const OAUTH_STATE_EXPIRY: &str = "SELECT expires_at FROM oauth_states WHERE secret_hash = $1";
/// The earlier flows of a login being reconnected: a new one replaces them (migration 0011).
pub const END_RECONNECT_STATES: &str =
    "DELETE FROM oauth_states WHERE reconnect_login_id = $1 AND used_at IS NULL";
pub const PURGE_OAUTH_STATES: &str = "DELETE FROM oauth_states WHERE expires_at < $1";

pub const INSERT_USER: &str = concat!(
    "INSERT INTO users (id, workspace_id, email, role, active, password_hash, invite_hash, \
     invite_expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
    user_cols!()
);
pub const USER_BY_EMAIL: &str = "SELECT id, workspace_id, active FROM users WHERE email = $1";
pub const INSERT_MEMBERSHIP: &str =
    "INSERT INTO memberships (user_id, workspace_id, role, created_at) VALUES ($1, $2, $3, $4)";
pub const SET_MEMBERSHIP_ROLE: &str =
    "UPDATE memberships SET role = $3 WHERE user_id = $1 AND workspace_id = $2";
pub const HAS_MEMBERSHIP: &str =
    "SELECT 1 FROM memberships WHERE user_id = $1 AND workspace_id = $2";
/// A re-invitation of a still-pending user: the old link's hash is replaced, so it stops working.
pub const REINVITE_USER: &str = concat!(
    "UPDATE users SET role = $2, invite_hash = $3, invite_expires_at = $4 \
     WHERE id = $1 AND NOT active RETURNING ",
    user_cols!()
);
pub const GET_INVITE: &str = concat!(
    "SELECT ",
    user_cols!(),
    " FROM users WHERE invite_hash = $1 AND invite_expires_at > $2 AND NOT active"
);
/// Finding and using up in one statement is what makes an invitation single use under
/// concurrency.
pub const ACCEPT_INVITE: &str = concat!(
    "UPDATE users SET password_hash = $2, active = TRUE, invite_hash = NULL, \
     invite_expires_at = NULL \
     WHERE invite_hash = $1 AND invite_expires_at > $3 AND NOT active RETURNING ",
    user_cols!()
);
pub const FIND_USER_FOR_SIGN_IN: &str = concat!(
    "SELECT ",
    user_cols!(),
    ", password_hash FROM users WHERE email = $1 AND active AND password_hash IS NOT NULL"
);
pub const GET_USER: &str = concat!(
    "SELECT ",
    member_cols!(),
    " FROM memberships m JOIN users u ON u.id = m.user_id \
     WHERE m.workspace_id = $1 AND m.user_id = $2"
);
pub const LIST_USERS: &str = concat!(
    "SELECT ",
    member_cols!(),
    " FROM memberships m JOIN users u ON u.id = m.user_id \
     WHERE m.workspace_id = $1 ORDER BY m.created_at, u.id"
);
pub const DELETE_MEMBERSHIP: &str =
    "DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2";
pub const DELETE_WORKSPACE_SESSIONS: &str =
    "DELETE FROM sessions WHERE workspace_id = $1 AND user_id = $2";
/// A person removed from the workspace a sign-in lands in lands in another they belong to.
pub const MOVE_HOME: &str = "UPDATE users SET workspace_id = \
     (SELECT workspace_id FROM memberships WHERE user_id = $2 ORDER BY created_at, workspace_id LIMIT 1) \
     WHERE id = $2 AND workspace_id = $1 AND EXISTS (SELECT 1 FROM memberships WHERE user_id = $2)";
/// A person in no workspace any more is gone (sessions cascade, see the 0003 migration).
pub const DELETE_ORPHAN_USER: &str =
    "DELETE FROM users WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1)";
pub const SET_USER_PASSWORD: &str = "UPDATE users SET password_hash = $3 WHERE id = $2 AND active \
     AND EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = $1 AND m.user_id = $2)";
pub const DELETE_USER_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";
/// Only for an active user that is a member of the session's workspace.
pub const INSERT_SESSION: &str = "INSERT INTO sessions \
     (id, user_id, workspace_id, secret_hash, expires_at, created_at) \
     SELECT $1, u.id, m.workspace_id, $3, $4, $5 FROM users u \
     JOIN memberships m ON m.user_id = u.id \
     WHERE u.id = $2 AND m.workspace_id = $6 AND u.active";
/// The session's person as a member of the workspace the session is looking at.
pub const GET_SESSION: &str = concat!(
    "SELECT s.id AS session_id, s.expires_at AS session_expires_at, ",
    member_cols!(),
    " FROM sessions s JOIN users u ON u.id = s.user_id \
     JOIN memberships m ON m.user_id = u.id AND m.workspace_id = s.workspace_id \
     WHERE s.secret_hash = $1 AND s.expires_at > $2 AND u.active"
);
/// Every workspace a person belongs to, with its name and their role there.
pub const LIST_MEMBERSHIPS: &str = "SELECT w.id, w.name, m.role FROM memberships m \
     JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = $1 ORDER BY w.name, w.id";
/// Only to a workspace the session's person belongs to.
pub const SWITCH_SESSION: &str = "UPDATE sessions SET workspace_id = $2 \
     WHERE secret_hash = $1 AND expires_at > $3 AND EXISTS \
     (SELECT 1 FROM memberships m WHERE m.user_id = sessions.user_id AND m.workspace_id = $2)";
pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE secret_hash = $1";
pub const PURGE_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at < $1";

/// The overview's rows: every asset, and every login that reaches none, worst first (by triage),
/// then by name, then id. Each filter is `$n IS NULL OR ...`; `$2` is a triage rank (a status),
/// `$3` "anything not green", `$4`/`$5` bit sets as in LIST_ASSETS, `$7` lowercased words the
/// row's text must contain (a plain substring test, `instr` on SQLite and `strpos` on PostgreSQL:
/// no pattern to escape, and a fifth faster than LIKE over 100,000 rows), `$8` an
/// action. The keyset (`$9`, `$10`, `$11`) is the last row of the previous page; the first page
/// passes none. Both halves are read in index order (assets_triage, logins_triage), each with the
/// page's limit (without it PostgreSQL read and sorted every asset of the workspace: 117 ms at
/// 500,000), then merged.
macro_rules! overview_rows {
    ($contains:literal, $after_a:literal, $after_l:literal) => {
        concat!(
            "SELECT row_kind, id, login_id, triage, sort_name FROM ( \
             SELECT * FROM (SELECT 'a' AS row_kind, a.id, a.login_id, a.triage, a.sort_name \
              FROM assets a \
              WHERE a.workspace_id = $1 \
                AND ($2 IS NULL OR a.triage = $2) \
                AND ($3 IS NULL OR a.triage <> 4) \
                AND ($4 IS NULL OR (a.owners_mask & $4) <> 0) \
                AND ($5 IS NULL OR ((a.unavailable_mask | a.at_risk_mask) & $5) <> 0) \
                AND ($6 IS NULL OR a.login_id IN \
                     (SELECT id FROM logins WHERE workspace_id = $1 AND network = $6)) \
                AND ($7 IS NULL OR ", $contains, "(a.search, $7) > 0) \
                AND ($8 IS NULL OR EXISTS (SELECT 1 FROM fixes f \
                     WHERE f.asset_id = a.id AND f.action = $8)) ",
            $after_a,
            " ORDER BY a.triage, a.sort_name, a.id LIMIT $12) a_rows \
             UNION ALL \
             SELECT * FROM (SELECT 'l' AS row_kind, l.id, l.id AS login_id, l.triage, l.sort_name FROM logins l \
              WHERE l.workspace_id = $1 AND l.asset_count = 0 \
                AND ($2 IS NULL OR l.triage = $2) \
                AND ($3 IS NULL OR l.triage <> 4) \
                AND ($4 IS NULL OR (l.owners_mask & $4) <> 0) \
                AND ($5 IS NULL OR ((l.unavailable_mask | l.at_risk_mask) & $5) <> 0) \
                AND ($6 IS NULL OR l.network = $6) \
                AND ($7 IS NULL OR ", $contains, "(l.sort_name, $7) > 0) \
                AND ($8 IS NULL OR EXISTS (SELECT 1 FROM fixes f \
                     WHERE f.login_id = l.id AND f.asset_id IS NULL AND f.action = $8)) ",
            $after_l,
            " ORDER BY l.triage, l.sort_name, l.id LIMIT $12) l_rows \
             ) rows ORDER BY triage, sort_name, id LIMIT $12"
        )
    };
}
pub const OVERVIEW_ROWS_SQLITE: &str = overview_rows!(
    "instr",
    "AND $9 IS NULL AND $10 IS NULL AND $11 IS NULL",
    "AND $9 IS NULL"
);
pub const OVERVIEW_ROWS_AFTER_SQLITE: &str = overview_rows!(
    "instr",
    "AND (a.triage, a.sort_name, a.id) > ($9, $10, $11)",
    "AND (l.triage, l.sort_name, l.id) > ($9, $10, $11)"
);
pub const OVERVIEW_ROWS_PG: &str = overview_rows!(
    "strpos",
    "AND $9 IS NULL AND $10 IS NULL AND $11 IS NULL",
    "AND $9 IS NULL"
);
pub const OVERVIEW_ROWS_AFTER_PG: &str = overview_rows!(
    "strpos",
    "AND (a.triage, a.sort_name, a.id) > ($9, $10, $11)",
    "AND (l.triage, l.sort_name, l.id) > ($9, $10, $11)"
);
/// The overview's assets, with their reports. $2: uuid[] on PostgreSQL; on SQLite (no arrays)
/// a JSON array of the ids in hex, turned back into the 16-byte blobs ids are stored as.
pub const ASSETS_BY_IDS_PG: &str = concat!(
    "SELECT ",
    asset_cols!(),
    ", report FROM assets WHERE workspace_id = $1 AND id = ANY($2)"
);
pub const ASSETS_BY_IDS_SQLITE: &str = concat!(
    "SELECT ",
    asset_cols!(),
    ", report FROM assets WHERE workspace_id = $1 \
       AND id IN (SELECT unhex(value) FROM json_each($2))"
);
pub const LOGINS_BY_IDS_PG: &str = concat!(
    "SELECT ",
    login_cols!(),
    " FROM logins WHERE workspace_id = $1 AND id = ANY($2)"
);
pub const LOGINS_BY_IDS_SQLITE: &str = concat!(
    "SELECT ",
    login_cols!(),
    " FROM logins WHERE workspace_id = $1 AND id IN (SELECT unhex(value) FROM json_each($2))"
);
pub const DIAGNOSES_BY_IDS_PG: &str =
    "SELECT login_id, report FROM diagnoses WHERE workspace_id = $1 AND login_id = ANY($2)";
pub const DIAGNOSES_BY_IDS_SQLITE: &str = "SELECT login_id, report FROM diagnoses \
     WHERE workspace_id = $1 AND login_id IN (SELECT unhex(value) FROM json_each($2))";
/// A login's assets with their reports, by name.
pub const LOGIN_RECORDS: &str = concat!(
    "SELECT ",
    asset_cols!(),
    ", report FROM assets WHERE workspace_id = $1 AND login_id = $2 ORDER BY triage, sort_name, id"
);
/// The overview's rows per triage rank: assets, and logins that reach none.
pub const COUNT_ROWS_BY_TRIAGE: &str = "SELECT triage, CAST(SUM(n) AS BIGINT) FROM ( \
     SELECT triage, COUNT(*) AS n FROM assets WHERE workspace_id = $1 GROUP BY triage \
     UNION ALL \
     SELECT triage, COUNT(*) AS n FROM logins WHERE workspace_id = $1 AND asset_count = 0 \
     GROUP BY triage) counts GROUP BY triage";
/// Distinct fixes per action (one key may show on several assets).
pub const COUNT_FIXES: &str = "SELECT action, COUNT(DISTINCT fix_key) FROM fixes \
     WHERE workspace_id = $1 GROUP BY action";
pub const LOGIN_NETWORKS: &str = "SELECT DISTINCT network FROM logins WHERE workspace_id = $1";
/// One account as each of the workspace's logins reaches it. Unordered here (the caller sorts the
/// few rows): an ORDER BY would tempt SQLite into reading the workspace in triage order.
pub const ASSETS_BY_PLATFORM_ID: &str = concat!(
    "SELECT ",
    asset_cols!(),
    ", report FROM assets WHERE workspace_id = $1 AND kind = $2 AND platform_id = $3 \
     ORDER BY triage, sort_name, id"
);
/// Logins recorded before fixes were kept (migration 0005): a non-green asset, or the login's own
/// non-green status, with no fix row. Every non-green verdict has at least one fix.
pub const LOGINS_MISSING_FIXES: &str = concat!(
    "SELECT ",
    login_cols!(),
    " FROM logins l WHERE \
       EXISTS (SELECT 1 FROM assets a WHERE a.login_id = l.id AND a.triage NOT IN (3, 4) \
               AND NOT EXISTS (SELECT 1 FROM fixes f WHERE f.asset_id = a.id)) \
       OR (l.triage NOT IN (3, 4) AND NOT EXISTS \
           (SELECT 1 FROM fixes f WHERE f.login_id = l.id AND f.asset_id IS NULL)) \
     ORDER BY l.id LIMIT $1"
);

pub const GET_MAIL_SETTINGS: &str = "SELECT host, port, security, username, from_address, \
     password_sealed IS NOT NULL, updated_at FROM mail_settings WHERE workspace_id = $1";
pub const GET_MAIL_PASSWORD: &str =
    "SELECT password_sealed FROM mail_settings WHERE workspace_id = $1";
/// `$6` NULL keeps the stored password (and its key id).
pub const PUT_MAIL_SETTINGS: &str = "INSERT INTO mail_settings (workspace_id, host, port, security, \
     username, password_sealed, password_key_id, from_address, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
     ON CONFLICT (workspace_id) DO UPDATE SET host = excluded.host, port = excluded.port, \
     security = excluded.security, username = excluded.username, \
     password_sealed = COALESCE(excluded.password_sealed, mail_settings.password_sealed), \
     password_key_id = COALESCE(excluded.password_key_id, mail_settings.password_key_id), \
     from_address = excluded.from_address, updated_at = excluded.updated_at";
pub const DELETE_MAIL_SETTINGS: &str = "DELETE FROM mail_settings WHERE workspace_id = $1";
pub const MAIL_WORKSPACES: &str = "SELECT workspace_id FROM mail_settings ORDER BY workspace_id";
pub const RECIPIENTS: &str = concat!(
    "SELECT ",
    member_cols!(),
    ", m.alerts, m.digest, m.alerted_at, m.alerted_id, m.digest_at \
     FROM memberships m JOIN users u ON u.id = m.user_id \
     WHERE m.workspace_id = $1 AND u.active ORDER BY m.created_at, u.id"
);
pub const SET_MAIL_CHOICE: &str = "UPDATE memberships SET alerts = $3, digest = $4 \
     WHERE workspace_id = $1 AND user_id = $2 \
     AND EXISTS (SELECT 1 FROM users u WHERE u.id = $2 AND u.active)";
pub const TRANSITIONS_AFTER: &str = concat!(
    "SELECT ",
    transition_cols!(),
    " FROM transitions WHERE workspace_id = $1 \
       AND ($2 IS NULL OR at > $2 OR (at = $2 AND id > $3)) ORDER BY at, id LIMIT $4"
);
pub const SET_ALERTED: &str = "UPDATE memberships SET alerted_at = $3, alerted_id = $4 \
     WHERE workspace_id = $1 AND user_id = $2";
/// $4 = now - period: the last digest must be at or before it.
pub const CLAIM_USER_DIGEST: &str = "UPDATE memberships SET digest_at = $3 \
     WHERE workspace_id = $1 AND user_id = $2 AND (digest_at IS NULL OR digest_at <= $4)";
pub const COUNT_STALE_MAIL: &str = "SELECT COUNT(*) FROM mail_settings WHERE password_key_id <> $1";
pub const STALE_MAIL: &str = "SELECT workspace_id, password_sealed, password_key_id \
     FROM mail_settings WHERE password_key_id <> $1 ORDER BY workspace_id LIMIT $2";
pub const RESEAL_MAIL: &str = "UPDATE mail_settings SET password_sealed = $3, password_key_id = $4 \
     WHERE workspace_id = $1 AND password_key_id = $2";

// --- grants (GrantStore): the tokens of a login and their dates ---------------------------------
pub const GET_GRANT: &str = "SELECT network, token_sealed, refresh_sealed, token_issued_at, \
     expires_at, refresh_expires_at, granted, disconnected_at FROM logins \
     WHERE workspace_id = $1 AND id = $2";
/// A disconnected login stays disconnected: a refresh that finishes after a person pressed
/// Disconnect writes nothing.
pub const PUT_GRANT: &str = "UPDATE logins SET token_sealed = $3, token_key_id = $4, \
     refresh_sealed = $5, token_issued_at = $6, expires_at = $7, refresh_expires_at = $8, \
     granted = COALESCE($9, granted) \
     WHERE workspace_id = $1 AND id = $2 AND disconnected_at IS NULL";

pub const GET_HANDLED_PUSH: &str = "SELECT handled_at, confirmation_code FROM handled_pushes \
     WHERE network = $1 AND digest = $2";
pub const REMEMBER_PUSH: &str = "INSERT INTO handled_pushes \
     (network, digest, handled_at, confirmation_code) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (network, digest) DO NOTHING";
pub const FORGET_HANDLED_PUSHES: &str = "DELETE FROM handled_pushes WHERE handled_at < $1";

pub const NEW_CALL_BUDGET: &str = "INSERT INTO call_budgets (network, window_start, used) \
     VALUES ($1, $2, 0) ON CONFLICT (network) DO NOTHING";
pub const CALL_BUDGET: &str = "SELECT window_start, used, usage_percent, usage_at \
     FROM call_budgets WHERE network = $1";
pub const CALL_BUDGET_PG: &str = "SELECT window_start, used, usage_percent, usage_at \
     FROM call_budgets WHERE network = $1 FOR UPDATE";
/// The latest reading wins, whichever process saw it.
pub const NOTE_PLATFORM_USAGE: &str = "INSERT INTO call_budgets \
     (network, window_start, used, usage_percent, usage_at) VALUES ($1, $2, 0, $3, $2) \
     ON CONFLICT (network) DO UPDATE SET usage_percent = excluded.usage_percent, \
     usage_at = excluded.usage_at \
     WHERE call_budgets.usage_at IS NULL OR call_budgets.usage_at <= excluded.usage_at";
pub const SET_CALL_BUDGET: &str =
    "UPDATE call_budgets SET window_start = $2, used = $3 WHERE network = $1";
/// Only to the hour they were taken from: a new hour has started from nothing.
pub const GIVE_BACK_CALLS: &str = "UPDATE call_budgets SET \
     used = CASE WHEN used > $3 THEN used - $3 ELSE 0 END \
     WHERE network = $1 AND window_start = $2";

pub const RELEASE_LOGIN_LEASES: &str =
    "UPDATE logins SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1";
pub const RELEASE_DELIVERY_LEASES: &str =
    "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1";

/// Wakes every deliverer listening on this database when the transaction commits (PostgreSQL's
/// NOTIFY is delivered on commit, never for a rolled-back one). SQLite has one process, woken in
/// memory: its statement does nothing.
pub const NOTIFY_DELIVERIES_PG: &str = "SELECT pg_notify('tether_deliveries', '')";
pub const NOTIFY_DELIVERIES_SQLITE: &str = "SELECT 1";
pub const DELIVERIES_CHANNEL: &str = "tether_deliveries";

/// A revision applied again replaces its text: the operator re-ran the same change, corrected.
pub const RECORD_CATALOG: &str = "INSERT INTO catalog_changes \
     (network, revision, catalog, summary, applied_at) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (network, revision) DO UPDATE SET catalog = excluded.catalog, \
     summary = excluded.summary, applied_at = excluded.applied_at";
pub const LATEST_CATALOGS: &str = "SELECT network, revision, catalog, summary, applied_at \
     FROM catalog_changes c WHERE revision = \
     (SELECT MAX(revision) FROM catalog_changes WHERE network = c.network) ORDER BY network";
pub const CATALOG_REVISIONS: &str = "SELECT network, MAX(revision) FROM catalog_changes \
     GROUP BY network ORDER BY network";
