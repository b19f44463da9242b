//! What networks push: `/hooks/{network}/{kind}` (and Meta's older `/meta/{kind}` addresses,
//! which every deployment's Meta app settings hold). The network verifies and reads the push
//! (`Network::push`); what it means is applied here the same way for every network: a removed
//! app breaks every login of that person at once, a data-deletion request erases them, a
//! permission taken back is marked declined, and each is confirmed by a check soon. A granted
//! permission is only a reason to check.
//!
//! A signed push can be captured and sent again, so: a push older than [`MAX_AGE`] is refused; a
//! push handled before (by a digest of its bytes) is answered as before and changes nothing; a
//! push sent before the login's last connect never touches it; and a push older than the
//! login's last check only schedules a check, since the facts are fresher than it.

use crate::check::rediagnose;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use sha2::{Digest, Sha256};
use tether_core::{BrokenReason, Network, PermissionGrant, PermissionStatus, TokenValidity};
use tether_platform::{Change, Push, PushError, PushReply, Signal};
use tether_store::{HandledPush, Login, PushStore, Store};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/hooks/{network}/{kind}", get(hook).post(hook))
        .route(
            "/hooks/{network}/data-deletion/{code}",
            get(data_deletion_status),
        )
        .route("/meta/{kind}", get(meta_alias).post(meta_alias))
        .route("/meta/data-deletion/{code}", get(meta_status_alias))
}

type Pairs = Query<Vec<(String, String)>>;

async fn hook(
    State(s): State<AppState>,
    Path((network, kind)): Path<(String, String)>,
    method: Method,
    Query(query): Pairs,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    receive(&s, &network, &kind, &method, &query, &headers, &body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn meta_alias(
    State(s): State<AppState>,
    Path(kind): Path<String>,
    method: Method,
    Query(query): Pairs,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    receive(
        &s,
        Network::Meta.as_str(),
        &kind,
        &method,
        &query,
        &headers,
        &body,
    )
    .await
    .unwrap_or_else(IntoResponse::into_response)
}

#[tracing::instrument(skip_all, fields(network = %network, kind = %kind))]
async fn receive(
    s: &AppState,
    network: &str,
    kind: &str,
    method: &Method,
    query: &[(String, String)],
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<Response> {
    let network: Network = network
        .parse()
        .map_err(|_| ApiError::NotFound { what: "network" })?;
    let net = s.checker.network(network).ok_or(ApiError::NotFound {
        what: "network on this server",
    })?;
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_owned())))
        .collect();
    let push = Push {
        kind,
        method: method.as_str(),
        query,
        headers: &headers,
        body,
    };
    let reply = net.push(&push).map_err(|e| match e {
        PushError::Unsigned(_) => ApiError::Unauthorized,
        PushError::Refused(why) => ApiError::Forbidden(why),
        PushError::Malformed(code, why) => ApiError::bad_request(code, why),
        PushError::UnknownKind => ApiError::NotFound { what: "push kind" },
    })?;
    let signals = match reply {
        PushReply::Challenge(text) => return Ok((StatusCode::OK, text).into_response()),
        PushReply::Signals(signals) => signals,
    };
    let now = s.clock.now();
    for signal in &signals {
        if let Some(at) = signal.sent_at
            && now.duration_since(at) > MAX_AGE
        {
            return Err(ApiError::bad_request(
                "stale_push",
                format!(
                    "the push was sent at {at}, more than {} hours ago; Tether handles pushes no \
                     older than that, so a captured one cannot be replayed",
                    MAX_AGE.as_hours()
                ),
            ));
        }
        if signal.change == Change::DataDeletion && signal.sent_at.is_none() {
            return Err(ApiError::bad_request(
                "undated_push",
                "the data-deletion request says nothing of when it was sent, so Tether cannot \
                 tell it from a replay",
            ));
        }
    }
    let digest = digest(kind, body);
    let reply = match s.store.handled_push(network, &digest).await? {
        Some(handled) => {
            tracing::info!(handled_at = %handled.handled_at, "push handled before: nothing applied");
            Answer {
                applied: 0,
                replayed: true,
                confirmation_code: handled.confirmation_code,
            }
        }
        None => {
            let answer = apply(s, network, signals, now).await?;
            let handled = HandledPush {
                handled_at: now,
                confirmation_code: answer.confirmation_code.clone(),
            };
            let forget_before = now - MAX_AGE - SignedDuration::from_hours(1);
            s.store
                .remember_push(network, &digest, &handled, forget_before)
                .await?;
            answer
        }
    };
    // A data-deletion request is answered with where the person can see it was done; a retry of
    // it gets the same code.
    if let Some(code) = reply.confirmation_code {
        let url = s
            .config
            .url(&format!("hooks/{network}/data-deletion/{code}"));
        return Ok(Json(json!({ "url": url.as_str(), "confirmation_code": code })).into_response());
    }
    Ok(
        Json(json!({ "ok": true, "applied": reply.applied, "replayed": reply.replayed }))
            .into_response(),
    )
}

/// How old a push may be. Meta's webhook pages say an undelivered webhook is retried for up to 36
/// hours (unconfirmed: not among the sources docs/PLATFORMS.md quotes), so the safe reading keeps
/// a margin over that: a genuine late retry is still handled. A push older than this is refused,
/// and handled pushes are remembered an hour longer, so a replay is caught by one or the other.
const MAX_AGE: SignedDuration = SignedDuration::from_hours(48);

/// What a push is remembered by: its kind and its signed bytes.
fn digest(kind: &str, body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(body);
    h.finalize().into()
}

struct Answer {
    applied: usize,
    replayed: bool,
    confirmation_code: Option<String>,
}

/// Whether a push sent at `sent` was sent before `than`. Pushes are dated to the second: within
/// the same second the push counts as newer.
fn before(sent: Timestamp, than: Timestamp) -> bool {
    sent.as_second() < than.as_second()
}

/// Whether a push may change the login's verdict: it is dated and no check of the login has
/// happened since (fresher facts are only confirmed by a check).
fn newer_than_facts(sent_at: Option<Timestamp>, login: &Login) -> bool {
    sent_at.is_some_and(|sent| login.last_verified_at.is_none_or(|v| !before(sent, v)))
}

async fn apply(
    s: &AppState,
    network: Network,
    signals: Vec<Signal>,
    now: Timestamp,
) -> ApiResult<Answer> {
    let mut answer = Answer {
        applied: 0,
        replayed: false,
        confirmation_code: None,
    };
    for signal in signals {
        let logins = logins_of(s, network, &signal.user_id).await?;
        // A push older than the login's last connect is about the grant the person replaced:
        // it must not undo the new one.
        let (before, logins): (Vec<Login>, Vec<Login>) = logins.into_iter().partition(|l| {
            signal
                .sent_at
                .is_some_and(|sent| before(sent, l.connected_at))
        });
        if !before.is_empty() {
            tracing::info!(
                logins = before.len(),
                "push older than the last connect: ignored"
            );
        }
        match signal.change {
            Change::AppRemoved => {
                for login in &logins {
                    if newer_than_facts(signal.sent_at, login) {
                        answer.applied += app_removed(s, login).await?;
                    }
                    schedule(s, login).await?;
                }
            }
            Change::DataDeletion => {
                let code = answer
                    .confirmation_code
                    .get_or_insert_with(|| crate::links::confirmation_code(s))
                    .clone();
                answer.applied += delete_data(s, &logins, &code, now).await?;
            }
            Change::PermissionRevoked { permission } => {
                for login in &logins {
                    if newer_than_facts(signal.sent_at, login) {
                        answer.applied += permission_revoked(s, login, &permission).await?;
                    }
                    schedule(s, login).await?;
                }
            }
            Change::CheckSoon => {
                for login in &logins {
                    schedule(s, login).await?;
                }
            }
        }
    }
    Ok(answer)
}

async fn logins_of(s: &AppState, network: Network, user_id: &str) -> ApiResult<Vec<Login>> {
    Ok(s.store
        .find_logins_by_platform_user(network, user_id)
        .await?)
}

async fn schedule(s: &AppState, login: &Login) -> ApiResult<()> {
    s.store
        .schedule_check(login.workspace_id, login.id, s.clock.now())
        .await?;
    Ok(())
}

/// Marks the login as broken by the app's removal (a check soon confirms it). 1 if it changed.
async fn app_removed(s: &AppState, login: &Login) -> ApiResult<usize> {
    let changed = rediagnose(s, login, |facts, _| {
        facts.token.validity = TokenValidity::Broken {
            reason: BrokenReason::AppRemoved,
            platform_error: None,
        };
    })
    .await?
    .is_some();
    tracing::info!(login_id = %login.id.0, "app removed");
    Ok(usize::from(changed))
}

/// A permission taken back is one the person declined: the dashboard asks them to grant it again.
async fn permission_revoked(s: &AppState, login: &Login, permission: &str) -> ApiResult<usize> {
    let changed = rediagnose(s, login, |facts, _| {
        match facts.permissions.iter_mut().find(|g| g.name == permission) {
            Some(g) => g.status = PermissionStatus::Declined,
            None => facts.permissions.push(PermissionGrant {
                name: permission.to_owned(),
                status: PermissionStatus::Declined,
            }),
        }
        facts.granular_scopes.retain(|g| g.scope != permission);
    })
    .await?
    .is_some();
    Ok(usize::from(changed))
}

/// The person asked the network to have their data deleted. Their logins are disconnected
/// (announced as usual), then erased with everything kept about them, and each workspace gets a
/// `login.deleted` event.
async fn delete_data(
    s: &AppState,
    logins: &[Login],
    code: &str,
    now: Timestamp,
) -> ApiResult<usize> {
    let mut erased = 0;
    for login in logins {
        app_removed(s, login).await?;
        if s.store.delete_login(login.workspace_id, login.id).await? {
            s.index.forget_login(login.id);
            crate::dashboard::overview::forget_counts(login.workspace_id);
            let payload = json!({
                "login_id": login.id.0,
                "reason": "data_deletion_request",
                "confirmation_code": code,
            });
            s.store
                .enqueue_event(login.workspace_id, "login.deleted", &payload, now)
                .await?;
            s.events_written();
            erased += 1;
        }
    }
    tracing::info!(confirmation_code = %code, logins = erased, "data deleted on request");
    Ok(erased)
}

/// `GET /hooks/{network}/data-deletion/{code}`: the status page the network links the person to.
async fn data_deletion_status(
    State(s): State<AppState>,
    Path((_, code)): Path<(String, String)>,
) -> Response {
    status_page(&s, &code)
}

async fn meta_status_alias(State(s): State<AppState>, Path(code): Path<String>) -> Response {
    status_page(&s, &code)
}

/// Confirms only a request Tether carried out: a made-up code learns nothing.
fn status_page(s: &AppState, code: &str) -> Response {
    if !crate::links::issued_code(s, code) {
        return crate::html::Page::new("No such request")
            .say("Tether has no data-deletion request with this confirmation code.")
            .respond(StatusCode::NOT_FOUND);
    }
    crate::html::Page::new("Data deletion request")
        .say(format!(
            "Request {code} is complete: the connection's access token, the accounts it reached and their history were deleted."
        ))
        .respond(StatusCode::OK)
}
