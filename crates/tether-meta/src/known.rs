//! Cheap routine checks: a login whose `debug_token` facts are known from an earlier check costs
//! one platform call (the field-expanded `me`) instead of two. `debug_token` is asked again, in a
//! follow-up round, only when something may have changed (docs/GRAPH_CALLS.md "Routine checks").

use crate::snapshot::{LoginSnapshot, MeOutcome};
use crate::wire::{DebugTokenData, GranularScopeWire, PageEntry, PermissionEntry};
use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::time::Duration;
use tether_core::{AssetKind, GranularScope, PermissionGrant, TokenValidity};

/// Known facts whose token or data access expires within this margin are asked for again: the
/// person may have renewed them, and an expiry verdict must rest on fresh facts.
pub const KNOWN_EXPIRY_MARGIN: Duration = Duration::from_secs(7 * 24 * 3600);

/// What `debug_token` said about a working login's token, and what `me` listed beside it, at
/// one moment. The caller stores it (it holds no token) and hands it back for the next routine
/// check of the same login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownToken {
    /// When `debug_token` said this, on the caller's clock.
    pub observed_at: Timestamp,
    pub user_id: Option<String>,
    /// `None`: never expires.
    pub expires_at: Option<Timestamp>,
    pub data_access_expires_at: Option<Timestamp>,
    /// The `me/permissions` listing; a different listing next time asks `debug_token` again.
    #[serde(default)]
    pub permissions: Vec<PermissionGrant>,
    #[serde(default)]
    pub granular_scopes: Vec<GranularScope>,
    /// SHA-256 (hex) of the Pages and Instagram accounts `me` listed: a change in what the login
    /// reaches may come with a change of per-asset grants.
    pub listed_assets_sha256: String,
}

/// One login of a routine check.
#[derive(Debug, Clone, Copy)]
pub struct LoginToCheck<'a> {
    pub token: &'a SecretString,
    /// What the previous check learnt (`LoginSnapshot::known_token`); `None` checks in full.
    pub known: Option<&'a KnownToken>,
}

/// Where a snapshot's token facts (expiry, data access, per-asset grants) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFactsSource {
    /// A `debug_token` call of this check.
    DebugToken,
    /// A `KnownToken` reused because nothing suggested a change.
    Known { observed_at: Timestamp },
}

/// What to do about `debug_token` for a login with known facts, given its `me` call so far.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AfterMe {
    /// The `me` call (or its paging) is still under way.
    Wait,
    Reuse,
    Ask,
}

fn within(from: Timestamp, to: Timestamp, span: Duration) -> bool {
    SignedDuration::try_from(span).is_ok_and(|span| to.duration_since(from) <= span)
}

fn sorted(list: impl IntoIterator<Item = PermissionGrant>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .into_iter()
        .map(|p| (p.name, format!("{:?}", p.status)))
        .collect();
    v.sort();
    v
}

fn listed_digest<'a>(
    pages: impl IntoIterator<Item = &'a str>,
    igs: impl IntoIterator<Item = &'a str>,
) -> String {
    let lines: BTreeSet<String> = pages
        .into_iter()
        .map(|p| format!("page:{p}"))
        .chain(igs.into_iter().map(|i| format!("instagram:{i}")))
        .collect();
    let mut h = Sha256::new();
    for line in lines {
        h.update(line.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// The digest of a raw `accounts` listing, as `known_token` computes it from a snapshot.
fn digest_of_pages(pages: &[PageEntry]) -> String {
    listed_digest(
        pages.iter().map(|p| p.id.as_str()),
        pages.iter().filter_map(|p| {
            p.instagram_business_account
                .as_ref()
                .or(p.connected_instagram_account.as_ref())
                .map(|ig| ig.id.as_str())
        }),
    )
}

impl KnownToken {
    /// Whether these facts must be asked for again before any `me` answer is in: too old, or an
    /// expiry close enough that the verdict must rest on fresh facts.
    pub fn needs_refresh(&self, now: Timestamp, max_age: Duration) -> bool {
        !within(self.observed_at, now, max_age)
            || [self.expires_at, self.data_access_expires_at]
                .into_iter()
                .flatten()
                .any(|t| within(now, t, KNOWN_EXPIRY_MARGIN))
    }

    pub(crate) fn after_me(
        &self,
        me: Option<&MeOutcome>,
        pages: &[PageEntry],
        idle: bool,
    ) -> AfterMe {
        match me {
            Some(MeOutcome::Listed {
                permissions: Some(list),
                ..
            }) => {
                let now: Vec<PermissionGrant> = list.iter().filter_map(grant).collect();
                if sorted(now) != sorted(self.permissions.iter().cloned()) {
                    AfterMe::Ask
                } else if !idle {
                    AfterMe::Wait
                } else if digest_of_pages(pages) == self.listed_assets_sha256 {
                    AfterMe::Reuse
                } else {
                    AfterMe::Ask
                }
            }
            // Failed (to learn why), or listed without permissions (nothing to compare).
            Some(_) => AfterMe::Ask,
            None if idle => AfterMe::Ask,
            None => AfterMe::Wait,
        }
    }

    /// The `debug_token` data these facts stand for: a valid user token of our app.
    pub(crate) fn debug_data(&self, our_app_id: &str) -> DebugTokenData {
        DebugTokenData {
            app_id: Some(our_app_id.to_owned()),
            token_type: Some("USER".into()),
            is_valid: true,
            expires_at: Some(self.expires_at.map_or(0, |t| t.as_second())),
            data_access_expires_at: self.data_access_expires_at.map(|t| t.as_second()),
            user_id: self.user_id.clone(),
            scopes: self
                .permissions
                .iter()
                .filter(|p| p.status == tether_core::PermissionStatus::Granted)
                .map(|p| p.name.clone())
                .collect(),
            granular_scopes: self
                .granular_scopes
                .iter()
                .map(|g| GranularScopeWire {
                    scope: g.scope.clone(),
                    target_ids: g.target_ids.clone(),
                })
                .collect(),
            ..DebugTokenData::default()
        }
    }
}

fn grant(p: &PermissionEntry) -> Option<PermissionGrant> {
    Some(PermissionGrant {
        name: p.permission.clone(),
        status: p.status()?,
    })
}

impl LoginSnapshot {
    /// The facts to store for this login's next routine check; `now` is when this check ran.
    /// Reused facts keep the time they were first observed, so they still age. `None` for a
    /// token that does not work: its next check needs `debug_token` anyway.
    pub fn known_token(&self, now: Timestamp) -> Option<KnownToken> {
        if self.login.token.validity != TokenValidity::Valid {
            return None;
        }
        let observed_at = match self.token_facts_source {
            TokenFactsSource::DebugToken => now,
            TokenFactsSource::Known { observed_at } => observed_at,
        };
        let listed = |kind: AssetKind| {
            self.assets.iter().filter(move |a| {
                a.kind == kind
                    && a.listed
                    && (kind == AssetKind::FacebookPage
                        || a.instagram
                            .as_ref()
                            .is_some_and(|i| i.linked_page_id.is_some()))
            })
        };
        Some(KnownToken {
            observed_at,
            user_id: self.login.user_id.clone(),
            expires_at: self.login.token.expires_at,
            data_access_expires_at: self.login.token.data_access_expires_at,
            permissions: self.login.permissions.clone(),
            granular_scopes: self.login.granular_scopes.clone(),
            listed_assets_sha256: listed_digest(
                listed(AssetKind::FacebookPage).map(|a| a.id.as_str()),
                listed(AssetKind::InstagramAccount).map(|a| a.id.as_str()),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::build_snapshot;
    use crate::wire::InstagramRef;
    use tether_core::PermissionStatus;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    fn page(id: &str, ig: Option<&str>) -> PageEntry {
        PageEntry {
            id: id.into(),
            name: None,
            tasks: vec!["MANAGE".into()],
            instagram_business_account: ig.map(|i| InstagramRef {
                id: i.into(),
                username: None,
                shopping_product_tag_eligibility: None,
            }),
            connected_instagram_account: None,
        }
    }

    fn listed(perms: &[(&str, &str)]) -> MeOutcome {
        MeOutcome::Listed {
            id: Some("u1".into()),
            name: Some("Ann".into()),
            permissions: Some(
                perms
                    .iter()
                    .map(|(p, s)| PermissionEntry {
                        permission: (*p).into(),
                        status: (*s).into(),
                    })
                    .collect(),
            ),
        }
    }

    fn known() -> (KnownToken, Vec<PageEntry>) {
        let debug = DebugTokenData {
            app_id: Some("1".into()),
            token_type: Some("USER".into()),
            is_valid: true,
            expires_at: Some(2_000_000_000),
            data_access_expires_at: Some(1_900_000_000),
            user_id: Some("u1".into()),
            granular_scopes: vec![GranularScopeWire {
                scope: "pages_show_list".into(),
                target_ids: Some(vec!["p1".into(), "p9".into()]),
            }],
            ..DebugTokenData::default()
        };
        let pages = vec![page("p1", Some("ig1")), page("p2", None)];
        let me = listed(&[("pages_show_list", "granted"), ("email", "declined")]);
        let snap = build_snapshot("1", &debug, &me, &pages);
        (snap.known_token(ts(1_800_000_000)).unwrap(), pages)
    }

    #[test]
    fn known_facts_round_trip_through_storage_and_rebuild_the_same_snapshot() {
        let (k, pages) = known();
        let json = serde_json::to_string(&k).unwrap();
        let back: KnownToken = serde_json::from_str(&json).unwrap();
        assert_eq!(back, k);
        let me = listed(&[("email", "declined"), ("pages_show_list", "granted")]);
        assert_eq!(k.after_me(Some(&me), &pages, true), AfterMe::Reuse);
        assert_eq!(k.after_me(Some(&me), &pages, false), AfterMe::Wait);
        let fresh = build_snapshot("1", &k.debug_data("1"), &me, &pages);
        let again = fresh.known_token(ts(1_800_000_500)).unwrap();
        assert_eq!(again.granular_scopes, k.granular_scopes);
        assert_eq!(again.listed_assets_sha256, k.listed_assets_sha256);
        assert_eq!(fresh.login.token.expires_at, Some(ts(2_000_000_000)));
        assert_eq!(
            fresh.assets.iter().filter(|a| !a.listed).count(),
            1,
            "p9 is still granted but unlisted"
        );
    }

    #[test]
    fn any_sign_of_change_asks_debug_token() {
        let (k, pages) = known();
        let declined = listed(&[("pages_show_list", "declined"), ("email", "declined")]);
        assert_eq!(k.after_me(Some(&declined), &[], false), AfterMe::Ask);
        let same = listed(&[("pages_show_list", "granted"), ("email", "declined")]);
        assert_eq!(k.after_me(Some(&same), &pages[..1], true), AfterMe::Ask);
        let broken = MeOutcome::Broken {
            reason: tether_core::BrokenReason::PasswordChanged,
            error: tether_core::PlatformError::new(190, Some(460), "m"),
        };
        assert_eq!(k.after_me(Some(&broken), &pages, true), AfterMe::Ask);
        assert_eq!(k.after_me(None, &pages, false), AfterMe::Wait);
        assert_eq!(k.after_me(None, &pages, true), AfterMe::Ask);
        assert_eq!(k.permissions[1].status, PermissionStatus::Declined);
    }

    #[test]
    fn old_facts_and_near_expiries_are_refreshed() {
        let (k, _) = known();
        let day = Duration::from_secs(86_400);
        let obs = k.observed_at;
        assert!(!k.needs_refresh(obs, 7 * day));
        assert!(k.needs_refresh(obs + SignedDuration::from_hours(8 * 24), 7 * day));
        // data access lapses at 1.9e9: within 7 days of 1.9e9 - 6 days.
        assert!(k.needs_refresh(ts(1_900_000_000 - 6 * 86_400), 10_000 * day));
        let never = KnownToken {
            expires_at: None,
            data_access_expires_at: None,
            ..k
        };
        assert!(!never.needs_refresh(ts(2_100_000_000), 10_000 * day));
    }
}
