//! Why a login could not be checked: the seam's own error, which every network shares.

pub use tether_platform::CheckError;
