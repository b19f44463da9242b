//! What the simulated Instagram knows: its app, accounts, codes, tokens, faults and counters.

use jiff::{SignedDuration, Timestamp};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use tether_platform::SimClock;

/// The simulated Instagram app's client id and secret (a world of its own, like the Meta app's).
pub const APP_ID: &str = "990000000000001";
pub const APP_SECRET: &str = "instagram-sim-secret";
/// "valid for 1 hour" (docs/PLATFORMS-2.md 1.1).
pub const SHORT_LIVED_SECS: i64 = 3_600;
/// The docs' sample `expires_in` of a long-lived token: 60 days less a little.
pub const LONG_LIVED_SECS: i64 = 5_183_944;
/// "Authorization Codes are valid for 1 hour and can only be used once."
const CODE_SECS: i64 = 3_600;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    /// The Instagram professional account id (`user_id` in `/me` and the exchange).
    pub id: String,
    pub username: String,
    /// `BUSINESS`, `MEDIA_CREATOR`, or `PERSONAL` for an account that is not professional (what
    /// Instagram really answers for one is unconfirmed, docs/PLATFORMS-2.md 1.3).
    pub account_type: String,
    #[serde(default)]
    pub password_version: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Token {
    pub account: String,
    pub scopes: Vec<String>,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    pub long_lived: bool,
    pub password_version: u32,
    /// Replaced by a refresh (the old token keeps working until it lapses; unconfirmed, safe).
    pub refreshed: bool,
}

#[derive(Debug, Clone)]
pub struct Code {
    pub account: String,
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
    pub accounts: BTreeMap<String, Account>,
    pub tokens: HashMap<String, Token>,
    pub codes: HashMap<String, Code>,
    pub faults: Vec<Fault>,
    pub stats: Stats,
}

#[derive(Clone)]
pub struct Shared {
    world: Arc<Mutex<World>>,
    clock: Arc<dyn SimClock>,
}

impl Shared {
    pub fn new(clock: Arc<dyn SimClock>) -> Shared {
        let mut accounts = BTreeMap::new();
        for (id, username, kind) in [
            ("17841400000000101", "harbor.bakery", "BUSINESS"),
            ("17841400000000102", "mila.creates", "MEDIA_CREATOR"),
            ("17841400000000103", "quiet.walks", "PERSONAL"),
        ] {
            accounts.insert(
                id.to_owned(),
                Account {
                    id: id.to_owned(),
                    username: username.to_owned(),
                    account_type: kind.to_owned(),
                    password_version: 0,
                },
            );
        }
        Shared {
            world: Arc::new(Mutex::new(World {
                accounts,
                tokens: HashMap::new(),
                codes: HashMap::new(),
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

impl World {
    pub fn mint(
        &mut self,
        account: &str,
        scopes: Vec<String>,
        now: Timestamp,
        long: bool,
    ) -> String {
        let secs = if long {
            LONG_LIVED_SECS
        } else {
            SHORT_LIVED_SECS
        };
        let token = format!("IGAA{}", random_text(40));
        let password_version = self.accounts.get(account).map_or(0, |a| a.password_version);
        self.tokens.insert(
            token.clone(),
            Token {
                account: account.to_owned(),
                scopes,
                issued_at: now,
                expires_at: now + SignedDuration::from_secs(secs),
                long_lived: long,
                password_version,
                refreshed: false,
            },
        );
        token
    }

    pub fn new_code(
        &mut self,
        account: &str,
        scopes: Vec<String>,
        redirect_uri: &str,
        now: Timestamp,
    ) -> String {
        let code = random_text(48);
        self.codes.insert(
            code.clone(),
            Code {
                account: account.to_owned(),
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
