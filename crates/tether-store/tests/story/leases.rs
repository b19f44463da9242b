//! Lease claims: a due login goes to exactly one worker at a time; what a check's outcome and a
//! push signal do to the schedule.

use crate::harness::{
    TestDb, for_each_engine, new_login, page, ring, t, verdict, workspace_with_login,
};
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;
use tether_core::vocab::{Network, Status};
use tether_store::{CheckOutcome, Diagnosis, LoginId, Store, StoreError};

const LEASE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_owners_never_hold_the_same_login() {
    for_each_engine(exclusive).await;
}

async fn exclusive(db: TestDb) {
    let s = &db.store;
    let ws = s.create_workspace("leases", t(0)).await.unwrap().id;
    let mut all = BTreeSet::new();
    for i in 0..6 {
        all.insert(
            s.upsert_login(ws, new_login(&format!("u{i}"), "tok"), t(i))
                .await
                .unwrap()
                .id,
        );
    }
    let now = t(100);
    let (one, two) = tokio::join!(
        s.claim_due_logins("worker-1", now, LEASE, 4, None),
        s.claim_due_logins("worker-2", now, LEASE, 4, None)
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    let one: BTreeSet<LoginId> = one.iter().map(|c| c.login_id).collect();
    let two: BTreeSet<LoginId> = two.iter().map(|c| c.login_id).collect();
    assert!(one.is_disjoint(&two), "{}: {one:?} vs {two:?}", db.engine());
    assert_eq!(one.len() + two.len(), 6);
    assert_eq!(&one | &two, all);

    // While leased, nobody else gets them; after the lease lapses they are due again.
    assert!(
        s.claim_due_logins("worker-3", t(150), LEASE, 10, None)
            .await
            .unwrap()
            .is_empty()
    );
    let holder = |id: &LoginId| {
        if one.contains(id) {
            "worker-1"
        } else {
            "worker-2"
        }
    };
    let first = *all.iter().next().unwrap();
    assert!(
        !s.release_login(first, "worker-3", CheckOutcome::Verified, t(9_999))
            .await
            .unwrap()
    );
    assert!(
        s.release_login(first, holder(&first), CheckOutcome::Verified, t(9_999))
            .await
            .unwrap()
    );
    let second = *all.iter().nth(1).unwrap();
    assert!(
        s.release_login(
            second,
            holder(&second),
            CheckOutcome::Failed {
                reason: "HTTP 503 from the platform".into()
            },
            t(130)
        )
        .await
        .unwrap()
    );
    let failed = s.get_login(ws, second).await.unwrap().unwrap();
    assert_eq!(failed.consecutive_failures, 1);
    assert_eq!(
        failed.status,
        Status::Pending,
        "a failed check changes no verdict"
    );
    assert_eq!(failed.lease_owner, None);

    let later: BTreeSet<LoginId> = s
        .claim_due_logins("worker-3", t(161), LEASE, 10, None)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.login_id)
        .collect();
    // Everything but `first`, which is scheduled far ahead.
    assert_eq!(
        later,
        all.iter().copied().filter(|id| *id != first).collect()
    );
    assert_eq!(
        s.get_login(ws, second)
            .await
            .unwrap()
            .unwrap()
            .lease_owner
            .as_deref(),
        Some("worker-3")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_each_check_every_login_once() {
    for_each_engine(many_workers).await;
}

async fn many_workers(db: TestDb) {
    let ws = db.store.create_workspace("sweep", t(0)).await.unwrap().id;
    for i in 0..40 {
        db.store
            .upsert_login(ws, new_login(&format!("u{i}"), "tok"), t(0))
            .await
            .unwrap();
    }
    let mut tasks = Vec::new();
    for w in 0..4 {
        // A store of its own per worker, as separate worker processes would have.
        let store = db.reopen(ring(&db.ring)).await;
        tasks.push(tokio::spawn(async move {
            let owner = format!("worker-{w}");
            let mut got = Vec::new();
            loop {
                let claims = store
                    .claim_due_logins(&owner, t(10), LEASE, 3, None)
                    .await
                    .unwrap();
                if claims.is_empty() {
                    store.close().await;
                    return got;
                }
                for c in claims {
                    // Checked: next check in an hour.
                    assert!(
                        store
                            .release_login(c.login_id, &owner, CheckOutcome::Verified, t(3_600))
                            .await
                            .unwrap()
                    );
                    got.push(c.login_id);
                }
            }
        }));
    }
    let mut seen = Vec::new();
    for task in tasks {
        seen.extend(task.await.unwrap());
    }
    let unique: BTreeSet<_> = seen.iter().collect();
    assert_eq!(
        seen.len(),
        40,
        "{}: some login was checked twice or not at all",
        db.engine()
    );
    assert_eq!(unique.len(), 40);
}

#[tokio::test]
async fn failures_keep_the_verdict_and_say_why() {
    for_each_engine(failures).await;
}

async fn failures(db: TestDb) {
    let s = &db.store;
    let (ws, login) = workspace_with_login(s, "mia").await;
    let asset = page(s, ws, login.id, "5").await;
    s.record_diagnosis(
        ws,
        login.id,
        &Diagnosis {
            report: json!({}),
            login_status: Status::ActionRequired,
            login_findings: json!([]),
            login_owners: vec![],
            login_unavailable: vec![],
            login_at_risk: vec![],
            login_fixes: vec![],
            assets: vec![verdict(asset.id, Status::ActionRequired, json!([]))],
            at: t(5),
            cause: None,
        },
    )
    .await
    .unwrap();
    let history = s.list_transitions(ws, login.id).await.unwrap().len();

    let claimed = s
        .claim_due_logins("w", t(10), LEASE, 10, None)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "{}", db.engine());
    let long = "x".repeat(5_000);
    assert!(
        s.release_login(
            login.id,
            "w",
            CheckOutcome::Failed {
                reason: long.clone()
            },
            t(70)
        )
        .await
        .unwrap()
    );
    let l = s.get_login(ws, login.id).await.unwrap().unwrap();
    assert_eq!(l.status, Status::ActionRequired);
    assert_eq!(l.consecutive_failures, 1);
    assert_eq!(l.last_error.as_deref().map(str::len), Some(1000));
    assert_eq!(l.last_failed_at, Some(t(10)), "dated with the claim");
    assert_eq!(l.next_check_at, t(70));

    s.claim_due_logins("w", t(70), LEASE, 10, None)
        .await
        .unwrap();
    let reason = "Graph API code 2: service temporarily unavailable";
    assert!(
        s.release_login(
            login.id,
            "w",
            CheckOutcome::Failed {
                reason: reason.into()
            },
            t(200)
        )
        .await
        .unwrap()
    );
    let l = s.get_login(ws, login.id).await.unwrap().unwrap();
    assert_eq!(
        (
            l.consecutive_failures,
            l.last_error.as_deref(),
            l.last_failed_at
        ),
        (2, Some(reason), Some(t(70)))
    );
    assert_eq!(
        s.get_asset(ws, asset.id).await.unwrap().unwrap().status,
        Status::ActionRequired
    );
    assert_eq!(
        s.list_transitions(ws, login.id).await.unwrap().len(),
        history,
        "a failed check writes no history"
    );

    // A good check clears the reason and the count; when it last failed stays known.
    s.claim_due_logins("w", t(200), LEASE, 10, None)
        .await
        .unwrap();
    assert!(
        s.release_login(login.id, "w", CheckOutcome::Verified, t(300))
            .await
            .unwrap()
    );
    let l = s.get_login(ws, login.id).await.unwrap().unwrap();
    assert_eq!(
        (
            l.consecutive_failures,
            l.last_error.as_deref(),
            l.last_failed_at,
            l.status
        ),
        (0, None, Some(t(70)), Status::ActionRequired)
    );
}

#[tokio::test]
async fn a_push_signal_brings_the_next_check_forward() {
    for_each_engine(schedule).await;
}

async fn schedule(db: TestDb) {
    let s = &db.store;
    let (ws, login) = workspace_with_login(s, "nia").await;
    let other = s.create_workspace("other", t(0)).await.unwrap().id;
    s.claim_due_logins("w", t(0), LEASE, 10, None)
        .await
        .unwrap();
    s.release_login(login.id, "w", CheckOutcome::Verified, t(3_600))
        .await
        .unwrap();

    assert!(!s.schedule_check(other, login.id, t(10)).await.unwrap());
    assert!(
        !s.schedule_check(ws, LoginId::new(), t(10)).await.unwrap(),
        "{}",
        db.engine()
    );
    assert!(s.schedule_check(ws, login.id, t(100)).await.unwrap());
    assert_eq!(
        s.get_login(ws, login.id)
            .await
            .unwrap()
            .unwrap()
            .next_check_at,
        t(100)
    );
    // Never later than already planned.
    assert!(s.schedule_check(ws, login.id, t(500)).await.unwrap());
    assert_eq!(
        s.get_login(ws, login.id)
            .await
            .unwrap()
            .unwrap()
            .next_check_at,
        t(100)
    );
    assert!(
        s.claim_due_logins("w", t(99), LEASE, 10, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.claim_due_logins("w", t(100), LEASE, 10, None)
            .await
            .unwrap()
            .len(),
        1
    );
    // A signal while the check runs is not lost when the check plans the next one an hour out.
    assert!(s.schedule_check(ws, login.id, t(110)).await.unwrap());
    s.release_login(login.id, "w", CheckOutcome::Verified, t(3_700))
        .await
        .unwrap();
    assert_eq!(
        s.get_login(ws, login.id)
            .await
            .unwrap()
            .unwrap()
            .next_check_at,
        t(110)
    );
    // ...while one served by the check that follows it is not repeated.
    s.claim_due_logins("w", t(110), LEASE, 10, None)
        .await
        .unwrap();
    s.release_login(
        login.id,
        "w",
        CheckOutcome::Failed {
            reason: "timeout".into(),
        },
        t(3_800),
    )
    .await
    .unwrap();
    assert_eq!(
        s.get_login(ws, login.id)
            .await
            .unwrap()
            .unwrap()
            .next_check_at,
        t(3_800)
    );
}

#[tokio::test]
async fn known_token_round_trips_and_platform_users_are_found_everywhere() {
    for_each_engine(known_token).await;
}

async fn known_token(db: TestDb) {
    let s = &db.store;
    let (ws, login) = workspace_with_login(s, "olu").await;
    assert_eq!(login.known_token, None);
    let known = json!({"scopes": ["pages_show_list"], "expires_at": 1_900_000_000});
    s.set_known_token(ws, login.id, &known).await.unwrap();
    assert_eq!(
        s.get_login(ws, login.id)
            .await
            .unwrap()
            .unwrap()
            .known_token,
        Some(known.clone()),
        "{}",
        db.engine()
    );
    let other = s.create_workspace("other", t(0)).await.unwrap().id;
    assert!(matches!(
        s.set_known_token(other, login.id, &json!({})).await,
        Err(StoreError::NotFound { what: "login", .. })
    ));
    assert_eq!(
        s.get_login(ws, login.id)
            .await
            .unwrap()
            .unwrap()
            .known_token,
        Some(known)
    );
    // A reconnect brings a new token: what was known about the old one goes.
    let again = s
        .upsert_login(ws, new_login("olu", "EAA-new"), t(5))
        .await
        .unwrap();
    assert_eq!(again.known_token, None);

    // The same person connected in two workspaces: a platform callback reaches both.
    let twin = s
        .upsert_login(other, new_login("olu", "EAA-other"), t(6))
        .await
        .unwrap();
    s.upsert_login(other, new_login("someone-else", "EAA-x"), t(6))
        .await
        .unwrap();
    let found = s
        .find_logins_by_platform_user(Network::Meta, "olu")
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|l| l.id).collect::<BTreeSet<_>>(),
        BTreeSet::from([login.id, twin.id])
    );
    assert!(
        s.find_logins_by_platform_user(Network::Instagram, "olu")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_claim_can_take_one_networks_logins_only() {
    for_each_engine(by_network).await;
}

/// Each network has its own call budget: a worker whose Meta budget is spent still takes the
/// Instagram logins that are due.
async fn by_network(db: TestDb) {
    let s = &db.store;
    let ws = s.create_workspace("nets", t(0)).await.unwrap().id;
    let meta = s
        .upsert_login(ws, new_login("m1", "tok-m1"), t(0))
        .await
        .unwrap();
    let mut ig = new_login("i1", "tok-i1");
    ig.network = Network::Instagram;
    let ig = s.upsert_login(ws, ig, t(0)).await.unwrap();
    let only_ig = s
        .claim_due_logins("w", t(10), LEASE, 10, Some(Network::Instagram))
        .await
        .unwrap();
    assert_eq!(
        only_ig.iter().map(|c| c.login_id).collect::<Vec<_>>(),
        [ig.id],
        "{}",
        db.engine()
    );
    let rest = s
        .claim_due_logins("w", t(10), LEASE, 10, None)
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|c| c.login_id).collect::<Vec<_>>(),
        [meta.id]
    );
}

/// A worker that stops lets go of what it holds: another takes its logins and deliveries at
/// once, not when the leases lapse; nobody else's leases are touched.
#[tokio::test]
async fn a_stopping_worker_lets_go_of_its_leases() {
    for_each_engine(let_go).await;
}

async fn let_go(db: TestDb) {
    let s = &db.store;
    let ws = s.create_workspace("stopping", t(0)).await.unwrap().id;
    for i in 0..4 {
        s.upsert_login(ws, new_login(&format!("s{i}"), "tok"), t(i))
            .await
            .unwrap();
    }
    s.create_endpoint(ws, "https://hooks.example.com/in", "x", t(0))
        .await
        .unwrap();
    s.enqueue_event(ws, "ping", &json!({}), t(0)).await.unwrap();
    let mine = s
        .claim_due_logins("stopping", t(100), LEASE, 2, None)
        .await
        .unwrap();
    let theirs = s
        .claim_due_logins("other", t(100), LEASE, 2, None)
        .await
        .unwrap();
    assert_eq!((mine.len(), theirs.len()), (2, 2));
    assert_eq!(
        s.claim_deliveries("stopping", t(100), LEASE, 5)
            .await
            .unwrap()
            .len(),
        1
    );

    assert_eq!(s.release_leases("stopping").await.unwrap(), 3);
    // At the same instant, well inside the lapsed leases' time: taken over at once.
    let taken: BTreeSet<LoginId> = s
        .claim_due_logins("successor", t(101), LEASE, 10, None)
        .await
        .unwrap()
        .iter()
        .map(|c| c.login_id)
        .collect();
    let released: BTreeSet<LoginId> = mine.iter().map(|c| c.login_id).collect();
    assert_eq!(taken, released, "the other worker's two stay with it");
    assert_eq!(
        s.claim_deliveries("successor", t(101), LEASE, 5)
            .await
            .unwrap()
            .len(),
        1
    );
}
