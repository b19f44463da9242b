//! The pushes handled lately, so a captured push sent again changes nothing. Its own small trait,
//! like [`crate::GrantStore`]: only the push receiver uses it.

use crate::Result;
use jiff::Timestamp;
use std::future::Future;
use tether_core::vocab::Network;

/// What Tether answered a push it handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandledPush {
    pub handled_at: Timestamp,
    /// A data-deletion request is answered with its confirmation code; a retry gets the same one.
    pub confirmation_code: Option<String>,
}

pub trait PushStore: Send + Sync {
    /// The push with this digest (of its signed bytes), if it was handled and not yet forgotten.
    fn handled_push(
        &self,
        network: Network,
        digest: &[u8],
    ) -> impl Future<Output = Result<Option<HandledPush>>> + Send;

    /// Remembers a handled push (a second call with the same digest keeps the first), and forgets
    /// those handled before `forget_before`: pushes that old are refused for their age.
    fn remember_push(
        &self,
        network: Network,
        digest: &[u8],
        handled: &HandledPush,
        forget_before: Timestamp,
    ) -> impl Future<Output = Result<()>> + Send;
}
