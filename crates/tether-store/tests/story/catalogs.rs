//! Recorded catalog changes: the highest revision of each network is what a process started
//! afterwards reads; the same revision applied again replaces its text.

use crate::harness::{TestDb, for_each_engine, t};
use tether_core::vocab::Network;
use tether_store::{CatalogStore, StoredCatalog};

#[tokio::test]
async fn the_latest_revision_of_each_network_is_read_back() {
    for_each_engine(latest).await;
}

fn change(network: Network, revision: u32, text: &str, at: i64) -> StoredCatalog {
    StoredCatalog {
        network,
        revision,
        catalog: text.into(),
        summary: format!("{network} change {revision}"),
        applied_at: t(at),
    }
}

async fn latest(db: TestDb) {
    let s = &db.store;
    assert_eq!(s.latest_catalogs().await.unwrap(), []);
    let li2 = change(Network::Linkedin, 2, "linkedin two", 10);
    let li3 = change(Network::Linkedin, 3, "linkedin three", 20);
    let pin2 = change(Network::Pinterest, 2, "pinterest two", 30);
    // Recorded out of order: the revision decides, not the time.
    for c in [&li3, &pin2, &li2] {
        s.record_catalog(c).await.unwrap();
    }
    assert_eq!(
        s.latest_catalogs().await.unwrap(),
        [li3.clone(), pin2.clone()]
    );

    // Revision 3 applied again, corrected: its text replaces the first.
    let corrected = change(Network::Linkedin, 3, "linkedin three, corrected", 40);
    s.record_catalog(&corrected).await.unwrap();
    assert_eq!(s.latest_catalogs().await.unwrap(), [corrected, pin2]);
}
