//! Facebook Login token exchanges over real HTTP on 127.0.0.1 against a scripted
//! `oauth/access_token` endpoint: parameters, retries, and who each failure is for.

use crate::config;
use crate::fake_graph::{APP_ID, SECRET};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tether_meta::{GraphClient, OAuthError};
use url::Url;

/// HTTP status, body, and one extra header.
type Answer = (u16, String, Option<(&'static str, String)>);

#[derive(Default)]
struct TokenEndpoint {
    /// Scripted (status, body, extra header) answers; when empty, a good token reply.
    script: Mutex<VecDeque<Answer>>,
    queries: Mutex<Vec<HashMap<String, String>>>,
    elsewhere: AtomicUsize,
}

async fn access_token(
    State(ep): State<Arc<TokenEndpoint>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    ep.queries.lock().unwrap().push(q);
    let Some((status, body, header)) = ep.script.lock().unwrap().pop_front() else {
        let body = json!({"access_token": "EAAnew", "token_type": "bearer", "expires_in": 5183944});
        return (StatusCode::OK, body.to_string()).into_response();
    };
    let mut resp = (StatusCode::from_u16(status).unwrap(), body).into_response();
    if let Some((name, value)) = header {
        resp.headers_mut()
            .insert(name, axum::http::HeaderValue::from_str(&value).unwrap());
    }
    resp
}

async fn elsewhere(State(ep): State<Arc<TokenEndpoint>>) -> &'static str {
    ep.elsewhere.fetch_add(1, Ordering::SeqCst);
    r#"{"access_token":"stolen"}"#
}

async fn start() -> (Arc<TokenEndpoint>, GraphClient, String) {
    let ep = Arc::new(TokenEndpoint::default());
    let app = axum::Router::new()
        .route("/{version}/oauth/access_token", get(access_token))
        .route("/elsewhere", get(elsewhere))
        .with_state(ep.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = GraphClient::new(config(&base, SECRET)).unwrap();
    (ep, client, base)
}

fn error(code: i64, subcode: Option<i64>, message: &str) -> String {
    let mut e =
        json!({"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "T"});
    if let Some(s) = subcode {
        e["error_subcode"] = json!(s);
    }
    json!({ "error": e }).to_string()
}

fn push(ep: &TokenEndpoint, status: u16, body: String) {
    ep.script.lock().unwrap().push_back((status, body, None));
}

fn redirect() -> Url {
    Url::parse("https://app.example/meta/callback").unwrap()
}

#[tokio::test]
async fn a_code_becomes_a_short_token_and_that_a_long_one() {
    let (ep, client, _) = start().await;
    push(
        &ep,
        200,
        json!({"access_token": "EAAshort", "token_type": "bearer", "expires_in": 5400}).to_string(),
    );
    let short = client.exchange_code("the-code", &redirect()).await.unwrap();
    assert_eq!(short.token.expose_secret(), "EAAshort");
    assert_eq!(short.expires_in, Some(Duration::from_secs(5400)));
    let long = client.exchange_long_lived(&short.token).await.unwrap();
    assert_eq!(long.token.expose_secret(), "EAAnew");
    assert_eq!(long.expires_in, Some(Duration::from_secs(5183944)));

    let q = ep.queries.lock().unwrap().clone();
    let get = |i: usize, k: &str| q[i].get(k).map(String::as_str);
    assert_eq!(get(0, "client_id"), Some(APP_ID));
    assert_eq!(get(0, "client_secret"), Some(SECRET));
    assert_eq!(get(0, "code"), Some("the-code"));
    assert_eq!(
        get(0, "redirect_uri"),
        Some("https://app.example/meta/callback")
    );
    assert_eq!(get(1, "grant_type"), Some("fb_exchange_token"));
    assert_eq!(get(1, "fb_exchange_token"), Some("EAAshort"));
    assert_eq!(get(1, "client_secret"), Some(SECRET));
    let stats = client.stats();
    assert_eq!(
        (
            stats.oauth_requests,
            stats.platform_calls,
            stats.http_requests
        ),
        (2, 0, 0)
    );
}

#[tokio::test]
async fn a_refused_code_means_start_again_and_is_not_retried() {
    let (ep, client, _) = start().await;
    for (sub, msg) in [
        (36009, "This authorization code has been used."),
        (36007, "This authorization code has expired."),
        (
            36008,
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
        ),
    ] {
        push(&ep, 400, error(100, Some(sub), msg));
        let r = client.exchange_code("c", &redirect()).await;
        assert_eq!(
            r.unwrap_err(),
            OAuthError::CodeRejected {
                message: msg.into()
            }
        );
    }
    push(
        &ep,
        400,
        error(
            190,
            Some(460),
            "Error validating access token: password changed",
        ),
    );
    let r = client
        .exchange_long_lived(&SecretString::from("EAAdead"))
        .await;
    assert!(matches!(r, Err(OAuthError::CodeRejected { .. })), "{r:?}");
    assert_eq!(ep.queries.lock().unwrap().len(), 4, "one request each");
    let r = client.exchange_code(" ", &redirect()).await;
    assert!(matches!(r, Err(OAuthError::CodeRejected { .. })));
    assert_eq!(
        ep.queries.lock().unwrap().len(),
        4,
        "an empty code is never sent"
    );
}

#[tokio::test]
async fn a_wrong_secret_is_the_checkers_problem_and_never_shows_the_secret() {
    let (ep, client, _) = start().await;
    push(&ep, 400, error(1, None, "Error validating client secret."));
    let e = client.exchange_code("c", &redirect()).await.unwrap_err();
    assert!(
        matches!(e, OAuthError::CheckerMisconfigured { .. }),
        "{e:?}"
    );
    assert_eq!(
        ep.queries.lock().unwrap().len(),
        1,
        "code 1 here is not an outage"
    );
    let text = format!("{e} {e:?}");
    assert!(!text.contains(SECRET), "{text}");
}

#[tokio::test]
async fn outages_are_retried_then_reported_without_the_url() {
    let (ep, client, _) = start().await;
    push(&ep, 503, "<html>upstream</html>".into());
    push(&ep, 500, error(2, None, "Service temporarily unavailable"));
    let ok = client.exchange_code("c", &redirect()).await.unwrap();
    assert_eq!(ok.token.expose_secret(), "EAAnew");
    assert_eq!(ep.queries.lock().unwrap().len(), 3);

    for _ in 0..3 {
        push(&ep, 502, "bad gateway".into());
    }
    let e = client.exchange_code("c", &redirect()).await.unwrap_err();
    assert!(
        matches!(e, OAuthError::PlatformUnavailable { attempts: 3, .. }),
        "{e:?}"
    );
    assert!(!e.to_string().contains(SECRET));
}

#[tokio::test]
async fn a_long_rate_limit_is_reported_with_its_regain_time() {
    let (ep, client, _) = start().await;
    let usage = r#"{"1":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":30}]}"#;
    ep.script.lock().unwrap().push_back((
        400,
        error(
            80001,
            None,
            "There have been too many calls to this Page account.",
        ),
        Some(("x-business-use-case-usage", usage.into())),
    ));
    let e = client.exchange_code("c", &redirect()).await.unwrap_err();
    assert_eq!(
        e,
        OAuthError::RateLimited {
            retry_after: Some(Duration::from_secs(1800))
        }
    );
}

#[tokio::test]
async fn redirects_are_never_followed() {
    let (ep, client, base) = start().await;
    for _ in 0..3 {
        ep.script.lock().unwrap().push_back((
            302,
            String::new(),
            Some(("location", format!("{base}/elsewhere"))),
        ));
    }
    let e = client.exchange_code("c", &redirect()).await.unwrap_err();
    assert!(matches!(e, OAuthError::PlatformUnavailable { .. }), "{e:?}");
    assert_eq!(ep.elsewhere.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_reply_without_a_token_is_unrecognized() {
    let (ep, client, _) = start().await;
    push(&ep, 200, json!({"token_type": "bearer"}).to_string());
    let e = client.exchange_code("c", &redirect()).await.unwrap_err();
    assert!(matches!(e, OAuthError::Unrecognized { .. }), "{e:?}");
    push(&ep, 200, json!({"access_token": "EAAx"}).to_string());
    let ok = client.exchange_code("c", &redirect()).await.unwrap();
    assert_eq!(ok.expires_in, None, "no expires_in: no expiry date");
}

/// Servers hold these futures across `.await` in handlers and tasks, which must be `Send`.
#[test]
fn the_client_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let client = GraphClient::new(config("http://127.0.0.1:9", SECRET)).unwrap();
    let token = SecretString::from("t");
    let redirect = redirect();
    send(&client.exchange_code("c", &redirect));
    send(&client.exchange_long_lived(&token));
    let logins = [tether_meta::LoginToCheck {
        token: &token,
        known: None,
    }];
    let opts = tether_meta::InspectOptions::default();
    send(&client.inspect_known_logins(&logins, jiff::Timestamp::now(), &opts));
    send(&client.inspect_logins(std::slice::from_ref(&token), &opts));
}
