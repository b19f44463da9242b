//! Batch requests, paging across many Pages, and the call counters.

mod common;

use common::*;
use serde_json::{Value, json};
use tether_sim::World;

fn body(item: &Value) -> Value {
    serde_json::from_str(item["body"].as_str().expect("body is a string")).expect("body is JSON")
}

#[tokio::test]
async fn batch_runs_items_in_order_with_per_item_tokens_and_errors() {
    let sim = Sim::shapes();
    let items = json!([
        debug_item("tok-u1"),
        me_item("tok-u1", ME_FIELDS),
        debug_item("tok-u2"),
        me_item("tok-u2", ME_FIELDS),
        {"method": "GET", "relative_url": "me?fields=id&access_token=tok-u3"},
    ]);
    let (status, headers, v) = sim.batch(&items, false).await;
    assert_eq!(status, 200);
    assert!(headers.contains_key("x-app-usage"));
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 5);
    for item in arr {
        assert_eq!(keys(item), ["body", "code"].map(String::from).into());
    }
    assert_eq!(arr[0]["code"], 200);
    assert_eq!(body(&arr[0])["data"]["user_id"], "u1");
    assert_eq!(arr[1]["code"], 200);
    assert_eq!(
        body(&arr[1])["accounts"]["data"].as_array().unwrap().len(),
        3
    );
    assert_eq!(body(&arr[2])["data"]["error"]["subcode"], 463);
    assert_eq!(arr[3]["code"], 400);
    assert_eq!(body(&arr[3])["error"]["error_subcode"], 463);
    // An item token without its own proof does not borrow the batch-level proof.
    assert_eq!(arr[4]["code"], 400);
    assert_eq!(body(&arr[4])["error"]["code"], 100);

    let stats = sim.handle.stats();
    assert_eq!(stats.http_requests, 1);
    assert_eq!(stats.batch_requests, 1);
    assert_eq!(stats.platform_calls, 5);
    assert_eq!(stats.calls_by_endpoint["debug_token"], 2);
    assert_eq!(stats.calls_by_endpoint["me"], 3);
}

#[tokio::test]
async fn batch_items_carry_headers_like_the_fixture_unless_told_not_to() {
    let sim = Sim::shapes();
    let items = json!([debug_item("tok-u1"), {"method": "GET", "relative_url": "nope?access_token=tok-u1"}]);
    let (_, _, v) = sim.batch(&items, true).await;
    let ok = &fixture("batch_response_all_ok.json")[0];
    let failed = &fixture("batch_response_first_item_error_100.json")[0];
    assert_eq!(keys(&v[0]), keys(ok));
    assert_eq!(keys(&v[1]), keys(failed));
    let names: Vec<&str> = v[1]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"X-App-Usage") && names.contains(&"WWW-Authenticate"));
    assert_eq!(body(&v[1])["error"]["type"], "GraphMethodException");
}

#[tokio::test]
async fn whole_batch_rejections() {
    let sim = Sim::shapes();
    let items: Vec<Value> = (0..51).map(|_| debug_item("tok-u1")).collect();
    let (status, _, v) = sim.batch(&Value::Array(items), false).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], 1);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Maximum batch size is 50")
    );

    let batch = json!([debug_item("tok-u1")]).to_string();
    let bad_app = format!("{APP_ID}|nope");
    let (status, _, text) = sim
        .post_form(
            "/",
            &[
                ("access_token", bad_app.as_str()),
                ("batch", batch.as_str()),
            ],
        )
        .await;
    assert_eq!(status, 400);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["error"]["message"],
        "Invalid OAuth access token signature."
    );

    let app = app_token();
    let (status, _, text) = sim
        .post_form(
            "/v24.0",
            &[
                ("access_token", app.as_str()),
                ("appsecret_proof", "abcd"),
                ("batch", batch.as_str()),
            ],
        )
        .await;
    assert_eq!(status, 400);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["error"]["message"],
        "Invalid appsecret_proof provided in the API argument"
    );

    let (status, _, text) = sim.post_form("/", &[("batch", batch.as_str())]).await;
    assert_eq!(status, 400, "{text}");
    let (status, _, text) = sim
        .post_form(
            "/",
            &[("access_token", app.as_str()), ("batch", "{not json")],
        )
        .await;
    assert_eq!(status, 400, "{text}");
}

/// One person with `n` Pages, pages capped at `max` per response.
fn many_pages_world(n: usize, max: usize) -> World {
    let mut text = format!(
        "max_page_size = {max}\n[app]\nid = \"{APP_ID}\"\nname = \"Paging\"\nsecret = \"{SECRET}\"\n\
         [[users]]\nid = \"u1\"\nname = \"Many Pages\"\n[users.grant]\ngranted = [\"pages_show_list\"]\n\
         [[tokens]]\ntoken = \"tok-many\"\nuser = \"u1\"\n"
    );
    for i in 0..n {
        text.push_str(&format!(
            "[[pages]]\nid = \"p{i:03}\"\nname = \"Page {i}\"\n[pages.tasks]\nu1 = \"admin\"\n"
        ));
    }
    World::from_toml_str(&text, "many-pages").unwrap()
}

#[tokio::test]
async fn paging_walks_sixty_pages_in_pages_of_twenty_five() {
    let sim = Sim::start(many_pages_world(60, 25));
    // The client asks for 100 a page; the world caps at 25.
    let (status, v) = sim
        .graph("me", "tok-many", Some("id,accounts.limit(100){id,name}"))
        .await;
    assert_eq!(status, 200);
    let mut seen: Vec<String> = Vec::new();
    let mut page = v["accounts"].clone();
    let mut rounds = 1;
    loop {
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 25);
        seen.extend(data.iter().map(|p| p["id"].as_str().unwrap().to_string()));
        assert!(page["paging"]["cursors"]["before"].is_string());
        let Some(next) = page["paging"]["next"].as_str() else {
            break;
        };
        assert!(
            next.starts_with(&format!("{}/v24.0/u1/accounts?", sim.handle.base_url())),
            "{next}"
        );
        let path = next.strip_prefix(&sim.handle.base_url()).unwrap();
        let (status, v) = sim.get(path).await;
        assert_eq!(status, 200, "{v}");
        page = v;
        rounds += 1;
    }
    assert_eq!(rounds, 3);
    let expected: Vec<String> = (0..60).map(|i| format!("p{i:03}")).collect();
    assert_eq!(seen, expected);

    // The client's own follow-up item: me/accounts with the `after` cursor, inside a batch.
    let after = v["accounts"]["paging"]["cursors"]["after"]
        .as_str()
        .unwrap();
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("fields", "id");
    q.append_pair("limit", "100");
    q.append_pair("after", after);
    q.append_pair("access_token", "tok-many");
    q.append_pair("appsecret_proof", &proof("tok-many"));
    let items = json!([{"method": "GET", "relative_url": format!("me/accounts?{}", q.finish())}]);
    let (_, _, v) = sim.batch(&items, false).await;
    let b = body(&v[0]);
    assert_eq!(b["data"][0]["id"], "p025");
    assert_eq!(b["data"].as_array().unwrap().len(), 25);
    assert!(b["paging"]["next"].is_string());
}

#[tokio::test]
async fn counters_count_requests_and_calls_and_reset() {
    let sim = Sim::shapes();
    sim.graph("me", "tok-u1", Some("id")).await;
    sim.debug("tok-u1").await;
    let items = json!([
        debug_item("tok-u1"),
        me_item("tok-u1", "id"),
        me_item("tok-u3", "id")
    ]);
    sim.batch(&items, false).await;
    let stats = sim.handle.admin().stats().await.unwrap();
    assert_eq!(stats.http_requests, 3);
    assert_eq!(stats.platform_calls, 5);
    assert_eq!(stats, sim.handle.stats());
    sim.handle.admin().reset_stats().await.unwrap();
    assert_eq!(sim.handle.stats(), tether_sim::Stats::default());
}

#[tokio::test]
async fn synthetic_world_serves_concurrent_batches() {
    let sim = Sim::start(World::synthetic(100, 5));
    let secret = "synthetic-app-secret";
    let app = "1000000000000001|synthetic-app-secret";
    let app_proof = tether_sim::appsecret_proof(secret, app);
    let mut tasks = Vec::new();
    for chunk in 0..4 {
        let http = sim.http.clone();
        let url = format!("{}/v24.0/", sim.handle.base_url());
        let app_proof = app_proof.clone();
        tasks.push(tokio::spawn(async move {
            let mut items = Vec::new();
            for i in chunk * 25..(chunk + 1) * 25 {
                let token = format!("tok-user-{i}");
                let p = tether_sim::appsecret_proof(secret, &token);
                items.push(json!({"method": "GET", "relative_url": format!("debug_token?input_token={token}")}));
                items.push(json!({"method": "GET", "relative_url": format!("me?fields=id,accounts{{id,instagram_business_account}}&access_token={token}&appsecret_proof={p}")}));
            }
            let batch = Value::Array(items).to_string();
            let resp = http
                .post(url)
                .form(&[("access_token", app), ("appsecret_proof", app_proof.as_str()), ("include_headers", "false"), ("batch", batch.as_str())])
                .send()
                .await
                .unwrap();
            let v: Value = resp.json().await.unwrap();
            v.as_array().unwrap().clone()
        }));
    }
    for t in futures::future::join_all(tasks).await {
        let items = t.unwrap();
        assert_eq!(items.len(), 50);
        for pair in items.chunks(2) {
            assert_eq!(body(&pair[0])["data"]["is_valid"], true);
            let me = body(&pair[1]);
            let pages = me["accounts"]["data"].as_array().unwrap();
            assert_eq!(pages.len(), 5);
            let with_ig = pages
                .iter()
                .filter(|p| p.get("instagram_business_account").is_some())
                .count();
            assert_eq!(with_ig, 3);
        }
    }
    assert_eq!(sim.handle.stats().platform_calls, 200);
}
