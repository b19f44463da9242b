//! The client against the simulator (crates/tether-sim) over real HTTP on 127.0.0.1.

mod login;
mod routine;

use secrecy::SecretString;
use std::time::Duration;
use tether_core::{AssetKind, BrokenReason, TokenValidity};
use tether_meta::{CallStats, CheckError, GraphClient, GraphConfig, InspectOptions, RetryPolicy};
use tether_sim::{
    Effect, Endpoint, FaultSpec, GraphErrorSpec, HttpStatusSpec, Match, SimHandle, World,
};

const ALICE: &str = "EAATdemoAliceHealthy0001";
const ALICE_ID: &str = "100000000000001";

fn client_for(sim: &SimHandle, world: &World, secret: &str) -> GraphClient {
    let mut cfg = GraphConfig::new(world.app.id.clone(), SecretString::from(secret));
    cfg.base_url = sim.base_url().parse().unwrap();
    cfg.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        jitter: true,
    };
    cfg.max_rate_limit_wait = Duration::from_secs(1);
    GraphClient::new(cfg).unwrap()
}

fn start(world: World) -> (SimHandle, GraphClient) {
    let sim = tether_sim::spawn(world.clone()).unwrap();
    let client = client_for(&sim, &world, &world.app.secret);
    (sim, client)
}

fn secrets(tokens: &[String]) -> Vec<SecretString> {
    tokens
        .iter()
        .map(|t| SecretString::from(t.as_str()))
        .collect()
}

fn fault(endpoint: Endpoint, count: u32, effect: Effect) -> FaultSpec {
    FaultSpec {
        matcher: Match {
            endpoint,
            token: None,
        },
        count: Some(count),
        effect,
    }
}

fn graph_error(code: u32, regain_minutes: Option<u32>) -> Effect {
    Effect::GraphError(GraphErrorSpec {
        code,
        subcode: None,
        message: None,
        kind: None,
        http_status: None,
        is_transient: None,
        estimated_time_to_regain_access: regain_minutes,
        buc_object_id: None,
    })
}

#[tokio::test]
async fn synthetic_logins_cost_two_calls_each_on_both_sides() {
    let world = World::synthetic(60, 3);
    let (sim, client) = start(world);
    let tokens: Vec<String> = (0..60).map(|i| format!("tok-user-{i}")).collect();
    let r = client
        .inspect_logins(&secrets(&tokens), &InspectOptions::default())
        .await;
    for res in &r {
        let snap = res.as_ref().unwrap();
        assert_eq!(snap.login.token.validity, TokenValidity::Valid);
        let pages = snap
            .assets
            .iter()
            .filter(|a| a.kind == AssetKind::FacebookPage);
        assert_eq!(pages.count(), 3);
    }
    let expected = CallStats {
        http_requests: 3,
        platform_calls: 120,
        ..CallStats::default()
    };
    assert_eq!(client.stats(), expected);
    let seen = sim.stats();
    assert_eq!((seen.http_requests, seen.platform_calls), (3, 120));
}

#[tokio::test]
async fn many_pages_are_paged_through() {
    let (sim, client) = start(World::synthetic(1, 250));
    let snap = client
        .inspect_login(
            &SecretString::from("tok-user-0"),
            &InspectOptions::default(),
        )
        .await
        .unwrap();
    let pages = snap
        .assets
        .iter()
        .filter(|a| a.kind == AssetKind::FacebookPage);
    assert_eq!(pages.count(), 250);
    assert_eq!(client.stats().platform_calls, 4);
    assert_eq!(sim.stats().platform_calls, 4);
}

#[tokio::test]
async fn a_password_change_breaks_the_login_with_its_reason() {
    let (sim, client) = start(World::demo());
    let opts = InspectOptions::default();
    let token = SecretString::from(ALICE);
    let before = client.inspect_login(&token, &opts).await.unwrap();
    assert_eq!(before.login.token.validity, TokenValidity::Valid);
    sim.admin().change_password(ALICE_ID).await.unwrap();
    let after = client.inspect_login(&token, &opts).await.unwrap();
    assert!(matches!(
        after.login.token.validity,
        TokenValidity::Broken {
            reason: BrokenReason::PasswordChanged,
            ..
        }
    ));
}

#[tokio::test]
async fn injected_outages_are_retried_and_never_break_a_login() {
    let (sim, client) = start(World::demo());
    let admin = sim.admin();
    let status = Effect::HttpStatus(HttpStatusSpec {
        status: 503,
        body: Some("<html>upstream</html>".into()),
    });
    admin
        .add_fault(&fault(Endpoint::Batch, 1, status))
        .await
        .unwrap();
    admin
        .add_fault(&fault(Endpoint::Me, 1, graph_error(2, None)))
        .await
        .unwrap();
    let token = SecretString::from(ALICE);
    let snap = client
        .inspect_login(&token, &InspectOptions::default())
        .await;
    assert_eq!(snap.unwrap().login.token.validity, TokenValidity::Valid);

    admin
        .add_fault(&fault(Endpoint::Me, 10, graph_error(2, None)))
        .await
        .unwrap();
    let r = client
        .inspect_login(&token, &InspectOptions::default())
        .await;
    assert!(
        matches!(r, Err(CheckError::PlatformUnavailable { .. })),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_long_throttle_is_reported_as_rate_limited() {
    let (sim, client) = start(World::demo());
    let throttle = graph_error(80001, Some(30));
    sim.admin()
        .add_fault(&fault(Endpoint::Batch, 5, throttle))
        .await
        .unwrap();
    let r = client
        .inspect_login(&SecretString::from(ALICE), &InspectOptions::default())
        .await;
    assert_eq!(
        r,
        Err(CheckError::RateLimited {
            retry_after: Some(Duration::from_secs(30 * 60))
        })
    );
}

#[tokio::test]
async fn a_wrong_app_secret_is_the_checkers_problem() {
    let world = World::demo();
    let sim = tether_sim::spawn(world.clone()).unwrap();
    let client = client_for(&sim, &world, "not-the-demo-secret");
    let r = client
        .inspect_login(&SecretString::from(ALICE), &InspectOptions::default())
        .await;
    assert!(
        matches!(r, Err(CheckError::CheckerMisconfigured { .. })),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_page_token_is_refused_with_the_reason_not_an_unrecognized_error() {
    let (_sim, client) = start(World::demo());
    let result = client
        .inspect_login(
            &SecretString::from("EAATdemoPageHarborBakery13"),
            &InspectOptions::default(),
        )
        .await;
    match result {
        Err(CheckError::NotAUserToken { token_type }) => assert_eq!(token_type, "PAGE"),
        other => panic!("expected NotAUserToken, got {other:?}"),
    }
}
