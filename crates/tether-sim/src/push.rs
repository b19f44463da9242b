//! What Meta pushes to the app's own server: the deauthorize and data-deletion callbacks
//! (`signed_request`, docs/PLATFORMS.md 1.10) and the `permissions` webhook with its verification
//! handshake and `X-Hub-Signature-256` (1.11).
//!
//! Deliveries are prepared under the state lock and sent after it is released, inside the request
//! that caused them, so the caller's reply already says what the app answered: tests never wait
//! for background work. A failed delivery is reported, never turned into an error.

use std::collections::VecDeque;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::state::{Inner, SimState};
use crate::world::{Grant, PermissionStatus};

/// How long the app's server gets to answer one delivery or handshake.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Deliveries kept for `GET /_admin/deliveries`.
const LOG_CAPACITY: usize = 100;

/// The app's callback settings (App Dashboard → Facebook Login / Webhooks).
#[derive(Debug, Clone, Default)]
pub struct Callbacks {
    pub deauthorize_url: Option<String>,
    pub data_deletion_url: Option<String>,
    pub webhook_url: Option<String>,
    /// Echoed back by the app in the handshake; never shown by the admin API.
    pub webhook_verify_token: Option<String>,
}

impl Callbacks {
    pub fn view(&self) -> Value {
        json!({
            "deauthorize_url": self.deauthorize_url,
            "data_deletion_url": self.data_deletion_url,
            "webhook_url": self.webhook_url,
            "webhook_verify_token_set": self.webhook_verify_token.is_some(),
        })
    }
}

#[derive(Debug, Default)]
pub struct PushState {
    pub callbacks: Callbacks,
    log: VecDeque<DeliveryReport>,
}

impl PushState {
    pub fn log(&self) -> Vec<DeliveryReport> {
        self.log.iter().cloned().collect()
    }

    fn record(&mut self, report: DeliveryReport) {
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(report);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Deauthorize,
    DataDeletion,
    PermissionsWebhook,
}

/// One POST to the app's server, ready to send.
#[derive(Debug)]
pub struct Delivery {
    kind: Kind,
    url: String,
    body: String,
    content_type: &'static str,
    /// `X-Hub-Signature-256` value, for webhooks.
    hub_signature: Option<String>,
}

/// What happened to a delivery: the app's HTTP status and reply, or why there was none.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryReport {
    pub kind: Kind,
    pub url: String,
    /// `None` when no HTTP answer came (connection refused, timeout).
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The app's reply: JSON when it parses, else the text; `null` when empty.
    pub reply: Value,
    /// The body that was sent (signed requests carry no secret, only a signature).
    pub sent: String,
}

fn mac(secret: &str) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length")
}

/// `base64url(HMAC-SHA256(secret, encoded payload)) "." base64url(payload)`, both without
/// padding, the way Meta signs callbacks.
pub fn signed_request(secret: &str, payload: &Value) -> String {
    let encoded = URL_SAFE_NO_PAD.encode(payload.to_string());
    let mut m = mac(secret);
    m.update(encoded.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(m.finalize().into_bytes());
    format!("{signature}.{encoded}")
}

/// `sha256=<lowercase hex HMAC-SHA256(secret, raw body)>`.
pub fn hub_signature(secret: &str, body: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(body);
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

fn signed_form(inner: &Inner, kind: Kind, url: &str, payload: &Value) -> Delivery {
    let signed = signed_request(&inner.world.app.secret, payload);
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("signed_request", &signed)
        .finish();
    Delivery {
        kind,
        url: url.to_string(),
        body,
        content_type: "application/x-www-form-urlencoded",
        hub_signature: None,
    }
}

/// The Deauthorize Callback for a person who removed the app, when a URL is set.
pub fn deauthorize(inner: &Inner, user: &str) -> Option<Delivery> {
    let url = inner.push.callbacks.deauthorize_url.as_deref()?;
    let payload = json!({
        "user_id": user,
        "algorithm": "HMAC-SHA256",
        "issued_at": inner.clock.now().as_second(),
    });
    Some(signed_form(inner, Kind::Deauthorize, url, &payload))
}

/// The Data Deletion Request Callback; `expires` as in the fixture (an hour after issue).
pub fn data_deletion(inner: &Inner, user: &str) -> Option<Delivery> {
    let url = inner.push.callbacks.data_deletion_url.as_deref()?;
    let now = inner.clock.now().as_second();
    let payload = json!({
        "user_id": user,
        "algorithm": "HMAC-SHA256",
        "issued_at": now,
        "expires": now + 3_600,
    });
    Some(signed_form(inner, Kind::DataDeletion, url, &payload))
}

/// `{"field":"connected","verb":"granted"}`: the verb sits beside the field, not in a `value`,
/// exactly as in the fixture webhook_permissions_connected_granted.json.
pub fn connected_change() -> Value {
    json!({"field": "connected", "verb": "granted"})
}

/// One change per permission whose effect moved: newly granted or granted for other targets →
/// `granted` (with `target_ids` when restricted); granted before and not now → `revoked`.
pub fn grant_changes(before: Option<&Grant>, after: Option<&Grant>) -> Vec<Value> {
    let granted = |g: Option<&Grant>, name: &str| {
        g.and_then(|g| g.permission(name))
            .filter(|p| p.status == PermissionStatus::Granted)
            .map(|p| p.target_ids.clone())
    };
    let mut names: Vec<&str> = Vec::new();
    for g in [before, after].into_iter().flatten() {
        for p in &g.permissions {
            if !names.contains(&p.name.as_str()) {
                names.push(&p.name);
            }
        }
    }
    let mut changes = Vec::new();
    for name in names {
        match (granted(before, name), granted(after, name)) {
            (old, Some(new)) if old.as_ref() != Some(&new) => {
                let mut value = json!({"verb": "granted"});
                if let Some(ids) = new {
                    value["target_ids"] = json!(ids);
                }
                changes.push(json!({"field": name, "value": value}));
            }
            (Some(_), None) => {
                changes.push(json!({"field": name, "value": {"verb": "revoked"}}));
            }
            _ => {}
        }
    }
    changes
}

/// The `permissions` webhook for one person, when a URL is set and something changed.
pub fn permissions_webhook(inner: &Inner, user: &str, changes: Vec<Value>) -> Option<Delivery> {
    let url = inner.push.callbacks.webhook_url.as_deref()?;
    if changes.is_empty() {
        return None;
    }
    let body = json!({
        "object": "permissions",
        "entry": [{
            "id": user,
            "uid": user,
            "time": inner.clock.now().as_second(),
            "changes": changes,
        }],
    })
    .to_string();
    let hub_signature = Some(hub_signature(&inner.world.app.secret, body.as_bytes()));
    Some(Delivery {
        kind: Kind::PermissionsWebhook,
        url: url.to_string(),
        body,
        content_type: "application/json",
        hub_signature,
    })
}

fn reply_value(text: &str) -> Value {
    if text.trim().is_empty() {
        return Value::Null;
    }
    serde_json::from_str(text).unwrap_or_else(|_| json!(text))
}

async fn send(http: &reqwest::Client, d: &Delivery) -> DeliveryReport {
    let mut req = http
        .post(&d.url)
        .timeout(TIMEOUT)
        .header(reqwest::header::CONTENT_TYPE, d.content_type)
        .body(d.body.clone());
    if let Some(sig) = &d.hub_signature {
        req = req.header("X-Hub-Signature-256", sig);
    }
    let (status, error, reply) = match req.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            match resp.text().await {
                Ok(text) => (Some(status), None, reply_value(&text)),
                Err(e) => (Some(status), Some(e.without_url().to_string()), Value::Null),
            }
        }
        Err(e) => (None, Some(e.without_url().to_string()), Value::Null),
    };
    DeliveryReport {
        kind: d.kind,
        url: d.url.clone(),
        status,
        error,
        reply,
        sent: d.body.clone(),
    }
}

/// Sends each delivery in order (the lock is not held), logs and counts them.
pub async fn deliver(state: &SimState, deliveries: Vec<Delivery>) -> Vec<DeliveryReport> {
    if deliveries.is_empty() {
        return Vec::new();
    }
    let http = state.http();
    let mut reports = Vec::with_capacity(deliveries.len());
    for d in &deliveries {
        reports.push(send(&http, d).await);
    }
    let mut g = state.lock();
    for r in &reports {
        g.stats.deliveries += 1;
        g.push.record(r.clone());
    }
    reports
}

/// Meta's subscription check: `GET url?hub.mode=subscribe&hub.challenge=N&hub.verify_token=T`
/// must answer 200 with exactly the challenge. `Err` says why it failed.
pub async fn handshake(state: &SimState, url: &str, verify_token: &str) -> Result<Value, String> {
    let mut target = url::Url::parse(url).map_err(|e| format!("webhook_url {url:?}: {e}"))?;
    let challenge = rand::rng()
        .random_range(1_000_000_000u64..10_000_000_000)
        .to_string();
    target
        .query_pairs_mut()
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.challenge", &challenge)
        .append_pair("hub.verify_token", verify_token);
    let resp = state
        .http()
        .get(target)
        .timeout(TIMEOUT)
        .send()
        .await
        // The URL carries the verify token: keep it out of the message.
        .map_err(|e| {
            format!(
                "webhook verification GET to {url} failed: {}",
                e.without_url()
            )
        })?;
    let status = resp.status().as_u16();
    let body = resp.text().await.map_err(|e| {
        format!(
            "webhook verification reply from {url} unreadable: {}",
            e.without_url()
        )
    })?;
    if status != 200 {
        return Err(format!(
            "webhook verification failed: {url} answered HTTP {status}, expected 200 with the hub.challenge"
        ));
    }
    if body != challenge {
        let shown: String = body.chars().take(80).collect();
        return Err(format!(
            "webhook verification failed: {url} answered {shown:?}, expected the hub.challenge {challenge:?}"
        ));
    }
    Ok(json!({"url": url, "status": status, "challenge": challenge}))
}

/// Checks a callback URL is absolute http(s) before anything is sent to it.
pub fn check_url(field: &str, url: &str) -> Result<(), String> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(format!("{field} = {url:?} is not an absolute http(s) URL")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_published_deauthorize_vector() {
        // signed_request_deauthorize_test_vector.txt: secret "key", this exact payload text.
        let payload = r#"{"user_id":"0","algorithm":"HMAC-SHA256","issued_at":1624244156}"#;
        let encoded = URL_SAFE_NO_PAD.encode(payload);
        let mut m = mac("key");
        m.update(encoded.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(m.finalize().into_bytes());
        assert_eq!(sig, "Mf_s6nTb38UYqioBmPqu0Ewm9souPZB9I2fIGwV729U");
        assert_eq!(
            encoded,
            "eyJ1c2VyX2lkIjoiMCIsImFsZ29yaXRobSI6IkhNQUMtU0hBMjU2IiwiaXNzdWVkX2F0IjoxNjI0MjQ0MTU2fQ"
        );
    }

    #[test]
    fn signed_request_has_no_padding_and_round_trips() {
        let payload = json!({"user_id": "u1", "algorithm": "HMAC-SHA256", "issued_at": 1});
        let signed = signed_request("s", &payload);
        assert!(!signed.contains('='));
        let (_, body) = signed.split_once('.').unwrap();
        let decoded: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).unwrap()).unwrap();
        assert_eq!(decoded, payload);
    }
}
