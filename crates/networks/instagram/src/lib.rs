//! Instagram API with Instagram Login behind Tether's seam (docs/PLATFORMS-2.md section 1): a
//! professional account logs in with Instagram itself, no Facebook and no Page.
//!
//! One check is one call: `GET /me?fields=user_id,username,account_type` proves the token, says
//! whose it is and whether the account is professional. Instagram Login has no documented token
//! introspection (1.4), so the scopes are the ones the code exchange or the last refresh returned
//! (the service keeps them with the token) and the expiry is the one they announced.
#![forbid(unsafe_code)]

pub mod classify;
mod client;
pub mod wire;

pub use client::InstagramNetwork;

use std::sync::Arc;
use tether_platform::{AppConfig, Network, Registration};

pub const REGISTRATION: Registration = Registration {
    id: tether_core::Network::Instagram,
    summary: "Instagram professional accounts connected with Instagram Login (no Facebook Page)",
    build,
};

fn build(app: AppConfig) -> Result<Arc<dyn Network>, String> {
    Ok(Arc::new(InstagramNetwork::new(app)?))
}
