//! Pinterest API v5 behind Tether's seam (docs/PLATFORMS-2.md section 3, docs/PLATFORMS.md
//! section 3): a person signs in to Pinterest with the account the product pins to, and that
//! account is the one asset of the login.
//!
//! One check is one call: `GET /v5/user_account` proves the token and says whose account it is
//! and its type (`PINNER` or `BUSINESS`). Pinterest cannot be asked which scopes a token holds
//! (docs/PLATFORMS-2.md 3.1): the client is told what the token responses' `scope` said
//! (`LoginToCheck.granted`) and refuses to check without it (`CheckError::GrantUnknown`).
//! Tokens are refreshed before the access token's month is out; every refresh rotates the
//! refresh token (`Issued.refresh_token`, with its own end in `refresh_expires_at`).
#![forbid(unsafe_code)]

pub mod classify;
mod client;
pub mod wire;

pub use client::{IDENTITY_SCOPE, PinterestNetwork};

use std::sync::Arc;
use tether_platform::{AppConfig, Network, Registration};

pub const REGISTRATION: Registration = Registration {
    id: tether_core::Network::Pinterest,
    summary: "Pinterest accounts (API v5) reached through the account's own Pinterest sign-in",
    build,
};

fn build(app: AppConfig) -> Result<Arc<dyn Network>, String> {
    Ok(Arc::new(PinterestNetwork::new(app)?))
}
