//! The words the dashboard shows for the vocabulary: statuses, owners, features, networks, and
//! each finding as a line a social media manager can act on. Labels for permissions, tasks and
//! features come from the catalog and remedies data, so they change with the data.

use jiff::Timestamp;
use std::sync::OnceLock;
use tether_core::remedies::RemedyContext;
use tether_core::{
    Action, AssetKind, Catalog, Feature, Finding, FindingCode, Network, Owner, Remedies, Status,
};

/// The built-in remedy texts of Meta, parsed once: the words of counts and filters that span
/// every login (actions that name no network).
pub fn remedies() -> Option<&'static Remedies> {
    remedies_for(Network::Meta)
}

/// A network's own remedy texts.
pub fn remedies_for(n: Network) -> Option<&'static Remedies> {
    builtin(n).map(|c| &c.remedies)
}

/// Every network's built-in catalog, loaded once: the words a network's data gives it.
fn catalogs() -> &'static [Catalog] {
    static ALL: OnceLock<Vec<Catalog>> = OnceLock::new();
    ALL.get_or_init(|| {
        Catalog::builtin_networks()
            .into_iter()
            .filter_map(|n| Catalog::builtin(n).ok())
            .collect()
    })
}

fn builtin(n: Network) -> Option<&'static Catalog> {
    catalogs().iter().find(|c| c.network == n)
}

/// A permission's or a task's definition, in whichever network's data names it (names never
/// collide across networks: `pages_*` are Meta's, `instagram_business_*` Instagram Login's).
fn permission_def(p: &str) -> Option<&'static tether_core::catalog::PermissionDef> {
    catalogs().iter().find_map(|c| c.permission(p))
}

fn task_def(t: &str) -> Option<&'static tether_core::catalog::TaskDef> {
    catalogs().iter().find_map(|c| c.task(t))
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

/// Who must act, named for the agency user reading: the person who connected by their name.
pub fn owner(o: Owner, person: &str) -> String {
    match o {
        Owner::ConnectingUser => format!("{person} (who connected)"),
        Owner::AssetAdmin => "A Page admin".to_owned(),
        Owner::BusinessAdmin => "A Business Manager admin".to_owned(),
        Owner::AccountOwner => "The account's owner".to_owned(),
        Owner::AppOwner => "The app's developers".to_owned(),
        Owner::Platform => "Nobody: the platform no longer offers it".to_owned(),
    }
}

/// For the "who must act" filter.
pub fn owner_short(o: Owner) -> &'static str {
    match o {
        Owner::ConnectingUser => "The person who connected",
        Owner::AssetAdmin => "A Page admin",
        Owner::BusinessAdmin => "A Business admin",
        Owner::AccountOwner => "The account owner",
        Owner::AppOwner => "The app's developers",
        Owner::Platform => "Nobody (unsupported)",
    }
}

/// "3 people must log in again".
pub fn action_count(a: Action, n: u64) -> String {
    remedies()
        .map(|r| r.action_count(a, n))
        .unwrap_or_else(|| format!("{n} × {a}"))
}

/// For the "what to do" filter: the fix in a few words, for nobody in particular.
pub fn action_short(a: Action) -> String {
    remedies()
        .map(|r| r.action(a).short.clone())
        .unwrap_or_else(|| a.to_string())
}

/// What one account needs, who must do it: "A Page admin of Riverside Gym must give Carla Reyes
/// “Content”". `asset` is the account's name and kind (none for a login's own findings).
pub fn todo(
    f: &Finding,
    person: &str,
    network: Network,
    asset: Option<(&str, AssetKind)>,
) -> String {
    todo_with(f, person, network, asset, false)
}

/// The same for one fix covering several findings, which are listed under it.
pub fn todo_many(
    f: &Finding,
    person: &str,
    network: Network,
    asset: Option<(&str, AssetKind)>,
) -> String {
    todo_with(f, person, network, asset, true)
}

/// The words of the network the login is on: its own remedies and actions, so an Instagram
/// Login person is never told to log in to Facebook.
fn todo_with(
    f: &Finding,
    person: &str,
    network: Network,
    asset: Option<(&str, AssetKind)>,
    many: bool,
) -> String {
    let catalog = builtin(network);
    let asset_name = asset.map(|(n, _)| n);
    // Access comes from the linked Page only where the network's data says so.
    let linked = asset
        .filter(|(_, k)| {
            catalog
                .and_then(|c| c.asset_kind(*k))
                .is_some_and(|d| d.tasks_from_linked_page)
        })
        .map(|(n, _)| format!("the Page linked to {n}"));
    let cx = RemedyContext {
        permission: f.permission.as_deref(),
        permission_label: f
            .permission
            .as_deref()
            .and_then(|p| catalog.and_then(|c| c.permission(p)))
            .and_then(|d| d.label.as_deref()),
        task: f.task.as_deref(),
        task_label: Some(task_label(f)),
        asset_name,
        page_name: linked.as_deref().or(asset_name),
        until: f.until.map(date),
        features: &f.features,
        person: Some(person),
    };
    match (catalog.map(|c| &c.remedies), many) {
        (Some(r), false) => r.action_row(f.code.action(), &cx),
        (Some(r), true) => r.action_group(f.code.action(), &cx),
        (None, _) => f.remedy.summary.clone(),
    }
}

/// An account condition as a person reads it.
pub fn condition(c: tether_core::Condition) -> &'static str {
    match c {
        tether_core::Condition::InstagramLinked => "Linked to a Facebook Page",
        tether_core::Condition::InstagramProfessional => {
            "A professional (business or creator) account"
        }
        tether_core::Condition::InstagramProductTagEligible => {
            "Approved for shopping (product tags)"
        }
    }
}

/// The Page access a task finding asks for, as a Page admin sees it: "Content", or for a choice
/// "Content or Full control".
pub fn task_label(f: &Finding) -> String {
    let list: Vec<&String> = if f.tasks_any.is_empty() {
        f.task.iter().chain(f.role.iter()).collect()
    } else {
        f.tasks_any.iter().collect()
    };
    let labels: Vec<String> = list
        .iter()
        .map(|t| {
            task_def(t)
                .map(|d| d.label.clone())
                .unwrap_or_else(|| (*t).clone())
        })
        .collect();
    if labels.is_empty() {
        "the needed access".to_owned()
    } else {
        labels.join(" or ")
    }
}

pub fn feature(f: Feature) -> String {
    let label = remedies()
        .map(|r| r.feature_label(f).to_owned())
        .unwrap_or_else(|| f.as_str().replace('_', " "));
    capitalise(&label)
}

/// A feature as one network names it ("Publishing Pins" on Pinterest), for a page about one
/// account or login; [`feature`] is the name read across networks.
pub fn feature_on(f: Feature, network: Network) -> String {
    capitalise(&label_on(f, network))
}

/// A feature inside a sentence, as the network's words write it there ("Page analytics" keeps
/// its capital).
pub fn label_on(f: Feature, network: Network) -> String {
    remedies_for(network).map_or_else(
        || feature(f).to_lowercase(),
        |r| r.feature_label(f).to_owned(),
    )
}

pub fn features_on(fs: &[Feature], network: Network) -> String {
    fs.iter()
        .map(|f| label_on(*f, network))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn network(n: Network) -> &'static str {
    builtin(n).map_or(n.as_str(), |c| c.label.as_str())
}

/// A login as people name it: "Carla Reyes's Facebook login".
pub fn login_name(login: &tether_store::Login) -> String {
    format!("{}'s {} login", login.person_name, network(login.network))
}

pub fn kind(k: AssetKind) -> &'static str {
    catalogs()
        .iter()
        .find_map(|c| c.asset_kind(k).map(|d| d.label.as_str()))
        .unwrap_or(k.as_str())
}

/// A Page task as a Page admin sees it in Page access: “Content”.
pub fn task(t: &str) -> String {
    task_def(t)
        .map(|d| format!("“{}”", d.label))
        .unwrap_or_else(|| t.to_owned())
}

/// A permission as the network's "choose what you allow" screen shows it.
pub fn permission(p: &str) -> String {
    permission_def(p)
        .and_then(|d| d.label.clone())
        .map(|l| format!("“{l}”"))
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

/// "in 37 days", for when something ends.
pub fn until(t: Timestamp, now: Timestamp) -> String {
    let secs = t.duration_since(now).as_secs();
    let (n, unit) = match secs {
        s if s <= 0 => return "now".to_owned(),
        0..3600 => ((secs / 60).max(1), "minute"),
        3600..86400 => (secs / 3600, "hour"),
        _ => (secs / 86400, "day"),
    };
    format!("in {n} {unit}{}", if n == 1 { "" } else { "s" })
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit} ago")
    } else {
        format!("{n} {unit}s ago")
    }
}

pub fn capitalise(s: &str) -> String {
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
    /// What is missing or wrong, in a few words ("Missing Page access “Content”").
    pub title: String,
    /// The finding's code and subject, for support: small secondary text, never in emails.
    pub code: String,
    pub owner: &'static str,
    pub owner_word: String,
    pub breaks: String,
    /// The platform's error as it sent it, for support.
    pub raw_error: Option<String>,
    /// When a dated finding takes effect.
    pub until: Option<String>,
}

impl FindingView {
    /// `person` is the name of whoever connected the login, on `net`.
    pub fn new(f: &Finding, person: &str, net: Network) -> FindingView {
        let title = match f.code {
            FindingCode::TaskMissing => format!("Missing Page access “{}”", task_label(f)),
            FindingCode::PermissionDeclined => format!("Permission switched off: {}", perm(f)),
            FindingCode::PermissionMissing => format!("Permission not granted: {}", perm(f)),
            FindingCode::PermissionExpired => format!("Permission expired: {}", perm(f)),
            FindingCode::PermissionNotGrantedForAsset => {
                format!("Not ticked for this account when connecting: {}", perm(f))
            }
            FindingCode::RoleMissing => format!("Missing role “{}”", task_label(f)),
            FindingCode::TokenExpired => "The login expired".to_owned(),
            FindingCode::TokenInvalidated => {
                "The login stopped working (password changed or session ended)".to_owned()
            }
            FindingCode::AppRemoved => {
                format!("The app was removed from the {} account", network(net))
            }
            FindingCode::CheckpointRequired => {
                format!("{} asks for a security check", network(net))
            }
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
            FindingCode::ApiVersionRetiring => {
                format!("The {} API version the app uses ends soon", network(net))
            }
            FindingCode::ApiVersionRetired => {
                format!("{} no longer serves the app's API version", network(net))
            }
            FindingCode::ScopeRetired => "A permission the app used was retired".to_owned(),
            FindingCode::ReconnectForNewScope => "Reconnect to allow a new permission".to_owned(),
            FindingCode::PlatformUnsupported => "The platform no longer offers this".to_owned(),
            FindingCode::AccountRestricted => "The account is restricted".to_owned(),
            FindingCode::DisconnectedInTether => "Disconnected in Tether".to_owned(),
        };
        let subject = f
            .permission
            .as_deref()
            .or(f.task.as_deref())
            .or(f.role.as_deref());
        FindingView {
            title,
            code: match subject {
                Some(s) => format!("{} · {s}", f.code),
                None => f.code.to_string(),
            },
            owner: f.owner.as_str(),
            owner_word: owner(f.owner, person),
            breaks: features_on(&f.features, net),
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
