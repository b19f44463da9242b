//! The app's settings of the App Dashboard (OAuth redirect URIs, the URLs Meta calls), the
//! data-deletion request of a person, and the log of what was delivered to the app.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminError, Reply, not_found, required, some_option};
use crate::push;
use crate::state::SimState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedirectUris {
    redirect_uris: Vec<String>,
}

/// An entry is an absolute http(s) URI, or a prefix of one ending in `*`.
fn check_redirect_entry(entry: &str) -> Result<(), AdminError> {
    let ok = match entry.strip_suffix('*') {
        Some(prefix) => prefix.starts_with("http://") || prefix.starts_with("https://"),
        None => push::check_url("redirect_uris", entry).is_ok(),
    };
    if ok {
        Ok(())
    } else {
        Err(AdminError::Invalid(format!(
            "redirect_uris entry {entry:?} is neither an absolute http(s) URI nor such a prefix ending in '*'"
        )))
    }
}

pub(super) async fn redirect_uris_set(State(s): State<SimState>, bytes: Bytes) -> Reply {
    let req: RedirectUris = required(&bytes)?;
    for entry in &req.redirect_uris {
        check_redirect_entry(entry)?;
    }
    let mut g = s.lock();
    g.world.app.redirect_uris = req.redirect_uris;
    Ok(Json(json!({"redirect_uris": g.world.app.redirect_uris})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsageFloor {
    percent: Option<u32>,
}

/// `{"percent": n}`: every `X-App-Usage` reports at least n % (other apps of the same developer
/// spending the budget, as the platform would count them); `{"percent": null}` clears it.
pub(super) async fn usage_set(State(s): State<SimState>, bytes: Bytes) -> Reply {
    let req: UsageFloor = required(&bytes)?;
    let mut g = s.lock();
    g.usage.floor = req.percent.map(u64::from);
    Ok(Json(json!({"percent": g.usage.floor})))
}

/// Each field: absent = keep, `null` = clear, a value = set.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallbackUpdate {
    #[serde(default, deserialize_with = "some_option")]
    deauthorize_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "some_option")]
    data_deletion_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "some_option")]
    webhook_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "some_option")]
    webhook_verify_token: Option<Option<String>>,
}

pub(super) async fn callbacks_get(State(s): State<SimState>) -> Json<Value> {
    Json(s.lock().push.callbacks.view())
}

/// Changes the callback settings. A webhook URL (new, or with a new verify token) must pass
/// Meta's verification handshake first; when it fails nothing changes and the answer says why.
pub(super) async fn callbacks_set(State(s): State<SimState>, bytes: Bytes) -> Reply {
    let req: CallbackUpdate = required(&bytes)?;
    let urls = [
        ("deauthorize_url", &req.deauthorize_url),
        ("data_deletion_url", &req.data_deletion_url),
        ("webhook_url", &req.webhook_url),
    ];
    for (field, value) in urls {
        if let Some(Some(url)) = value {
            push::check_url(field, url).map_err(AdminError::Invalid)?;
        }
    }
    let mut next = s.lock().push.callbacks.clone();
    if let Some(v) = &req.deauthorize_url {
        next.deauthorize_url = v.clone();
    }
    if let Some(v) = &req.data_deletion_url {
        next.data_deletion_url = v.clone();
    }
    if let Some(v) = &req.webhook_url {
        next.webhook_url = v.clone();
    }
    if let Some(v) = &req.webhook_verify_token {
        next.webhook_verify_token = v.clone();
    }
    let verify = req.webhook_url.is_some() || req.webhook_verify_token.is_some();
    let handshake = match (&next.webhook_url, verify) {
        (Some(url), true) => {
            let token = next.webhook_verify_token.as_deref().ok_or_else(|| {
                AdminError::Invalid(
                    "webhook_verify_token is required with webhook_url: Meta sends it in the verification request"
                        .into(),
                )
            })?;
            Some(
                push::handshake(&s, url, token)
                    .await
                    .map_err(AdminError::Invalid)?,
            )
        }
        _ => None,
    };
    let mut g = s.lock();
    g.push.callbacks = next;
    let mut view = g.push.callbacks.view();
    view["handshake"] = json!(handshake);
    Ok(Json(view))
}

/// The person asks for their data to be deleted: the Data Deletion Request Callback is sent and
/// the app's reply (`{"url","confirmation_code"}` when it behaves) is returned. Nothing else
/// changes; call `remove_app` first to play the whole real sequence.
pub(super) async fn user_request_deletion(
    State(s): State<SimState>,
    Path(id): Path<String>,
) -> Reply {
    let delivery = {
        let g = s.lock();
        if !g.world.users.contains_key(&id) {
            return Err(not_found("user", &id));
        }
        push::data_deletion(&g, &id).ok_or_else(|| {
            AdminError::Invalid(
                "no data_deletion_url is set: PUT /_admin/app/callbacks first".into(),
            )
        })?
    };
    let delivered = push::deliver(&s, vec![delivery]).await;
    let reply = delivered
        .first()
        .map(|d| d.reply.clone())
        .unwrap_or(Value::Null);
    Ok(Json(
        json!({"user": id, "reply": reply, "delivered": delivered}),
    ))
}

pub(super) async fn deliveries_get(State(s): State<SimState>) -> Json<Value> {
    Json(json!({"deliveries": s.lock().push.log()}))
}
