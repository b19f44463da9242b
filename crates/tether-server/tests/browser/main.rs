//! The dashboard in a real browser: headless Chromium (through chromedriver) against the real app
//! on 127.0.0.1 with the simulator's demo world connected. Signs in, reads the overview's
//! statuses, colours and counts, opens the question-mark explanation by hover and by keyboard,
//! reconnects through the simulator's dialog, refreshes after a Page admin granted a task, and
//! checks that another workspace's member gets 404s. Screenshots land in
//! `target/browser-artifacts/`; every page passes axe-core's contrast and label rules.
//!
//! Skipped (with a message) when Chromium is not installed, unless BROWSER_TESTS=1 (CI), which
//! makes a missing browser a failure.

mod agency;
mod browser;
#[allow(dead_code)]
#[path = "../service/harness.rs"]
mod harness;
mod journeys;
mod selftest;
