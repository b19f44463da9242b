//! Row tuples as the drivers decode them, and their conversion to the store's records.
//! Times are integer microseconds in the database (see the migrations).

use crate::*;
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

pub(super) fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

pub(super) type LoginRow = (
    Uuid,
    Uuid,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    String,
    Option<i64>,
    i64,
    Option<String>,
    Option<i64>,
    i64,
    i64,
);

pub(super) fn login(r: LoginRow) -> Result<Login> {
    Ok(Login {
        id: LoginId(r.0),
        workspace_id: WorkspaceId(r.1),
        network: word("logins.network", &r.2)?,
        platform_user_id: r.3,
        person_name: r.4,
        token_key_id: u8::try_from(r.5).map_err(|_| StoreError::Corrupt {
            column: "logins.token_key_id",
            value: r.5.to_string(),
        })?,
        expires_at: opt_ts("logins.expires_at", r.6)?,
        data_access_expires_at: opt_ts("logins.data_access_expires_at", r.7)?,
        status: word("logins.status", &r.8)?,
        last_verified_at: opt_ts("logins.last_verified_at", r.9)?,
        next_check_at: ts("logins.next_check_at", r.10)?,
        lease_owner: r.11,
        lease_until: opt_ts("logins.lease_until", r.12)?,
        consecutive_failures: u32::try_from(r.13).unwrap_or(u32::MAX),
        created_at: ts("logins.created_at", r.14)?,
    })
}

pub(super) type AssetRow = (
    Uuid,
    Uuid,
    Uuid,
    String,
    String,
    String,
    String,
    Option<i64>,
);

pub(super) fn asset(r: AssetRow) -> Result<Asset> {
    Ok(Asset {
        id: AssetId(r.0),
        workspace_id: WorkspaceId(r.1),
        login_id: LoginId(r.2),
        kind: word::<AssetKind>("assets.kind", &r.3)?,
        platform_id: r.4,
        name: r.5,
        status: word("assets.status", &r.6)?,
        last_verified_at: opt_ts("assets.last_verified_at", r.7)?,
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
    })
}

pub(super) type EventRow = (
    Uuid,
    Uuid,
    String,
    Json<Value>,
    i64,
    i64,
    i64,
    Option<String>,
    Option<i64>,
);

pub(super) fn event(r: EventRow) -> Result<OutboxEvent> {
    Ok(OutboxEvent {
        id: EventId(r.0),
        workspace_id: WorkspaceId(r.1),
        event_type: r.2,
        payload: r.3.0,
        created_at: ts("outbox.created_at", r.4)?,
        attempts: u32::try_from(r.5).unwrap_or(u32::MAX),
        next_attempt_at: ts("outbox.next_attempt_at", r.6)?,
        last_error: r.7,
        delivered_at: opt_ts("outbox.delivered_at", r.8)?,
    })
}
