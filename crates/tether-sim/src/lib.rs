//! The platform simulator: a Graph API look-alike with the real response shapes, driven by a
//! TOML world file, a virtual clock, an admin API and fault injection.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = tether_sim::spawn(tether_sim::World::demo())?;
//! let base = sim.base_url(); // http://127.0.0.1:<port>
//! sim.admin().change_password("100000000000001").await.ok();
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod admin;
mod client;
mod clock;
pub mod consent;
pub mod faults;
pub mod fields;
mod graph;
mod oauth;
mod push;
mod server;
mod state;
mod world;

use std::net::SocketAddr;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use admin::AdminError;
pub use client::{AdminClient, AdminClientError, CallbackUpdate, http_client};
pub use consent::{Consent, ConsentError, answer_dialog};
pub use faults::{
    Effect, Endpoint, FaultSpec, GraphErrorSpec, HttpStatusSpec, LatencySpec, MalformedSpec, Match,
    Sample, SampledFault,
};
pub use graph::token::proof_for as appsecret_proof;
pub use oauth::{LONG_LIVED_SECS, SHORT_LIVED_SECS};
pub use server::router;
pub use state::{SimState, Stats};
pub use world::{
    App, ClockSpec, Grant, Group, Instagram, Page, Permission, PermissionStatus, Token, TokenKind,
    TokenState, User, World, WorldError,
};

/// A simulator serving on a local port. Dropping it stops the server.
pub struct SimHandle {
    addr: SocketAddr,
    state: SimState,
    admin: AdminClient,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Serves `world` on `127.0.0.1` on a free port. Must be called inside a tokio runtime.
pub fn spawn(world: World) -> std::io::Result<SimHandle> {
    spawn_on(world, SocketAddr::from(([127, 0, 0, 1], 0)))
}

/// Serves `world` on `addr`. Must be called inside a tokio runtime.
pub fn spawn_on(world: World, addr: SocketAddr) -> std::io::Result<SimHandle> {
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| std::io::Error::other("tether_sim::spawn needs a running tokio runtime"))?;
    let std_listener = std::net::TcpListener::bind(addr)?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(std_listener)?
    };
    let state = SimState::new(world);
    let app = router(state.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let task = runtime.spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        if let Err(e) = server.await {
            tracing::error!(error = %e, "simulator server stopped with an error");
        }
    });
    let admin = AdminClient::new(&format!("http://{addr}"))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(SimHandle {
        addr,
        state,
        admin,
        shutdown: Some(tx),
        task: Some(task),
    })
}

impl SimHandle {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn admin(&self) -> &AdminClient {
        &self.admin
    }

    /// Counters, read in process (no HTTP request).
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    pub fn reset_stats(&self) {
        self.state.reset_stats();
    }

    /// The shared state, for in-process inspection.
    pub fn state(&self) -> &SimState {
        &self.state
    }

    /// Stops accepting requests and waits (at most 5 s) for open ones to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(std::time::Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }

    /// Runs until the server stops (for a CLI in the foreground; stop it with Ctrl-C).
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
