//! The guest's wall clock follows the host's. The host sends its time on
//! the control port (`time SECONDS NANOS`) when the workload starts and
//! every 5 s; when the guest's CLOCK_REALTIME is more than 100 ms away from
//! it, the init steps it there with `clock_settime`, as libkrun's init does
//! with the host timestamps it gets over vsock. That undoes a host suspend
//! (the guest clock stands still while the VM does), the drift of an
//! emulated clock, and a workload's `date -s`.
//!
//! A step, never a slew: a clock minutes off after a suspend would take
//! hours to slew back (adjtime slews at 0.5 ms/s), and a workload is better
//! served by the right time at once than by a monotonic wall clock, which
//! CLOCK_MONOTONIC offers anyway. The message's transit (host write to guest
//! read: microseconds, at worst milliseconds under emulation) is ignored;
//! the threshold is far above it, so a clock that is right stays untouched.

use std::io;

use crate::console;
use crate::sys;

/// How far the guest clock may be from the host's before it is stepped.
pub const STEP_THRESHOLD_NANOS: i128 = 100_000_000;

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// A wall-clock time: seconds and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WallTime {
    secs: i64,
    nanos: u32,
}

impl WallTime {
    /// `None` unless `nanos` is below one second.
    pub fn new(secs: i64, nanos: u32) -> Option<WallTime> {
        (i128::from(nanos) < NANOS_PER_SEC).then_some(WallTime { secs, nanos })
    }

    fn epoch_nanos(self) -> i128 {
        i128::from(self.secs) * NANOS_PER_SEC + i128::from(self.nanos)
    }

    fn timespec(self) -> libc::timespec {
        libc::timespec { tv_sec: self.secs, tv_nsec: libc::c_long::from(self.nanos) }
    }
}

fn timespec_nanos(ts: &libc::timespec) -> i128 {
    i128::from(ts.tv_sec) * NANOS_PER_SEC + i128::from(ts.tv_nsec)
}

/// Whether a guest clock reading `guest` (nanoseconds since the epoch) is to
/// be stepped to `host`: when they are more than the threshold apart, either
/// way.
pub fn needs_step(guest: i128, host: WallTime) -> bool {
    (host.epoch_nanos() - guest).abs() > STEP_THRESHOLD_NANOS
}

/// Steps CLOCK_REALTIME to `host` if it is too far off; whether it did.
fn follow(host: WallTime) -> io::Result<bool> {
    let guest = sys::clock_gettime(libc::CLOCK_REALTIME)?;
    if !needs_step(timespec_nanos(&guest), host) {
        return Ok(false);
    }
    sys::clock_settime(libc::CLOCK_REALTIME, &host.timespec())?;
    Ok(true)
}

/// Keeps the guest clock on the host's. A failure is a warning, once: the
/// host sends its time every 5 s, and a clock that cannot be set would
/// otherwise repeat the same line on the user's stderr for the whole run.
#[derive(Debug, Default)]
pub struct Follower {
    failing: bool,
}

impl Follower {
    pub fn follow(&mut self, host: WallTime) {
        match follow(host) {
            Ok(_) => self.failing = false,
            Err(e) => {
                if !self.failing {
                    console::warn("control: set the clock to the host's", sys::reason(&e));
                }
                self.failing = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64, nanos: u32) -> WallTime {
        WallTime::new(secs, nanos).unwrap_or_else(|| panic!("{secs}.{nanos:09}"))
    }

    fn nanos(secs: i64, nanos: u32) -> i128 {
        at(secs, nanos).epoch_nanos()
    }

    #[test]
    fn steps_only_beyond_100_ms_either_way() {
        let host = at(1_700_000_000, 500_000_000);
        assert!(!needs_step(nanos(1_700_000_000, 500_000_000), host), "equal");
        assert!(!needs_step(nanos(1_700_000_000, 400_000_000), host), "exactly 100 ms behind");
        assert!(!needs_step(nanos(1_700_000_000, 600_000_000), host), "exactly 100 ms ahead");
        assert!(needs_step(nanos(1_700_000_000, 399_999_999), host), "just over 100 ms behind");
        assert!(needs_step(nanos(1_700_000_000, 600_000_001), host), "just over 100 ms ahead");
        assert!(needs_step(nanos(1_699_999_940, 500_000_000), host), "a minute behind (date -s)");
        assert!(needs_step(nanos(1_700_003_600, 500_000_000), host), "an hour ahead");
    }

    #[test]
    fn the_threshold_holds_across_a_second_boundary() {
        let host = at(1_700_000_001, 50_000_000);
        assert!(!needs_step(nanos(1_700_000_000, 950_000_000), host));
        assert!(needs_step(nanos(1_700_000_000, 949_999_999), host));
    }

    #[test]
    fn a_guest_clock_before_the_epoch_or_far_off_is_no_overflow() {
        let host = at(1_700_000_000, 0);
        assert!(needs_step(timespec_nanos(&libc::timespec { tv_sec: -1, tv_nsec: 0 }), host));
        assert!(needs_step(timespec_nanos(&libc::timespec { tv_sec: i64::MIN, tv_nsec: 999_999_999 }), host));
        assert!(needs_step(i128::from(i64::MAX) * NANOS_PER_SEC, at(i64::MIN, 0)));
    }

    #[test]
    fn nanoseconds_stay_below_a_second() {
        assert!(WallTime::new(0, 999_999_999).is_some());
        assert_eq!(WallTime::new(0, 1_000_000_000), None);
        let ts = at(1_700_000_000, 123_456_789).timespec();
        assert_eq!((ts.tv_sec, ts.tv_nsec), (1_700_000_000, 123_456_789));
    }
}
