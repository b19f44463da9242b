//! The words the dashboard shows for the vocabulary: statuses, owners, features, networks, and
//! each finding as a line a social media manager can act on. Labels for permissions, tasks and
//! features come from the catalog and remedies data, so they change with the data.

use jiff::Timestamp;
use std::sync::OnceLock;
use tether_core::{
    AssetKind, Catalog, Feature, Finding, FindingCode, Network, Owner, Remedies, Status,
};

/// The built-in remedy texts, parsed once.
pub fn remedies() -> Option<&'static Remedies> {
    static R: OnceLock<Option<Remedies>> = OnceLock::new();
    R.get_or_init(|| Remedies::builtin().ok()).as_ref()
}

fn catalog() -> Option<&'static Catalog> {
    static C: OnceLock<Option<Catalog>> = OnceLock::new();
    C.get_or_init(|| Catalog::builtin().ok()).as_ref()
}

pub fn status(s: Status) -> &'static str {
    match s {
        Status::Connected => "Connected",
        Status::AtRisk => "At risk",
        Status::ActionRequired => "Action required",
        Status::Disconnected => "Disconnected",
        Status::Pending => "Pending",
        Status::Unsupported => "Unsupported",
    }
}

/// Who must act, as the subject of "… must act".
pub fn owner(o: Owner) -> &'static str {
    match o {
        Owner::ConnectingUser => "You (the person who connected)",
        Owner::AssetAdmin => "A Page admin",
        Owner::BusinessAdmin => "A Business Manager admin",
        Owner::AccountOwner => "The account's owner",
        Owner::AppOwner => "The app's developers",
        Owner::Platform => "Nobody: the platform no longer offers it",
    }
}

/// "4 need your action", "2 need a Page admin" …
pub fn owner_count(o: Owner, n: u64) -> String {
    let verb = if n == 1 { "needs" } else { "need" };
    match o {
        Owner::ConnectingUser => format!("{n} {verb} your action"),
        Owner::AssetAdmin => format!("{n} {verb} a Page admin"),
        Owner::BusinessAdmin => format!("{n} {verb} a Business Manager admin"),
        Owner::AccountOwner => format!("{n} {verb} the account's owner"),
        Owner::AppOwner => format!("{n} {verb} the app's developers"),
        Owner::Platform => format!("{n} no longer supported by the platform"),
    }
}

/// For the "who must act" filter.
pub fn owner_short(o: Owner) -> &'static str {
    match o {
        Owner::ConnectingUser => "You (who connected)",
        Owner::AssetAdmin => "A Page admin",
        Owner::BusinessAdmin => "A Business admin",
        Owner::AccountOwner => "The account owner",
        Owner::AppOwner => "The app's developers",
        Owner::Platform => "The platform",
    }
}

pub fn feature(f: Feature) -> String {
    let label = remedies()
        .map(|r| r.feature_label(f).to_owned())
        .unwrap_or_else(|| f.as_str().replace('_', " "));
    capitalise(&label)
}

pub fn features(fs: &[Feature]) -> String {
    fs.iter()
        .map(|f| feature(*f).to_lowercase())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn network(n: Network) -> &'static str {
    match n {
        Network::Meta => "Facebook",
        Network::Instagram => "Instagram",
        Network::Linkedin => "LinkedIn",
        Network::Pinterest => "Pinterest",
        Network::Tiktok => "TikTok",
    }
}

pub fn kind(k: AssetKind) -> &'static str {
    match k {
        AssetKind::FacebookPage => "Facebook Page",
        AssetKind::InstagramAccount => "Instagram account",
        AssetKind::FacebookGroup => "Facebook group",
        AssetKind::LinkedinOrganization => "LinkedIn page",
        AssetKind::PinterestAccount => "Pinterest account",
        AssetKind::TiktokAccount => "TikTok account",
    }
}

pub fn task(t: &str) -> String {
    catalog()
        .and_then(|c| c.task(t))
        .map(|d| format!("“{}” ({t})", d.label))
        .unwrap_or_else(|| t.to_owned())
}

pub fn permission(p: &str) -> String {
    catalog()
        .and_then(|c| c.permission(p))
        .and_then(|d| d.label.clone())
        .map(|l| format!("“{l}” ({p})"))
        .unwrap_or_else(|| p.to_owned())
}

/// A date people read: "22 Nov 2026".
pub fn date(t: Timestamp) -> String {
    t.strftime("%-d %b %Y").to_string()
}

pub fn date_time(t: Timestamp) -> String {
    t.strftime("%-d %b %Y, %H:%M UTC").to_string()
}

/// "3 hours ago", for when something was last verified.
pub fn ago(t: Timestamp, now: Timestamp) -> String {
    let secs = now.duration_since(t).as_secs();
    if secs < 0 {
        return date_time(t);
    }
    match secs {
        0..60 => "just now".to_owned(),
        60..3600 => plural(secs / 60, "minute"),
        3600..86400 => plural(secs / 3600, "hour"),
        _ if secs < 30 * 86400 => plural(secs / 86400, "day"),
        _ => date(t),
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit} ago")
    } else {
        format!("{n} {unit}s ago")
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub fn query_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// One finding as the dashboard shows it.
pub struct FindingView {
    /// What is missing or wrong, in a few words ("Missing Page task “Content” (CREATE_CONTENT)").
    pub title: String,
    pub owner: &'static str,
    pub owner_word: &'static str,
    pub breaks: String,
    pub summary: String,
    pub steps: Vec<String>,
    pub link: Option<String>,
    /// The platform's error as it sent it, for support.
    pub raw_error: Option<String>,
    /// When a dated finding takes effect.
    pub until: Option<String>,
}

impl FindingView {
    pub fn new(f: &Finding) -> FindingView {
        let title = match f.code {
            FindingCode::TaskMissing => match (&f.task, f.tasks_any.is_empty()) {
                (Some(t), _) => format!("Missing Page task {}", task(t)),
                (None, false) => format!(
                    "Missing Page task: one of {}",
                    f.tasks_any
                        .iter()
                        .map(|t| task(t))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
                _ => "Missing Page task".to_owned(),
            },
            FindingCode::PermissionDeclined => {
                format!("Permission declined: {}", perm(f))
            }
            FindingCode::PermissionMissing => format!("Permission not granted: {}", perm(f)),
            FindingCode::PermissionExpired => format!("Permission expired: {}", perm(f)),
            FindingCode::PermissionNotGrantedForAsset => {
                format!("Permission not given for this account: {}", perm(f))
            }
            FindingCode::RoleMissing => format!(
                "Missing role{}",
                f.role
                    .as_deref()
                    .map(|r| format!(" {r}"))
                    .unwrap_or_default()
            ),
            FindingCode::TokenExpired => "The login expired".to_owned(),
            FindingCode::TokenInvalidated => {
                "The login stopped working (password changed or session ended)".to_owned()
            }
            FindingCode::AppRemoved => "The app was removed from the Facebook account".to_owned(),
            FindingCode::CheckpointRequired => "Facebook asks for a security check".to_owned(),
            FindingCode::DataAccessExpired => "Data access expired".to_owned(),
            FindingCode::TokenExpiring => "The login expires soon".to_owned(),
            FindingCode::DataAccessExpiring => "Data access expires soon".to_owned(),
            FindingCode::AssetAccessLost => "Access to this account was lost".to_owned(),
            FindingCode::InstagramNotProfessional => {
                "The Instagram account is not a professional account".to_owned()
            }
            FindingCode::InstagramNotLinked => {
                "No Instagram account is linked to the Page".to_owned()
            }
            FindingCode::InstagramShoppingIneligible => {
                "The Instagram account cannot tag products".to_owned()
            }
            FindingCode::AppFeatureMissing => "The app lacks access to this feature".to_owned(),
            FindingCode::ScopeRetired => "A permission the app used was retired".to_owned(),
            FindingCode::ReconnectForNewScope => "Reconnect to allow a new permission".to_owned(),
            FindingCode::PlatformUnsupported => "The platform no longer offers this".to_owned(),
            FindingCode::AccountRestricted => "The account is restricted".to_owned(),
            FindingCode::DisconnectedInTether => "Disconnected in Tether".to_owned(),
        };
        FindingView {
            title,
            owner: f.owner.as_str(),
            owner_word: owner(f.owner),
            breaks: features(&f.features),
            summary: f.remedy.summary.clone(),
            steps: f.remedy.steps.clone(),
            link: f.remedy.link.clone(),
            raw_error: f
                .platform_error
                .as_ref()
                .map(|e| serde_json::to_string(e).unwrap_or_else(|_| format!("{e:?}"))),
            until: f.until.map(date),
        }
    }
}

fn perm(f: &Finding) -> String {
    f.permission
        .as_deref()
        .map(permission)
        .unwrap_or_else(|| "a permission".to_owned())
}
