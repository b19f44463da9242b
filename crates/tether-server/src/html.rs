//! The few pages the service itself shows a person (OAuth results, reconnect links): plain,
//! self-contained HTML with no scripts and no outside resources.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.5}\
h1{font-size:1.5rem}.status{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;font-weight:600}\
.connected{background:#d8f5dd;color:#0b5d1e}.at_risk{background:#fff3c4;color:#6b4e00}\
.action_required{background:#ffe0c2;color:#7a3300}.disconnected{background:#ffd6d6;color:#8a0000}\
.pending,.unsupported{background:#e6e6e6;color:#333}li{margin:.3rem 0}.hint{color:#444}";

/// A complete page; `body` is trusted HTML built with [`escape`].
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{t} · Tether</title><style>{STYLE}</style></head>\
         <body><main><h1>{t}</h1>{body}</main></body></html>",
        t = escape(title)
    );
    (status, Html(html)).into_response()
}

/// A status as a coloured badge that also says it in words.
pub fn badge(status: &str) -> String {
    format!(
        "<span class=\"status {s}\">{w}</span>",
        s = escape(status),
        w = escape(&status.replace('_', " "))
    )
}
