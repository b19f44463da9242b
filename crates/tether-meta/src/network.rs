//! Meta (Facebook Login: Pages, and Instagram accounts through a Page) behind the seam every
//! network shares. The Graph machinery stays where it was; this only speaks the seam's words.

use crate::signed_request::{SignedRequestError, parse_signed_request};
use crate::webhook::{
    PermissionVerb, SignatureError, hub_challenge, parse_permissions_webhook, verify_hub_signature,
};
use crate::wire::GraphError;
use crate::{
    Classification, GraphClient, GraphConfig, InspectOptions, KnownToken, TokenUsed, authorize_url,
    classify,
};
use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use std::sync::Arc;
use tether_core::{Catalog, Condition, ObservedKind};
use tether_platform::{
    AppConfig, BoxFut, CallStats, Change, CheckError, Issued, LoginToCheck, Needs, Network,
    OAuthError, Push, PushError, PushReply, Registration, Reported, Signal, Snapshot,
};
use url::Url;

pub const REGISTRATION: Registration = Registration {
    id: tether_core::Network::Meta,
    summary: "Facebook Pages and Instagram accounts reached through a Facebook Login user token",
    build,
};

/// The worst case of one login's check: `debug_token` and `me` (docs/GRAPH_CALLS.md).
pub const WORST_CALLS_PER_LOGIN: u32 = 2;

fn build(app: AppConfig) -> Result<Arc<dyn Network>, String> {
    Ok(Arc::new(MetaNetwork::new(app)?))
}

pub struct MetaNetwork {
    pub client: GraphClient,
    catalog: Catalog,
    /// What Meta's webhook subscription handshake must echo.
    verify_token: Option<SecretString>,
}

impl MetaNetwork {
    pub fn new(app: AppConfig) -> Result<MetaNetwork, String> {
        let mut config = GraphConfig::new(app.client_id, app.client_secret);
        if let Some(url) = app.api_url {
            config.base_url = url;
        }
        if let Some(url) = app.dialog_url {
            config.dialog_base_url = url;
        }
        if let Some(t) = app.timeout {
            config.timeout = t;
        }
        let client = GraphClient::new(config).map_err(|e| e.to_string())?;
        let catalog = Catalog::builtin(tether_core::Network::Meta).map_err(|e| e.to_string())?;
        Ok(MetaNetwork {
            client,
            catalog,
            verify_token: app.verify_token,
        })
    }

    /// Meta behind the seam around a client the caller already uses (the service shares its
    /// counters and connection pool with the Meta-only paths: pushes, reported errors).
    pub fn from_client(
        client: GraphClient,
        catalog: Catalog,
        verify_token: Option<SecretString>,
    ) -> MetaNetwork {
        MetaNetwork {
            client,
            catalog,
            verify_token,
        }
    }

    /// A deauthorize or data-deletion callback as a signal: the person its `signed_request` (a
    /// form field, signed with the app secret) names, and when Meta signed it.
    fn signed_signal(&self, body: &[u8], change: Change) -> Result<PushReply, PushError> {
        let raw = url::form_urlencoded::parse(body)
            .find(|(k, _)| k == "signed_request")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| {
                PushError::Malformed(
                    "missing_signed_request",
                    "expected a form body with a signed_request field".into(),
                )
            })?;
        let req =
            parse_signed_request(&raw, &self.client.config().app_secret).map_err(|e| match e {
                SignedRequestError::BadSignature => PushError::Refused(
                    "signed_request signature does not match the app secret".into(),
                ),
                other => PushError::Malformed("malformed_signed_request", other.to_string()),
            })?;
        let user_id = req.user_id.ok_or_else(|| {
            PushError::Malformed(
                "malformed_signed_request",
                "signed_request names no user_id".into(),
            )
        })?;
        Ok(PushReply::Signals(vec![Signal {
            user_id,
            sent_at: req.issued_at.and_then(|s| Timestamp::from_second(s).ok()),
            change,
        }]))
    }

    pub fn options(needs: &Needs) -> InspectOptions {
        InspectOptions {
            product_tag_eligibility: needs
                .conditions
                .contains(&Condition::InstagramProductTagEligible),
            concurrency: needs.concurrency.max(1),
            on_progress: needs.on_progress.clone(),
            now: Some(needs.now),
            ..InspectOptions::default()
        }
    }
}

impl Network for MetaNetwork {
    fn id(&self) -> tether_core::Network {
        tether_core::Network::Meta
    }

    fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    fn calls_per_check(&self) -> u32 {
        WORST_CALLS_PER_LOGIN
    }

    fn authorize_url(&self, redirect: &Url, state: &str, scopes: &[&str], ask_again: bool) -> Url {
        authorize_url(self.client.config(), redirect, state, scopes, ask_again)
    }

    fn exchange<'a>(
        &'a self,
        code: &'a str,
        redirect: &'a Url,
        now: Timestamp,
    ) -> BoxFut<'a, Result<Issued, OAuthError>> {
        Box::pin(async move {
            let short = self.client.exchange_code(code, redirect).await?;
            let long = self.client.exchange_long_lived(&short.token).await?;
            Ok(Issued {
                access_token: long.token,
                expires_at: long.expires_in.and_then(|d| {
                    SignedDuration::try_from(d)
                        .ok()
                        .and_then(|d| now.checked_add(d).ok())
                }),
                refresh_token: None,
                refresh_expires_at: None,
                // debug_token tells who granted it; the exchange does not.
                user_id: None,
                granted: None,
            })
        })
    }

    fn inspect<'a>(
        &'a self,
        logins: &'a [LoginToCheck],
        needs: &'a Needs,
    ) -> BoxFut<'a, Vec<Result<Snapshot, CheckError>>> {
        Box::pin(async move {
            // Known facts the store kept in an older shape are only a missed saving: check in full.
            let known: Vec<Option<KnownToken>> = logins
                .iter()
                .map(|l| {
                    l.known
                        .as_ref()
                        .and_then(|v| serde_json::from_value(v.clone()).ok())
                })
                .collect();
            let to_check: Vec<crate::LoginToCheck<'_>> = logins
                .iter()
                .zip(&known)
                .map(|(l, k)| crate::LoginToCheck {
                    token: &l.token,
                    known: k.as_ref(),
                })
                .collect();
            self.client
                .inspect_known_logins(&to_check, needs.now, &MetaNetwork::options(needs))
                .await
                .into_iter()
                .map(|r| r.map(|s| snapshot(s, needs.now)))
                .collect()
        })
    }

    fn stats(&self) -> CallStats {
        self.client.stats()
    }

    fn usage_percent(&self) -> Option<u32> {
        self.client.usage_percent()
    }

    /// `deauthorize` and `data-deletion` (a `signed_request`), and the `permissions` webhook
    /// (`X-Hub-Signature-256` over the raw body; `GET` is the subscription handshake).
    fn push(&self, p: &Push<'_>) -> Result<PushReply, PushError> {
        match (p.kind, p.method) {
            ("deauthorize", "POST") => self.signed_signal(p.body, Change::AppRemoved),
            ("data-deletion", "POST") => self.signed_signal(p.body, Change::DataDeletion),
            ("webhook", "GET") => {
                let expected = self.verify_token.clone().unwrap_or_default();
                hub_challenge(
                    p.query("hub.mode"),
                    p.query("hub.verify_token"),
                    p.query("hub.challenge"),
                    &expected,
                )
                .map(PushReply::Challenge)
                .map_err(|e| PushError::Refused(e.to_string()))
            }
            ("webhook", "POST") => {
                verify_hub_signature(
                    p.body,
                    p.header("x-hub-signature-256"),
                    &self.client.config().app_secret,
                )
                .map_err(|e| match e {
                    SignatureError::Missing => PushError::Unsigned(e.to_string()),
                    other => PushError::Refused(other.to_string()),
                })?;
                let changes = parse_permissions_webhook(p.body)
                    .map_err(|e| PushError::Malformed("invalid_webhook", e.to_string()))?;
                Ok(PushReply::Signals(
                    changes
                        .into_iter()
                        .map(|c| Signal {
                            sent_at: c.time.and_then(|s| Timestamp::from_second(s).ok()),
                            change: match (c.permission.as_str(), c.verb) {
                                // `connected` is the app connection itself.
                                ("connected", PermissionVerb::Revoked) => Change::AppRemoved,
                                (_, PermissionVerb::Revoked) => Change::PermissionRevoked {
                                    permission: c.permission,
                                },
                                // Only a check can say what a grant allows (which assets).
                                (_, PermissionVerb::Granted) => Change::CheckSoon,
                            },
                            user_id: c.user_id,
                        })
                        .collect(),
                ))
            }
            _ => Err(PushError::UnknownKind),
        }
    }

    fn read_reported_error(
        &self,
        raw: &serde_json::Value,
        page_token: bool,
    ) -> Result<Reported, String> {
        let raw = raw.get("error").unwrap_or(raw);
        let err: GraphError = serde_json::from_value(raw.clone())
            .map_err(|e| format!("not a Graph API error object ({e})"))?;
        let used = if page_token {
            TokenUsed::Page
        } else {
            TokenUsed::User
        };
        let error = err.to_platform_error();
        let problem = |kind| Reported::Problem {
            kind,
            error: error.clone(),
        };
        Ok(match classify(&err, used, None) {
            Classification::LoginBroken(reason) => Reported::LoginBroken {
                reason,
                error: error.clone(),
            },
            Classification::MissingPermission {
                permission: Some(permission),
            } => problem(ObservedKind::PermissionMissing { permission }),
            Classification::AssetAccess => problem(ObservedKind::AssetAccessLost),
            Classification::AppFeatureMissing => problem(ObservedKind::AppFeatureMissing),
            Classification::AccountRestricted => problem(ObservedKind::AccountRestricted),
            Classification::RateLimited { .. } | Classification::Transient => Reported::Transient,
            Classification::RequestRejected => Reported::RequestRejected,
            Classification::CheckerMisconfigured => Reported::CheckerMisconfigured,
            _ => Reported::Unrecognized,
        })
    }
}

/// A Graph snapshot in the seam's words: what `debug_token` said travels as the opaque `known`.
pub fn snapshot(s: crate::LoginSnapshot, now: Timestamp) -> Snapshot {
    Snapshot {
        known: s
            .known_token(now)
            .and_then(|k| serde_json::to_value(k).ok()),
        login: s.login,
        assets: s.assets,
    }
}
