//! Facebook Login against the simulator, driven like a server-side app with a plain HTTP client:
//! dialog (HTML form) → redirect with a code → code exchange → long-lived exchange.

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::common::*;

pub const REDIRECT: &str = "http://127.0.0.1:9/oauth/callback";

/// The shapes world with redirect URIs accepting any port on 127.0.0.1.
pub async fn login_sim() -> Sim {
    let sim = Sim::shapes();
    let v = sim
        .handle
        .admin()
        .set_redirect_uris(&["http://127.0.0.1:*"])
        .await
        .unwrap();
    assert_eq!(v["redirect_uris"], json!(["http://127.0.0.1:*"]));
    sim
}

pub fn dialog_query(scope: &str, extra: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("client_id", APP_ID);
    q.append_pair("redirect_uri", REDIRECT);
    q.append_pair("state", "st-42");
    q.append_pair("scope", scope);
    q.append_pair("response_type", "code");
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    q.finish()
}

/// The dialog's hidden parameters plus the person's choice, as the consent form posts them.
pub fn consent_form<'a>(
    scope: &'a str,
    user: &'a str,
    choice: &[(&'a str, &'a str)],
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("client_id", APP_ID),
        ("redirect_uri", REDIRECT),
        ("state", "st-42"),
        ("scope", scope),
        ("response_type", "code"),
        ("user", user),
    ];
    form.extend_from_slice(extra);
    form.extend_from_slice(choice);
    form
}

fn location(headers: &HeaderMap) -> url::Url {
    let loc = headers
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap();
    url::Url::parse(loc).unwrap()
}

fn query(url: &url::Url) -> Vec<(String, String)> {
    url.query_pairs().into_owned().collect()
}

/// POSTs the consent form; returns the code from the redirect.
pub async fn allow(sim: &Sim, form: &[(&str, &str)]) -> String {
    let (status, headers, body) = sim.post_form("/v24.0/dialog/oauth", form).await;
    assert_eq!(status, 302, "{body}");
    let loc = location(&headers);
    assert_eq!(
        format!("{}{}", loc.origin().ascii_serialization(), loc.path()),
        REDIRECT
    );
    let q = query(&loc);
    assert_eq!(q.len(), 2, "{q:?}");
    assert_eq!(q[1], ("state".to_string(), "st-42".to_string()));
    assert_eq!(q[0].0, "code");
    q[0].1.clone()
}

pub async fn exchange(sim: &Sim, code: &str, secret: &str, redirect: &str) -> (u16, Value) {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("client_id", APP_ID);
    q.append_pair("redirect_uri", redirect);
    q.append_pair("client_secret", secret);
    q.append_pair("code", code);
    sim.get(&format!("/v24.0/oauth/access_token?{}", q.finish()))
        .await
}

pub async fn long_lived(sim: &Sim, short: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "fb_exchange_token"),
        ("client_id", APP_ID),
        ("client_secret", SECRET),
        ("fb_exchange_token", short),
    ];
    let (status, _, text) = sim.post_form("/v24.0/oauth/access_token", &form).await;
    (status, serde_json::from_str(&text).unwrap())
}

async fn now(sim: &Sim) -> i64 {
    sim.handle.admin().clock().await.unwrap()["unix"]
        .as_i64()
        .unwrap()
}

fn error_of(v: &Value) -> (i64, Option<i64>, &str, &str) {
    let e = &v["error"];
    (
        e["code"].as_i64().unwrap(),
        e["error_subcode"].as_i64(),
        e["type"].as_str().unwrap(),
        e["message"].as_str().unwrap(),
    )
}

const SCOPE: &str = "email,pages_show_list,pages_read_engagement,instagram_basic,read_insights";

#[tokio::test]
async fn dialog_code_short_and_long_token_record_the_choice() {
    let sim = login_sim().await;
    sim.handle.reset_stats();

    // Step 1: choose the person.
    let (status, headers, html) = sim
        .get_raw(&format!("/v24.0/dialog/oauth?{}", dialog_query(SCOPE, &[])))
        .await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(html.contains(r#"<select id="user" name="user">"#), "{html}");
    assert!(html.contains(r#"<option value="u1">User One (u1)</option>"#));
    assert!(html.contains(r#"<input type="hidden" name="state" value="st-42">"#));

    // Step 2: the consent form for u1.
    let (status, _, html) = sim
        .get_raw(&format!(
            "/v24.0/dialog/oauth?{}",
            dialog_query(SCOPE, &[("as_user", "u1")])
        ))
        .await;
    assert_eq!(status, 200);
    for needle in [
        r#"<form method="post" action="/v24.0/dialog/oauth">"#,
        r#"<input type="hidden" name="user" value="u1">"#,
        r#"id="perm-public_profile" checked disabled"#,
        r#"name="perm" value="pages_show_list" checked"#,
        r#"name="perm" value="read_insights" checked"#,
        r#"name="page" value="p1" checked"#,
        r#"name="page" value="p2" checked"#,
        r#"name="page" value="p3" checked"#,
        r#"name="instagram" value="ig1" checked"#,
        r#"<label for="page-p1">Page One (p1)</label>"#,
        r#"name="action" value="allow""#,
        r#"name="action" value="cancel""#,
        "auth_type=rerequest",
    ] {
        assert!(html.contains(needle), "missing {needle}: {html}");
    }
    // u1 declined email before: not asked again.
    assert!(!html.contains(r#"name="perm" value="email""#), "{html}");
    assert!(html.contains("<li>email</li>"));

    // Untick read_insights, leave out Page p2; tick email anyway (it must stay declined).
    let choice = [
        ("perm", "email"),
        ("perm", "pages_show_list"),
        ("perm", "pages_read_engagement"),
        ("perm", "instagram_basic"),
        ("page", "p1"),
        ("page", "p3"),
        ("instagram", "ig1"),
        ("action", "allow"),
    ];
    let code = allow(&sim, &consent_form(SCOPE, "u1", &choice, &[])).await;

    let issued = now(&sim).await;
    let (status, short) = exchange(&sim, &code, SECRET, REDIRECT).await;
    assert_eq!(status, 200, "{short}");
    assert_eq!(short["token_type"], "bearer");
    assert_eq!(short["expires_in"], 5400);
    let short = short["access_token"].as_str().unwrap().to_string();
    assert!(short.starts_with("EAA"));
    let (_, d) = sim.debug(&short).await;
    assert_eq!(d["data"]["is_valid"], true);
    assert_eq!(d["data"]["user_id"], "u1");
    assert_eq!(d["data"]["expires_at"], issued + 5400);
    assert!(d["data"].get("metadata").is_none());

    let (status, long) = long_lived(&sim, &short).await;
    assert_eq!(status, 200, "{long}");
    assert_eq!(long["token_type"], "bearer");
    assert_eq!(long["expires_in"], 5_183_999);
    let long = long["access_token"].as_str().unwrap().to_string();
    assert_ne!(long, short);
    let (_, d) = sim.debug(&long).await;
    let d = &d["data"];
    assert_eq!(d["expires_at"], issued + 5_183_999);
    assert_eq!(
        d["scopes"],
        json!([
            "public_profile",
            "pages_show_list",
            "pages_read_engagement",
            "instagram_basic"
        ])
    );
    assert_eq!(
        d["granular_scopes"],
        json!([
            {"scope": "pages_show_list", "target_ids": ["p1", "p3"]},
            {"scope": "pages_read_engagement", "target_ids": ["p1", "p3"]},
            {"scope": "instagram_basic", "target_ids": ["ig1"]}
        ])
    );
    let (_, perms) = sim.graph("me/permissions", &long, None).await;
    let status_of = |name: &str| {
        perms["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["permission"] == name)
            .map(|p| p["status"].clone())
    };
    assert_eq!(status_of("read_insights"), Some(json!("declined")));
    assert_eq!(status_of("email"), Some(json!("declined")));
    assert_eq!(status_of("public_profile"), Some(json!("granted")));

    // The minted tokens are world tokens: Graph calls and admin mutations apply to them.
    let (_, accounts) = sim.graph("me/accounts", &long, Some("id")).await;
    assert_eq!(accounts["data"], json!([{"id": "p1"}, {"id": "p3"}]));
    let stats = sim.handle.stats();
    assert_eq!((stats.dialog_requests, stats.token_requests), (3, 2));
    assert_eq!(stats.platform_calls, 4, "only debug_token and Graph calls");
    sim.handle.admin().change_password("u1").await.unwrap();
    let (_, d) = sim.debug(&long).await;
    assert_eq!(d["data"]["error"]["subcode"], 460);
    let (status, v) = long_lived(&sim, &short).await;
    assert_eq!((status, error_of(&v).1), (400, Some(460)));
}

#[tokio::test]
async fn declined_permissions_come_back_only_with_rerequest() {
    let sim = login_sim().await;
    let scope = "email,pages_show_list";
    let rerequest = [("auth_type", "rerequest")];
    let (_, _, html) = sim
        .get_raw(&format!(
            "/v24.0/dialog/oauth?{}",
            dialog_query(scope, &[("user", "u1"), ("auth_type", "rerequest")])
        ))
        .await;
    assert!(
        html.contains(r#"name="perm" value="email" checked"#),
        "{html}"
    );
    assert!(html.contains(r#"<input type="hidden" name="auth_type" value="rerequest">"#));
    let choice = [
        ("perm", "email"),
        ("perm", "pages_show_list"),
        ("page", "p1"),
        ("action", "allow"),
    ];
    let code = allow(&sim, &consent_form(scope, "u1", &choice, &rerequest)).await;
    let (_, short) = exchange(&sim, &code, SECRET, REDIRECT).await;
    let short = short["access_token"].as_str().unwrap();
    let (_, d) = sim.debug(short).await;
    assert_eq!(d["data"]["metadata"], json!({"auth_type": "rerequest"}));
    let scopes = d["data"]["scopes"].as_array().unwrap();
    assert!(scopes.contains(&json!("email")), "{d}");

    // Unticked now → declined; a later dialog without rerequest does not ask again.
    let choice = [("perm", "pages_show_list"), ("action", "allow")];
    allow(&sim, &consent_form(scope, "u1", &choice, &rerequest)).await;
    let user = sim.handle.admin().user("u1").await.unwrap();
    let email = user["grant"]["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "email")
        .cloned()
        .unwrap();
    assert_eq!(email["status"], "declined");
    let choice = [
        ("perm", "email"),
        ("perm", "pages_show_list"),
        ("action", "allow"),
    ];
    allow(&sim, &consent_form(scope, "u1", &choice, &[])).await;
    let user = sim.handle.admin().user("u1").await.unwrap();
    assert!(
        user["grant"]["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "email" && p["status"] == "declined"),
        "{user}"
    );
    // No Page ticked this time: the selection (none) is recorded.
    assert!(
        user["grant"]["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "pages_show_list" && p["target_ids"] == json!([])),
        "{user}"
    );
}

#[tokio::test]
async fn cancel_redirects_with_access_denied_and_changes_nothing() {
    let sim = login_sim().await;
    let before = sim.handle.admin().user("u1").await.unwrap()["grant"].clone();
    let form = consent_form(SCOPE, "u1", &[("action", "cancel")], &[]);
    let (status, headers, _) = sim.post_form("/v24.0/dialog/oauth", &form).await;
    assert_eq!(status, 302);
    assert_eq!(
        headers["location"].to_str().unwrap(),
        format!(
            "{REDIRECT}?error=access_denied&error_code=200&error_description=Permissions+error&error_reason=user_denied&state=st-42"
        )
    );
    let after = sim.handle.admin().user("u1").await.unwrap()["grant"].clone();
    assert_eq!(before, after);
}

#[tokio::test]
async fn codes_are_single_use_short_lived_and_bound_to_the_redirect_uri() {
    let sim = login_sim().await;
    let choice = [("perm", "pages_show_list"), ("action", "allow")];
    let form = consent_form("pages_show_list", "u3", &choice, &[]);

    let code = allow(&sim, &form).await;
    let other = "http://127.0.0.1:9/elsewhere";
    let (status, v) = exchange(&sim, &code, SECRET, other).await;
    assert_eq!(status, 400);
    let (c, sub, kind, msg) = error_of(&v);
    assert_eq!((c, sub, kind), (100, Some(36008), "OAuthException"));
    assert!(msg.contains("redirect_uri is identical"), "{msg}");
    // A mismatch does not burn the code.
    let (status, _) = exchange(&sim, &code, SECRET, REDIRECT).await;
    assert_eq!(status, 200);
    let (status, v) = exchange(&sim, &code, SECRET, REDIRECT).await;
    assert_eq!(status, 400);
    assert_eq!(
        error_of(&v),
        (
            100,
            Some(36009),
            "OAuthException",
            "This authorization code has been used."
        )
    );

    let code = allow(&sim, &form).await;
    sim.handle.admin().advance_seconds(601).await.unwrap();
    let (status, v) = exchange(&sim, &code, SECRET, REDIRECT).await;
    assert_eq!(status, 400);
    assert_eq!(
        error_of(&v),
        (
            100,
            Some(36007),
            "OAuthException",
            "This authorization code has expired."
        )
    );

    let code = allow(&sim, &form).await;
    let (status, v) = exchange(&sim, &code, "not-the-secret", REDIRECT).await;
    assert_eq!(status, 400);
    assert_eq!(
        error_of(&v),
        (1, None, "OAuthException", "Error validating client secret.")
    );
    let (status, v) = exchange(&sim, "AQnonsense", SECRET, REDIRECT).await;
    assert_eq!((status, error_of(&v).0), (400, 100));
    // The wrong secret did not use the code up.
    let (status, _) = exchange(&sim, &code, SECRET, REDIRECT).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_client_or_redirect_uri_gives_an_error_page_without_redirect() {
    let sim = login_sim().await;
    let cases = [
        (
            "client_id=999&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb".to_string(),
            "Invalid App ID",
        ),
        (
            format!("client_id={APP_ID}&redirect_uri=https%3A%2F%2Fevil.example%2Fcb"),
            "URL blocked",
        ),
        (format!("client_id={APP_ID}"), "URL blocked"),
        (
            format!(
                "client_id={APP_ID}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&response_type=token"
            ),
            "response_type",
        ),
    ];
    for (q, why) in cases {
        let (status, headers, html) = sim.get_raw(&format!("/v24.0/dialog/oauth?{q}")).await;
        assert_eq!(status, 400, "{q}");
        assert!(headers.get("location").is_none());
        assert!(html.contains(why), "{q}: {html}");
    }
    // The POST checks the same way: no code for a redirect URI that is not registered.
    sim.handle
        .admin()
        .set_redirect_uris(&["http://127.0.0.1:8080/exact"])
        .await
        .unwrap();
    let form = consent_form("", "u1", &[("action", "allow")], &[]);
    let (status, headers, _) = sim.post_form("/v24.0/dialog/oauth", &form).await;
    assert_eq!(status, 400);
    assert!(headers.get("location").is_none());
    let bad = sim
        .handle
        .admin()
        .set_redirect_uris(&["ftp://x", "not a uri"])
        .await;
    assert!(bad.is_err());
}

#[tokio::test]
async fn a_new_login_reinstalls_the_app_but_old_tokens_stay_dead() {
    let sim = login_sim().await;
    let admin = sim.handle.admin();
    admin.remove_app("u1").await.unwrap();
    admin.logout("u3").await.unwrap();
    for user in ["u1", "u3"] {
        let choice = [
            ("perm", "pages_show_list"),
            ("page", "p1"),
            ("action", "allow"),
        ];
        let code = allow(&sim, &consent_form("pages_show_list", user, &choice, &[])).await;
        let (_, short) = exchange(&sim, &code, SECRET, REDIRECT).await;
        let short = short["access_token"].as_str().unwrap();
        let (_, d) = sim.debug(short).await;
        assert_eq!(d["data"]["is_valid"], true, "{user}: {d}");
        let (status, accounts) = sim.graph("me/accounts", short, Some("id")).await;
        assert_eq!((status, &accounts["data"]), (200, &json!([{"id": "p1"}])));
    }
    // Tokens from before the removal or the logout stay dead with their reason.
    for (token, subcode) in [("tok-u1", 458), ("tok-page-p1", 458), ("tok-u3", 467)] {
        let (_, d) = sim.debug(token).await;
        assert_eq!(d["data"]["error"]["subcode"], subcode, "{token}");
    }
}
