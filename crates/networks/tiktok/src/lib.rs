//! TikTok (Login Kit + Content Posting API) behind Tether's seam (docs/PLATFORMS-2.md section 4,
//! docs/PLATFORMS.md section 4): a creator logs in to TikTok as the account itself, and that account
//! is what the product posts to and reads (`tiktok_account`, no roles).
//!
//! One check is at most two calls: `GET /v2/user/info/?fields=open_id,union_id,display_name`
//! proves the token and names the account (a refresh is not a check: it would spend the rotating
//! refresh token); `POST /v2/post/publish/creator_info/query/`, when the login holds
//! `video.publish`, says whether this creator can post now and with which privacy levels. TikTok
//! cannot tell a token's scopes: the client is told them (`LoginToCheck.granted`, from the token
//! replies' `scope`). Errors come inside HTTP 200 bodies too (`error.code != "ok"`).
//!
//! Tokens: access 2 hours, refresh 180 days and rotated on every refresh, both read from
//! `expires_in` and `refresh_expires_in`, never constants. The `authorization.removed` webhook is a
//! push (`webhook.rs`), verified with the `TikTok-Signature` header before anything is believed.
#![forbid(unsafe_code)]

pub mod classify;
mod client;
pub mod webhook;
pub mod wire;

pub use client::TikTokNetwork;

use std::sync::Arc;
use tether_platform::{AppConfig, Network, Registration};

pub const REGISTRATION: Registration = Registration {
    id: tether_core::Network::Tiktok,
    summary: "TikTok accounts connected with Login Kit: posting (Content Posting API), videos and profile (Display API)",
    build,
};

fn build(app: AppConfig) -> Result<Arc<dyn Network>, String> {
    Ok(Arc::new(TikTokNetwork::new(app)?))
}
