//! TikTok, simulated (docs/PLATFORMS-2.md section 4, docs/PLATFORMS.md section 4): the Login Kit
//! dialog (`www.tiktok.com/v2/auth/authorize/`), the token endpoint with its code exchange and
//! rotating refresh (`open.tiktokapis.com/v2/oauth/token/`), the revoke endpoint, `/v2/user/info/`
//! and `/v2/post/publish/creator_info/query/`, with the documented error bodies (several of them
//! inside HTTP 200), and an admin API to change the world (creators, a creator removing the app,
//! expiries, the app audited or not, a creator who may not post now, faults).
//!
//! The simulator host mounts this under `/tiktok`; a client pointed at
//! `http://127.0.0.1:PORT/tiktok` finds both hosts of the network there, with the real paths. The
//! part sends nothing itself: a test builds and signs the `authorization.removed` webhook.
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
