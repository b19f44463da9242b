//! The harness checks itself: a page that passes axe, a page that must fail it for the right
//! reasons, screenshots that are real PNGs of the configured window, and no way out of 127.0.0.1.

use std::panic::AssertUnwindSafe;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use futures::FutureExt as _;

use crate::browser::{Browser, WCAG_TAGS};

const GOOD: &str = r##"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Self-test: accessible page</title></head>
<body>
<main>
  <h1>Connections</h1>
  <p>All accounts are healthy.</p>
  <img src="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==" alt="Status: healthy" width="16" height="16">
  <form action="/good">
    <label for="q">Search accounts</label>
    <input id="q" name="q" type="text">
    <button type="submit">Search</button>
  </form>
  <p><a href="/bad">A page with problems</a></p>
</main>
</body>
</html>"##;

/// Two deliberate failures: light grey text on white (1.35:1 where 4.5:1 is needed) and a text
/// input with no label of any kind.
const BAD: &str = r##"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Self-test: inaccessible page</title></head>
<body>
<main>
  <h1>Connections</h1>
  <p id="faint" style="color:#dddddd;background:#ffffff">Two accounts need attention.</p>
  <input id="unlabelled" name="q" type="text">
</main>
</body>
</html>"##;

/// Serves the two pages on 127.0.0.1 and returns the base URL.
async fn serve_pages() -> String {
    let app = Router::new()
        .route("/good", get(|| async { Html(GOOD) }))
        .route("/bad", get(|| async { Html(BAD) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve pages") });
    format!("http://{addr}")
}

#[tokio::test]
async fn accessible_page_passes_and_its_screenshot_is_a_png_of_the_window() {
    let started = std::time::Instant::now();
    let Some(browser) = Browser::start().await else {
        return;
    };
    eprintln!("browser started in {:?}", started.elapsed());
    let base = serve_pages().await;
    browser.goto(&format!("{base}/good")).await;

    browser.assert_accessible("selftest-good").await;

    // The tags must pull in every rule the dashboard is held to, not just some WCAG rules.
    let rules = browser
        .client
        .execute(
            "return axe.getRules(arguments[0]).map((r) => r.ruleId);",
            vec![serde_json::json!(WCAG_TAGS)],
        )
        .await
        .expect("listing axe rules");
    let rules: Vec<String> = serde_json::from_value(rules).expect("rule ids");
    for wanted in [
        "color-contrast",
        "label",
        "button-name",
        "link-name",
        "image-alt",
        "document-title",
        "html-has-lang",
        "aria-allowed-attr",
        "aria-required-attr",
        "aria-valid-attr-value",
        "aria-roles",
    ] {
        assert!(
            rules.iter().any(|r| r == wanted),
            "{wanted} not run: {rules:?}"
        );
    }

    let path = browser.screenshot("selftest-good").await;
    let png = std::fs::read(&path).expect("screenshot written");
    assert_eq!(
        &png[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    // IHDR follows the signature: width then height, big-endian.
    let width = u32::from_be_bytes(png[16..20].try_into().expect("4 bytes"));
    let height = u32::from_be_bytes(png[20..24].try_into().expect("4 bytes"));
    // The window is 1280x1000; the screenshot is its viewport, less the (headless) toolbar.
    let viewport = browser
        .client
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await
        .expect("viewport size");
    assert_eq!(width, 1280, "screenshot width");
    assert_eq!(
        viewport,
        serde_json::json!([width, height]),
        "screenshot vs viewport"
    );
    browser.close().await;
}

#[tokio::test]
async fn inaccessible_page_is_reported_with_rule_and_element() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let base = serve_pages().await;
    browser.goto(&format!("{base}/bad")).await;

    let violations = browser.axe().await;
    let targets_of = |id: &str| -> Vec<String> {
        violations
            .iter()
            .filter(|v| v.id == id)
            .flat_map(|v| v.nodes.iter().flat_map(|n| n.target.clone()))
            .collect()
    };
    assert_eq!(targets_of("color-contrast"), ["#faint"], "{violations:#?}");
    assert_eq!(targets_of("label"), ["#unlabelled"], "{violations:#?}");
    let contrast = violations
        .iter()
        .find(|v| v.id == "color-contrast")
        .expect("color-contrast violation");
    assert_eq!(contrast.impact.as_deref(), Some("serious"));

    let failed = AssertUnwindSafe(browser.assert_accessible("selftest-bad"))
        .catch_unwind()
        .await
        .expect_err("assert_accessible must fail on the bad page");
    let message = failed.downcast_ref::<String>().cloned().unwrap_or_default();
    for needle in [
        "selftest-bad",
        "color-contrast",
        "#faint",
        "label",
        "#unlabelled",
    ] {
        assert!(
            message.contains(needle),
            "{needle} missing from:\n{message}"
        );
    }
    browser.close().await;
}

#[tokio::test]
async fn hosts_other_than_loopback_do_not_resolve() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    // The resolver rule answers NOTFOUND without asking DNS, so this fails fast and offline.
    let outcome = browser.client.goto("http://example.com/").await;
    let reached = match outcome {
        Err(e) => {
            let text = e.to_string();
            assert!(
                text.contains("ERR_NAME_NOT_RESOLVED"),
                "unexpected error: {text}"
            );
            false
        }
        // Some Chromium versions render their error page instead of failing the command.
        Ok(()) => {
            let body = browser.client.source().await.expect("page source");
            !body.contains("ERR_NAME_NOT_RESOLVED")
        }
    };
    assert!(!reached, "Chromium resolved a host other than 127.0.0.1");
    browser.close().await;
}
