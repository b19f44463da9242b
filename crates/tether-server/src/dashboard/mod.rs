//! The dashboard: server-rendered pages for the people who connect accounts (sign-in, the
//! accounts overview, each account's diagnostics and actions, workspace settings), under `/app`.
//!
//! Pages are askama templates (`templates/`, checked at compile time, auto-escaped); the one
//! stylesheet and the one small script are compiled into the binary, so the dashboard needs no
//! build step and no network. Every page reads through the signed-in member's workspace id, so
//! another workspace's ids are simply not found (404). Every POST passes the CSRF guard in
//! [`session`] before its handler runs.

mod access;
mod actions;
mod asset;
mod bulk;
mod changes;
mod confirm;
mod deliveries;
mod email;
mod login;
mod message;
mod needs;
pub(crate) mod overview;
pub mod passwords;
mod reach;
pub(crate) mod rows;
pub mod session;
mod settings;
pub(crate) mod words;
mod workspaces;

use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tether_store::StoreError;

pub use passwords::hash_password;
pub use session::Member;

/// The dashboard's routes (mounted at the root; every path starts with `/app`).
pub fn router(state: &AppState) -> Router<AppState> {
    let app = Router::new()
        .route("/app", get(overview::overview))
        .route(
            "/app/sign-in",
            get(session::sign_in_page).post(session::sign_in),
        )
        .route("/app/sign-out", post(session::sign_out))
        .route(
            "/app/invite/{secret}",
            get(session::invite_page).post(session::accept_invite),
        )
        .route("/app/connect", post(actions::connect))
        .route("/app/connected", get(actions::connected))
        .route("/app/assets/{id}", get(asset::diagnostics))
        .route("/app/logins/{id}", get(login::page))
        .route("/app/accounts/{kind}/{platform_id}", get(reach::page))
        .route("/app/logins/{id}/reconnect", post(actions::reconnect))
        .route("/app/logins/{id}/refresh", post(actions::refresh))
        .route(
            "/app/logins/{id}/disconnect",
            get(actions::confirm_disconnect).post(actions::disconnect),
        )
        .route("/app/me", get(email::me).post(email::save_me))
        .route("/app/workspaces", get(workspaces::all))
        .route("/app/workspaces/{id}/open", post(workspaces::open))
        .route("/app/settings/mail", post(email::save))
        .route("/app/settings/mail/test", post(email::test))
        .route("/app/settings/mail/off", post(email::off))
        .route("/app/bulk/links", get(bulk::links))
        .route("/app/bulk/admins", get(bulk::admins))
        .route("/app/export.csv", get(bulk::export))
        .route(
            "/app/settings",
            get(settings::page).post(settings::save_profile),
        )
        .route("/app/settings/endpoints", post(settings::add_endpoint))
        .route(
            "/app/settings/endpoints/{id}/delete",
            get(confirm::delete_endpoint).post(settings::delete_endpoint),
        )
        .route(
            "/app/settings/endpoints/{id}/test",
            post(settings::test_endpoint),
        )
        .route("/app/settings/keys", post(settings::create_key))
        .route(
            "/app/settings/keys/{id}/revoke",
            get(confirm::revoke_key).post(settings::revoke_key),
        )
        .route("/app/settings/members", post(settings::invite_member))
        .route(
            "/app/settings/members/{id}/remove",
            get(confirm::remove_member).post(settings::remove_member),
        )
        .route("/app/static/app.css", get(css))
        .route("/app/static/app.js", get(js))
        .method_not_allowed_fallback(wrong_method)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::csrf_guard,
        ));
    Router::new()
        .route("/", get(|| async { Redirect::to("/app") }))
        .merge(app)
}

/// A dashboard address opened with the wrong method (a button's URL typed into the address bar).
async fn wrong_method() -> Response {
    DashError::ButtonOnly.into_response()
}

/// Any other `/app` address: the dashboard's own "not found" page, not the API's JSON.
pub async fn not_found() -> Response {
    DashError::NotFound.into_response()
}

const CSS: &str = include_str!("../../static/app.css");
const JS: &str = include_str!("../../static/app.js");

async fn css() -> Response {
    static_file("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    static_file("text/javascript; charset=utf-8", JS)
}

fn static_file(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// A dashboard path's id: anything that is not one is simply not found (the dashboard's page),
/// never the framework's plain-text rejection.
pub struct PathId(pub uuid::Uuid);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathId {
    type Rejection = DashError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| DashError::NotFound)?;
        uuid::Uuid::parse_str(&raw)
            .map(PathId)
            .map_err(|_| DashError::NotFound)
    }
}

/// Why a dashboard request failed. Each variant is a page a person can act on; internal causes
/// are logged with a reference and never shown.
#[derive(Debug, thiserror::Error)]
pub enum DashError {
    /// Not signed in (or the session ended): back to the sign-in page, then to `next`.
    #[error("sign in first")]
    SignIn { next: String },
    /// Also what another workspace's ids get: existence is not revealed.
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unavailable(String),
    /// A button's address opened as a page.
    #[error("use the button")]
    ButtonOnly,
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

pub type DashResult<T> = Result<T, DashError>;

impl From<StoreError> for DashError {
    fn from(e: StoreError) -> DashError {
        match e {
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %e, "database unavailable");
                DashError::Unavailable(
                    "The database is busy or unreachable. Nothing was changed; try again in a minute."
                        .into(),
                )
            }
            StoreError::NotFound { .. } => DashError::NotFound,
            other => DashError::Internal(other.into()),
        }
    }
}

impl From<ApiError> for DashError {
    fn from(e: ApiError) -> DashError {
        match e {
            ApiError::NotFound { .. } => DashError::NotFound,
            ApiError::BadRequest { message, .. } => DashError::BadRequest(message),
            ApiError::Forbidden(m) => DashError::Forbidden(m),
            ApiError::Conflict(m) => DashError::BadRequest(m),
            ApiError::Unavailable(m) => DashError::Unavailable(m),
            ApiError::Internal(e) => DashError::Internal(e),
            other => DashError::Internal(anyhow::anyhow!(other.to_string())),
        }
    }
}

impl From<askama::Error> for DashError {
    fn from(e: askama::Error) -> DashError {
        DashError::Internal(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    title: String,
    message: String,
}

impl IntoResponse for DashError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            DashError::SignIn { next } => {
                let to = if next.starts_with("/app") && !next.starts_with("/app/sign-in") {
                    format!("/app/sign-in?next={}", words::query_escape(&next))
                } else {
                    "/app/sign-in".to_owned()
                };
                return Redirect::to(&to).into_response();
            }
            DashError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here. It may have been removed, or it belongs to another workspace.".to_owned(),
            ),
            DashError::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed", m),
            DashError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Please check the form", m),
            DashError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "Try again shortly", m),
            DashError::ButtonOnly => (
                StatusCode::METHOD_NOT_ALLOWED,
                "This address belongs to a button",
                "Opening it does nothing: it acts only when its button on a page is pressed. Go back to that page and press the button there."
                    .to_owned(),
            ),
            DashError::Internal(e) => {
                let reference = uuid::Uuid::now_v7().simple().to_string();
                let reference = &reference[reference.len() - 8..];
                tracing::error!(error = ?e, reference, "dashboard request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    format!(
                        "Something went wrong on our side and nothing was changed. If it happens again, tell support the reference {reference}."
                    ),
                )
            }
        };
        let page = ErrorPage {
            chrome: Chrome::bare(),
            title: title.to_owned(),
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, title.to_owned()).into_response(),
        }
    }
}

/// What every page's frame shows: who is signed in, the CSRF token for its forms, the outcome of
/// the last action, and which tab is current.
pub struct Chrome {
    pub user: Option<UserChip>,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub tab: &'static str,
}

pub struct UserChip {
    pub email: String,
    pub owner: bool,
    /// The workspace looked at, named when the person belongs to more than one.
    pub workspace: Option<String>,
}

impl Chrome {
    pub fn bare() -> Chrome {
        Chrome {
            user: None,
            csrf: String::new(),
            flash: None,
            tab: "",
        }
    }

    pub fn new(member: &Member, headers: &HeaderMap, tab: &'static str) -> Chrome {
        Chrome {
            user: Some(UserChip {
                email: member.user.email.clone(),
                owner: member.is_owner(),
                workspace: (member.workspaces.len() > 1)
                    .then(|| {
                        member
                            .workspaces
                            .iter()
                            .find(|w| w.workspace_id == member.ws())
                            .map(|w| w.workspace_name.clone())
                    })
                    .flatten(),
            }),
            csrf: member.csrf.clone(),
            flash: Flash::read(headers),
            tab,
        }
    }
}

/// The outcome of the last action, carried across its redirect in a short-lived cookie (text
/// only: never a secret) and shown once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub ok: bool,
    pub text: String,
}

const FLASH: &str = "tether_flash";

impl Flash {
    pub fn ok(text: impl Into<String>) -> Flash {
        Flash {
            ok: true,
            text: text.into(),
        }
    }

    pub fn problem(text: impl Into<String>) -> Flash {
        Flash {
            ok: false,
            text: text.into(),
        }
    }

    fn read(headers: &HeaderMap) -> Option<Flash> {
        let raw = session::cookie(headers, FLASH)?;
        let decoded: String = url::form_urlencoded::parse(format!("f={raw}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())?;
        let (kind, text) = decoded.split_once('|')?;
        Some(Flash {
            ok: kind == "ok",
            text: text.chars().take(500).collect(),
        })
    }

    /// A redirect to `to` that shows this message there.
    pub fn redirect(self, to: &str) -> Response {
        let value = format!("{}|{}", if self.ok { "ok" } else { "problem" }, self.text);
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        let mut resp = Redirect::to(to).into_response();
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{FLASH}={encoded}; Path=/app; Max-Age=60; HttpOnly; SameSite=Lax"
        )) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
        resp
    }
}

/// Renders a page; a page that showed a flash message clears it so it is shown once.
pub fn render(tpl: &impl Template, chrome: &Chrome) -> DashResult<Response> {
    let mut resp = Html(tpl.render()?).into_response();
    if chrome.flash.is_some() {
        resp.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static("tether_flash=; Path=/app; Max-Age=0; HttpOnly; SameSite=Lax"),
        );
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}
