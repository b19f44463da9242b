//! TikTok's webhooks (docs/PLATFORMS-2.md 4.5; developers.tiktok.com/doc/webhooks-verification and
//! …/webhooks-events): the `TikTok-Signature` check over the raw body, and the events.
//!
//! The header is `t=<unix seconds>,s=<hex>`; the signed payload is the timestamp, `.`, and the raw
//! JSON body; the signature is HMAC-SHA256 of it. The key is the app's client secret (the verification
//! page computes the HMAC "with the client secret as the key" as public integrations read it; the
//! excerpt stored for docs/ cuts off before naming the key: unconfirmed, and the safe reading either
//! way, since a signature under any other key is refused).

use hmac::{Hmac, KeyInit, Mac};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use sha2::Sha256;

/// How far the signed time may be from ours. "If the signature is valid but the timestamp is too
/// old, you can have your application reject the payload" (webhooks-verification): a captured
/// delivery replayed later is refused. Five minutes covers clock skew and TikTok's own queueing of
/// a delivery; its retries (exponential backoff for 72 hours) are signed anew, so a late retry is
/// not lost to this (unconfirmed that retries re-sign; if they do not, a retry older than this is
/// dropped and the next check still finds the revoked token: a real break is never shown green).
pub const TOLERANCE: SignedDuration = SignedDuration::from_secs(300);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    Missing,
    Malformed(&'static str),
    Mismatch,
    Stale,
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureError::Missing => f.write_str("the TikTok-Signature header is missing"),
            SignatureError::Malformed(why) => {
                write!(f, "the TikTok-Signature header is malformed: {why}")
            }
            SignatureError::Mismatch => {
                f.write_str("the TikTok-Signature signature does not match the body")
            }
            SignatureError::Stale => write!(
                f,
                "the TikTok-Signature timestamp is more than {} seconds from now (a replay?)",
                TOLERANCE.as_secs()
            ),
        }
    }
}

/// `TikTok-Signature` for `body` at `t`, keyed by `secret`: what TikTok sends (tests and the
/// simulator's users build deliveries with it).
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},s={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks the header against the raw body in constant time (`Mac::verify_slice`), then the
/// timestamp against `now`. Several `s=` values are accepted (any one matching), as the page's
/// "the timestamp and signatures" allows. Returns the signed time.
pub fn verify(
    body: &[u8],
    header: Option<&str>,
    secret: &str,
    now: Timestamp,
) -> Result<Timestamp, SignatureError> {
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(SignatureError::Missing)?;
    let mut t: Option<&str> = None;
    let mut sigs: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            return Err(SignatureError::Malformed("expected t=<unix>,s=<hex>"));
        };
        match k.trim() {
            "t" => t = Some(v.trim()),
            "s" => sigs.push(
                hex::decode(v.trim())
                    .map_err(|_| SignatureError::Malformed("the signature is not hex"))?,
            ),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed("no t= timestamp"))?;
    let secs: i64 = t
        .parse()
        .map_err(|_| SignatureError::Malformed("the timestamp is not a number"))?;
    if sigs.is_empty() {
        return Err(SignatureError::Malformed("no s= signature"));
    }
    let matched = sigs.iter().any(|sig| {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(t.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(sig).is_ok()
    });
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    let at = Timestamp::from_second(secs)
        .map_err(|_| SignatureError::Malformed("the timestamp is out of range"))?;
    if now.duration_since(at).abs() > TOLERANCE {
        return Err(SignatureError::Stale);
    }
    Ok(at)
}

/// One webhook delivery (webhooks-events: "Request Body").
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub client_key: Option<String>,
    pub event: String,
    pub create_time: Option<i64>,
    pub user_openid: Option<String>,
    /// "A serialized JSON string of event information."
    pub content: Option<String>,
}

impl Event {
    /// `authorization.removed`'s `content.reason`: 0 Unknown, 1 the user disconnected, 2 account
    /// deleted, 3 age changed, 4 account banned, 5 the developer revoked it.
    pub fn reason(&self) -> Option<i64> {
        let v: serde_json::Value = serde_json::from_str(self.content.as_deref()?).ok()?;
        v.get("reason")?.as_i64()
    }
}

pub fn parse_event(body: &[u8]) -> Result<Event, String> {
    serde_json::from_slice(body).map_err(|e| format!("not a TikTok webhook body: {e}"))
}
