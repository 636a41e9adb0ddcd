//! The job queue: one `Mutex<VecDeque<Job>>` and one `Condvar`. The lesson of this module.
//!
//! Every submitter pushes to the back, every worker pops from the front, and
//! an idle worker sleeps on a condition variable until a push signals it.
//! That is all a thread pool needs, and it is what Python's
//! `ThreadPoolExecutor` does (a `queue.SimpleQueue` that is itself a lock
//! plus a condition).
//!
//! ## Why one lock
//!
//! It is the simplest design that is obviously correct: there is exactly one
//! place where a job can be, and the lock says who may touch it. First in,
//! first out, so jobs start in the order they were submitted.
//!
//! ## What the lock costs
//!
//! An uncontended `std::sync::Mutex` is one atomic compare-and-swap to lock
//! and one atomic swap to unlock (a few nanoseconds). Under contention it
//! gets dearer in three steps:
//!
//! 1. the cache line holding the lock and the deque's head bounces between
//!    cores (tens to a hundred nanoseconds per transfer);
//! 2. a thread that finds the lock taken spins briefly, then sleeps in the
//!    kernel (`futex_wait`), and the unlocker must make a system call
//!    (`futex_wake`) to wake it — microseconds, not nanoseconds;
//! 3. every operation is serialised: with W workers popping tiny jobs, the
//!    queue becomes the bottleneck and adding workers adds waiting, not work.
//!
//! For jobs of a millisecond, none of this shows. For jobs of a few
//! nanoseconds (adding two numbers), the lock *is* the cost, which is why
//! [`ThreadPool::map`](super::ThreadPool::map) hands out batches of items
//! rather than one job per item, and why production pools (rayon, tokio,
//! Go) give every worker its own deque and let idle ones steal.
//!
//! One more saving: signalling a condvar is a system call (`futex_wake`)
//! even when nobody sleeps on it, and a woken worker needs tens of
//! microseconds to actually run. So the queue counts its sleeping workers
//! and the wake-ups already on their way, and a push signals only when
//! there is a sleeper that no earlier push has already woken. A burst of
//! pushes onto a sleeping pool then costs one system call per worker, not
//! one per job.
//!
//! One piece of tuning sits in [`JobQueue::pop`]: a worker whose queue just
//! went empty may *look* again for a moment before it sleeps, because a
//! sleeper costs the next push a system call and a wake-up. A push need not
//! wake anybody for a job that a looking worker will take, so the lookers
//! are counted; and only `MAX_SPINNING` look at once, so that idle workers do not
//! take the CPU from the thread that is pushing
//! ([`tuning`](crate::tuning) says what that buys and where it is
//! measured).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};

use super::sync::{lock, try_lock, wait};
use super::task::Runnable;
use crate::tuning::spin::{Spinners, MAX_SPINNING};

/// A type-erased job that may borrow data living for `'a` (`'static` for
/// the pool, the caller's stack for a scope).
pub(crate) type Job<'a> = Arc<dyn Runnable + 'a>;

/// Whether the queue still takes new jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admission {
    /// Pushes are accepted; workers sleep when the queue is empty.
    Open,
    /// Pushes are refused; workers drain what is queued, then exit.
    Closed,
}

/// Everything the queue lock guards.
struct QueueState<'a> {
    /// Jobs not yet started, oldest first. Invariant: while a worker sleeps
    /// unsignalled, every queued job has a worker coming for it — a looking
    /// one (`JobQueue::lookers`) or a signalled sleeper (`wakeups_pending`) —
    /// so no job waits while a worker could run it.
    jobs: VecDeque<Job<'a>>,
    /// Whether pushes are accepted. Once `Closed`, never `Open` again.
    admission: Admission,
    /// Number of workers currently blocked in `job_available.wait`. Only
    /// changed by a worker, under the lock, right around its wait.
    sleeping: usize,
    /// Signals sent to sleepers that have not woken up yet. A push signals
    /// only while `wakeups_pending < sleeping`, so each sleeper is signalled
    /// once; a waking worker takes one off.
    wakeups_pending: usize,
}

/// The shared FIFO queue between submitters and workers.
pub(crate) struct JobQueue<'a> {
    /// Guards the jobs, the admission state and the sleeper count. Held for
    /// a push or a pop only — never while a job runs.
    state: Mutex<QueueState<'a>>,
    /// Idle workers sleep here. Signalled (after the push, with the lock
    /// released) when a job arrives and someone sleeps; broadcast on close.
    job_available: Condvar,
    /// Tuning: the idle workers looking for a job before they sleep; a push
    /// wakes a sleeper only for the jobs beyond them (`tuning/spin.rs`).
    lookers: Spinners,
}

impl<'a> JobQueue<'a> {
    /// An empty, open queue.
    pub(crate) fn new() -> JobQueue<'a> {
        JobQueue {
            state: Mutex::new(QueueState {
                jobs: VecDeque::new(),
                admission: Admission::Open,
                sleeping: 0,
                wakeups_pending: 0,
            }),
            job_available: Condvar::new(),
            lookers: Spinners::new(MAX_SPINNING),
        }
    }

    /// Appends a job and wakes one sleeping worker, unless every sleeper
    /// has already been signalled.
    ///
    /// # Errors
    ///
    /// Gives the job back if the queue is closed, so the caller can cancel it
    /// (outside any lock).
    pub(crate) fn push(&self, job: Job<'a>) -> Result<(), Job<'a>> {
        let wake_one = {
            let mut state = lock(&self.state);
            if state.admission == Admission::Closed {
                return Err(job);
            }
            state.jobs.push_back(job);
            let unsignalled_sleeper = state.sleeping > state.wakeups_pending;
            let nobody_looking = self.lookers.need_wake(state.jobs.len());
            let wake = unsignalled_sleeper && nobody_looking;
            if wake {
                state.wakeups_pending += 1;
            }
            wake
        };
        if wake_one {
            self.job_available.notify_one();
        }
        Ok(())
    }

    /// Appends many jobs under one lock acquisition and signals as many
    /// sleepers as there are new jobs (minus those already signalled).
    ///
    /// # Errors
    ///
    /// Gives every job back if the queue is closed.
    pub(crate) fn push_batch(&self, jobs: Vec<Job<'a>>) -> Result<(), Vec<Job<'a>>> {
        let signals = {
            let mut state = lock(&self.state);
            if state.admission == Admission::Closed {
                return Err(jobs);
            }
            let new = jobs.len();
            state.jobs.extend(jobs);
            let signals = new
                .min(self.lookers.beyond(state.jobs.len()))
                .min(state.sleeping.saturating_sub(state.wakeups_pending));
            state.wakeups_pending += signals;
            signals
        };
        for _ in 0..signals {
            self.job_available.notify_one();
        }
        Ok(())
    }

    /// Takes the oldest job, sleeping while the queue is empty and open.
    /// Returns `None` once the queue is closed and empty: the worker's cue to
    /// exit.
    pub(crate) fn pop(&self) -> Option<Job<'a>> {
        let mut state = lock(&self.state);
        let mut looked = false;
        loop {
            if let Some(job) = state.jobs.pop_front() {
                return Some(job);
            }
            if state.admission == Admission::Closed {
                return None;
            }
            if !looked {
                // Tuning: look again for a moment before sleeping.
                looked = true;
                drop(state);
                if let Some(found) = self.lookers.spin_then_sleep(|| self.look()) {
                    return found;
                }
                state = lock(&self.state);
                continue;
            }
            state.sleeping += 1;
            state = wait(&self.job_available, state);
            state.sleeping -= 1;
            // Woken by a push's signal, by `close`, or spuriously; in each
            // case one fewer signal is on its way (never below zero).
            state.wakeups_pending = state.wakeups_pending.saturating_sub(1);
        }
    }

    /// One look by a looking worker, which neither sleeps nor waits for the
    /// lock: `Some(Some(job))` for the oldest job, `Some(None)` if the queue
    /// is closed and empty — either way the worker stops looking, counted
    /// under the same lock — and `None` if the queue is open and empty, or
    /// somebody holds the lock (a push is under way: the next look will see
    /// it). Waiting for the lock here would put the looker to sleep in the
    /// kernel and make the pusher pay a system call to wake it, the very
    /// cost that looking avoids.
    fn look(&self) -> Option<Option<Job<'a>>> {
        let mut state = try_lock(&self.state)?;
        let found = match state.jobs.pop_front() {
            Some(job) => Some(job),
            None if state.admission == Admission::Closed => None,
            None => return None,
        };
        self.lookers.found();
        Some(found)
    }

    /// Refuses further pushes and wakes every sleeping worker so each can
    /// drain the queue and exit. Jobs already queued still run.
    pub(crate) fn close(&self) {
        lock(&self.state).admission = Admission::Closed;
        self.job_available.notify_all();
    }

    /// Closes the queue and takes out every job not yet started; the caller
    /// cancels them (outside the lock).
    pub(crate) fn close_and_drain(&self) -> Vec<Job<'a>> {
        let drained = {
            let mut state = lock(&self.state);
            state.admission = Admission::Closed;
            state.jobs.drain(..).collect()
        };
        self.job_available.notify_all();
        drained
    }
}
