//! The service end to end over real HTTP: the simulator's dialog, the API, the worker stepped
//! explicitly, Meta's callbacks and webhooks, and outbound webhooks received on 127.0.0.1.
//! Every journey runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.

mod api;
mod catalog_change;
mod check_now;
mod dashboard;
mod delivery;
mod harness;
mod instagram;
mod journey;
mod limits;
mod linkedin;
mod mail;
mod oauth;
mod pinterest;
mod pressure;
mod signals;
mod tiktok;
mod walls;
