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
//! And one trade: a worker whose queue just went empty does not sleep at
//! once. It looks again for a few tens of microseconds (spin-loop hints,
//! then two `yield_now`s) before it counts itself as sleeping, because a
//! sleeper costs the next push a system call and a wake-up of that length
//! (see `Patience` below, and `docs/benchmarks/threadpool.md` for the
//! numbers, which were measured with and without a competing load).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};

use super::sync::{lock, wait};
use super::task::Runnable;

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
    /// Jobs not yet started, oldest first. Invariant: if it is non-empty
    /// and a worker sleeps, a signal is on its way (`wakeups_pending > 0`),
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

/// How long an idle worker keeps looking before it sleeps: this many
/// rounds of [`PAUSES_PER_SPIN`] spin-loop hints (a few tens of
/// microseconds at most, about one wake-up's worth)...
const SPINS_BEFORE_SLEEP: u32 = 100;

/// `std::hint::spin_loop()` calls per spin round, between two looks at the
/// queue (each look takes the lock, so looking on every pause would fight
/// the submitter for it).
const PAUSES_PER_SPIN: u32 = 32;

/// ...then this many `thread::yield_now()`s, which let another runnable
/// thread on this core (the submitter, say) have the CPU first.
const YIELDS_BEFORE_SLEEP: u32 = 2;

/// An idle worker's countdown from "job just finished" to "go to sleep".
///
/// Sleeping on the condvar is cheap for the sleeper but dear for whoever
/// wakes it: a `futex_wake` system call, and on a virtual machine an
/// interrupt to an idle virtual CPU that the hypervisor must schedule
/// again — tens of microseconds before the worker runs. A worker that
/// keeps looking for a little while after its queue went empty is still
/// awake when the next job comes soon after, as it does in `map` and in a
/// burst of `submit`s. The price is CPU time burnt looking, which is taken
/// from other threads when they outnumber the cores; so the wait is short
/// and bounded, and ends in yields that give the core away.
struct Patience {
    /// Spin rounds left.
    spins: u32,
    /// Yields left, once the spins are used up.
    yields: u32,
}

impl Patience {
    /// Full patience: every spin and every yield left.
    fn new() -> Patience {
        Patience {
            spins: SPINS_BEFORE_SLEEP,
            yields: YIELDS_BEFORE_SLEEP,
        }
    }

    /// True while the worker should keep looking rather than sleep.
    fn left(&self) -> bool {
        self.spins > 0 || self.yields > 0
    }

    /// Waits one step: a spin round while any are left, then a yield.
    fn wait_a_little(&mut self) {
        if self.spins > 0 {
            self.spins -= 1;
            for _ in 0..PAUSES_PER_SPIN {
                std::hint::spin_loop();
            }
        } else {
            self.yields = self.yields.saturating_sub(1);
            std::thread::yield_now();
        }
    }
}

/// The shared FIFO queue between submitters and workers.
pub(crate) struct JobQueue<'a> {
    /// Guards the jobs, the admission state and the sleeper count. Held for
    /// a push or a pop only — never while a job runs.
    state: Mutex<QueueState<'a>>,
    /// Idle workers sleep here. Signalled (after the push, with the lock
    /// released) when a job arrives and someone sleeps; broadcast on close.
    job_available: Condvar,
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
            if unsignalled_sleeper {
                state.wakeups_pending += 1;
            }
            unsignalled_sleeper
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
            let signals = jobs
                .len()
                .min(state.sleeping.saturating_sub(state.wakeups_pending));
            state.wakeups_pending += signals;
            state.jobs.extend(jobs);
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
        let mut patience = Patience::new();
        let mut state = lock(&self.state);
        loop {
            if let Some(job) = state.jobs.pop_front() {
                return Some(job);
            }
            if state.admission == Admission::Closed {
                return None;
            }
            if patience.left() {
                // Look again soon, without the lock and without sleeping:
                // while this worker is not counted in `sleeping`, no push
                // pays a system call to signal it.
                drop(state);
                patience.wait_a_little();
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

    /// Whether no job is waiting (a snapshot).
    pub(crate) fn is_empty(&self) -> bool {
        lock(&self.state).jobs.is_empty()
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
