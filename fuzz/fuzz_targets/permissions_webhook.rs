//! The permissions webhook: the `X-Hub-Signature-256` header and the body, read as Meta sends
//! them; any bytes, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;
use tether_meta::webhook::{parse_permissions_webhook, verify_hub_signature};

fuzz_target!(|data: &[u8]| {
    // The first line is the header, the rest the body.
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (header, body) = data.split_at(split);
    let body = body.get(1..).unwrap_or_default();
    let secret = SecretString::from("fuzz-app-secret".to_owned());
    let header = std::str::from_utf8(header).ok();
    let _ = verify_hub_signature(body, header, &secret);
    let _ = parse_permissions_webhook(body);
});
