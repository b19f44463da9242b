//! Row tuples as the drivers decode them, and their conversion to the store's records.
//! Times are integer microseconds in the database (see the migrations).

use super::words::words_of;
use crate::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::types::Json;
use std::str::FromStr;
use std::time::Duration;
use tether_core::vocab::AssetKind;
use uuid::Uuid;

pub(super) fn us(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(super) fn ts(column: &'static str, micros: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(micros).map_err(|_| StoreError::Corrupt {
        column,
        value: micros.to_string(),
    })
}

pub(super) fn opt_ts(column: &'static str, micros: Option<i64>) -> Result<Option<Timestamp>> {
    micros.map(|m| ts(column, m)).transpose()
}

pub(super) fn word<T: FromStr>(column: &'static str, value: &str) -> Result<T> {
    value.parse().map_err(|_| StoreError::Corrupt {
        column,
        value: value.to_owned(),
    })
}

pub(super) fn micros_of(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// A secret handed to a browser (an OAuth `state`, an invitation link, a session cookie): 32 random
/// bytes, base64url, unpadded. Only its [`hash_secret`] is stored.
pub(super) fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(super) fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

pub(super) type WorkspaceRow = (Uuid, String, i64, Option<String>, Option<i64>);

pub(super) fn workspace((id, name, at, profile, warning_days): WorkspaceRow) -> Result<Workspace> {
    Ok(Workspace {
        id: WorkspaceId(id),
        name,
        created_at: ts("workspaces.created_at", at)?,
        profile,
        warning_days: warning_days
            .map(|d| {
                u32::try_from(d).map_err(|_| StoreError::Corrupt {
                    column: "workspaces.warning_days",
                    value: d.to_string(),
                })
            })
            .transpose()?,
    })
}

pub(super) type ApiKeyRow = (Uuid, String, i64, Option<i64>);

pub(super) fn api_key((id, prefix, created_at, revoked_at): ApiKeyRow) -> Result<ApiKey> {
    Ok(ApiKey {
        id: ApiKeyId(id),
        prefix,
        created_at: ts("api_keys.created_at", created_at)?,
        revoked_at: opt_ts("api_keys.revoked_at", revoked_at)?,
    })
}

/// Wider than sqlx's largest tuple, hence a struct; fields are named as the columns.
#[derive(sqlx::FromRow)]
pub(super) struct LoginRow {
    id: Uuid,
    workspace_id: Uuid,
    network: String,
    platform_user_id: String,
    person_name: String,
    token_key_id: i64,
    expires_at: Option<i64>,
    data_access_expires_at: Option<i64>,
    refresh_expires_at: Option<i64>,
    status: String,
    last_verified_at: Option<i64>,
    next_check_at: i64,
    lease_owner: Option<String>,
    lease_until: Option<i64>,
    consecutive_failures: i64,
    created_at: i64,
    last_error: Option<String>,
    last_failed_at: Option<i64>,
    last_changed_at: Option<i64>,
    known_token: Option<Json<Value>>,
    disconnected_at: Option<i64>,
    connected_at: i64,
}

pub(super) fn login(r: LoginRow) -> Result<Login> {
    Ok(Login {
        id: LoginId(r.id),
        workspace_id: WorkspaceId(r.workspace_id),
        network: word("logins.network", &r.network)?,
        platform_user_id: r.platform_user_id,
        person_name: r.person_name,
        token_key_id: u8::try_from(r.token_key_id).map_err(|_| StoreError::Corrupt {
            column: "logins.token_key_id",
            value: r.token_key_id.to_string(),
        })?,
        expires_at: opt_ts("logins.expires_at", r.expires_at)?,
        data_access_expires_at: opt_ts("logins.data_access_expires_at", r.data_access_expires_at)?,
        refresh_expires_at: opt_ts("logins.refresh_expires_at", r.refresh_expires_at)?,
        status: word("logins.status", &r.status)?,
        last_verified_at: opt_ts("logins.last_verified_at", r.last_verified_at)?,
        next_check_at: ts("logins.next_check_at", r.next_check_at)?,
        lease_owner: r.lease_owner,
        lease_until: opt_ts("logins.lease_until", r.lease_until)?,
        consecutive_failures: u32::try_from(r.consecutive_failures).unwrap_or(u32::MAX),
        created_at: ts("logins.created_at", r.created_at)?,
        last_error: r.last_error,
        last_failed_at: opt_ts("logins.last_failed_at", r.last_failed_at)?,
        last_changed_at: opt_ts("logins.last_changed_at", r.last_changed_at)?,
        known_token: r.known_token.map(|j| j.0),
        disconnected_at: opt_ts("logins.disconnected_at", r.disconnected_at)?,
        connected_at: ts("logins.connected_at", r.connected_at)?,
    })
}

#[derive(sqlx::FromRow)]
pub(super) struct AssetRow {
    id: Uuid,
    workspace_id: Uuid,
    login_id: Uuid,
    kind: String,
    platform_id: String,
    name: String,
    status: String,
    last_verified_at: Option<i64>,
    owners_mask: i64,
    unavailable_mask: i64,
    at_risk_mask: i64,
    updated_at: i64,
}

pub(super) fn asset(r: AssetRow) -> Result<Asset> {
    Ok(Asset {
        id: AssetId(r.id),
        workspace_id: WorkspaceId(r.workspace_id),
        login_id: LoginId(r.login_id),
        kind: word::<AssetKind>("assets.kind", &r.kind)?,
        platform_id: r.platform_id,
        name: r.name,
        status: word("assets.status", &r.status)?,
        last_verified_at: opt_ts("assets.last_verified_at", r.last_verified_at)?,
        owners: words_of("assets.owners_mask", r.owners_mask)?,
        unavailable: words_of("assets.unavailable_mask", r.unavailable_mask)?,
        at_risk: words_of("assets.at_risk_mask", r.at_risk_mask)?,
        updated_at: ts("assets.updated_at", r.updated_at)?,
    })
}

#[derive(sqlx::FromRow)]
pub(super) struct AssetRecordRow {
    #[sqlx(flatten)]
    asset: AssetRow,
    report: Option<Json<Value>>,
}

pub(super) fn asset_record(r: AssetRecordRow) -> Result<AssetRecord> {
    Ok(AssetRecord {
        asset: asset(r.asset)?,
        report: r.report.map(|j| j.0),
    })
}

pub(super) type TransitionRow = (
    Uuid,
    Uuid,
    Uuid,
    Option<Uuid>,
    Option<String>,
    String,
    Json<Value>,
    i64,
    Option<String>,
);

pub(super) fn transition(r: TransitionRow) -> Result<Transition> {
    Ok(Transition {
        id: r.0,
        workspace_id: WorkspaceId(r.1),
        login_id: LoginId(r.2),
        asset_id: r.3.map(AssetId),
        old_status: r
            .4
            .as_deref()
            .map(|s| word("transitions.old_status", s))
            .transpose()?,
        new_status: word("transitions.new_status", &r.5)?,
        findings: r.6.0,
        at: ts("transitions.at", r.7)?,
        cause: r.8,
    })
}

pub(super) type EventRow = (Uuid, Uuid, String, Json<Value>, i64);

pub(super) fn event(r: EventRow) -> Result<OutboxEvent> {
    Ok(OutboxEvent {
        id: EventId(r.0),
        workspace_id: WorkspaceId(r.1),
        event_type: r.2,
        payload: r.3.0,
        created_at: ts("outbox.created_at", r.4)?,
    })
}

pub(super) type EndpointRow = (Uuid, Uuid, String, String, i64);

pub(super) fn endpoint(r: EndpointRow) -> Result<Endpoint> {
    Ok(Endpoint {
        id: EndpointId(r.0),
        workspace_id: WorkspaceId(r.1),
        url: r.2,
        description: r.3,
        created_at: ts("endpoints.created_at", r.4)?,
    })
}

pub(super) fn status_code(column: &'static str, code: Option<i64>) -> Result<Option<u16>> {
    code.map(|c| {
        u16::try_from(c).map_err(|_| StoreError::Corrupt {
            column,
            value: c.to_string(),
        })
    })
    .transpose()
}

pub(super) fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[derive(sqlx::FromRow)]
pub(super) struct DeliveryRow {
    id: Uuid,
    event_id: Uuid,
    endpoint_id: Uuid,
    event_type: String,
    attempts: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
    next_attempt_at: Option<i64>,
    delivered_at: Option<i64>,
    dead_at: Option<i64>,
    created_at: i64,
    payload: Json<Value>,
}

pub(super) fn delivery(r: DeliveryRow) -> Result<Delivery> {
    let about = about(&r.payload.0)?;
    Ok(Delivery {
        id: DeliveryId(r.id),
        event_id: EventId(r.event_id),
        endpoint_id: EndpointId(r.endpoint_id),
        event_type: r.event_type,
        attempts: count(r.attempts),
        last_status: status_code("deliveries.last_status", r.last_status)?,
        last_error: r.last_error,
        next_attempt_at: opt_ts("deliveries.next_attempt_at", r.next_attempt_at)?,
        delivered_at: opt_ts("deliveries.delivered_at", r.delivered_at)?,
        dead: r.dead_at.is_some(),
        created_at: ts("deliveries.created_at", r.created_at)?,
        about,
    })
}

/// Reads the subject of an event written by this crate or the server (`login_id`, `asset_id`,
/// `new_status`); a payload without them (a ping, a digest) is about nothing in particular.
fn about(payload: &Value) -> Result<EventAbout> {
    let id = |key: &'static str| -> Result<Option<Uuid>> {
        payload
            .get(key)
            .and_then(Value::as_str)
            .map(|v| word::<Uuid>("outbox.payload", v))
            .transpose()
    };
    Ok(EventAbout {
        login: id("login_id")?.map(LoginId),
        asset: id("asset_id")?.map(AssetId),
        new_status: payload
            .get("new_status")
            .and_then(Value::as_str)
            .map(|v| word("outbox.payload", v))
            .transpose()?,
    })
}

/// A leased delivery with its event and endpoint, before the secret is opened.
#[derive(sqlx::FromRow)]
pub(super) struct LeasedRow {
    pub delivery_id: Uuid,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub event_id: Uuid,
    pub workspace_id: Uuid,
    pub event_type: String,
    pub payload: Json<Value>,
    pub event_created_at: i64,
    pub endpoint_id: Uuid,
    pub url: String,
    pub description: String,
    pub endpoint_created_at: i64,
    pub secret_sealed: Vec<u8>,
}

#[derive(sqlx::FromRow)]
pub(super) struct OAuthStateRow {
    id: Uuid,
    workspace_id: Uuid,
    network: String,
    reconnect_login_id: Option<Uuid>,
    allow_other_person: bool,
    scopes: Json<Vec<String>>,
    rerequest: bool,
    return_to: Option<String>,
    expires_at: i64,
    created_at: i64,
}

pub(super) fn oauth_state(r: OAuthStateRow) -> Result<OAuthState> {
    Ok(OAuthState {
        id: OAuthStateId(r.id),
        workspace_id: WorkspaceId(r.workspace_id),
        network: word("oauth_states.network", &r.network)?,
        reconnect: r.reconnect_login_id.map(LoginId),
        allow_other_person: r.allow_other_person,
        scopes: r.scopes.0,
        rerequest: r.rerequest,
        return_to: r.return_to,
        expires_at: ts("oauth_states.expires_at", r.expires_at)?,
        created_at: ts("oauth_states.created_at", r.created_at)?,
    })
}

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: Uuid,
    workspace_id: Uuid,
    email: String,
    role: String,
    active: bool,
    invite_expires_at: Option<i64>,
    created_at: i64,
}

impl UserRow {
    pub(super) fn id(&self) -> Uuid {
        self.id
    }
}

pub(super) fn user(r: UserRow) -> Result<User> {
    Ok(User {
        id: UserId(r.id),
        workspace_id: WorkspaceId(r.workspace_id),
        email: r.email,
        role: word("users.role", &r.role)?,
        active: r.active,
        invite_expires_at: opt_ts("users.invite_expires_at", r.invite_expires_at)?,
        created_at: ts("users.created_at", r.created_at)?,
    })
}

#[derive(sqlx::FromRow)]
pub(super) struct SignInRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub password_hash: String,
}

#[derive(sqlx::FromRow)]
pub(super) struct SessionRow {
    session_id: Uuid,
    session_expires_at: i64,
    #[sqlx(flatten)]
    user: UserRow,
}

pub(super) fn session(r: SessionRow) -> Result<SessionUser> {
    Ok(SessionUser {
        session_id: SessionId(r.session_id),
        user: user(r.user)?,
        expires_at: ts("sessions.expires_at", r.session_expires_at)?,
    })
}

/// Free text kept for people (failure reasons, delivery errors), bounded so a huge upstream
/// error body cannot bloat every row.
pub(super) fn clip(text: &str) -> &str {
    const MAX_CHARS: usize = 1000;
    match text.char_indices().nth(MAX_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}
