//! Settings' delivery log: each webhook delivery with the account or login it was about, so
//! thirty `asset.status_changed` rows say whose status changed and to what.

use super::words;
use crate::state::AppState;
use std::collections::HashMap;
use tether_store::{Delivery, Endpoint, EventAbout, Store, WorkspaceId};

pub struct DeliveryRow {
    pub event_type: String,
    pub endpoint: String,
    /// Whose change it announced, in words ("Riverside Gym (Facebook Page): Action required").
    pub about: String,
    /// Where that account or login is, while it still exists.
    pub about_href: Option<String>,
    pub when: String,
    pub outcome: String,
    pub ok: bool,
    pub attempts: u32,
}

/// The newest `limit` deliveries of the workspace, newest first.
pub async fn log(
    s: &AppState,
    ws: WorkspaceId,
    endpoints: &[Endpoint],
    limit: u32,
) -> anyhow::Result<Vec<DeliveryRow>> {
    let list = s.store.list_deliveries(ws, None, limit).await?;
    // A workspace's log repeats the same few subjects; each is looked up once.
    let mut names: HashMap<(Option<_>, Option<_>), Option<(String, String)>> = HashMap::new();
    let mut rows = Vec::with_capacity(list.len());
    for d in list {
        let key = (d.about.asset, d.about.login);
        let subject = match names.get(&key) {
            Some(n) => n.clone(),
            None => {
                let n = subject(s, ws, &d.about).await?;
                names.insert(key, n.clone());
                n
            }
        };
        rows.push(row(d, endpoints, subject));
    }
    Ok(rows)
}

/// The name and page of what an event was about; `None` when it names nothing or it is gone (a
/// disconnected login's erased data).
async fn subject(
    s: &AppState,
    ws: WorkspaceId,
    about: &EventAbout,
) -> anyhow::Result<Option<(String, String)>> {
    if let Some(id) = about.asset {
        return Ok(s.store.get_asset(ws, id).await?.map(|a| {
            (
                format!("{} ({})", a.name, words::kind(a.kind)),
                format!("/app/assets/{}", a.id),
            )
        }));
    }
    if let Some(id) = about.login {
        return Ok(s.store.get_login(ws, id).await?.map(|l| {
            (
                format!("{}'s login ({})", l.person_name, words::network(l.network)),
                format!("/app/logins/{}", l.id),
            )
        }));
    }
    Ok(None)
}

fn row(d: Delivery, endpoints: &[Endpoint], subject: Option<(String, String)>) -> DeliveryRow {
    let endpoint = endpoints
        .iter()
        .find(|e| e.id == d.endpoint_id)
        .map(|e| e.url.clone())
        .unwrap_or_default();
    let (outcome, ok) = if d.delivered_at.is_some() {
        (
            format!(
                "Delivered{}",
                d.last_status
                    .map(|c| format!(" (HTTP {c})"))
                    .unwrap_or_default()
            ),
            true,
        )
    } else if d.dead {
        (
            format!(
                "Given up: {}",
                d.last_error.clone().unwrap_or_else(|| "no answer".into())
            ),
            false,
        )
    } else if d.attempts == 0 {
        ("Waiting to be sent".to_owned(), true)
    } else {
        (
            format!(
                "Failed, will retry{}: {}",
                d.next_attempt_at
                    .map(|t| format!(" at {}", words::date_time(t)))
                    .unwrap_or_default(),
                d.last_error.clone().unwrap_or_else(|| "no answer".into())
            ),
            false,
        )
    };
    let named = d.about.asset.is_some() || d.about.login.is_some();
    let (mut about, about_href) = match subject {
        Some((name, href)) => (name, Some(href)),
        None if named => ("An account or login no longer in Tether".to_owned(), None),
        None => ("—".to_owned(), None),
    };
    if let Some(status) = d.about.new_status {
        about = format!("{about}: {}", words::status(status));
    }
    DeliveryRow {
        event_type: d.event_type,
        endpoint,
        about,
        about_href,
        when: words::date_time(d.created_at),
        outcome,
        ok,
        attempts: d.attempts,
    }
}
