//! Meta's `signed_request` (deauthorize and data-deletion callbacks): any text, any signature,
//! never a panic; whatever verifies with a made-up secret was signed with it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;
use tether_meta::signed_request::parse_signed_request;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let secret = SecretString::from("fuzz-app-secret".to_owned());
    let _ = parse_signed_request(text, &secret);
});
