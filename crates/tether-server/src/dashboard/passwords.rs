//! Passwords cost CPU on purpose (argon2id), so a flood of sign-ins must not take the server's
//! CPU from everyone else: hashing runs on the blocking pool, at most a few at a time (half the
//! cores), and an attempt that cannot start within a second is answered "busy" at once. Each
//! email gets a few failed attempts per window, whether or not it has an account, so guessing
//! one person's password is slow and the answer does not tell which emails exist.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Failed sign-ins one email may have per [`WINDOW`].
pub const FAILURES: u32 = 10;
pub const WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// How long an attempt waits for a hashing slot before it is told Tether is busy.
const WAIT: Duration = Duration::from_secs(1);
/// Emails remembered at most; the oldest windows are dropped first when full.
const REMEMBERED: usize = 100_000;

/// Why a password could not be checked now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures for this email: try again after this instant.
    Locked { until: Timestamp },
    /// Too many sign-ins at once.
    Busy,
}

fn slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Semaphore::new((cores / 2).max(1))
    })
}

/// Runs `work` (a hash or a verification) on the blocking pool once a slot is free.
async fn hashing<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Refusal> {
    let _slot = tokio::time::timeout(WAIT, slots().acquire())
        .await
        .map_err(|_| Refusal::Busy)?
        .map_err(|_| Refusal::Busy)?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| Refusal::Busy)
}

/// An argon2id PHC string for `password`, computed off the request threads.
pub async fn hash(password: SecretString) -> anyhow::Result<String> {
    hashing(move || hash_password(&password))
        .await
        .map_err(|_| anyhow::anyhow!("too many passwords are being hashed; try again"))?
}

/// The same, on the calling thread (the CLI, seeding the demo).
pub fn hash_password(password: &SecretString) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

/// Whether `password` matches `phc` (a decoy when the email is unknown, so both cost the same).
async fn matches(password: String, phc: String) -> Result<bool, Refusal> {
    hashing(move || {
        PasswordHash::new(&phc).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    })
    .await
}

/// Failed attempts per email in the current window.
#[derive(Default)]
pub struct Attempts(Mutex<HashMap<String, (Timestamp, u32)>>);

impl Attempts {
    /// Checks a password for `email` unless the email is locked or Tether is busy; a wrong one
    /// counts against the email.
    pub async fn check(
        &self,
        email: &str,
        password: String,
        phc: Option<String>,
        now: Timestamp,
    ) -> Result<bool, Refusal> {
        let key = email.trim().to_lowercase();
        if let Some(until) = self.locked_until(&key, now) {
            return Err(Refusal::Locked { until });
        }
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| decoy_hash().to_owned());
        let ok = matches(password, phc).await? && known;
        if ok {
            self.lock().remove(&key);
        } else {
            self.failed(key, now);
        }
        Ok(ok)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Timestamp, u32)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn locked_until(&self, key: &str, now: Timestamp) -> Option<Timestamp> {
        let map = self.lock();
        let &(since, n) = map.get(key)?;
        let until = since.saturating_add(WINDOW).ok()?;
        (n >= FAILURES && now < until).then_some(until)
    }

    fn failed(&self, key: String, now: Timestamp) {
        let mut map = self.lock();
        if map.len() >= REMEMBERED && !map.contains_key(&key) {
            map.retain(|_, (since, _)| now.duration_since(*since) < WINDOW);
            if map.len() >= REMEMBERED {
                return;
            }
        }
        let entry = map.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }
}

/// A hash to verify against when the email is unknown, so a wrong email costs as long as a wrong
/// password and response times do not tell which emails have accounts.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        hash_password(&SecretString::from("not a real password".to_owned())).unwrap_or_default()
    })
}
