//! `QueuePolicy`: which queue the workers share — the one-lock lesson, or per-worker deques with stealing.

use super::queue::{Job, JobQueue};
use super::stealing::StealingQueues;

/// How jobs wait for a worker. Chosen with
/// [`Builder::queue`](super::Builder::queue).
///
/// # Examples
///
/// ```
/// use handspun::threadpool::{QueuePolicy, ThreadPool};
///
/// let pool = ThreadPool::builder().workers(2).queue(QueuePolicy::Stealing).build().unwrap();
/// let total: u64 = pool.map(|n: u64| n, 0..1_000).map(Result::unwrap).sum();
/// assert_eq!(total, 499_500);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueuePolicy {
    /// One `Mutex<VecDeque>` and one `Condvar` shared by everyone: strictly
    /// first in, first out, and the lesson of this module (`queue.rs`).
    #[default]
    Shared,
    /// One deque per worker; pushes go round robin, and an idle worker
    /// steals half of another's jobs (`stealing.rs`). Less contention on
    /// tiny jobs; jobs start roughly, not strictly, in submission order.
    Stealing,
}

/// The queue(s) of a running pool, whichever the policy.
pub(crate) enum Queues {
    /// [`QueuePolicy::Shared`].
    Shared(JobQueue<'static>),
    /// [`QueuePolicy::Stealing`].
    Stealing(StealingQueues),
}

impl Queues {
    /// Empty queues of `policy` for `workers` workers.
    pub(crate) fn new(policy: QueuePolicy, workers: usize) -> Queues {
        match policy {
            QueuePolicy::Shared => Queues::Shared(JobQueue::new()),
            QueuePolicy::Stealing => Queues::Stealing(StealingQueues::new(workers)),
        }
    }

    /// Queues a job; gives it back if the pool is closed.
    pub(crate) fn push(&self, job: Job<'static>) -> Result<(), Job<'static>> {
        match self {
            Queues::Shared(queue) => queue.push(job),
            Queues::Stealing(queues) => queues.push(job),
        }
    }

    /// Queues many jobs at once; gives them all back if the pool is closed.
    pub(crate) fn push_batch(&self, jobs: Vec<Job<'static>>) -> Result<(), Vec<Job<'static>>> {
        match self {
            Queues::Shared(queue) => queue.push_batch(jobs),
            Queues::Stealing(queues) => queues.push_batch(jobs),
        }
    }

    /// The next job for worker `worker`, blocking; `None` when it should exit.
    pub(crate) fn pop(&self, worker: usize) -> Option<Job<'static>> {
        match self {
            Queues::Shared(queue) => queue.pop(),
            Queues::Stealing(queues) => queues.pop(worker),
        }
    }

    /// Refuses new jobs; queued ones still run, then workers exit.
    pub(crate) fn close(&self) {
        match self {
            Queues::Shared(queue) => queue.close(),
            Queues::Stealing(queues) => queues.close(),
        }
    }

    /// Refuses new jobs and takes out those not started.
    pub(crate) fn close_and_drain(&self) -> Vec<Job<'static>> {
        match self {
            Queues::Shared(queue) => queue.close_and_drain(),
            Queues::Stealing(queues) => queues.close_and_drain(),
        }
    }
}
