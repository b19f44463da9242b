//! Every network Tether speaks, one line each. A network is its crate (client, and its simulator
//! part), its data under `catalog/<network>/` and a line here; the server, the worker, the CLI and
//! the dashboard reach it only through `tether_platform::Network`.

use tether_core::Network;
use tether_platform::Registration;

#[rustfmt::skip]
pub const REGISTERED: &[Registration] = &[
    tether_meta::REGISTRATION,
    tether_instagram::REGISTRATION,
    tether_linkedin::REGISTRATION,
    tether_pinterest::REGISTRATION,
    tether_tiktok::REGISTRATION,
];

pub fn registration(id: Network) -> Option<&'static Registration> {
    REGISTERED.iter().find(|r| r.id == id)
}

/// The registration a word names (`meta`, `instagram`, ...), or an error listing the known ones.
pub fn by_name(word: &str) -> Result<&'static Registration, String> {
    word.parse::<Network>()
        .ok()
        .and_then(registration)
        .ok_or_else(|| {
            let known: Vec<&str> = REGISTERED.iter().map(|r| r.id.as_str()).collect();
            format!("unknown network `{word}` (known: {})", known.join(", "))
        })
}
