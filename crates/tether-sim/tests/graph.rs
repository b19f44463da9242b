//! Graph endpoint shapes against the real fixtures, field expansion, tokens and proofs.

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn debug_token_valid_user_has_the_fixture_keys() {
    let sim = Sim::shapes();
    let (status, v) = sim.debug("tok-u1").await;
    assert_eq!(status, 200);
    let fx = fixture("debug_token_valid_ig_and_pages_granular_scopes.json");
    assert_eq!(keys(&v), keys(&fx));
    assert_eq!(keys(&v["data"]), keys(&fx["data"]));
    let d = &v["data"];
    assert_eq!(d["type"], "USER");
    assert_eq!(d["app_id"], APP_ID);
    assert_eq!(d["is_valid"], true);
    assert_eq!(d["user_id"], "u1");
    // expires_in counts from the clock start: 2026-01-10T12:00Z + 59d.
    let expected_exp = "2026-03-10T12:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_second();
    assert_eq!(d["expires_at"], expected_exp);
    assert_eq!(
        d["scopes"],
        json!([
            "public_profile",
            "pages_show_list",
            "pages_read_engagement",
            "instagram_basic",
            "read_insights"
        ])
    );
    // target_ids only where restricted; public_profile is not granular.
    assert_eq!(
        d["granular_scopes"],
        json!([
            {"scope": "pages_show_list"},
            {"scope": "pages_read_engagement"},
            {"scope": "instagram_basic", "target_ids": ["ig1"]},
            {"scope": "read_insights"}
        ])
    );
}

#[tokio::test]
async fn debug_token_expired_page_app_and_garbage_match_the_fixtures() {
    let sim = Sim::shapes();
    let (status, v) = sim.debug("tok-u2").await;
    assert_eq!(status, 200);
    let fx = fixture("debug_token_expired_session_463.json");
    assert_eq!(keys(&v["data"]), keys(&fx["data"]));
    assert_eq!(keys(&v["data"]["error"]), keys(&fx["data"]["error"]));
    assert_eq!(v["data"]["is_valid"], false);
    assert_eq!(v["data"]["error"]["subcode"], 463);
    let msg = v["data"]["error"]["message"].as_str().unwrap();
    assert_eq!(
        msg,
        "Error validating access token: Session has expired on Friday, 09-Jan-26 04:00:00 PST. The current time is Saturday, 10-Jan-26 04:00:00 PST."
    );

    let (_, v) = sim.debug("tok-page-p1").await;
    let fx = fixture("debug_token_valid_page_token_profile_id.json");
    let mut expected = keys(&fx["data"]);
    expected.insert("issued_at".into());
    assert_eq!(keys(&v["data"]), expected);
    assert_eq!(v["data"]["type"], "PAGE");
    assert_eq!(v["data"]["profile_id"], "p1");
    assert_eq!(v["data"]["expires_at"], 0);

    let (_, v) = sim.debug(&app_token()).await;
    assert_eq!(
        keys(&v["data"]),
        keys(&fixture("debug_token_valid_app_token.json")["data"])
    );
    assert_eq!(v["data"]["type"], "APP");

    let (status, v) = sim.debug("not-a-token").await;
    assert_eq!(status, 200);
    assert_eq!(v, fixture("debug_token_garbage_token_cannot_parse.json"));

    let (_, v) = sim.debug(&format!("{APP_ID}|wrong")).await;
    assert_eq!(
        v["data"]["error"]["message"],
        "Invalid OAuth access token signature."
    );
}

#[tokio::test]
async fn debug_token_rejects_a_bad_inspecting_token_and_proof() {
    let sim = Sim::shapes();
    let bad_app = format!("{APP_ID}|wrong-secret");
    let (status, v) = sim
        .get(&format!(
            "/debug_token?input_token=tok-u1&access_token={}",
            urlenc(&bad_app)
        ))
        .await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], 190);
    assert_eq!(v["error"]["type"], "OAuthException");
    assert_eq!(
        v["error"]["message"],
        "Invalid OAuth access token signature."
    );

    let app = app_token();
    let (status, v) = sim
        .get(&format!(
            "/debug_token?input_token=tok-u1&access_token={}&appsecret_proof=deadbeef",
            urlenc(&app)
        ))
        .await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], 100);
    assert_eq!(v["error"]["type"], "GraphMethodException");
    assert_eq!(
        v["error"]["message"],
        "Invalid appsecret_proof provided in the API argument"
    );

    let (status, v) = sim.get("/debug_token?input_token=tok-u1").await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], 100);
}

pub fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn me_expands_permissions_and_accounts_with_instagram_rules() {
    let sim = Sim::shapes();
    let (status, v) = sim.graph("me", "tok-u1", Some(ME_FIELDS)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["id"], "u1");
    assert_eq!(v["name"], "User One");
    let perms = &v["permissions"];
    assert_eq!(
        keys(perms),
        keys(&fixture("me_permissions_granted_and_declined.json"))
    );
    assert!(
        perms["data"]
            .as_array()
            .unwrap()
            .contains(&json!({"permission": "email", "status": "declined"}))
    );
    let accounts = &v["accounts"];
    assert_eq!(
        keys(accounts),
        keys(&fixture(
            "me_accounts_pages_with_and_without_instagram_business_account.json"
        ))
    );
    let data = accounts["data"].as_array().unwrap();
    let ids: Vec<&str> = data.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["p1", "p2", "p3"]);
    assert!(accounts["paging"].get("next").is_none());
    // p1: professional IG → both fields; p2: personal IG → only connected; p3: none.
    assert_eq!(
        data[0]["instagram_business_account"],
        json!({"id": "ig1", "username": "one_business", "shopping_product_tag_eligibility": true})
    );
    assert_eq!(
        data[0]["connected_instagram_account"],
        json!({"id": "ig1", "username": "one_business"})
    );
    assert!(data[1].get("instagram_business_account").is_none());
    assert_eq!(data[1]["connected_instagram_account"]["id"], "ig2");
    assert!(data[2].get("connected_instagram_account").is_none());
    assert_eq!(data[2]["tasks"], json!(["ANALYZE"]));
    assert_eq!(
        data[0]["tasks"],
        json!([
            "ANALYZE",
            "ADVERTISE",
            "MESSAGING",
            "MODERATE",
            "CREATE_CONTENT",
            "MANAGE"
        ])
    );
}

#[tokio::test]
async fn accounts_default_fields_match_the_fixture_and_hand_out_page_tokens() {
    let sim = Sim::shapes();
    let (status, v) = sim.graph("me/accounts", "tok-u1", None).await;
    assert_eq!(status, 200);
    let item = &v["data"][0];
    assert_eq!(
        keys(item),
        keys(&fixture(
            "me_accounts_item_with_tasks_and_access_token.json"
        ))
    );
    let page_token = item["access_token"].as_str().unwrap().to_string();
    let (_, d) = sim.debug(&page_token).await;
    assert_eq!(d["data"]["type"], "PAGE");
    assert_eq!(d["data"]["profile_id"], "p1");
    assert_eq!(d["data"]["is_valid"], true);
    // The same Page token is handed out again while it works.
    let (_, again) = sim.graph("me/accounts", "tok-u1", None).await;
    assert_eq!(again["data"][0]["access_token"], page_token.as_str());
}

#[tokio::test]
async fn pages_show_list_target_ids_limit_the_listed_pages() {
    let sim = Sim::shapes();
    let (_, v) = sim.graph("me/accounts", "tok-u3", Some("id,tasks")).await;
    let ids: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["p1"]);
    let (status, _) = sim.graph("p4", "tok-u3", Some("id,name")).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn page_and_instagram_nodes() {
    let sim = Sim::shapes();
    let (status, v) = sim
        .graph(
            "p1",
            "tok-u1",
            Some("instagram_business_account,connected_instagram_account"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        keys(&v),
        keys(&fixture("page_with_instagram_business_account.json"))
    );
    assert_eq!(v["instagram_business_account"], json!({"id": "ig1"}));

    let (status, v) = sim.graph("ig1", "tok-u1", Some("id,username")).await;
    assert_eq!(status, 200);
    assert_eq!(v, json!({"id": "ig1", "username": "one_business"}));
    // instagram_basic is restricted to ig1: ig2 is not readable, nor an unlinked account.
    for ig in ["ig2", "ig3", "nope"] {
        let (status, v) = sim.graph(ig, "tok-u1", Some("id")).await;
        assert_eq!(status, 400);
        assert_eq!(
            keys(&v["error"]),
            keys(&fixture("error_object_not_found_or_no_permission_code100.json")["error"])
        );
        assert_eq!(v["error"]["type"], "GraphMethodException");
    }
    let (status, v) = sim.graph("me", "tok-page-p1", Some("id,name")).await;
    assert_eq!(status, 200);
    assert_eq!(v, json!({"id": "p1", "name": "Page One"}));
    let (status, v) = sim.graph("me/accounts", "tok-page-p1", None).await;
    assert_eq!(status, 400);
    assert_eq!(
        v["error"]["message"],
        "(#100) Tried accessing nonexisting field (accounts) on node type (Page)"
    );
}

#[tokio::test]
async fn field_expansion_errors_are_graph_errors() {
    let sim = Sim::shapes();
    let (status, v) = sim
        .graph("me", "tok-u1", Some("id,accounts{id,bogus}"))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        v["error"]["message"],
        "(#100) Tried accessing nonexisting field (bogus) on node type (Page)"
    );
    let (status, v) = sim.graph("me", "tok-u1", Some("id,accounts{id")).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], 2500);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Syntax error")
    );
    let (_, v) = sim
        .graph("me", "tok-u1", Some("accounts.limit(1){name}"))
        .await;
    // Nodes carry their id even when not asked for, as in the real API.
    assert_eq!(
        v["accounts"]["data"],
        json!([{"name": "Page One", "id": "p1"}])
    );
    assert_eq!(v["id"], "u1");
}

#[tokio::test]
async fn token_errors_carry_real_subcodes_and_messages() {
    let sim = Sim::shapes();
    let (status, v) = sim.graph("me", "tok-u2", Some("id")).await;
    assert_eq!(status, 400);
    assert_eq!(
        keys(&v["error"]),
        keys(&fixture("error_user_logged_out_190_467.json")["error"])
    );
    assert_eq!(v["error"]["code"], 190);
    assert_eq!(v["error"]["error_subcode"], 463);

    let (status, v) = sim.graph("me", "garbage-token", Some("id")).await;
    assert_eq!(status, 400);
    assert_eq!(
        v["error"]["message"],
        "Invalid OAuth access token - Cannot parse access token"
    );
    assert!(v["error"].get("error_subcode").is_none());

    let (status, v) = sim.get("/me?fields=id").await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], 2500);
}

#[tokio::test]
async fn a_closed_data_access_window_refuses_the_persons_data_but_debug_token_says_valid() {
    let world = SHAPES_WORLD.replace(
        "id = \"u3\"\nname = \"User Three\"",
        "id = \"u3\"\nname = \"User Three\"\ndata_access_expires_in = \"-1d\"",
    );
    let sim = Sim::start(tether_sim::World::from_toml_str(&world, "lapsed.toml").unwrap());
    let (status, v) = sim.debug("tok-u3").await;
    assert_eq!(status, 200);
    assert_eq!(v["data"]["is_valid"], true);
    let (status, v) = sim.graph("me", "tok-u3", Some("id,name,accounts")).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], 200);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("disabled for non-active accounts"),
        "{v}"
    );
    // Others are untouched.
    let (status, _) = sim.graph("me", "tok-u1", Some("id")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn appsecret_proof_is_required_for_user_tokens() {
    let sim = Sim::shapes();
    let (status, v) = sim.get("/v24.0/me?access_token=tok-u1").await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], 100);
    assert_eq!(v["error"]["type"], "GraphMethodException");
    let (status, v) = sim
        .get("/v24.0/me?access_token=tok-u1&appsecret_proof=00ff")
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        v["error"]["message"],
        "Invalid appsecret_proof provided in the API argument"
    );
    let (status, _) = sim
        .get(&format!(
            "/me?access_token=tok-u1&appsecret_proof={}",
            proof("tok-u1")
        ))
        .await;
    assert_eq!(status, 200);

    // A world that does not require proofs accepts calls without one (but not a wrong one).
    let relaxed = common::SHAPES_WORLD.replace(
        "secret = \"test-app-secret\"",
        "secret = \"test-app-secret\"\nrequire_appsecret_proof = false",
    );
    let sim = Sim::start(tether_sim::World::from_toml_str(&relaxed, "relaxed").unwrap());
    let (status, _) = sim.get("/me?access_token=tok-u1").await;
    assert_eq!(status, 200);
    let (status, _) = sim.get("/me?access_token=tok-u1&appsecret_proof=00").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn every_graph_response_has_an_app_usage_header() {
    let sim = Sim::shapes();
    for path in [
        "/v24.0/me?access_token=tok-u1",
        "/nope/a/b/c",
        "/debug_token",
    ] {
        let (_, headers, _) = sim.get_raw(path).await;
        let usage: Value = serde_json::from_str(headers["x-app-usage"].to_str().unwrap()).unwrap();
        assert_eq!(
            keys(&usage),
            ["call_count", "total_cputime", "total_time"]
                .map(String::from)
                .into()
        );
    }
    // Three people → a budget of 600 calls an hour; 12 calls = 2 %.
    for _ in 0..8 {
        sim.get("/me").await;
    }
    let (_, headers, _) = sim.get_raw("/me").await;
    let usage: Value = serde_json::from_str(headers["x-app-usage"].to_str().unwrap()).unwrap();
    assert_eq!(usage["call_count"], 2);
}
