//! What the simulated LinkedIn knows: its app, members, organizations and their role
//! assignments (ACLs), codes, access and refresh tokens, retired API versions, faults, counters.

use jiff::{SignedDuration, Timestamp};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use tether_platform::SimClock;

/// The simulated LinkedIn app's client id and secret.
pub const APP_ID: &str = "78simlinkedin01";
pub const APP_SECRET: &str = "linkedin-sim-secret";
/// "Access token 60 days" (docs/PLATFORMS.md 2.3; the token response's `expires_in` 5184000).
pub const ACCESS_SECS: i64 = 5_184_000;
/// "programmatic refresh token 365 days", not extended by refreshing (docs/PLATFORMS.md 2.3).
pub const REFRESH_SECS: i64 = 31_536_000;
/// Authorization codes: "The authorization code is only valid for 30 minutes" (LinkedIn's
/// authorization code flow; what the sim enforces, the client never depends on it).
const CODE_SECS: i64 = 1_800;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    /// The person id in `urn:li:person:{id}` and `/rest/me`'s `id`.
    pub id: String,
    pub first_name: String,
    pub last_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Organization {
    /// The number in `urn:li:organization:{id}`.
    pub id: String,
    pub name: String,
}

/// One role assignment, as `organizationAcls` reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Acl {
    pub member: String,
    pub organization: String,
    pub role: String,
    /// `APPROVED`, `REJECTED`, `REQUESTED` or `REVOKED` (docs/PLATFORMS.md 2.2).
    #[serde(default = "approved")]
    pub state: String,
}

fn approved() -> String {
    "APPROVED".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    Active,
    /// The member removed the app (65601).
    Revoked,
    /// Invalidated by LinkedIn, e.g. a later authorization with another scope set (65600).
    Invalidated,
}

#[derive(Debug, Clone, Serialize)]
pub struct Token {
    pub member: String,
    pub scopes: Vec<String>,
    pub issued_at: Timestamp,
    /// When the member authorized the app (introspection's `authorized_at`).
    pub authorized_at: Timestamp,
    pub expires_at: Timestamp,
    pub state: TokenState,
}

#[derive(Debug, Clone, Serialize)]
pub struct RefreshToken {
    pub member: String,
    pub scopes: Vec<String>,
    pub authorized_at: Timestamp,
    /// Fixed at the authorization: refreshing never extends it.
    pub expires_at: Timestamp,
    pub revoked: bool,
}

#[derive(Debug, Clone)]
pub struct Code {
    pub member: String,
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
    pub members: BTreeMap<String, Member>,
    pub organizations: BTreeMap<String, Organization>,
    pub acls: Vec<Acl>,
    pub tokens: HashMap<String, Token>,
    pub refresh_tokens: HashMap<String, RefreshToken>,
    pub codes: HashMap<String, Code>,
    /// API versions LinkedIn no longer serves (426 `NONEXISTENT_VERSION`).
    pub retired_versions: BTreeSet<String>,
    /// Programmatic refresh tokens are only for approved partner apps (docs/PLATFORMS.md 2.3).
    pub refresh_tokens_enabled: bool,
    /// The app still has the product that opens organization calls (Community Management API);
    /// without it every member's organization calls answer 403 `ACCESS_DENIED`.
    pub organization_product: bool,
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
        let mut members = BTreeMap::new();
        for (id, first, last) in [
            ("aLi5Ada0001", "Ada", "Park"),
            ("aLi5Ben0002", "Ben", "Ito"),
        ] {
            members.insert(
                id.to_owned(),
                Member {
                    id: id.to_owned(),
                    first_name: first.to_owned(),
                    last_name: last.to_owned(),
                },
            );
        }
        let mut organizations = BTreeMap::new();
        for (id, name) in [
            ("2414183", "Harbor Bakery"),
            ("2414184", "Northwind Studio"),
        ] {
            organizations.insert(
                id.to_owned(),
                Organization {
                    id: id.to_owned(),
                    name: name.to_owned(),
                },
            );
        }
        let acl = |member: &str, organization: &str, role: &str| Acl {
            member: member.to_owned(),
            organization: organization.to_owned(),
            role: role.to_owned(),
            state: approved(),
        };
        let acls = vec![
            acl("aLi5Ada0001", "2414183", "ADMINISTRATOR"),
            acl("aLi5Ada0001", "2414183", "LEAD_GEN_FORMS_MANAGER"),
            acl("aLi5Ada0001", "2414184", "ANALYST"),
            acl("aLi5Ben0002", "2414184", "DIRECT_SPONSORED_CONTENT_POSTER"),
        ];
        Shared {
            world: Arc::new(Mutex::new(World {
                members,
                organizations,
                acls,
                tokens: HashMap::new(),
                refresh_tokens: HashMap::new(),
                codes: HashMap::new(),
                retired_versions: BTreeSet::new(),
                refresh_tokens_enabled: true,
                organization_product: true,
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

/// What one authorization issued.
pub struct Minted {
    pub access_token: String,
    pub refresh_token: Option<String>,
}

impl World {
    /// An access token (and, when the app has them, a refresh token) for `member`, authorized at
    /// `at`. "If you request a different scope than the previously granted scope, all the
    /// previous access tokens are invalidated" (docs/PLATFORMS-2.md 2.2).
    pub fn authorize(&mut self, member: &str, scopes: Vec<String>, at: Timestamp) -> Minted {
        let mut sorted = scopes.clone();
        sorted.sort();
        for t in self.tokens.values_mut() {
            let mut theirs = t.scopes.clone();
            theirs.sort();
            if t.member == member && t.state == TokenState::Active && theirs != sorted {
                t.state = TokenState::Invalidated;
            }
        }
        let access_token = self.mint_access(member, scopes.clone(), at, at);
        let refresh_token = self.refresh_tokens_enabled.then(|| {
            let r = format!("AQX{}", random_text(60));
            self.refresh_tokens.insert(
                r.clone(),
                RefreshToken {
                    member: member.to_owned(),
                    scopes,
                    authorized_at: at,
                    expires_at: at + SignedDuration::from_secs(REFRESH_SECS),
                    revoked: false,
                },
            );
            r
        });
        Minted {
            access_token,
            refresh_token,
        }
    }

    pub fn mint_access(
        &mut self,
        member: &str,
        scopes: Vec<String>,
        authorized_at: Timestamp,
        now: Timestamp,
    ) -> String {
        let token = format!("AQV{}", random_text(60));
        self.tokens.insert(
            token.clone(),
            Token {
                member: member.to_owned(),
                scopes,
                issued_at: now,
                authorized_at,
                expires_at: now + SignedDuration::from_secs(ACCESS_SECS),
                state: TokenState::Active,
            },
        );
        token
    }

    /// The member removed the app in their LinkedIn settings: every token of theirs is revoked.
    pub fn revoke_member(&mut self, member: &str) -> usize {
        let mut n = 0;
        for t in self.tokens.values_mut().filter(|t| t.member == member) {
            t.state = TokenState::Revoked;
            n += 1;
        }
        for r in self
            .refresh_tokens
            .values_mut()
            .filter(|r| r.member == member)
        {
            r.revoked = true;
        }
        n
    }

    pub fn new_code(
        &mut self,
        member: &str,
        scopes: Vec<String>,
        redirect_uri: &str,
        now: Timestamp,
    ) -> String {
        let code = format!("AQT{}", random_text(48));
        self.codes.insert(
            code.clone(),
            Code {
                member: member.to_owned(),
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
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}
