//! Sealed tokens: round trip, bound to their row, never on disk in clear, rotatable, erased when
//! a person disconnects the login.

use crate::harness::{
    TestDb, for_each_engine, new_login, new_ring_text, page, ring, t, verdict, workspace_with_login,
};
use secrecy::ExposeSecret;
use serde_json::json;
use tether_core::vocab::Status;
use tether_store::{
    Diagnosis, FactsSubject, KeyRing, LoginId, ResealProgress, SealError, Store, StoreError,
};

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

#[tokio::test]
async fn a_disconnected_login_loses_its_token_and_keeps_its_history() {
    for_each_engine(disconnect).await;
}

async fn disconnect(db: TestDb) {
    let s = &db.store;
    let (ws, alice) = workspace_with_login(s, "alice").await;
    let bob = s
        .upsert_login(ws, new_login("bob", "EAA-token-of-bob"), t(0))
        .await
        .unwrap();
    let asset = page(s, ws, alice.id, "1").await;
    s.put_facts(
        ws,
        alice.id,
        FactsSubject::Login(alice.id),
        &json!({"scopes": ["pages_show_list"]}),
        t(1),
    )
    .await
    .unwrap();
    s.set_known_token(ws, alice.id, &json!({"app_id": "1"}))
        .await
        .unwrap();
    s.record_diagnosis(
        ws,
        alice.id,
        &Diagnosis {
            report: json!({"status": "connected"}),
            login_status: Status::Connected,
            login_findings: json!([]),
            login_owners: vec![],
            login_unavailable: vec![],
            login_at_risk: vec![],
            login_fixes: vec![],
            assets: vec![verdict(asset.id, Status::Connected, json!([]))],
            at: t(2),
            cause: None,
        },
    )
    .await
    .unwrap();
    let other = s.create_workspace("other", t(0)).await.unwrap().id;
    assert!(!s.disconnect_login(other, alice.id, t(3)).await.unwrap());
    assert!(!s.disconnect_login(ws, LoginId::new(), t(3)).await.unwrap());

    assert!(s.disconnect_login(ws, alice.id, t(3)).await.unwrap());
    match s.login_token(ws, alice.id).await {
        Err(e @ StoreError::Disconnected { login }) => {
            assert_eq!(login, alice.id.0);
            assert_eq!(
                e.to_string(),
                format!("login {} was disconnected; its token is gone", alice.id)
            );
        }
        other => panic!("{}: {other:?}", db.engine()),
    }
    let gone = s.get_login(ws, alice.id).await.unwrap().unwrap();
    assert_eq!(
        (gone.disconnected_at, gone.status, gone.known_token.clone()),
        (Some(t(3)), Status::Connected, None),
        "statuses are the caller's to change"
    );
    // Disconnecting again keeps the first time.
    assert!(s.disconnect_login(ws, alice.id, t(4)).await.unwrap());
    assert_eq!(
        s.get_login(ws, alice.id)
            .await
            .unwrap()
            .unwrap()
            .disconnected_at,
        Some(t(3))
    );
    // Everything else stays.
    assert!(s.get_asset(ws, asset.id).await.unwrap().is_some());
    assert!(s.get_asset_report(ws, asset.id).await.unwrap().is_some());
    assert!(s.get_diagnosis(ws, alice.id).await.unwrap().is_some());
    assert!(
        s.get_facts(ws, FactsSubject::Login(alice.id))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(s.list_transitions(ws, alice.id).await.unwrap().len(), 2);
    assert_eq!(s.list_logins(ws).await.unwrap().len(), 2);

    // The scheduler never claims it, however overdue; others carry on.
    let lease = std::time::Duration::from_secs(60);
    s.schedule_check(ws, alice.id, t(5)).await.unwrap();
    let claims = s
        .claim_due_logins("w", t(1_000_000), lease, 10, None)
        .await
        .unwrap();
    assert_eq!(
        claims.iter().map(|c| c.login_id).collect::<Vec<_>>(),
        vec![bob.id]
    );
    assert!(
        s.claim_due_logins("w", t(2_000_000), lease, 10, None)
            .await
            .unwrap()
            .iter()
            .all(|c| c.login_id != alice.id)
    );

    // A key rotation has no token of it to re-seal.
    let key2 = new_ring_text(2);
    let both = db.reopen(ring(&format!("{},{key2}", db.ring))).await;
    let done = both.reseal_tokens(10, &mut |_| {}).await.unwrap();
    assert_eq!(done, ResealProgress { done: 1, total: 1 }, "bob's only");
    assert!(matches!(
        both.login_token(ws, alice.id).await,
        Err(StoreError::Disconnected { .. })
    ));

    // Reconnecting the same person: a new token, checked again, the same id and history.
    let back = both
        .upsert_login(ws, new_login("alice", "EAA-reconnected"), t(10))
        .await
        .unwrap();
    assert_eq!((back.id, back.disconnected_at), (alice.id, None));
    assert_eq!(
        both.login_token(ws, alice.id)
            .await
            .unwrap()
            .expose_secret(),
        "EAA-reconnected"
    );
    assert_eq!(back.token_key_id, 2);
    assert_eq!(both.list_transitions(ws, alice.id).await.unwrap().len(), 2);
    let claims = both
        .claim_due_logins("w2", t(3_000_000), lease, 10, None)
        .await
        .unwrap();
    assert!(claims.iter().any(|c| c.login_id == alice.id));
    both.close().await;
}
