//! Facebook Login against the simulator's dialog and token endpoint: the dialog URL the client
//! builds is one the dialog accepts, and the tokens the exchanges return are inspectable.

use crate::{ALICE_ID, client_for, start};
use secrecy::{ExposeSecret, SecretString};
use tether_core::{PermissionStatus, TokenValidity};
use tether_meta::{GraphConfig, InspectOptions, OAuthError, authorize_url};
use tether_sim::{SimHandle, World};
use url::Url;

/// In the demo world's `redirect_uris`. Never contacted: the 302 to it is read, not followed.
const REDIRECT: &str = "http://127.0.0.1:8080/oauth/callback";

/// Plays the person: opens the dialog as Alice, unticks `unticked`, keeps every Page, allows.
/// Returns the `code` from the redirect.
async fn consent(sim: &SimHandle, scopes: &[&str], unticked: &str) -> String {
    // The dialog needs no secret; the checker's config supplies the app id and the version.
    let mut cfg = GraphConfig::new(World::demo().app.id, SecretString::from("unused"));
    cfg.dialog_base_url = sim.base_url().parse().unwrap();
    let redirect = Url::parse(REDIRECT).unwrap();
    let dialog = authorize_url(&cfg, &redirect, "st4te", scopes, false);
    let http = tether_sim::http_client();
    let page = http
        .get(format!("{dialog}&as_user={ALICE_ID}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let pages: Vec<&str> = html
        .split(r#"name="page" value=""#)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(!pages.is_empty(), "Alice manages Pages");

    let mut form: Vec<(String, String)> = dialog.query_pairs().into_owned().collect();
    form.push(("user".into(), ALICE_ID.into()));
    for s in scopes.iter().filter(|s| **s != unticked) {
        form.push(("perm".into(), (*s).into()));
    }
    for p in pages {
        form.push(("page".into(), p.into()));
    }
    form.push(("action".into(), "allow".into()));
    let done = http
        .post(dialog.as_str().split('?').next().unwrap())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 302);
    let location = Url::parse(done.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(REDIRECT));
    let q: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    assert!(q.contains(&("state".into(), "st4te".into())));
    q.into_iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v)
        .expect("a code")
}

#[tokio::test]
async fn the_dialog_code_becomes_an_inspectable_long_lived_token() {
    let (sim, client) = start(World::demo());
    let scopes = ["pages_show_list", "pages_read_engagement", "read_insights"];
    let code = consent(&sim, &scopes, "read_insights").await;
    let redirect = Url::parse(REDIRECT).unwrap();

    let short = client.exchange_code(&code, &redirect).await.unwrap();
    let again = client.exchange_code(&code, &redirect).await;
    assert!(
        matches!(again, Err(OAuthError::CodeRejected { .. })),
        "a code works once: {again:?}"
    );
    let long = client.exchange_long_lived(&short.token).await.unwrap();
    assert_ne!(long.token.expose_secret(), short.token.expose_secret());
    assert!(long.expires_in > short.expires_in);

    let snap = client
        .inspect_login(&long.token, &InspectOptions::default())
        .await
        .unwrap();
    // The platform user id and name come with the inspection: no separate `me` call is needed.
    assert_eq!(snap.login.user_id.as_deref(), Some(ALICE_ID));
    assert!(snap.login.user_name.is_some());
    assert_eq!(snap.login.token.validity, TokenValidity::Valid);
    let status = |name: &str| {
        snap.login
            .permissions
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.status)
    };
    assert_eq!(status("read_insights"), Some(PermissionStatus::Declined));
    assert_eq!(status("pages_show_list"), Some(PermissionStatus::Granted));
    let stats = client.stats();
    assert_eq!(stats.oauth_requests, 3);
    assert_eq!(
        stats.platform_calls, 2,
        "only the inspection counts as platform calls"
    );
}

#[tokio::test]
async fn a_wrong_app_secret_on_the_exchange_is_the_checkers_problem() {
    let world = World::demo();
    let (sim, _) = start(world.clone());
    let code = consent(&sim, &["pages_show_list"], "").await;
    let wrong = client_for(&sim, &world, "not-the-demo-secret");
    let r = wrong
        .exchange_code(&code, &Url::parse(REDIRECT).unwrap())
        .await;
    assert!(
        matches!(r, Err(OAuthError::CheckerMisconfigured { .. })),
        "{r:?}"
    );
    assert_eq!(wrong.stats().oauth_requests, 1, "not retried");
}
