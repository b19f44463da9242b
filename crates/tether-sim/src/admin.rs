//! The admin API (`/_admin/...`, JSON): moves the clock, changes the world while it runs, injects
//! faults and reads counters. Every mutation answers with the state it changed; unknown ids give
//! 404 with an error naming the id.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::faults::FaultSpec;
use crate::graph::token::dead_reason;
use crate::state::{Inner, SimState};
use crate::world::{KNOWN_TASKS, Permission, PermissionStatus, TokenState};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("unknown {kind} {id:?}")]
    NotFound { kind: &'static str, id: String },
    #[error("invalid request body: {0}")]
    BadBody(String),
    #[error("{0}")]
    Invalid(String),
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let status = match self {
            AdminError::NotFound { .. } => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        };
        (status, Json(json!({"error": self.to_string()}))).into_response()
    }
}

type Reply = Result<Json<Value>, AdminError>;

fn not_found(kind: &'static str, id: &str) -> AdminError {
    AdminError::NotFound {
        kind,
        id: id.to_string(),
    }
}

/// Parses a JSON body; an empty body means the type's default.
fn body<T: DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, AdminError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| AdminError::BadBody(e.to_string()))
}

fn required<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, AdminError> {
    serde_json::from_slice(bytes).map_err(|e| AdminError::BadBody(e.to_string()))
}

pub fn routes() -> Router<SimState> {
    Router::new()
        .route("/clock", get(clock_get))
        .route("/clock/advance", post(clock_advance))
        .route("/clock/set", post(clock_set))
        .route("/world", get(world_dump))
        .route("/stats", get(stats_get))
        .route("/stats/reset", post(stats_reset))
        .route(
            "/faults",
            get(faults_list).post(faults_add).delete(faults_clear),
        )
        .route("/users/{id}", get(user_get))
        .route("/users/{id}/change_password", post(user_change_password))
        .route("/users/{id}/remove_app", post(user_remove_app))
        .route("/users/{id}/checkpoint", post(user_checkpoint))
        .route("/users/{id}/unconfirmed", post(user_unconfirmed))
        .route("/users/{id}/logout", post(user_logout))
        .route(
            "/users/{id}/permissions/{perm}",
            put(permission_set).delete(permission_revoke),
        )
        .route(
            "/users/{id}/permissions/{perm}/target_ids",
            put(permission_targets),
        )
        .route("/tokens/{token}", get(token_get))
        .route("/tokens/{token}/invalidate", post(token_invalidate))
        .route("/tokens/{token}/expire", post(token_expire))
        .route("/tokens/{token}/expires_at", post(token_expires_at))
        .route(
            "/pages/{page}/tasks/{user}",
            put(tasks_set).delete(tasks_remove),
        )
        .route("/instagram/{ig}/unlink", post(ig_unlink))
        .route("/instagram/{ig}/link", post(ig_link))
        .route("/instagram/{ig}/professional", post(ig_professional))
}

fn clock_view(inner: &Inner) -> Value {
    let now = inner.clock.now();
    json!({"now": now.to_string(), "unix": now.as_second(), "frozen": inner.clock.frozen()})
}

async fn clock_get(State(s): State<SimState>) -> Json<Value> {
    Json(clock_view(&s.lock()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default)]
    seconds: i64,
    #[serde(default)]
    hours: i64,
    #[serde(default)]
    days: i64,
}

async fn clock_advance(State(s): State<SimState>, bytes: Bytes) -> Reply {
    let a: Advance = required(&bytes)?;
    let secs = a
        .days
        .checked_mul(86_400)
        .and_then(|d| a.hours.checked_mul(3_600).and_then(|h| d.checked_add(h)))
        .and_then(|t| t.checked_add(a.seconds))
        .ok_or_else(|| AdminError::Invalid("advance is out of range".into()))?;
    let mut g = s.lock();
    g.clock
        .advance(SignedDuration::from_secs(secs))
        .map_err(|e| AdminError::Invalid(format!("cannot advance the clock: {e}")))?;
    Ok(Json(clock_view(&g)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetClock {
    now: String,
}

async fn clock_set(State(s): State<SimState>, bytes: Bytes) -> Reply {
    let req: SetClock = required(&bytes)?;
    let ts: Timestamp = req
        .now
        .parse()
        .map_err(|_| AdminError::Invalid(format!("now = {:?} is not an RFC 3339 time", req.now)))?;
    let mut g = s.lock();
    g.clock.set(ts);
    Ok(Json(clock_view(&g)))
}

async fn world_dump(State(s): State<SimState>) -> Json<Value> {
    let g = s.lock();
    let mut world = serde_json::to_value(&g.world).unwrap_or(Value::Null);
    world["now"] = json!(g.clock.now().to_string());
    Json(world)
}

async fn stats_get(State(s): State<SimState>) -> Json<Value> {
    Json(serde_json::to_value(s.stats()).unwrap_or(Value::Null))
}

async fn stats_reset(State(s): State<SimState>) -> Json<Value> {
    s.reset_stats();
    Json(serde_json::to_value(s.stats()).unwrap_or(Value::Null))
}

async fn faults_list(State(s): State<SimState>) -> Json<Value> {
    Json(json!({"faults": s.lock().faults.list()}))
}

async fn faults_add(State(s): State<SimState>, bytes: Bytes) -> Reply {
    let spec: FaultSpec = required(&bytes)?;
    if spec.count == Some(0) {
        return Err(AdminError::Invalid(
            "count must be at least 1 (omit it for no limit)".into(),
        ));
    }
    let fault = s.lock().faults.add(spec);
    Ok(Json(json!(fault)))
}

async fn faults_clear(State(s): State<SimState>) -> Json<Value> {
    let n = s.lock().faults.clear();
    Json(json!({"cleared": n}))
}

fn token_view(inner: &Inner, token: &str) -> Option<Value> {
    let t = inner.world.tokens.get(token)?;
    let mut v = serde_json::to_value(t).unwrap_or(Value::Null);
    let dead = dead_reason(&inner.world, t, inner.clock.now());
    v["is_valid"] = json!(dead.is_none());
    v["error_subcode"] = json!(dead.map(|(sub, _)| sub));
    Some(v)
}

fn user_view(inner: &Inner, id: &str) -> Result<Value, AdminError> {
    let user = inner
        .world
        .users
        .get(id)
        .ok_or_else(|| not_found("user", id))?;
    let tokens: Vec<Value> = inner
        .world
        .tokens
        .values()
        .filter(|t| t.user == id)
        .filter_map(|t| token_view(inner, &t.token))
        .collect();
    Ok(json!({"user": user, "grant": inner.world.grant(id), "tokens": tokens}))
}

async fn user_get(State(s): State<SimState>, Path(id): Path<String>) -> Reply {
    Ok(Json(user_view(&s.lock(), &id)?))
}

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

async fn user_change_password(State(s): State<SimState>, Path(id): Path<String>) -> Reply {
    Ok(Json(set_user_tokens(
        &mut s.lock(),
        &id,
        TokenState::PasswordChanged,
    )?))
}

async fn user_logout(State(s): State<SimState>, Path(id): Path<String>) -> Reply {
    Ok(Json(set_user_tokens(
        &mut s.lock(),
        &id,
        TokenState::LoggedOut,
    )?))
}

async fn user_remove_app(State(s): State<SimState>, Path(id): Path<String>) -> Reply {
    let mut g = s.lock();
    let user = g
        .world
        .users
        .get_mut(&id)
        .ok_or_else(|| not_found("user", &id))?;
    user.app_installed = false;
    g.world.remove_grant(&id);
    Ok(Json(user_view(&g, &id)?))
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

async fn user_checkpoint(State(s): State<SimState>, Path(id): Path<String>, bytes: Bytes) -> Reply {
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

async fn user_unconfirmed(
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

/// Distinguishes a present `null` (`Some(None)`) from an absent field (`None`).
fn some_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
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

async fn permission_set(
    State(s): State<SimState>,
    Path((id, perm)): Path<(String, String)>,
    bytes: Bytes,
) -> Reply {
    let req: SetPermission = required(&bytes)?;
    let mut g = s.lock();
    if !g.world.users.contains_key(&id) {
        return Err(not_found("user", &id));
    }
    if let Some(t) = &req.target_ids {
        check_targets(&g, t)?;
    }
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
    Ok(Json(user_view(&g, &id)?))
}

async fn permission_revoke(
    State(s): State<SimState>,
    Path((id, perm)): Path<(String, String)>,
) -> Reply {
    let mut g = s.lock();
    if !g.world.users.contains_key(&id) {
        return Err(not_found("user", &id));
    }
    let grant = g
        .world
        .grant_mut(&id)
        .ok_or_else(|| not_found("grant of user", &id))?;
    let before = grant.permissions.len();
    grant.permissions.retain(|p| p.name != perm);
    if grant.permissions.len() == before {
        return Err(not_found("permission", &perm));
    }
    Ok(Json(user_view(&g, &id)?))
}

async fn permission_targets(
    State(s): State<SimState>,
    Path((id, perm)): Path<(String, String)>,
    bytes: Bytes,
) -> Reply {
    let req: SetTargets = required(&bytes)?;
    let mut g = s.lock();
    if !g.world.users.contains_key(&id) {
        return Err(not_found("user", &id));
    }
    check_targets(&g, &req.target_ids)?;
    let p = g
        .world
        .grant_mut(&id)
        .and_then(|gr| gr.permissions.iter_mut().find(|p| p.name == perm))
        .ok_or_else(|| not_found("permission", &perm))?;
    p.target_ids = req.target_ids;
    Ok(Json(user_view(&g, &id)?))
}

async fn token_get(State(s): State<SimState>, Path(token): Path<String>) -> Reply {
    token_view(&s.lock(), &token)
        .map(Json)
        .ok_or_else(|| not_found("token", "<hidden>"))
}

fn with_token(
    s: &SimState,
    token: &str,
    change: impl FnOnce(&mut crate::world::Token, Timestamp) -> Result<(), AdminError>,
) -> Reply {
    let mut g = s.lock();
    let now = g.clock.now();
    // Unknown tokens are not echoed back: the error names the kind only.
    let t = g
        .world
        .tokens
        .get_mut(token)
        .ok_or_else(|| not_found("token", "<hidden>"))?;
    change(t, now)?;
    Ok(Json(token_view(&g, token).unwrap_or(Value::Null)))
}

async fn token_invalidate(State(s): State<SimState>, Path(token): Path<String>) -> Reply {
    with_token(&s, &token, |t, _| {
        t.state = TokenState::Invalidated;
        Ok(())
    })
}

async fn token_expire(State(s): State<SimState>, Path(token): Path<String>) -> Reply {
    with_token(&s, &token, |t, now| {
        t.expires_at = Some(now);
        Ok(())
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpiresAt {
    /// RFC 3339, a unix time, `0` or `"never"`.
    expires_at: Value,
}

async fn token_expires_at(
    State(s): State<SimState>,
    Path(token): Path<String>,
    bytes: Bytes,
) -> Reply {
    let req: ExpiresAt = required(&bytes)?;
    let at = match &req.expires_at {
        Value::String(n) if n == "never" => None,
        Value::Number(n) if n.as_i64() == Some(0) => None,
        Value::String(t) => Some(t.parse::<Timestamp>().map_err(|_| {
            AdminError::Invalid(format!("expires_at = {t:?} is not an RFC 3339 time"))
        })?),
        Value::Number(n) => Some(
            n.as_i64()
                .and_then(|s| Timestamp::from_second(s).ok())
                .ok_or_else(|| {
                    AdminError::Invalid(format!("expires_at = {n} is not a unix time"))
                })?,
        ),
        other => {
            return Err(AdminError::Invalid(format!(
                "expires_at = {other} must be an RFC 3339 string, a unix time or \"never\""
            )));
        }
    };
    with_token(&s, &token, |t, _| {
        t.expires_at = at;
        Ok(())
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Tasks {
    tasks: Vec<String>,
}

fn page_view(inner: &Inner, page: &str) -> Value {
    json!(inner.world.page(page))
}

async fn tasks_set(
    State(s): State<SimState>,
    Path((page, user)): Path<(String, String)>,
    bytes: Bytes,
) -> Reply {
    let req: Tasks = required(&bytes)?;
    if let Some(bad) = req
        .tasks
        .iter()
        .find(|t| !KNOWN_TASKS.contains(&t.as_str()))
    {
        return Err(AdminError::Invalid(format!("{bad:?} is not a Page task")));
    }
    let mut g = s.lock();
    if !g.world.users.contains_key(&user) {
        return Err(not_found("user", &user));
    }
    if !g.world.set_tasks(&page, &user, req.tasks) {
        return Err(not_found("page", &page));
    }
    Ok(Json(page_view(&g, &page)))
}

async fn tasks_remove(
    State(s): State<SimState>,
    Path((page, user)): Path<(String, String)>,
) -> Reply {
    let mut g = s.lock();
    let has = g
        .world
        .page(&page)
        .ok_or_else(|| not_found("page", &page))?
        .tasks
        .contains_key(&user);
    if !has {
        return Err(not_found("task holder on this page", &user));
    }
    g.world.set_tasks(&page, &user, Vec::new());
    Ok(Json(page_view(&g, &page)))
}

fn ig_view(inner: &Inner, ig: &str) -> Value {
    json!({
        "instagram": inner.world.instagram.get(ig),
        "linked_page": inner.world.page_linked_to(ig).map(|p| &p.id),
    })
}

async fn ig_unlink(State(s): State<SimState>, Path(ig): Path<String>) -> Reply {
    let mut g = s.lock();
    if !g.world.instagram.contains_key(&ig) {
        return Err(not_found("instagram account", &ig));
    }
    g.world.unlink_instagram(&ig);
    Ok(Json(ig_view(&g, &ig)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Link {
    page: String,
}

async fn ig_link(State(s): State<SimState>, Path(ig): Path<String>, bytes: Bytes) -> Reply {
    let req: Link = required(&bytes)?;
    let mut g = s.lock();
    if !g.world.instagram.contains_key(&ig) {
        return Err(not_found("instagram account", &ig));
    }
    if g.world.page(&req.page).is_none() {
        return Err(not_found("page", &req.page));
    }
    g.world.link_instagram(&ig, &req.page);
    Ok(Json(ig_view(&g, &ig)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Professional {
    professional: bool,
}

async fn ig_professional(State(s): State<SimState>, Path(ig): Path<String>, bytes: Bytes) -> Reply {
    let req: Professional = required(&bytes)?;
    let mut g = s.lock();
    let account = g
        .world
        .instagram
        .get_mut(&ig)
        .ok_or_else(|| not_found("instagram account", &ig))?;
    account.professional = req.professional;
    Ok(Json(ig_view(&g, &ig)))
}
