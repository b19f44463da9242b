//! Trouble that is not the customer's: outages, throttling, the checker's own credentials.
//! None of it may ever show up as a finding about the login.

use crate::harness::*;
use tether_sim::{Effect, Endpoint, MalformedSpec};

/// A fault that fires once is retried, and the report is exactly the one without it.
async fn recovers_from(endpoint: Endpoint, effect: Effect) {
    let sim = TestSim::agency();
    let clean = sim.diagnose(ADA_TOKEN).run().await;
    assert_eq!(clean.status, 0, "{clean}");

    sim.reset_stats();
    sim.add_fault(endpoint, Some(1), effect).await;
    let out = sim.diagnose(ADA_TOKEN).run().await;
    assert_eq!(out.status, 0, "{out}");
    assert_eq!(out.report(), clean.report());
    let stats = sim.stats();
    assert_eq!(stats.faults_applied, 1, "{stats:?}");
    // One failed attempt, then the retry that worked.
    assert_eq!(stats.batch_requests, 2, "{stats:?}");
}

#[tokio::test]
async fn one_503_on_the_batch_is_retried_to_the_same_report() {
    recovers_from(Endpoint::Batch, http_status(503)).await;
}

#[tokio::test]
async fn one_code_2_on_the_me_call_is_retried_to_the_same_report() {
    recovers_from(Endpoint::Me, graph_error(2, None)).await;
}

#[tokio::test]
async fn one_short_throttle_is_waited_out_to_the_same_report() {
    recovers_from(Endpoint::Batch, graph_error(4, None)).await;
}

#[tokio::test]
async fn one_user_throttle_on_the_me_call_is_waited_out_to_the_same_report() {
    recovers_from(Endpoint::Me, graph_error(17, None)).await;
}

#[tokio::test]
async fn one_truncated_batch_reply_is_retried_to_the_same_report() {
    recovers_from(Endpoint::Batch, Effect::MalformedJson(MalformedSpec {})).await;
}

#[tokio::test]
async fn persistent_5xx_never_turns_a_healthy_login_red() {
    let sim = TestSim::agency();
    sim.add_fault(Endpoint::Batch, None, http_status(503)).await;
    let out = sim.diagnose(ADA_TOKEN).run().await;
    out.assert_could_not_run(&["unavailable"]);
    // Bounded retries, not one attempt and not forever.
    let stats = sim.stats();
    assert_eq!(stats.batch_requests, 4, "{stats:?}");
}

#[tokio::test]
async fn persistent_service_error_on_the_me_call_prints_no_report() {
    let sim = TestSim::agency();
    sim.add_fault(Endpoint::Me, None, graph_error(2, None))
        .await;
    let out = sim.diagnose(ADA_TOKEN).run().await;
    out.assert_could_not_run(&["unavailable"]);
}

#[tokio::test]
async fn rate_limit_that_does_not_recover_stops_the_check() {
    let sim = TestSim::agency();
    // Throttled for 30 minutes: far longer than a one-shot check waits.
    sim.add_fault(Endpoint::Batch, None, graph_error(80001, Some(30)))
        .await;
    let out = sim.diagnose(ADA_TOKEN).run().await;
    out.assert_could_not_run(&["rate limited", "1800s"]);
    assert_eq!(
        sim.stats().batch_requests,
        1,
        "no retry into a long throttle"
    );
}

#[tokio::test]
async fn app_level_throttle_on_every_call_stops_the_check() {
    let sim = TestSim::agency();
    sim.add_fault(Endpoint::Any, None, graph_error(4, Some(45)))
        .await;
    let out = sim.diagnose(ADA_TOKEN).run().await;
    out.assert_could_not_run(&["rate limited"]);
}

#[tokio::test]
async fn wrong_app_secret_blames_the_app_credentials() {
    let sim = TestSim::agency();
    let out = sim
        .diagnose(ADA_TOKEN)
        .app_secret("not-the-e2e-app-secret-44aa")
        .run()
        .await;
    out.assert_could_not_run(&["app credentials", "app id/secret"]);
}

#[tokio::test]
async fn outage_for_one_login_of_many_leaves_the_others_reported() {
    let sim = TestSim::agency();
    let spec = tether_sim::FaultSpec {
        matcher: tether_sim::Match {
            endpoint: Endpoint::Me,
            token: Some(ADA_TOKEN.into()),
        },
        count: None,
        effect: graph_error(2, None),
    };
    sim.admin().add_fault(&spec).await.unwrap();
    let out = sim.diagnose_many(&[ADA_TOKEN, BEN_TOKEN]).run().await;
    // Ada's login could not be checked: that is not a verdict on it, and Ben's stands.
    assert_eq!(out.status, 2, "{out}");
    let lines = out.lines();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0]["line"], 1, "{out}");
    assert_eq!(lines[0]["error"]["kind"], "platform_unavailable", "{out}");
    assert!(lines[0].get("login").is_none(), "no report for Ada: {out}");
    assert_eq!(lines[1]["login"]["user_id"], BEN, "{out}");
    assert_eq!(status(login(&lines[1])), "connected");
}
