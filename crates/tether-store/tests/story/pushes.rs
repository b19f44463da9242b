//! Handled pushes are remembered by digest until they would be refused for their age anyway; a
//! login's last connect is kept so older pushes cannot undo it.

use crate::harness::{TestDb, for_each_engine, new_login, t};
use tether_core::vocab::Network;
use tether_store::{HandledPush, PushStore, Store};

#[tokio::test]
async fn handled_pushes_are_remembered_then_forgotten() {
    for_each_engine(remembered).await;
}

async fn remembered(db: TestDb) {
    let s = &db.store;
    let (a, b) = ([1u8; 32], [2u8; 32]);
    assert_eq!(s.handled_push(Network::Meta, &a).await.unwrap(), None);
    let first = HandledPush {
        handled_at: t(100),
        confirmation_code: Some("code-1".into()),
    };
    s.remember_push(Network::Meta, &a, &first, t(0))
        .await
        .unwrap();
    // The same push again keeps the first answer.
    let again = HandledPush {
        handled_at: t(150),
        confirmation_code: Some("code-2".into()),
    };
    s.remember_push(Network::Meta, &a, &again, t(0))
        .await
        .unwrap();
    assert_eq!(
        s.handled_push(Network::Meta, &a).await.unwrap(),
        Some(first)
    );
    // Another network's push with the same bytes is another push.
    assert_eq!(s.handled_push(Network::Instagram, &a).await.unwrap(), None);
    // Remembering a later push forgets those handled before the cut.
    let later = HandledPush {
        handled_at: t(300),
        confirmation_code: None,
    };
    s.remember_push(Network::Meta, &b, &later, t(200))
        .await
        .unwrap();
    assert_eq!(s.handled_push(Network::Meta, &a).await.unwrap(), None);
    assert_eq!(
        s.handled_push(Network::Meta, &b).await.unwrap(),
        Some(later)
    );
}

#[tokio::test]
async fn a_reconnect_moves_the_last_connect() {
    for_each_engine(reconnected).await;
}

async fn reconnected(db: TestDb) {
    let s = &db.store;
    let ws = s.create_workspace("w", t(0)).await.unwrap().id;
    let login = s
        .upsert_login(ws, new_login("ann", "tok-1"), t(10))
        .await
        .unwrap();
    assert_eq!(login.connected_at, t(10));
    let again = s
        .upsert_login(ws, new_login("ann", "tok-2"), t(50))
        .await
        .unwrap();
    assert_eq!(
        (again.id, again.connected_at, again.created_at),
        (login.id, t(50), t(10))
    );
}
