//! People who sign in to the dashboard: users created or invited, invitations accepted once,
//! sign-in by email across workspaces, and sessions that die with their user or password.

use crate::harness::{TestDb, for_each_engine, t};
use secrecy::ExposeSecret;
use tether_store::{Role, SessionUser, Store, StoreError, UserId};

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
const OTHER_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0$bmV3aGFzaA";

#[tokio::test]
async fn users_are_unique_by_email_across_workspaces() {
    for_each_engine(unique).await;
}

async fn unique(db: TestDb) {
    let s = &db.store;
    let a = s.create_workspace("a", t(0)).await.unwrap().id;
    let b = s.create_workspace("b", t(0)).await.unwrap().id;
    let ann = s
        .create_user(a, "  Ann@Example.COM ", Role::Owner, HASH, t(1))
        .await
        .unwrap();
    assert_eq!(
        (ann.email.as_str(), ann.role, ann.active, ann.workspace_id),
        ("ann@example.com", Role::Owner, true, a),
        "{}",
        db.engine()
    );
    assert_eq!((ann.invite_expires_at, ann.created_at), (None, t(1)));
    for (ws, email) in [
        (a, "ann@example.com"),
        (b, "ANN@example.com\t"),
        (b, " ann@EXAMPLE.com"),
    ] {
        let err = s
            .create_user(ws, email, Role::Member, HASH, t(2))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Duplicate { what: "user", value } if value == "ann@example.com"),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "a user with ann@example.com already exists"
        );
        // Nor may it be invited anywhere.
        assert!(matches!(
            s.invite_user(ws, email, Role::Member, t(100), t(2)).await,
            Err(StoreError::Duplicate { .. })
        ));
    }
    let bob = s
        .create_user(b, "bob@example.com", Role::Member, HASH, t(3))
        .await
        .unwrap();
    assert_eq!(s.list_users(a).await.unwrap(), vec![ann.clone()]);
    assert_eq!(s.list_users(b).await.unwrap(), vec![bob.clone()]);
    assert_eq!(s.get_user(a, ann.id).await.unwrap(), Some(ann.clone()));
    assert_eq!(
        s.get_user(b, ann.id).await.unwrap(),
        None,
        "not across workspaces"
    );
    assert_eq!(s.get_user(a, UserId::new()).await.unwrap(), None);

    // Sign-in finds the user from any workspace, by email as typed.
    let (found, hash) = s
        .find_user_for_sign_in(" ANN@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found, hash.as_str()), (ann, HASH));
    assert!(
        s.find_user_for_sign_in("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!("member".parse::<Role>().unwrap(), Role::Member);
    assert_eq!(Role::Owner.to_string(), "owner");
    assert!("admin".parse::<Role>().is_err());
}

#[tokio::test]
async fn an_invitation_is_accepted_once_before_it_expires() {
    for_each_engine(invitations).await;
}

async fn invitations(db: TestDb) {
    let s = &db.store;
    let a = s.create_workspace("a", t(0)).await.unwrap().id;
    let b = s.create_workspace("b", t(0)).await.unwrap().id;
    let (pending, secret) = s
        .invite_user(a, "Cy@Example.com", Role::Member, t(100), t(1))
        .await
        .unwrap();
    let secret = secret.expose_secret().to_owned();
    assert_eq!(secret.len(), 43, "32 bytes, base64url unpadded");
    assert!(!secret.contains(['=', '+', '/']));
    assert_eq!(
        (
            pending.email.as_str(),
            pending.active,
            pending.invite_expires_at
        ),
        ("cy@example.com", false, Some(t(100))),
        "{}",
        db.engine()
    );
    assert_eq!(s.list_users(a).await.unwrap(), vec![pending.clone()]);
    // Pending: cannot sign in, cannot hold a session, cannot set a password but by accepting.
    assert!(
        s.find_user_for_sign_in("cy@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        s.create_session(&pending, t(1000), t(2)).await,
        Err(StoreError::NotFound { what: "user", .. })
    ));
    assert!(!s.set_user_password(a, pending.id, HASH).await.unwrap());

    assert_eq!(
        s.get_invite(&secret, t(2)).await.unwrap(),
        Some(pending.clone())
    );
    assert_eq!(s.get_invite("not-a-secret", t(2)).await.unwrap(), None);
    // Another workspace cannot take the pending email, by invitation or creation.
    assert!(matches!(
        s.invite_user(b, "cy@example.com", Role::Owner, t(100), t(2))
            .await,
        Err(StoreError::Duplicate { what: "user", .. })
    ));
    assert!(matches!(
        s.create_user(b, "cy@example.com", Role::Owner, HASH, t(2))
            .await,
        Err(StoreError::Duplicate { .. })
    ));

    // Inviting again: the same user, a new link and expiry; the old link is dead.
    let (again, fresh) = s
        .invite_user(a, " cy@example.COM", Role::Owner, t(200), t(3))
        .await
        .unwrap();
    let fresh = fresh.expose_secret().to_owned();
    assert_ne!(fresh, secret);
    assert_eq!(again.id, pending.id);
    assert_eq!(
        (again.role, again.invite_expires_at, again.created_at),
        (Role::Owner, Some(t(200)), t(1))
    );
    assert_eq!(s.list_users(a).await.unwrap().len(), 1);
    assert_eq!(s.get_invite(&secret, t(4)).await.unwrap(), None);
    assert_eq!(s.accept_invite(&secret, HASH, t(4)).await.unwrap(), None);

    // Expired: neither shown nor accepted.
    assert_eq!(s.get_invite(&fresh, t(200)).await.unwrap(), None);
    assert_eq!(s.accept_invite(&fresh, HASH, t(200)).await.unwrap(), None);
    let accepted = s
        .accept_invite(&fresh, HASH, t(199))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            accepted.id,
            accepted.active,
            accepted.invite_expires_at,
            accepted.role
        ),
        (pending.id, true, None, Role::Owner)
    );
    // Used up.
    assert_eq!(s.get_invite(&fresh, t(5)).await.unwrap(), None);
    assert_eq!(
        s.accept_invite(&fresh, OTHER_HASH, t(5)).await.unwrap(),
        None
    );
    let (found, hash) = s
        .find_user_for_sign_in("CY@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found, hash.as_str()), (accepted.clone(), HASH));
    // Active now: another invitation of the email is a duplicate, even in its own workspace.
    assert!(matches!(
        s.invite_user(a, "cy@example.com", Role::Member, t(300), t(6))
            .await,
        Err(StoreError::Duplicate { .. })
    ));
}

#[tokio::test]
async fn concurrent_accepts_of_one_invitation_activate_once() {
    for_each_engine(|db: TestDb| async move {
        let s = &db.store;
        let a = s.create_workspace("a", t(0)).await.unwrap().id;
        let (_, secret) = s
            .invite_user(a, "dee@example.com", Role::Member, t(100), t(1))
            .await
            .unwrap();
        let secret = secret.expose_secret();
        let (one, two) = tokio::join!(
            s.accept_invite(secret, HASH, t(2)),
            s.accept_invite(secret, OTHER_HASH, t(2))
        );
        let (one, two) = (one.unwrap(), two.unwrap());
        assert!(one.is_some() != two.is_some(), "{}", db.engine());
        let (_, hash) = s
            .find_user_for_sign_in("dee@example.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hash, if one.is_some() { HASH } else { OTHER_HASH });
    })
    .await;
}

#[tokio::test]
async fn sessions_live_until_they_expire_are_deleted_or_their_user_changes() {
    for_each_engine(sessions).await;
}

async fn sessions(db: TestDb) {
    let s = &db.store;
    let a = s.create_workspace("a", t(0)).await.unwrap().id;
    let b = s.create_workspace("b", t(0)).await.unwrap().id;
    let eve = s
        .create_user(a, "eve@example.com", Role::Owner, HASH, t(0))
        .await
        .unwrap();
    let fay = s
        .create_user(a, "fay@example.com", Role::Member, HASH, t(0))
        .await
        .unwrap();
    let phone = s.create_session(&eve, t(100), t(1)).await.unwrap();
    let laptop = s.create_session(&eve, t(500), t(1)).await.unwrap();
    let fays = s.create_session(&fay, t(500), t(1)).await.unwrap();
    let phone = phone.expose_secret();
    assert_eq!(phone.len(), 43);
    assert_ne!(phone, laptop.expose_secret());

    let live: SessionUser = s.get_session(phone, t(99)).await.unwrap().unwrap();
    assert_eq!(
        (&live.user, live.expires_at),
        (&eve, t(100)),
        "{}",
        db.engine()
    );
    let other = s
        .get_session(laptop.expose_secret(), t(99))
        .await
        .unwrap()
        .unwrap();
    assert_ne!(other.session_id, live.session_id);
    // Expired at its expiry; unknown secrets find nothing.
    assert_eq!(s.get_session(phone, t(100)).await.unwrap(), None);
    assert_eq!(s.get_session("nope", t(1)).await.unwrap(), None);

    // Purging removes only what expired before the time given.
    assert_eq!(s.purge_sessions(t(100)).await.unwrap(), 0);
    assert_eq!(s.purge_sessions(t(101)).await.unwrap(), 1);
    assert_eq!(s.get_session(phone, t(50)).await.unwrap(), None, "purged");

    // Signing out one browser.
    let tablet = s.create_session(&eve, t(500), t(2)).await.unwrap();
    assert!(s.delete_session(tablet.expose_secret()).await.unwrap());
    assert!(!s.delete_session(tablet.expose_secret()).await.unwrap());
    assert_eq!(
        s.get_session(tablet.expose_secret(), t(3)).await.unwrap(),
        None
    );

    // A new password signs the user out everywhere, and only them.
    assert!(
        !s.set_user_password(b, eve.id, OTHER_HASH).await.unwrap(),
        "not from b"
    );
    assert!(
        s.get_session(laptop.expose_secret(), t(3))
            .await
            .unwrap()
            .is_some()
    );
    assert!(s.set_user_password(a, eve.id, OTHER_HASH).await.unwrap());
    assert_eq!(
        s.get_session(laptop.expose_secret(), t(3)).await.unwrap(),
        None
    );
    assert!(
        s.get_session(fays.expose_secret(), t(3))
            .await
            .unwrap()
            .is_some()
    );
    let (_, hash) = s
        .find_user_for_sign_in("eve@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hash, OTHER_HASH);
    let laptop = s.create_session(&eve, t(500), t(4)).await.unwrap();
    assert!(
        s.get_session(laptop.expose_secret(), t(4))
            .await
            .unwrap()
            .is_some()
    );

    // Deleting a user kills their sessions; their email is free again.
    assert!(!s.delete_user(b, eve.id).await.unwrap(), "not from b");
    assert!(s.delete_user(a, eve.id).await.unwrap());
    assert!(!s.delete_user(a, eve.id).await.unwrap(), "once");
    assert_eq!(
        s.get_session(laptop.expose_secret(), t(5)).await.unwrap(),
        None
    );
    assert!(
        s.find_user_for_sign_in("eve@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        s.create_session(&eve, t(500), t(5)).await,
        Err(StoreError::NotFound { what: "user", .. })
    ));
    assert_eq!(s.list_users(a).await.unwrap(), vec![fay.clone()]);
    assert!(
        s.get_session(fays.expose_secret(), t(5))
            .await
            .unwrap()
            .is_some()
    );
    s.create_user(b, "eve@example.com", Role::Owner, HASH, t(6))
        .await
        .unwrap();
    // A User value naming another workspace than its own does not get a session.
    let forged = tether_store::User {
        workspace_id: b,
        ..fay
    };
    assert!(s.create_session(&forged, t(500), t(6)).await.is_err());
}

#[tokio::test]
async fn a_person_belongs_to_several_workspaces_with_one_sign_in() {
    for_each_engine(several).await;
}

async fn several(db: TestDb) {
    use tether_store::MailStore;
    let s = &db.store;
    let brand_a = s.create_workspace("Brand A", t(0)).await.unwrap().id;
    let brand_b = s.create_workspace("Brand B", t(0)).await.unwrap().id;
    let other = s.create_workspace("Other agency", t(0)).await.unwrap().id;
    let ann = s
        .create_user(brand_a, "ann@agency.example", Role::Owner, HASH, t(1))
        .await
        .unwrap();
    // Not someone who does not sign in yet: they are invited instead.
    assert!(
        s.add_existing_user(brand_b, "new@agency.example", Role::Member, t(2))
            .await
            .unwrap()
            .is_none()
    );
    let in_b = s
        .add_existing_user(brand_b, " ANN@agency.example", Role::Member, t(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (in_b.id, in_b.workspace_id, in_b.role),
        (ann.id, brand_b, Role::Member),
        "{}",
        db.engine()
    );
    assert!(matches!(
        s.add_existing_user(brand_b, "ann@agency.example", Role::Owner, t(3))
            .await,
        Err(StoreError::Duplicate { .. })
    ));
    let names: Vec<(String, Role)> = s
        .list_memberships(ann.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.workspace_name, m.role))
        .collect();
    assert_eq!(
        names,
        [
            ("Brand A".to_owned(), Role::Owner),
            ("Brand B".to_owned(), Role::Member)
        ]
    );
    assert_eq!(s.list_users(brand_b).await.unwrap().len(), 1);
    assert_eq!(
        s.get_user(brand_b, ann.id).await.unwrap().unwrap().role,
        Role::Member
    );

    // One sign-in lands in the first workspace; the session switches to the others she is in.
    let (found, _) = s
        .find_user_for_sign_in("ann@agency.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.workspace_id, brand_a);
    let cookie = s.create_session(&found, t(100), t(4)).await.unwrap();
    let secret = cookie.expose_secret();
    let here = |u: &SessionUser| (u.user.workspace_id, u.user.role);
    assert_eq!(
        here(&s.get_session(secret, t(5)).await.unwrap().unwrap()),
        (brand_a, Role::Owner)
    );
    assert!(s.switch_session(secret, brand_b, t(5)).await.unwrap());
    assert_eq!(
        here(&s.get_session(secret, t(5)).await.unwrap().unwrap()),
        (brand_b, Role::Member),
        "the role is the one held there"
    );
    assert!(
        !s.switch_session(secret, other, t(5)).await.unwrap(),
        "not hers"
    );
    assert!(
        !s.switch_session("no-such-session", brand_a, t(5))
            .await
            .unwrap()
    );
    assert_eq!(
        s.get_session(secret, t(5))
            .await
            .unwrap()
            .unwrap()
            .user
            .workspace_id,
        brand_b
    );

    // Email choices are per workspace.
    s.set_mail_choice(brand_b, ann.id, false, false)
        .await
        .unwrap();
    let choice = |ws| async move {
        let r = s.recipients(ws).await.unwrap();
        (r[0].alerts, r[0].digest)
    };
    assert_eq!(choice(brand_a).await, (true, true));
    assert_eq!(choice(brand_b).await, (false, false));

    // Out of Brand A, where sign-in landed: signed out of it, she lands in Brand B from now on.
    let in_a = s.create_session(&found, t(100), t(6)).await.unwrap();
    assert!(s.delete_user(brand_a, ann.id).await.unwrap());
    assert!(
        s.get_session(in_a.expose_secret(), t(7))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.get_session(secret, t(7)).await.unwrap().is_some(),
        "Brand B's session stays"
    );
    let (found, _) = s
        .find_user_for_sign_in("ann@agency.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.workspace_id, brand_b);
    // Out of her last workspace: gone.
    assert!(s.delete_user(brand_b, ann.id).await.unwrap());
    assert!(
        s.find_user_for_sign_in("ann@agency.example")
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.list_memberships(ann.id).await.unwrap().is_empty());
}
