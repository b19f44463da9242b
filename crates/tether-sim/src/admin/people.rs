//! Mutations of people: what happens to their sessions and their grant.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::Value;

use super::{AdminError, Reply, answer_with, body, not_found, required, some_option, user_view};
use crate::push;
use crate::state::{Inner, SimState};
use crate::world::{Grant, Permission, PermissionStatus, TokenState};

/// Sets the state of every token of a person.
fn set_user_tokens(inner: &mut Inner, id: &str, state: TokenState) -> Result<Value, AdminError> {
    if !inner.world.users.contains_key(id) {
        return Err(not_found("user", id));
    }
    for t in inner.world.tokens.values_mut().filter(|t| t.user == id) {
        t.state = state;
    }
    user_view(inner, id)
}

pub(super) async fn user_change_password(
    State(s): State<SimState>,
    Path(id): Path<String>,
) -> Reply {
    Ok(Json(set_user_tokens(
        &mut s.lock(),
        &id,
        TokenState::PasswordChanged,
    )?))
}

pub(super) async fn user_logout(State(s): State<SimState>, Path(id): Path<String>) -> Reply {
    Ok(Json(set_user_tokens(
        &mut s.lock(),
        &id,
        TokenState::LoggedOut,
    )?))
}

/// 458 from now on, the grant cleared, and the Deauthorize Callback sent. No `permissions`
/// webhook: what Meta sends there on removal is unconfirmed; the callback is the signal.
pub(super) async fn user_remove_app(State(s): State<SimState>, Path(id): Path<String>) -> Reply {
    let prepared = {
        let mut g = s.lock();
        let user = g
            .world
            .users
            .get_mut(&id)
            .ok_or_else(|| not_found("user", &id))?;
        user.app_installed = false;
        g.world.remove_grant(&id);
        let deliveries = push::deauthorize(&g, &id).into_iter().collect();
        (user_view(&g, &id)?, deliveries)
    };
    answer_with(&s, prepared).await
}

/// The person's view and the `permissions` webhook for whatever changed since `before`.
fn after_grant_change(
    inner: &Inner,
    id: &str,
    before: Option<&Grant>,
) -> Result<(Value, Vec<push::Delivery>), AdminError> {
    let changes = push::grant_changes(before, inner.world.grant(id));
    let deliveries = push::permissions_webhook(inner, id, changes)
        .into_iter()
        .collect();
    Ok((user_view(inner, id)?, deliveries))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Flag {
    #[serde(default = "yes")]
    active: bool,
}

fn yes() -> bool {
    true
}

impl Default for Flag {
    fn default() -> Self {
        Flag { active: true }
    }
}

pub(super) async fn user_checkpoint(
    State(s): State<SimState>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let flag: Flag = body(&bytes)?;
    let mut g = s.lock();
    let user = g
        .world
        .users
        .get_mut(&id)
        .ok_or_else(|| not_found("user", &id))?;
    user.checkpoint = flag.active;
    Ok(Json(user_view(&g, &id)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataAccess {
    /// RFC 3339: when the person's 90-day data-access window closes (or closed).
    at: String,
}

/// Moves the end of the person's data-access window; a time in the past closes it (the person
/// has not used the app for 90 days: their data is refused, their token still authenticates).
pub(super) async fn user_data_access(
    State(s): State<SimState>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let req: DataAccess = required(&bytes)?;
    let at = req
        .at
        .parse::<jiff::Timestamp>()
        .map_err(|_| AdminError::Invalid(format!("at = {:?} is not an RFC 3339 time", req.at)))?;
    let mut g = s.lock();
    let user = g
        .world
        .users
        .get_mut(&id)
        .ok_or_else(|| not_found("user", &id))?;
    user.data_access_expires_at = at;
    Ok(Json(user_view(&g, &id)?))
}

pub(super) async fn user_unconfirmed(
    State(s): State<SimState>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let flag: Flag = body(&bytes)?;
    let mut g = s.lock();
    let user = g
        .world
        .users
        .get_mut(&id)
        .ok_or_else(|| not_found("user", &id))?;
    user.unconfirmed = flag.active;
    Ok(Json(user_view(&g, &id)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetPermission {
    status: PermissionStatus,
    /// Absent: keep the current targets. `null`: no restriction.
    #[serde(default, deserialize_with = "some_option")]
    target_ids: Option<Option<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetTargets {
    target_ids: Option<Vec<String>>,
}

fn check_targets(inner: &Inner, ids: &Option<Vec<String>>) -> Result<(), AdminError> {
    for id in ids.iter().flatten() {
        let w = &inner.world;
        if w.page(id).is_none() && !w.instagram.contains_key(id) && !w.groups.contains_key(id) {
            return Err(not_found("page, instagram account or group", id));
        }
    }
    Ok(())
}

pub(super) async fn permission_set(
    State(s): State<SimState>,
    Path((id, perm)): Path<(String, String)>,
    bytes: Bytes,
) -> Reply {
    let req: SetPermission = required(&bytes)?;
    let prepared = {
        let mut g = s.lock();
        if !g.world.users.contains_key(&id) {
            return Err(not_found("user", &id));
        }
        if let Some(t) = &req.target_ids {
            check_targets(&g, t)?;
        }
        let before = g.world.grant(&id).cloned();
        let grant = g.world.grant_entry(&id);
        match grant.permissions.iter_mut().find(|p| p.name == perm) {
            Some(p) => {
                p.status = req.status;
                if let Some(t) = req.target_ids {
                    p.target_ids = t;
                }
            }
            None => grant.permissions.push(Permission {
                name: perm,
                status: req.status,
                target_ids: req.target_ids.flatten(),
            }),
        }
        after_grant_change(&g, &id, before.as_ref())?
    };
    answer_with(&s, prepared).await
}

pub(super) async fn permission_revoke(
    State(s): State<SimState>,
    Path((id, perm)): Path<(String, String)>,
) -> Reply {
    let prepared = {
        let mut g = s.lock();
        if !g.world.users.contains_key(&id) {
            return Err(not_found("user", &id));
        }
        let before = g.world.grant(&id).cloned();
        let grant = g
            .world
            .grant_mut(&id)
            .ok_or_else(|| not_found("grant of user", &id))?;
        let count = grant.permissions.len();
        grant.permissions.retain(|p| p.name != perm);
        if grant.permissions.len() == count {
            return Err(not_found("permission", &perm));
        }
        after_grant_change(&g, &id, before.as_ref())?
    };
    answer_with(&s, prepared).await
}

pub(super) async fn permission_targets(
    State(s): State<SimState>,
    Path((id, perm)): Path<(String, String)>,
    bytes: Bytes,
) -> Reply {
    let req: SetTargets = required(&bytes)?;
    let prepared = {
        let mut g = s.lock();
        if !g.world.users.contains_key(&id) {
            return Err(not_found("user", &id));
        }
        check_targets(&g, &req.target_ids)?;
        let before = g.world.grant(&id).cloned();
        let p = g
            .world
            .grant_mut(&id)
            .and_then(|gr| gr.permissions.iter_mut().find(|p| p.name == perm))
            .ok_or_else(|| not_found("permission", &perm))?;
        p.target_ids = req.target_ids;
        after_grant_change(&g, &id, before.as_ref())?
    };
    answer_with(&s, prepared).await
}
