//! The one retry policy: how long to wait before attempt `n` of anything that reconnects
//! (the 2.x readers, the TUI worker's connection). The 4.x reader (`mq/read.rs`) keeps its
//! own 200 ms → 5 s curve until it adopts this one.

use std::time::Duration;

/// The first wait.
pub(crate) const FIRST: Duration = Duration::from_millis(100);
/// The longest wait.
pub(crate) const CAP: Duration = Duration::from_secs(2);

/// The wait before attempt `attempt` (from 1): [`FIRST`], doubling, at most [`CAP`].
pub fn backoff(attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1).min(16);
    FIRST.saturating_mul(1 << doublings).min(CAP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_100_ms_and_caps_at_2_s() {
        assert_eq!(backoff(0), Duration::from_millis(100));
        assert_eq!(backoff(1), Duration::from_millis(100));
        assert_eq!(backoff(2), Duration::from_millis(200));
        assert_eq!(backoff(5), Duration::from_millis(1600));
        assert_eq!(backoff(6), Duration::from_secs(2));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(2));
    }
}
