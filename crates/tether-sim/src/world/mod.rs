//! The simulated platform's state: one app, people, their grants and tokens, Pages, Instagram
//! accounts and groups. Loaded from a TOML world file (see `file.rs`), changed by the admin API.
//!
//! Grants are kept per (person, app) and tokens point at a person and an app, never at a copy of
//! the permissions: a token's scopes are read from the grant when asked, so a later OAuth dialog
//! only has to create grants and mint tokens.

mod file;
mod synthetic;

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use serde::Serialize;

pub use file::WorldError;

/// The page tasks the Graph API is known to return (docs/PLATFORMS.md 1.4). The last three are seen in
/// public code but not documented; they are accepted so worlds can carry them.
pub const KNOWN_TASKS: &[&str] = &[
    "MANAGE",
    "CREATE_CONTENT",
    "MODERATE",
    "MESSAGING",
    "ADVERTISE",
    "ANALYZE",
    "MANAGE_LEADS",
    "PROFILE_PLUS_ANALYZE",
    "PROFILE_PLUS_FULL_CONTROL",
];

/// Every task a Page admin holds, in the order the API lists them.
pub const ALL_TASKS: &[&str] = &[
    "ANALYZE",
    "ADVERTISE",
    "MESSAGING",
    "MODERATE",
    "CREATE_CONTENT",
    "MANAGE",
];

#[derive(Debug, Clone, Serialize)]
pub struct App {
    pub id: String,
    pub name: String,
    pub secret: String,
    pub require_appsecret_proof: bool,
    /// Where the OAuth dialog may send people back: exact URIs, or a prefix ending in `*`
    /// (a simulator extension, so tests on random ports can register `http://127.0.0.1:*`).
    pub redirect_uris: Vec<String>,
}

impl App {
    /// Whether the dialog may redirect to `uri`: an exact entry, or a `*`-terminated prefix.
    pub fn redirect_allowed(&self, uri: &str) -> bool {
        self.redirect_uris
            .iter()
            .any(|entry| match entry.strip_suffix('*') {
                Some(prefix) => uri.starts_with(prefix),
                None => entry == uri,
            })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ClockSpec {
    pub start: Timestamp,
    /// A frozen clock only moves through the admin API: outputs are reproducible.
    pub frozen: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub data_access_expires_at: Timestamp,
    pub app_installed: bool,
    pub checkpoint: bool,
    pub unconfirmed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionStatus {
    Granted,
    Declined,
    Expired,
}

impl PermissionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::Declined => "declined",
            Self::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Permission {
    pub name: String,
    pub status: PermissionStatus,
    /// `None`: not restricted to assets. `Some`: only these Page / IG / group ids.
    pub target_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    pub user: String,
    pub app_id: String,
    pub permissions: Vec<Permission>,
}

impl Grant {
    pub fn permission(&self, name: &str) -> Option<&Permission> {
        self.permissions.iter().find(|p| p.name == name)
    }

    pub fn is_granted(&self, name: &str) -> bool {
        self.permission(name)
            .is_some_and(|p| p.status == PermissionStatus::Granted)
    }

    /// Whether a granted permission reaches `target`: granted without targets reaches everything.
    pub fn reaches(&self, name: &str, target: &str) -> bool {
        match self.permission(name) {
            Some(p) if p.status == PermissionStatus::Granted => match &p.target_ids {
                None => true,
                Some(ids) => ids.iter().any(|id| id == target),
            },
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TokenKind {
    User,
    Page { page: String },
}

/// What happened to a token besides expiry (which is computed from the clock) and besides the
/// person-level states (app removed, checkpoint, unconfirmed) that live on [`User`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    Valid,
    /// 190/460.
    PasswordChanged,
    /// 190/466.
    Invalidated,
    /// 190/467.
    LoggedOut,
    /// 190/458 for good: issued before the person removed the app, so a later re-install through
    /// the dialog does not bring it back.
    AppRemoved,
}

#[derive(Debug, Clone, Serialize)]
pub struct Token {
    pub token: String,
    pub user: String,
    pub app_id: String,
    #[serde(flatten)]
    pub kind: TokenKind,
    pub issued_at: Timestamp,
    /// `None` = never expires (`expires_at: 0` in debug_token).
    pub expires_at: Option<Timestamp>,
    pub state: TokenState,
    /// `auth_type` of the dialog that produced the token (`"rerequest"`), shown by debug_token
    /// under `metadata` as in the fixture debug_token_valid_short_lived_user_metadata_rerequest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub id: String,
    pub name: String,
    pub category: String,
    /// Person id → tasks that person can perform on this Page.
    pub tasks: BTreeMap<String, Vec<String>>,
    /// The linked Instagram account, if any.
    pub instagram: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Instagram {
    pub id: String,
    pub username: String,
    pub professional: bool,
    pub product_tag_eligible: bool,
}

/// Groups exist in worlds only so grants can point at them: the Groups API is gone (PLATFORMS 1.12).
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct World {
    pub app: App,
    pub clock: ClockSpec,
    pub max_page_size: usize,
    pub users: BTreeMap<String, User>,
    #[serde(serialize_with = "grants_as_list")]
    pub grants: HashMap<(String, String), Grant>,
    pub tokens: BTreeMap<String, Token>,
    /// In file order: `/me/accounts` lists Pages in this order.
    pub pages: Vec<Page>,
    pub instagram: BTreeMap<String, Instagram>,
    pub groups: BTreeMap<String, Group>,
    #[serde(skip)]
    page_index: HashMap<String, usize>,
    /// Person id → indexes into `pages` of the Pages they hold a task on (kept in sync by
    /// [`World::set_tasks`]; rebuilt when a world is loaded).
    #[serde(skip)]
    user_pages: HashMap<String, Vec<usize>>,
}

fn grants_as_list<S: serde::Serializer>(
    grants: &HashMap<(String, String), Grant>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut list: Vec<&Grant> = grants.values().collect();
    list.sort_by(|a, b| (&a.user, &a.app_id).cmp(&(&b.user, &b.app_id)));
    s.collect_seq(list)
}

const DEMO_TOML: &str = include_str!("../../../../worlds/demo.toml");

impl World {
    /// Parses and checks a world file. `origin` names the file in error messages.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<World, WorldError> {
        file::parse(text, origin, Timestamp::now())
    }

    /// The demo world shipped in `worlds/demo.toml`.
    pub fn demo() -> World {
        // The file is embedded and covered by a test, so a failure here is a build defect.
        Self::from_toml_str(DEMO_TOML, "worlds/demo.toml")
            .unwrap_or_else(|e| panic!("embedded demo world is invalid: {e}"))
    }

    /// What a connection would hold for each person: their newest user token, with their id
    /// and name, in id order (the demo world also keeps an old, expired token of Alice's for
    /// `diagnose`).
    pub fn newest_user_tokens(&self) -> Vec<(String, String, String)> {
        let mut newest: std::collections::BTreeMap<&str, &Token> = Default::default();
        for t in self
            .tokens
            .values()
            .filter(|t| matches!(t.kind, TokenKind::User))
        {
            let slot = newest.entry(t.user.as_str()).or_insert(t);
            if t.issued_at > slot.issued_at {
                *slot = t;
            }
        }
        newest
            .values()
            .map(|t| {
                let name = self.users.get(&t.user).map(|u| u.name.clone());
                (t.user.clone(), name.unwrap_or_default(), t.token.clone())
            })
            .collect()
    }

    /// A large world for benchmarks: person `i` logs in with `tok-user-{i}` and manages
    /// `pages_per_user` Pages with every task; every other Page has an Instagram business account.
    pub fn synthetic(users: usize, pages_per_user: usize) -> World {
        synthetic::build(users, pages_per_user)
    }

    pub(crate) fn assemble(
        app: App,
        clock: ClockSpec,
        max_page_size: usize,
        parts: Parts,
    ) -> World {
        let mut world = World {
            app,
            clock,
            max_page_size,
            users: parts.users,
            grants: parts.grants,
            tokens: parts.tokens,
            pages: parts.pages,
            instagram: parts.instagram,
            groups: parts.groups,
            page_index: HashMap::new(),
            user_pages: HashMap::new(),
        };
        world.reindex();
        world
    }

    fn reindex(&mut self) {
        self.page_index = self
            .pages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        self.user_pages.clear();
        for (i, page) in self.pages.iter().enumerate() {
            for user in page.tasks.keys() {
                self.user_pages.entry(user.clone()).or_default().push(i);
            }
        }
    }

    pub fn page(&self, id: &str) -> Option<&Page> {
        self.page_index.get(id).map(|&i| &self.pages[i])
    }

    pub fn page_mut(&mut self, id: &str) -> Option<&mut Page> {
        self.page_index.get(id).map(|&i| &mut self.pages[i])
    }

    /// The Pages a person holds at least one task on, in world order.
    pub fn pages_of(&self, user: &str) -> impl Iterator<Item = &Page> {
        self.user_pages
            .get(user)
            .into_iter()
            .flatten()
            .map(|&i| &self.pages[i])
    }

    /// The Page an Instagram account is linked to.
    pub fn page_linked_to(&self, ig: &str) -> Option<&Page> {
        self.pages
            .iter()
            .find(|p| p.instagram.as_deref() == Some(ig))
    }

    pub fn grant(&self, user: &str) -> Option<&Grant> {
        self.grants.get(&(user.to_string(), self.app.id.clone()))
    }

    pub fn grant_mut(&mut self, user: &str) -> Option<&mut Grant> {
        let key = (user.to_string(), self.app.id.clone());
        self.grants.get_mut(&key)
    }

    /// The grant of `user` for this world's app, created empty if missing.
    pub fn grant_entry(&mut self, user: &str) -> &mut Grant {
        let key = (user.to_string(), self.app.id.clone());
        let app_id = self.app.id.clone();
        self.grants.entry(key).or_insert_with(|| Grant {
            user: user.to_string(),
            app_id,
            permissions: Vec::new(),
        })
    }

    pub fn remove_grant(&mut self, user: &str) {
        let key = (user.to_string(), self.app.id.clone());
        self.grants.remove(&key);
    }

    /// Sets (or with an empty list removes) a person's tasks on a Page.
    pub fn set_tasks(&mut self, page: &str, user: &str, tasks: Vec<String>) -> bool {
        let Some(p) = self.page_mut(page) else {
            return false;
        };
        if tasks.is_empty() {
            p.tasks.remove(user);
        } else {
            p.tasks.insert(user.to_string(), tasks);
        }
        self.reindex();
        true
    }

    /// Links `ig` to `page`, unlinking it from wherever it was (an account has one Page).
    pub fn link_instagram(&mut self, ig: &str, page: &str) {
        for p in &mut self.pages {
            if p.instagram.as_deref() == Some(ig) {
                p.instagram = None;
            }
        }
        if let Some(p) = self.page_mut(page) {
            p.instagram = Some(ig.to_string());
        }
    }

    pub fn unlink_instagram(&mut self, ig: &str) {
        for p in &mut self.pages {
            if p.instagram.as_deref() == Some(ig) {
                p.instagram = None;
            }
        }
    }
}

/// The collections a world is assembled from (shared by the file loader and the generator).
#[derive(Default)]
pub(crate) struct Parts {
    pub users: BTreeMap<String, User>,
    pub grants: HashMap<(String, String), Grant>,
    pub tokens: BTreeMap<String, Token>,
    pub pages: Vec<Page>,
    pub instagram: BTreeMap<String, Instagram>,
    pub groups: BTreeMap<String, Group>,
}
