//! The loop's two clocks: a precise one read once per turn, and a cheap
//! coarse one read around every poll (or the precise one, if chosen).
//!
//! Timing every poll is how the loop catches *slow polls* and accounts for
//! the time each task holds the thread. `Instant::now()` reads the CPU's
//! time counter and converts it; done at every poll, for a task that does
//! little more than yield, those reads are a large share of the poll. The
//! kernel also keeps a *coarse* monotonic clock (`CLOCK_MONOTONIC_COARSE`):
//! reading it only copies the time of the last scheduler tick, with no
//! counter read, at the price of a resolution of one tick (1–4 ms, depending
//! on the kernel's `HZ`). The profile that led here, and what each read
//! costs, are in `docs/benchmarks/event_loop.md`, section "What the profiles
//! changed".
//!
//! That resolution is plenty to catch a poll that holds the thread for
//! 100 ms. Summed over many polls it stays honest: a poll shorter than a tick
//! counts as 0 unless it straddles a tick boundary, and then counts as one
//! whole tick — which happens with probability `length / tick` — so the
//! expected sum equals the true sum.
//!
//! Timers need the precise clock (they must never fire early): the loop reads
//! `Instant::now()` once per turn, after it has waited for events.
//!
//! A fair-share scheduler needs more than unbiased sums: it compares the busy
//! time of *one* task against another's, and a task made of short polls may
//! read zero on the coarse clock. [`PollClock`] lets the loop's builder
//! choose, once, which clock times the polls: the same single read per poll,
//! on the precise clock instead of the coarse one.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Which clock times every poll (and so [`TaskMeta::busy`], the per-task
/// figures and [`Stats`]' durations). Chosen once, with
/// [`Builder::poll_clock`]; the loop reads it once at the end of each poll
/// and once per turn, whichever it is.
///
/// [`TaskMeta::busy`]: super::TaskMeta::busy
/// [`Stats`]: super::Stats
/// [`Builder::poll_clock`]: super::Builder::poll_clock
///
/// # Examples
///
/// ```
/// use handspun::event_loop::{EventLoop, PollClock};
///
/// // A fair-share scheduler compares tasks' busy times: time polls precisely.
/// let ev = EventLoop::builder().poll_clock(PollClock::Precise).build().unwrap();
/// # drop(ev);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PollClock {
    /// The kernel's coarse monotonic clock (`CLOCK_MONOTONIC_COARSE`): the
    /// cheapest read, resolution one scheduler tick (1–4 ms). A single short
    /// poll counts as zero or one whole tick; sums over many polls are
    /// unbiased. The default.
    #[default]
    Coarse,
    /// The precise monotonic clock (`CLOCK_MONOTONIC`, what `Instant` reads):
    /// nanosecond resolution, at the price of a costlier read per poll. Choose
    /// it when a scheduler compares tasks' busy times.
    Precise,
}

impl PollClock {
    /// The current reading of this clock, in nanoseconds. Both clocks count
    /// from the same origin on Linux, so readings of the two compare.
    #[inline]
    pub(crate) fn now_ns(self) -> u64 {
        match self {
            PollClock::Coarse => coarse_nanos(),
            PollClock::Precise => precise_nanos(),
        }
    }
}

/// Nanoseconds on the coarse monotonic clock (arbitrary origin).
#[cfg(target_os = "linux")]
#[inline]
pub(crate) fn coarse_nanos() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable `timespec`; `clock_gettime` only
    // writes into it. CLOCK_MONOTONIC_COARSE exists since Linux 2.6.32.
    let failed = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut now) } != 0;
    if failed {
        return instant_nanos();
    }
    (now.tv_sec as u64) * 1_000_000_000 + now.tv_nsec as u64
}

/// Nanoseconds on the coarse monotonic clock (elsewhere: the precise one).
#[cfg(not(target_os = "linux"))]
#[inline]
pub(crate) fn coarse_nanos() -> u64 {
    instant_nanos()
}

/// Nanoseconds on the precise monotonic clock (the origin of the coarse one).
#[cfg(target_os = "linux")]
#[inline]
pub(crate) fn precise_nanos() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable `timespec`; `clock_gettime` only
    // writes into it. CLOCK_MONOTONIC exists on every Linux.
    let failed = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) } != 0;
    if failed {
        return instant_nanos();
    }
    (now.tv_sec as u64) * 1_000_000_000 + now.tv_nsec as u64
}

/// Nanoseconds on the precise clock (elsewhere: from `Instant`).
#[cfg(not(target_os = "linux"))]
#[inline]
pub(crate) fn precise_nanos() -> u64 {
    instant_nanos()
}

/// Nanoseconds since the first call, from `Instant`.
fn instant_nanos() -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(Instant::now);
    u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Time for a simulated loop: it moves only when the loop moves it (to the
/// next timer, when every task waits) or when a task says it computed for a
/// while (`sim::work`). Loop thread only.
#[derive(Debug)]
pub(crate) struct VirtualClock {
    /// The instant virtual time started at (any instant: only spans matter).
    origin: Instant,
    /// How far virtual time has moved since `origin`.
    elapsed: std::cell::Cell<Duration>,
    /// Turns of the loop so far (the simulation bounds a run by them).
    turns: std::cell::Cell<u64>,
}

impl VirtualClock {
    /// A clock at virtual time zero.
    pub(crate) fn new() -> VirtualClock {
        VirtualClock {
            origin: Instant::now(),
            elapsed: std::cell::Cell::new(Duration::ZERO),
            turns: std::cell::Cell::new(0),
        }
    }

    /// Counts one turn of the loop; returns the count.
    pub(crate) fn count_turn(&self) -> u64 {
        let turns = self.turns.get() + 1;
        self.turns.set(turns);
        turns
    }

    /// The virtual now, as an `Instant` (so timers work unchanged).
    pub(crate) fn now(&self) -> Instant {
        self.origin + self.elapsed.get()
    }

    /// Virtual time since the clock started.
    pub(crate) fn elapsed(&self) -> Duration {
        self.elapsed.get()
    }

    /// Virtual nanoseconds since the clock started.
    pub(crate) fn elapsed_ns(&self) -> u64 {
        u64::try_from(self.elapsed.get().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Moves time forward to `deadline` (never back).
    pub(crate) fn advance_to(&self, deadline: Instant) {
        let target = deadline.saturating_duration_since(self.origin);
        if target > self.elapsed.get() {
            self.elapsed.set(target);
        }
    }

    /// Moves time forward by `span`.
    pub(crate) fn advance_by(&self, span: Duration) {
        self.elapsed.set(self.elapsed.get() + span);
    }
}
