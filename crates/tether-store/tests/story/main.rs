//! The store's story tests: one binary, the same test bodies on every engine. SQLite (a temp file)
//! always; PostgreSQL too when TEST_DATABASE_URL is set (a fresh database per test, dropped after).

mod assets;
mod budgets;
mod catalogs;
mod checks;
mod grants;
mod harness;
mod history;
mod isolation;
mod leases;
mod migrations;
mod oauth;
mod outbox;
mod overview;
mod people;
mod pushes;
mod tokens;
