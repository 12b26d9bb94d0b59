//! Small helpers shared by the stores.

use core::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::store::StoreError;

/// The value after incrementing the counter text `current` (decimal, as every store writes it).
///
/// The error never contains `current`: a key holding a non-number could be holding a token.
pub(crate) fn next_counter(current: &str) -> Result<u64, StoreError> {
    let n: u64 = current
        .trim()
        .parse()
        .map_err(|_| StoreError::Protocol("cannot increment: the key holds a non-number".into()))?;
    n.checked_add(1)
        .ok_or_else(|| StoreError::Protocol("cannot increment: the counter would overflow".into()))
}

/// `ttl` in whole milliseconds, rounded up, at least 1 (a zero TTL must still expire).
pub(crate) fn ttl_millis(ttl: Duration) -> u64 {
    let ms = ttl.as_millis() + u128::from(!ttl.subsec_nanos().is_multiple_of(1_000_000));
    u64::try_from(ms).unwrap_or(u64::MAX).max(1)
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_millis_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters() {
        assert_eq!(next_counter("0"), Ok(1));
        assert_eq!(next_counter("41"), Ok(42));
        let err = next_counter("token-abc").unwrap_err();
        assert!(!err.to_string().contains("token-abc"));
        assert!(next_counter(&u64::MAX.to_string()).is_err());
        assert!(next_counter("-1").is_err());
    }

    #[test]
    fn ttl_rounding() {
        assert_eq!(ttl_millis(Duration::ZERO), 1);
        assert_eq!(ttl_millis(Duration::from_nanos(1)), 1);
        assert_eq!(ttl_millis(Duration::from_micros(1500)), 2);
        assert_eq!(ttl_millis(Duration::from_secs(2)), 2000);
        assert_eq!(ttl_millis(Duration::MAX), u64::MAX);
    }
}
