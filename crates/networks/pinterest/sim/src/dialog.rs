//! The authorization dialog (`www.pinterest.com/oauth/`): the person picks which account they
//! log in as and allows or cancels.
//!
//! Pinterest's real screen has no switch per scope: a person allows everything the app asked for.
//! The switches here stand for an app that asked for less than its features need (an older
//! deployment), which is how a Pinterest login ends up without a scope. Form fields: `account`,
//! one `scope` per switch left on, `decision=allow|deny`.
//!
//! Cancel sends `error=access_denied` back with the state: RFC 6749 4.1.2.1's word. No Pinterest
//! document or recording of its denial redirect was found (fixtures/pinterest/SOURCES.md gaps):
//! unconfirmed.

use crate::state::{APP_ID, SCOPES, Shared};
use axum::http::{Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

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
    (status, Html(format!("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Pinterest (simulated)</title></head><body>{body}</body></html>"))).into_response()
}

/// Scopes as the dialog takes them: comma-separated (Pinterest's documented form), spaces
/// accepted too.
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
    if get(params, "client_id") != Some(APP_ID) {
        return page(
            StatusCode::BAD_REQUEST,
            "<p>Something went wrong: this app could not be found (client_id).</p>".into(),
        );
    }
    let Some(redirect) = get(params, "redirect_uri").and_then(|r| url::Url::parse(r).ok()) else {
        return page(
            StatusCode::BAD_REQUEST,
            "<p>Something went wrong: the redirect_uri is not registered for this app.</p>".into(),
        );
    };
    let st = get(params, "state").unwrap_or("").to_owned();
    if *method == Method::POST {
        return answer(state, params, redirect, &st);
    }
    if get(params, "response_type") != Some("code") {
        return page(
            StatusCode::BAD_REQUEST,
            "<p>response_type must be code</p>".into(),
        );
    }
    let asked = split_scopes(get(params, "scope").unwrap_or(""));
    // An unknown scope: how Pinterest refuses it is unconfirmed; the sim shows an error page.
    if let Some(bad) = asked.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return page(
            StatusCode::BAD_REQUEST,
            format!("<p>Invalid scope: {}</p>", escape(bad)),
        );
    }
    let w = state.lock();
    let accounts: String = w
        .accounts
        .values()
        .enumerate()
        .map(|(i, a)| {
            format!(
                "<label><input type=\"radio\" name=\"account\" value=\"{}\"{}> {}</label><br>",
                escape(&a.id),
                if i == 0 { " checked" } else { "" },
                escape(a.business_name.as_deref().unwrap_or(&a.username)),
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
            "<form method=\"post\" action=\"\"><input type=\"hidden\" name=\"client_id\" value=\"{APP_ID}\">\
             <input type=\"hidden\" name=\"redirect_uri\" value=\"{}\">\
             <input type=\"hidden\" name=\"state\" value=\"{}\">\
             <fieldset><legend>Log in as</legend>{accounts}</fieldset>\
             <fieldset><legend>This app wants to</legend>{scopes}</fieldset>\
             <button name=\"decision\" value=\"allow\">Give access</button>\
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
            .append_pair("state", st);
        return found(redirect.as_str());
    }
    let Some(account) = get(params, "account") else {
        return page(
            StatusCode::BAD_REQUEST,
            "<p>Choose the account to log in as</p>".into(),
        );
    };
    let scopes: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| split_scopes(v))
        .filter(|s| SCOPES.contains(&s.as_str()))
        .fold(Vec::new(), |mut out, s| {
            if !out.contains(&s) {
                out.push(s);
            }
            out
        });
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
    found(redirect.as_str())
}

fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.to_owned())]).into_response()
}
