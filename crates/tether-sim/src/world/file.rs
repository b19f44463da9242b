//! The TOML world file: its serde shape, relative times ("60d", "-1d", "never") and the checks
//! that turn a file into a [`World`] or an error naming the problem.

use std::collections::{BTreeMap, HashSet};

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use super::{
    App, ClockSpec, Grant, Group, Instagram, KNOWN_TASKS, Page, Parts, Permission,
    PermissionStatus, Token, TokenKind, TokenState, User, World,
};

#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("{origin}: not a valid world file: {message}")]
    Syntax { origin: String, message: String },
    #[error("{origin}: {kind} id {id:?} is declared twice")]
    Duplicate {
        origin: String,
        kind: &'static str,
        id: String,
    },
    #[error("{origin}: {from} refers to {kind} {id:?}, which the world does not declare")]
    UnknownReference {
        origin: String,
        from: String,
        kind: &'static str,
        id: String,
    },
    #[error("{origin}: {field} = {value:?} is invalid: expected {expected}")]
    BadValue {
        origin: String,
        field: String,
        value: String,
        expected: &'static str,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorldFile {
    app: AppFile,
    #[serde(default)]
    clock: ClockFile,
    max_page_size: Option<usize>,
    #[serde(default)]
    users: Vec<UserFile>,
    #[serde(default)]
    tokens: Vec<TokenFile>,
    #[serde(default)]
    pages: Vec<PageFile>,
    #[serde(default)]
    instagram: Vec<InstagramFile>,
    #[serde(default)]
    groups: Vec<GroupFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppFile {
    id: String,
    name: String,
    secret: String,
    require_appsecret_proof: Option<bool>,
    #[serde(default)]
    redirect_uris: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ClockFile {
    start: Option<String>,
    frozen: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFile {
    id: String,
    name: String,
    data_access_expires_at: Option<String>,
    data_access_expires_in: Option<String>,
    app_installed: Option<bool>,
    #[serde(default)]
    checkpoint: bool,
    #[serde(default)]
    unconfirmed: bool,
    grant: Option<GrantFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantFile {
    #[serde(default)]
    granted: Vec<String>,
    #[serde(default)]
    declined: Vec<String>,
    #[serde(default)]
    expired: Vec<String>,
    #[serde(default)]
    target_ids: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFile {
    token: String,
    user: String,
    kind: Option<String>,
    page: Option<String>,
    issued_at: Option<String>,
    expires_at: Option<String>,
    expires_in: Option<String>,
    state: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageFile {
    id: String,
    name: String,
    category: Option<String>,
    instagram: Option<String>,
    #[serde(default)]
    tasks: BTreeMap<String, TasksFile>,
}

/// A person's access on a Page: a task list, or a classic role name as shorthand.
#[derive(Deserialize)]
#[serde(untagged)]
enum TasksFile {
    Role(String),
    Tasks(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InstagramFile {
    id: String,
    username: String,
    professional: Option<bool>,
    #[serde(default)]
    product_tag_eligible: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupFile {
    id: String,
    name: String,
}

/// Parses `"90d"`, `"-1d"`, `"12h"`, `"30m"`, `"45s"`. `None` when the text is not such a duration.
pub(crate) fn parse_duration(text: &str) -> Option<SignedDuration> {
    let t = text.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let unit = t.chars().last()?;
    let n: i64 = t[..t.len() - unit.len_utf8()].parse().ok()?;
    let secs = match unit {
        's' => n,
        'm' => n.checked_mul(60)?,
        'h' => n.checked_mul(3_600)?,
        'd' => n.checked_mul(86_400)?,
        _ => return None,
    };
    Some(SignedDuration::from_secs(if neg { -secs } else { secs }))
}

/// Classic Page roles → the tasks the API reports for them (docs/PLATFORMS.md 1.4).
fn role_tasks(role: &str) -> Option<Vec<String>> {
    let tasks: &[&str] = match role {
        "admin" => super::ALL_TASKS,
        "editor" => &[
            "ANALYZE",
            "ADVERTISE",
            "MESSAGING",
            "MODERATE",
            "CREATE_CONTENT",
        ],
        "moderator" => &["ANALYZE", "ADVERTISE", "MESSAGING", "MODERATE"],
        "advertiser" => &["ANALYZE", "ADVERTISE"],
        "analyst" => &["ANALYZE"],
        _ => return None,
    };
    Some(tasks.iter().map(|t| t.to_string()).collect())
}

struct Ctx<'a> {
    origin: &'a str,
    start: Timestamp,
}

impl Ctx<'_> {
    fn bad(&self, field: String, value: &str, expected: &'static str) -> WorldError {
        WorldError::BadValue {
            origin: self.origin.to_string(),
            field,
            value: value.to_string(),
            expected,
        }
    }

    fn unknown(&self, from: String, kind: &'static str, id: &str) -> WorldError {
        WorldError::UnknownReference {
            origin: self.origin.to_string(),
            from,
            kind,
            id: id.to_string(),
        }
    }

    fn dup(&self, kind: &'static str, id: &str) -> WorldError {
        WorldError::Duplicate {
            origin: self.origin.to_string(),
            kind,
            id: id.to_string(),
        }
    }

    /// An instant written as RFC 3339 or as a duration relative to the clock start.
    fn instant(&self, field: String, text: &str) -> Result<Timestamp, WorldError> {
        if let Ok(ts) = text.parse::<Timestamp>() {
            return Ok(ts);
        }
        parse_duration(text)
            .and_then(|d| self.start.checked_add(d).ok())
            .ok_or_else(|| {
                self.bad(
                    field,
                    text,
                    "an RFC 3339 time or a duration from the clock start like \"-3d\"",
                )
            })
    }

    fn offset(&self, field: String, text: &str) -> Result<Timestamp, WorldError> {
        parse_duration(text)
            .and_then(|d| self.start.checked_add(d).ok())
            .ok_or_else(|| self.bad(field, text, "a duration like \"60d\", \"-1d\" or \"12h\""))
    }
}

pub(super) fn parse(text: &str, origin: &str, real_now: Timestamp) -> Result<World, WorldError> {
    let file: WorldFile = toml::from_str(text).map_err(|e| WorldError::Syntax {
        origin: origin.to_string(),
        message: e.to_string(),
    })?;
    let start = match &file.clock.start {
        None => real_now,
        Some(s) => s.parse::<Timestamp>().map_err(|_| WorldError::BadValue {
            origin: origin.to_string(),
            field: "clock.start".into(),
            value: s.clone(),
            expected: "an RFC 3339 time like \"2026-11-22T09:00:00Z\"",
        })?,
    };
    let cx = Ctx { origin, start };
    let max_page_size = file.max_page_size.unwrap_or(100);
    if max_page_size == 0 {
        return Err(cx.bad("max_page_size".into(), "0", "a positive number"));
    }
    let app = App {
        id: file.app.id,
        name: file.app.name,
        secret: file.app.secret,
        require_appsecret_proof: file.app.require_appsecret_proof.unwrap_or(true),
        redirect_uris: file.app.redirect_uris,
    };
    let mut parts = Parts::default();

    for g in file.groups {
        if parts.groups.contains_key(&g.id) {
            return Err(cx.dup("group", &g.id));
        }
        parts.groups.insert(
            g.id.clone(),
            Group {
                id: g.id,
                name: g.name,
            },
        );
    }
    for ig in file.instagram {
        if parts.instagram.contains_key(&ig.id) {
            return Err(cx.dup("instagram account", &ig.id));
        }
        parts.instagram.insert(
            ig.id.clone(),
            Instagram {
                id: ig.id,
                username: ig.username,
                professional: ig.professional.unwrap_or(true),
                product_tag_eligible: ig.product_tag_eligible,
            },
        );
    }

    let mut grant_files = Vec::new();
    for u in file.users {
        if parts.users.contains_key(&u.id) {
            return Err(cx.dup("user", &u.id));
        }
        let field = |name: &str| format!("users[{}].{name}", u.id);
        let data_access_expires_at = match (&u.data_access_expires_at, &u.data_access_expires_in) {
            (Some(at), None) => cx.instant(field("data_access_expires_at"), at)?,
            (None, Some(d)) => cx.offset(field("data_access_expires_in"), d)?,
            (None, None) => start + SignedDuration::from_hours(90 * 24),
            (Some(at), Some(_)) => {
                return Err(cx.bad(
                    field("data_access_expires_at"),
                    at,
                    "either data_access_expires_at or data_access_expires_in, not both",
                ));
            }
        };
        if let Some(g) = u.grant {
            grant_files.push((u.id.clone(), g));
        }
        parts.users.insert(
            u.id.clone(),
            User {
                id: u.id,
                name: u.name,
                data_access_expires_at,
                app_installed: u.app_installed.unwrap_or(true),
                checkpoint: u.checkpoint,
                unconfirmed: u.unconfirmed,
            },
        );
    }

    let mut pages_seen = HashSet::new();
    for p in file.pages {
        if !pages_seen.insert(p.id.clone()) {
            return Err(cx.dup("page", &p.id));
        }
        if let Some(ig) = &p.instagram {
            if !parts.instagram.contains_key(ig) {
                return Err(cx.unknown(
                    format!("pages[{}].instagram", p.id),
                    "instagram account",
                    ig,
                ));
            }
            if parts
                .pages
                .iter()
                .any(|q| q.instagram.as_deref() == Some(ig))
            {
                return Err(cx.bad(
                    format!("pages[{}].instagram", p.id),
                    ig,
                    "an Instagram account linked to no other Page",
                ));
            }
        }
        let mut tasks = BTreeMap::new();
        for (user, t) in p.tasks {
            let field = format!("pages[{}].tasks.{user}", p.id);
            if !parts.users.contains_key(&user) {
                return Err(cx.unknown(field, "user", &user));
            }
            let list = match t {
                TasksFile::Role(role) => role_tasks(&role).ok_or_else(|| {
                    cx.bad(
                        field.clone(),
                        &role,
                        "a task list or one of admin, editor, moderator, advertiser, analyst",
                    )
                })?,
                TasksFile::Tasks(list) => {
                    if let Some(bad) = list.iter().find(|t| !KNOWN_TASKS.contains(&t.as_str())) {
                        return Err(cx.bad(
                            field,
                            bad,
                            "a Page task: MANAGE, CREATE_CONTENT, MODERATE, MESSAGING, ADVERTISE, ANALYZE",
                        ));
                    }
                    list
                }
            };
            if !list.is_empty() {
                tasks.insert(user, list);
            }
        }
        parts.pages.push(Page {
            id: p.id,
            name: p.name,
            category: p.category.unwrap_or_else(|| "Brand".into()),
            tasks,
            instagram: p.instagram,
        });
    }

    for (user, g) in grant_files {
        let grant = build_grant(&cx, &parts, &user, &app.id, g)?;
        parts.grants.insert((user, app.id.clone()), grant);
    }

    for t in file.tokens {
        if parts.tokens.contains_key(&t.token) {
            // The token string is not printed: name its owner instead.
            return Err(cx.dup("token (of user)", &t.user));
        }
        let token = build_token(&cx, &parts, &app.id, t)?;
        parts.tokens.insert(token.token.clone(), token);
    }

    let clock = ClockSpec {
        start,
        frozen: file.clock.frozen.unwrap_or(false),
    };
    Ok(World::assemble(app, clock, max_page_size, parts))
}

fn build_grant(
    cx: &Ctx,
    parts: &Parts,
    user: &str,
    app_id: &str,
    g: GrantFile,
) -> Result<Grant, WorldError> {
    let mut permissions: Vec<Permission> = Vec::new();
    for (list, status) in [
        (g.granted, PermissionStatus::Granted),
        (g.declined, PermissionStatus::Declined),
        (g.expired, PermissionStatus::Expired),
    ] {
        for name in list {
            if permissions.iter().any(|p| p.name == name) {
                return Err(cx.bad(
                    format!("users[{user}].grant"),
                    &name,
                    "each permission listed once across granted, declined and expired",
                ));
            }
            permissions.push(Permission {
                name,
                status,
                target_ids: None,
            });
        }
    }
    for (name, ids) in g.target_ids {
        let field = format!("users[{user}].grant.target_ids.{name}");
        let Some(p) = permissions.iter_mut().find(|p| p.name == name) else {
            return Err(cx.bad(
                field,
                &name,
                "target_ids only for a permission listed in the grant",
            ));
        };
        for id in &ids {
            let known = parts.pages.iter().any(|p| &p.id == id)
                || parts.instagram.contains_key(id)
                || parts.groups.contains_key(id);
            if !known {
                return Err(cx.unknown(field.clone(), "page, instagram account or group", id));
            }
        }
        p.target_ids = Some(ids);
    }
    Ok(Grant {
        user: user.to_string(),
        app_id: app_id.to_string(),
        permissions,
    })
}

fn build_token(cx: &Ctx, parts: &Parts, app_id: &str, t: TokenFile) -> Result<Token, WorldError> {
    let who = format!("tokens[user={}]", t.user);
    if t.token.is_empty() || t.token.contains('|') || t.token.chars().any(char::is_whitespace) {
        return Err(cx.bad(
            format!("{who}.token"),
            "<hidden>",
            "a non-empty token without spaces or '|' (app tokens are derived from [app])",
        ));
    }
    if !parts.users.contains_key(&t.user) {
        return Err(cx.unknown(format!("{who}.user"), "user", &t.user));
    }
    let kind = match (t.kind.as_deref().unwrap_or("user"), t.page) {
        ("user", None) => TokenKind::User,
        ("page", Some(page)) => {
            if !parts.pages.iter().any(|p| p.id == page) {
                return Err(cx.unknown(format!("{who}.page"), "page", &page));
            }
            TokenKind::Page { page }
        }
        ("user", Some(page)) => {
            return Err(cx.bad(
                format!("{who}.page"),
                &page,
                "no page on a user token (kind = \"page\")",
            ));
        }
        ("page", None) => {
            return Err(cx.bad(
                format!("{who}.kind"),
                "page",
                "a page = \"<page id>\" with kind = \"page\"",
            ));
        }
        (other, _) => return Err(cx.bad(format!("{who}.kind"), other, "\"user\" or \"page\"")),
    };
    let issued_at = match &t.issued_at {
        Some(s) => cx.instant(format!("{who}.issued_at"), s)?,
        None => cx.start,
    };
    let expires_at = match (&t.expires_at, &t.expires_in) {
        (Some(_), Some(_)) => {
            return Err(cx.bad(
                format!("{who}.expires_at"),
                "both",
                "either expires_at or expires_in, not both",
            ));
        }
        (Some(s), None) if s == "never" => None,
        (Some(s), None) => Some(cx.instant(format!("{who}.expires_at"), s)?),
        (None, Some(s)) if s == "never" => None,
        (None, Some(s)) => Some(cx.offset(format!("{who}.expires_in"), s)?),
        // Long-lived user tokens last about 60 days (docs/PLATFORMS.md 1.1).
        (None, None) => Some(issued_at + SignedDuration::from_hours(60 * 24)),
    };
    let state = match t.state.as_deref().unwrap_or("valid") {
        "valid" => TokenState::Valid,
        "password_changed" => TokenState::PasswordChanged,
        "invalidated" => TokenState::Invalidated,
        "logged_out" => TokenState::LoggedOut,
        "app_removed" => TokenState::AppRemoved,
        other => {
            return Err(cx.bad(
                format!("{who}.state"),
                other,
                "valid, password_changed (460), invalidated (466), logged_out (467) or app_removed (458)",
            ));
        }
    };
    Ok(Token {
        token: t.token,
        user: t.user,
        app_id: app_id.to_string(),
        kind,
        issued_at,
        expires_at,
        state,
        auth_type: None,
    })
}
