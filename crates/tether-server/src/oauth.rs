//! Facebook Login: starting the dialog (for a new connection or a reconnect), the callback that
//! turns a code into a stored, diagnosed login, the result page, and the reconnect-link landing.
//! Whatever goes wrong before the login is stored leaves nothing behind and says so on the page.

use crate::connect::{ConnectError, Expect, connect_token};
use crate::error::{ApiError, ApiResult};
use crate::html::{badge, escape, page};
use crate::links::{self, LinkError};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use tether_core::{LoginFacts, Network, PermissionStatus};
use tether_meta::{OAuthError, authorize_url};
use tether_store::{
    AssetRecord, FactsSubject, Login, LoginId, NewOAuthState, OverviewFilter, StateRejection,
    Store, WorkspaceId,
};
use url::Url;

pub struct Started {
    pub url: Url,
    pub expires_at: Timestamp,
    pub scopes: Vec<String>,
    pub rerequest: bool,
}

/// Creates a single-use state bound to the workspace and returns the dialog URL.
pub async fn start(
    s: &AppState,
    ws: WorkspaceId,
    login: Option<&Login>,
    allow_other_person: bool,
    return_to: Option<String>,
) -> ApiResult<Started> {
    let now = s.clock.now();
    let scopes = s.checker.judge_for(&s.store, ws).await?.scopes.clone();
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
                network: Network::Meta,
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
    let url = authorize_url(
        &s.checker.graph,
        &s.config.redirect_uri(),
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

/// `GET /oauth/meta/callback`
pub async fn callback(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match finish(&s, &q).await {
        Ok(r) => r,
        Err(e) => {
            let status = e.status();
            let message = if matches!(e, ApiError::Internal(_) | ApiError::Unavailable(_)) {
                tracing::error!(error = ?e, "OAuth callback failed");
                "Something went wrong on our side and nothing was connected. Please try again in a minute.".to_owned()
            } else {
                e.to_string()
            };
            page(
                status,
                "Connection not completed",
                &format!(
                    "<p>{}</p><p class=\"hint\">Nothing was stored.</p>",
                    escape(&message)
                ),
            )
        }
    }
}

async fn finish(s: &AppState, q: &HashMap<String, String>) -> ApiResult<Response> {
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
    let back = back_link(st.return_to.as_deref());
    if let Some(error) = q.get("error") {
        let reason = q.get("error_reason").map(String::as_str).unwrap_or(error);
        tracing::info!(workspace_id = %st.workspace_id, reason, "OAuth dialog denied");
        return Ok(page(
            StatusCode::OK,
            "Nothing was connected",
            &format!(
                "<p>The Facebook dialog was cancelled, so Tether has no access and stored nothing.</p>\
                 <p class=\"hint\">To connect, start again and choose <strong>Continue</strong>.</p>{back}"
            ),
        ));
    }
    let Some(code) = q.get("code") else {
        return Ok(fail(
            StatusCode::BAD_REQUEST,
            "Facebook sent neither a code nor an error. Start connecting again from the app.",
        ));
    };

    let client = &s.checker.client;
    let redirect = s.config.redirect_uri();
    let token = match client.exchange_code(code, &redirect).await {
        Ok(short) => match client.exchange_long_lived(&short.token).await {
            Ok(long) => long,
            Err(e) => return Ok(oauth_failure(&e)),
        },
        Err(e) => return Ok(oauth_failure(&e)),
    };
    let expect = Expect {
        reconnect: st.reconnect,
        allow_other_person: st.allow_other_person,
        name_hint: None,
    };
    let connected = match connect_token(s, st.workspace_id, token.token, expect).await {
        Ok(c) => c,
        Err(ConnectError::OtherPerson { expected, got }) => {
            return Ok(page(
                StatusCode::CONFLICT,
                "Signed in as someone else",
                &format!(
                    "<p>This connection belongs to <strong>{e}</strong>, but Facebook signed in <strong>{g}</strong>. \
                     Nothing was changed.</p><p class=\"hint\">Ask {e} to open the reconnect link, or sign out of \
                     Facebook and sign in as them.</p>{back}",
                    e = escape(&expected),
                    g = escape(&got),
                ),
            ));
        }
        Err(ConnectError::Store(e)) => return Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "could not inspect a freshly connected login");
            return Ok(fail(
                StatusCode::BAD_GATEWAY,
                "Facebook did not answer while we checked the new connection. Nothing was stored; please try again in a minute.",
            ));
        }
    };
    let login = connected.login;
    // Started from the dashboard: back to the page it was started from, which shows what changed.
    if let Some(rt) = st.return_to.as_deref().filter(|rt| is_dashboard_path(rt)) {
        return Ok(Redirect::to(rt).into_response());
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
    page(
        status,
        "Connection not completed",
        &format!(
            "<p>{}</p><p class=\"hint\">Nothing was stored.</p>",
            escape(why)
        ),
    )
}

fn oauth_failure(e: &OAuthError) -> Response {
    tracing::warn!(error = %e, "OAuth code exchange failed");
    let (status, why) = match e {
        OAuthError::CodeRejected { .. } => (
            StatusCode::BAD_REQUEST,
            "Facebook did not accept this sign-in (the code was already used, expired or altered). Start connecting again from the app.",
        ),
        OAuthError::CheckerMisconfigured { .. } => (
            StatusCode::BAD_GATEWAY,
            "This app's Facebook credentials were rejected. The app owner must fix the app id or secret; nothing was connected.",
        ),
        _ => (
            StatusCode::BAD_GATEWAY,
            "Facebook did not answer in time. Nothing was stored; please try again in a minute.",
        ),
    };
    fail(status, why)
}

/// A path inside this server's dashboard (never another site: no scheme, no `//`).
fn is_dashboard_path(p: &str) -> bool {
    (p == "/app" || p.starts_with("/app/") || p.starts_with("/app?"))
        && !p.contains("//")
        && !p.contains('\\')
}

fn back_link(return_to: Option<&str>) -> String {
    return_to
        .map(|u| format!("<p><a href=\"{}\">Back to the app</a></p>", escape(u)))
        .unwrap_or_default()
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
        Err(e) => {
            let status = e.status();
            page(
                status,
                "Result unavailable",
                &format!("<p>{}</p>", escape(&e.to_string())),
            )
        }
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
    let assets = s
        .store
        .list_overview_assets(ws, &[login.id], &OverviewFilter::default())
        .await?;
    let mut body = format!(
        "<p>Connected as <strong>{}</strong>: {}</p>",
        escape(&login.person_name),
        badge(login.status.as_str())
    );
    if assets.is_empty() {
        body.push_str("<p>No Pages or Instagram accounts were shared. Reconnect and select the Pages to manage.</p>");
    } else {
        body.push_str("<h2>Accounts</h2><ul>");
        for AssetRecord { asset: a, report } in &assets {
            let missing: String = report
                .as_ref()
                .and_then(|r| r.get("findings"))
                .and_then(|f| f.as_array())
                .into_iter()
                .flatten()
                .filter_map(|f| f.pointer("/remedy/summary").and_then(|x| x.as_str()))
                .map(|summary| format!("<li>{}</li>", escape(summary)))
                .collect();
            body.push_str(&format!(
                "<li><strong>{}</strong> ({}) {}{}</li>",
                escape(&a.name),
                escape(&a.kind.as_str().replace('_', " ")),
                badge(a.status.as_str()),
                if missing.is_empty() {
                    String::new()
                } else {
                    format!("<ul>{missing}</ul>")
                }
            ));
        }
        body.push_str("</ul>");
    }
    body.push_str(&back_link(p.get("return_to").map(String::as_str)));
    Ok(page(StatusCode::OK, "Connection complete", &body))
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
    page(
        StatusCode::FORBIDDEN,
        "Link not valid",
        &format!("<p>{}</p>", escape(why)),
    )
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
        start(&s, ws, Some(&login), false, None).await
    }
    .await;
    match result {
        Ok(started) => Redirect::to(started.url.as_str()).into_response(),
        Err(e) => page(
            e.status(),
            "Cannot reconnect",
            &format!("<p>{}</p>", escape(&e.to_string())),
        ),
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
