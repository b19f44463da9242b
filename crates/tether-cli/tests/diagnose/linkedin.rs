//! `tether diagnose linkedin`: the same options, exit statuses and report as `diagnose meta`,
//! against the simulator's LinkedIn part (`/linkedin` on the same port). LinkedIn can introspect
//! a token, so no `--granted` is needed.

use crate::harness::{TestSim, run_tether, run_tether_with_env};
use serde_json::{Value, json};

const APP_ID: &str = "78simlinkedin01";
const APP_SECRET: &str = "linkedin-sim-secret";
const ADA: &str = "aLi5Ada0001";
const ALL: &[&str] = &[
    "r_basicprofile",
    "r_organization_social",
    "w_organization_social",
    "rw_organization_admin",
    "r_ads",
    "rw_ads",
    "r_marketing_leadgen_automation",
];

async fn admin(sim: &TestSim, path: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}/linkedin/_admin/{path}", sim.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap_or(Value::Null)
}

async fn mint(sim: &TestSim) -> String {
    let v = admin(sim, "tokens", json!({"member": ADA, "scopes": ALL})).await;
    v["access_token"].as_str().unwrap().to_owned()
}

fn args(sim: &TestSim, extra: &[&str]) -> Vec<String> {
    let base = format!("{}/linkedin", sim.base_url());
    [
        "diagnose",
        "linkedin",
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
async fn a_member_with_a_page_needing_a_role_exits_one_and_names_the_role() {
    let sim = TestSim::agency();
    let token = mint(&sim).await;
    let out = run_tether(args(&sim, &["--token", &token, "--format", "json"])).await;
    assert_eq!(out.status, 1, "{out}");
    assert!(
        !out.stdout.contains(&token) && !out.stderr.contains(&token),
        "{out}"
    );
    let r = out.report();
    assert_eq!(r["network"], "linkedin");
    assert_eq!(r["login"]["user_id"], ADA);
    assert_eq!(r["login"]["user_name"], "Ada Park");
    let assets = r["assets"].as_array().unwrap();
    let harbor = assets
        .iter()
        .find(|a| a["name"] == "Harbor Bakery")
        .unwrap();
    assert_eq!(harbor["kind"], "linkedin_organization");
    assert_eq!(harbor["status"], "connected", "{harbor:#}");
    let northwind = assets
        .iter()
        .find(|a| a["name"] == "Northwind Studio")
        .unwrap();
    assert_eq!(northwind["status"], "action_required", "{northwind:#}");
    let f = &northwind["findings"][0];
    assert_eq!(f["code"], "role_missing", "{f:#}");
    let words = f["remedy"].to_string();
    assert!(words.contains("Super admin"), "{words}");
    assert!(!words.contains("Facebook"), "{words}");
}

#[tokio::test]
async fn a_revoked_token_exits_one_and_the_token_comes_from_the_environment() {
    let sim = TestSim::agency();
    let token = mint(&sim).await;
    admin(&sim, &format!("members/{ADA}/revoke_app"), json!({})).await;
    let out = run_tether_with_env(
        args(&sim, &["--format", "json"]),
        vec![("TETHER_LINKEDIN_TOKEN".into(), token.clone())],
    )
    .await;
    assert_eq!(out.status, 1, "{out}");
    let r = out.report();
    assert_eq!(r["login"]["status"], "disconnected");
    assert_eq!(r["login"]["findings"][0]["code"], "app_removed");
}

#[tokio::test]
async fn wrong_app_credentials_exit_two_and_blame_the_app() {
    let sim = TestSim::agency();
    let token = mint(&sim).await;
    let mut a = args(&sim, &["--token", &token]);
    let secret = a.iter().position(|s| s == APP_SECRET).unwrap();
    a[secret] = "wrong".into();
    let out = run_tether(a).await;
    assert_eq!(out.status, 2, "{out}");
    assert!(out.stderr.contains("app"), "{out}");
}
