//! The platforms' error bodies and their classifiers: Graph errors (with the usage headers that
//! come with them) and Instagram Login's two envelopes; any bytes, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tether_meta::usage::Usage;
use tether_meta::wire::GraphError;
use tether_meta::{TokenUsed, classify};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        let inner = v.get("error").cloned().unwrap_or(v);
        if let Ok(err) = serde_json::from_value::<GraphError>(inner) {
            let usage =
                Usage::from_pairs([("x-app-usage", text), ("x-business-use-case-usage", text)]);
            for token in [TokenUsed::App, TokenUsed::User, TokenUsed::Page] {
                let _ = classify(&err, token, Some(&usage));
                let _ = classify(&err, token, None);
            }
            let _ = err.to_platform_error();
        }
    }
    if let Some(err) = tether_instagram::wire::parse_error(text) {
        let _ = tether_instagram::classify::classify(&err);
    }
});
