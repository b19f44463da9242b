//! The outbox: every event fans out to one delivery per endpoint, in the same transaction; each
//! delivery is leased by one deliverer at a time, retried until delivered or given up, then never
//! again.

use crate::harness::{TestDb, for_each_engine, page, t, verdict, workspace_with_login};
use secrecy::ExposeSecret;
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;
use tether_core::vocab::Status;
use tether_store::{DeliveryId, Diagnosis, EndpointId, EventAbout, Store};

const LEASE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_fan_out_to_every_endpoint_and_are_retried_then_given_up() {
    for_each_engine(fan_out).await;
}

async fn fan_out(db: TestDb) {
    let s = &db.store;
    let ws = s.create_workspace("hooks", t(0)).await.unwrap().id;
    let quiet = s.create_workspace("no endpoints", t(0)).await.unwrap().id;
    let (one, secret_one) = s
        .create_endpoint(ws, "https://a.example/hook", "A", t(0))
        .await
        .unwrap();
    let (two, secret_two) = s
        .create_endpoint(ws, "https://b.example/hook", "B", t(0))
        .await
        .unwrap();
    for secret in [&secret_one, &secret_two] {
        let secret = secret.expose_secret();
        assert!(secret.starts_with("whsec_"), "{secret}");
        assert_eq!(secret.len(), "whsec_".len() + 32);
    }
    assert_ne!(secret_one.expose_secret(), secret_two.expose_secret());
    assert_eq!(
        s.list_endpoints(ws).await.unwrap(),
        vec![one.clone(), two.clone()],
        "{}",
        db.engine()
    );

    let event = s
        .enqueue_event(ws, "asset.status_changed", &json!({"n": 1}), t(1))
        .await
        .unwrap();
    s.enqueue_event(quiet, "asset.status_changed", &json!({}), t(1))
        .await
        .unwrap();
    assert!(s.list_deliveries(quiet, None, 10).await.unwrap().is_empty());

    // Two deliverers at once: between them they hold both deliveries, never the same one.
    let (a, b) = tokio::join!(
        s.claim_deliveries("d1", t(10), LEASE, 1),
        s.claim_deliveries("d2", t(10), LEASE, 1)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len() + b.len(), 2, "{}", db.engine());
    let held: BTreeSet<DeliveryId> = a.iter().chain(&b).map(|j| j.id).collect();
    assert_eq!(held.len(), 2);
    let holder = |endpoint: EndpointId| {
        if a.iter().any(|j| j.endpoint.id == endpoint) {
            "d1"
        } else {
            "d2"
        }
    };
    let jobs: Vec<_> = a.iter().chain(&b).collect();
    for job in &jobs {
        assert_eq!(job.event.id, event);
        assert_eq!(job.event.payload, json!({"n": 1}));
        assert_eq!(job.event.event_type, "asset.status_changed");
        assert_eq!(job.attempts, 0);
        let (endpoint, secret) = if job.endpoint.id == one.id {
            (&one, &secret_one)
        } else {
            (&two, &secret_two)
        };
        assert_eq!(&job.endpoint, endpoint);
        assert_eq!(job.secret.expose_secret(), secret.expose_secret());
    }
    let to_one = jobs.iter().find(|j| j.endpoint.id == one.id).unwrap().id;
    let to_two = jobs.iter().find(|j| j.endpoint.id == two.id).unwrap().id;
    assert!(
        s.claim_deliveries("d3", t(20), LEASE, 5)
            .await
            .unwrap()
            .is_empty()
    );

    // Only the holder settles a delivery.
    let other = if holder(one.id) == "d1" { "d2" } else { "d1" };
    assert!(
        !s.delivery_succeeded(to_one, other, 200, t(11))
            .await
            .unwrap()
    );
    assert!(
        s.delivery_succeeded(to_one, holder(one.id), 204, t(11))
            .await
            .unwrap()
    );
    assert!(
        s.delivery_failed(
            to_two,
            holder(two.id),
            Some(503),
            "HTTP 503",
            Some(t(100)),
            t(11)
        )
        .await
        .unwrap()
    );

    // The failed one comes back at its retry time with its attempt counted, then is given up.
    assert!(
        s.claim_deliveries("d1", t(99), LEASE, 5)
            .await
            .unwrap()
            .is_empty()
    );
    let retry = s.claim_deliveries("d1", t(100), LEASE, 5).await.unwrap();
    assert_eq!(
        retry.iter().map(|j| (j.id, j.attempts)).collect::<Vec<_>>(),
        vec![(to_two, 1)]
    );
    assert!(
        s.delivery_failed(to_two, "d1", None, "connection refused", None, t(101))
            .await
            .unwrap()
    );
    assert!(
        !s.delivery_failed(to_two, "d1", None, "again", Some(t(200)), t(102))
            .await
            .unwrap(),
        "a dead delivery stays dead"
    );
    assert!(
        s.claim_deliveries("d1", t(100_000), LEASE, 5)
            .await
            .unwrap()
            .is_empty()
    );

    let log = s.list_deliveries(ws, None, 10).await.unwrap();
    assert_eq!(log.len(), 2);
    let delivered = log.iter().find(|d| d.id == to_one).unwrap();
    assert_eq!(
        (
            delivered.attempts,
            delivered.last_status,
            delivered.delivered_at,
            delivered.next_attempt_at,
            delivered.dead
        ),
        (1, Some(204), Some(t(11)), None, false)
    );
    assert_eq!(delivered.event_id, event);
    assert_eq!(delivered.event_type, "asset.status_changed");
    assert_eq!(delivered.created_at, t(1));
    assert_eq!(
        delivered.about,
        EventAbout::default(),
        "a payload naming nothing"
    );
    let dead = log.iter().find(|d| d.id == to_two).unwrap();
    assert_eq!(
        (
            dead.attempts,
            dead.last_status,
            dead.last_error.as_deref(),
            dead.delivered_at,
            dead.next_attempt_at,
            dead.dead
        ),
        (2, None, Some("connection refused"), None, None, true)
    );
    let only_two = s.list_deliveries(ws, Some(two.id), 10).await.unwrap();
    assert_eq!(
        only_two.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![to_two]
    );

    // A diagnosis's events fan out in its own transaction, and the log is newest first.
    let (dws, login) = workspace_with_login(s, "hank").await;
    let (hook, _) = s
        .create_endpoint(dws, "https://h.example/", "", t(0))
        .await
        .unwrap();
    let asset = page(s, dws, login.id, "9").await;
    let written = s
        .record_diagnosis(
            dws,
            login.id,
            &Diagnosis {
                report: json!({}),
                login_status: Status::Connected,
                login_findings: json!([]),
                login_owners: vec![],
                login_unavailable: vec![],
                login_at_risk: vec![],
                login_fixes: vec![],
                assets: vec![verdict(asset.id, Status::Connected, json!([]))],
                at: t(300),
                cause: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(written.len(), 2);
    let events = s.list_events(dws).await.unwrap();
    let log = s.list_deliveries(dws, Some(hook.id), 10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(
        log.iter().map(|d| d.event_id).collect::<BTreeSet<_>>(),
        events.iter().map(|e| e.id).collect()
    );
    assert!(log.iter().all(|d| d.next_attempt_at == Some(t(300))));
    assert!(log[0].id > log[1].id, "newest first");
    // Each entry says what it was about, read from its event.
    let abouts: BTreeSet<_> = log
        .iter()
        .map(|d| (d.about.login, d.about.asset, d.about.new_status))
        .collect();
    assert_eq!(
        abouts,
        BTreeSet::from([
            (Some(login.id), None, Some(Status::Connected)),
            (Some(login.id), Some(asset.id), Some(Status::Connected)),
        ])
    );
    let jobs = s.claim_deliveries("d5", t(300), LEASE, 10).await.unwrap();
    assert_eq!(jobs.len(), 2);
    assert!(jobs.iter().all(|j| j.endpoint.id == hook.id));

    // A deliverer that vanished loses its lease: the next one takes over and the first settles
    // nothing.
    let retaken = s.claim_deliveries("d6", t(331), LEASE, 10).await.unwrap();
    assert_eq!(
        retaken.iter().map(|j| j.id).collect::<BTreeSet<_>>(),
        jobs.iter().map(|j| j.id).collect()
    );
    assert!(
        !s.delivery_succeeded(jobs[0].id, "d5", 200, t(332))
            .await
            .unwrap()
    );
    for job in &retaken {
        assert!(
            s.delivery_succeeded(job.id, "d6", 200, t(332))
                .await
                .unwrap()
        );
    }

    // Deleting an endpoint stops its deliveries and takes its log with it; others carry on.
    assert!(!s.delete_endpoint(dws, two.id).await.unwrap(), "not dws's");
    s.enqueue_event(ws, "login.status_changed", &json!({}), t(400))
        .await
        .unwrap();
    assert!(s.delete_endpoint(ws, two.id).await.unwrap());
    assert!(!s.delete_endpoint(ws, two.id).await.unwrap());
    assert_eq!(s.list_endpoints(ws).await.unwrap(), vec![one.clone()]);
    assert!(
        s.list_deliveries(ws, Some(two.id), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let after = s.claim_deliveries("d7", t(400), LEASE, 10).await.unwrap();
    assert_eq!(
        after.iter().map(|j| j.endpoint.id).collect::<Vec<_>>(),
        vec![one.id]
    );
    assert_eq!(s.list_events(ws).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_targeted_event_goes_to_its_one_endpoint() {
    for_each_engine(|db: TestDb| async move {
        let s = &db.store;
        let a = s.create_workspace("a", t(0)).await.unwrap().id;
        let b = s.create_workspace("b", t(0)).await.unwrap().id;
        let (one, _) = s
            .create_endpoint(a, "https://one.example/", "", t(0))
            .await
            .unwrap();
        let (two, _) = s
            .create_endpoint(a, "https://two.example/", "", t(0))
            .await
            .unwrap();
        // Not another workspace's endpoint, not an unknown one: nothing is written.
        assert!(
            !s.enqueue_event_for(b, one.id, "ping", &json!({}), t(1))
                .await
                .unwrap()
        );
        assert!(
            !s.enqueue_event_for(a, EndpointId::new(), "ping", &json!({}), t(1))
                .await
                .unwrap()
        );
        assert!(s.list_events(a).await.unwrap().is_empty());
        assert!(s.list_events(b).await.unwrap().is_empty());

        assert!(
            s.enqueue_event_for(a, two.id, "ping", &json!({"n": 1}), t(2))
                .await
                .unwrap(),
            "{}",
            db.engine()
        );
        let events = s.list_events(a).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].event_type.as_str(), &events[0].payload),
            ("ping", &json!({"n": 1}))
        );
        let log = s.list_deliveries(a, None, 10).await.unwrap();
        assert_eq!(
            log.iter()
                .map(|d| (d.endpoint_id, d.event_id))
                .collect::<Vec<_>>(),
            vec![(two.id, events[0].id)]
        );
        let jobs = s.claim_deliveries("d", t(2), LEASE, 10).await.unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].endpoint.id, two.id);
    })
    .await;
}

/// A deliverer in one process is woken the moment another process commits deliveries (LISTEN /
/// NOTIFY on PostgreSQL); SQLite, one process, has no listener and is woken in memory.
#[tokio::test]
async fn another_process_commit_wakes_the_deliverer() {
    for_each_engine(woken).await;
}

async fn woken(db: TestDb) {
    let s = &db.store;
    let Some(mut wake) = s.listen_for_deliveries().await.unwrap() else {
        assert_eq!(db.engine(), "sqlite");
        return;
    };
    let other = db.reopen(crate::harness::ring(&db.ring)).await;
    let ws = other.create_workspace("woken", t(0)).await.unwrap().id;
    // An event with no endpoint writes no delivery: nothing to wake for.
    other
        .enqueue_event(ws, "ping", &json!({}), t(1))
        .await
        .unwrap();
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(300), wake.wait())
            .await
            .is_err()
    );
    other
        .create_endpoint(ws, "https://hooks.example.com/in", "x", t(2))
        .await
        .unwrap();
    other
        .enqueue_event(ws, "ping", &json!({}), t(3))
        .await
        .unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), wake.wait())
        .await
        .expect("woken by the other process's commit")
        .unwrap();
    other.close().await;
}

/// Deliverers in separate processes claiming and sending as fast as they can: every delivery is
/// claimed once. (PostgreSQL re-checks a row locked after another deliverer's commit against the
/// conditions on that row only; before they were repeated there, a delivery just sent was taken
/// and sent again.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_deliverers_claim_each_delivery_once() {
    for_each_engine(claimed_once).await;
}

async fn claimed_once(db: TestDb) {
    let s = &db.store;
    let (ws, _) = workspace_with_login(s, "alice").await;
    for i in 0..6 {
        s.create_endpoint(ws, &format!("https://e{i}.example/hook"), "", t(0))
            .await
            .unwrap();
    }
    for n in 0..40 {
        s.enqueue_event(ws, "ping", &json!({"n": n}), t(1))
            .await
            .unwrap();
    }
    let mut deliverers = Vec::new();
    for _ in 0..4 {
        deliverers.push(db.reopen(crate::harness::ring(&db.ring)).await);
    }
    let claims = std::sync::Mutex::new(Vec::<DeliveryId>::new());
    let work = deliverers.iter().enumerate().map(|(i, d)| {
        let claims = &claims;
        async move {
            let owner = format!("deliverer-{i}");
            loop {
                let jobs = d.claim_deliveries(&owner, t(10), LEASE, 4).await.unwrap();
                if jobs.is_empty() {
                    break;
                }
                for job in jobs {
                    claims.lock().unwrap().push(job.id);
                    d.delivery_succeeded(job.id, &owner, 204, t(10))
                        .await
                        .unwrap();
                }
            }
        }
    });
    futures::future::join_all(work).await;
    let claims = claims.into_inner().unwrap();
    let distinct: BTreeSet<_> = claims.iter().collect();
    assert_eq!(distinct.len(), 240, "{}", db.engine());
    assert_eq!(
        claims.len(),
        240,
        "a delivery claimed twice on {}",
        db.engine()
    );
    for d in deliverers {
        d.close().await;
    }
}

#[tokio::test]
async fn in_flight_limits_count_what_is_already_leased() {
    for_each_engine(limits_count_leased).await;
}

/// At most 4 deliveries in flight per endpoint and 8 per workspace, counting those leased by
/// earlier claims: a deliverer claims again each time a slot frees, so a limit that only looked
/// at one claim let an endpoint reach 7 in flight.
async fn limits_count_leased(db: TestDb) {
    let s = &db.store;
    let (one_endpoint, _) = workspace_with_login(s, "alice").await;
    let (three_endpoints, _) = workspace_with_login(s, "bob").await;
    let mut endpoint_ws = std::collections::HashMap::new();
    for (ws, n) in [(one_endpoint, 1), (three_endpoints, 3)] {
        for i in 0..n {
            let (e, _) = s
                .create_endpoint(ws, &format!("https://e{i}.example/hook"), "", t(0))
                .await
                .unwrap();
            endpoint_ws.insert(e.id, ws);
        }
        for n in 0..10 {
            s.enqueue_event(ws, "ping", &json!({"n": n}), t(1))
                .await
                .unwrap();
        }
    }
    let first = s.claim_deliveries("d1", t(10), LEASE, 5).await.unwrap();
    assert_eq!(first.len(), 5);
    let second = s.claim_deliveries("d2", t(10), LEASE, 100).await.unwrap();
    let mut per_endpoint: std::collections::HashMap<EndpointId, usize> = Default::default();
    let mut per_workspace: std::collections::HashMap<_, usize> = Default::default();
    for job in first.iter().chain(&second) {
        *per_endpoint.entry(job.endpoint.id).or_default() += 1;
        *per_workspace
            .entry(endpoint_ws[&job.endpoint.id])
            .or_default() += 1;
    }
    assert_eq!(
        per_endpoint.len(),
        4,
        "every endpoint has work: {per_endpoint:?}"
    );
    assert!(per_endpoint.values().all(|&n| n <= 4), "{per_endpoint:?}");
    assert_eq!(per_workspace[&one_endpoint], 4);
    assert_eq!(per_workspace[&three_endpoints], 8, "{per_endpoint:?}");
    // Nothing more until one settles; then exactly its endpoint's slot is taken again.
    assert!(
        s.claim_deliveries("d3", t(10), LEASE, 100)
            .await
            .unwrap()
            .is_empty()
    );
    let done = first
        .iter()
        .find(|j| endpoint_ws[&j.endpoint.id] == one_endpoint)
        .expect("the single endpoint's delivery was among the first");
    assert!(
        s.delivery_succeeded(done.id, "d1", 204, t(11))
            .await
            .unwrap()
    );
    let refill = s.claim_deliveries("d3", t(11), LEASE, 100).await.unwrap();
    assert_eq!(refill.len(), 1);
    assert_eq!(refill[0].endpoint.id, done.endpoint.id);
}
