//! Where time comes from: the system clock, or a virtual one for tests (rustls'
//! `TimeProvider`, with waiting added).
//!
//! The clients, the memory store and the callback server read the time only through a
//! [`Clock`], and wait only through [`Clock::wait`]; give them one [`ManualClock`] and a test
//! moves through hours of token life without sleeping.

use core::fmt;
use core::time::Duration;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of wall-clock time.
pub trait Clock: Send + Sync + fmt::Debug + std::panic::RefUnwindSafe {
    /// Now.
    fn now(&self) -> SystemTime;

    /// How long to really wait for `d` of this clock's time: `d` for the system clock. A
    /// virtual clock moves itself forward by `d` and answers zero.
    fn wait(&self, d: Duration) -> Duration {
        d
    }

    /// Now, in milliseconds since the Unix epoch (0 before it).
    fn unix_millis(&self) -> u64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told to ([`ManualClock::advance`]) or when something waits on
/// it ([`Clock::wait`] advances it and returns at once).
#[derive(Debug)]
pub struct ManualClock {
    millis: AtomicU64,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: SystemTime) -> Self {
        let clock = Self {
            millis: AtomicU64::new(0),
        };
        clock.set(start);
        clock
    }

    /// A clock showing the system clock's time now.
    pub fn starting_now() -> Self {
        Self::new(SystemTime::now())
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.millis.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: SystemTime) {
        let ms = to
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self.millis.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.millis.load(Ordering::SeqCst))
    }

    fn wait(&self, d: Duration) -> Duration {
        self.advance(d);
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_when_told_or_waited_on() {
        let start = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.unix_millis(), 1_700_000_001_500);
        assert_eq!(clock.wait(Duration::from_secs(3600)), Duration::ZERO);
        assert_eq!(clock.now(), start + Duration::from_millis(3_601_500));
        assert!(SystemClock.wait(Duration::from_millis(5)) == Duration::from_millis(5));
    }
}
