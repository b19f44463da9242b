//! What one client cannot do to everyone else: hold connections open without finishing a request
//! (slowloris), trickle a body, or grow the metrics with made-up methods; and every error the
//! framework answers on its own comes in the API's shape.

use crate::harness::{Engine, METRICS_TOKEN, TestApp};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use tether_server::listen::Timeouts;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn addr(t: &TestApp) -> String {
    t.base.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection; `None` if it is still open after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut got = Vec::new();
    match tokio::time::timeout(within, stream.read_to_end(&mut got)).await {
        Ok(_) => Some(String::from_utf8_lossy(&got).into_owned()),
        Err(_) => None,
    }
}

#[tokio::test]
async fn half_open_connections_are_closed_and_do_not_starve_others() {
    let t = TestApp::spawn_with_timeouts(
        Engine::Sqlite,
        Timeouts {
            header_read: Duration::from_secs(1),
            body: Duration::from_secs(2),
        },
    )
    .await;
    // 300 connections that start a request and never finish its head.
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut s = TcpStream::connect(addr(&t)).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: tether\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(s);
    }
    let r = tokio::time::timeout(Duration::from_secs(5), t.http.get(t.url("/healthz")).send())
        .await
        .expect("/healthz answers while 300 connections hang")
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // The server hangs up on each of them once its header time is up.
    for s in &mut slow {
        assert!(
            closed_within(s, Duration::from_secs(5)).await.is_some(),
            "a half-open connection is closed"
        );
    }
    // A kept-alive connection that goes quiet is closed too.
    let mut idle = TcpStream::connect(addr(&t)).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: tether\r\n\r\n")
        .await
        .unwrap();
    let said = closed_within(&mut idle, Duration::from_secs(5))
        .await
        .expect("an idle connection is closed");
    assert!(said.starts_with("HTTP/1.1 200"), "{said}");

    // A body that never arrives in full is answered 408 in the API's shape.
    let mut trickle = TcpStream::connect(addr(&t)).await.unwrap();
    trickle
        .write_all(
            format!(
                "POST /api/v1/webhook-endpoints HTTP/1.1\r\nHost: tether\r\nAuthorization: Bearer {}\r\n\
                 Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"url\":",
                t.key
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let said = closed_within(&mut trickle, Duration::from_secs(6))
        .await
        .expect("the slow body is cut off");
    assert!(said.starts_with("HTTP/1.1 408"), "{said}");
    assert!(said.contains(r#""code":"request_timeout""#), "{said}");
}

#[tokio::test]
async fn framework_errors_come_in_the_api_shape() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    // A path id that is not a UUID.
    let (s, body) = t.get("/api/v1/assets/not-a-uuid").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_request");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("UUID"),
        "{body}"
    );
    // A method the route does not have: JSON, with the methods it does have.
    let r = t
        .http
        .put(t.url("/api/v1/assets"))
        .bearer_auth(&t.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.headers().get("allow").is_some());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("PUT"),
        "{body}"
    );
    // A query that does not parse.
    let (s, body) = t.get("/api/v1/assets?limit=many").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["code"].is_string(), "{body}");
}

#[tokio::test]
async fn metrics_need_the_token_and_made_up_methods_do_not_grow_them() {
    let t = TestApp::spawn(Engine::Sqlite).await;
    let metrics = |token: Option<&str>| {
        let mut r = t.http.get(t.url("/metrics"));
        if let Some(token) = token {
            r = r.bearer_auth(token);
        }
        r.send()
    };
    let r = metrics(None).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "unauthorized"
    );
    assert_eq!(
        metrics(Some("guess")).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    for i in 0..50 {
        let method = reqwest::Method::from_bytes(format!("PROBE{i}").as_bytes()).unwrap();
        t.http
            .request(method, t.url(&format!("/nothing/{i}")))
            .send()
            .await
            .unwrap();
    }
    let text = metrics(Some(METRICS_TOKEN))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("tether_http_requests_total"), "{text}");
    assert!(text.contains(r#"method="other""#), "{text}");
    assert!(!text.contains("PROBE"), "{text}");
    assert!(!text.contains("/nothing/"), "{text}");
}
