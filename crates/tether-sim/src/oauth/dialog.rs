//! The OAuth dialog as two plain HTML steps (no JavaScript, every input labelled, stable names):
//!
//! 1. `GET /dialog/oauth?client_id&redirect_uri&…` — choose the person (`<select name="user">`,
//!    submitted with GET). Real Facebook takes the person from the browser session; here the tester
//!    picks. `user=ID` or `as_user=ID` on the URL skips to step 2.
//! 2. `GET /dialog/oauth?…&user=ID` — the consent form: `perm`, `page` and `instagram` checkboxes,
//!    `action=allow|cancel`, POSTed with every dialog parameter in hidden inputs.
//!
//! The POST records the choice in the person's grant and redirects with a code (or the
//! `access_denied` error) to `redirect_uri`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::SignedDuration;

use super::{PendingCode, param};
use crate::push::{self, Delivery};
use crate::state::{Inner, SimState};
use crate::world::{App, Grant, Permission, PermissionStatus, TokenState, World};

/// Re-login renews data access for 90 days (docs/PLATFORMS.md 1.1).
const DATA_ACCESS: SignedDuration = SignedDuration::from_hours(90 * 24);

/// The dialog's parameters, checked the way Facebook checks them before showing anything.
struct Dialog {
    client_id: String,
    redirect_uri: url::Url,
    redirect_text: String,
    state: Option<String>,
    scope_text: Option<String>,
    /// Requested permissions, `public_profile` first, each once.
    scopes: Vec<String>,
    response_type: Option<String>,
    auth_type: Option<String>,
}

fn all<'a>(params: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    params
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

impl Dialog {
    /// `Err` is the message of the error page (HTTP 400, no redirect).
    fn parse(app: &App, params: &[(String, String)]) -> Result<Dialog, String> {
        let client_id = match param(params, "client_id") {
            None => return Err("Invalid App ID: the client_id parameter is missing.".into()),
            Some(id) if id != app.id => {
                return Err(format!(
                    "Invalid App ID: {id:?} is not the ID of an app on this platform."
                ));
            }
            Some(id) => id.to_string(),
        };
        let blocked = "URL blocked: This redirect failed because the redirect URI is not whitelisted in the app's Client OAuth Settings. Make sure Client and Web OAuth Login are on and add all your app domains as Valid OAuth Redirect URIs.";
        let Some(redirect_text) = param(params, "redirect_uri") else {
            return Err(format!("{blocked} (redirect_uri is missing)"));
        };
        let redirect_uri = match url::Url::parse(redirect_text) {
            Ok(u) if app.redirect_allowed(redirect_text) => u,
            _ => return Err(format!("{blocked} (redirect_uri: {redirect_text})")),
        };
        let response_type = param(params, "response_type").map(str::to_string);
        if let Some(rt) = response_type.as_deref().filter(|rt| *rt != "code") {
            return Err(format!(
                "Unsupported response_type {rt:?}: the simulator serves response_type=code only."
            ));
        }
        let scope_text = param(params, "scope").map(str::to_string);
        let mut scopes = vec!["public_profile".to_string()];
        for s in scope_text
            .as_deref()
            .unwrap_or("")
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
        {
            if !scopes.iter().any(|x| x == s) {
                scopes.push(s.to_string());
            }
        }
        Ok(Dialog {
            client_id,
            redirect_text: redirect_text.to_string(),
            redirect_uri,
            state: param(params, "state").map(str::to_string),
            scope_text,
            scopes,
            response_type,
            auth_type: param(params, "auth_type").map(str::to_string),
        })
    }

    fn rerequest(&self) -> bool {
        self.auth_type.as_deref() == Some("rerequest")
    }

    /// The dialog parameters, in the order they are carried along.
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", self.redirect_text.as_str()),
        ];
        let optional = [
            ("state", &self.state),
            ("scope", &self.scope_text),
            ("response_type", &self.response_type),
            ("auth_type", &self.auth_type),
        ];
        for (name, value) in optional {
            if let Some(v) = value {
                out.push((name, v.as_str()));
            }
        }
        out
    }

    fn hidden_inputs(&self) -> String {
        self.pairs()
            .iter()
            .map(|(n, v)| hidden(n, v))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn location(&self, extra: &[(&str, &str)]) -> String {
        let mut url = self.redirect_uri.clone();
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in extra {
                q.append_pair(k, v);
            }
            if let Some(s) = &self.state {
                q.append_pair("state", s);
            }
        }
        url.to_string()
    }

    fn cancel_location(&self) -> String {
        self.location(&[
            ("error", "access_denied"),
            ("error_code", "200"),
            ("error_description", "Permissions error"),
            ("error_reason", "user_denied"),
        ])
    }
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn hidden(name: &str, value: &str) -> String {
    format!(
        r#"<input type="hidden" name="{}" value="{}">"#,
        esc(name),
        esc(value)
    )
}

fn checkbox(name: &str, value: &str, label: &str, id: &str) -> String {
    format!(
        r#"<p><input type="checkbox" id="{id}" name="{name}" value="{value}" checked> <label for="{id}">{label}</label></p>"#,
        id = esc(id),
        name = esc(name),
        value = esc(value),
        label = label,
    )
}

fn html_page(status: StatusCode, title: &str, body: &str) -> Response {
    let text = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n{body}\n</body>\n</html>\n",
        esc(title)
    );
    let mut resp = (status, text).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

fn error_page(message: &str) -> Response {
    let body = format!(
        "<h1>Sorry, something went wrong</h1>\n<p id=\"error\">{}</p>",
        esc(message)
    );
    html_page(StatusCode::BAD_REQUEST, "Error", &body)
}

fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => {
            let mut resp = StatusCode::FOUND.into_response();
            resp.headers_mut().insert(header::LOCATION, v);
            resp
        }
        Err(_) => error_page("The redirect_uri cannot be used in a Location header."),
    }
}

pub fn get(state: &SimState, action: &str, params: &[(String, String)]) -> Response {
    let mut g = state.lock();
    g.stats.dialog_requests += 1;
    let d = match Dialog::parse(&g.world.app, params) {
        Ok(d) => d,
        Err(message) => return error_page(&message),
    };
    let chosen = param(params, "user").or_else(|| param(params, "as_user"));
    let world = &g.world;
    match chosen {
        Some(id) if world.users.contains_key(id) => consent_step(world, &d, action, id),
        Some(id) => person_step(world, &d, action, Some(id)),
        None => person_step(world, &d, action, None),
    }
}

fn requested_list(d: &Dialog) -> String {
    d.scopes
        .iter()
        .map(|s| format!("<li>{}</li>", esc(s)))
        .collect::<Vec<_>>()
        .join("")
}

/// Step 1: choose the person.
fn person_step(world: &World, d: &Dialog, action: &str, unknown: Option<&str>) -> Response {
    let app = esc(&world.app.name);
    let notice = unknown.map_or(String::new(), |id| {
        format!(
            "<p id=\"notice\">No person with id {} in this world: choose one below.</p>\n",
            esc(id)
        )
    });
    let options: String = world
        .users
        .values()
        .map(|u| {
            format!(
                r#"<option value="{}">{} ({})</option>"#,
                esc(&u.id),
                esc(&u.name),
                esc(&u.id)
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let body = format!(
        r#"<h1>Log in to {app}</h1>
{notice}<p>{app} asks for:</p>
<ul id="requested">{requested}</ul>
<form method="get" action="{action}">
{hidden}
<p><label for="user">Continue as</label>
<select id="user" name="user">
{options}
</select></p>
<p><button type="submit">Next</button></p>
</form>
<form method="post" action="{action}">
{hidden}
<p><button type="submit" name="action" value="cancel">Cancel</button></p>
</form>"#,
        requested = requested_list(d),
        action = esc(action),
        hidden = d.hidden_inputs(),
    );
    html_page(
        StatusCode::OK,
        &format!("Log in to {}", world.app.name),
        &body,
    )
}

/// `(id, label)` of a Page or Instagram account the person can select.
type Choice = (String, String);

/// The Pages a person can choose (those they hold a task on) and the Instagram accounts linked
/// to them, in world order.
fn choices(world: &World, user: &str) -> (Vec<Choice>, Vec<Choice>) {
    let mut pages = Vec::new();
    let mut igs = Vec::new();
    for p in world.pages_of(user) {
        pages.push((p.id.clone(), p.name.clone()));
        if let Some(ig) = p.instagram.as_deref().and_then(|i| world.instagram.get(i)) {
            let kind = if ig.professional {
                ""
            } else {
                ", personal account"
            };
            igs.push((ig.id.clone(), format!("@{}{kind}", ig.username)));
        }
    }
    (pages, igs)
}

/// Whether a permission is not asked again: declined before, and the app did not re-request.
fn not_asked(grant: Option<&Grant>, d: &Dialog, name: &str) -> bool {
    !d.rerequest()
        && grant
            .and_then(|g| g.permission(name))
            .is_some_and(|p| p.status == PermissionStatus::Declined)
}

/// Step 2: the consent form for one person.
fn consent_step(world: &World, d: &Dialog, action: &str, user: &str) -> Response {
    let app = esc(&world.app.name);
    let name = world.users.get(user).map_or(user, |u| u.name.as_str());
    let grant = world.grant(user);
    let mut perms = vec![
        r#"<p><input type="checkbox" id="perm-public_profile" checked disabled> <label for="perm-public_profile">public_profile (always granted)</label></p>"#.to_string(),
    ];
    let mut skipped = Vec::new();
    for s in d.scopes.iter().filter(|s| *s != "public_profile") {
        if not_asked(grant, d, s) {
            skipped.push(format!("<li>{}</li>", esc(s)));
        } else {
            perms.push(checkbox("perm", s, &esc(s), &format!("perm-{s}")));
        }
    }
    let skipped_html = if skipped.is_empty() {
        String::new()
    } else {
        format!(
            r#"<fieldset id="not-asked"><legend>Not asked again</legend>
<p>You declined these before. Facebook does not ask for a declined permission again unless the app asks with auth_type=rerequest, so they stay declined:</p>
<ul>{}</ul></fieldset>"#,
            skipped.join("")
        )
    };
    let (pages, igs) = choices(world, user);
    let wants = |prefix: &str| d.scopes.iter().any(|s| s.starts_with(prefix));
    let section = |id: &str, legend: &str, field: &str, items: &[Choice]| {
        let boxes: String = items
            .iter()
            .map(|(v, label)| {
                checkbox(
                    field,
                    v,
                    &format!("{} ({})", esc(label), esc(v)),
                    &format!("{field}-{v}"),
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        format!("<fieldset id=\"{id}\"><legend>{legend}</legend>\n{boxes}\n</fieldset>")
    };
    let pages_html = if wants("pages_") && !pages.is_empty() {
        section("pages", "Choose the Pages", "page", &pages)
    } else {
        String::new()
    };
    let igs_html = if wants("instagram_") && !igs.is_empty() {
        section(
            "instagram",
            "Choose the Instagram accounts",
            "instagram",
            &igs,
        )
    } else {
        String::new()
    };
    let mut back = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in d.pairs() {
        back.append_pair(k, v);
    }
    let body = format!(
        r#"<h1>{app} wants to connect</h1>
<form method="post" action="{action}">
{hidden}
{user_input}
<p>Continue as <strong>{name}</strong> (<a href="{action}?{back}">not you?</a>)</p>
<fieldset id="permissions"><legend>Choose what you allow</legend>
{perms}
</fieldset>
{skipped_html}
{pages_html}
{igs_html}
<p><button type="submit" name="action" value="allow">Continue</button>
<button type="submit" name="action" value="cancel">Cancel</button></p>
</form>"#,
        action = esc(action),
        hidden = d.hidden_inputs(),
        user_input = hidden("user", user),
        name = esc(name),
        back = esc(&back.finish()),
        perms = perms.join("\n"),
    );
    html_page(
        StatusCode::OK,
        &format!("{} wants to connect", world.app.name),
        &body,
    )
}

pub async fn post(state: &SimState, params: &[(String, String)]) -> Response {
    let (location, deliveries) = {
        let mut g = state.lock();
        g.stats.dialog_requests += 1;
        let d = match Dialog::parse(&g.world.app, params) {
            Ok(d) => d,
            Err(message) => return error_page(&message),
        };
        match param(params, "action") {
            Some("cancel") => return redirect(&d.cancel_location()),
            Some("allow") => {}
            _ => return error_page("The form must send action=allow or action=cancel."),
        }
        let Some(user) = param(params, "user").filter(|u| g.world.users.contains_key(*u)) else {
            return error_page("Choose a person of this world (the form field user).");
        };
        allow(&mut g, &d, user, params)
    };
    push::deliver(state, deliveries).await;
    redirect(&location)
}

fn set_permission(
    grant: &mut Grant,
    name: &str,
    status: PermissionStatus,
    targets: Option<Vec<String>>,
) {
    match grant.permissions.iter_mut().find(|p| p.name == name) {
        Some(p) => {
            p.status = status;
            p.target_ids = targets;
        }
        None => grant.permissions.push(Permission {
            name: name.to_string(),
            status,
            target_ids: targets,
        }),
    }
}

/// Records the person's choice and issues a code: ticked permissions granted (Page and Instagram
/// permissions for the selected assets), unticked ones declined, others untouched.
fn allow(
    inner: &mut Inner,
    d: &Dialog,
    user: &str,
    params: &[(String, String)],
) -> (String, Vec<Delivery>) {
    let now = inner.clock.now();
    let ticked = all(params, "perm");
    let picked_pages = all(params, "page");
    let picked_igs = all(params, "instagram");
    let (pages, igs) = choices(&inner.world, user);
    let pages: Vec<String> = pages
        .into_iter()
        .map(|(id, _)| id)
        .filter(|id| picked_pages.contains(&id.as_str()))
        .collect();
    let igs: Vec<String> = igs
        .into_iter()
        .map(|(id, _)| id)
        .filter(|id| picked_igs.contains(&id.as_str()))
        .collect();
    let before = inner.world.grant(user).cloned();
    let installed = inner.world.users.get(user).is_some_and(|u| u.app_installed);
    let connects = !installed || before.is_none();
    let skip: Vec<bool> = d
        .scopes
        .iter()
        .map(|s| not_asked(before.as_ref(), d, s))
        .collect();
    let grant = inner.world.grant_entry(user);
    for (name, skip) in d.scopes.iter().zip(skip) {
        if name == "public_profile" {
            set_permission(grant, name, PermissionStatus::Granted, None);
        } else if skip {
            continue;
        } else if ticked.contains(&name.as_str()) {
            // Facebook records the selection itself, even when every asset was selected.
            let targets = if name.starts_with("pages_") {
                Some(pages.clone())
            } else if name.starts_with("instagram_") {
                Some(igs.clone())
            } else {
                None
            };
            set_permission(grant, name, PermissionStatus::Granted, targets);
        } else {
            set_permission(grant, name, PermissionStatus::Declined, None);
        }
    }
    if !installed {
        // Tokens from before the removal stay dead (458) after the re-install.
        for t in inner.world.tokens.values_mut().filter(|t| t.user == user) {
            if t.state == TokenState::Valid {
                t.state = TokenState::AppRemoved;
            }
        }
    }
    if let Some(u) = inner.world.users.get_mut(user) {
        u.app_installed = true;
        if let Ok(until) = now.checked_add(DATA_ACCESS) {
            u.data_access_expires_at = until;
        }
    }
    let mut changes = Vec::new();
    if connects {
        changes.push(push::connected_change());
    }
    changes.extend(push::grant_changes(
        before.as_ref(),
        inner.world.grant(user),
    ));
    let deliveries = push::permissions_webhook(inner, user, changes)
        .into_iter()
        .collect();
    let code = inner.codes.issue(PendingCode {
        client_id: d.client_id.clone(),
        redirect_uri: d.redirect_text.clone(),
        user: user.to_string(),
        issued_at: now,
        used: false,
        auth_type: d.auth_type.clone(),
    });
    (d.location(&[("code", &code)]), deliveries)
}
