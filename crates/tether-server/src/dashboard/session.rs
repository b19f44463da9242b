//! Who is signed in: argon2 passwords, session cookies (the store keeps only a hash of each), the
//! CSRF guard every dashboard POST passes, and the sign-in, sign-out and invitation pages.
//!
//! The session cookie is HttpOnly and SameSite=Lax (Lax, not Strict, so the browser still sends it
//! when Facebook's dialog redirects back to a dashboard page), and Secure when the public URL is
//! https. A form's CSRF token is an HMAC of the session secret under the server's link key, so it
//! needs no storage and dies with the session; forms shown before sign-in use a random cookie
//! echoed in the form (double submit).

use super::passwords::Refusal;
use super::{Chrome, DashError, DashResult, Flash, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use jiff::{SignedDuration, Timestamp};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::Sha256;
use std::collections::HashMap;
use tether_store::{Role, Store, User};

pub const SESSION: &str = "tether_session";
const PRE_CSRF: &str = "tether_csrf";
/// How long a sign-in lasts.
pub const SESSION_TTL: SignedDuration = SignedDuration::from_hours(12);
/// The shortest password accepted (NIST SP 800-63B's minimum for user-chosen secrets).
pub const MIN_PASSWORD: usize = 8;

/// A cookie's value from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

fn csrf_mac(s: &AppState, session_secret: &str) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(s.config.link_key.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    m.update(b"tether dashboard csrf\0");
    m.update(session_secret.as_bytes());
    m
}

fn csrf_token(s: &AppState, session_secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(csrf_mac(s, session_secret).finalize().into_bytes())
}

fn csrf_matches(s: &AppState, session_secret: &str, presented: &str) -> bool {
    URL_SAFE_NO_PAD
        .decode(presented)
        .is_ok_and(|sig| csrf_mac(s, session_secret).verify_slice(&sig).is_ok())
}

/// Constant-time equality for the pre-sign-in double-submit token.
fn same(a: &str, b: &str) -> bool {
    let key = [0u8; 32];
    let mut m = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    m.update(a.as_bytes());
    let tag = m.finalize().into_bytes();
    let mut m = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    m.update(b.as_bytes());
    m.verify_slice(&tag).is_ok()
}

/// A password for `tether user add` to print once: 20 characters from an unambiguous alphabet
/// (about 110 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
        .collect()
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Under https every cookie Tether sets (session, CSRF, flash message) is `Secure`, so no
/// browser ever sends it over plain http. One layer over every response, so a new cookie cannot
/// forget it.
pub async fn secure_cookies(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    if s.config.public_url.scheme() != "https" {
        return resp;
    }
    let cookies: Vec<HeaderValue> = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    resp.headers_mut().remove(header::SET_COOKIE);
    for c in cookies {
        let text = c.to_str().unwrap_or_default();
        let value = if text.is_empty() || text.contains("; Secure") {
            c
        } else {
            HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(c)
        };
        resp.headers_mut().append(header::SET_COOKIE, value);
    }
    resp
}

fn set_cookie(resp: &mut Response, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The signed-in person, for every page but sign-in: a request without a live session is sent
/// to the sign-in page.
#[derive(Debug, Clone)]
pub struct Member {
    /// The person as a member of the workspace this session looks at (its id and their role).
    pub user: User,
    /// The token this session's forms carry.
    pub csrf: String,
    /// Every workspace the person belongs to (one for most people).
    pub workspaces: Vec<tether_store::Membership>,
}

impl Member {
    pub fn ws(&self) -> tether_store::WorkspaceId {
        self.user.workspace_id
    }

    pub fn is_owner(&self) -> bool {
        self.user.role == Role::Owner
    }

    /// Refuses members what only the workspace's owner may do.
    pub fn require_owner(&self, what: &str) -> DashResult<()> {
        if self.is_owner() {
            Ok(())
        } else {
            Err(DashError::Forbidden(format!(
                "Only the workspace owner can {what}. Ask them to do it, or to make you an owner."
            )))
        }
    }
}

impl FromRequestParts<AppState> for Member {
    type Rejection = DashError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Member, DashError> {
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/app".to_owned());
        let sign_in = || DashError::SignIn {
            next: if parts.method == Method::GET {
                next.clone()
            } else {
                "/app".to_owned()
            },
        };
        let Some(secret) = cookie(&parts.headers, SESSION) else {
            return Err(sign_in());
        };
        let Some(session) = s.store.get_session(secret, s.clock.now()).await? else {
            return Err(sign_in());
        };
        let workspaces = s.store.list_memberships(session.user.id).await?;
        Ok(Member {
            csrf: csrf_token(s, secret),
            user: session.user,
            workspaces,
        })
    }
}

/// Refuses any POST whose form does not carry the right CSRF token: the session's, or before
/// sign-in the double-submit cookie's. Runs before every dashboard handler, so no form can
/// forget it.
pub async fn csrf_guard(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, s.config.body_limit).await {
        Ok(b) => b,
        Err(_) => {
            return DashError::BadRequest("The form was too large.".into()).into_response();
        }
    };
    let presented = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let before_sign_in =
        parts.uri.path() == "/app/sign-in" || parts.uri.path().starts_with("/app/invite/");
    let ok = if before_sign_in {
        cookie(&parts.headers, PRE_CSRF).is_some_and(|c| same(c, &presented))
    } else {
        match cookie(&parts.headers, SESSION) {
            Some(secret) => csrf_matches(&s, secret, &presented),
            // Not signed in: the handler's extractor sends the person to sign in.
            None => true,
        }
    };
    if !ok {
        tracing::info!(
            path = parts.uri.path(),
            "form refused: CSRF token missing or wrong"
        );
        return DashError::Forbidden(
            "This form has expired or did not come from this dashboard, so nothing was done. Go back, reload the page and try again."
                .into(),
        )
        .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    email: String,
    problem: Option<String>,
}

/// The form token for pages shown before sign-in, reusing the browser's if it has one.
fn pre_csrf(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, PRE_CSRF) {
        Some(t) if t.len() >= 40 => (t.to_owned(), false),
        _ => (random_token(), true),
    }
}

fn with_pre_csrf(mut resp: Response, token: &str, fresh: bool) -> Response {
    if fresh {
        set_cookie(
            &mut resp,
            format!("{PRE_CSRF}={token}; Path=/app; HttpOnly; SameSite=Strict; Max-Age=86400"),
        );
    }
    resp
}

/// Where to go after signing in: only a dashboard address on this server, in printable ASCII (a
/// control character cannot be put in a `Location` header; a backslash reads as `/` to some
/// browsers, which would make `/\evil.example` another site).
fn safe_next(next: Option<&String>) -> String {
    next.filter(|n| {
        (n.as_str() == "/app" || n.starts_with("/app/") || n.starts_with("/app?"))
            && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
            && !n.contains("://")
    })
    .cloned()
    .unwrap_or_else(|| "/app".to_owned())
}

/// `GET /app/sign-in`
pub async fn sign_in_page(
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> DashResult<Response> {
    let (token, fresh) = pre_csrf(&headers);
    let mut chrome = Chrome::bare();
    chrome.flash = Flash::read(&headers);
    let page = SignInPage {
        chrome,
        csrf: token.clone(),
        next: safe_next(q.get("next")),
        email: String::new(),
        problem: None,
    };
    Ok(with_pre_csrf(render(&page, &page.chrome)?, &token, fresh))
}

#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /app/sign-in`
pub async fn sign_in(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<SignInForm>,
) -> DashResult<Response> {
    let now = s.clock.now();
    let (user, phc) = match s.store.find_user_for_sign_in(&f.email).await? {
        Some((user, phc)) => (Some(user), Some(phc)),
        None => (None, None),
    };
    let checked = s.sign_ins.check(&f.email, f.password, phc, now).await;
    let (problem, status) = match (checked, user) {
        (Ok(true), Some(user)) => return signed_in(&s, user, f.next.as_ref(), now).await,
        (Ok(_), _) => (
            "That email and password do not match an account. Check both and try again.".to_owned(),
            StatusCode::UNAUTHORIZED,
        ),
        (Err(Refusal::Locked { until }), _) => (
            format!(
                "Too many failed sign-ins for this email. Try again after {} UTC, or ask the \
                 workspace owner to invite you again if you forgot your password.",
                until.strftime("%H:%M")
            ),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        (Err(Refusal::Busy), _) => (
            "Tether is busy signing many people in. Try again in a moment.".to_owned(),
            StatusCode::SERVICE_UNAVAILABLE,
        ),
    };
    tracing::info!(status = status.as_u16(), "sign-in refused");
    let (token, fresh) = pre_csrf(&headers);
    let page = SignInPage {
        chrome: Chrome::bare(),
        csrf: token.clone(),
        next: safe_next(f.next.as_ref()),
        email: f.email.trim().to_owned(),
        problem: Some(problem),
    };
    let mut resp = with_pre_csrf(render(&page, &page.chrome)?, &token, fresh);
    *resp.status_mut() = status;
    if status == StatusCode::SERVICE_UNAVAILABLE {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    Ok(resp)
}

async fn signed_in(
    s: &AppState,
    user: User,
    next: Option<&String>,
    now: Timestamp,
) -> DashResult<Response> {
    let expires_at = now.saturating_add(SESSION_TTL).unwrap_or(now);
    let secret = s.store.create_session(&user, expires_at, now).await?;
    tracing::info!(user_id = %user.id, workspace_id = %user.workspace_id, "signed in");
    let mut resp = Redirect::to(&safe_next(next)).into_response();
    set_cookie(
        &mut resp,
        format!(
            "{SESSION}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
            secret.expose_secret(),
            SESSION_TTL.as_secs(),
        ),
    );
    Ok(resp)
}

/// `POST /app/sign-out`
pub async fn sign_out(State(s): State<AppState>, headers: HeaderMap) -> DashResult<Response> {
    if let Some(secret) = cookie(&headers, SESSION) {
        s.store.delete_session(secret).await?;
    }
    let mut resp = Flash::ok("You are signed out.").redirect("/app/sign-in");
    set_cookie(
        &mut resp,
        format!("{SESSION}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(resp)
}

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    chrome: Chrome,
    csrf: String,
    email: String,
    role: &'static str,
    problem: Option<String>,
}

/// `GET /app/invite/{secret}`: an invited person chooses a password.
pub async fn invite_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> DashResult<Response> {
    let user = s
        .store
        .get_invite(&secret, s.clock.now())
        .await?
        .ok_or_else(invite_gone)?;
    let (token, fresh) = pre_csrf(&headers);
    let page = InvitePage {
        chrome: Chrome::bare(),
        csrf: token.clone(),
        email: user.email,
        role: role_word(user.role),
        problem: None,
    };
    Ok(with_pre_csrf(render(&page, &page.chrome)?, &token, fresh))
}

fn invite_gone() -> DashError {
    DashError::Forbidden(
        "This invitation has expired or was already used. Ask the workspace owner for a new one."
            .into(),
    )
}

pub fn role_word(role: Role) -> &'static str {
    match role {
        Role::Owner => "owner",
        Role::Member => "member",
    }
}

#[derive(Deserialize)]
pub struct AcceptForm {
    password: String,
    confirm: String,
}

/// `POST /app/invite/{secret}`
pub async fn accept_invite(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(secret): Path<String>,
    Form(f): Form<AcceptForm>,
) -> DashResult<Response> {
    let now = s.clock.now();
    let user = s
        .store
        .get_invite(&secret, now)
        .await?
        .ok_or_else(invite_gone)?;
    let problem = if f.password.chars().count() < MIN_PASSWORD {
        Some(format!(
            "Choose a password of at least {MIN_PASSWORD} characters."
        ))
    } else if f.password != f.confirm {
        Some("The two passwords differ. Type the same password twice.".to_owned())
    } else {
        None
    };
    if let Some(problem) = problem {
        let (token, fresh) = pre_csrf(&headers);
        let page = InvitePage {
            chrome: Chrome::bare(),
            csrf: token.clone(),
            email: user.email,
            role: role_word(user.role),
            problem: Some(problem),
        };
        let mut resp = with_pre_csrf(render(&page, &page.chrome)?, &token, fresh);
        *resp.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        return Ok(resp);
    }
    let phc = super::passwords::hash(SecretString::from(f.password)).await?;
    s.store
        .accept_invite(&secret, &phc, now)
        .await?
        .ok_or_else(invite_gone)?;
    Ok(
        Flash::ok("Your password is set. Sign in with your email and new password.")
            .redirect("/app/sign-in"),
    )
}
