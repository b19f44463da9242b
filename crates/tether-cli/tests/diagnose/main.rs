//! End-to-end scenarios for `tether diagnose meta|instagram` and the service commands: the simulator runs in
//! this process on 127.0.0.1, the real `tether` binary runs as a child process against it, and
//! each test asserts the exit status and what the binary prints (docs/REPORT.md) or serves.
//!
//! Layout: `harness` (simulator + binary + report readers), `access` (permissions, tasks,
//! per-Page grants, Instagram, groups), `broken` (dead and expiring tokens), `faults` (transient
//! trouble, rate limits, the checker's own credentials), `cli` (several tokens, text output,
//! paging, bad arguments), `catalog` (`catalog apply` as an operator runs it), `service` (`serve`, `workspace`, `keys` and `demo` as a new user runs
//! them: the real server on 127.0.0.1, Facebook Login through the simulator), `instagram` (Instagram Login through the
//! simulator's `/instagram` part), `mistakes` (what a
//! new user gets wrong first), `process` (children, bounded waits, clean-up guards).
#![forbid(unsafe_code)]

mod access;
mod broken;
mod catalog;
mod cli;
mod faults;
mod harness;
mod instagram;
mod linkedin;
mod mistakes;
mod process;
mod service;
