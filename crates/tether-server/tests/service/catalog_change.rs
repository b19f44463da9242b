//! `tether catalog apply`'s core against a real store on both engines: a changed LinkedIn catalog
//! (publishing now needs `w_member_social` too) moves the one healthy Page; the dry run counts
//! it per status and workspace and records nothing; applying records it once (a second run
//! records nothing), its events delivered to the workspace's endpoint with the change's words,
//! with no platform call. Pages of one login, so the read crosses pages.

use crate::dashboard;
use crate::harness::{Engine, TestApp, on_each_engine};
use crate::linkedin::{connect, sim};
use serde_json::json;
use tether_core::{Catalog, Status};
use tether_server::App;
use tether_server::check::{catalog_change_in_pages, record_change, recorded_catalogs};
use tether_store::{CatalogStore, Role, Store, StoredCatalog};

const HARBOR: &str = "2414183";

fn changed() -> Catalog {
    let builtin = include_str!("../../../../catalog/linkedin/catalog.toml");
    let text = builtin.replacen(
        "permissions = [\"w_organization_social\"]",
        "permissions = [\"w_organization_social\", \"w_member_social\"]",
        1,
    );
    assert_ne!(text, builtin, "the publish rule was found");
    let text = format!(
        "{text}\n[change]\nsummary = \"LinkedIn now asks for w_member_social to publish as a Page (a test's change)\"\nsource = \"tests/service/catalog_change.rs\"\n"
    );
    Catalog::from_toml_str(&text, "changed linkedin catalog").unwrap()
}

#[tokio::test]
async fn a_changed_catalog_moves_accounts_once_from_stored_facts() {
    on_each_engine(moves).await;
}

async fn moves(engine: Engine) {
    let t = TestApp::spawn(engine).await;
    connect(&t, "aLi5Ada0001", &[]).await;
    // Ben's Page lacks a role already: judged, not moved.
    connect(&t, "aLi5Ben0002", &[]).await;
    assert_eq!(t.asset_by_platform_id(HARBOR).await["status"], "connected");
    let store = &t.app.state.store;
    let now = t.app.state.clock.now();
    let calls = t.app.state.checker.stats().platform_calls;
    let changed = changed();

    let dry = catalog_change_in_pages(store, &changed, "scheduler", false, now, 1)
        .await
        .unwrap();
    assert_eq!(dry.logins_judged, 2, "{dry:?}");
    assert_eq!(dry.assets_judged, 3, "{dry:?}");
    assert_eq!(
        dry.assets_moved
            .get(&(Status::Connected, Status::ActionRequired)),
        Some(&1),
        "{dry:?}"
    );
    assert_eq!(dry.workspaces.values().sum::<u64>(), 1, "{dry:?}");
    assert_eq!(dry.transitions, 0);
    assert_eq!(t.asset_by_platform_id(HARBOR).await["status"], "connected");

    let applied = catalog_change_in_pages(store, &changed, "scheduler", true, now, 1)
        .await
        .unwrap();
    let moved: u64 =
        applied.assets_moved.values().sum::<u64>() + applied.logins_moved.values().sum::<u64>();
    assert_eq!(
        applied.transitions, moved,
        "one recorded change per status change: {applied:?}"
    );
    let harbor = t.asset_by_platform_id(HARBOR).await;
    assert_eq!(harbor["status"], "action_required", "{harbor}");
    let (_, full) = t
        .get(&format!(
            "/api/v1/assets/{}",
            harbor["id"].as_str().unwrap()
        ))
        .await;
    assert!(
        full["report"]["findings"]
            .to_string()
            .contains("w_member_social"),
        "{full:#}"
    );
    // The history and the event say why, in the change's own words.
    let summary = changed.change.as_ref().unwrap().summary.clone();
    let id = tether_store::AssetId(harbor["id"].as_str().unwrap().parse().unwrap());
    let history = store.list_asset_transitions(t.ws, id).await.unwrap();
    assert_eq!(
        history.last().unwrap().cause.as_deref(),
        Some(summary.as_str())
    );
    let events = store.list_events(t.ws).await.unwrap();
    let caused: Vec<_> = events
        .iter()
        .filter(|e| e.payload["cause"] == summary.as_str())
        .collect();
    assert_eq!(caused.len() as u64, applied.transitions, "{events:#?}");

    // Once: the statuses are already there.
    let again = catalog_change_in_pages(store, &changed, "scheduler", true, now, 1)
        .await
        .unwrap();
    assert_eq!(again.transitions, 0, "{again:?}");
    assert_eq!(
        t.app.state.checker.stats().platform_calls,
        calls,
        "no platform call"
    );

    // Delivered to the workspace's endpoint like a check's events, saying why.
    let before = t.received().len();
    t.step().await;
    let delivered: Vec<_> = t.received()[before..]
        .iter()
        .map(|r| r.json())
        .filter(|e| e["data"]["cause"] == summary.as_str())
        .collect();
    assert_eq!(
        delivered.len() as u64,
        applied.transitions,
        "{delivered:#?}"
    );
}

/// The app's team moves to a newer `LinkedIn-Version` before the old one's sunset: the catalog's
/// `[api_version]` is the change, and applying it brings the Pages the notice had put at risk
/// back to connected, saying why.
#[tokio::test]
async fn moving_the_api_version_forward_is_a_catalog_change() {
    on_each_engine(moves_the_version).await;
}

async fn moves_the_version(engine: Engine) {
    let t = TestApp::spawn(engine).await;
    connect(&t, "aLi5Ada0001", &[]).await;
    let builtin = include_str!("../../../../catalog/linkedin/catalog.toml");
    let version = Catalog::builtin(tether_core::Network::Linkedin)
        .unwrap()
        .api_version
        .unwrap();
    // A scheduled check inside the notice: Harbor Bakery works, and is at risk for the app's team.
    let now = t.app.state.clock.now();
    t.advance(
        (version.sunset - version.notice)
            .duration_since(now)
            .as_secs()
            + 86_400,
    )
    .await;
    t.step().await;
    let harbor = t.asset_by_platform_id(HARBOR).await;
    assert_eq!(harbor["status"], "at_risk", "{harbor}");
    // Its page is for the app's team: no reconnect link to send a client, which would change
    // nothing.
    dashboard::add_user(&t, t.ws, "owner@example.com", Role::Owner).await;
    let (mut visitor, _) = dashboard::signed_in(&t, "owner@example.com").await;
    let page = format!("/app/assets/{}", harbor["id"].as_str().unwrap());
    let (_, html, _) = visitor.get(&t.url(&page)).await;
    assert!(html.contains("The app&#39;s developers"), "{html}");
    assert!(!html.contains("Reconnect link for"), "{html}");

    let old = format!("version = \"{}\"", version.version);
    let text = builtin
        .replacen(&old, "version = \"202609\"", 1)
        .replacen("sunset = \"2027-03-16\"", "sunset = \"2027-09-15\"", 1)
        .replacen("revision = 1\n", "revision = 2\n", 1);
    assert!(!text.contains(&old), "the version was found");
    let text = format!(
        "{text}\n[change]\nsummary = \"The app now sends LinkedIn API version 202609 (a test's change)\"\nsource = \"tests/service/catalog_change.rs\"\n"
    );
    let changed = Catalog::from_toml_str(&text, "changed linkedin catalog").unwrap();
    let now = t.app.state.clock.now();
    let applied = catalog_change_in_pages(&t.app.state.store, &changed, "scheduler", true, now, 10)
        .await
        .unwrap();
    assert_eq!(
        applied
            .assets_moved
            .get(&(Status::AtRisk, Status::Connected)),
        Some(&1),
        "{applied:?}"
    );
    let harbor = t.asset_by_platform_id(HARBOR).await;
    assert_eq!(harbor["status"], "connected", "{harbor}");
    let (_, html, _) = visitor.get(&t.url(&page)).await;
    assert!(html.contains("Reconnect link for Ada Park"), "{html}");
    let id = tether_store::AssetId(harbor["id"].as_str().unwrap().parse().unwrap());
    let history = t
        .app
        .state
        .store
        .list_asset_transitions(t.ws, id)
        .await
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        last.cause.as_deref(),
        changed.change.as_ref().map(|c| c.summary.as_str())
    );

    // Recorded, the change is what a process started afterwards judges and calls by: LinkedIn
    // retires the old version, and the restarted worker's checks, sent with the new one, keep
    // Harbor Bakery connected with nothing more recorded.
    record_change(&t.app.state.store, &changed, &text, now)
        .await
        .unwrap();
    sim(
        &t,
        &format!("versions/{}/retire", version.version),
        json!({}),
    )
    .await;
    // The worker started before the change does not check LinkedIn by the old rules (it would
    // move Harbor Bakery back and say so twice): it waits to be restarted.
    t.advance(86_400).await;
    let r = t.step().await;
    assert_eq!(
        r.outdated_catalogs,
        [tether_core::Network::Linkedin],
        "{r:?}"
    );
    assert_eq!((r.checked, r.failed), (0, 0), "{r:?}");
    // Nor does its "check now": the platform is not asked, the verdict stays, and the reason
    // says what the operator must do.
    let login = harbor["login_id"].as_str().unwrap().to_owned();
    let (status, checked) = t
        .post(&format!("/api/v1/logins/{login}/check"), json!({}))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{checked}");
    assert_eq!(checked["outcome"], "failed", "{checked}");
    assert!(
        checked["reason"].as_str().unwrap().contains(
            "Tether's rules for linkedin changed (catalog revision 2) after this server started"
        ),
        "{checked}"
    );
    assert_eq!(t.asset_by_platform_id(HARBOR).await["status"], "connected");
    let worker = t.restarted().await;
    let r = worker.worker.step().await.unwrap();
    assert_eq!((r.checked, r.failed), (1, 0), "{r:?}");
    let harbor = t.asset_by_platform_id(HARBOR).await;
    assert_eq!(harbor["status"], "connected", "{harbor}");
    let after = t
        .app
        .state
        .store
        .list_asset_transitions(t.ws, id)
        .await
        .unwrap();
    assert_eq!(after.len(), history.len(), "nothing moved back: {after:#?}");
}

/// A recorded change the build's own catalog has caught up with is the build's business; one
/// that no longer loads stops the start with what to do, rather than judging by the old rules
/// and moving every account back.
#[tokio::test]
async fn a_recorded_change_is_used_only_while_it_is_newer_and_must_load() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let store = &t.app.state.store;
    let now = t.app.state.clock.now();
    let stored = |revision: u32, catalog: &str| StoredCatalog {
        network: tether_core::Network::Linkedin,
        revision,
        catalog: catalog.into(),
        summary: format!("change {revision}"),
        applied_at: now,
    };
    store
        .record_catalog(&stored(1, "not a catalog"))
        .await
        .unwrap();
    assert!(recorded_catalogs(store).await.unwrap().is_empty());

    store
        .record_catalog(&stored(2, "not a catalog"))
        .await
        .unwrap();
    let err = App::build(
        t.config.clone(),
        store.clone(),
        std::sync::Arc::new(t.clock.clone()),
    )
    .await
    .err()
    .expect("the start is refused");
    assert!(
        format!("{err:#}").contains(
            "the recorded linkedin catalog change, revision 2 (\"change 2\") does not load with this build: apply a corrected catalog with a higher revision, or run a build whose linkedin catalog is revision 2 or higher"
        ),
        "{err:#}"
    );
}
