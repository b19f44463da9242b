//! The Meta Graph API client: token inspection, asset discovery, batching, error
//! classification (docs/GRAPH_CALLS.md, docs/PLATFORMS.md section 1).
//!
//! One login costs two Graph calls (`debug_token` + `me` with field expansion) sent inside batch
//! requests of up to 25 logins, plus one call per extra 100 Pages. A routine check of a login
//! whose token facts are known costs one (`me`), unless its answer suggests a change.
//!
//! Also here: Facebook Login (`oauth`), the `signed_request` of Meta's callbacks, and webhooks.
#![forbid(unsafe_code)]

pub mod classify;
mod client;
pub mod config;
mod error;
mod inspect;
mod known;
pub mod lenient;
pub mod network;
pub mod oauth;
pub mod proof;
pub mod signed_request;
mod snapshot;
pub mod urls;
pub mod usage;
pub mod webhook;
pub mod wire;

pub use classify::{Classification, RateBucket, TokenUsed, classify};
pub use client::{CallStats, GraphClient, MAX_BATCH_ITEMS};
pub use config::{ConfigError, GraphConfig, RetryPolicy};
pub use error::CheckError;
pub use inspect::{InspectOptions, Progress, ProgressFn};
pub use known::{KNOWN_EXPIRY_MARGIN, KnownToken, LoginToCheck, TokenFactsSource};
pub use network::{MetaNetwork, REGISTRATION};
pub use oauth::{IssuedToken, OAuthError, authorize_url};
pub use signed_request::{SignedRequest, SignedRequestError, parse_signed_request, sign_request};
pub use snapshot::{LoginSnapshot, MeOutcome, build_snapshot};
pub use usage::Usage;
pub use webhook::{
    ChallengeError, PermissionChange, PermissionVerb, SignatureError, WebhookError, hub_challenge,
    parse_permissions_webhook, verify_hub_signature,
};
