//! Lease claims: a due login goes to exactly one worker at a time.

use crate::harness::{TestDb, for_each_engine, new_login, ring, t};
use std::collections::BTreeSet;
use std::time::Duration;
use tether_core::vocab::Status;
use tether_store::{CheckOutcome, LoginId, Store};

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
        s.claim_due_logins("worker-1", now, LEASE, 4),
        s.claim_due_logins("worker-2", now, LEASE, 4)
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    let one: BTreeSet<LoginId> = one.iter().map(|c| c.login_id).collect();
    let two: BTreeSet<LoginId> = two.iter().map(|c| c.login_id).collect();
    assert!(one.is_disjoint(&two), "{}: {one:?} vs {two:?}", db.engine());
    assert_eq!(one.len() + two.len(), 6);
    assert_eq!(&one | &two, all);

    // While leased, nobody else gets them; after the lease lapses they are due again.
    assert!(
        s.claim_due_logins("worker-3", t(150), LEASE, 10)
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
        s.release_login(second, holder(&second), CheckOutcome::Failed, t(130))
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
        .claim_due_logins("worker-3", t(161), LEASE, 10)
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
                    .claim_due_logins(&owner, t(10), LEASE, 3)
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
