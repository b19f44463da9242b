//! LinkedIn organizations (LinkedIn Pages) behind Tether's seam (docs/PLATFORMS-2.md section 2,
//! docs/PLATFORMS.md section 2): a member signs in with LinkedIn, and the Pages they hold a role
//! on are what the product posts to and reads.
//!
//! One check is at most three calls: `introspectToken` proves the token and says its scopes and
//! expiry (LinkedIn's own advice: "Validate the member access token using Token Introspection");
//! `organizationAcls?q=roleAssignee` lists the member's approved roles per organization, with
//! the organizations' names; `/rest/me` says whose login it is, only when no earlier check did.
#![forbid(unsafe_code)]

pub mod classify;
mod client;
pub mod wire;

pub use client::LinkedInNetwork;

use std::sync::Arc;
use tether_platform::{AppConfig, Network, Registration};

pub const REGISTRATION: Registration = Registration {
    id: tether_core::Network::Linkedin,
    summary: "LinkedIn Pages (organizations) reached through a member's LinkedIn sign-in and their Page roles",
    build,
};

fn build(app: AppConfig) -> Result<Arc<dyn Network>, String> {
    Ok(Arc::new(LinkedInNetwork::new(app)?))
}
