//! End-to-end scenarios for `tether diagnose meta`: the simulator runs in this process on
//! 127.0.0.1, the real `tether` binary runs as a child process against it, and each test asserts
//! the exit status and the JSON report (REPORT.md) the binary prints.
//!
//! Layout: `harness` (simulator + binary + report readers), `access` (permissions, tasks,
//! per-Page grants, Instagram, groups), `broken` (dead and expiring tokens), `faults` (transient
//! trouble, rate limits, the checker's own credentials), `cli` (several tokens, text output,
//! paging, bad arguments).
#![forbid(unsafe_code)]

mod access;
mod broken;
mod cli;
mod faults;
mod harness;
