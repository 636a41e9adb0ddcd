//! The state the pool's threads share: the job queue, the pool's phase, and
//! one slot per worker — all behind one mutex, with one condition variable.
//!
//! Who touches it:
//!
//! - the caller's threads (`submit`, `map`...) push jobs and wake one
//!   supervisor;
//! - each supervisor thread pops jobs and records its worker's pid and state;
//! - `close`, `shutdown_now` and `Drop` change the phase and wake everyone.
//!
//! No user code runs and no handle is completed while the lock is held:
//! jobs are taken out of the queue first and finished after unlocking.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::error::ProcError;
use super::job::ReplyBody;
use crate::tuning::spin::{QuickAnswers, Spinners};

/// What the pool was built with (see [`Builder`](super::Builder)).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// How many workers (and supervisor threads) the pool runs.
    pub(crate) workers: usize,
    /// Run once in each new worker, before its first job.
    pub(crate) initializer: Option<fn()>,
    /// Replace a worker after it has answered this many jobs.
    pub(crate) max_jobs_per_worker: Option<usize>,
    /// Kill a worker whose job runs longer than this.
    pub(crate) job_timeout: Option<Duration>,
    /// How many times to run a job again after its worker died.
    pub(crate) retries: u32,
}

/// One queued job: its frame, and what to do with its outcome.
pub(crate) struct Job {
    /// The complete job frame (length prefix included), kept until the job
    /// ends so it can be sent again after a worker death.
    pub(crate) frame: Vec<u8>,
    /// Decodes the reply and completes the handle(s). Called exactly once,
    /// never under the pool lock.
    pub(crate) on_done: Box<dyn FnOnce(Result<ReplyBody, ProcError>) + Send>,
    /// How many more times the job may be sent again if its worker dies.
    pub(crate) retries_left: u32,
}

impl Job {
    /// Ends the job with `outcome`, completing its handle.
    pub(crate) fn finish(self, outcome: Result<ReplyBody, ProcError>) {
        (self.on_done)(outcome);
    }
}

/// The pool's life cycle. It only moves forward: `Running` → `Draining` →
/// `Stopping`, and `Running` → `Stopping`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Accepting jobs; workers that die are replaced at once.
    Running,
    /// The pool was closed or dropped: no new jobs; each supervisor finishes
    /// the queue with the others, then stops its worker and exits.
    Draining,
    /// `shutdown_now` was called: the queue was emptied (those jobs were
    /// cancelled), the workers were killed; supervisors reap and exit.
    Stopping,
}

/// What one worker slot is doing, as its supervisor last recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WorkerState {
    /// No live process: not forked yet, or dead and reaped, or retired.
    Vacant,
    /// Alive, and its supervisor is waiting for a job (set when the queue
    /// is found empty, or when a fresh worker is forked).
    Idle,
    /// Its supervisor has taken a job and is sending it, waiting for the
    /// reply, or delivering it (set when a job is taken from the queue).
    Busy,
}

/// One worker slot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WorkerSlot {
    /// The pid of the slot's process. `Some` exactly while that process
    /// exists and is not reaped yet: the supervisor sets it after `fork` and
    /// clears it, under the lock, *before* reaping. So whoever reads a `Some`
    /// under the lock may signal that pid without hitting a recycled one.
    pub(crate) pid: Option<i32>,
    /// What the slot is doing.
    pub(crate) state: WorkerState,
}

/// Everything behind [`Shared::state`].
pub(crate) struct PoolState {
    /// Jobs not yet taken by a supervisor, oldest first (retried jobs go back
    /// to the front).
    pub(crate) queue: VecDeque<Job>,
    /// Where the pool is in its life cycle.
    pub(crate) phase: Phase,
    /// One slot per worker; index = worker index.
    pub(crate) workers: Vec<WorkerSlot>,
}

/// The state shared by the pool handle and its supervisor threads.
pub(crate) struct Shared {
    /// The one lock of the pool.
    pub(crate) state: Mutex<PoolState>,
    /// Signalled when a job is queued (one waiter) or the phase changes
    /// (all waiters).
    pub(crate) work_available: Condvar,
    /// Fixed at build time.
    pub(crate) config: Config,
    /// Tuning: whether replies have been coming quickly, so that waiting for
    /// the next reply or result should spin before sleeping
    /// (`tuning/spin.rs`). Written by the supervisors; read by them and by
    /// every handle.
    pub(crate) quick_replies: Arc<QuickAnswers>,
    /// Tuning: the supervisors spinning for a job right now, so that
    /// `enqueue` wakes a sleeping one only for jobs beyond those
    /// (`tuning/spin.rs`).
    pub(crate) spinners: Spinners,
}

impl Shared {
    /// Locks the pool state. No code that can panic runs under this lock,
    /// so a poisoned lock still guards consistent state and is used as is.
    pub(crate) fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the oldest queued job if the lock is free right now: a look that
    /// never waits, for a supervisor that spins before it sleeps (waiting for
    /// the lock there would hold up the caller that is queueing the job).
    pub(crate) fn try_pop(&self) -> Option<Job> {
        let mut state = self.state.try_lock().ok()?;
        let job = state.queue.pop_front()?;
        // Under the lock, as the job is taken: `enqueue` no longer counts
        // on this supervisor (`tuning/spin.rs`, `Spinners`).
        self.spinners.found();
        Some(job)
    }

    /// Records what worker slot `index` is doing now.
    pub(crate) fn set_worker(&self, index: usize, pid: Option<i32>, state: WorkerState) {
        self.lock().workers[index] = WorkerSlot { pid, state };
    }
}
