//! The admin API (`/_admin/...`, JSON): moves the clock, changes the world while it runs, injects
//! faults and reads counters. Every mutation answers with the state it changed; unknown ids give
//! 404 with an error naming the id. Mutations that make Meta call the app's server (deauthorize,
//! data deletion, the permissions webhook) wait for those calls and report them under
//! `delivered`.

mod app;
mod assets;
mod people;
mod tokens;

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

use crate::faults::SampledFault;
use crate::graph::token::dead_reason;
use crate::state::{Inner, SimState};

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

pub(super) type Reply = Result<Json<Value>, AdminError>;

pub(super) fn not_found(kind: &'static str, id: &str) -> AdminError {
    AdminError::NotFound {
        kind,
        id: id.to_string(),
    }
}

/// Parses a JSON body; an empty body means the type's default.
pub(super) fn body<T: DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, AdminError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| AdminError::BadBody(e.to_string()))
}

pub(super) fn required<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, AdminError> {
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
        .route(
            "/users/{id}/change_password",
            post(people::user_change_password),
        )
        .route("/users/{id}/remove_app", post(people::user_remove_app))
        .route("/users/{id}/checkpoint", post(people::user_checkpoint))
        .route("/users/{id}/unconfirmed", post(people::user_unconfirmed))
        .route("/users/{id}/data_access", post(people::user_data_access))
        .route("/users/{id}/logout", post(people::user_logout))
        .route(
            "/users/{id}/request_deletion",
            post(app::user_request_deletion),
        )
        .route(
            "/users/{id}/permissions/{perm}",
            put(people::permission_set).delete(people::permission_revoke),
        )
        .route(
            "/users/{id}/permissions/{perm}/target_ids",
            put(people::permission_targets),
        )
        .route("/tokens/{token}", get(tokens::token_get))
        .route("/tokens/{token}/invalidate", post(tokens::token_invalidate))
        .route("/tokens/{token}/expire", post(tokens::token_expire))
        .route("/tokens/{token}/expires_at", post(tokens::token_expires_at))
        .route(
            "/pages/{page}/tasks/{user}",
            put(assets::tasks_set).delete(assets::tasks_remove),
        )
        .route("/instagram/{ig}/unlink", post(assets::ig_unlink))
        .route("/instagram/{ig}/link", post(assets::ig_link))
        .route(
            "/instagram/{ig}/professional",
            post(assets::ig_professional),
        )
        .route("/app/redirect_uris", put(app::redirect_uris_set))
        .route("/app/usage", post(app::usage_set))
        .route(
            "/app/callbacks",
            get(app::callbacks_get).put(app::callbacks_set),
        )
        .route("/deliveries", get(app::deliveries_get))
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
    let fault: SampledFault = required(&bytes)?;
    if fault.spec.count == Some(0) {
        return Err(AdminError::Invalid(
            "count must be at least 1 (omit it for no limit)".into(),
        ));
    }
    if let Some(sample) = &fault.sample {
        sample.validate().map_err(AdminError::Invalid)?;
    }
    let fault = s.lock().faults.add_sampled(fault);
    Ok(Json(json!(fault)))
}

async fn faults_clear(State(s): State<SimState>) -> Json<Value> {
    let n = s.lock().faults.clear();
    Json(json!({"cleared": n}))
}

pub(super) fn token_view(inner: &Inner, token: &str) -> Option<Value> {
    let t = inner.world.tokens.get(token)?;
    let mut v = serde_json::to_value(t).unwrap_or(Value::Null);
    let dead = dead_reason(&inner.world, t, inner.clock.now());
    v["is_valid"] = json!(dead.is_none());
    v["error_subcode"] = json!(dead.map(|(sub, _)| sub));
    Some(v)
}

pub(super) fn user_view(inner: &Inner, id: &str) -> Result<Value, AdminError> {
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

/// Distinguishes a present `null` (`Some(None)`) from an absent field (`None`).
pub(super) fn some_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Sends what a mutation prepared (outside the lock) and adds the reports to its answer.
pub(super) async fn answer_with(
    s: &SimState,
    (mut view, deliveries): (Value, Vec<crate::push::Delivery>),
) -> Reply {
    let delivered = crate::push::deliver(s, deliveries).await;
    view["delivered"] = json!(delivered);
    Ok(Json(view))
}
