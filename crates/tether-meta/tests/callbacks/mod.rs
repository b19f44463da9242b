//! The fixtures of what Meta pushes to the app: `signed_request` vectors and decoded payloads,
//! and webhook bodies. Each check takes the fixture's text, like the Graph table's checks.

use secrecy::SecretString;
use serde_json::Value;
use tether_meta::signed_request::{SignedRequestError, parse_signed_request, sign_request};
use tether_meta::webhook::{
    PermissionChange, PermissionVerb, WebhookError, parse_permissions_webhook,
};

/// `key=value` lines of a `signed_request_*.txt` vector.
fn vector(text: &str) -> (String, SecretString, Value) {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("vector has no {name}"))
            .trim()
            .to_owned()
    };
    let payload = serde_json::from_str(&field("decoded_payload")).unwrap();
    (
        field("signed_request"),
        SecretString::from(field("app_secret")),
        payload,
    )
}

/// Flips one character of the payload part (still valid base64url).
fn tamper(raw: &str) -> String {
    let (sig, payload) = raw.split_once('.').unwrap();
    let mut p: Vec<char> = payload.chars().collect();
    let i = p.len() / 2;
    p[i] = if p[i] == 'A' { 'B' } else { 'A' };
    format!("{sig}.{}", p.into_iter().collect::<String>())
}

/// A real vector: verifies with its secret, reads user id and issue time, and rejects a
/// tampered payload, a wrong secret, and garbage, each with its own error.
pub fn signed_request_vector(text: &str, user_id: &str, issued_at: i64) {
    let (raw, secret, expected) = vector(text);
    let sr = parse_signed_request(&raw, &secret).unwrap();
    assert_eq!(sr.payload, expected);
    assert_eq!(sr.algorithm, "HMAC-SHA256");
    assert_eq!(sr.user_id.as_deref(), Some(user_id));
    assert_eq!(sr.issued_at, Some(issued_at));

    assert_eq!(
        parse_signed_request(&tamper(&raw), &secret),
        Err(SignedRequestError::BadSignature)
    );
    let wrong = SecretString::from("not-the-secret");
    assert_eq!(
        parse_signed_request(&raw, &wrong),
        Err(SignedRequestError::BadSignature)
    );
    for garbage in [
        "",
        "no-dot-here",
        ".",
        "abc.",
        "!!!.e30",
        "e30.!!!",
        "e30.e30",
        "a.b.c",
    ] {
        let e = parse_signed_request(garbage, &secret).unwrap_err();
        assert!(
            matches!(e, SignedRequestError::Malformed { .. }),
            "{garbage:?} gave {e:?}"
        );
    }
}

/// A decoded payload as Meta sends it: signed our way, it parses back to the same values.
pub fn signed_request_payload(text: &str, user_id: Option<&str>, issued_at: i64) {
    let payload: Value = serde_json::from_str(text).unwrap();
    let secret = SecretString::from("fixture-secret");
    let raw = sign_request(&payload, &secret);
    let sr = parse_signed_request(&raw, &secret).unwrap();
    assert_eq!(sr.user_id.as_deref(), user_id);
    assert_eq!(sr.issued_at, Some(issued_at));
    assert_eq!(sr.payload, payload);
}

pub fn webhook_connected(body: &str) {
    let changes = parse_permissions_webhook(body.as_bytes()).unwrap();
    assert_eq!(
        changes,
        [PermissionChange {
            user_id: "0".into(),
            permission: "connected".into(),
            verb: PermissionVerb::Granted,
            target_ids: None,
            time: Some(1567181353),
        }]
    );
}

pub fn webhook_granted_with_targets(body: &str) {
    let changes = parse_permissions_webhook(body.as_bytes()).unwrap();
    assert_eq!(
        changes,
        [PermissionChange {
            user_id: "0".into(),
            permission: "manage_fundraisers".into(),
            verb: PermissionVerb::Granted,
            target_ids: Some(vec!["123123123123123".into(), "321321321321321".into()]),
            time: Some(1567635588),
        }]
    );
    let revoked = body.replace("\"granted\"", "\"revoked\"");
    let changes = parse_permissions_webhook(revoked.as_bytes()).unwrap();
    assert_eq!(changes[0].verb, PermissionVerb::Revoked);
    let odd = body.replace("\"granted\"", "\"suspended\"");
    let e = parse_permissions_webhook(odd.as_bytes()).unwrap_err();
    assert!(
        matches!(&e, WebhookError::UnknownVerb { field, verb } if field == "manage_fundraisers" && verb == "suspended"),
        "{e}"
    );
    let cut = &body[..body.len() / 2];
    let e = parse_permissions_webhook(cut.as_bytes()).unwrap_err();
    assert!(matches!(e, WebhookError::InvalidJson(_)));
    assert!(e.to_string().contains("line"), "{e}");
}

pub fn webhook_page_feed(body: &str) {
    let e = parse_permissions_webhook(body.as_bytes()).unwrap_err();
    assert!(
        matches!(&e, WebhookError::UnsupportedObject(o) if o == "page"),
        "{e}"
    );
}
