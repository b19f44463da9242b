//! Small builders for hand-made facts, shared by the integration tests.
#![allow(dead_code)]

use jiff::{SignedDuration, Timestamp};
use tether_core::*;

pub const ALL_TASKS: [&str; 6] = [
    "MANAGE",
    "CREATE_CONTENT",
    "MODERATE",
    "MESSAGING",
    "ADVERTISE",
    "ANALYZE",
];

pub fn now() -> Timestamp {
    "2026-11-22T10:00:00Z".parse().unwrap()
}

pub fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

pub fn catalog() -> Catalog {
    Catalog::builtin(tether_core::Network::Meta).unwrap()
}

pub fn engine(profile: &str) -> Engine {
    let c = catalog();
    Engine::new(
        &c,
        Network::Meta,
        &Profile::builtin(profile).unwrap(),
        EngineOptions::default(),
    )
}

/// Every permission the catalog knows and has not retired.
pub fn live_permissions() -> Vec<String> {
    catalog()
        .permissions
        .iter()
        .filter(|p| !p.retired())
        .map(|p| p.name.clone())
        .collect()
}

pub fn grant(name: &str, status: PermissionStatus) -> PermissionGrant {
    PermissionGrant {
        name: name.to_owned(),
        status,
    }
}

/// A valid long-lived login holding every live permission.
pub fn healthy_login() -> LoginFacts {
    LoginFacts {
        user_id: Some("780170842500000".into()),
        user_name: Some("Dana Reyes".into()),
        token: TokenFacts {
            validity: TokenValidity::Valid,
            expires_at: Some(now() + days(50)),
            data_access_expires_at: Some(now() + days(80)),
        },
        permissions: live_permissions()
            .iter()
            .map(|p| grant(p, PermissionStatus::Granted))
            .collect(),
        granular_scopes: Vec::new(),
        observed: Vec::new(),
    }
}

pub fn set_permission(login: &mut LoginFacts, name: &str, status: Option<PermissionStatus>) {
    login.permissions.retain(|p| p.name != name);
    if let Some(status) = status {
        login.permissions.push(grant(name, status));
    }
}

pub fn page(id: &str, name: &str, tasks: &[&str]) -> AssetFacts {
    AssetFacts {
        kind: AssetKind::FacebookPage,
        id: id.into(),
        name: Some(name.into()),
        listed: true,
        tasks: tasks.iter().map(|t| t.to_string()).collect(),
        instagram: None,
        observed: Vec::new(),
    }
}

pub fn admin_page() -> AssetFacts {
    page("104518538110000", "Riverside Library", &ALL_TASKS)
}

pub fn instagram(id: &str, name: &str, linked_page: Option<&str>, tasks: &[&str]) -> AssetFacts {
    AssetFacts {
        kind: AssetKind::InstagramAccount,
        id: id.into(),
        name: Some(name.into()),
        listed: true,
        tasks: tasks.iter().map(|t| t.to_string()).collect(),
        instagram: Some(InstagramFacts {
            linked_page_id: linked_page.map(str::to_owned),
            professional: Some(true),
            product_tag_eligible: Some(true),
        }),
        observed: Vec::new(),
    }
}

pub fn admin_instagram() -> AssetFacts {
    instagram(
        "17841400478070000",
        "riverside.library",
        Some("104518538110000"),
        &ALL_TASKS,
    )
}

pub fn group() -> AssetFacts {
    AssetFacts {
        kind: AssetKind::FacebookGroup,
        id: "300000000000001".into(),
        name: Some("Riverside Readers".into()),
        listed: true,
        tasks: Vec::new(),
        instagram: None,
        observed: Vec::new(),
    }
}

pub fn verdict(asset: &AssetReport, f: Feature) -> FeatureVerdict {
    asset.features[&f]
}

pub fn find(findings: &[Finding], code: FindingCode) -> Vec<&Finding> {
    findings.iter().filter(|f| f.code == code).collect()
}

pub fn one(findings: &[Finding], code: FindingCode) -> &Finding {
    let found = find(findings, code);
    assert_eq!(found.len(), 1, "expected one {code} in {findings:#?}");
    found[0]
}
