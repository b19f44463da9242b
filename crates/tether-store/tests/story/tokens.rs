//! Sealed tokens: round trip, bound to their row, never on disk in clear, rotatable.

use crate::harness::{
    TestDb, for_each_engine, new_login, new_ring_text, ring, t, workspace_with_login,
};
use secrecy::ExposeSecret;
use tether_store::{KeyRing, ResealProgress, SealError, Store, StoreError};

#[tokio::test]
async fn tokens_round_trip_and_are_bound_to_their_row() {
    for_each_engine(round_trip).await;
}

async fn round_trip(db: TestDb) {
    let s = &db.store;
    let (ws, alice) = workspace_with_login(s, "alice").await;
    let bob = s
        .upsert_login(ws, new_login("bob", "EAA-token-of-bob"), t(0))
        .await
        .unwrap();
    assert_eq!(
        s.login_token(ws, alice.id).await.unwrap().expose_secret(),
        "EAA-token-of-alice"
    );
    assert_eq!(alice.token_key_id, 1);

    // Reconnect: same identity, new token, and the token is sealed for the same row.
    let again = s
        .upsert_login(ws, new_login("alice", "EAA-new-token"), t(10))
        .await
        .unwrap();
    assert_eq!(again.id, alice.id);
    assert_eq!(again.created_at, alice.created_at);
    assert_eq!(again.next_check_at, t(10));
    assert_eq!(
        s.login_token(ws, alice.id).await.unwrap().expose_secret(),
        "EAA-new-token"
    );
    assert_eq!(s.list_logins(ws).await.unwrap().len(), 2);

    // Bob's sealed bytes pasted into Alice's row do not open there.
    db.copy_sealed_token(bob.id, alice.id).await;
    match s.login_token(ws, alice.id).await {
        Err(StoreError::Seal {
            login,
            source: SealError::Open,
        }) => assert_eq!(login, alice.id.0),
        other => panic!(
            "{}: a token copied from another row opened: {other:?}",
            db.engine()
        ),
    }
    assert_eq!(
        s.login_token(ws, bob.id).await.unwrap().expose_secret(),
        "EAA-token-of-bob"
    );
}

#[tokio::test]
async fn the_sqlite_file_never_holds_a_token_or_webhook_secret_in_clear() {
    let db = TestDb::sqlite().await;
    let s = &db.store;
    let token = "EAAGm0PX4ZCpsBAPlaintextTokenThatMustNeverBeOnDisk";
    let ws = s.create_workspace("grep", t(0)).await.unwrap();
    let mut login = new_login("carol", token);
    login.person_name = "Carol Findable-Name".into();
    s.upsert_login(ws.id, login.clone(), t(0)).await.unwrap();
    s.upsert_login(ws.id, login, t(1)).await.unwrap();
    let (_, hook_secret) = s
        .create_endpoint(ws.id, "https://hooks.example/in", "Findable", t(2))
        .await
        .unwrap();
    let hook_secret = hook_secret.expose_secret().to_owned();
    // The deliverer gets it back from the sealed row.
    s.enqueue_event(ws.id, "test", &serde_json::json!({}), t(3))
        .await
        .unwrap();
    let jobs = s
        .claim_deliveries("d", t(3), std::time::Duration::from_secs(30), 1)
        .await
        .unwrap();
    assert_eq!(jobs[0].secret.expose_secret(), hook_secret);
    s.close().await;

    let mut seen_name = false;
    for entry in std::fs::read_dir(db.sqlite_dir().unwrap()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "plaintext token found in a database file"
        );
        // Neither the whole secret nor its random part.
        let random = &hook_secret["whsec_".len()..];
        assert!(
            !bytes.windows(random.len()).any(|w| w == random.as_bytes()),
            "plaintext webhook secret found in a database file"
        );
        seen_name |= bytes.windows(19).any(|w| w == b"Carol Findable-Name");
    }
    // The grep looked at the files the row was written to.
    assert!(
        seen_name,
        "the login row itself was not found in the database files"
    );
}

#[tokio::test]
async fn rotation_reseals_every_token_under_the_active_key() {
    for_each_engine(rotation).await;
}

async fn rotation(db: TestDb) {
    let ws = db.store.create_workspace("rotate", t(0)).await.unwrap().id;
    let mut ids = Vec::new();
    for i in 0..5 {
        let l = db
            .store
            .upsert_login(ws, new_login(&format!("u{i}"), &format!("tok-{i}")), t(0))
            .await
            .unwrap();
        ids.push(l.id);
    }
    let (hook, hook_secret) = db
        .store
        .create_endpoint(ws, "https://hooks.example/", "", t(0))
        .await
        .unwrap();
    let key2 = new_ring_text(2);
    let both = db.reopen(ring(&format!("{},{key2}", db.ring))).await;
    assert_eq!(both.keys().active_id(), 2);
    let mut seen = Vec::new();
    let done = both.reseal_tokens(2, &mut |p| seen.push(p)).await.unwrap();
    assert_eq!(
        done,
        ResealProgress { done: 6, total: 6 },
        "{}",
        db.engine()
    );
    assert_eq!(
        seen.iter().map(|p| p.done).collect::<Vec<_>>(),
        vec![2, 4, 5, 6],
        "five tokens, then the endpoint's secret"
    );
    // Nothing left to do: a second run is a no-op.
    assert_eq!(
        both.reseal_tokens(2, &mut |_| panic!("no batch expected"))
            .await
            .unwrap()
            .done,
        0
    );

    // The old key can now be retired: key 2 alone opens every token, key 1 alone opens none.
    let only2 = db.reopen(ring(&key2)).await;
    let only1 = db.reopen(ring(&db.ring)).await;
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            only2
                .get_login(ws, *id)
                .await
                .unwrap()
                .unwrap()
                .token_key_id,
            2
        );
        assert_eq!(
            only2.login_token(ws, *id).await.unwrap().expose_secret(),
            format!("tok-{i}")
        );
        assert!(matches!(
            only1.login_token(ws, *id).await,
            Err(StoreError::Seal {
                source: SealError::UnknownKey(2),
                ..
            })
        ));
    }
    // The endpoint's signing secret moved to key 2 as well.
    let lease = std::time::Duration::from_secs(30);
    db.store
        .enqueue_event(ws, "test", &serde_json::json!({}), t(1))
        .await
        .unwrap();
    let jobs = only2.claim_deliveries("d", t(1), lease, 5).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].endpoint.id, hook.id);
    assert_eq!(jobs[0].secret.expose_secret(), hook_secret.expose_secret());
    assert!(matches!(
        only1.claim_deliveries("d", t(100), lease, 5).await,
        Err(StoreError::EndpointSeal {
            source: SealError::UnknownKey(2),
            ..
        })
    ));
    only1.close().await;
    only2.close().await;
    both.close().await;
}

#[tokio::test]
async fn generated_keys_form_a_ring() {
    let text = format!("{},{}", new_ring_text(1), new_ring_text(9));
    let keys = ring(&text);
    assert_eq!(keys.active_id(), 9);
    assert_eq!(KeyRing::generate_key().expose_secret().len(), 44);
}
