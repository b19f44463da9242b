//! A check is one transaction: the assets it saw, their facts and the login's, the known token
//! facts and the verdicts land together or not at all; the facts come back typed in one read.

use crate::harness::{TestDb, for_each_engine, page, t, verdict, workspace_with_login};
use serde_json::json;
use tether_core::vocab::{AssetKind, Status};
use tether_core::{AssetFacts, LoginFacts, TokenFacts, TokenValidity};
use tether_store::{AssetId, CheckStore, Diagnosis, Seen, Store};
use uuid::Uuid;

fn login_facts(user: &str) -> LoginFacts {
    LoginFacts {
        user_id: Some(user.into()),
        user_name: Some(format!("{user} name")),
        token: TokenFacts {
            validity: TokenValidity::Valid,
            expires_at: Some(t(86_400)),
            data_access_expires_at: None,
        },
        permissions: vec![],
        granular_scopes: vec![],
        observed: vec![],
    }
}

fn page_facts(id: &str, tasks: &[&str]) -> AssetFacts {
    AssetFacts {
        kind: AssetKind::FacebookPage,
        id: id.into(),
        name: Some(format!("Page {id}")),
        listed: true,
        tasks: tasks.iter().map(|t| t.to_string()).collect(),
        instagram: None,
        observed: vec![],
    }
}

fn diagnosis(verdicts: Vec<tether_store::AssetVerdict>, at: i64) -> Diagnosis {
    Diagnosis {
        report: json!({"status": "connected"}),
        login_status: Status::Connected,
        login_findings: json!([]),
        login_owners: vec![],
        login_unavailable: vec![],
        login_at_risk: vec![],
        login_fixes: vec![],
        assets: verdicts,
        at: t(at),
        cause: None,
    }
}

#[tokio::test]
async fn a_check_is_one_transaction_and_its_facts_come_back_typed() {
    for_each_engine(one_transaction).await;
}

async fn one_transaction(db: TestDb) {
    let s = &db.store;
    let (ws, login) = workspace_with_login(s, "alice").await;
    let stored = page(s, ws, login.id, "1").await;
    let before = s.checked_facts(ws, login.id).await.unwrap();
    assert!(before.login.is_none(), "{}", db.engine());
    assert_eq!(before.assets.len(), 1);
    assert_eq!(before.assets[0].0, stored.id);
    assert_eq!(
        before.assets[0].1.name.as_deref(),
        Some("Page 1"),
        "stored name stands in"
    );

    // Page 1 under a fresh id (as a second check that raced the first would name it) and a new
    // Page 2: the stored id is kept for Page 1, Page 2 is created under the id given.
    let me = login_facts("alice");
    let one = page_facts("1", &["CREATE_CONTENT"]);
    let two = page_facts("2", &["MANAGE"]);
    let (raced, new) = (AssetId(Uuid::now_v7()), AssetId(Uuid::now_v7()));
    let assets = [(raced, &one), (new, &two)];
    let known = json!({"app_id": "1"});
    let seen = Seen {
        login: &me,
        assets: &assets,
        known_token: Some(&known),
    };
    let d = diagnosis(
        vec![
            verdict(raced, Status::Connected, json!([])),
            verdict(
                new,
                Status::ActionRequired,
                json!([{"code": "task_missing"}]),
            ),
        ],
        10,
    );
    let written = s.record_check(ws, login.id, seen, &d).await.unwrap();
    let moved: Vec<_> = written.iter().map(|t| (t.asset_id, t.new_status)).collect();
    assert!(
        moved.contains(&(Some(stored.id), Status::Connected)),
        "{moved:?}"
    );
    assert!(
        moved.contains(&(Some(new), Status::ActionRequired)),
        "{moved:?}"
    );
    assert!(s.get_asset(ws, raced).await.unwrap().is_none());

    let after = s.checked_facts(ws, login.id).await.unwrap();
    let own = after.login.expect("the login's facts");
    assert_eq!((own.value, own.at), (me.clone(), t(10)));
    let mut got = after.assets.clone();
    got.sort_by(|a, b| a.1.id.cmp(&b.1.id));
    assert_eq!(got, vec![(stored.id, one.clone()), (new, two.clone())]);

    // A check that fails half-way writes nothing: its new asset, facts and known token facts
    // go with the verdict that names an asset of no login.
    let three = page_facts("3", &[]);
    let changed = login_facts("alice-renamed");
    let stray = AssetId(Uuid::now_v7());
    let assets = [(AssetId(Uuid::now_v7()), &three)];
    let other = json!({"app_id": "2"});
    let seen = Seen {
        login: &changed,
        assets: &assets,
        known_token: Some(&other),
    };
    let d = diagnosis(vec![verdict(stray, Status::Connected, json!([]))], 20);
    assert!(s.record_check(ws, login.id, seen, &d).await.is_err());
    let kept = s.checked_facts(ws, login.id).await.unwrap();
    assert_eq!(kept.login.unwrap().value, me, "{}", db.engine());
    assert_eq!(kept.assets.len(), 2, "page 3 was not created");
    let l = s.get_login(ws, login.id).await.unwrap().unwrap();
    assert_eq!(l.known_token, Some(known));

    // Another workspace reads nothing of it.
    let (other_ws, _) = workspace_with_login(s, "bob").await;
    let foreign = s.checked_facts(other_ws, login.id).await.unwrap();
    assert!(foreign.login.is_none() && foreign.assets.is_empty());
}
