//! `QueuePolicy`: the contract between a pool and its job queue — the one-lock FIFO is one answer, stealing another, yours a third.
//!
//! A pool needs four things from the place its jobs wait: take a job
//! ([`push`](QueuePolicy::push)), hand one to a worker, blocking while there
//! is none ([`pop`](QueuePolicy::pop)), stop taking jobs
//! ([`close`](QueuePolicy::close)) and give back the ones not started
//! ([`close_and_drain`](QueuePolicy::close_and_drain)). Which job a worker
//! gets, and how idle workers wait, is the policy. Two are built in:
//!
//! - [`SharedQueue`], the default and the lesson of this module: one
//!   `Mutex<VecDeque>` and one `Condvar`, strictly first in, first out
//!   (`queue.rs`);
//! - [`StealingQueues`]: one deque per worker, and an idle worker steals
//!   half of another's (`stealing.rs`).
//!
//! A policy of your own is a type implementing [`QueuePolicy`], chosen with
//! [`Builder::queue`](super::Builder::queue); `examples/lifo_pool.rs` writes
//! one (newest job first) in a few dozen lines. The trait's docs list what
//! every policy must keep.

use super::queue::{Job, JobQueue};
use super::stealing;

/// One job waiting in a queue: opaque to the policy, which only decides
/// when, and to which worker, it is handed out.
pub struct QueuedJob(pub(crate) Job<'static>);

impl std::fmt::Debug for QueuedJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueuedJob").finish_non_exhaustive()
    }
}

/// How jobs wait for a worker: a pool's queue, chosen with
/// [`Builder::queue`](super::Builder::queue).
///
/// The pool calls `push` and `push_batch` from any thread that submits, and
/// `pop(i)` from worker `i` only (`0 <= i < workers`). An implementation
/// must keep four rules:
///
/// - **No job lost.** A job `push` accepted is, exactly once, either
///   returned by `pop` or by `close_and_drain`.
/// - **No worker left asleep beside work.** While a job waits, `pop` must
///   not leave every worker blocked: a push wakes a sleeper (or knows one
///   is awake and will look).
/// - **Closing ends the workers.** After `close`, pushes are refused and
///   `pop` returns the queued jobs, then `None` to every worker, which is
///   its cue to exit. `close` wakes every sleeper so each can see it.
/// - **No job runs inside the policy.** A job is only moved around; the
///   worker runs it after `pop` returns, with no lock of the policy held.
///
/// # Examples
///
/// The built-in policies, side by side:
///
/// ```
/// use handspun::threadpool::{SharedQueue, StealingQueues, ThreadPool};
///
/// let fifo = ThreadPool::builder().workers(2).queue::<SharedQueue>().build().unwrap();
/// let stealing = ThreadPool::builder().workers(2).queue::<StealingQueues>().build().unwrap();
/// for pool in [fifo, stealing] {
///     let total: u64 = pool.map(|n: u64| n, 0..1_000).map(Result::unwrap).sum();
///     assert_eq!(total, 499_500);
/// }
/// ```
pub trait QueuePolicy: Send + Sync + 'static {
    /// An empty, open queue for a pool of `workers` workers (at least 1).
    fn new(workers: usize) -> Self
    where
        Self: Sized;

    /// Queues a job, waking a worker if one should come for it.
    ///
    /// # Errors
    ///
    /// Gives the job back if the queue is closed; the pool then cancels it.
    fn push(&self, job: QueuedJob) -> Result<(), QueuedJob>;

    /// Queues many jobs at once. The default pushes them one by one; a
    /// policy can do better (one lock, one wake-up per sleeper).
    ///
    /// # Errors
    ///
    /// Gives back the jobs not queued if the queue is (or became) closed.
    fn push_batch(&self, jobs: Vec<QueuedJob>) -> Result<(), Vec<QueuedJob>> {
        let mut jobs = jobs.into_iter();
        while let Some(job) = jobs.next() {
            if let Err(job) = self.push(job) {
                return Err(std::iter::once(job).chain(jobs).collect());
            }
        }
        Ok(())
    }

    /// The next job for worker `worker`, blocking while there is none and
    /// the queue is open; `None` once it is closed and empty.
    fn pop(&self, worker: usize) -> Option<QueuedJob>;

    /// Refuses further pushes and wakes every sleeping worker; jobs already
    /// queued still run.
    fn close(&self);

    /// Closes, and takes out every job not yet started (the pool cancels
    /// them).
    fn close_and_drain(&self) -> Vec<QueuedJob>;
}

/// The default policy: one queue behind one lock, first in, first out
/// (`queue.rs`, the lesson of this module). What Python's
/// `ThreadPoolExecutor` does.
pub struct SharedQueue(JobQueue<'static>);

impl QueuePolicy for SharedQueue {
    fn new(_workers: usize) -> SharedQueue {
        SharedQueue(JobQueue::new())
    }

    fn push(&self, job: QueuedJob) -> Result<(), QueuedJob> {
        self.0.push(job.0).map_err(QueuedJob)
    }

    fn push_batch(&self, jobs: Vec<QueuedJob>) -> Result<(), Vec<QueuedJob>> {
        let jobs = jobs.into_iter().map(|job| job.0).collect();
        self.0.push_batch(jobs).map_err(wrap)
    }

    fn pop(&self, _worker: usize) -> Option<QueuedJob> {
        self.0.pop().map(QueuedJob)
    }

    fn close(&self) {
        self.0.close();
    }

    fn close_and_drain(&self) -> Vec<QueuedJob> {
        wrap(self.0.close_and_drain())
    }
}

/// Per-worker deques with stealing (`stealing.rs`): less contention on tiny
/// jobs; jobs start roughly, not strictly, in submission order.
pub struct StealingQueues(stealing::Deques);

impl QueuePolicy for StealingQueues {
    fn new(workers: usize) -> StealingQueues {
        StealingQueues(stealing::Deques::new(workers))
    }

    fn push(&self, job: QueuedJob) -> Result<(), QueuedJob> {
        self.0.push(job.0).map_err(QueuedJob)
    }

    fn push_batch(&self, jobs: Vec<QueuedJob>) -> Result<(), Vec<QueuedJob>> {
        let jobs = jobs.into_iter().map(|job| job.0).collect();
        self.0.push_batch(jobs).map_err(wrap)
    }

    fn pop(&self, worker: usize) -> Option<QueuedJob> {
        self.0.pop(worker).map(QueuedJob)
    }

    fn close(&self) {
        self.0.close();
    }

    fn close_and_drain(&self) -> Vec<QueuedJob> {
        wrap(self.0.close_and_drain())
    }
}

/// Wraps jobs for the policy's callers (the same layout: no copy is made).
fn wrap(jobs: Vec<Job<'static>>) -> Vec<QueuedJob> {
    jobs.into_iter().map(QueuedJob).collect()
}

/// Which policy a pool is built with: a constructor and a name, so a
/// builder can be cloned and every pool gets a queue of its own.
#[derive(Clone, Copy)]
pub(crate) struct PolicyChoice {
    /// The policy's type name, for `Debug`.
    pub(crate) name: &'static str,
    /// Makes an empty queue for `workers` workers.
    pub(crate) make: fn(usize) -> Box<dyn QueuePolicy>,
}

impl PolicyChoice {
    /// The choice of `P`.
    pub(crate) fn of<P: QueuePolicy>() -> PolicyChoice {
        PolicyChoice {
            name: std::any::type_name::<P>(),
            make: |workers| Box::new(P::new(workers)),
        }
    }
}

impl std::fmt::Debug for PolicyChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}
