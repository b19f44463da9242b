//! What the simulated TikTok knows: its app (audited or not), creators, codes, access and refresh
//! tokens, faults, counters.

use jiff::{SignedDuration, Timestamp};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use tether_platform::SimClock;

/// The simulated TikTok app's client key and secret.
pub const APP_ID: &str = "awsimtiktok0001";
pub const APP_SECRET: &str = "tiktok-sim-secret";
/// Access tokens: "2 hours" (`expires_in`, docs/PLATFORMS-2.md 4.2, the current page).
pub const ACCESS_SECS: i64 = 7_200;
/// Refresh tokens: "180 days" (`refresh_expires_in`, docs/PLATFORMS-2.md 4.2). A rotated refresh
/// token inherits the end of the one it replaces ("valid for 365 days after the initial
/// issuance" on the older page: not extended by refreshing; unconfirmed for the current one). The
/// client never depends on it: it reads `refresh_expires_in`.
pub const REFRESH_SECS: i64 = 15_552_000;
/// Authorization codes are single-use and short-lived (what the sim enforces; the client never
/// depends on the figure).
const CODE_SECS: i64 = 600;

/// Whether a creator may post now (docs/PLATFORMS-2.md 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Posting {
    #[default]
    Ok,
    /// `spam_risk_too_many_posts`: the daily cap of posts through apps is reached.
    TooManyPosts,
    /// `spam_risk_user_banned_from_posting`.
    Banned,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Creator {
    pub open_id: String,
    #[serde(default)]
    pub union_id: String,
    pub display_name: String,
    #[serde(default)]
    pub username: String,
    /// A private account: its privacy level options are FOLLOWER_OF_CREATOR,
    /// MUTUAL_FOLLOW_FRIENDS, SELF_ONLY (content-posting-api-reference-query-creator-info).
    #[serde(default)]
    pub private_account: bool,
    #[serde(default)]
    pub posting: Posting,
}

#[derive(Debug, Clone, Serialize)]
pub struct Token {
    pub open_id: String,
    pub scopes: Vec<String>,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    /// Revoked: the creator removed the app, or the app revoked it.
    pub revoked: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RefreshToken {
    pub open_id: String,
    pub scopes: Vec<String>,
    pub expires_at: Timestamp,
    /// Spent: a refresh rotated it ("The previous refresh token stops working once a new one is
    /// issued", docs/PLATFORMS-2.md 4.2), or the creator removed the app.
    pub dead: bool,
}

#[derive(Debug, Clone)]
pub struct Code {
    pub open_id: String,
    pub scopes: Vec<String>,
    pub redirect_uri: String,
    pub expires_at: Timestamp,
    pub used: bool,
}

/// A reply forced on the next `times` requests whose path ends with `path`.
#[derive(Debug, Clone, Deserialize)]
pub struct Fault {
    pub path: String,
    pub status: u16,
    pub body: Value,
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub http_requests: u64,
    pub calls_by_path: BTreeMap<String, u64>,
    pub faults_applied: u64,
}

pub struct World {
    pub creators: BTreeMap<String, Creator>,
    pub tokens: HashMap<String, Token>,
    pub refresh_tokens: HashMap<String, RefreshToken>,
    pub codes: HashMap<String, Code>,
    /// An unaudited client posts only SELF_ONLY, for few users a day, from private accounts only
    /// (docs/PLATFORMS-2.md 4.4).
    pub audited: bool,
    pub faults: Vec<Fault>,
    pub stats: Stats,
}

#[derive(Clone)]
pub struct Shared {
    world: Arc<Mutex<World>>,
    clock: Arc<dyn SimClock>,
}

pub const TESS: &str = "-000Tess0TikTokOpenId0001";
pub const OMAR: &str = "-000Omar0TikTokOpenId0002";

impl Shared {
    pub fn new(clock: Arc<dyn SimClock>) -> Shared {
        let mut creators = BTreeMap::new();
        for (open_id, union_id, name, username) in [
            (TESS, "un-tess-0001", "Tess Rivera", "tess.bakes"),
            (OMAR, "un-omar-0002", "Omar Haddad", "omar.builds"),
        ] {
            creators.insert(
                open_id.to_owned(),
                Creator {
                    open_id: open_id.to_owned(),
                    union_id: union_id.to_owned(),
                    display_name: name.to_owned(),
                    username: username.to_owned(),
                    private_account: false,
                    posting: Posting::Ok,
                },
            );
        }
        Shared {
            world: Arc::new(Mutex::new(World {
                creators,
                tokens: HashMap::new(),
                refresh_tokens: HashMap::new(),
                codes: HashMap::new(),
                audited: true,
                faults: Vec::new(),
                stats: Stats::default(),
            })),
            clock,
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// What one authorization (or refresh) issued.
pub struct Minted {
    pub access_token: String,
    pub refresh_token: String,
    pub refresh_expires_at: Timestamp,
}

impl World {
    /// An access token and a refresh token for `open_id`, authorized at `at`.
    pub fn authorize(&mut self, open_id: &str, scopes: Vec<String>, at: Timestamp) -> Minted {
        let refresh_expires_at = at + SignedDuration::from_secs(REFRESH_SECS);
        self.mint(open_id, scopes, at, refresh_expires_at)
    }

    pub fn mint(
        &mut self,
        open_id: &str,
        scopes: Vec<String>,
        at: Timestamp,
        refresh_expires_at: Timestamp,
    ) -> Minted {
        let access_token = format!("act.{}", random_text(48));
        self.tokens.insert(
            access_token.clone(),
            Token {
                open_id: open_id.to_owned(),
                scopes: scopes.clone(),
                issued_at: at,
                expires_at: at + SignedDuration::from_secs(ACCESS_SECS),
                revoked: false,
            },
        );
        let refresh_token = format!("rft.{}", random_text(48));
        self.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshToken {
                open_id: open_id.to_owned(),
                scopes,
                expires_at: refresh_expires_at,
                dead: false,
            },
        );
        Minted {
            access_token,
            refresh_token,
            refresh_expires_at,
        }
    }

    /// The creator removed the app (or TikTok deauthorized it): "The access_token for the user will
    /// have been already revoked when you receive the disconnect callback message"
    /// (docs/PLATFORMS-2.md 4.5). Every token of theirs stops working.
    pub fn remove_app(&mut self, open_id: &str) -> usize {
        let mut n = 0;
        for t in self.tokens.values_mut().filter(|t| t.open_id == open_id) {
            t.revoked = true;
            n += 1;
        }
        for r in self
            .refresh_tokens
            .values_mut()
            .filter(|r| r.open_id == open_id)
        {
            r.dead = true;
        }
        n
    }

    pub fn new_code(
        &mut self,
        open_id: &str,
        scopes: Vec<String>,
        redirect_uri: &str,
        now: Timestamp,
    ) -> String {
        let code = random_text(40);
        self.codes.insert(
            code.clone(),
            Code {
                open_id: open_id.to_owned(),
                scopes,
                redirect_uri: redirect_uri.to_owned(),
                expires_at: now + SignedDuration::from_secs(CODE_SECS),
                used: false,
            },
        );
        code
    }

    /// The forced reply for `path`, if a fault is armed for it.
    pub fn take_fault(&mut self, path: &str) -> Option<(u16, Value)> {
        let i = self.faults.iter().position(|f| {
            f.times > 0 && path.trim_matches('/').ends_with(f.path.trim_matches('/'))
        })?;
        let f = &mut self.faults[i];
        f.times -= 1;
        let reply = (f.status, f.body.clone());
        if f.times == 0 {
            self.faults.remove(i);
        }
        self.stats.faults_applied += 1;
        Some(reply)
    }
}

fn random_text(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}
