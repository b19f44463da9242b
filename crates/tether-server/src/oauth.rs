//! Every network's login dialog: starting it (for a new connection or a reconnect), the callback
//! (`/oauth/{network}/callback`) that turns a code into a stored, diagnosed login, the result
//! page, and the reconnect-link landing. Whatever goes wrong before the login is stored leaves
//! nothing behind and says so on the page.

use crate::connect::{ConnectError, Expect, connect_issued};
use crate::dashboard::{rows, words};
use crate::error::{ApiError, ApiResult};
use crate::html::{Account, Page};
use crate::links::{self, LinkError};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use tether_core::{AssetReport, BrokenReason, LoginFacts, Network, PermissionStatus};
use tether_platform::OAuthError;
use tether_store::{
    FactsSubject, Login, LoginId, NewOAuthState, StateRejection, Store, WorkspaceId,
};
use url::Url;

pub struct Started {
    pub url: Url,
    pub expires_at: Timestamp,
    pub scopes: Vec<String>,
    pub rerequest: bool,
}

/// Creates a single-use state bound to the workspace and returns the dialog URL. A reconnect
/// uses the login's own network, whatever `network` says.
pub async fn start(
    s: &AppState,
    ws: WorkspaceId,
    network: Network,
    login: Option<&Login>,
    allow_other_person: bool,
    return_to: Option<String>,
) -> ApiResult<Started> {
    let now = s.clock.now();
    let network = login.map_or(network, |l| l.network);
    let net = s.checker.network(network).ok_or(ApiError::NotFound {
        what: "network on this server",
    })?;
    let scopes = s
        .checker
        .judge_for_network(&s.store, ws, network)
        .await?
        .scopes
        .clone();
    // Facebook does not ask again for a permission the person declined unless told to.
    let rerequest = match login {
        Some(l) => s
            .store
            .get_facts(ws, FactsSubject::Login(l.id))
            .await?
            .and_then(|f| serde_json::from_value::<LoginFacts>(f.value).ok())
            .is_some_and(|f| missing_any(&f, &scopes)),
        None => false,
    };
    let ttl =
        SignedDuration::try_from(s.config.oauth_state_ttl).unwrap_or(SignedDuration::from_mins(30));
    let expires_at = now.saturating_add(ttl).unwrap_or(now);
    let secret = s
        .store
        .create_oauth_state(
            &NewOAuthState {
                workspace_id: ws,
                network,
                reconnect: login.map(|l| l.id),
                allow_other_person,
                scopes: scopes.clone(),
                rerequest,
                return_to,
                expires_at,
            },
            now,
        )
        .await?;
    let scope_refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let url = net.authorize_url(
        &s.config.callback(network),
        secrecy::ExposeSecret::expose_secret(&secret),
        &scope_refs,
        rerequest,
    );
    Ok(Started {
        url,
        expires_at,
        scopes,
        rerequest,
    })
}

fn missing_any(facts: &LoginFacts, scopes: &[String]) -> bool {
    scopes.iter().any(|p| {
        !facts
            .permissions
            .iter()
            .any(|g| &g.name == p && g.status == PermissionStatus::Granted)
    })
}

/// `GET /oauth/{network}/callback` (`/oauth/meta/callback` is the address every deployment's
/// Meta app settings hold).
pub async fn callback(
    State(s): State<AppState>,
    Path(network): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Ok(network) = network.parse::<Network>() else {
        return fail(
            StatusCode::NOT_FOUND,
            "This sign-in address names no network Tether knows.",
        );
    };
    match finish(&s, network, &q).await {
        Ok(r) => r,
        Err(e) => {
            let status = e.status();
            let message = if matches!(e, ApiError::Internal(_) | ApiError::Unavailable(_)) {
                tracing::error!(error = ?e, "OAuth callback failed");
                "Something went wrong on our side and nothing was connected. Please try again in a minute.".to_owned()
            } else {
                e.to_string()
            };
            Page::new("Connection not completed")
                .say(message)
                .hint("Nothing was stored.")
                .respond(status)
        }
    }
}

async fn finish(
    s: &AppState,
    network: Network,
    q: &HashMap<String, String>,
) -> ApiResult<Response> {
    let now = s.clock.now();
    let Some(state) = q.get("state") else {
        return Ok(fail(
            StatusCode::BAD_REQUEST,
            "This sign-in response is incomplete (it carries no state). Start connecting again from the app.",
        ));
    };
    let st = match s.store.consume_oauth_state(state, now).await? {
        Ok(st) => st,
        Err(rejection) => {
            let why = match rejection {
                StateRejection::Unknown => {
                    "This sign-in response was not started here, or it was altered. Start connecting again from the app."
                }
                StateRejection::Expired => {
                    "This sign-in took too long and expired. Start connecting again from the app."
                }
                StateRejection::AlreadyUsed => {
                    "This sign-in response was already used. If the account is not connected yet, start again from the app."
                }
            };
            return Ok(fail(StatusCode::BAD_REQUEST, why));
        }
    };
    let back = st.return_to.as_deref();
    if st.network != network {
        return Ok(fail(
            StatusCode::BAD_REQUEST,
            "This sign-in response came back to another network's address. Start connecting again from the app.",
        ));
    }
    let name = words::network(network);
    if let Some(error) = q.get("error") {
        let reason = q.get("error_reason").map(String::as_str).unwrap_or(error);
        tracing::info!(workspace_id = %st.workspace_id, reason, "OAuth dialog denied");
        // Cancelling a reconnect leaves the existing connection exactly as it was.
        let page = match st.reconnect {
            Some(_) => Page::new("Nothing was changed")
                .say(format!("The {name} dialog was cancelled, so the connection stays exactly as it was: the same access, the same accounts."))
                .hint("To allow what is missing, start the reconnect again and choose Continue."),
            None => Page::new("Nothing was connected")
                .say(format!("The {name} dialog was cancelled, so Tether has no access and stored nothing."))
                .hint("To connect, start again and choose Continue."),
        };
        return Ok(page.back(back).respond(StatusCode::OK));
    }
    let Some(code) = q.get("code") else {
        return Ok(fail(
            StatusCode::BAD_REQUEST,
            &format!(
                "{name} sent neither a code nor an error. Start connecting again from the app."
            ),
        ));
    };
    let Some(net) = s.checker.network(network) else {
        return Ok(fail(
            StatusCode::NOT_FOUND,
            &format!("{name} is not configured on this server."),
        ));
    };
    let issued = match net.exchange(code, &s.config.callback(network), now).await {
        Ok(issued) => issued,
        Err(e) => return Ok(oauth_failure(&e, name)),
    };
    let expect = Expect {
        reconnect: st.reconnect,
        allow_other_person: st.allow_other_person,
        name_hint: None,
    };
    let connected = match connect_issued(s, st.workspace_id, network, issued, expect).await {
        Ok(c) => c,
        Err(ConnectError::OtherPerson { expected, got }) => {
            return Ok(Page::new("Signed in as someone else")
                .say(format!(
                    "This connection belongs to {expected}, but {name} signed in {got}. Nothing was changed."
                ))
                .hint(format!(
                    "Ask {expected} to open the reconnect link, or sign out of {name} and sign in as them."
                ))
                .back(back)
                .respond(StatusCode::CONFLICT));
        }
        Err(ConnectError::Store(e)) => return Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "could not inspect a freshly connected login");
            return Ok(fail(
                StatusCode::BAD_GATEWAY,
                &format!(
                    "{name} did not answer while we checked the new connection. Nothing was stored; please try again in a minute."
                ),
            ));
        }
    };
    let login = connected.login;
    // Started from the dashboard: back to the page it was started from, which shows what changed
    // (told which login, for a new connection).
    if let Some(rt) = st.return_to.as_deref().filter(|rt| is_dashboard_path(rt)) {
        let sep = if rt.contains('?') { '&' } else { '?' };
        return Ok(Redirect::to(&format!("{rt}{sep}login={}", login.id)).into_response());
    }
    let ttl = SignedDuration::from_hours(1);
    let mut params: Vec<(&str, &str)> = Vec::new();
    let (l, w) = (login.id.to_string(), login.workspace_id.to_string());
    params.push(("login", &l));
    params.push(("ws", &w));
    if let Some(rt) = &st.return_to {
        params.push(("return_to", rt));
    }
    let url = links::signed(
        s,
        "connect/result",
        &params,
        now.saturating_add(ttl).unwrap_or(now),
    );
    Ok(Redirect::to(url.as_str()).into_response())
}

fn fail(status: StatusCode, why: &str) -> Response {
    Page::new("Connection not completed")
        .say(why)
        .hint("Nothing was stored.")
        .respond(status)
}

fn oauth_failure(e: &OAuthError, name: &str) -> Response {
    tracing::warn!(error = %e, "OAuth code exchange failed");
    let (status, why) = match e {
        OAuthError::CodeRejected { .. } => (
            StatusCode::BAD_REQUEST,
            format!(
                "{name} did not accept this sign-in (the code was already used, expired or altered). Start connecting again from the app."
            ),
        ),
        OAuthError::PersonRefused { reason, .. } => {
            let why = match reason {
                BrokenReason::Checkpoint => format!(
                    "{name} has put a security check on this account, so it refused the login. Log in to {name} with this account and follow its instructions until it works normally again; then start again from the app."
                ),
                _ => format!(
                    "{name} asks this account to confirm itself before any app may use it. Log in to {name} with this account and confirm it as {name} asks; then start again from the app."
                ),
            };
            return Page::new(format!("{name} needs something from this account first"))
                .say(why)
                .hint("Nothing was changed. Connecting again before that will be refused the same way.")
                .respond(StatusCode::CONFLICT);
        }
        OAuthError::CheckerMisconfigured { .. } => (
            StatusCode::BAD_GATEWAY,
            format!(
                "This app's {name} credentials were rejected. The app owner must fix the app id or secret; nothing was connected."
            ),
        ),
        _ => (
            StatusCode::BAD_GATEWAY,
            format!(
                "{name} did not answer in time. Nothing was stored; please try again in a minute."
            ),
        ),
    };
    fail(status, &why)
}

/// A path inside this server's dashboard (never another site: no scheme, no `//`).
fn is_dashboard_path(p: &str) -> bool {
    (p == "/app" || p.starts_with("/app/") || p.starts_with("/app?"))
        && !p.contains("//")
        && !p.contains('\\')
}

/// `GET /connect/result`: what was connected and what is still missing.
pub async fn result_page(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let now = s.clock.now();
    let params = match links::verify(&s, "connect/result", &["login", "ws", "return_to"], &q, now) {
        Ok(p) => p,
        Err(e) => return link_failure(e),
    };
    match render_result(&s, &params).await {
        Ok(r) => r,
        Err(e) => Page::new("Result unavailable")
            .say(e.to_string())
            .respond(e.status()),
    }
}

async fn render_result(s: &AppState, p: &HashMap<String, String>) -> ApiResult<Response> {
    let (ws, login) = ids(p).ok_or(ApiError::NotFound { what: "login" })?;
    let login = s
        .store
        .get_login(ws, login)
        .await?
        .ok_or(ApiError::NotFound { what: "login" })?;
    // Each asset with its report, in one query.
    let records = s.store.list_login_records(ws, login.id).await?;
    let person = login.person_name.as_str();
    let accounts = records
        .iter()
        .map(|r| {
            let findings = r
                .report
                .as_ref()
                .and_then(|v| serde_json::from_value::<AssetReport>(v.clone()).ok())
                .map(|rep| rep.findings)
                .unwrap_or_default();
            Account {
                name: r.asset.name.clone(),
                kind: words::kind(r.asset.kind).to_owned(),
                status: r.asset.status.as_str(),
                status_word: words::status(r.asset.status),
                todo: rows::todo(
                    &findings,
                    person,
                    login.network,
                    Some((&r.asset.name, r.asset.kind)),
                )
                .0,
            }
        })
        .collect::<Vec<_>>();
    let mut page = Page::new("Connection complete").say(format!(
        "Connected as {person}: {}.",
        words::status(login.status).to_lowercase()
    ));
    page = if accounts.is_empty() {
        page.say(
            words::remedies_for(login.network)
                .map_or("No account arrived. Connect again.", |r| r.none_shared()),
        )
    } else {
        page.say(format!(
            "{} {} arrived:",
            accounts.len(),
            if accounts.len() == 1 {
                "account"
            } else {
                "accounts"
            }
        ))
        .accounts(accounts)
    };
    Ok(page
        .back(p.get("return_to").map(String::as_str))
        .respond(StatusCode::OK))
}

fn ids(p: &HashMap<String, String>) -> Option<(WorkspaceId, LoginId)> {
    let ws = p.get("ws")?.parse().ok()?;
    let login = p.get("login")?.parse().ok()?;
    Some((WorkspaceId(ws), LoginId(login)))
}

fn link_failure(e: LinkError) -> Response {
    let why = match e {
        LinkError::Invalid => "This link is incomplete or has been altered. Ask for a new one.",
        LinkError::Expired => "This link has expired. Ask for a new one.",
    };
    Page::new("Link not valid")
        .say(why)
        .respond(StatusCode::FORBIDDEN)
}

/// `GET /reconnect`: a signed reconnect link, opened without an account, starts the dialog.
pub async fn reconnect(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let now = s.clock.now();
    let params = match links::verify(&s, "reconnect", &["login", "ws"], &q, now) {
        Ok(p) => p,
        Err(e) => return link_failure(e),
    };
    let result = async {
        let (ws, id) = ids(&params).ok_or(ApiError::NotFound { what: "login" })?;
        let login = s
            .store
            .get_login(ws, id)
            .await?
            .ok_or(ApiError::NotFound { what: "login" })?;
        start(&s, ws, login.network, Some(&login), false, None).await
    }
    .await;
    match result {
        Ok(started) => Redirect::to(started.url.as_str()).into_response(),
        Err(e) => Page::new("Cannot reconnect")
            .say(e.to_string())
            .respond(e.status()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tether_core::{PermissionGrant, TokenFacts, TokenValidity};

    #[test]
    fn rerequest_only_when_something_asked_for_is_missing() {
        let facts = |declined: &[&str]| LoginFacts {
            user_id: None,
            user_name: None,
            token: TokenFacts {
                validity: TokenValidity::Valid,
                expires_at: None,
                data_access_expires_at: None,
            },
            permissions: ["a", "b"]
                .iter()
                .map(|p| PermissionGrant {
                    name: (*p).into(),
                    status: if declined.contains(p) {
                        PermissionStatus::Declined
                    } else {
                        PermissionStatus::Granted
                    },
                })
                .collect(),
            granular_scopes: vec![],
            observed: vec![],
        };
        let scopes = vec!["a".to_owned(), "b".to_owned()];
        assert!(!missing_any(&facts(&[]), &scopes));
        assert!(missing_any(&facts(&["b"]), &scopes));
        assert!(missing_any(&facts(&[]), &["c".to_owned()]));
    }
}
