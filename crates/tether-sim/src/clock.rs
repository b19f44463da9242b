//! The virtual clock: token expiry and usage windows are computed from it, never from the host.

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone)]
pub struct Clock {
    anchor_virtual: Timestamp,
    anchor_real: Instant,
    frozen: bool,
}

impl Clock {
    pub fn new(start: Timestamp, frozen: bool) -> Clock {
        Clock {
            anchor_virtual: start,
            anchor_real: Instant::now(),
            frozen,
        }
    }

    pub fn now(&self) -> Timestamp {
        if self.frozen {
            return self.anchor_virtual;
        }
        let elapsed =
            SignedDuration::try_from(self.anchor_real.elapsed()).unwrap_or(SignedDuration::MAX);
        self.anchor_virtual
            .checked_add(elapsed)
            .unwrap_or(Timestamp::MAX)
    }

    pub fn frozen(&self) -> bool {
        self.frozen
    }

    pub fn advance(&mut self, by: SignedDuration) -> Result<Timestamp, jiff::Error> {
        let now = self.now();
        let next = now.checked_add(by)?;
        self.set(next);
        Ok(next)
    }

    pub fn set(&mut self, to: Timestamp) {
        self.anchor_virtual = to;
        self.anchor_real = Instant::now();
    }
}
