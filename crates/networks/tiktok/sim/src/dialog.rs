//! The Login Kit dialog (`www.tiktok.com/v2/auth/authorize/`): the creator picks who they log in as,
//! leaves a switch per scope on or off ("Users have the rights to only agree to a subset of scopes
//! you requested from them", docs/PLATFORMS-2.md 4.1), and allows or cancels. Cancel sends back
//! `error=access_denied` ("The resource owner or authorization server denied the request", TikTok's
//! OAuth error categories) with the state. Form fields: `account`, one `scope` per switch left on,
//! `decision=allow|deny`.

use crate::state::{APP_ID, Shared};
use axum::http::{Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// The scopes this app may ask for (docs/PLATFORMS-2.md 4.1); another is refused the way TikTok
/// refuses a scope the app was not approved for (`invalid_scope`).
pub(crate) const OFFERED: &[&str] = &[
    "user.info.basic",
    "user.info.profile",
    "user.info.stats",
    "video.list",
    "video.publish",
    "video.upload",
];

fn get<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(status: StatusCode, body: String) -> Response {
    (status, Html(format!("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>TikTok (simulated)</title></head><body>{body}</body></html>"))).into_response()
}

/// Scopes as TikTok takes them: comma-separated, spaces accepted.
pub(crate) fn split_scopes(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in s.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

pub fn handle(state: &Shared, method: &Method, params: &[(String, String)]) -> Response {
    if get(params, "client_key") != Some(APP_ID) {
        return page(
            StatusCode::BAD_REQUEST,
            "<p>Something went wrong: client_key</p>".into(),
        );
    }
    let Some(mut redirect) = get(params, "redirect_uri").and_then(|r| url::Url::parse(r).ok())
    else {
        return page(
            StatusCode::BAD_REQUEST,
            "<p>Something went wrong: redirect_uri</p>".into(),
        );
    };
    let st = get(params, "state").unwrap_or("").to_owned();
    if *method == Method::POST {
        return answer(state, params, redirect, &st);
    }
    if get(params, "response_type") != Some("code") {
        return page(
            StatusCode::BAD_REQUEST,
            "<p>Something went wrong: response_type</p>".into(),
        );
    }
    let asked = split_scopes(get(params, "scope").unwrap_or(""));
    if let Some(bad) = asked.iter().find(|s| !OFFERED.contains(&s.as_str())) {
        redirect
            .query_pairs_mut()
            .append_pair("error", "invalid_scope")
            .append_pair(
                "error_description",
                &format!("The requested scope is invalid, unknown, or malformed: {bad}"),
            )
            .append_pair("state", &st);
        return found(redirect.as_str());
    }
    let w = state.lock();
    let accounts: String = w
        .creators
        .values()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "<label><input type=\"radio\" name=\"account\" value=\"{}\"{}> {} (@{})</label><br>",
                escape(&c.open_id),
                if i == 0 { " checked" } else { "" },
                escape(&c.display_name),
                escape(&c.username)
            )
        })
        .collect();
    let scopes: String = asked
        .iter()
        .map(|s| {
            format!(
                "<label><input type=\"checkbox\" name=\"scope\" value=\"{s}\" checked> {s}</label><br>"
            )
        })
        .collect();
    page(
        StatusCode::OK,
        format!(
            "<form method=\"post\" action=\"./\"><input type=\"hidden\" name=\"client_key\" value=\"{APP_ID}\">\
             <input type=\"hidden\" name=\"redirect_uri\" value=\"{}\">\
             <input type=\"hidden\" name=\"state\" value=\"{}\">\
             <fieldset><legend>Log in as</legend>{accounts}</fieldset>\
             <fieldset><legend>This app would like to</legend>{scopes}</fieldset>\
             <button name=\"decision\" value=\"allow\">Authorize</button>\
             <button name=\"decision\" value=\"deny\">Cancel</button></form>",
            escape(redirect.as_str()),
            escape(&st)
        ),
    )
}

fn answer(
    state: &Shared,
    params: &[(String, String)],
    mut redirect: url::Url,
    st: &str,
) -> Response {
    if get(params, "decision") != Some("allow") {
        redirect
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair(
                "error_description",
                "The resource owner or authorization server denied the request.",
            )
            .append_pair("state", st);
        return found(redirect.as_str());
    }
    let Some(account) = get(params, "account") else {
        return page(StatusCode::BAD_REQUEST, "<p>Choose who logs in</p>".into());
    };
    let scopes: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| split_scopes(v))
        .filter(|s| OFFERED.contains(&s.as_str()))
        .fold(Vec::new(), |mut out, s| {
            if !out.contains(&s) {
                out.push(s);
            }
            out
        });
    let now = state.now();
    let mut w = state.lock();
    if !w.creators.contains_key(account) {
        return page(StatusCode::BAD_REQUEST, "<p>Unknown account</p>".into());
    }
    let code = w.new_code(account, scopes.clone(), redirect.as_str(), now);
    redirect
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("scopes", &scopes.join(","))
        .append_pair("state", st);
    found(redirect.as_str())
}

fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.to_owned())]).into_response()
}
