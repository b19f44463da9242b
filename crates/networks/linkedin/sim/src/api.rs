//! The network's public endpoints, with the bodies the real ones send (fixtures/linkedin;
//! docs/PLATFORMS-2.md 2.5). Both hosts live under one prefix: `oauth/v2/*` is
//! www.linkedin.com, `rest/*` is api.linkedin.com.

use crate::state::{ACCESS_SECS, APP_ID, APP_SECRET, Shared, Token, TokenState, World};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::{Value, json};

type Params = Vec<(String, String)>;

fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Scopes that open `organizationAcls?q=roleAssignee` (unconfirmed which exactly; the sim takes
/// any organization scope).
const ORGANIZATION_SCOPES: &[&str] = &[
    "r_organization_admin",
    "rw_organization_admin",
    "r_organization_social",
    "w_organization_social",
];

pub async fn handle(
    State(state): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().trim_matches('/').to_owned();
    let mut params: Params = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    if method == Method::POST {
        params.extend(url::form_urlencoded::parse(&body).into_owned());
    }
    if path == "oauth/v2/authorization" {
        return crate::dialog::handle(&state, &method, &params);
    }
    let now = state.now();
    let mut w = state.lock();
    w.stats.http_requests += 1;
    *w.stats.calls_by_path.entry(path.clone()).or_default() += 1;
    if let Some((status, body)) = w.take_fault(&path) {
        return reply(status, body);
    }
    match (method.as_str(), path.as_str()) {
        ("POST", "oauth/v2/accessToken") => access_token(&mut w, &params, now),
        ("POST", "oauth/v2/introspectToken") => introspect(&w, &params, now),
        (_, p) if p.starts_with("rest/") => {
            let bearer = headers
                .get(header::AUTHORIZATION)
                .and_then(|h| h.to_str().ok())
                .and_then(|a| a.strip_prefix("Bearer "))
                .map(str::trim)
                .unwrap_or("");
            let version = headers
                .get("linkedin-version")
                .and_then(|h| h.to_str().ok());
            rest(
                &w,
                method.as_str(),
                &p["rest/".len()..],
                &params,
                bearer,
                version,
                now,
            )
        }
        _ => reply(
            404,
            json!({"status": 404, "code": "RESOURCE_NOT_FOUND", "message": format!("No virtual resource found")}),
        ),
    }
}

fn reply(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The OAuth endpoints' error shape (`error`, `error_description`).
fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    reply(
        status,
        json!({"error": error, "error_description": description}),
    )
}

fn epoch(t: Timestamp) -> i64 {
    t.as_second()
}

fn access_token(w: &mut World, params: &Params, now: Timestamp) -> Response {
    if param(params, "client_id") != Some(APP_ID)
        || param(params, "client_secret") != Some(APP_SECRET)
    {
        // Unconfirmed wording; what matters is that it is the app's, not the member's.
        return oauth_error(401, "invalid_client", "Client authentication failed");
    }
    match param(params, "grant_type") {
        Some("authorization_code") => exchange_code(w, params, now),
        Some("refresh_token") => refresh(w, params, now),
        _ => oauth_error(
            400,
            "invalid_request",
            "A required parameter \"grant_type\" is missing",
        ),
    }
}

fn exchange_code(w: &mut World, params: &Params, now: Timestamp) -> Response {
    let code = param(params, "code").unwrap_or("");
    let bad = || {
        oauth_error(
            400,
            "invalid_request",
            "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired. Or external member binding exists",
        )
    };
    let Some(c) = w.codes.get_mut(code) else {
        return bad();
    };
    if c.used
        || now >= c.expires_at
        || param(params, "redirect_uri") != Some(c.redirect_uri.as_str())
    {
        return bad();
    }
    c.used = true;
    let (member, scopes) = (c.member.clone(), c.scopes.clone());
    let minted = w.authorize(&member, scopes.clone(), now);
    let mut out = json!({
        "access_token": minted.access_token,
        "expires_in": ACCESS_SECS,
        "scope": scopes.join(","),
    });
    if let Some(r) = minted.refresh_token {
        out["refresh_token"] = json!(r);
        out["refresh_token_expires_in"] = json!(crate::REFRESH_SECS);
    }
    reply(200, out)
}

/// A new 60-day access token; the refresh token comes back unchanged with what is left of its
/// life: "does not extend" (docs/PLATFORMS.md 2.3).
fn refresh(w: &mut World, params: &Params, now: Timestamp) -> Response {
    let refused = || {
        oauth_error(
            400,
            "invalid_request",
            "The provided authorization grant or refresh token is invalid, expired or revoked",
        )
    };
    let key = param(params, "refresh_token").unwrap_or("");
    let Some(r) = w.refresh_tokens.get(key).cloned() else {
        return refused();
    };
    if r.revoked || now >= r.expires_at {
        return refused();
    }
    let token = w.mint_access(&r.member, r.scopes.clone(), r.authorized_at, now);
    reply(
        200,
        json!({
            "access_token": token,
            "expires_in": ACCESS_SECS,
            "refresh_token": key,
            "refresh_token_expires_in": r.expires_at.as_second() - now.as_second(),
            "scope": r.scopes.join(","),
        }),
    )
}

/// `POST /oauth/v2/introspectToken` (docs/PLATFORMS-2.md 2.1). A token LinkedIn no longer knows
/// (invalidated) answers like an unknown one: 400 "Invalid client id or token" (unconfirmed).
fn introspect(w: &World, params: &Params, now: Timestamp) -> Response {
    if param(params, "client_id") != Some(APP_ID) {
        return oauth_error(400, "invalid_request", "Invalid client id or token");
    }
    if param(params, "client_secret") != Some(APP_SECRET) {
        return oauth_error(401, "invalid_client", "Invalid client secret");
    }
    let Some(t) = param(params, "token").and_then(|k| w.tokens.get(k)) else {
        return oauth_error(400, "invalid_request", "Invalid client id or token");
    };
    let status = match t.state {
        TokenState::Invalidated => {
            return oauth_error(400, "invalid_request", "Invalid client id or token");
        }
        TokenState::Revoked => "revoked",
        TokenState::Active if now >= t.expires_at => "expired",
        TokenState::Active => "active",
    };
    reply(
        200,
        json!({
            "active": status == "active",
            "client_id": APP_ID,
            "authorized_at": epoch(t.authorized_at),
            "created_at": epoch(t.issued_at),
            "status": status,
            "expires_at": epoch(t.expires_at),
            "scope": t.scopes.join(","),
            "auth_type": "3L",
        }),
    )
}

fn api_error(
    status: u16,
    service_code: Option<i64>,
    code: Option<&str>,
    message: &str,
) -> Response {
    let mut e = json!({"status": status, "message": message});
    if let Some(s) = service_code {
        e["serviceErrorCode"] = json!(s);
    }
    if let Some(c) = code {
        e["code"] = json!(c);
    }
    reply(status, e)
}

fn denied(resource: &str, version: &str) -> Response {
    api_error(
        403,
        Some(100),
        Some("ACCESS_DENIED"),
        &format!("Not enough permissions to access: {resource}.{version}"),
    )
}

/// The token a `/rest` call carries, still working at `now`, or the documented 401.
fn token_of<'a>(w: &'a World, bearer: &str, now: Timestamp) -> Result<&'a Token, Box<Response>> {
    if bearer.is_empty() {
        return Err(Box::new(api_error(
            401,
            Some(401),
            None,
            "Empty oauth2_access_token",
        )));
    }
    let invalid = || {
        Box::new(api_error(
            401,
            Some(65600),
            Some("INVALID_ACCESS_TOKEN"),
            "Invalid access token",
        ))
    };
    let t = w.tokens.get(bearer).ok_or_else(invalid)?;
    match t.state {
        TokenState::Invalidated => Err(invalid()),
        TokenState::Revoked => Err(Box::new(api_error(
            401,
            Some(65601),
            Some("REVOKED_ACCESS_TOKEN"),
            "The token used in the request has been revoked by the user",
        ))),
        TokenState::Active if now >= t.expires_at => Err(Box::new(api_error(
            401,
            Some(65602),
            Some("EXPIRED_ACCESS_TOKEN"),
            "The token used in the request has expired",
        ))),
        TokenState::Active => Ok(t),
    }
}

fn rest(
    w: &World,
    method: &str,
    resource: &str,
    params: &Params,
    bearer: &str,
    version: Option<&str>,
    now: Timestamp,
) -> Response {
    let t = match token_of(w, bearer, now) {
        Ok(t) => t,
        Err(e) => return *e,
    };
    // "Every /rest/* call needs LinkedIn-Version: YYYYMM" (docs/PLATFORMS-2.md 2.6).
    let Some(version) = version.map(str::trim).filter(|v| !v.is_empty()) else {
        return api_error(
            400,
            None,
            Some("VERSION_MISSING"),
            "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
        );
    };
    let month = version.split('.').next().unwrap_or("");
    if month.len() != 6
        || !month.bytes().all(|b| b.is_ascii_digit())
        || w.retired_versions.contains(month)
    {
        return api_error(
            426,
            None,
            Some("NONEXISTENT_VERSION"),
            &format!("Requested version {month}01 is not active"),
        );
    }
    match (method, resource) {
        ("GET", "me") => {
            if !t.scopes.iter().any(|s| s == "r_basicprofile") {
                return denied("me.GET", "NO_VERSION");
            }
            let Some(m) = w.members.get(&t.member) else {
                return api_error(404, None, None, "Not Found");
            };
            reply(
                200,
                json!({
                    "localizedLastName": m.last_name,
                    "localizedFirstName": m.first_name,
                    "id": m.id,
                }),
            )
        }
        ("GET", "organizationAcls") => acls(w, t, params, month),
        _ => api_error(
            404,
            None,
            Some("RESOURCE_NOT_FOUND"),
            "No virtual resource found",
        ),
    }
}

/// `GET /rest/organizationAcls?q=roleAssignee[&role=][&state=]` with the `organization~` and
/// `roleAssignee~` projections (docs/PLATFORMS.md 2.2), paged by `start`/`count`.
fn acls(w: &World, t: &Token, params: &Params, version: &str) -> Response {
    if param(params, "q") != Some("roleAssignee") {
        return api_error(400, None, None, "Unsupported finder");
    }
    let resource = format!("organizationAcls.FINDER-roleAssignee.{version}01");
    if !w.organization_product
        || !t
            .scopes
            .iter()
            .any(|s| ORGANIZATION_SCOPES.contains(&s.as_str()))
    {
        return api_error(
            403,
            Some(100),
            Some("ACCESS_DENIED"),
            &format!("Not enough permissions to access: {resource}"),
        );
    }
    let projection = param(params, "projection").unwrap_or("");
    let want_org = projection.contains("organization~");
    let want_person = projection.contains("roleAssignee~");
    let start: usize = param(params, "start")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let count: usize = param(params, "count")
        .and_then(|s| s.parse().ok())
        .unwrap_or(10)
        .clamp(1, 100);
    let matching: Vec<Value> = w
        .acls
        .iter()
        .filter(|a| a.member == t.member)
        .filter(|a| param(params, "role").is_none_or(|r| r == a.role))
        .filter(|a| param(params, "state").is_none_or(|s| s == a.state))
        .map(|a| {
            let mut e = json!({
                "role": a.role,
                "roleAssignee": format!("urn:li:person:{}", a.member),
                "state": a.state,
                "organization": format!("urn:li:organization:{}", a.organization),
            });
            if want_org && let Some(o) = w.organizations.get(&a.organization) {
                e["organization~"] = json!({"localizedName": o.name});
            }
            if want_person && let Some(m) = w.members.get(&a.member) {
                e["roleAssignee~"] =
                    json!({"localizedFirstName": m.first_name, "localizedLastName": m.last_name});
            }
            e
        })
        .collect();
    let total = matching.len();
    let page: Vec<Value> = matching.into_iter().skip(start).take(count).collect();
    reply(
        200,
        json!({
            "paging": {"count": count, "start": start, "total": total, "links": []},
            "elements": page,
        }),
    )
}
