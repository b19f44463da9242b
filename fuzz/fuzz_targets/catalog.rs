//! The catalog, remedies and profile loaders (an operator's or a platform change's TOML): any
//! text is loaded or refused with an error that names the problem, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tether_core::{Catalog, Network, Profile, Remedies};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    static META: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    let meta =
        META.get_or_init(|| Catalog::builtin(Network::Meta).expect("the built-in catalog loads"));
    let _ = Catalog::from_toml_str(text, "fuzz");
    let _ = Remedies::from_toml_str(text, "fuzz");
    let _ = Profile::from_toml_str(text, "fuzz", meta);
});
