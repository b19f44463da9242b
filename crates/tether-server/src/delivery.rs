//! Outbound webhooks, following the Standard Webhooks convention (standardwebhooks.com): every
//! event is POSTed to each of the workspace's endpoints with `webhook-id` (the stable event id,
//! for deduplication), `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "id.timestamp.body">`, retried with growing delays until it is accepted or given up. Events come
//! from the store's transactional outbox, so a status change and its event are never separated.

use crate::state::AppState;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;
use tether_core::Status;
use tether_store::{DeliveryJob, EndpointId, Store};
use tokio::sync::Semaphore;

/// Delays after each failed attempt (the schedule Svix publishes for Standard Webhooks).
const BACKOFF_SECS: &[i64] = &[5, 300, 1800, 7200, 18000, 36000, 36000];
/// Three times the client's 10 s timeout: room to send and record, and a killed deliverer's
/// claims hold their endpoint's few slots (see the store's fair claim) no longer than this.
const LEASE: Duration = Duration::from_secs(30);
/// Deliveries one worker step sends at most (the continuous loop has no such bound).
const PER_STEP: u32 = 100;
/// Deliveries in flight at once in this process.
const IN_FLIGHT: usize = 32;

/// A delivery's HTTP status, or the status (if any) and why it failed.
type Attempt = Result<u16, (Option<u16>, String)>;

/// The signature header value for one delivery.
pub fn sign(secret: &SecretString, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let encoded = secret.expose_secret().strip_prefix("whsec_")?;
    let key = STANDARD.decode(encoded).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The body receivers get: `{type, timestamp, data}`.
pub fn body(event_type: &str, created_at: Timestamp, payload: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": event_type,
        "timestamp": created_at.to_string(),
        "data": payload,
    }))
    .unwrap_or_default()
}

/// Delivers what is due now, as one step of the worker (the tests step it): claims until nothing
/// due is left (at most [`PER_STEP`]), each claim's deliveries at once. Returns (delivered,
/// failed attempts). The server and `tether worker` run [`run`] instead.
pub async fn deliver_due(s: &AppState) -> anyhow::Result<(usize, usize)> {
    let now = s.clock.now();
    let owner = &s.config.worker.owner;
    let (mut ok, mut failed, mut claimed) = (0, 0, 0);
    while claimed < PER_STEP {
        let jobs = s
            .store
            .claim_deliveries(owner, now, LEASE, IN_FLIGHT as u32)
            .await?;
        if jobs.is_empty() {
            break;
        }
        claimed += jobs.len() as u32;
        let outcomes =
            futures::future::join_all(jobs.into_iter().map(|job| deliver_one(s, job, now))).await;
        for delivered in outcomes {
            if delivered? {
                ok += 1;
            } else {
                failed += 1;
            }
        }
    }
    Ok((ok, failed))
}

/// Delivers what is due for one endpoint now (the dashboard's "send a test event"): only that
/// endpoint's, so a person waits for their own endpoint, never for another workspace's.
pub async fn deliver_endpoint(s: &AppState, endpoint: EndpointId) -> anyhow::Result<()> {
    let now = s.clock.now();
    let jobs = s
        .store
        .claim_endpoint_deliveries(&s.config.worker.owner, now, LEASE, endpoint)
        .await?;
    for delivered in
        futures::future::join_all(jobs.into_iter().map(|job| deliver_one(s, job, now))).await
    {
        delivered?;
    }
    Ok(())
}

/// Delivers continuously until `shutdown`: each delivery on its own as soon as a slot is free
/// ([`IN_FLIGHT`] at once), claimed fairly (a few per endpoint and per workspace, see the store),
/// so an endpoint that never answers holds one slot for one timeout and delays no one else; woken
/// as soon as an event is written ([`AppState::events_written`]), polling `poll` otherwise.
pub async fn run(s: AppState, poll: Duration, shutdown: impl std::future::Future<Output = ()>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    tokio::pin!(shutdown);
    // Another process's commits wake this one too (PostgreSQL); polling stays the fallback.
    let mut listener = match s.store.listen_for_deliveries().await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for deliveries; polling instead");
            None
        }
    };
    loop {
        if futures::FutureExt::now_or_never(&mut shutdown).is_some() {
            break;
        }
        let free = slots.available_permits() as u32;
        let jobs = if free == 0 {
            Vec::new()
        } else {
            let now = s.clock.now();
            match s
                .store
                .claim_deliveries(&s.config.worker.owner, now, LEASE, free)
                .await
            {
                Ok(jobs) => jobs,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming deliveries failed; retrying");
                    Vec::new()
                }
            }
        };
        let idle = jobs.is_empty();
        for job in jobs {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                break;
            };
            let s = s.clone();
            tokio::spawn(async move {
                let now = s.clock.now();
                if let Err(e) = deliver_one(&s, job, now).await {
                    tracing::warn!(error = %e, "recording a delivery failed; its lease lapses");
                }
                drop(slot);
                // The endpoint may take another now: a backlog drains at the endpoints' pace,
                // not one claim per poll.
                s.deliveries_due.notify_one();
            });
        }
        if !idle {
            continue;
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = s.deliveries_due.notified() => {}
            woken = wake(&mut listener) => {
                if let Err(e) = woken {
                    tracing::warn!(error = %e, "listening for deliveries failed; polling instead");
                    listener = None;
                }
            }
            // Time to look for retries that fell due.
            () = tokio::time::sleep(poll) => {}
        }
    }
    // Deliveries in flight finish and are recorded (each within the client's timeout) before the
    // process goes, so none is left leased.
    let all = u32::try_from(IN_FLIGHT).unwrap_or(u32::MAX);
    if tokio::time::timeout(Duration::from_secs(15), slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("deliveries still in flight at shutdown; their leases lapse in a minute");
    }
}

/// Waits for another process's commit of deliveries; forever without a listener.
async fn wake(
    listener: &mut Option<tether_store::DeliveryWake>,
) -> Result<(), tether_store::StoreError> {
    match listener {
        Some(l) => l.wait().await,
        None => std::future::pending().await,
    }
}

/// Sends one delivery and records how it went; true if the endpoint accepted it.
async fn deliver_one(s: &AppState, job: DeliveryJob, now: Timestamp) -> anyhow::Result<bool> {
    let owner = &s.config.worker.owner;
    let sending = std::time::Instant::now();
    match post(s, &job, now).await {
        Ok(status) => {
            // How long the event waited for this attempt and how long the endpoint took: where
            // push-to-webhook latency goes (scripts/bench-scale reads these at debug).
            tracing::debug!(
                delivery_id = %job.id, event_id = %job.event.id,
                waited_ms = now.duration_since(job.event.created_at).as_millis(),
                sent_ms = sending.elapsed().as_millis(), "webhook delivered"
            );
            metrics::counter!("tether_webhook_deliveries_total", "outcome" => "delivered")
                .increment(1);
            s.store
                .delivery_succeeded(job.id, owner, status, now)
                .await?;
            Ok(true)
        }
        Err((status, error)) => {
            metrics::counter!("tether_webhook_deliveries_total", "outcome" => "failed")
                .increment(1);
            let attempt = job.attempts + 1;
            let next = (attempt < s.config.worker.max_delivery_attempts).then(|| {
                let i = (attempt as usize - 1).min(BACKOFF_SECS.len() - 1);
                now.saturating_add(SignedDuration::from_secs(BACKOFF_SECS[i]))
                    .unwrap_or(now)
            });
            tracing::warn!(
                delivery_id = %job.id, event_id = %job.event.id, endpoint_id = %job.endpoint.id,
                attempt, error = %error, gave_up = next.is_none(), "webhook delivery failed"
            );
            s.store
                .delivery_failed(job.id, owner, status, &error, next, now)
                .await?;
            Ok(false)
        }
    }
}

async fn post(s: &AppState, job: &DeliveryJob, now: Timestamp) -> Attempt {
    let id = job.event.id.to_string();
    let ts = now.as_second();
    let body = body(
        &job.event.event_type,
        job.event.created_at,
        &job.event.payload,
    );
    let signature = sign(&job.secret, &id, ts, &body).ok_or((
        None,
        "the endpoint's signing secret is unreadable".to_owned(),
    ))?;
    // A name is checked by the client's resolver as it connects; an address written as an IP
    // never reaches a resolver, so it is checked here.
    let url = crate::outbound::well_formed(&job.endpoint.url).map_err(|e| (None, e.to_string()))?;
    crate::outbound::public_ip(&url, s.config.allow_private_hosts)
        .map_err(|e| (None, e.to_string()))?;
    let resp = s
        .http
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| (None, describe(e)))?;
    let status = resp.status().as_u16();
    if resp.status().is_success() {
        Ok(status)
    } else {
        Err((Some(status), format!("the endpoint answered HTTP {status}")))
    }
}

/// A reqwest error without the URL (it may carry credentials a customer put in it).
fn describe(e: reqwest::Error) -> String {
    // A name the resolver refused says why (outbound.rs), not just "could not connect".
    if let Some(refused) = crate::error::cause::<crate::outbound::Refused>(&e) {
        return refused.to_string();
    }
    if e.is_timeout() {
        "the endpoint did not answer in time".into()
    } else if e.is_connect() {
        "could not connect to the endpoint".into()
    } else {
        format!("request failed: {}", e.without_url())
    }
}

/// Once per period per workspace (and not before its first period is over): one
/// `workspace.digest` event, "3 need attention, 2 recovered".
pub async fn send_digests(s: &AppState) -> anyhow::Result<usize> {
    let now = s.clock.now();
    let period = s.config.worker.digest_period;
    let span = SignedDuration::try_from(period).unwrap_or(SignedDuration::from_hours(24));
    let mut sent = 0;
    for ws in s.store.list_workspaces().await? {
        if now.duration_since(ws.created_at) < span {
            continue;
        }
        if !s.store.claim_digest(ws.id, now, period).await? {
            continue;
        }
        let since = now.saturating_sub(span).unwrap_or(now);
        let counts = s.store.count_assets_by_status(ws.id).await?;
        let count = |st: Status| {
            counts
                .iter()
                .filter(|(s, _)| *s == st)
                .map(|(_, n)| *n)
                .sum::<u64>()
        };
        let attention = count(Status::ActionRequired) + count(Status::Disconnected);
        let at_risk = count(Status::AtRisk);
        let transitions = s.store.list_transitions_since(ws.id, since).await?;
        let recovered = transitions
            .iter()
            .filter(|t| {
                t.asset_id.is_some()
                    && t.new_status == Status::Connected
                    && t.old_status
                        .is_some_and(|o| o != Status::Connected && o != Status::Pending)
            })
            .count();
        let by_status: serde_json::Map<String, Value> = counts
            .iter()
            .map(|(st, n)| (st.as_str().to_owned(), json!(n)))
            .collect();
        let payload = json!({
            "workspace_id": ws.id.0,
            "period_start": since.to_string(),
            "period_end": now.to_string(),
            "need_attention": attention,
            "at_risk": at_risk,
            "recovered": recovered,
            "assets_by_status": by_status,
            "summary": format!("{attention} need attention, {at_risk} at risk, {recovered} recovered"),
        });
        s.store
            .enqueue_event(ws.id, "workspace.digest", &payload, now)
            .await?;
        s.events_written();
        sent += 1;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks specification's own example vector.
    #[test]
    fn signs_like_the_specification() {
        let secret = SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned());
        let body = br#"{"test": 2432232314}"#;
        let sig = sign(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn an_unreadable_secret_signs_nothing() {
        let secret = SecretString::from("not-a-whsec".to_owned());
        assert!(sign(&secret, "id", 1, b"{}").is_none());
    }
}
