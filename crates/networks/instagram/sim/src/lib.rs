//! Instagram API with Instagram Login, simulated (docs/PLATFORMS-2.md section 1): the authorize
//! dialog with a switch per scope, the code exchange (`api.instagram.com/oauth/access_token`), the
//! long-lived exchange and the refresh (`graph.instagram.com/access_token`,
//! `/refresh_access_token`), `/me`, the documented error bodies, and an admin API to change the
//! world (accounts, tokens, password changes, account types, faults).
//!
//! The simulator host mounts this under `/instagram`; a client pointed at
//! `http://127.0.0.1:PORT/instagram` finds every host of the network there, with the real paths,
//! with or without a `/vXX.X` prefix.
#![forbid(unsafe_code)]

mod admin;
mod api;
mod dialog;
mod state;

use axum::Router;
use std::sync::Arc;
use tether_platform::SimClock;

pub use state::{APP_ID, APP_SECRET, LONG_LIVED_SECS, SHORT_LIVED_SECS};

/// This network's part of the simulator, on the host's clock.
pub fn router(clock: Arc<dyn SimClock>) -> Router {
    let state = state::Shared::new(clock);
    Router::new()
        .nest("/_admin", admin::routes())
        .fallback(api::handle)
        .with_state(state)
}
