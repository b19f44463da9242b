//! Invariants of the diagnosis over generated facts (docs/PRODUCT.md: "never cry wolf", "a real break
//! is never shown green").

mod common;

use common::*;
use proptest::prelude::*;
use std::collections::BTreeSet;
use tether_core::*;

const IDS: [&str; 4] = ["100", "200", "300", "400"];

fn vocabulary() -> Vec<String> {
    // Live permissions plus two retired ones, so retired scopes show up too.
    let mut v = live_permissions();
    v.push("manage_pages".into());
    v.push("publish_to_groups".into());
    v
}

fn status_strategy() -> impl Strategy<Value = Option<PermissionStatus>> {
    prop_oneof![
        6 => Just(Some(PermissionStatus::Granted)),
        1 => Just(Some(PermissionStatus::Declined)),
        1 => Just(Some(PermissionStatus::Expired)),
        1 => Just(None),
    ]
}

fn reason_strategy() -> impl Strategy<Value = BrokenReason> {
    prop_oneof![
        Just(BrokenReason::Expired),
        Just(BrokenReason::PasswordChanged),
        Just(BrokenReason::SessionInvalidated),
        Just(BrokenReason::LoggedOut),
        Just(BrokenReason::Inactive),
        Just(BrokenReason::DataAccessExpired),
        Just(BrokenReason::AppRemoved),
        Just(BrokenReason::Checkpoint),
        Just(BrokenReason::UnconfirmedUser),
        Just(BrokenReason::Unreadable),
        Just(BrokenReason::Unknown),
    ]
}

fn login_strategy() -> impl Strategy<Value = LoginFacts> {
    let n = vocabulary().len();
    (
        proptest::collection::vec(status_strategy(), n),
        proptest::option::weighted(0.15, reason_strategy()),
        proptest::option::weighted(0.8, -2i64..90),
        proptest::option::weighted(0.8, -2i64..120),
        proptest::collection::vec(
            (
                0..n,
                proptest::option::of(proptest::sample::subsequence(IDS.to_vec(), 0..3)),
            ),
            0..4,
        ),
        proptest::option::weighted(
            0.1,
            proptest::sample::subsequence(Feature::ALL.to_vec(), 0..3),
        ),
    )
        .prop_map(|(statuses, broken, exp, data, scopes, observed)| {
            let vocab = vocabulary();
            LoginFacts {
                user_id: Some("1".into()),
                user_name: None,
                token: TokenFacts {
                    validity: match broken {
                        Some(reason) => TokenValidity::Broken {
                            reason,
                            platform_error: None,
                        },
                        None => TokenValidity::Valid,
                    },
                    expires_at: exp.map(|d| now() + days(d)),
                    data_access_expires_at: data.map(|d| now() + days(d)),
                },
                permissions: vocab
                    .iter()
                    .zip(statuses)
                    .filter_map(|(name, s)| s.map(|s| grant(name, s)))
                    .collect(),
                granular_scopes: scopes
                    .into_iter()
                    .map(|(i, targets)| GranularScope {
                        scope: vocab[i].clone(),
                        target_ids: targets.map(|t| t.into_iter().map(str::to_owned).collect()),
                    })
                    .collect(),
                observed: observed
                    .map(|features| ObservedProblem {
                        kind: ObservedKind::AppFeatureMissing,
                        features,
                        platform_error: None,
                    })
                    .into_iter()
                    .collect(),
            }
        })
}

fn asset_strategy() -> impl Strategy<Value = AssetFacts> {
    (
        0usize..4,
        prop_oneof![4 => Just(AssetKind::FacebookPage), 3 => Just(AssetKind::InstagramAccount), 1 => Just(AssetKind::FacebookGroup)],
        proptest::sample::subsequence(ALL_TASKS.to_vec(), 0..=6),
        proptest::bool::weighted(0.9),
        proptest::option::weighted(0.85, 0usize..4),
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(id, kind, tasks, listed, linked, professional, tag, restricted)| AssetFacts {
            kind,
            id: IDS[id].to_owned(),
            name: Some(format!("Asset {id}")),
            listed,
            tasks: tasks.into_iter().map(str::to_owned).collect(),
            instagram: (kind == AssetKind::InstagramAccount).then(|| InstagramFacts {
                linked_page_id: linked.map(|i| IDS[i].to_owned()),
                professional,
                product_tag_eligible: tag,
            }),
            observed: if restricted {
                vec![ObservedProblem { kind: ObservedKind::AccountRestricted, features: vec![], platform_error: None }]
            } else {
                vec![]
            },
        })
}

fn profile_strategy() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec!["default", "scheduler", "listening", "messenger"])
}

fn case() -> impl Strategy<Value = (&'static str, LoginFacts, Vec<AssetFacts>)> {
    (
        profile_strategy(),
        login_strategy(),
        proptest::collection::vec(asset_strategy(), 1..4),
    )
}

/// Nothing in `after` is worse than in `before`.
fn not_worse(before: &Report, after: &Report) -> Result<(), TestCaseError> {
    prop_assert!(
        after.login.status.rank() <= before.login.status.rank(),
        "login {:?} -> {:?}",
        before.login.status,
        after.login.status
    );
    for (b, a) in before.assets.iter().zip(&after.assets) {
        prop_assert!(
            a.status.rank() <= b.status.rank(),
            "{} {:?} -> {:?}",
            b.id,
            b.status,
            a.status
        );
        for (f, v) in &b.features {
            prop_assert!(
                a.features[f].rank() <= v.rank(),
                "{} {f}: {v:?} -> {:?}",
                b.id,
                a.features[f]
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn same_input_same_report((profile, login, assets) in case()) {
        let e = engine(profile);
        let first = e.diagnose(&login, &assets, now());
        prop_assert_eq!(&first, &e.diagnose(&login, &assets, now()));
        // The order the platform listed permissions and scopes in does not matter.
        let mut shuffled = login.clone();
        shuffled.permissions.reverse();
        shuffled.granular_scopes.reverse();
        let again = e.diagnose(&shuffled, &assets, now());
        prop_assert_eq!(serde_json::to_string(&first).unwrap(), serde_json::to_string(&again).unwrap());
    }

    #[test]
    fn granting_one_more_permission_never_makes_anything_worse(
        (profile, login, assets) in case(), pick in any::<proptest::sample::Index>()
    ) {
        let e = engine(profile);
        let before = e.diagnose(&login, &assets, now());
        let vocab = vocabulary();
        let mut more = login.clone();
        set_permission(&mut more, &vocab[pick.index(vocab.len())], Some(PermissionStatus::Granted));
        not_worse(&before, &e.diagnose(&more, &assets, now()))?;
    }

    #[test]
    fn granting_one_more_task_never_makes_anything_worse(
        (profile, login, assets) in case(), which in any::<proptest::sample::Index>(), task in proptest::sample::select(ALL_TASKS.to_vec())
    ) {
        let e = engine(profile);
        let before = e.diagnose(&login, &assets, now());
        let mut more = assets.clone();
        let i = which.index(more.len());
        if !more[i].tasks.iter().any(|t| t == task) {
            more[i].tasks.push(task.to_owned());
        }
        not_worse(&before, &e.diagnose(&login, &more, now()))?;
    }

    #[test]
    fn removing_a_required_permission_makes_its_features_unavailable(
        (profile, login, assets) in case(), pick in any::<proptest::sample::Index>()
    ) {
        let e = engine(profile);
        let c = catalog();
        let rules: Vec<&Rule> = c.rules.iter().filter(|r| e.features().contains(&r.feature) && !r.permissions.is_empty()).collect();
        let rule = rules[pick.index(rules.len())];
        let permission = &rule.permissions[pick.index(rule.permissions.len())];
        let mut less = login.clone();
        set_permission(&mut less, permission, None);
        let r = e.diagnose(&less, &assets, now());
        for a in r.assets.iter().filter(|a| a.kind == rule.asset_kind) {
            prop_assert_eq!(a.features.get(&rule.feature), Some(&FeatureVerdict::Unavailable), "{} needs {}", rule.feature, permission);
            prop_assert!(a.status.rank() >= Status::ActionRequired.rank());
        }
    }

    #[test]
    fn broken_token_disconnects_everything_but_unsupported(
        (profile, login, assets) in case(), reason in reason_strategy()
    ) {
        let e = engine(profile);
        let mut broken = login.clone();
        broken.token.validity = TokenValidity::Broken { reason, platform_error: None };
        let r = e.diagnose(&broken, &assets, now());
        prop_assert_eq!(r.login.status, Status::Disconnected);
        for a in &r.assets {
            if a.kind == AssetKind::FacebookGroup {
                prop_assert_eq!(a.status, Status::Unsupported);
            } else {
                prop_assert_eq!(a.status, Status::Disconnected);
                prop_assert!(a.features.values().all(|v| *v == FeatureVerdict::Unavailable));
            }
        }
    }

    #[test]
    fn every_verdict_is_explained_by_the_findings((profile, login, assets) in case()) {
        let e = engine(profile);
        let r = e.diagnose(&login, &assets, now());
        let dated = [FindingCode::TokenExpiring, FindingCode::DataAccessExpiring];
        for a in &r.assets {
            let verdict_set = |v: FeatureVerdict| -> BTreeSet<Feature> {
                a.features.iter().filter(|(_, x)| **x == v).map(|(f, _)| *f).collect()
            };
            let named = |want_dated: bool| -> BTreeSet<Feature> {
                a.findings.iter().filter(|f| dated.contains(&f.code) == want_dated).flat_map(|f| f.features.clone()).collect()
            };
            prop_assert_eq!(verdict_set(FeatureVerdict::Unavailable), named(false), "{:#?}", a);
            prop_assert_eq!(verdict_set(FeatureVerdict::AtRisk), named(true), "{:#?}", a);
            prop_assert!(a.findings.iter().all(|f| !f.remedy.summary.is_empty() && !f.remedy.steps.is_empty()));
        }
    }
}
