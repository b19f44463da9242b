//! The Meta Graph API client.
#![forbid(unsafe_code)]
