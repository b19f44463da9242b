//! Time enters the service in one place so tests (and the demo, which follows the simulator's
//! virtual clock) can step it instead of sleeping.

use jiff::{SignedDuration, Timestamp, Unit};
use std::sync::{Arc, Mutex};

pub trait Clock: Send + Sync + 'static {
    /// Now, rounded to the microsecond: the store keeps microseconds (STACK.md G8).
    fn now(&self) -> Timestamp;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        micros(Timestamp::now())
    }
}

/// A clock that only moves when told to.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<Timestamp>>);

impl ManualClock {
    pub fn new(at: Timestamp) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(micros(at))))
    }

    pub fn set(&self, at: Timestamp) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = micros(at);
    }

    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now = micros(now.saturating_add(by).unwrap_or(*now));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub fn micros(t: Timestamp) -> Timestamp {
    t.round(Unit::Microsecond).unwrap_or(t)
}
