//! A login's grant: the refresh token sealed beside the access token, the dates refreshes are
//! scheduled from, the scopes the platform said; rotated with the key ring; never written to a
//! login that was disconnected meanwhile.

use crate::harness::{TestDb, for_each_engine, new_login, new_ring_text, ring, t};
use secrecy::{ExposeSecret, SecretString};
use tether_store::{GrantStore, NewGrant, Store, StoreError};

fn grant(access: &str, refresh: Option<&str>, at: i64) -> NewGrant {
    NewGrant {
        access_token: SecretString::from(access.to_owned()),
        refresh_token: refresh.map(|r| SecretString::from(r.to_owned())),
        issued_at: t(at),
        expires_at: Some(t(at + 7_200)),
        refresh_expires_at: refresh.map(|_| t(at + 86_400 * 180)),
        granted: Some(vec!["user.info.basic".into(), "video.list".into()]),
    }
}

#[tokio::test]
async fn a_refreshed_grant_is_written_back_and_rotates_with_the_keys() {
    for_each_engine(written_back).await;
}

async fn written_back(db: TestDb) {
    let s = &db.store;
    let ws = s.create_workspace("grants", t(0)).await.unwrap().id;
    let login = s
        .upsert_login(ws, new_login("dana", "access-0"), t(0))
        .await
        .unwrap();
    // Before any grant was written (a login connected before migration 0009): no dates, no scopes.
    let g = s.grant(ws, login.id).await.unwrap();
    assert_eq!(g.access_token.expose_secret(), "access-0");
    assert!(g.refresh_token.is_none() && g.issued_at.is_none() && g.granted.is_none());

    assert!(
        s.put_grant(ws, login.id, &grant("access-1", Some("refresh-1"), 10))
            .await
            .unwrap()
    );
    // A rotation: the new refresh token replaces the spent one; scopes not said are kept.
    let mut next = grant("access-2", Some("refresh-2"), 20);
    next.granted = None;
    assert!(s.put_grant(ws, login.id, &next).await.unwrap());
    let g = s.grant(ws, login.id).await.unwrap();
    assert_eq!(g.access_token.expose_secret(), "access-2");
    assert_eq!(g.refresh_token.unwrap().expose_secret(), "refresh-2");
    assert_eq!(g.issued_at, Some(t(20)));
    assert_eq!(g.expires_at, Some(t(7_220)));
    assert_eq!(g.refresh_expires_at, Some(t(20 + 86_400 * 180)));
    assert_eq!(g.granted.unwrap(), ["user.info.basic", "video.list"]);
    assert_eq!(
        s.login_token(ws, login.id).await.unwrap().expose_secret(),
        "access-2",
        "the access token the checks use is the refreshed one"
    );

    // Key rotation re-seals both tokens; the old key can go.
    let key2 = new_ring_text(2);
    let both = db.reopen(ring(&format!("{},{key2}", db.ring))).await;
    both.reseal_tokens(10, &mut |_| {}).await.unwrap();
    let only2 = db.reopen(ring(&key2)).await;
    let g = only2.grant(ws, login.id).await.unwrap();
    assert_eq!(
        g.refresh_token.unwrap().expose_secret(),
        "refresh-2",
        "{}",
        db.engine()
    );
}

#[tokio::test]
async fn a_refresh_never_revives_a_disconnected_login() {
    for_each_engine(stays_disconnected).await;
}

async fn stays_disconnected(db: TestDb) {
    let s = &db.store;
    let ws = s.create_workspace("gone", t(0)).await.unwrap().id;
    let login = s
        .upsert_login(ws, new_login("erin", "access-0"), t(0))
        .await
        .unwrap();
    s.put_grant(ws, login.id, &grant("access-1", Some("refresh-1"), 10))
        .await
        .unwrap();
    assert!(s.disconnect_login(ws, login.id, t(20)).await.unwrap());
    assert!(
        !s.put_grant(ws, login.id, &grant("access-2", Some("refresh-2"), 30))
            .await
            .unwrap()
    );
    assert!(matches!(
        s.grant(ws, login.id).await,
        Err(StoreError::Disconnected { .. })
    ));
    // Another workspace cannot read it either.
    let other = s.create_workspace("other", t(0)).await.unwrap().id;
    assert!(matches!(
        s.grant(other, login.id).await,
        Err(StoreError::NotFound { .. })
    ));
}
