//! World files: the demo world's situations, and clear errors for broken files.

mod common;

use common::Sim;
use serde_json::{Value, json};
use tether_sim::World;

const SECRET: &str = "northwind-demo-app-secret";
const APP: &str = "1000000000000001|northwind-demo-app-secret";

async fn debug(sim: &Sim, token: &str) -> Value {
    let path = format!(
        "/v24.0/debug_token?input_token={token}&access_token={}&appsecret_proof={}",
        url::form_urlencoded::byte_serialize(APP.as_bytes()).collect::<String>(),
        tether_sim::appsecret_proof(SECRET, APP)
    );
    sim.get(&path).await.1["data"].clone()
}

async fn me(sim: &Sim, token: &str) -> Value {
    let p = tether_sim::appsecret_proof(SECRET, token);
    let fields =
        url::form_urlencoded::byte_serialize(common::ME_FIELDS.as_bytes()).collect::<String>();
    sim.get(&format!(
        "/v24.0/me?fields={fields}&access_token={token}&appsecret_proof={p}"
    ))
    .await
    .1
}

fn page<'a>(me: &'a Value, name: &str) -> &'a Value {
    me["accounts"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} not listed in {me}"))
}

#[tokio::test]
async fn demo_world_shows_each_situation() {
    let sim = Sim::start(World::demo());
    let start = "2026-11-23T09:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_second();

    let alice = me(&sim, "EAATdemoAliceHealthy0001").await;
    assert_eq!(alice["accounts"]["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        page(&alice, "Harbor Bakery")["instagram_business_account"]["username"],
        "harborbakery"
    );

    let ben = me(&sim, "EAATdemoBenDeclinedInsights02").await;
    assert!(
        ben["permissions"]["data"]
            .as_array()
            .unwrap()
            .contains(&json!({"permission": "read_insights", "status": "declined"}))
    );

    let carla = me(&sim, "EAATdemoCarlaAnalystOnly03").await;
    assert_eq!(page(&carla, "Riverside Gym")["tasks"], json!(["ANALYZE"]));

    let dev = me(&sim, "EAATdemoDevUnlinkedInstagram04").await;
    assert!(
        page(&dev, "Maple Cafe")
            .get("connected_instagram_account")
            .is_none()
    );
    let tidewater = page(&dev, "Tidewater Books");
    assert!(tidewater.get("instagram_business_account").is_none());
    assert_eq!(
        tidewater["connected_instagram_account"]["username"],
        "tidewaterbooks"
    );

    assert_eq!(
        debug(&sim, "EAATdemoErinPasswordChanged05").await["error"]["subcode"],
        460
    );

    let farid = debug(&sim, "EAATdemoFaridExpiresSoon06").await;
    assert_eq!(farid["is_valid"], true);
    assert_eq!(farid["expires_at"], start + 5 * 86_400);

    let grace = debug(&sim, "EAATdemoGraceGroupGrant07").await;
    assert!(
        grace["granular_scopes"]
            .as_array()
            .unwrap()
            .contains(&json!({"scope": "publish_to_groups", "target_ids": ["500000000000001"]}))
    );

    let hugo = me(&sim, "EAATdemoHugoModeratorOnly08").await;
    assert_eq!(
        page(&hugo, "Blue Harbor Marina")["tasks"],
        json!(["ANALYZE", "ADVERTISE", "MESSAGING", "MODERATE"])
    );

    assert_eq!(
        debug(&sim, "EAATdemoIvyAppRemoved09").await["error"]["subcode"],
        458
    );

    let jonas = me(&sim, "EAATdemoJonasPartialPages10").await;
    let names: Vec<&str> = jonas["accounts"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Northwind Garden Center"]);

    assert_eq!(
        debug(&sim, "EAATdemoKemalCheckpoint11").await["error"]["subcode"],
        459
    );
    assert_eq!(
        debug(&sim, "EAATdemoAliceExpired12").await["error"]["subcode"],
        463
    );
    let page_token = debug(&sim, "EAATdemoPageHarborBakery13").await;
    assert_eq!(
        (
            page_token["type"].as_str(),
            page_token["expires_at"].as_i64()
        ),
        (Some("PAGE"), Some(0))
    );
}

const MINIMAL: &str = "[app]\nid = \"1\"\nname = \"A\"\nsecret = \"s\"\n";

fn err(text: &str) -> String {
    World::from_toml_str(text, "broken.toml")
        .unwrap_err()
        .to_string()
}

#[test]
fn broken_world_files_give_errors_naming_the_problem() {
    let e = err("[app\nid = 1");
    assert!(e.starts_with("broken.toml: not a valid world file"), "{e}");
    assert!(e.contains("line 1"), "{e}");

    let e = err(&format!(
        "{MINIMAL}[[tokens]]\ntoken = \"t\"\nuser = \"ghost\"\n"
    ));
    assert!(e.contains("\"ghost\"") && e.contains("user"), "{e}");

    let e = err(&format!(
        "{MINIMAL}[[users]]\nid = \"u\"\nname = \"U\"\n[[tokens]]\ntoken = \"t\"\nuser = \"u\"\nexpires_in = \"sixty days\"\n"
    ));
    assert!(e.contains("expires_in") && e.contains("sixty days"), "{e}");

    let e = err(&format!(
        "{MINIMAL}[[users]]\nid = \"u\"\nname = \"U\"\n[[pages]]\nid = \"p\"\nname = \"P\"\n[pages.tasks]\nu = [\"FLY\"]\n"
    ));
    assert!(e.contains("pages[p].tasks.u") && e.contains("FLY"), "{e}");

    let e = err(&format!(
        "{MINIMAL}[[users]]\nid = \"u\"\nname = \"U\"\n[[users]]\nid = \"u\"\nname = \"V\"\n"
    ));
    assert!(e.contains("declared twice") && e.contains("\"u\""), "{e}");

    let e = err(&format!(
        "{MINIMAL}[[users]]\nid = \"u\"\nname = \"U\"\ntokn = 1\n"
    ));
    assert!(e.contains("tokn"), "{e}");

    let e = err(&format!(
        "{MINIMAL}[[users]]\nid = \"u\"\nname = \"U\"\n[users.grant]\ngranted = [\"x\"]\n[users.grant.target_ids]\nx = [\"nowhere\"]\n"
    ));
    assert!(e.contains("nowhere"), "{e}");

    let e =
        err("[clock]\nstart = \"yesterday\"\n[app]\nid = \"1\"\nname = \"A\"\nsecret = \"s\"\n");
    assert!(e.contains("clock.start") && e.contains("yesterday"), "{e}");

    // Token strings never appear in errors.
    let e = err(&format!(
        "{MINIMAL}[[users]]\nid = \"u\"\nname = \"U\"\n[[tokens]]\ntoken = \"secret-tok\"\nuser = \"u\"\n[[tokens]]\ntoken = \"secret-tok\"\nuser = \"u\"\n"
    ));
    assert!(!e.contains("secret-tok") && e.contains("twice"), "{e}");
}

#[test]
fn minimal_world_gets_defaults() {
    let w = World::from_toml_str(MINIMAL, "min").unwrap();
    assert!(w.app.require_appsecret_proof);
    assert_eq!(w.max_page_size, 100);
    assert!(!w.clock.frozen);
}

#[test]
fn synthetic_world_has_the_promised_shape() {
    let w = World::synthetic(10, 4);
    assert_eq!(w.users.len(), 10);
    assert_eq!(w.pages.len(), 40);
    assert!(w.tokens.contains_key("tok-user-9"));
    assert_eq!(w.instagram.len(), 20);
}
