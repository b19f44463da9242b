//! Meta (Facebook Login: Pages, and Instagram accounts through a Page) behind the seam every
//! network shares. The Graph machinery stays where it was; this only speaks the seam's words.

use crate::wire::GraphError;
use crate::{
    Classification, GraphClient, GraphConfig, InspectOptions, KnownToken, TokenUsed, authorize_url,
    classify,
};
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use tether_core::{Catalog, Condition, ObservedKind};
use tether_platform::{
    AppConfig, BoxFut, CallStats, CheckError, Issued, LoginToCheck, Needs, Network, OAuthError,
    Registration, Reported, Snapshot,
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
        Ok(MetaNetwork { client, catalog })
    }

    /// Meta behind the seam around a client the caller already uses (the service shares its
    /// counters and connection pool with the Meta-only paths: pushes, reported errors).
    pub fn from_client(client: GraphClient, catalog: Catalog) -> MetaNetwork {
        MetaNetwork { client, catalog }
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
