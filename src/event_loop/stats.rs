//! `Stats`: counters the loop keeps about its tasks, for reports and tests.

#![forbid(unsafe_code)]

use std::cell::Cell;
use std::time::Duration;

use super::task::TaskState;

/// A snapshot of one loop's counters, from [`EventLoop::stats`].
///
/// The durations (`ready_wait`, `busy`) are sums of readings of the kernel's
/// coarse clock (resolution 1–4 ms; see the loop's `clock.rs`): any single
/// short poll may count as zero or as one tick, but the sums are unbiased.
///
/// [`EventLoop::stats`]: super::EventLoop::stats
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Tasks spawned so far.
    pub spawned: u64,
    /// Tasks now ready (queued in the scheduler, not yet polled).
    pub ready: u64,
    /// Tasks now waiting (parked on I/O, a timer, a channel or another task).
    pub waiting: u64,
    /// Tasks done (finished, panicked or aborted).
    pub done: u64,
    /// Tasks that ended in a panic.
    pub panicked: u64,
    /// Tasks that were aborted.
    pub aborted: u64,
    /// Polls of spawned tasks so far (the `block_on` future not included).
    pub polls: u64,
    /// Total time tasks spent ready but not yet running: the cost the
    /// scheduler's choices decide.
    pub ready_wait: Duration,
    /// Total time spent inside task polls.
    pub busy: Duration,
    /// Polls that held the thread longer than the slow-poll threshold.
    pub slow_polls: u64,
    /// Turns of the loop so far.
    pub turns: u64,
    /// Times a task spent its operation budget
    /// ([`BUDGET`](super::BUDGET)) in one poll and was made to yield.
    pub budget_yields: u64,
}

/// The live counters behind [`Stats`]. Loop thread only (plain `Cell`s).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) spawned: Cell<u64>,
    pub(crate) ready: Cell<u64>,
    pub(crate) running: Cell<u64>,
    pub(crate) waiting: Cell<u64>,
    pub(crate) done: Cell<u64>,
    pub(crate) panicked: Cell<u64>,
    pub(crate) aborted: Cell<u64>,
    pub(crate) polls: Cell<u64>,
    pub(crate) ready_wait: Cell<Duration>,
    pub(crate) busy: Cell<Duration>,
    pub(crate) slow_polls: Cell<u64>,
    pub(crate) turns: Cell<u64>,
    pub(crate) budget_yields: Cell<u64>,
}

/// Adds one to a counter.
#[inline]
pub(crate) fn bump(counter: &Cell<u64>) {
    counter.set(counter.get() + 1);
}

impl Counters {
    /// Moves one task from state `from` to state `to` in the per-state counts.
    #[inline]
    pub(crate) fn transition(&self, from: Option<TaskState>, to: TaskState) {
        if let Some(from) = from {
            let cell = self.of(from);
            cell.set(cell.get() - 1);
        }
        bump(self.of(to));
    }

    fn of(&self, state: TaskState) -> &Cell<u64> {
        match state {
            TaskState::Ready => &self.ready,
            TaskState::Running => &self.running,
            TaskState::Waiting => &self.waiting,
            TaskState::Done => &self.done,
        }
    }

    /// A snapshot.
    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            spawned: self.spawned.get(),
            ready: self.ready.get(),
            waiting: self.waiting.get(),
            done: self.done.get(),
            panicked: self.panicked.get(),
            aborted: self.aborted.get(),
            polls: self.polls.get(),
            ready_wait: self.ready_wait.get(),
            busy: self.busy.get(),
            slow_polls: self.slow_polls.get(),
            turns: self.turns.get(),
            budget_yields: self.budget_yields.get(),
        }
    }
}
