//! Webhooks from Meta (docs/PLATFORMS.md 1.11): the verification handshake, the
//! `X-Hub-Signature-256` check over the raw body, and the `permissions` object's changes.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error("the X-Hub-Signature-256 header is malformed: {0}")]
    Malformed(&'static str),
    /// The body was not signed with this app's secret, or was altered on the way.
    #[error("the X-Hub-Signature-256 signature does not match the body")]
    Mismatch,
}

/// Checks `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app_secret, raw body)>` in constant time.
/// `raw_body` must be the bytes as received: Meta signs its own escaping of the JSON.
pub fn verify_hub_signature(
    raw_body: &[u8],
    header: Option<&str>,
    app_secret: &SecretString,
) -> Result<(), SignatureError> {
    let header = header.map(str::trim).filter(|h| !h.is_empty());
    let header = header.ok_or(SignatureError::Missing)?;
    let (scheme, hex_sig) = header
        .split_once('=')
        .ok_or(SignatureError::Malformed("expected sha256=<hex>"))?;
    if !scheme.eq_ignore_ascii_case("sha256") {
        return Err(SignatureError::Malformed(
            "not a sha256 signature (the legacy sha1 header is not accepted)",
        ));
    }
    let sig =
        hex::decode(hex_sig).map_err(|_| SignatureError::Malformed("the digest is not hex"))?;
    if sig.len() != 32 {
        return Err(SignatureError::Malformed("the digest is not 32 bytes"));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(raw_body);
    mac.verify_slice(&sig).map_err(|_| SignatureError::Mismatch)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    #[error("hub.mode is {}, not `subscribe`", match .0 { Some(m) => format!("`{}`", m.chars().take(40).collect::<String>()), None => "missing".into() })]
    NotSubscribe(Option<String>),
    #[error("hub.verify_token is missing")]
    MissingVerifyToken,
    #[error("hub.verify_token does not match the configured verify token")]
    VerifyTokenMismatch,
    #[error("hub.challenge is missing or empty")]
    MissingChallenge,
    /// Echoed back verbatim, so it must be short plain text.
    #[error("hub.challenge is not a short printable value")]
    UnusableChallenge,
}

/// The verification handshake: answers `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`
/// with the challenge to send back as the body (200, text/plain).
pub fn hub_challenge(
    mode: Option<&str>,
    verify_token: Option<&str>,
    challenge: Option<&str>,
    expected_token: &SecretString,
) -> Result<String, ChallengeError> {
    if mode != Some("subscribe") {
        return Err(ChallengeError::NotSubscribe(mode.map(str::to_owned)));
    }
    let given = verify_token.ok_or(ChallengeError::MissingVerifyToken)?;
    if !same_secret(given, expected_token.expose_secret()) {
        return Err(ChallengeError::VerifyTokenMismatch);
    }
    let challenge = challenge
        .filter(|c| !c.is_empty())
        .ok_or(ChallengeError::MissingChallenge)?;
    if challenge.len() > 256 || !challenge.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ChallengeError::UnusableChallenge);
    }
    Ok(challenge.to_owned())
}

/// Constant-time equality of two strings of any lengths: both go through an HMAC under a fixed
/// key and the tags are compared with `verify_slice`.
fn same_secret(given: &str, expected: &str) -> bool {
    let tag = |s: &str| {
        let mut m = Hmac::<Sha256>::new_from_slice(b"tether hub.verify_token")
            .expect("HMAC takes keys of any length");
        m.update(s.as_bytes());
        m
    };
    let expected_tag = tag(expected).finalize().into_bytes();
    tag(given).verify_slice(&expected_tag).is_ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionVerb {
    Granted,
    Revoked,
}

/// One change of the `permissions` webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionChange {
    /// The entry's `id`: the app-scoped (or Business Integration) user id.
    pub user_id: String,
    /// The permission, or `connected` for the app connection as a whole.
    pub permission: String,
    pub verb: PermissionVerb,
    /// The assets the grant now names, when the change carries them.
    pub target_ids: Option<Vec<String>>,
    /// The entry's `time` (unix seconds).
    pub time: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Names serde's line and column.
    #[error("the webhook body is not valid JSON: {0}")]
    InvalidJson(#[source] serde_json::Error),
    #[error("webhook object `{0}` is not handled here (only `permissions`)")]
    UnsupportedObject(String),
    #[error("the permissions webhook has an unexpected shape: {0}")]
    Shape(#[source] serde_json::Error),
    #[error("the change to `{field}` carries no verb")]
    MissingVerb { field: String },
    #[error("the change to `{field}` has unknown verb `{verb}`")]
    UnknownVerb { field: String, verb: String },
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    id: Value,
    #[serde(default)]
    time: Option<Value>,
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    field: String,
    /// `{"verb","target_ids"}`; the `connected` change has also been seen with `verb` beside
    /// `field` instead (restfb fixture).
    #[serde(default)]
    value: Option<ChangeValue>,
    #[serde(default)]
    verb: Option<String>,
}

#[derive(Deserialize)]
struct ChangeValue {
    #[serde(default)]
    verb: Option<String>,
    #[serde(default)]
    target_ids: Option<Vec<Value>>,
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn verb_of(field: &str, verb: &str) -> Option<PermissionVerb> {
    match (field, verb) {
        (_, "granted") => Some(PermissionVerb::Granted),
        (_, "revoked") => Some(PermissionVerb::Revoked),
        // Meta's reference describes `connected` as "connected or disconnected".
        ("connected", "connected") => Some(PermissionVerb::Granted),
        ("connected", "disconnected") => Some(PermissionVerb::Revoked),
        _ => None,
    }
}

/// Reads a `permissions` webhook body into its changes, in order. `bookmarked` changes (the
/// app bookmark, not a grant) are skipped.
pub fn parse_permissions_webhook(raw_body: &[u8]) -> Result<Vec<PermissionChange>, WebhookError> {
    let v: Value = serde_json::from_slice(raw_body).map_err(WebhookError::InvalidJson)?;
    match v.get("object") {
        Some(Value::String(o)) if o == "permissions" => {}
        Some(Value::String(o)) => return Err(WebhookError::UnsupportedObject(o.clone())),
        other => {
            return Err(WebhookError::UnsupportedObject(
                other.map_or_else(|| "(none)".into(), Value::to_string),
            ));
        }
    }
    let body = Body::deserialize(v).map_err(WebhookError::Shape)?;
    let mut out = Vec::new();
    for entry in body.entry {
        let shape = |what: &str| WebhookError::Shape(serde::de::Error::custom(what));
        let user_id = id_text(&entry.id).ok_or_else(|| shape("an entry id is not an id"))?;
        let time = match &entry.time {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        for change in entry.changes {
            if change.field == "bookmarked" {
                continue;
            }
            let (verb, target_ids) = match change.value {
                Some(v) => (v.verb.or(change.verb), v.target_ids),
                None => (change.verb, None),
            };
            let verb = verb.ok_or_else(|| WebhookError::MissingVerb {
                field: change.field.clone(),
            })?;
            let verb = verb_of(&change.field, &verb).ok_or_else(|| WebhookError::UnknownVerb {
                field: change.field.clone(),
                verb: verb.chars().take(40).collect(),
            })?;
            out.push(PermissionChange {
                user_id: user_id.clone(),
                permission: change.field,
                verb,
                target_ids: target_ids.map(|ids| ids.iter().filter_map(id_text).collect()),
                time,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(body: &[u8], secret: &str) -> String {
        let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        m.update(body);
        format!("sha256={}", hex::encode(m.finalize().into_bytes()))
    }

    #[test]
    fn hub_signatures() {
        let s = SecretString::from("sek");
        let body = br#"{"object":"permissions","entry":[]}"#;
        let good = sign(body, "sek");
        assert_eq!(verify_hub_signature(body, Some(&good), &s), Ok(()));
        assert_eq!(
            verify_hub_signature(
                body,
                Some(&good.to_uppercase().replace("SHA256", "sha256")),
                &s
            ),
            Ok(()),
            "hex case does not matter"
        );
        assert_eq!(
            verify_hub_signature(body, None, &s),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_hub_signature(body, Some(" "), &s),
            Err(SignatureError::Missing)
        );
        assert!(matches!(
            verify_hub_signature(body, Some("sha1=abcd"), &s),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            verify_hub_signature(body, Some("sha256=zz"), &s),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            verify_hub_signature(body, Some("sha256=abcd"), &s),
            Err(SignatureError::Malformed(_))
        ));
        assert_eq!(
            verify_hub_signature(b"{\"object\":\"page\"}", Some(&good), &s),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_hub_signature(body, Some(&sign(body, "other")), &s),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn challenges() {
        let t = SecretString::from("verify-me");
        let ok = hub_challenge(Some("subscribe"), Some("verify-me"), Some("1158201444"), &t);
        assert_eq!(ok.as_deref(), Ok("1158201444"));
        assert_eq!(
            hub_challenge(Some("unsubscribe"), Some("verify-me"), Some("1"), &t),
            Err(ChallengeError::NotSubscribe(Some("unsubscribe".into())))
        );
        assert_eq!(
            hub_challenge(None, Some("verify-me"), Some("1"), &t),
            Err(ChallengeError::NotSubscribe(None))
        );
        assert_eq!(
            hub_challenge(Some("subscribe"), None, Some("1"), &t),
            Err(ChallengeError::MissingVerifyToken)
        );
        assert_eq!(
            hub_challenge(Some("subscribe"), Some("verify-m"), Some("1"), &t),
            Err(ChallengeError::VerifyTokenMismatch)
        );
        assert_eq!(
            hub_challenge(Some("subscribe"), Some("verify-me"), Some(""), &t),
            Err(ChallengeError::MissingChallenge)
        );
        assert_eq!(
            hub_challenge(
                Some("subscribe"),
                Some("verify-me"),
                Some("<script>x y"),
                &t
            ),
            Err(ChallengeError::UnusableChallenge)
        );
    }

    #[test]
    fn permission_changes() {
        let body = br#"{"object":"permissions","extra":1,"entry":[{"id":42,"time":"7","changes":[
            {"field":"pages_show_list","value":{"verb":"revoked","target_ids":[1,"2"]},"x":0},
            {"field":"bookmarked","value":{"verb":"added"}},
            {"field":"connected","value":{"verb":"disconnected"}}]}]}"#;
        let changes = parse_permissions_webhook(body).unwrap();
        assert_eq!(
            changes,
            [
                PermissionChange {
                    user_id: "42".into(),
                    permission: "pages_show_list".into(),
                    verb: PermissionVerb::Revoked,
                    target_ids: Some(vec!["1".into(), "2".into()]),
                    time: Some(7),
                },
                PermissionChange {
                    user_id: "42".into(),
                    permission: "connected".into(),
                    verb: PermissionVerb::Revoked,
                    target_ids: None,
                    time: Some(7),
                },
            ]
        );
        let unknown = br#"{"object":"permissions","entry":[{"id":"1","changes":[{"field":"email","value":{"verb":"paused"}}]}]}"#;
        let e = parse_permissions_webhook(unknown).unwrap_err();
        assert!(e.to_string().contains("`paused`") && e.to_string().contains("`email`"));
        let e = parse_permissions_webhook(b"{\"object\":").unwrap_err();
        assert!(e.to_string().contains("line 1 column"), "{e}");
        let e = parse_permissions_webhook(br#"{"object":"permissions","entry":{}}"#).unwrap_err();
        assert!(matches!(e, WebhookError::Shape(_)), "{e}");
    }
}
