//! OAuth flow states: a secret only the authorize URL carries, good once, until it expires.

use crate::harness::{TestDb, for_each_engine, t, workspace_with_login};
use secrecy::ExposeSecret;
use tether_core::vocab::Network;
use tether_store::{NewOAuthState, StateRejection, Store, StoreError, WorkspaceId};

fn flow(ws: WorkspaceId, expires: i64) -> NewOAuthState {
    NewOAuthState {
        workspace_id: ws,
        network: Network::Meta,
        reconnect: None,
        allow_other_person: false,
        scopes: vec!["pages_show_list".into(), "pages_manage_posts".into()],
        rerequest: false,
        return_to: Some("https://app.example/settings".into()),
        expires_at: t(expires),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_state_is_good_once_until_it_expires() {
    for_each_engine(single_use).await;
}

async fn single_use(db: TestDb) {
    let s = &db.store;
    let (ws, login) = workspace_with_login(s, "ivy").await;
    let mut reconnect = flow(ws, 600);
    reconnect.reconnect = Some(login.id);
    reconnect.allow_other_person = true;
    reconnect.rerequest = true;
    reconnect.return_to = None;
    let secret = s.create_oauth_state(&reconnect, t(0)).await.unwrap();
    let text = secret.expose_secret();
    assert_eq!(text.len(), 43, "32 bytes, base64url unpadded: {text}");
    assert!(
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );

    let state = s
        .consume_oauth_state(text, t(10))
        .await
        .unwrap()
        .expect("a fresh state is accepted");
    assert_eq!(
        (
            state.workspace_id,
            state.network,
            state.reconnect,
            state.allow_other_person,
            state.rerequest,
            state.return_to.as_deref(),
            state.expires_at,
            state.created_at
        ),
        (
            ws,
            Network::Meta,
            Some(login.id),
            true,
            true,
            None,
            t(600),
            t(0)
        ),
        "{}",
        db.engine()
    );
    assert_eq!(state.scopes, reconnect.scopes);
    assert_eq!(
        s.consume_oauth_state(text, t(11)).await.unwrap(),
        Err(StateRejection::AlreadyUsed)
    );
    assert_eq!(
        s.consume_oauth_state("not-a-state-we-made", t(11))
            .await
            .unwrap(),
        Err(StateRejection::Unknown)
    );

    // Expired: refused, and used up by the attempt, so it cannot work later either.
    let late = s.create_oauth_state(&flow(ws, 100), t(0)).await.unwrap();
    assert_eq!(
        s.consume_oauth_state(late.expose_secret(), t(100))
            .await
            .unwrap(),
        Err(StateRejection::Expired)
    );
    assert_eq!(
        s.consume_oauth_state(late.expose_secret(), t(50))
            .await
            .unwrap(),
        Err(StateRejection::AlreadyUsed)
    );
    assert_eq!(
        s.consume_oauth_state(late.expose_secret(), t(200))
            .await
            .unwrap(),
        Err(StateRejection::Expired)
    );

    // Two callbacks with the same state at once: exactly one wins.
    for round in 0..5 {
        let secret = s
            .create_oauth_state(&flow(ws, 600), t(round))
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            s.consume_oauth_state(secret.expose_secret(), t(20)),
            s.consume_oauth_state(secret.expose_secret(), t(20))
        );
        let mut outcomes = [a.unwrap(), b.unwrap()];
        outcomes.sort_by_key(|o| o.is_err());
        assert!(outcomes[0].is_ok(), "{}: {outcomes:?}", db.engine());
        assert_eq!(outcomes[1], Err(StateRejection::AlreadyUsed));
    }

    // Purging forgets states that expired before the cutoff.
    let kept = s.create_oauth_state(&flow(ws, 10_000), t(0)).await.unwrap();
    assert_eq!(s.purge_oauth_states(t(700)).await.unwrap(), 7);
    assert_eq!(
        s.consume_oauth_state(late.expose_secret(), t(800))
            .await
            .unwrap(),
        Err(StateRejection::Unknown)
    );
    assert!(
        s.consume_oauth_state(kept.expose_secret(), t(800))
            .await
            .unwrap()
            .is_ok()
    );
}

#[tokio::test]
async fn a_flow_cannot_reconnect_another_workspaces_login() {
    for_each_engine(foreign_reconnect).await;
}

async fn foreign_reconnect(db: TestDb) {
    let s = &db.store;
    let (_, theirs) = workspace_with_login(s, "jack").await;
    let mine = s.create_workspace("mine", t(0)).await.unwrap().id;
    let mut hijack = flow(mine, 600);
    hijack.reconnect = Some(theirs.id);
    assert!(matches!(
        s.create_oauth_state(&hijack, t(0)).await,
        Err(StoreError::NotFound { what: "login", .. })
    ));
}

/// Opening a reconnect link again replaces the flow it started: however often it is opened, the
/// login has one flow pending, and only the latest one's callback is accepted.
#[tokio::test]
async fn a_login_has_one_reconnect_flow_pending() {
    for_each_engine(one_pending).await;
}

async fn one_pending(db: TestDb) {
    let s = &db.store;
    let (ws, login) = workspace_with_login(s, "ivy").await;
    let mut reconnect = flow(ws, 600);
    reconnect.reconnect = Some(login.id);
    let connect = s.create_oauth_state(&flow(ws, 600), t(0)).await.unwrap();
    let mut secrets = Vec::new();
    for i in 0..50 {
        secrets.push(s.create_oauth_state(&reconnect, t(i)).await.unwrap());
    }
    let last = secrets.pop().unwrap();
    for earlier in &secrets {
        assert_eq!(
            s.consume_oauth_state(earlier.expose_secret(), t(60))
                .await
                .unwrap(),
            Err(StateRejection::Unknown)
        );
    }
    assert!(
        s.consume_oauth_state(last.expose_secret(), t(60))
            .await
            .unwrap()
            .is_ok()
    );
    // A new connect's flow is not a reconnect: it stays.
    assert!(
        s.consume_oauth_state(connect.expose_secret(), t(60))
            .await
            .unwrap()
            .is_ok()
    );
}
