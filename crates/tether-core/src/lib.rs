//! Tether's pure core: the shared vocabulary, the facts platform clients gather, the catalog and
//! profiles (data files), and the diagnosis engine (facts + catalog + profile + now → report).
//!
//! Nothing in this crate does IO, reads a clock or draws randomness: the same inputs always give
//! the same report, which is what makes it exhaustively testable and cheap to re-run for every
//! asset whenever the catalog changes.
#![forbid(unsafe_code)]

pub mod catalog;
pub mod engine;
pub mod facts;
pub mod profile;
pub mod remedies;
pub mod report;
pub mod vocab;

pub use catalog::{ApiVersion, Catalog, CatalogError, ChangeNote, Condition, Rule};
pub use engine::{CompiledAsset, CompiledLogin, Engine, EngineOptions, FeatureVerdicts};
pub use facts::*;
pub use profile::{FeatureSelection, Profile, ProfileError};
pub use remedies::Remedies;
pub use report::*;
pub use vocab::*;
