//! Wall-clock time as an explicit input.
//!
//! The core never reads a clock. Every time-dependent function takes a [`UnixTime`]: Unix
//! seconds, comparable across processes (tokens shared through Redis or a file carry an
//! absolute expiry), unlike `Instant`.

use core::fmt;
use core::time::Duration;

/// Seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixTime(pub u64);

impl UnixTime {
    /// Wraps a number of seconds since the epoch.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// Seconds since the epoch.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// `self + d`, saturating.
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(d.as_secs()))
    }

    /// `self - d`, saturating at the epoch.
    pub fn saturating_sub(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(d.as_secs()))
    }

    /// The time from `earlier` to `self`, or zero if `earlier` is later.
    pub fn duration_since(self, earlier: UnixTime) -> Duration {
        Duration::from_secs(self.0.saturating_sub(earlier.0))
    }

    /// The start of the next day in China Standard Time (UTC+8), when WeChat's daily quotas reset.
    pub fn next_beijing_midnight(self) -> UnixTime {
        const DAY: u64 = 86_400;
        const OFFSET: u64 = 8 * 3600;
        let local = self.0 + OFFSET;
        UnixTime((local / DAY + 1) * DAY - OFFSET)
    }

    /// The day number (days since the epoch) in China Standard Time, for per-day counters.
    pub fn beijing_day(self) -> u64 {
        (self.0 + 8 * 3600) / 86_400
    }
}

/// A point in wall-clock time with millisecond resolution: what the call machine is driven
/// with (retry back-offs and lease polls are shorter than a second).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// Milliseconds since the epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// The time `since_epoch` after the Unix epoch (saturating).
    pub fn from_duration(since_epoch: Duration) -> Self {
        Self(u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX))
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The whole seconds.
    pub const fn unix(self) -> UnixTime {
        UnixTime(self.0 / 1000)
    }

    /// `self + d`, saturating.
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)))
    }

    /// The time from `self` until `later`, or zero if `later` is not later.
    pub fn until(self, later: Timestamp) -> Duration {
        Duration::from_millis(later.0.saturating_sub(self.0))
    }
}

impl From<UnixTime> for Timestamp {
    fn from(t: UnixTime) -> Self {
        Self(t.0.saturating_mul(1000))
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_midnight() {
        // 2024-01-01T00:00:00+08:00 == 1704038400
        assert_eq!(UnixTime(1704038400 - 1).next_beijing_midnight(), UnixTime(1704038400));
        assert_eq!(
            UnixTime(1704038400).next_beijing_midnight(),
            UnixTime(1704038400 + 86400)
        );
        assert_eq!(
            UnixTime(1704038400).beijing_day(),
            UnixTime(1704038400 + 86399).beijing_day()
        );
    }
}
