//! The Meta Graph API client: token inspection, asset discovery, batching, error
//! classification (docs/GRAPH_CALLS.md, PLATFORMS.md section 1).
//!
//! One login costs two Graph calls (`debug_token` + `me` with field expansion) sent inside batch
//! requests of up to 25 logins, plus one call per extra 100 Pages.
#![forbid(unsafe_code)]

pub mod classify;
mod client;
pub mod config;
mod error;
mod inspect;
pub mod lenient;
pub mod proof;
mod snapshot;
pub mod urls;
pub mod usage;
pub mod wire;

pub use classify::{Classification, RateBucket, TokenUsed, classify};
pub use client::{CallStats, GraphClient, MAX_BATCH_ITEMS};
pub use config::{ConfigError, GraphConfig, RetryPolicy};
pub use error::CheckError;
pub use inspect::{InspectOptions, Progress, ProgressFn};
pub use snapshot::{LoginSnapshot, MeOutcome, build_snapshot};
pub use usage::Usage;
