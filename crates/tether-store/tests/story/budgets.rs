//! One hourly call budget per network for every process on the database: what one process
//! takes, another cannot; unused calls go back to their hour only; a new hour starts afresh.

use crate::harness::{TestDb, for_each_engine, ring, t};
use tether_core::vocab::Network;
use tether_store::{BudgetStore, PlatformUsage, Taken};

#[tokio::test]
async fn processes_share_one_budget_per_network() {
    for_each_engine(shared).await;
}

async fn shared(db: TestDb) {
    let a = &db.store;
    // A second process: its own connection pool on the same database.
    let b = db.reopen(ring(&db.ring)).await;
    let take = |store, at, want| async move {
        let store: &tether_store::SqlStore = store;
        store
            .take_calls(Network::Meta, t(at), 10, want)
            .await
            .unwrap()
    };
    assert_eq!(
        take(a, 0, 6).await,
        Taken {
            granted: 6,
            window_start: t(0),
            usage: None,
        }
    );
    assert_eq!(
        take(&b, 10, 6).await.granted,
        4,
        "only what is left of the ten"
    );
    assert_eq!(take(a, 20, 1).await.granted, 0);
    // Another network has its own.
    assert_eq!(
        b.take_calls(Network::Instagram, t(20), 10, 3)
            .await
            .unwrap()
            .granted,
        3
    );
    // Unused calls go back to their hour.
    a.give_back_calls(Network::Meta, t(0), 5).await.unwrap();
    assert_eq!(take(&b, 30, 9).await.granted, 5);
    // An hour after its start the budget is whole again; calls given back to the old hour do
    // not inflate the new one.
    let fresh = take(a, 3_600, 3).await;
    assert_eq!(
        fresh,
        Taken {
            granted: 3,
            window_start: t(3_600),
            usage: None,
        }
    );
    b.give_back_calls(Network::Meta, t(0), 8).await.unwrap();
    assert_eq!(take(&b, 3_601, 10).await.granted, 7);

    // The platform's reading of the app's usage, seen by one process, reaches the other with its
    // next calls; an older reading does not replace a newer one.
    let reading = |percent, at| PlatformUsage { percent, at: t(at) };
    a.note_usage(Network::Meta, reading(85, 3_610))
        .await
        .unwrap();
    b.note_usage(Network::Meta, reading(20, 3_605))
        .await
        .unwrap();
    assert_eq!(take(&b, 3_620, 1).await.usage, Some(reading(85, 3_610)));
    b.note_usage(Network::Meta, reading(30, 3_630))
        .await
        .unwrap();
    assert_eq!(take(a, 3_640, 1).await.usage, Some(reading(30, 3_630)));
    // Each network has its own reading.
    a.note_usage(Network::Instagram, reading(5, 3_650))
        .await
        .unwrap();
    assert_eq!(
        b.take_calls(Network::Instagram, t(3_660), 10, 1)
            .await
            .unwrap()
            .usage,
        Some(reading(5, 3_650))
    );
    b.close().await;
}
