//! The authorize dialog (`www.instagram.com/oauth/authorize`): the person picks the account they
//! log in as and may switch off any scope the app asked for; Cancel sends the documented
//! `error=access_denied` back. Its form fields are what `tether_instagram_sim`'s README and the
//! tests answer: `account`, one `scope` per switch left on, `decision=allow|deny`.

use crate::state::{APP_ID, Shared};
use axum::http::{Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// The scopes the dialog offers today; the retired `business_*` names are refused, as the real
/// dialog refuses them since 2025-01-27 (docs/PLATFORMS-2.md 1.2).
pub(crate) const OFFERED: &[&str] = &[
    "instagram_business_basic",
    "instagram_business_content_publish",
    "instagram_business_manage_comments",
    "instagram_business_manage_messages",
    "instagram_business_manage_insights",
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
    (status, Html(format!("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Instagram (simulated)</title></head><body>{body}</body></html>"))).into_response()
}

pub fn handle(state: &Shared, method: &Method, params: &[(String, String)]) -> Response {
    if get(params, "client_id") != Some(APP_ID) {
        return page(StatusCode::BAD_REQUEST, "<p>Invalid app ID</p>".into());
    }
    let Some(redirect) = get(params, "redirect_uri").and_then(|r| url::Url::parse(r).ok()) else {
        return page(
            StatusCode::BAD_REQUEST,
            "<p>Invalid redirect_uri</p>".into(),
        );
    };
    let state_param = get(params, "state").unwrap_or("");
    if *method == Method::POST {
        return answer(state, params, redirect, state_param);
    }
    let asked: Vec<&str> = get(params, "scope")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(bad) = asked.iter().find(|s| !OFFERED.contains(s)) {
        return page(
            StatusCode::BAD_REQUEST,
            format!("<p>Invalid Scopes: {}</p>", escape(bad)),
        );
    }
    if !asked.contains(&"instagram_business_basic") {
        return page(
            StatusCode::BAD_REQUEST,
            "<p>instagram_business_basic is required</p>".into(),
        );
    }
    let w = state.lock();
    let accounts: String = w
        .accounts
        .values()
        .enumerate()
        .map(|(i, a)| {
            format!(
                "<label><input type=\"radio\" name=\"account\" value=\"{}\"{}> {} ({})</label><br>",
                escape(&a.id),
                if i == 0 { " checked" } else { "" },
                escape(&a.username),
                escape(&a.account_type)
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
            "<form method=\"post\" action=\"authorize\"><input type=\"hidden\" name=\"client_id\" value=\"{APP_ID}\">\
             <input type=\"hidden\" name=\"redirect_uri\" value=\"{}\">\
             <input type=\"hidden\" name=\"state\" value=\"{}\">\
             <fieldset><legend>Log in as</legend>{accounts}</fieldset>\
             <fieldset><legend>Allow access to</legend>{scopes}</fieldset>\
             <button name=\"decision\" value=\"allow\">Allow</button>\
             <button name=\"decision\" value=\"deny\">Cancel</button></form>",
            escape(redirect.as_str()),
            escape(state_param)
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
            .append_pair("error_reason", "user_denied")
            .append_pair("error_description", "The user denied your request")
            .append_pair("state", st);
        return found(redirect.as_str());
    }
    let Some(account) = get(params, "account") else {
        return page(StatusCode::BAD_REQUEST, "<p>Choose an account</p>".into());
    };
    // The form posts to its address without the query, so only the switches left on count.
    let form_scopes: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|s| OFFERED.contains(s))
        .map(str::to_owned)
        .collect();
    let mut scopes: Vec<String> = Vec::new();
    for s in form_scopes {
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    let now = state.now();
    let mut w = state.lock();
    if !w.accounts.contains_key(account) {
        return page(StatusCode::BAD_REQUEST, "<p>Unknown account</p>".into());
    }
    let code = w.new_code(account, scopes, redirect.as_str(), now);
    redirect
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", st);
    // "strip trailing #_" (docs/PLATFORMS-2.md 1.1): the real dialog appends it.
    found(&format!("{redirect}#_"))
}

fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.to_owned())]).into_response()
}
