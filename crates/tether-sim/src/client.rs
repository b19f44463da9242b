//! A typed client for the admin API, for tests and tools that drive a running simulator.

use jiff::Timestamp;
use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

use crate::faults::{FaultSpec, Sample, SampledFault};
use crate::state::Stats;
use crate::world::PermissionStatus;

#[derive(Debug, thiserror::Error)]
pub enum AdminClientError {
    #[error("admin request failed: {0}")]
    Http(#[source] reqwest::Error),
    #[error("admin API answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("admin API answered an unexpected body: {0}")]
    Decode(String),
    #[error("invalid simulator base URL {0:?}")]
    BaseUrl(String),
}

/// Builds a reqwest client. The ring provider must be installed first (STACK.md G1).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client without TLS configuration builds")
}

/// A change of the app's callback settings for [`AdminClient::set_callbacks`]: `None` keeps a
/// field, `Some(None)` clears it, `Some(Some(v))` sets it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CallbackUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deauthorize_url: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_deletion_url: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_verify_token: Option<Option<String>>,
}

impl CallbackUpdate {
    pub fn deauthorize_url(mut self, url: impl Into<String>) -> Self {
        self.deauthorize_url = Some(Some(url.into()));
        self
    }

    pub fn data_deletion_url(mut self, url: impl Into<String>) -> Self {
        self.data_deletion_url = Some(Some(url.into()));
        self
    }

    /// Sets the webhook URL and verify token; the simulator runs the handshake against it.
    pub fn webhook(mut self, url: impl Into<String>, verify_token: impl Into<String>) -> Self {
        self.webhook_url = Some(Some(url.into()));
        self.webhook_verify_token = Some(Some(verify_token.into()));
        self
    }
}

#[derive(Debug, Clone)]
pub struct AdminClient {
    base: url::Url,
    http: reqwest::Client,
}

impl AdminClient {
    /// `base_url` is the simulator's root, e.g. `http://127.0.0.1:4100`.
    pub fn new(base_url: &str) -> Result<AdminClient, AdminClientError> {
        let base = url::Url::parse(base_url)
            .map_err(|_| AdminClientError::BaseUrl(base_url.to_string()))?;
        if base.cannot_be_a_base() {
            return Err(AdminClientError::BaseUrl(base_url.to_string()));
        }
        Ok(AdminClient {
            base,
            http: http_client(),
        })
    }

    fn url(&self, segments: &[&str]) -> url::Url {
        let mut url = self.base.clone();
        {
            let mut path = url.path_segments_mut().expect("checked in new()");
            path.pop_if_empty().push("_admin");
            for s in segments {
                path.push(s);
            }
        }
        url
    }

    async fn call(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<Value>,
    ) -> Result<Value, AdminClientError> {
        let mut req = self.http.request(method, self.url(segments));
        if let Some(b) = body {
            req = req.json(&b);
        }
        // Paths may hold tokens: errors are reported without the URL.
        let resp = req
            .send()
            .await
            .map_err(|e| AdminClientError::Http(e.without_url()))?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| AdminClientError::Http(e.without_url()))?;
        if !(200..300).contains(&status) {
            return Err(AdminClientError::Status { status, body: text });
        }
        serde_json::from_str(&text).map_err(|e| AdminClientError::Decode(e.to_string()))
    }

    async fn post(
        &self,
        segments: &[&str],
        body: Option<Value>,
    ) -> Result<Value, AdminClientError> {
        self.call(Method::POST, segments, body).await
    }

    pub async fn clock(&self) -> Result<Value, AdminClientError> {
        self.call(Method::GET, &["clock"], None).await
    }

    pub async fn advance_seconds(&self, seconds: i64) -> Result<Value, AdminClientError> {
        self.post(&["clock", "advance"], Some(json!({"seconds": seconds})))
            .await
    }

    pub async fn advance_days(&self, days: i64) -> Result<Value, AdminClientError> {
        self.post(&["clock", "advance"], Some(json!({"days": days})))
            .await
    }

    pub async fn set_clock(&self, now: Timestamp) -> Result<Value, AdminClientError> {
        self.post(&["clock", "set"], Some(json!({"now": now.to_string()})))
            .await
    }

    pub async fn world(&self) -> Result<Value, AdminClientError> {
        self.call(Method::GET, &["world"], None).await
    }

    pub async fn stats(&self) -> Result<Stats, AdminClientError> {
        let v = self.call(Method::GET, &["stats"], None).await?;
        serde_json::from_value(v).map_err(|e| AdminClientError::Decode(e.to_string()))
    }

    pub async fn reset_stats(&self) -> Result<Value, AdminClientError> {
        self.post(&["stats", "reset"], None).await
    }

    pub async fn user(&self, user: &str) -> Result<Value, AdminClientError> {
        self.call(Method::GET, &["users", user], None).await
    }

    /// Every token of the person becomes 190/460.
    pub async fn change_password(&self, user: &str) -> Result<Value, AdminClientError> {
        self.post(&["users", user, "change_password"], None).await
    }

    /// 190/458 from now on; the grant is cleared.
    pub async fn remove_app(&self, user: &str) -> Result<Value, AdminClientError> {
        self.post(&["users", user, "remove_app"], None).await
    }

    /// 190/459 while active.
    pub async fn checkpoint(&self, user: &str, active: bool) -> Result<Value, AdminClientError> {
        self.post(
            &["users", user, "checkpoint"],
            Some(json!({"active": active})),
        )
        .await
    }

    /// 190/464 while active.
    pub async fn unconfirmed(&self, user: &str, active: bool) -> Result<Value, AdminClientError> {
        self.post(
            &["users", user, "unconfirmed"],
            Some(json!({"active": active})),
        )
        .await
    }

    /// The person's data-access window ends at `at` (in the past: closed, their data refused).
    pub async fn set_data_access_expires_at(
        &self,
        user: &str,
        at: Timestamp,
    ) -> Result<Value, AdminClientError> {
        self.post(
            &["users", user, "data_access"],
            Some(json!({"at": at.to_string()})),
        )
        .await
    }

    /// Every token of the person becomes 190/467.
    pub async fn logout(&self, user: &str) -> Result<Value, AdminClientError> {
        self.post(&["users", user, "logout"], None).await
    }

    pub async fn set_permission(
        &self,
        user: &str,
        permission: &str,
        status: PermissionStatus,
    ) -> Result<Value, AdminClientError> {
        self.call(
            Method::PUT,
            &["users", user, "permissions", permission],
            Some(json!({"status": status})),
        )
        .await
    }

    pub async fn revoke_permission(
        &self,
        user: &str,
        permission: &str,
    ) -> Result<Value, AdminClientError> {
        self.call(
            Method::DELETE,
            &["users", user, "permissions", permission],
            None,
        )
        .await
    }

    /// `None` lifts the asset restriction.
    pub async fn set_target_ids(
        &self,
        user: &str,
        permission: &str,
        target_ids: Option<&[&str]>,
    ) -> Result<Value, AdminClientError> {
        self.call(
            Method::PUT,
            &["users", user, "permissions", permission, "target_ids"],
            Some(json!({"target_ids": target_ids})),
        )
        .await
    }

    pub async fn token(&self, token: &str) -> Result<Value, AdminClientError> {
        self.call(Method::GET, &["tokens", token], None).await
    }

    /// 190/466.
    pub async fn invalidate_token(&self, token: &str) -> Result<Value, AdminClientError> {
        self.post(&["tokens", token, "invalidate"], None).await
    }

    /// 190/463 from now on.
    pub async fn expire_token(&self, token: &str) -> Result<Value, AdminClientError> {
        self.post(&["tokens", token, "expire"], None).await
    }

    /// `None` = never expires.
    pub async fn set_token_expires_at(
        &self,
        token: &str,
        at: Option<Timestamp>,
    ) -> Result<Value, AdminClientError> {
        let v = match at {
            Some(t) => json!(t.to_string()),
            None => json!("never"),
        };
        self.post(
            &["tokens", token, "expires_at"],
            Some(json!({"expires_at": v})),
        )
        .await
    }

    pub async fn set_tasks(
        &self,
        page: &str,
        user: &str,
        tasks: &[&str],
    ) -> Result<Value, AdminClientError> {
        self.call(
            Method::PUT,
            &["pages", page, "tasks", user],
            Some(json!({"tasks": tasks})),
        )
        .await
    }

    pub async fn remove_tasks(&self, page: &str, user: &str) -> Result<Value, AdminClientError> {
        self.call(Method::DELETE, &["pages", page, "tasks", user], None)
            .await
    }

    pub async fn unlink_instagram(&self, ig: &str) -> Result<Value, AdminClientError> {
        self.post(&["instagram", ig, "unlink"], None).await
    }

    pub async fn link_instagram(&self, ig: &str, page: &str) -> Result<Value, AdminClientError> {
        self.post(&["instagram", ig, "link"], Some(json!({"page": page})))
            .await
    }

    pub async fn set_professional(
        &self,
        ig: &str,
        professional: bool,
    ) -> Result<Value, AdminClientError> {
        self.post(
            &["instagram", ig, "professional"],
            Some(json!({"professional": professional})),
        )
        .await
    }

    pub async fn add_fault(&self, fault: &FaultSpec) -> Result<Value, AdminClientError> {
        let body =
            serde_json::to_value(fault).map_err(|e| AdminClientError::Decode(e.to_string()))?;
        self.post(&["faults"], Some(body)).await
    }

    /// A fault that fires on a share of the matching calls (see `faults`, "Rate").
    pub async fn add_sampled_fault(
        &self,
        fault: &FaultSpec,
        sample: Sample,
    ) -> Result<Value, AdminClientError> {
        let body = serde_json::to_value(SampledFault {
            spec: fault.clone(),
            sample: Some(sample),
        })
        .map_err(|e| AdminClientError::Decode(e.to_string()))?;
        self.post(&["faults"], Some(body)).await
    }

    /// The faults still active, each with its firings so far (`fired`).
    pub async fn faults(&self) -> Result<Value, AdminClientError> {
        self.call(Method::GET, &["faults"], None).await
    }

    pub async fn clear_faults(&self) -> Result<Value, AdminClientError> {
        self.call(Method::DELETE, &["faults"], None).await
    }

    /// Replaces the app's OAuth redirect URIs (exact URIs, or prefixes ending in `*`).
    /// Every `X-App-Usage` reports at least `percent` (None: only the calls made count).
    pub async fn set_app_usage(&self, percent: Option<u32>) -> Result<Value, AdminClientError> {
        self.post(&["app", "usage"], Some(json!({"percent": percent})))
            .await
    }

    pub async fn set_redirect_uris(&self, uris: &[&str]) -> Result<Value, AdminClientError> {
        self.call(
            Method::PUT,
            &["app", "redirect_uris"],
            Some(json!({"redirect_uris": uris})),
        )
        .await
    }

    pub async fn callbacks(&self) -> Result<Value, AdminClientError> {
        self.call(Method::GET, &["app", "callbacks"], None).await
    }

    /// Fails with HTTP 400 (and changes nothing) when a new webhook URL fails the handshake.
    pub async fn set_callbacks(&self, update: &CallbackUpdate) -> Result<Value, AdminClientError> {
        let body =
            serde_json::to_value(update).map_err(|e| AdminClientError::Decode(e.to_string()))?;
        self.call(Method::PUT, &["app", "callbacks"], Some(body))
            .await
    }

    /// Sends the Data Deletion Request Callback; the answer carries the app's `reply`.
    pub async fn request_deletion(&self, user: &str) -> Result<Value, AdminClientError> {
        self.post(&["users", user, "request_deletion"], None).await
    }

    /// The last deliveries to the app's server, oldest first.
    pub async fn deliveries(&self) -> Result<Value, AdminClientError> {
        self.call(Method::GET, &["deliveries"], None).await
    }
}
