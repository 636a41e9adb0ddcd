//! A task's state, in one atomic word, and the transitions between states.
//!
//! Several threads race over one task: the worker polling it, any thread
//! waking it, a `JoinHandle::abort` on yet another thread. Each transition is
//! one compare-and-swap on a word of flag bits, so exactly one of the racers
//! wins each step (for instance: of two wakers, exactly one queues the task).
//!
//! ```text
//!  spawn ──► SCHEDULED ──worker pops──► RUNNING ──Pending──► idle (no flag)
//!               ▲                        │  ▲                   │
//!               │          wake: +NOTIFIED  │                   │
//!               │                        ▼  │                   │
//!               └──── Pending, NOTIFIED ─┘  └─────── wake ──────┘
//!                                        │
//!                       Ready / panic / CANCELLED seen
//!                                        ▼
//!                                       DONE
//! ```
//!
//! `CANCELLED` (set by abort or shutdown) can join any state but `DONE`; the
//! next worker or aborter that owns the task drops its future.

#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

/// The task is in a run queue. The queue entry holds the reference a worker
/// will run; a task is in at most one queue at a time.
const SCHEDULED: usize = 1 << 0;
/// A worker (or an aborter, to drop the future) owns the task right now.
const RUNNING: usize = 1 << 1;
/// Woken while `RUNNING`: whoever owns it requeues it when its poll ends.
const NOTIFIED: usize = 1 << 2;
/// Finished, panicked or cancelled; the future is gone. Final.
const DONE: usize = 1 << 3;
/// Abort or shutdown asked for the future to be dropped.
const CANCELLED: usize = 1 << 4;

/// What a worker must do with a task it popped from a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// Poll it.
    Poll,
    /// It was aborted while queued: drop its future instead.
    Cancel,
}

/// What happens to a task after a poll returned `Pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterPoll {
    /// Nobody woke it: it waits; its waker now holds the only way back.
    Idle,
    /// It was woken during the poll (`yield_now` does that): queue it again.
    Reschedule,
    /// It was aborted during the poll: drop its future now.
    Cancel,
}

/// What `abort` must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Abort {
    /// Nothing: the task is done, or its owner (a worker) will cancel it.
    Nothing,
    /// The task was idle and the aborter now owns it: drop its future.
    CancelNow,
}

/// The state word. See the module docs.
pub(crate) struct State(AtomicUsize);

impl State {
    /// A freshly spawned task: about to be queued.
    pub(crate) fn new_scheduled() -> State {
        State(AtomicUsize::new(SCHEDULED))
    }

    /// Applies `step` until the compare-and-swap succeeds; `step` returns the
    /// new word (or `None` to leave it) and the result to give back.
    fn update<R>(&self, mut step: impl FnMut(usize) -> (Option<usize>, R)) -> R {
        let mut current = self.0.load(Ordering::Acquire);
        loop {
            let (next, result) = step(current);
            let Some(next) = next else { return result };
            match self
                .0
                .compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return result,
                Err(actual) => current = actual,
            }
        }
    }

    /// A wake. Returns true if the caller must queue the task (it was idle);
    /// a wake of a queued, running or done task costs nothing more.
    pub(crate) fn wake(&self) -> bool {
        self.update(|s| {
            if s & (DONE | SCHEDULED | NOTIFIED) != 0 {
                (None, false)
            } else if s & RUNNING != 0 {
                (Some(s | NOTIFIED), false)
            } else {
                (Some(s | SCHEDULED), true)
            }
        })
    }

    /// A worker popped the task from a queue and now owns it.
    pub(crate) fn start(&self) -> Start {
        self.update(|s| {
            debug_assert!(s & SCHEDULED != 0, "only a queued task is popped");
            let next = (s & !SCHEDULED) | RUNNING;
            let start = if s & CANCELLED != 0 {
                Start::Cancel
            } else {
                Start::Poll
            };
            (Some(next), start)
        })
    }

    /// The poll returned `Pending`.
    pub(crate) fn after_pending(&self) -> AfterPoll {
        self.update(|s| {
            if s & CANCELLED != 0 {
                (None, AfterPoll::Cancel) // still RUNNING: the owner cancels
            } else if s & NOTIFIED != 0 {
                (
                    Some((s & !(RUNNING | NOTIFIED)) | SCHEDULED),
                    AfterPoll::Reschedule,
                )
            } else {
                (Some(s & !RUNNING), AfterPoll::Idle)
            }
        })
    }

    /// The owner finished the task (output, panic or cancel).
    pub(crate) fn finish(&self) {
        self.0.fetch_or(DONE, Ordering::AcqRel);
        self.0
            .fetch_and(!(RUNNING | SCHEDULED | NOTIFIED), Ordering::AcqRel);
    }

    /// `JoinHandle::abort`.
    pub(crate) fn abort(&self) -> Abort {
        self.update(|s| {
            if s & (DONE | CANCELLED) != 0 {
                (None, Abort::Nothing)
            } else if s & (RUNNING | SCHEDULED) != 0 {
                (Some(s | CANCELLED), Abort::Nothing)
            } else {
                (Some(s | CANCELLED | RUNNING), Abort::CancelNow)
            }
        })
    }

    /// Shutdown: take the task to drop its future, unless a worker or an
    /// aborter owns it (they finish it) or it is done. A queued task is
    /// taken too: its queue entry is dropped unrun.
    pub(crate) fn take_for_shutdown(&self) -> bool {
        self.update(|s| {
            if s & (DONE | RUNNING) != 0 {
                (None, false)
            } else {
                (Some((s & !SCHEDULED) | CANCELLED | RUNNING), true)
            }
        })
    }

    /// Whether the task is done.
    pub(crate) fn is_done(&self) -> bool {
        self.0.load(Ordering::Acquire) & DONE != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_wakes_of_an_idle_task_queue_it_once() {
        let state = State::new_scheduled();
        assert_eq!(state.start(), Start::Poll);
        assert_eq!(state.after_pending(), AfterPoll::Idle);
        assert!(state.wake());
        assert!(!state.wake());
    }

    #[test]
    fn a_wake_during_the_poll_requeues_after_it() {
        let state = State::new_scheduled();
        state.start();
        assert!(!state.wake());
        assert_eq!(state.after_pending(), AfterPoll::Reschedule);
        assert_eq!(state.start(), Start::Poll);
    }

    #[test]
    fn abort_owns_an_idle_task_and_defers_for_a_running_one() {
        let idle = State::new_scheduled();
        idle.start();
        idle.after_pending();
        assert_eq!(idle.abort(), Abort::CancelNow);
        assert!(!idle.wake(), "the aborter owns it now");

        let running = State::new_scheduled();
        running.start();
        assert_eq!(running.abort(), Abort::Nothing);
        assert_eq!(running.after_pending(), AfterPoll::Cancel);
        running.finish();
        assert!(running.is_done());
        assert!(!running.wake());
    }

    #[test]
    fn a_queued_aborted_task_is_cancelled_when_popped() {
        let state = State::new_scheduled();
        assert_eq!(state.abort(), Abort::Nothing);
        assert_eq!(state.start(), Start::Cancel);
    }
}
