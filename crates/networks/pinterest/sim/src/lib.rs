//! Pinterest API v5, simulated (docs/PLATFORMS-2.md section 3, docs/PLATFORMS.md section 3): the
//! authorization dialog (`www.pinterest.com/oauth/`), the token endpoint with HTTP Basic client
//! authentication and rotating continuous refresh tokens (`api.pinterest.com/v5/oauth/token`),
//! `GET /v5/user_account` and `POST /v5/pins` (enough to show Trial access), with the documented
//! error bodies, and an admin API to change the world (accounts, account types, a person removing
//! the app, expiries, the app's access tier, faults).
//!
//! The simulator host mounts this under `/pinterest`; a client pointed at
//! `http://127.0.0.1:PORT/pinterest` finds both hosts of the network there, with the real paths.
#![forbid(unsafe_code)]

mod admin;
mod api;
mod dialog;
mod state;

use axum::Router;
use std::sync::Arc;
use tether_platform::SimClock;

pub use state::{ACCESS_SECS, ADA, APP_ID, APP_SECRET, HARBOR, REFRESH_SECS, SCOPES};

/// This network's part of the simulator, on the host's clock.
pub fn router(clock: Arc<dyn SimClock>) -> Router {
    let state = state::Shared::new(clock);
    Router::new()
        .nest("/_admin", admin::routes())
        .fallback(api::handle)
        .with_state(state)
}
