//! What each feature of the workspace needs on one account, against what the person holds there:
//! every permission, Page access and account condition of the catalog's rules for the features
//! the workspace uses, with what it is for and whether it is held (the seeds' "Permission |
//! Purpose | Impact if not granted" matrices).

use super::words;
use tether_core::{
    AssetFacts, AssetKind, Catalog, Condition, Feature, Finding, FindingCode, LoginReport,
};

/// One requirement of the workspace's features on this kind of account, and whether it is held.
pub struct Need {
    pub what: String,
    pub code: String,
    pub kind: &'static str,
    pub needed_for: String,
    pub held: &'static str,
    pub ok: bool,
}

/// Every permission, Page access and condition the workspace's features need on this kind of
/// account, what each is for, and whether this login holds it here.
pub fn needs(
    catalog: &Catalog,
    features: &[Feature],
    kind: AssetKind,
    login: Option<&LoginReport>,
    facts: Option<&AssetFacts>,
    findings: &[Finding],
) -> Vec<Need> {
    #[derive(PartialEq)]
    enum Req {
        Permission(Vec<String>),
        Task(Vec<String>),
        Condition(Condition),
    }
    let mut reqs: Vec<(Req, Vec<Feature>)> = Vec::new();
    let mut add = |req: Req, f: Feature| match reqs.iter_mut().find(|(r, _)| *r == req) {
        Some((_, fs)) => {
            if !fs.contains(&f) {
                fs.push(f)
            }
        }
        None => reqs.push((req, vec![f])),
    };
    for rule in catalog
        .rules
        .iter()
        .filter(|r| r.asset_kind == kind && features.contains(&r.feature))
    {
        for p in &rule.permissions {
            add(Req::Permission(vec![p.clone()]), rule.feature);
        }
        if !rule.permissions_any.is_empty() {
            add(Req::Permission(rule.permissions_any.clone()), rule.feature);
        }
        for t in &rule.tasks {
            add(Req::Task(vec![t.clone()]), rule.feature);
        }
        if !rule.tasks_any.is_empty() {
            add(Req::Task(rule.tasks_any.clone()), rule.feature);
        }
        for c in &rule.conditions {
            add(Req::Condition(*c), rule.feature);
        }
    }
    let perms = login.map(|l| &l.permissions);
    let not_here = |p: &str| {
        findings.iter().any(|f| {
            f.code == FindingCode::PermissionNotGrantedForAsset
                && f.permission.as_deref() == Some(p)
        })
    };
    let failed = |c: Condition| findings.iter().any(|f| f.code == c.finding());
    reqs.into_iter()
        .map(|(req, fs)| {
            let needed_for = words::features_on(&fs, catalog.network);
            match req {
                Req::Permission(names) => {
                    let state = |p: &String| -> (&'static str, bool) {
                        let Some(perms) = perms else {
                            return ("Not known yet", false);
                        };
                        if perms.granted.contains(p) {
                            if not_here(p) {
                                ("Given, but not for this account", false)
                            } else {
                                ("Given", true)
                            }
                        } else if perms.declined.contains(p) {
                            ("Switched off", false)
                        } else if perms.expired.contains(p) {
                            ("Expired", false)
                        } else {
                            ("Not given", false)
                        }
                    };
                    let held = names
                        .iter()
                        .map(state)
                        .find(|(_, ok)| *ok)
                        .unwrap_or_else(|| state(&names[0]));
                    Need {
                        what: names
                            .iter()
                            .map(|p| words::permission(p))
                            .collect::<Vec<_>>()
                            .join(" or "),
                        code: names.join(" | "),
                        kind: "Permission",
                        needed_for,
                        held: held.0,
                        ok: held.1,
                    }
                }
                Req::Task(names) => {
                    let tasks = facts.map(|f| &f.tasks);
                    let ok = tasks.is_some_and(|ts| names.iter().any(|n| ts.contains(n)));
                    Need {
                        what: names
                            .iter()
                            .map(|t| words::task(t))
                            .collect::<Vec<_>>()
                            .join(" or "),
                        code: names.join(" | "),
                        kind: "Page access",
                        needed_for,
                        held: match (tasks, ok) {
                            (None, _) => "Not known yet",
                            (_, true) => "Held",
                            (_, false) => "Missing",
                        },
                        ok,
                    }
                }
                Req::Condition(c) => {
                    let ok = facts.is_some() && !failed(c);
                    Need {
                        what: words::condition(c).to_owned(),
                        code: c.as_str().to_owned(),
                        kind: "Account",
                        needed_for,
                        held: if facts.is_none() {
                            "Not known yet"
                        } else if ok {
                            "Yes"
                        } else {
                            "No"
                        },
                        ok,
                    }
                }
            }
        })
        .collect()
}
