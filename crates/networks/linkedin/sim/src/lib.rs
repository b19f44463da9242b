//! LinkedIn, simulated (docs/PLATFORMS-2.md section 2, docs/PLATFORMS.md section 2): the
//! authorization dialog (`www.linkedin.com/oauth/v2/authorization`), the code exchange and the
//! programmatic refresh (`/oauth/v2/accessToken`), token introspection
//! (`/oauth/v2/introspectToken`), `api.linkedin.com/rest/me` and
//! `/rest/organizationAcls?q=roleAssignee`, with the documented error bodies, the
//! `LinkedIn-Version` header enforced, and an admin API to change the world (members,
//! organizations, roles, a member removing the app, expiries, retired versions, faults).
//!
//! The simulator host mounts this under `/linkedin`; a client pointed at
//! `http://127.0.0.1:PORT/linkedin` finds both hosts of the network there, with the real paths.
#![forbid(unsafe_code)]

mod admin;
mod api;
mod dialog;
mod state;

use axum::Router;
use std::sync::Arc;
use tether_platform::SimClock;

pub use state::{ACCESS_SECS, APP_ID, APP_SECRET, REFRESH_SECS};

/// This network's part of the simulator, on the host's clock.
pub fn router(clock: Arc<dyn SimClock>) -> Router {
    let state = state::Shared::new(clock);
    Router::new()
        .nest("/_admin", admin::routes())
        .fallback(api::handle)
        .with_state(state)
}
