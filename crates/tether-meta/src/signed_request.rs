//! `signed_request`: what Meta POSTs to the deauthorize and data-deletion callbacks
//! (docs/PLATFORMS.md 1.10): `base64url(signature) "." base64url(payload)`, the signature being
//! HMAC-SHA256 over the payload part exactly as sent, keyed with the app secret.
//!
//! Meta sends both parts without padding; Facebook's own PHP SDK test vector keeps the `=`
//! padding and signs the padded payload, so both forms are read.

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE_NO_PAD, URL_SAFE_NO_PAD_INDIFFERENT};
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::Sha256;

/// The algorithm Meta signs with, the only one accepted.
pub const SIGNED_REQUEST_ALGORITHM: &str = "HMAC-SHA256";

/// A verified `signed_request`.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedRequest {
    /// App-scoped user id; `None` when absent or `null` (a Page-tab removal names a `profile_id`
    /// instead, kept in `payload`).
    pub user_id: Option<String>,
    pub algorithm: String,
    /// Unix seconds. Older payloads carry it as a string of digits.
    pub issued_at: Option<i64>,
    /// The whole decoded payload (`expires`, `profile_id`, …).
    pub payload: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignedRequestError {
    /// Not `signature.payload`, not base64url, or not a JSON object with an `algorithm`.
    #[error("the signed_request is malformed: {why}")]
    Malformed { why: String },
    /// Well formed, but not signed with this app's secret (or altered on the way).
    #[error("the signed_request signature does not match this app's secret")]
    BadSignature,
    #[error("the signed_request uses algorithm `{0}`; only HMAC-SHA256 is accepted")]
    UnsupportedAlgorithm(String),
}

fn malformed(why: impl Into<String>) -> SignedRequestError {
    SignedRequestError::Malformed { why: why.into() }
}

fn mac(app_secret: &SecretString) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(app_secret.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length")
}

/// Parses and verifies a `signed_request` (the form field's value, already form-decoded).
pub fn parse_signed_request(
    raw: &str,
    app_secret: &SecretString,
) -> Result<SignedRequest, SignedRequestError> {
    let raw = raw.trim();
    let (sig_b64, payload_b64) = raw
        .split_once('.')
        .ok_or_else(|| malformed("no '.' between signature and payload"))?;
    if sig_b64.is_empty() || payload_b64.is_empty() {
        return Err(malformed("the signature or the payload is empty"));
    }
    let signature = URL_SAFE_NO_PAD_INDIFFERENT
        .decode(sig_b64)
        .map_err(|e| malformed(format!("the signature is not base64url: {e}")))?;
    if signature.len() != 32 {
        return Err(malformed("the signature is not 32 bytes (HMAC-SHA256)"));
    }
    let bytes = URL_SAFE_NO_PAD_INDIFFERENT
        .decode(payload_b64)
        .map_err(|e| malformed(format!("the payload is not base64url: {e}")))?;
    // Verified before the payload is read: nothing unauthenticated is interpreted.
    let mut m = mac(app_secret);
    m.update(payload_b64.as_bytes());
    m.verify_slice(&signature)
        .map_err(|_| SignedRequestError::BadSignature)?;
    let payload: Value = serde_json::from_slice(&bytes)
        .map_err(|e| malformed(format!("the payload is not JSON: {e}")))?;
    if !payload.is_object() {
        return Err(malformed("the payload is not a JSON object"));
    }
    let algorithm = match payload.get("algorithm") {
        Some(Value::String(a)) => a.clone(),
        _ => return Err(malformed("the payload names no algorithm")),
    };
    if !algorithm.eq_ignore_ascii_case(SIGNED_REQUEST_ALGORITHM) {
        return Err(SignedRequestError::UnsupportedAlgorithm(
            algorithm.chars().take(40).collect(),
        ));
    }
    Ok(SignedRequest {
        user_id: match payload.get("user_id") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        },
        issued_at: match payload.get("issued_at") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        },
        algorithm,
        payload,
    })
}

/// Signs `payload` the way Meta does (unpadded base64url, HMAC over the encoded payload). For
/// simulators and tests that play Meta's side.
pub fn sign_request(payload: &Value, app_secret: &SecretString) -> String {
    let payload_b64 = URL_SAFE_NO_PAD.encode(payload.to_string());
    let mut m = mac(app_secret);
    m.update(payload_b64.as_bytes());
    let sig_b64 = URL_SAFE_NO_PAD.encode(m.finalize().into_bytes());
    format!("{sig_b64}.{payload_b64}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret() -> SecretString {
        SecretString::from("app-secret-value")
    }

    #[test]
    fn what_is_signed_parses_back() {
        let payload = json!({"algorithm": "HMAC-SHA256", "issued_at": 1700000000, "user_id": "42"});
        let raw = sign_request(&payload, &secret());
        assert!(!raw.contains('='));
        let sr = parse_signed_request(&raw, &secret()).unwrap();
        assert_eq!(sr.user_id.as_deref(), Some("42"));
        assert_eq!(sr.issued_at, Some(1_700_000_000));
        assert_eq!(sr.payload, payload);
    }

    #[test]
    fn the_algorithm_is_case_insensitive_and_others_are_refused() {
        let lower = json!({"algorithm": "hmac-sha256", "user_id": 7});
        let sr = parse_signed_request(&sign_request(&lower, &secret()), &secret()).unwrap();
        assert_eq!(sr.user_id.as_deref(), Some("7"));
        let none = json!({"algorithm": "none", "user_id": "7"});
        assert_eq!(
            parse_signed_request(&sign_request(&none, &secret()), &secret()),
            Err(SignedRequestError::UnsupportedAlgorithm("none".into()))
        );
    }

    #[test]
    fn errors_never_show_the_secret() {
        let raw = sign_request(&json!({"algorithm": "HMAC-SHA256"}), &secret());
        let wrong = SecretString::from("another-secret");
        let e = parse_signed_request(&raw, &wrong).unwrap_err();
        assert_eq!(e, SignedRequestError::BadSignature);
        for e in [e, parse_signed_request("x.y", &secret()).unwrap_err()] {
            let text = format!("{e} {e:?}");
            assert!(!text.contains("another-secret") && !text.contains("app-secret-value"));
        }
    }
}
