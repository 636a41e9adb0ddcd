//! The driver: where the loop's time comes from, and how it waits when it
//! has nothing to run. Chosen once, when the loop is built.
//!
//! - [`Driver::Os`], the real loop: time is the machine's; waiting is
//!   `epoll_wait` (through the reactor) until a socket is ready or the
//!   nearest timer is due.
//! - [`Driver::Virtual`], the simulated loop (`crate::sim`): time is a
//!   [`VirtualClock`]; there are no sockets to wait for, so waiting means
//!   jumping the clock to the nearest timer. With no timer either, nothing
//!   can ever wake a task: the loop is stuck, and says so.
//!
//! The run loop (`core.rs`) calls [`Driver::now`], [`Driver::poll_clock_ns`]
//! and [`Driver::park`] and never asks which driver it has.

#![forbid(unsafe_code)]

use std::rc::Rc;
use std::task::Waker;
use std::time::{Duration, Instant};

use super::clock::{PollClock, VirtualClock};
use super::reactor::Reactor;
use super::timer::TimerQueue;

/// How many turns a simulated run may take before it is stopped as one that
/// would never end (each turn polls up to a batch of tasks).
pub(crate) const MAX_SIMULATED_TURNS: u64 = 100_000;

/// The payload a simulated loop unwinds with when a run reaches
/// [`MAX_SIMULATED_TURNS`].
#[derive(Debug)]
pub(crate) struct TooLong {
    pub(crate) turns: u64,
}

/// Where time comes from and how the loop waits.
#[derive(Debug, Clone)]
pub(crate) enum Driver {
    /// Real time and `epoll`; polls timed on this clock.
    Os(PollClock),
    /// Virtual time; no sockets.
    Virtual(Rc<VirtualClock>),
}

/// What a park did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parked {
    /// It did not wait: work was ready and there was nothing to poll for.
    Skipped,
    /// It waited (or polled for events, or moved virtual time).
    Waited,
    /// Nothing is ready, no timer is armed, and nothing outside can wake a
    /// task (virtual driver only): every task waits for another forever.
    Stuck,
}

impl Driver {
    /// Now, on the loop's precise clock.
    #[inline]
    pub(crate) fn now(&self) -> Instant {
        match self {
            Driver::Os(_) => Instant::now(),
            Driver::Virtual(clock) => clock.now(),
        }
    }

    /// Now, on the clock that times polls, in nanoseconds.
    #[inline]
    pub(crate) fn poll_clock_ns(&self) -> u64 {
        match self {
            Driver::Os(clock) => clock.now_ns(),
            Driver::Virtual(clock) => clock.elapsed_ns(),
        }
    }

    /// Waits for something to happen: events into `woken` (timers are fired
    /// by the loop afterwards). `has_work` says whether tasks are ready
    /// already (then the wait only collects what is ready now).
    pub(crate) fn park(
        &self,
        reactor: &Reactor,
        timers: &TimerQueue,
        has_work: bool,
        woken: &mut Vec<Waker>,
    ) -> Parked {
        match self {
            Driver::Os(_) => {
                if has_work && reactor.source_count() == 0 {
                    return Parked::Skipped;
                }
                let timeout = if has_work {
                    Some(Duration::ZERO)
                } else {
                    // About to block: measure the wait from a fresh reading.
                    let now = Instant::now();
                    timers
                        .next_deadline()
                        .map(|deadline| round_up_to_ms(deadline.saturating_duration_since(now)))
                };
                reactor.turn(timeout, woken);
                Parked::Waited
            }
            Driver::Virtual(clock) => {
                let turns = clock.count_turn();
                if turns > MAX_SIMULATED_TURNS {
                    // A run that never ends (a task yielding forever, an
                    // interval ticking forever beside a deadlock): stop it.
                    std::panic::resume_unwind(Box::new(TooLong { turns }));
                }
                if has_work {
                    return Parked::Skipped;
                }
                match timers.next_deadline() {
                    Some(deadline) => {
                        clock.advance_to(deadline);
                        Parked::Waited
                    }
                    None => Parked::Stuck,
                }
            }
        }
    }
}

/// Rounds up to a whole millisecond: `epoll_wait` counts in milliseconds, and
/// rounding down would wake the loop before the deadline.
fn round_up_to_ms(duration: Duration) -> Duration {
    let millis = duration.as_nanos().div_ceil(1_000_000);
    Duration::from_millis(u64::try_from(millis).unwrap_or(u64::MAX))
}

/// The payload a stuck simulated loop unwinds with, out of `block_on`, to
/// the simulation that runs it (`crate::sim`), which turns it into a
/// deadlock report. Never seen by a real loop.
#[derive(Debug)]
pub(crate) struct Stuck {
    /// The names of the tasks that wait (`"unnamed"` for unnamed ones), in
    /// spawn order.
    pub(crate) waiting: Vec<String>,
}
