//! Turning what `debug_token` and `me` said into the facts the engine reads.

use crate::classify::{Classification, TokenUsed, classify};
use crate::known::TokenFactsSource;
use crate::wire::{DebugTokenData, PageEntry, PermissionEntry};
use jiff::Timestamp;
use std::collections::HashSet;
use tether_core::{
    AssetFacts, AssetKind, BrokenReason, GranularScope, InstagramFacts, LoginFacts,
    ObservedProblem, PermissionGrant, PermissionStatus, PlatformError, TokenFacts, TokenValidity,
};

/// Everything learnt about one login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginSnapshot {
    pub login: LoginFacts,
    /// Listed Pages (each followed by its Instagram account) in platform order, then assets only
    /// known from per-asset grants.
    pub assets: Vec<AssetFacts>,
    /// Whether `login.token` and the grants came from `debug_token` now or from known facts.
    pub token_facts_source: TokenFactsSource,
}

/// How the `me` call (and its paging) ended for a login.
#[derive(Debug, Clone, PartialEq)]
pub enum MeOutcome {
    Listed {
        id: Option<String>,
        name: Option<String>,
        permissions: Option<Vec<PermissionEntry>>,
    },
    Broken {
        reason: BrokenReason,
        error: PlatformError,
    },
    /// The call failed for a reason that is a finding, not a broken token (code 3, 368, …).
    Observed(ObservedProblem),
}

/// Retired group scopes whose `target_ids` name groups (docs/PLATFORMS.md 1.12).
const GROUP_SCOPES: &[&str] = &["publish_to_groups", "groups_access_member_info"];

/// Unix seconds → timestamp; `0` is Meta's "never".
fn timestamp(secs: Option<i64>) -> Option<Timestamp> {
    secs.filter(|s| *s > 0)
        .and_then(|s| Timestamp::from_second(s).ok())
}

fn validity(our_app_id: &str, debug: &DebugTokenData, me: &MeOutcome) -> TokenValidity {
    let foreign_app = debug.app_id.as_deref().filter(|a| *a != our_app_id);
    if let Some(app_id) = foreign_app.filter(|_| debug.is_valid) {
        // A working token minted for another app can never work for ours, so it is unreadable
        // for this app. A dead one keeps the reason the platform gave for its death.
        return TokenValidity::Broken {
            reason: BrokenReason::Unreadable,
            platform_error: Some(PlatformError::new(
                debug.error.as_ref().map_or(190, |e| e.code),
                None::<u8>,
                format!(
                    "debug_token: the token belongs to app {app_id}, not to this app ({our_app_id})"
                ),
            )),
        };
    }
    let from_debug = (!debug.is_valid).then(|| match &debug.error {
        Some(err) => {
            let reason = match classify(err, TokenUsed::User, None) {
                Classification::LoginBroken(r) => r,
                _ => BrokenReason::Unknown,
            };
            (reason, Some(err.to_platform_error()))
        }
        None => (BrokenReason::Unknown, None),
    });
    match (me, from_debug) {
        // The `me` call is a real use of the token: it wins over debug_token, which can lag.
        (MeOutcome::Broken { reason, error }, debug) => {
            let reason = match debug {
                Some((d, _)) if *reason == BrokenReason::Unknown => d,
                _ => *reason,
            };
            TokenValidity::Broken {
                reason,
                platform_error: Some(error.clone()),
            }
        }
        (MeOutcome::Listed { .. }, _) | (MeOutcome::Observed(_), None) => TokenValidity::Valid,
        (MeOutcome::Observed(_), Some((reason, platform_error))) => TokenValidity::Broken {
            reason,
            platform_error,
        },
    }
}

fn permissions(debug: &DebugTokenData, me: &MeOutcome) -> Vec<PermissionGrant> {
    if let MeOutcome::Listed {
        permissions: Some(list),
        ..
    } = me
    {
        return list
            .iter()
            .filter_map(|p| {
                Some(PermissionGrant {
                    name: p.permission.clone(),
                    status: p.status()?,
                })
            })
            .collect();
    }
    debug
        .scopes
        .iter()
        .map(|s| PermissionGrant {
            name: s.clone(),
            status: PermissionStatus::Granted,
        })
        .collect()
}

/// Builds the facts of one login from its `debug_token` data, how its `me` call ended and the
/// Pages listed (all pages, in order). Pure: the client calls it, and so can replays of stored
/// responses.
pub fn build_snapshot(
    our_app_id: &str,
    debug: &DebugTokenData,
    me: &MeOutcome,
    pages: &[PageEntry],
) -> LoginSnapshot {
    let (me_id, me_name) = match me {
        MeOutcome::Listed { id, name, .. } => (id.clone(), name.clone()),
        _ => (None, None),
    };
    let login = LoginFacts {
        user_id: debug.user_id.clone().or(me_id),
        user_name: me_name,
        token: TokenFacts {
            validity: validity(our_app_id, debug, me),
            expires_at: timestamp(debug.expires_at),
            data_access_expires_at: timestamp(debug.data_access_expires_at),
        },
        permissions: permissions(debug, me),
        granular_scopes: debug
            .granular_scopes
            .iter()
            .map(|g| GranularScope {
                scope: g.scope.clone(),
                target_ids: g.target_ids.clone(),
            })
            .collect(),
        observed: match me {
            MeOutcome::Observed(p) => vec![p.clone()],
            _ => Vec::new(),
        },
    };
    LoginSnapshot {
        login,
        assets: assets(debug, pages),
        token_facts_source: TokenFactsSource::DebugToken,
    }
}

fn asset(kind: AssetKind, id: &str) -> AssetFacts {
    AssetFacts {
        kind,
        id: id.to_owned(),
        name: None,
        listed: false,
        tasks: Vec::new(),
        instagram: None,
        observed: Vec::new(),
    }
}

fn assets(debug: &DebugTokenData, pages: &[PageEntry]) -> Vec<AssetFacts> {
    let mut out: Vec<AssetFacts> = Vec::new();
    let mut seen: HashSet<(AssetKind, String)> = HashSet::new();
    let mut push = |out: &mut Vec<AssetFacts>, a: AssetFacts| {
        if seen.insert((a.kind, a.id.clone())) {
            out.push(a);
        }
    };

    for page in pages {
        push(
            &mut out,
            AssetFacts {
                name: page.name.clone(),
                listed: true,
                tasks: page.tasks.clone(),
                ..asset(AssetKind::FacebookPage, &page.id)
            },
        );
        let (ig, professional) = match (
            &page.instagram_business_account,
            &page.connected_instagram_account,
        ) {
            (Some(ig), _) => (ig, true),
            // Unconfirmed reading: a Page that shows a connected Instagram account but no
            // business account is taken to be linked to a personal (non-professional) account,
            // which the API cannot reach. This is the safe reading: it never claims a capability.
            (None, Some(ig)) => (ig, false),
            (None, None) => continue,
        };
        push(
            &mut out,
            AssetFacts {
                name: ig.username.clone(),
                listed: true,
                // The Page's tasks are what the person can do through it on Instagram.
                tasks: page.tasks.clone(),
                instagram: Some(InstagramFacts {
                    linked_page_id: Some(page.id.clone()),
                    professional: Some(professional),
                    product_tag_eligible: ig.shopping_product_tag_eligibility,
                }),
                ..asset(AssetKind::InstagramAccount, &ig.id)
            },
        );
    }

    let targets = |pred: &dyn Fn(&str) -> bool| -> Vec<String> {
        debug
            .granular_scopes
            .iter()
            .filter(|g| pred(&g.scope))
            .flat_map(|g| g.target_ids.iter().flatten().cloned())
            .collect()
    };
    // Granted for, but no longer listed: the person lost access (or the Page is gone).
    for id in targets(&|s| s.starts_with("pages_")) {
        push(&mut out, asset(AssetKind::FacebookPage, &id));
    }
    // Granted for, but not reached through any listed Page: the account is not linked to a
    // Page (or not to one this person manages). The grant still stands, so it is not "access
    // lost": the link is what is missing, and the engine says so (instagram_not_linked).
    for id in targets(&|s| s.starts_with("instagram_")) {
        push(
            &mut out,
            AssetFacts {
                listed: true,
                instagram: Some(InstagramFacts::default()),
                ..asset(AssetKind::InstagramAccount, &id)
            },
        );
    }
    // Groups are never listed by these calls; they appear so the report can say the scope is
    // retired for them.
    for id in targets(&|s| GROUP_SCOPES.contains(&s)) {
        push(&mut out, asset(AssetKind::FacebookGroup, &id));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{GranularScopeWire, GraphError, InstagramRef};

    fn debug(valid: bool) -> DebugTokenData {
        DebugTokenData {
            app_id: Some("1".into()),
            is_valid: valid,
            expires_at: Some(0),
            data_access_expires_at: Some(1_700_000_000),
            user_id: Some("u1".into()),
            scopes: vec!["pages_show_list".into()],
            granular_scopes: vec![
                GranularScopeWire {
                    scope: "pages_show_list".into(),
                    target_ids: Some(vec!["p1".into(), "p9".into()]),
                },
                GranularScopeWire {
                    scope: "instagram_basic".into(),
                    target_ids: Some(vec!["ig1".into(), "ig9".into()]),
                },
                GranularScopeWire {
                    scope: "publish_to_groups".into(),
                    target_ids: Some(vec!["g1".into()]),
                },
                GranularScopeWire {
                    scope: "pages_read_engagement".into(),
                    target_ids: None,
                },
            ],
            ..DebugTokenData::default()
        }
    }

    fn page(id: &str, ig: Option<&str>, connected: Option<&str>) -> PageEntry {
        let r = |id: &str| InstagramRef {
            id: id.into(),
            username: Some(format!("{id}_name")),
            shopping_product_tag_eligibility: None,
        };
        PageEntry {
            id: id.into(),
            name: Some(format!("Page {id}")),
            tasks: vec!["MANAGE".into()],
            instagram_business_account: ig.map(r),
            connected_instagram_account: connected.map(r),
        }
    }

    fn listed() -> MeOutcome {
        MeOutcome::Listed {
            id: Some("u1".into()),
            name: Some("Ann".into()),
            permissions: Some(vec![
                PermissionEntry {
                    permission: "pages_show_list".into(),
                    status: "granted".into(),
                },
                PermissionEntry {
                    permission: "email".into(),
                    status: "declined".into(),
                },
                PermissionEntry {
                    permission: "x".into(),
                    status: "weird".into(),
                },
            ]),
        }
    }

    #[test]
    fn assets_in_platform_order_then_derived() {
        let pages = [page("p1", Some("ig1"), None), page("p2", None, Some("ig2"))];
        let snap = build_snapshot("1", &debug(true), &listed(), &pages);
        let ids: Vec<(AssetKind, &str, bool)> = snap
            .assets
            .iter()
            .map(|a| (a.kind, a.id.as_str(), a.listed))
            .collect();
        assert_eq!(
            ids,
            vec![
                (AssetKind::FacebookPage, "p1", true),
                (AssetKind::InstagramAccount, "ig1", true),
                (AssetKind::FacebookPage, "p2", true),
                (AssetKind::InstagramAccount, "ig2", true),
                (AssetKind::FacebookPage, "p9", false),
                // Granted but reached through no Page: still granted, so listed; the missing
                // link is what the engine reports.
                (AssetKind::InstagramAccount, "ig9", true),
                (AssetKind::FacebookGroup, "g1", false),
            ]
        );
        let ig1 = snap.assets[1].instagram.as_ref().unwrap();
        assert_eq!(ig1.linked_page_id.as_deref(), Some("p1"));
        assert_eq!(ig1.professional, Some(true));
        assert_eq!(snap.assets[1].tasks, vec!["MANAGE"]);
        assert_eq!(snap.assets[1].name.as_deref(), Some("ig1_name"));
        assert_eq!(
            snap.assets[3].instagram.as_ref().unwrap().professional,
            Some(false)
        );
        assert_eq!(snap.assets[5].instagram, Some(InstagramFacts::default()));
        assert_eq!(snap.login.token.validity, TokenValidity::Valid);
        assert_eq!(snap.login.token.expires_at, None);
        assert!(snap.login.token.data_access_expires_at.is_some());
        assert_eq!(snap.login.permissions.len(), 2);
        assert_eq!(snap.login.user_name.as_deref(), Some("Ann"));
        assert_eq!(snap.login.granular_scopes.len(), 4);
    }

    #[test]
    fn broken_me_wins_over_a_valid_debug_token() {
        let me = MeOutcome::Broken {
            reason: BrokenReason::PasswordChanged,
            error: PlatformError::new(190, Some(460), "m"),
        };
        let snap = build_snapshot("1", &debug(true), &me, &[]);
        assert!(matches!(
            snap.login.token.validity,
            TokenValidity::Broken {
                reason: BrokenReason::PasswordChanged,
                ..
            }
        ));
        // Without a listing, the token's scopes stand in as granted.
        assert_eq!(
            snap.login.permissions,
            vec![PermissionGrant {
                name: "pages_show_list".into(),
                status: PermissionStatus::Granted
            }]
        );
        assert!(
            snap.assets
                .iter()
                .filter(|a| a.kind != AssetKind::InstagramAccount)
                .all(|a| !a.listed)
        );
    }

    #[test]
    fn debug_reason_fills_in_an_unknown_me_reason() {
        let mut d = debug(false);
        d.error = Some(GraphError {
            message: "Session has expired".into(),
            kind: None,
            code: 190,
            error_subcode: Some(463),
            is_transient: None,
            error_user_title: None,
            error_user_msg: None,
            fbtrace_id: None,
        });
        let me = MeOutcome::Broken {
            reason: BrokenReason::Unknown,
            error: PlatformError::new(190, None::<u8>, "x"),
        };
        let snap = build_snapshot("1", &d, &me, &[]);
        assert!(matches!(
            snap.login.token.validity,
            TokenValidity::Broken {
                reason: BrokenReason::Expired,
                ..
            }
        ));
    }

    #[test]
    fn a_token_of_another_app_is_unreadable() {
        let snap = build_snapshot("2", &debug(true), &listed(), &[]);
        let TokenValidity::Broken {
            reason,
            platform_error: Some(pe),
        } = snap.login.token.validity
        else {
            panic!("expected broken")
        };
        assert_eq!(reason, BrokenReason::Unreadable);
        assert!(pe.message.contains("belongs to app 1"));
    }
}
