//! Workspace settings, for its owner: the profile (which features the product uses) and the
//! warning window for expiring logins, webhook endpoints with a test event and the delivery log,
//! API keys, and the people who may sign in. Secrets (a new key, an endpoint's signing secret, an
//! invitation link) are shown once, in the response to the form that created them.

use super::words;
use super::{Chrome, DashError, DashResult, Flash, Member, PathId, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use jiff::SignedDuration;
use secrecy::ExposeSecret;
use serde::Deserialize;
use tether_core::{Catalog, Profile};
use tether_store::{ApiKeyId, EndpointId, Role, Store, UserId, WorkspaceId};

/// How long an invitation link works.
const INVITE_TTL: SignedDuration = SignedDuration::from_hours(72);

pub struct ProfileChoice {
    pub name: String,
    pub features: String,
    /// The profile's name as people read it.
    pub label: String,
    pub selected: bool,
}

pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub description: String,
    pub created: String,
}

pub struct KeyRow {
    pub id: String,
    pub prefix: String,
    pub created: String,
    pub revoked: Option<String>,
}

pub struct MemberRow {
    pub id: String,
    pub email: String,
    pub role: &'static str,
    pub state: String,
    pub me: bool,
}

/// A secret to show once, with what it is for.
pub struct Revealed {
    pub what: String,
    pub value: String,
    pub hint: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    pub chrome: Chrome,
    pub workspace: String,
    pub profiles: Vec<ProfileChoice>,
    pub warning_days: u32,
    pub warning_is_default: bool,
    pub endpoints: Vec<EndpointRow>,
    pub deliveries: Vec<super::deliveries::DeliveryRow>,
    pub keys: Vec<KeyRow>,
    pub members: Vec<MemberRow>,
    pub revealed: Option<Revealed>,
    pub mail: super::email::MailForm,
}

/// `GET /app/settings`
pub async fn page(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
) -> DashResult<Response> {
    member.require_owner("change the workspace's settings")?;
    show(&s, &member, &headers, None).await
}

async fn show(
    s: &AppState,
    member: &Member,
    headers: &HeaderMap,
    revealed: Option<Revealed>,
) -> DashResult<Response> {
    let ws = member.ws();
    let workspace = s
        .store
        .get_workspace(ws)
        .await?
        .ok_or(DashError::NotFound)?;
    let catalog = &s.checker.catalog;
    let current = workspace
        .profile
        .clone()
        .unwrap_or_else(|| s.checker.profile.name.clone());
    let mut names: Vec<String> = Profile::builtin_names()
        .into_iter()
        .map(str::to_owned)
        .collect();
    names.push("all".to_owned());
    if !names.contains(&s.checker.profile.name) {
        names.insert(0, s.checker.profile.name.clone());
    }
    let profiles = names
        .iter()
        .filter_map(|n| profile_named(s, catalog, n).map(|p| (n, p)))
        .map(|(n, p)| ProfileChoice {
            name: n.clone(),
            label: profile_label(n),
            features: p
                .features(catalog)
                .iter()
                .map(|f| words::feature(*f))
                .collect::<Vec<_>>()
                .join(", "),
            selected: *n == current,
        })
        .collect();
    let effective = s.checker.judge(&workspace)?;
    let endpoints = s.store.list_endpoints(ws).await?;
    let deliveries = super::deliveries::log(s, ws, &endpoints, 30).await?;
    let endpoints = endpoints
        .into_iter()
        .map(|e| EndpointRow {
            id: e.id.to_string(),
            url: e.url,
            description: e.description,
            created: words::date(e.created_at),
        })
        .collect();
    let keys = s
        .store
        .list_api_keys(ws)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            id: k.id.to_string(),
            prefix: k.prefix,
            created: words::date_time(k.created_at),
            revoked: k.revoked_at.map(words::date_time),
        })
        .collect();
    let now = s.clock.now();
    let members = s
        .store
        .list_users(ws)
        .await?
        .into_iter()
        .map(|u| MemberRow {
            id: u.id.to_string(),
            me: u.id == member.user.id,
            state: if u.active {
                "Active".to_owned()
            } else {
                match u.invite_expires_at {
                    Some(t) if t > now => {
                        format!("Invited, link valid until {}", words::date_time(t))
                    }
                    _ => "Invitation expired".to_owned(),
                }
            },
            email: u.email,
            role: super::session::role_word(u.role),
        })
        .collect();
    let page = SettingsPage {
        chrome: Chrome::new(member, headers, "settings"),
        workspace: workspace.name,
        profiles,
        warning_days: (effective.engine.warning_window().as_hours() / 24) as u32,
        warning_is_default: workspace.warning_days.is_none(),
        endpoints,
        deliveries,
        keys,
        members,
        revealed,
        mail: super::email::form(s, member).await?,
    };
    render(&page, &page.chrome)
}

/// A profile's name for people: a built-in name capitalised, a file's name without its path.
fn profile_label(name: &str) -> String {
    let stem = std::path::Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(name);
    match stem {
        "all" | "default" => "Every feature".to_owned(),
        other => words::capitalise(other),
    }
}

fn profile_named(s: &AppState, catalog: &Catalog, name: &str) -> Option<Profile> {
    if name == s.checker.profile.name {
        return Some(s.checker.profile.clone());
    }
    s.checker.workspace_profile(catalog, name).ok()
}

#[derive(Deserialize)]
pub struct ProfileForm {
    profile: String,
    warning_days: String,
}

/// `POST /app/settings`: saves the profile and warning window, then re-judges every login of the
/// workspace from what is stored (no platform calls), so the overview agrees at once.
pub async fn save_profile(
    State(s): State<AppState>,
    member: Member,
    Form(f): Form<ProfileForm>,
) -> DashResult<Response> {
    member.require_owner("change the workspace's settings")?;
    let ws = member.ws();
    if profile_named(&s, &s.checker.catalog, &f.profile).is_none() {
        return Err(DashError::BadRequest(format!(
            "There is no profile called “{}”.",
            f.profile
        )));
    }
    let days: u32 = f
        .warning_days
        .trim()
        .parse()
        .ok()
        .filter(|d| (1..=365).contains(d))
        .ok_or_else(|| {
            DashError::BadRequest(format!(
                "The warning window must be a whole number of days from 1 to 365, not “{}”.",
                f.warning_days
            ))
        })?;
    let profile = (f.profile != s.checker.profile.name).then_some(f.profile.as_str());
    if !s
        .store
        .update_workspace_settings(ws, profile, Some(days))
        .await?
    {
        return Err(DashError::NotFound);
    }
    let changed = rejudge(&s, ws).await?;
    Ok(Flash::ok(format!(
        "Saved: profile “{}”, warnings {days} days before an expiry. {changed} status change{} from the new settings.",
        f.profile,
        if changed == 1 { "" } else { "s" }
    ))
    .redirect("/app/settings"))
}

async fn rejudge(s: &AppState, ws: WorkspaceId) -> DashResult<usize> {
    let mut changes = 0;
    for login in s.store.list_logins(ws).await? {
        if login.disconnected_at.is_some() {
            continue;
        }
        if let Some(t) = crate::check::rediagnose(s, &login, |_, _| {}).await? {
            changes += t.len();
        }
    }
    Ok(changes)
}

#[derive(Deserialize)]
pub struct EndpointForm {
    url: String,
    #[serde(default)]
    description: String,
}

/// `POST /app/settings/endpoints`
pub async fn add_endpoint(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
    Form(f): Form<EndpointForm>,
) -> DashResult<Response> {
    member.require_owner("add webhook endpoints")?;
    let url = crate::service::endpoint_url(&s, f.url.trim())
        .await
        .map_err(DashError::from)?;
    let (endpoint, secret) = s
        .store
        .create_endpoint(
            member.ws(),
            url.as_str(),
            f.description.trim(),
            s.clock.now(),
        )
        .await?;
    let revealed = Revealed {
        what: format!("Signing secret for {}", endpoint.url),
        value: secret.expose_secret().to_owned(),
        hint: "Copy it now: it is shown only once. Your receiver checks each delivery's webhook-signature header with it (Standard Webhooks).".into(),
    };
    show(&s, &member, &headers, Some(revealed)).await
}

/// `POST /app/settings/endpoints/{id}/delete`
pub async fn delete_endpoint(
    State(s): State<AppState>,
    member: Member,
    PathId(id): PathId,
) -> DashResult<Response> {
    member.require_owner("remove webhook endpoints")?;
    let id = EndpointId(id);
    if !s.store.delete_endpoint(member.ws(), id).await? {
        return Err(DashError::NotFound);
    }
    Ok(Flash::ok("Endpoint removed; it gets no more events.").redirect("/app/settings#webhooks"))
}

/// `POST /app/settings/endpoints/{id}/test`: sends a `ping` event to this endpoint now and says
/// how it went; it is in the delivery log like any event.
pub async fn test_endpoint(
    State(s): State<AppState>,
    member: Member,
    PathId(id): PathId,
) -> DashResult<Response> {
    member.require_owner("send test events")?;
    let ws = member.ws();
    let id = EndpointId(id);
    let payload = serde_json::json!({
        "message": "A test event from Tether's dashboard. Nothing changed.",
        "sent_by": member.user.email,
    });
    if !s
        .store
        .enqueue_event_for(ws, id, "ping", &payload, s.clock.now())
        .await?
    {
        return Err(DashError::NotFound);
    }
    crate::delivery::deliver_endpoint(&s, id)
        .await
        .map_err(DashError::Internal)?;
    let last = s
        .store
        .list_deliveries(ws, Some(id), 1)
        .await?
        .into_iter()
        .next();
    let flash = match last {
        Some(d) if d.delivered_at.is_some() => Flash::ok(format!(
            "Test event delivered{}.",
            d.last_status
                .map(|c| format!(": the endpoint answered HTTP {c}"))
                .unwrap_or_default()
        )),
        Some(d) => Flash::problem(format!(
            "The test event was not accepted: {}. It will be retried like any event.",
            d.last_error.unwrap_or_else(|| "no answer".into())
        )),
        None => Flash::problem("The test event could not be queued."),
    };
    Ok(flash.redirect("/app/settings#webhooks"))
}

/// `POST /app/settings/keys`
pub async fn create_key(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
) -> DashResult<Response> {
    member.require_owner("create API keys")?;
    let key = s.store.create_api_key(member.ws(), s.clock.now()).await?;
    let revealed = Revealed {
        what: format!("New API key {}", key.prefix),
        value: key.secret.expose_secret().to_owned(),
        hint: "Copy it now: it is shown only once. Send it as `Authorization: Bearer <key>`."
            .into(),
    };
    show(&s, &member, &headers, Some(revealed)).await
}

/// `POST /app/settings/keys/{id}/revoke`
pub async fn revoke_key(
    State(s): State<AppState>,
    member: Member,
    PathId(id): PathId,
) -> DashResult<Response> {
    member.require_owner("revoke API keys")?;
    let id = ApiKeyId(id);
    if !s
        .store
        .revoke_api_key(member.ws(), id, s.clock.now())
        .await?
    {
        return Err(DashError::NotFound);
    }
    // Verified keys are cached; this process forgets them at once.
    s.keys.clear();
    Ok(
        Flash::ok("Key revoked: requests with it are refused from now on.")
            .redirect("/app/settings#keys"),
    )
}

#[derive(Deserialize)]
pub struct InviteForm {
    email: String,
    role: String,
}

/// `POST /app/settings/members`: invites someone; the link is shown once, to send them.
pub async fn invite_member(
    State(s): State<AppState>,
    member: Member,
    headers: HeaderMap,
    Form(f): Form<InviteForm>,
) -> DashResult<Response> {
    member.require_owner("invite people")?;
    let email = f.email.trim();
    if !email.contains('@') || email.len() > 254 || email.contains(char::is_whitespace) {
        return Err(DashError::BadRequest(format!(
            "“{email}” is not an email address."
        )));
    }
    let role: Role = f
        .role
        .parse()
        .map_err(|_| DashError::BadRequest(format!("There is no role called “{}”.", f.role)))?;
    let now = s.clock.now();
    // Someone who already signs in to another workspace joins this one too: one sign-in, a
    // switch between them, no second password.
    match s
        .store
        .add_existing_user(member.ws(), email, role, now)
        .await
    {
        Ok(Some(user)) => {
            return Ok(Flash::ok(format!(
                "{} already uses Tether: they now see this workspace too, as {}, under “All workspaces”.",
                user.email,
                super::session::role_word(role).to_lowercase()
            ))
            .redirect("/app/settings#members"));
        }
        Ok(None) => {}
        Err(tether_store::StoreError::Duplicate { .. }) => {
            return Err(DashError::BadRequest(format!(
                "{email} is already in this workspace."
            )));
        }
        Err(e) => return Err(e.into()),
    }
    let expires_at = now.saturating_add(INVITE_TTL).unwrap_or(now);
    let (user, secret) = match s
        .store
        .invite_user(member.ws(), email, role, expires_at, now)
        .await
    {
        Ok(x) => x,
        Err(tether_store::StoreError::Duplicate { .. }) => {
            return Err(DashError::BadRequest(format!(
                "{email} has a pending invitation to another workspace; once they accept it, invite them here again."
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let link = s
        .config
        .url(&format!("app/invite/{}", secret.expose_secret()));
    let revealed = Revealed {
        what: format!(
            "Invitation link for {} ({})",
            user.email,
            super::session::role_word(role)
        ),
        value: link.to_string(),
        hint: format!(
            "Send it to them: it lets them choose a password and works once, until {}.{}",
            words::date_time(expires_at),
            // Inviting a pending person again replaces their link (the store keeps one).
            if user.created_at < now {
                " The link sent to them before no longer works."
            } else {
                ""
            }
        ),
    };
    show(&s, &member, &headers, Some(revealed)).await
}

/// `POST /app/settings/members/{id}/remove`
pub async fn remove_member(
    State(s): State<AppState>,
    member: Member,
    PathId(id): PathId,
) -> DashResult<Response> {
    member.require_owner("remove people")?;
    let id = UserId(id);
    if id == member.user.id {
        return Err(DashError::BadRequest(
            "You cannot remove yourself. Make someone else an owner and ask them to remove you."
                .into(),
        ));
    }
    if !s.store.delete_user(member.ws(), id).await? {
        return Err(DashError::NotFound);
    }
    Ok(
        Flash::ok("Removed: they are signed out and cannot sign in again.")
            .redirect("/app/settings#members"),
    )
}
