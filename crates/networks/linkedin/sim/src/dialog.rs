//! The authorization dialog (`www.linkedin.com/oauth/v2/authorization`): the member picks who
//! they sign in as and allows or cancels; Cancel sends `error=user_cancelled_authorize` back.
//!
//! LinkedIn's real screen has no switch per scope: a member allows everything the app asked for.
//! The switches here stand for an app that asked for less than its features need (an older
//! deployment, or a product not yet approved for a scope), which is how a LinkedIn login ends up
//! without a scope. Form fields: `member`, one `scope` per switch left on,
//! `decision=allow|deny`.

use crate::state::{APP_ID, Shared};
use axum::http::{Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// The scopes this app may ask for (docs/PLATFORMS.md 2.1); another is refused the way LinkedIn
/// refuses a scope the app's products do not grant.
pub(crate) const OFFERED: &[&str] = &[
    "r_basicprofile",
    "w_member_social",
    "r_organization_social",
    "w_organization_social",
    "r_organization_admin",
    "rw_organization_admin",
    "r_ads",
    "rw_ads",
    "r_marketing_leadgen_automation",
    "openid",
    "profile",
    "email",
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
    (status, Html(format!("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>LinkedIn (simulated)</title></head><body>{body}</body></html>"))).into_response()
}

/// Scopes as LinkedIn takes them: space-separated (URL-encoded), commas accepted too.
pub(crate) fn split_scopes(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in s.split([' ', ',']).map(str::trim).filter(|s| !s.is_empty()) {
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
            "<p>The application could not be found (invalid client_id).</p>".into(),
        );
    }
    let Some(mut redirect) = get(params, "redirect_uri").and_then(|r| url::Url::parse(r).ok())
    else {
        return page(
            StatusCode::BAD_REQUEST,
            "<p>The redirect_uri does not match the registered value</p>".into(),
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
    if let Some(bad) = asked.iter().find(|s| !OFFERED.contains(&s.as_str())) {
        redirect
            .query_pairs_mut()
            .append_pair("error", "unauthorized_scope_error")
            .append_pair(
                "error_description",
                &format!("Scope \"{bad}\" is not authorized for your application"),
            )
            .append_pair("state", &st);
        return found(redirect.as_str());
    }
    let w = state.lock();
    let members: String = w
        .members
        .values()
        .enumerate()
        .map(|(i, m)| {
            format!(
                "<label><input type=\"radio\" name=\"member\" value=\"{}\"{}> {} {}</label><br>",
                escape(&m.id),
                if i == 0 { " checked" } else { "" },
                escape(&m.first_name),
                escape(&m.last_name)
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
            "<form method=\"post\" action=\"authorization\"><input type=\"hidden\" name=\"client_id\" value=\"{APP_ID}\">\
             <input type=\"hidden\" name=\"redirect_uri\" value=\"{}\">\
             <input type=\"hidden\" name=\"state\" value=\"{}\">\
             <fieldset><legend>Sign in as</legend>{members}</fieldset>\
             <fieldset><legend>This app will be able to</legend>{scopes}</fieldset>\
             <button name=\"decision\" value=\"allow\">Allow</button>\
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
            .append_pair("error", "user_cancelled_authorize")
            .append_pair("error_description", "The user cancelled the authorization")
            .append_pair("state", st);
        return found(redirect.as_str());
    }
    let Some(member) = get(params, "member") else {
        return page(StatusCode::BAD_REQUEST, "<p>Choose who signs in</p>".into());
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
    if !w.members.contains_key(member) {
        return page(StatusCode::BAD_REQUEST, "<p>Unknown member</p>".into());
    }
    let code = w.new_code(member, scopes, redirect.as_str(), now);
    redirect
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", st);
    found(redirect.as_str())
}

fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.to_owned())]).into_response()
}
