//! `tether diagnose instagram`: the same options, exit statuses and report as `diagnose meta`,
//! against the simulator's Instagram Login part (`/instagram` on the same port).

use crate::harness::{TestSim, run_tether, run_tether_with_env};
use serde_json::{Value, json};

const APP_ID: &str = "990000000000001";
const APP_SECRET: &str = "instagram-sim-secret";
const HARBOR: &str = "17841400000000101";
const ALL: &str = "instagram_business_basic,instagram_business_content_publish,instagram_business_manage_comments,instagram_business_manage_messages,instagram_business_manage_insights";

async fn mint(sim: &TestSim, account: &str) -> String {
    let v: Value = reqwest::Client::new()
        .post(format!("{}/instagram/_admin/tokens", sim.base_url()))
        .json(&json!({"account": account, "scopes": ALL.split(',').collect::<Vec<_>>()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

fn args(sim: &TestSim, extra: &[&str]) -> Vec<String> {
    let base = format!("{}/instagram", sim.base_url());
    [
        "diagnose",
        "instagram",
        "--api-url",
        &base,
        "--app-id",
        APP_ID,
        "--app-secret",
        APP_SECRET,
    ]
    .iter()
    .chain(extra)
    .map(|s| s.to_string())
    .collect()
}

#[tokio::test]
async fn a_healthy_account_exits_zero_with_the_report_contract() {
    let sim = TestSim::agency();
    let token = mint(&sim, HARBOR).await;
    let out = run_tether(args(
        &sim,
        &["--token", &token, "--granted", ALL, "--format", "json"],
    ))
    .await;
    assert_eq!(out.status, 0, "{out}");
    assert!(
        !out.stdout.contains(&token) && !out.stderr.contains(&token),
        "{out}"
    );
    let r = out.report();
    assert_eq!(r["network"], "instagram");
    assert_eq!(r["report_version"], 2);
    assert_eq!(r["login"]["user_id"], HARBOR);
    assert_eq!(r["assets"][0]["kind"], "instagram_account");
    assert_eq!(r["assets"][0]["name"], "harbor.bakery");
    assert_eq!(r["assets"][0]["status"], "connected");
}

#[tokio::test]
async fn a_changed_password_exits_one_and_the_token_comes_from_the_environment() {
    let sim = TestSim::agency();
    let token = mint(&sim, HARBOR).await;
    reqwest::Client::new()
        .post(format!(
            "{}/instagram/_admin/accounts/{HARBOR}/change_password",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap();
    let out = run_tether_with_env(
        args(&sim, &["--granted", ALL, "--format", "json"]),
        vec![("TETHER_INSTAGRAM_TOKEN".into(), token.clone())],
    )
    .await;
    assert_eq!(out.status, 1, "{out}");
    let r = out.report();
    assert_eq!(r["login"]["status"], "disconnected");
    let f = &r["login"]["findings"][0];
    assert_eq!(f["code"], "token_invalidated", "{f:#}");
    assert_eq!(f["platform_error"]["code"], "190");
    let words = f["remedy"].to_string();
    assert!(
        words.contains("Instagram") && !words.contains("Facebook"),
        "{words}"
    );
}

#[tokio::test]
async fn a_token_without_its_grant_is_refused_with_exit_two() {
    let sim = TestSim::agency();
    let token = mint(&sim, HARBOR).await;
    let out = run_tether(args(&sim, &["--token", &token])).await;
    assert_eq!(out.status, 2, "{out}");
    assert!(out.stdout.is_empty(), "{out}");
    assert!(out.stderr.contains("--granted"), "{out}");
}
