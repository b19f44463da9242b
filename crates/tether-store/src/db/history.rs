//! Recording a diagnosis: statuses, reports, transitions and their outbox events (fanned out to
//! the workspace's endpoints), atomically; and reading the history back.

use super::rows::*;
use super::words::mask_of;
use super::{BeginWrite, Pool, SqlStore};
use crate::sql;
use crate::*;
use serde_json::json;
use sqlx::types::Json;
use tether_core::vocab::Status;
use uuid::Uuid;

/// An asset is "resolved" when it is back to working after being in trouble; coming out of
/// `pending` (first diagnosis) is an ordinary change, not a recovery.
fn is_recovery(old: Option<Status>, new: Status) -> bool {
    new == Status::Connected
        && matches!(
            old,
            Some(Status::AtRisk | Status::ActionRequired | Status::Disconnected)
        )
}

/// The event announcing a transition: its type and payload (docs/REPORT.md, events).
pub(super) fn event_of(t: &Transition) -> (&'static str, serde_json::Value) {
    let (event_type, subject) = match t.asset_id {
        Some(_) if is_recovery(t.old_status, t.new_status) => ("asset.resolved", "asset_id"),
        Some(_) => ("asset.status_changed", "asset_id"),
        None => ("login.status_changed", "login_id"),
    };
    let mut payload = json!({
        subject: t.asset_id.map_or(t.login_id.0, |a| a.0),
        "login_id": t.login_id.0,
        "old_status": t.old_status.map(Status::as_str),
        "new_status": t.new_status.as_str(),
        "findings": t.findings,
        "at": t.at.to_string(),
        "transition_id": t.id,
    });
    if let Some(cause) = &t.cause {
        payload["cause"] = json!(cause);
    }
    (event_type, payload)
}

/// Replaces the fixes of a login's own findings (`asset` None) or of one asset, inside the
/// caller's transaction (a macro: the connection's type differs per engine).
macro_rules! write_fixes {
    ($conn:expr, $ws:expr, $login:expr, $asset:expr, $fixes:expr) => {{
        let asset: Option<AssetId> = $asset;
        match asset {
            None => {
                sqlx::query(sql::DELETE_LOGIN_FIXES)
                    .bind($ws.0)
                    .bind($login.0)
                    .execute($conn)
                    .await?
            }
            Some(a) => {
                sqlx::query(sql::DELETE_ASSET_FIXES)
                    .bind($ws.0)
                    .bind(a.0)
                    .execute($conn)
                    .await?
            }
        };
        for fix in $fixes {
            sqlx::query(sql::INSERT_FIX)
                .bind($ws.0)
                .bind($login.0)
                .bind(asset.map(|a| a.0))
                .bind(fix.action.as_str())
                .bind(&fix.key)
                .execute($conn)
                .await?;
        }
    }};
}

impl SqlStore {
    pub(super) async fn put_fix_rows(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        login_fixes: &[Fix],
        assets: &[(AssetId, Vec<Fix>)],
    ) -> Result<()> {
        on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            write_fixes!(&mut *tx, ws, login, None, login_fixes);
            for (asset, fixes) in assets {
                write_fixes!(&mut *tx, ws, login, Some(*asset), fixes);
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }

    pub(super) async fn record(
        &self,
        ws: WorkspaceId,
        login: LoginId,
        seen: Option<Seen<'_>>,
        d: &Diagnosis,
    ) -> Result<Vec<Transition>> {
        let fan_out = self.dialect(sql::FAN_OUT_ENDPOINTS_SQLITE, sql::FAN_OUT_ENDPOINTS_PG);
        let lock = self.dialect(sql::LOGIN_STATUS, sql::LOCK_LOGIN_STATUS_PG);
        let notify = self.dialect(sql::NOTIFY_DELIVERIES_SQLITE, sql::NOTIFY_DELIVERIES_PG);
        on_pool!(&self.pool, |p| {
            let mut tx = p.begin_write().await?;
            let mut written = Vec::new();
            let old: Option<(String,)> = sqlx::query_as(lock)
                .bind(ws.0)
                .bind(login.0)
                .fetch_optional(&mut *tx)
                .await?;
            // The login's history follows commit order: a check that took longer and commits
            // after another is stamped after it, whenever its platform call started.
            let (last,): (Option<i64>,) = sqlx::query_as(sql::LOGIN_LAST_RECORDED)
                .bind(ws.0)
                .bind(login.0)
                .fetch_one(&mut *tx)
                .await?;
            let at = last.map_or(us(d.at), |last| us(d.at).max(last + 1));
            let stamped = ts("transitions.at", at)?;
            let old: Status = match old {
                Some((s,)) => word("logins.status", &s)?,
                None => {
                    return Err(StoreError::NotFound {
                        what: "login",
                        id: login.0,
                    });
                }
            };
            // What the check saw, in its transaction: assets first seen get their rows (under
            // the id the verdicts name, unless another check created them meanwhile).
            let mut renamed: Vec<(AssetId, AssetId)> = Vec::new();
            if let Some(seen) = seen {
                let (person,): (String,) = sqlx::query_as(sql::LOGIN_PERSON)
                    .bind(ws.0)
                    .bind(login.0)
                    .fetch_one(&mut *tx)
                    .await?;
                let person = sort_name(&person);
                for (proposed, facts) in seen.assets {
                    let name = facts.name.as_deref().unwrap_or(&facts.id);
                    let sorted = sort_name(name);
                    let (id,): (Uuid,) = sqlx::query_as(sql::UPSERT_ASSET_ID)
                        .bind(proposed.0)
                        .bind(ws.0)
                        .bind(login.0)
                        .bind(facts.kind.as_str())
                        .bind(&facts.id)
                        .bind(name)
                        .bind(i64::from(Status::Pending.triage()))
                        .bind(&sorted)
                        .bind(format!("{sorted} {person}"))
                        .fetch_one(&mut *tx)
                        .await?;
                    if id != proposed.0 {
                        renamed.push((*proposed, AssetId(id)));
                    }
                    sqlx::query(sql::PUT_FACTS)
                        .bind(id)
                        .bind(ws.0)
                        .bind(login.0)
                        .bind(Json(facts))
                        .bind(us(d.at))
                        .execute(&mut *tx)
                        .await?;
                }
                if !seen.assets.is_empty() {
                    sqlx::query(sql::COUNT_LOGIN_ASSETS)
                        .bind(ws.0)
                        .bind(login.0)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(sql::PUT_FACTS)
                    .bind(login.0)
                    .bind(ws.0)
                    .bind(login.0)
                    .bind(Json(seen.login))
                    .bind(us(d.at))
                    .execute(&mut *tx)
                    .await?;
                if let Some(known) = seen.known_token {
                    sqlx::query(sql::SET_KNOWN_TOKEN)
                        .bind(ws.0)
                        .bind(login.0)
                        .bind(Json(known))
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let stored_id = |id: AssetId| {
                renamed
                    .iter()
                    .find(|(proposed, _)| *proposed == id)
                    .map_or(id, |(_, stored)| *stored)
            };
            write_fixes!(&mut *tx, ws, login, None, &d.login_fixes);
            if old != d.login_status {
                written.push((None, old, d.login_status, &d.login_findings));
            }
            for v in &d.assets {
                let asset_id = stored_id(v.asset_id);
                let old: Option<(String,)> = sqlx::query_as(sql::ASSET_OF_LOGIN)
                    .bind(ws.0)
                    .bind(login.0)
                    .bind(asset_id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                let old: Status = match old {
                    Some((s,)) => word("assets.status", &s)?,
                    None => {
                        return Err(StoreError::NotFound {
                            what: "asset",
                            id: asset_id.0,
                        });
                    }
                };
                sqlx::query(sql::SET_ASSET_VERDICT)
                    .bind(ws.0)
                    .bind(asset_id.0)
                    .bind(v.status.as_str())
                    .bind(at)
                    .bind(Json(&v.report))
                    .bind(mask_of(&v.owners))
                    .bind(mask_of(&v.unavailable))
                    .bind(mask_of(&v.at_risk))
                    .bind(i64::from(v.status.triage()))
                    .execute(&mut *tx)
                    .await?;
                write_fixes!(&mut *tx, ws, login, Some(asset_id), &v.fixes);
                if old != v.status {
                    written.push((Some(asset_id), old, v.status, &v.findings));
                }
            }
            sqlx::query(sql::SET_LOGIN_STATUS)
                .bind(ws.0)
                .bind(login.0)
                .bind(d.login_status.as_str())
                .bind(at)
                .bind(i64::from(d.login_status.triage()))
                .bind(mask_of(&d.login_owners))
                .bind(mask_of(&d.login_unavailable))
                .bind(mask_of(&d.login_at_risk))
                .execute(&mut *tx)
                .await?;
            sqlx::query(sql::PUT_DIAGNOSIS)
                .bind(login.0)
                .bind(ws.0)
                .bind(Json(&d.report))
                .bind(at)
                .execute(&mut *tx)
                .await?;
            let endpoints: Vec<(Uuid,)> = if written.is_empty() {
                Vec::new()
            } else {
                sqlx::query(sql::SET_LOGIN_CHANGED)
                    .bind(ws.0)
                    .bind(login.0)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query_as(fan_out)
                    .bind(ws.0)
                    .fetch_all(&mut *tx)
                    .await?
            };
            let mut out = Vec::with_capacity(written.len());
            for (asset_id, old, new, findings) in written {
                let t = Transition {
                    id: Uuid::now_v7(),
                    workspace_id: ws,
                    login_id: login,
                    asset_id,
                    old_status: Some(old),
                    new_status: new,
                    findings: findings.clone(),
                    at: stamped,
                    cause: d.cause.clone(),
                };
                sqlx::query(sql::INSERT_TRANSITION)
                    .bind(t.id)
                    .bind(ws.0)
                    .bind(login.0)
                    .bind(asset_id.map(|a| a.0))
                    .bind(old.as_str())
                    .bind(new.as_str())
                    .bind(Json(findings))
                    .bind(at)
                    .bind(d.cause.as_deref())
                    .execute(&mut *tx)
                    .await?;
                let (event_type, payload) = event_of(&t);
                let event_id = Uuid::now_v7();
                sqlx::query(sql::INSERT_EVENT)
                    .bind(event_id)
                    .bind(ws.0)
                    .bind(event_type)
                    .bind(Json(&payload))
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                for (endpoint,) in &endpoints {
                    // Due at once: the stamp may lie a moment after the clock.
                    sqlx::query(sql::INSERT_DELIVERY)
                        .bind(Uuid::now_v7())
                        .bind(ws.0)
                        .bind(event_id)
                        .bind(endpoint)
                        .bind(us(d.at))
                        .execute(&mut *tx)
                        .await?;
                }
                out.push(t);
            }
            if !out.is_empty() && !endpoints.is_empty() {
                sqlx::query(notify).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(out)
        })
    }

    /// Transitions of one login or one asset (`q` says which), oldest first.
    pub(super) async fn transitions(
        &self,
        q: &'static str,
        ws: WorkspaceId,
        subject: Uuid,
    ) -> Result<Vec<Transition>> {
        let rows: Vec<TransitionRow> = on_pool!(&self.pool, |p| sqlx::query_as(q)
            .bind(ws.0)
            .bind(subject)
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(transition).collect()
    }
}
