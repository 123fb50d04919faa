//! The only source of "now" in the emulator.
//!
//! Tokens carry `iat`/`exp` that real clients check with zero leeway, and tests need to move
//! time (expire a token without sleeping). So nothing else reads the system clock: every rule
//! takes `now` from here.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A clock that follows the system time plus an adjustable offset, or stays frozen.
#[derive(Debug, Default)]
pub struct Clock {
    /// Seconds added to the system time.
    offset_secs: AtomicI64,
    /// When non-zero, the clock is frozen at this Unix time (seconds).
    frozen_at: AtomicI64,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// Current Unix time in seconds.
    pub fn now(&self) -> i64 {
        let frozen = self.frozen_at.load(Ordering::Relaxed);
        if frozen != 0 {
            return frozen;
        }
        system_secs() + self.offset_secs.load(Ordering::Relaxed)
    }

    /// Current Unix time in microseconds, for timestamps that order events within a second
    /// (Drive's `created_at`). Follows `now()`: frozen time has no fraction.
    pub fn now_micros(&self) -> i64 {
        let frozen = self.frozen_at.load(Ordering::Relaxed);
        if frozen != 0 {
            return frozen * 1_000_000;
        }
        let micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        micros + self.offset_secs.load(Ordering::Relaxed) * 1_000_000
    }

    /// Current Unix time in milliseconds (S3's `LastModified`). Follows `now()`.
    pub fn now_millis(&self) -> i64 {
        self.now_micros().div_euclid(1000)
    }

    /// Moves the clock forward (or back, with a negative value) by `secs`.
    pub fn advance(&self, secs: i64) {
        let frozen = self.frozen_at.load(Ordering::Relaxed);
        if frozen != 0 {
            self.frozen_at.store(frozen + secs, Ordering::Relaxed);
        } else {
            self.offset_secs.fetch_add(secs, Ordering::Relaxed);
        }
    }

    /// Freezes the clock at `unix_secs` (must be positive).
    pub fn freeze_at(&self, unix_secs: i64) {
        self.frozen_at.store(unix_secs.max(1), Ordering::Relaxed);
    }

    /// Sets the offset from the system time (and unfreezes).
    pub fn set_offset(&self, secs: i64) {
        self.frozen_at.store(0, Ordering::Relaxed);
        self.offset_secs.store(secs, Ordering::Relaxed);
    }

    /// Seconds added to the system time (0 when frozen).
    pub fn offset(&self) -> i64 {
        self.offset_secs.load(Ordering::Relaxed)
    }

    /// The Unix time the clock is frozen at, if it is.
    pub fn frozen_at(&self) -> Option<i64> {
        Some(self.frozen_at.load(Ordering::Relaxed)).filter(|t| *t != 0)
    }

    /// Back to the system time, without offset.
    pub fn reset(&self) {
        self.frozen_at.store(0, Ordering::Relaxed);
        self.offset_secs.store(0, Ordering::Relaxed);
    }
}

fn system_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_both_modes() {
        let clock = Clock::system();
        let before = clock.now();
        clock.advance(3600);
        assert!(clock.now() >= before + 3600);
        clock.freeze_at(1_000);
        clock.advance(5);
        assert_eq!(clock.now(), 1_005);
        clock.reset();
        assert!(clock.now() >= before);
    }
}
