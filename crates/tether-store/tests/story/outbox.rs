//! The outbox: claimed by one deliverer at a time, retried until delivered, then never again.

use crate::harness::{TestDb, for_each_engine, t};
use serde_json::json;
use std::time::Duration;
use tether_store::Store;

const LEASE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn events_are_claimed_retried_and_delivered_once() {
    for_each_engine(outbox).await;
}

async fn outbox(db: TestDb) {
    let s = &db.store;
    let ws = s.create_workspace("hooks", t(0)).await.unwrap().id;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            s.enqueue_event(ws, "asset.status_changed", &json!({"n": i}), t(i))
                .await
                .unwrap(),
        );
    }
    let first = s.claim_events("d1", t(10), LEASE, 2).await.unwrap();
    let second = s.claim_events("d2", t(10), LEASE, 5).await.unwrap();
    assert_eq!(
        first.iter().map(|e| e.id).collect::<Vec<_>>(),
        ids[..2],
        "{}",
        db.engine()
    );
    assert_eq!(second.iter().map(|e| e.id).collect::<Vec<_>>(), ids[2..]);
    assert_eq!(first[0].payload, json!({"n": 0}));
    assert_eq!(first[0].attempts, 1);

    // Only the holder settles an event.
    assert!(!s.mark_delivered(ids[0], "d2", t(11)).await.unwrap());
    assert!(s.mark_delivered(ids[0], "d1", t(11)).await.unwrap());
    assert!(
        s.mark_failed(ids[1], "d1", "HTTP 503", t(100))
            .await
            .unwrap()
    );
    // ids[2]'s deliverer vanished: after its lease it goes to someone else.
    assert!(
        s.claim_events("d3", t(20), LEASE, 5)
            .await
            .unwrap()
            .is_empty()
    );
    let retaken = s.claim_events("d3", t(41), LEASE, 5).await.unwrap();
    assert_eq!(
        retaken
            .iter()
            .map(|e| (e.id, e.attempts))
            .collect::<Vec<_>>(),
        vec![(ids[2], 2)]
    );
    assert!(
        !s.mark_delivered(ids[2], "d2", t(42)).await.unwrap(),
        "a lapsed lease settles nothing"
    );
    assert!(s.mark_delivered(ids[2], "d3", t(42)).await.unwrap());

    // The failed one comes back at its retry time, with its error, and is then delivered.
    assert!(
        s.claim_events("d1", t(99), LEASE, 5)
            .await
            .unwrap()
            .is_empty()
    );
    let retry = s.claim_events("d1", t(100), LEASE, 5).await.unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(
        (
            retry[0].id,
            retry[0].attempts,
            retry[0].last_error.as_deref()
        ),
        (ids[1], 2, Some("HTTP 503"))
    );
    assert!(s.mark_delivered(ids[1], "d1", t(101)).await.unwrap());

    // Delivered events never come back.
    assert!(
        s.claim_events("d1", t(10_000), LEASE, 5)
            .await
            .unwrap()
            .is_empty()
    );
    let all = s.list_events(ws).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.delivered_at).collect::<Vec<_>>(),
        vec![Some(t(11)), Some(t(101)), Some(t(42))]
    );
}
