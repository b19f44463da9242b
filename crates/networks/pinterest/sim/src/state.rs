//! What the simulated Pinterest knows: its app, accounts, codes, access and refresh tokens, the
//! app's access tier, faults, counters.

use jiff::{SignedDuration, Timestamp};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use tether_platform::SimClock;

/// The simulated Pinterest app's client id and secret (Pinterest app ids are numbers).
pub const APP_ID: &str = "1512345";
pub const APP_SECRET: &str = "pinterest-sim-secret";
/// The access token's life: "it expires every month" (docs/PLATFORMS-2.md 3.1; 2592000 s in
/// public code, unconfirmed officially). Clients read `expires_in`, never this.
pub const ACCESS_SECS: i64 = 2_592_000;
/// The continuous refresh token: "60-day expiration, refreshable indefinitely"
/// (docs/PLATFORMS-2.md 3.1, C3). Every refresh issues a new one for another 60 days.
pub const REFRESH_SECS: i64 = 5_184_000;
/// Authorization codes: unconfirmed how long Pinterest keeps them; ten minutes here (the client
/// never depends on it).
const CODE_SECS: i64 = 600;

/// Every v5 scope (the spec's `pinterest_oauth2` scopes, docs/PLATFORMS.md 3.1).
pub const SCOPES: &[&str] = &[
    "user_accounts:read",
    "user_accounts:write",
    "boards:read",
    "boards:read_secret",
    "boards:write",
    "boards:write_secret",
    "pins:read",
    "pins:read_secret",
    "pins:write",
    "pins:write_secret",
    "ads:read",
    "ads:write",
    "billing:read",
    "billing:write",
    "biz_access:read",
    "biz_access:write",
    "catalogs:read",
    "catalogs:write",
    "msot:write",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    /// The user account id (digits, the spec's `pattern: ^\d+$`).
    pub id: String,
    pub username: String,
    /// `PINNER` or `BUSINESS`.
    #[serde(default = "business")]
    pub account_type: String,
    #[serde(default)]
    pub business_name: Option<String>,
}

fn business() -> String {
    "BUSINESS".into()
}

#[derive(Debug, Clone, Serialize)]
pub struct Token {
    pub account: String,
    pub scopes: Vec<String>,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    /// The person removed the app from their account.
    pub revoked: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RefreshToken {
    pub account: String,
    pub scopes: Vec<String>,
    pub expires_at: Timestamp,
    /// Spent by a refresh: a rotated refresh token no longer works.
    pub used: bool,
    pub revoked: bool,
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
    pub refreshes: u64,
}

pub struct World {
    pub accounts: BTreeMap<String, Account>,
    pub tokens: HashMap<String, Token>,
    pub refresh_tokens: HashMap<String, RefreshToken>,
    pub codes: HashMap<String, Code>,
    /// The app has Trial access only: Pin creation on production answers code 29
    /// (docs/PLATFORMS-2.md 3.4). Reads work either way.
    pub trial_access: bool,
    pub faults: Vec<Fault>,
    pub stats: Stats,
}

#[derive(Clone)]
pub struct Shared {
    world: Arc<Mutex<World>>,
    clock: Arc<dyn SimClock>,
}

/// The seeded accounts: a business account and a personal one.
pub const HARBOR: &str = "549755885175";
pub const ADA: &str = "549755885176";

impl Shared {
    pub fn new(clock: Arc<dyn SimClock>) -> Shared {
        let mut accounts = BTreeMap::new();
        for (id, username, kind, business_name) in [
            (HARBOR, "harborbakery", "BUSINESS", Some("Harbor Bakery")),
            (ADA, "adapark", "PINNER", None),
        ] {
            accounts.insert(
                id.to_owned(),
                Account {
                    id: id.to_owned(),
                    username: username.to_owned(),
                    account_type: kind.to_owned(),
                    business_name: business_name.map(str::to_owned),
                },
            );
        }
        Shared {
            world: Arc::new(Mutex::new(World {
                accounts,
                tokens: HashMap::new(),
                refresh_tokens: HashMap::new(),
                codes: HashMap::new(),
                trial_access: false,
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

/// What one authorization or refresh issued.
pub struct Minted {
    pub access_token: String,
    pub refresh_token: String,
}

impl World {
    /// An access token and a refresh token for `account`, issued at `at`.
    pub fn mint(&mut self, account: &str, scopes: Vec<String>, at: Timestamp) -> Minted {
        let access_token = format!("pina_{}", random_text(64));
        self.tokens.insert(
            access_token.clone(),
            Token {
                account: account.to_owned(),
                scopes: scopes.clone(),
                issued_at: at,
                expires_at: at + SignedDuration::from_secs(ACCESS_SECS),
                revoked: false,
            },
        );
        let refresh_token = format!("pinr.{}", random_text(80));
        self.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshToken {
                account: account.to_owned(),
                scopes,
                expires_at: at + SignedDuration::from_secs(REFRESH_SECS),
                used: false,
                revoked: false,
            },
        );
        Minted {
            access_token,
            refresh_token,
        }
    }

    /// The person removed the app from their Pinterest account: every token of theirs stops.
    pub fn revoke_account(&mut self, account: &str) -> usize {
        let mut n = 0;
        for t in self.tokens.values_mut().filter(|t| t.account == account) {
            t.revoked = true;
            n += 1;
        }
        for r in self
            .refresh_tokens
            .values_mut()
            .filter(|r| r.account == account)
        {
            r.revoked = true;
        }
        n
    }

    pub fn new_code(
        &mut self,
        account: &str,
        scopes: Vec<String>,
        redirect_uri: &str,
        now: Timestamp,
    ) -> String {
        let code = random_text(40);
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
