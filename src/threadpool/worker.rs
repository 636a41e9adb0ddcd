//! A worker: a thread that pops jobs and runs them until the queue closes.
//!
//! A worker is in one of three states, all implicit in [`work`]'s loop:
//!
//! - **idle**: in [`JobQueue::pop`], looking for a job for a moment, then
//!   asleep on the queue's condvar;
//! - **busy**: running a job (holding the GIL first, in a GIL pool);
//! - **exited**: the queue was closed and drained; the thread has returned.
//!
//! A job's panic never reaches this loop — the task catches it and stores it
//! as the job's result — so the only way out of the loop is the queue
//! closing. That is what "a panicking job never kills its worker" means.

use std::cell::Cell;
use std::time::Duration;

use super::gil::{is_held, GilGuard};
use super::policy::QueuePolicy;
use super::queue::{Job, JobQueue};
use super::task::Runnable;

thread_local! {
    /// The index of the pool worker this thread is, or `None` on any other
    /// thread. Set once when the worker starts.
    static WORKER_INDEX: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The index (`0..workers`) of the pool worker running the calling code, or
/// `None` if the caller is not a pool worker (the main thread, a scope's
/// helper thread, any other thread). Handy for traces and per-worker stats.
///
/// # Examples
///
/// ```
/// use handspun::threadpool::{current_worker, ThreadPool};
///
/// assert_eq!(current_worker(), None);
/// let pool = ThreadPool::new(3);
/// let index = pool.submit(current_worker).join().unwrap();
/// assert!(matches!(index, Some(0..=2)));
/// ```
pub fn current_worker() -> Option<usize> {
    WORKER_INDEX.get()
}

/// The body of pool worker number `index`.
pub(crate) fn run_pool_worker(index: usize, queue: &dyn QueuePolicy, gil: Option<Duration>) {
    WORKER_INDEX.set(Some(index));
    work(|| queue.pop(index).map(|job| job.0), gil);
}

/// The body of a scope's helper thread.
pub(crate) fn run_scope_helper(queue: &JobQueue<'_>, gil: Option<Duration>) {
    work(|| queue.pop(), gil);
}

/// Takes jobs from `next_job` and runs them until it says `None` (closed
/// and empty). In a GIL pool, each job runs with the GIL held (and may give
/// it up at checkpoints).
fn work<'a>(mut next_job: impl FnMut() -> Option<Job<'a>>, gil: Option<Duration>) {
    while let Some(job) = next_job() {
        run_holding_gil(gil, &*job);
    }
}

/// Runs `job` as a job of a pool with GIL setting `gil`: in a GIL pool,
/// with the GIL held (taken for the call unless this thread holds it
/// already, as a GIL-pool job that helps its own `map` does).
///
/// A job somebody else already started — `map`'s caller runs batches too —
/// is skipped without taking the GIL: waiting for the lock only to find
/// nothing to do would cost a switch interval for nothing.
pub(crate) fn run_holding_gil(gil: Option<Duration>, job: &(impl Runnable + ?Sized)) {
    match gil {
        Some(switch_interval) if !is_held() => {
            if !job.is_queued() {
                return;
            }
            let _gil = GilGuard::acquire(switch_interval);
            job.run();
        }
        _ => job.run(),
    }
}
