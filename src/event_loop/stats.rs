//! `Stats` and `TaskStats`: figures the loop keeps about its tasks, in total
//! and one by one, for reports, tests and scheduler experiments.

#![forbid(unsafe_code)]

use std::cell::Cell;
use std::time::Duration;

use super::task::{Header, TaskId, TaskState};

/// One task's figures: how often it ran, how long it held the thread, how
/// long it waited for its turn.
///
/// From [`JoinHandle::stats`](super::JoinHandle::stats) (while or after it
/// runs), and for every finished task from
/// [`EventLoop::task_stats`](super::EventLoop::task_stats) when the loop was
/// built with [`Builder::keep_task_stats`](super::Builder::keep_task_stats).
/// Durations are on the loop's [`PollClock`](super::PollClock), like
/// [`Stats`]'.
///
/// # Examples
///
/// ```
/// use handspun::event_loop::{self, EventLoop};
///
/// let mut ev = EventLoop::builder().keep_task_stats(true).build().unwrap();
/// ev.block_on(async {
///     let worker = event_loop::spawn_named("worker", async {
///         for _ in 0..3 {
///             event_loop::yield_now().await;
///         }
///     });
///     worker.await.unwrap();
/// });
/// let stats = ev.task_stats();
/// assert_eq!(stats.len(), 1);
/// assert_eq!(stats[0].name.as_deref(), Some("worker"));
/// assert_eq!(stats[0].polls, 4);
/// assert!(stats[0].longest_ready_wait <= stats[0].ready_wait);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskStats {
    /// The task's id.
    pub id: TaskId,
    /// The name it was spawned with, if any.
    pub name: Option<String>,
    /// Where it is in its life now.
    pub state: TaskState,
    /// How many times it was polled.
    pub polls: u64,
    /// Total time spent inside its polls.
    pub busy: Duration,
    /// Total time spent ready but not running.
    pub ready_wait: Duration,
    /// The longest single stretch spent ready but not running: how long the
    /// scheduler made it wait at worst.
    pub longest_ready_wait: Duration,
}

impl TaskStats {
    /// The figures in a task's header now.
    pub(crate) fn of(header: &Header) -> TaskStats {
        TaskStats {
            id: header.id,
            name: header.name.as_deref().map(str::to_string),
            state: header.state.get(),
            polls: header.polls.get(),
            busy: Duration::from_nanos(header.busy_ns.get()),
            ready_wait: Duration::from_nanos(header.ready_wait_ns.get()),
            longest_ready_wait: Duration::from_nanos(header.longest_ready_wait_ns.get()),
        }
    }
}

/// A snapshot of one loop's counters, from [`EventLoop::stats`].
///
/// Inside a task, [`event_loop::stats`](super::stats) gives the same
/// snapshot.
///
/// The durations (`ready_wait`, `busy`) are sums of readings of the loop's
/// [`PollClock`]. By default that is the kernel's coarse clock (resolution
/// 1–4 ms; see the loop's `clock.rs`): any single short poll may count as
/// zero or as one tick, but the sums are unbiased.
///
/// [`EventLoop::stats`]: super::EventLoop::stats
/// [`PollClock`]: super::PollClock
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
