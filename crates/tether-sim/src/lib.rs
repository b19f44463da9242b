//! The platform simulator.
#![forbid(unsafe_code)]
