//! Each admin mutation, seen through debug_token and /me as a client would see it.

mod common;
#[path = "admin/login.rs"]
mod login;
#[path = "admin/push.rs"]
mod push;

use common::*;
use serde_json::{Value, json};
use tether_sim::PermissionStatus;

async fn subcode(sim: &Sim, token: &str) -> Option<i64> {
    let (_, v) = sim.debug(token).await;
    v["data"]["error"]["subcode"].as_i64()
}

async fn me_subcode(sim: &Sim, token: &str) -> (u16, Option<i64>) {
    let (status, v) = sim.graph("me", token, Some("id")).await;
    (status, v["error"]["error_subcode"].as_i64())
}

async fn page_ids(sim: &Sim, token: &str) -> Vec<String> {
    let (_, v) = sim.graph("me/accounts", token, Some("id")).await;
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn person_level_mutations_kill_tokens_with_their_subcodes() {
    let cases: [(&str, u32); 5] = [
        ("change_password", 460),
        ("remove_app", 458),
        ("checkpoint", 459),
        ("unconfirmed", 464),
        ("logout", 467),
    ];
    for (action, expected) in cases {
        let sim = Sim::shapes();
        assert_eq!(subcode(&sim, "tok-u1").await, None);
        let admin = sim.handle.admin();
        let view = match action {
            "change_password" => admin.change_password("u1").await,
            "remove_app" => admin.remove_app("u1").await,
            "checkpoint" => admin.checkpoint("u1", true).await,
            "unconfirmed" => admin.unconfirmed("u1", true).await,
            _ => admin.logout("u1").await,
        }
        .unwrap();
        assert_eq!(view["user"]["id"], "u1", "{action}");
        assert!(
            view["tokens"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["is_valid"] == false),
            "{action}: {view}"
        );
        assert_eq!(
            subcode(&sim, "tok-u1").await,
            Some(expected.into()),
            "{action}"
        );
        assert_eq!(
            me_subcode(&sim, "tok-u1").await,
            (400, Some(expected.into())),
            "{action}"
        );
        // Page tokens of the person die too.
        assert_eq!(
            subcode(&sim, "tok-page-p1").await,
            Some(expected.into()),
            "{action}"
        );
        // Others are untouched.
        assert_eq!(subcode(&sim, "tok-u3").await, None, "{action}");
        if action == "remove_app" {
            let (_, v) = sim.debug("tok-u1").await;
            assert_eq!(v["data"]["scopes"], json!([]));
        }
    }
}

#[tokio::test]
async fn checkpoint_can_be_cleared() {
    let sim = Sim::shapes();
    sim.handle.admin().checkpoint("u1", true).await.unwrap();
    assert_eq!(subcode(&sim, "tok-u1").await, Some(459));
    sim.handle.admin().checkpoint("u1", false).await.unwrap();
    assert_eq!(subcode(&sim, "tok-u1").await, None);
}

#[tokio::test]
async fn token_mutations() {
    let sim = Sim::shapes();
    let admin = sim.handle.admin();
    let v = admin.invalidate_token("tok-u1").await.unwrap();
    assert_eq!(v["error_subcode"], 466);
    assert_eq!(subcode(&sim, "tok-u1").await, Some(466));
    assert_eq!(subcode(&sim, "tok-u3").await, None);

    admin.expire_token("tok-u3").await.unwrap();
    assert_eq!(subcode(&sim, "tok-u3").await, Some(463));
    admin.set_token_expires_at("tok-u3", None).await.unwrap();
    let (_, v) = sim.debug("tok-u3").await;
    assert_eq!(v["data"]["is_valid"], true);
    assert_eq!(v["data"]["expires_at"], 0);
    let at: jiff::Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
    admin
        .set_token_expires_at("tok-u3", Some(at))
        .await
        .unwrap();
    let (_, v) = sim.debug("tok-u3").await;
    assert_eq!(v["data"]["expires_at"], at.as_second());
}

#[tokio::test]
async fn advancing_the_clock_expires_tokens() {
    let sim = Sim::shapes();
    let admin = sim.handle.admin();
    let clock = admin.clock().await.unwrap();
    assert_eq!(clock["now"], "2026-01-10T12:00:00Z");
    assert_eq!(subcode(&sim, "tok-u1").await, None);
    // tok-u1 expires 59 days after the clock start.
    let v = admin.advance_days(58).await.unwrap();
    assert_eq!(v["now"], "2026-03-09T12:00:00Z");
    assert_eq!(subcode(&sim, "tok-u1").await, None);
    admin.advance_seconds(86_400).await.unwrap();
    assert_eq!(subcode(&sim, "tok-u1").await, Some(463));
    assert_eq!(me_subcode(&sim, "tok-u1").await, (400, Some(463)));
    // Never-expiring tokens survive any advance.
    assert_eq!(subcode(&sim, "tok-u3").await, None);
    admin
        .set_clock("2026-01-10T12:00:00Z".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(subcode(&sim, "tok-u1").await, None);
}

#[tokio::test]
async fn permission_mutations_show_in_permissions_scopes_and_pages() {
    let sim = Sim::shapes();
    let admin = sim.handle.admin();
    admin
        .set_permission("u1", "read_insights", PermissionStatus::Declined)
        .await
        .unwrap();
    let (_, v) = sim.graph("me/permissions", "tok-u1", None).await;
    assert!(
        v["data"]
            .as_array()
            .unwrap()
            .contains(&json!({"permission": "read_insights", "status": "declined"}))
    );
    let (_, d) = sim.debug("tok-u1").await;
    assert!(
        !d["data"]["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("read_insights"))
    );

    admin
        .set_permission("u1", "pages_manage_posts", PermissionStatus::Granted)
        .await
        .unwrap();
    let (_, d) = sim.debug("tok-u1").await;
    assert!(
        d["data"]["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("pages_manage_posts"))
    );

    admin
        .revoke_permission("u1", "read_insights")
        .await
        .unwrap();
    let (_, v) = sim.graph("me/permissions", "tok-u1", None).await;
    assert!(!v.to_string().contains("read_insights"));

    admin
        .set_target_ids("u1", "pages_show_list", Some(&["p2"]))
        .await
        .unwrap();
    assert_eq!(page_ids(&sim, "tok-u1").await, ["p2"]);
    let (_, d) = sim.debug("tok-u1").await;
    assert!(
        d["data"]["granular_scopes"]
            .as_array()
            .unwrap()
            .contains(&json!({"scope": "pages_show_list", "target_ids": ["p2"]}))
    );
    admin
        .set_target_ids("u1", "pages_show_list", None)
        .await
        .unwrap();
    assert_eq!(page_ids(&sim, "tok-u1").await, ["p1", "p2", "p3"]);

    admin
        .set_permission("u1", "pages_show_list", PermissionStatus::Expired)
        .await
        .unwrap();
    assert!(page_ids(&sim, "tok-u1").await.is_empty());
}

#[tokio::test]
async fn task_and_instagram_mutations() {
    let sim = Sim::shapes();
    let admin = sim.handle.admin();
    admin.remove_tasks("p1", "u1").await.unwrap();
    assert_eq!(page_ids(&sim, "tok-u1").await, ["p2", "p3"]);
    // The Page token of a Page the person lost is dead.
    assert_eq!(subcode(&sim, "tok-page-p1").await, Some(492));
    let v = admin
        .set_tasks("p4", "u1", &["ANALYZE", "MODERATE"])
        .await
        .unwrap();
    assert_eq!(v["tasks"]["u1"], json!(["ANALYZE", "MODERATE"]));
    let (_, v) = sim.graph("me/accounts", "tok-u1", Some("id,tasks")).await;
    assert_eq!(
        v["data"][2],
        json!({"id": "p4", "tasks": ["ANALYZE", "MODERATE"]})
    );

    let fields = Some("id,instagram_business_account,connected_instagram_account");
    admin.unlink_instagram("ig2").await.unwrap();
    let (_, v) = sim.graph("p2", "tok-u1", fields).await;
    assert_eq!(v, json!({"id": "p2"}));
    let v = admin.link_instagram("ig3", "p2").await.unwrap();
    assert_eq!(v["linked_page"], "p2");
    let (_, v) = sim.graph("p2", "tok-u1", fields).await;
    assert_eq!(v["instagram_business_account"]["id"], "ig3");
    admin.set_professional("ig3", false).await.unwrap();
    let (_, v) = sim.graph("p2", "tok-u1", fields).await;
    assert!(v.get("instagram_business_account").is_none());
    assert_eq!(v["connected_instagram_account"]["id"], "ig3");
}

#[tokio::test]
async fn unknown_ids_give_404_naming_them_and_bad_bodies_400() {
    let sim = Sim::shapes();
    let admin = sim.handle.admin();
    let err = admin
        .change_password("nobody")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("404") && err.contains("nobody"), "{err}");
    let err = admin
        .invalidate_token("no-such-token")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("404") && !err.contains("no-such-token"),
        "{err}"
    );
    let err = admin
        .set_tasks("no-page", "u1", &["MANAGE"])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no-page"), "{err}");
    let err = admin
        .set_tasks("p1", "u1", &["FLY"])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("400") && err.contains("FLY"), "{err}");
    let err = admin
        .link_instagram("ig1", "no-page")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no-page"), "{err}");
    let err = admin
        .unlink_instagram("no-ig")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no-ig"), "{err}");
    let err = admin
        .revoke_permission("u1", "not_granted_perm")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("not_granted_perm"), "{err}");

    let resp = sim
        .http
        .post(sim.url("/_admin/clock/advance"))
        .body("{\"weeks\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let v: Value = resp.json().await.unwrap();
    assert!(v["error"].as_str().unwrap().contains("weeks"));
}

#[tokio::test]
async fn world_dump_reflects_changes() {
    let sim = Sim::shapes();
    sim.handle.admin().logout("u2").await.unwrap();
    let w = sim.handle.admin().world().await.unwrap();
    for k in [
        "app",
        "clock",
        "users",
        "grants",
        "tokens",
        "pages",
        "instagram",
        "groups",
        "max_page_size",
        "now",
    ] {
        assert!(w.get(k).is_some(), "world dump lacks {k}");
    }
    assert_eq!(w["tokens"]["tok-u2"]["state"], "logged_out");
    assert_eq!(w["pages"][0]["instagram"], "ig1");
}
