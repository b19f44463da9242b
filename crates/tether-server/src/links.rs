//! Signed, expiring links that need no Tether account: a reconnect link an agency sends to its
//! client, and the result page the OAuth callback redirects to. The signature (HMAC-SHA256 with the
//! server's link key) covers the purpose, every parameter and the expiry, and is checked in
//! constant time.

use crate::state::AppState;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use std::collections::HashMap;
use tether_store::Login;
use url::Url;

fn mac(key: &SecretString, purpose: &str, params: &[(&str, &str)]) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(key.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    m.update(purpose.as_bytes());
    for (k, v) in params {
        // Length-prefixed so no two parameter lists encode alike.
        m.update(&(k.len() as u64).to_be_bytes());
        m.update(k.as_bytes());
        m.update(&(v.len() as u64).to_be_bytes());
        m.update(v.as_bytes());
    }
    m
}

/// `path?params&exp=…&sig=…`, valid until `expires_at`.
pub fn signed(s: &AppState, path: &str, params: &[(&str, &str)], expires_at: Timestamp) -> Url {
    let exp = expires_at.as_second().to_string();
    let mut all: Vec<(&str, &str)> = params.to_vec();
    all.push(("exp", &exp));
    let sig = URL_SAFE_NO_PAD.encode(mac(&s.config.link_key, path, &all).finalize().into_bytes());
    let mut url = s.config.url(path);
    url.query_pairs_mut()
        .extend_pairs(all.iter().copied())
        .append_pair("sig", &sig);
    url
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LinkError {
    #[error("this link is incomplete or has been altered")]
    Invalid,
    #[error("this link has expired")]
    Expired,
}

/// Checks a signed link's query; returns its parameters (without `exp` and `sig`).
pub fn verify(
    s: &AppState,
    path: &str,
    names: &[&str],
    query: &HashMap<String, String>,
    now: Timestamp,
) -> Result<HashMap<String, String>, LinkError> {
    let sig = query.get("sig").ok_or(LinkError::Invalid)?;
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| LinkError::Invalid)?;
    let exp = query.get("exp").ok_or(LinkError::Invalid)?;
    let mut all: Vec<(&str, &str)> = Vec::new();
    for n in names {
        // An absent optional parameter was signed as absent: it must stay absent.
        if let Some(v) = query.get(*n) {
            all.push((n, v));
        }
    }
    all.push(("exp", exp));
    mac(&s.config.link_key, path, &all)
        .verify_slice(&sig)
        .map_err(|_| LinkError::Invalid)?;
    let exp: i64 = exp.parse().map_err(|_| LinkError::Invalid)?;
    if now.as_second() > exp {
        return Err(LinkError::Expired);
    }
    Ok(all
        .into_iter()
        .filter(|(k, _)| *k != "exp")
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

pub fn reconnect_url(s: &AppState, login: &Login) -> (Url, Timestamp) {
    let ttl = SignedDuration::try_from(s.config.link_ttl).unwrap_or(SignedDuration::from_hours(72));
    let expires_at = s.clock.now().saturating_add(ttl).unwrap_or(s.clock.now());
    let (l, w) = (login.id.to_string(), login.workspace_id.to_string());
    let url = signed(s, "reconnect", &[("login", &l), ("ws", &w)], expires_at);
    (url, expires_at)
}

/// A confirmation code for a request Tether carried out (a data-deletion request): an id and a
/// tag (HMAC of the id with the link key), so the status page confirms only codes Tether issued.
pub fn confirmation_code(s: &AppState) -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    let tag = URL_SAFE_NO_PAD.encode(
        mac(&s.config.link_key, "confirmation", &[("id", &id)])
            .finalize()
            .into_bytes(),
    );
    format!("{id}-{tag}")
}

/// Whether `presented` is `secret`, in constant time: both key an HMAC over the same words and
/// the tags are compared, so the time taken says nothing about how much of it matched.
pub fn same_secret(secret: &SecretString, presented: &str) -> bool {
    let tag = |key: &[u8]| {
        let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        m.update(b"tether same secret");
        m
    };
    let expected = tag(secret.expose_secret().as_bytes())
        .finalize()
        .into_bytes();
    tag(presented.as_bytes()).verify_slice(&expected).is_ok()
}

/// Whether Tether issued `code` (checked in constant time).
pub fn issued_code(s: &AppState, code: &str) -> bool {
    let Some((id, tag)) = code.split_once('-') else {
        return false;
    };
    let Ok(tag) = URL_SAFE_NO_PAD.decode(tag) else {
        return false;
    };
    mac(&s.config.link_key, "confirmation", &[("id", id)])
        .verify_slice(&tag)
        .is_ok()
}
