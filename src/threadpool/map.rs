//! `map` (results in input order) and `as_completed` (results in finish order).
//!
//! These are `Executor.map` and `concurrent.futures.as_completed` from
//! Python, built on handles.
//!
//! ## How `map` batches
//!
//! One job per item is the clearest mapping, and for items that take a
//! while (a download, a big sum) it is also the best one: the pool balances
//! the load item by item. But each job costs an allocation, a trip through
//! the queue's lock and a wake-up — around a microsecond. For items that
//! take nanoseconds that overhead is the whole bill, and the lock becomes
//! the bottleneck. So `map` gives each job a *batch* of consecutive items:
//!
//! - while there are at most [`JOBS_PER_WORKER`] items per worker, one item
//!   per job (so 160 downloads on 5 workers are 160 jobs);
//! - beyond that, `items / (workers × JOBS_PER_WORKER)` items per job, which
//!   keeps about 64 jobs per worker: enough for a worker that finishes early
//!   to pick up more, few enough that the queue is touched rarely.
//!
//! This is the `chunksize` of Python's `ProcessPoolExecutor.map`, chosen for
//! you. rayon decides the same thing adaptively, splitting a range in halves
//! only when another worker is idle to take one.
//!
//! ## How `as_completed` learns the finish order
//!
//! It gives each handle a waker that sends the handle's index over a
//! channel, and polls every handle once as a future. A finishing worker wakes
//! that waker, the index arrives, and the iterator takes that handle's
//! result. It is the same mechanism an event loop uses to learn that an
//! awaited job is done.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};

use super::error::{panic_message, JobError};
use super::gil::allow_threads;
use super::handle::Handle;
use super::pool::ThreadPool;

/// Up to this many items per worker, [`ThreadPool::map`] makes one job per
/// item; beyond it, it gives each job `items / (workers × JOBS_PER_WORKER)`
/// consecutive items, so there are about this many jobs per worker: enough
/// for load balancing, few enough that the queue's lock is rarely touched.
pub const JOBS_PER_WORKER: usize = 64;

/// One job of `map`: the results of a batch of consecutive items.
type BatchHandle<R> = Handle<Vec<Result<R, JobError>>>;

/// How many consecutive items one job of `map` takes.
fn batch_size(items: usize, workers: usize) -> usize {
    (items / (workers.max(1) * JOBS_PER_WORKER)).max(1)
}

/// Queues `f` over `items` in batches; see [`ThreadPool::map`].
pub(crate) fn map<F, T, R>(
    pool: &ThreadPool,
    f: F,
    items: impl IntoIterator<Item = T>,
) -> MapResults<R>
where
    F: Fn(T) -> R + Send + Sync + 'static,
    T: Send + 'static,
    R: Send + 'static,
{
    let items: Vec<T> = items.into_iter().collect();
    let total = items.len();
    let batch = batch_size(total, pool.workers());
    let f = Arc::new(f);
    let mut items = items.into_iter();
    let mut batch_lengths = Vec::with_capacity(total.div_ceil(batch));
    let mut jobs = Vec::with_capacity(total.div_ceil(batch));
    loop {
        let chunk: Vec<T> = items.by_ref().take(batch).collect();
        if chunk.is_empty() {
            break;
        }
        batch_lengths.push(chunk.len());
        let f = Arc::clone(&f);
        jobs.push(move || {
            chunk
                .into_iter()
                .map(|item| {
                    catch_unwind(AssertUnwindSafe(|| f(item)))
                        .map_err(|payload| JobError::Panicked(panic_message(&*payload)))
                })
                .collect::<Vec<Result<R, JobError>>>()
        });
    }
    let handles = pool.submit_batch(jobs);
    MapResults {
        batches: batch_lengths.into_iter().zip(handles).collect(),
        current: Vec::new().into_iter(),
        remaining: total,
    }
}

/// The results of [`ThreadPool::map`], in input order.
///
/// Each `next` blocks until the next item in order is done. Dropping the
/// iterator early does not stop the jobs; their results are dropped.
#[must_use = "the jobs run anyway, but their results are only seen through the iterator"]
pub struct MapResults<R> {
    /// Batches not yet joined, in input order, with their item counts.
    batches: VecDeque<(usize, BatchHandle<R>)>,
    /// Results of the batch being handed out.
    current: std::vec::IntoIter<Result<R, JobError>>,
    /// Results not yet yielded.
    remaining: usize,
}

impl<R> Iterator for MapResults<R> {
    type Item = Result<R, JobError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(result) = self.current.next() {
                self.remaining -= 1;
                return Some(result);
            }
            let (length, handle) = self.batches.pop_front()?;
            self.current = match handle.join() {
                Ok(results) => results.into_iter(),
                // A batch itself only fails when it was cancelled (each
                // item's panic is caught inside it): every item gets the error.
                Err(error) => (0..length)
                    .map(|_| Err(error.clone()))
                    .collect::<Vec<_>>()
                    .into_iter(),
            };
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<R> ExactSizeIterator for MapResults<R> {}

/// Yields the results of `handles` in the order the jobs finish — each
/// handle exactly once — like Python's `concurrent.futures.as_completed`.
/// Jobs already finished when this is called come first, in the order given.
///
/// # Examples
///
/// ```
/// use handspun::threadpool::{as_completed, ThreadPool};
///
/// let pool = ThreadPool::new(2);
/// let handles: Vec<_> = (1..=5u32).map(|i| pool.submit(move || i * 10)).collect();
/// let mut results: Vec<u32> = as_completed(handles).map(Result::unwrap).collect();
/// results.sort();
/// assert_eq!(results, vec![10, 20, 30, 40, 50]);
/// ```
pub fn as_completed<R>(handles: impl IntoIterator<Item = Handle<R>>) -> AsCompleted<R> {
    let (sender, finished) = mpsc::channel();
    let mut early = VecDeque::new();
    let mut waiting = Vec::new();
    let mut wakers = Vec::new();
    for (index, mut handle) in handles.into_iter().enumerate() {
        let waker = Waker::from(Arc::new(SendIndex {
            index,
            sender: sender.clone(),
        }));
        match Pin::new(&mut handle).poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(result) => {
                early.push_back(result);
                waiting.push(None);
            }
            Poll::Pending => waiting.push(Some(handle)),
        }
        wakers.push(waker);
    }
    let remaining = waiting.iter().filter(|handle| handle.is_some()).count();
    AsCompleted {
        early,
        waiting,
        wakers,
        finished,
        remaining,
    }
}

/// A waker that reports "handle `index` finished" over a channel.
struct SendIndex {
    /// Position of the handle in the list given to `as_completed`.
    index: usize,
    /// Where `AsCompleted` listens.
    sender: mpsc::Sender<usize>,
}

impl Wake for SendIndex {
    fn wake(self: Arc<Self>) {
        // The receiver may be gone (iterator dropped early): nothing to do.
        let _ = self.sender.send(self.index);
    }
}

/// The results of [`as_completed`], in finish order.
#[must_use = "iterate to receive the results"]
pub struct AsCompleted<R> {
    /// Results that were ready when `as_completed` was called.
    early: VecDeque<Result<R, JobError>>,
    /// The handles still running, by index; `None` once yielded.
    waiting: Vec<Option<Handle<R>>>,
    /// The waker given to each handle, by index (for re-polling).
    wakers: Vec<Waker>,
    /// Indices of handles whose jobs have finished, in finish order.
    finished: mpsc::Receiver<usize>,
    /// Handles in `waiting` that are still `Some`.
    remaining: usize,
}

impl<R> Iterator for AsCompleted<R> {
    type Item = Result<R, JobError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(result) = self.early.pop_front() {
            return Some(result);
        }
        while self.remaining > 0 {
            // Blocking here must not starve a GIL pool if we run inside one.
            let index = allow_threads(|| self.finished.recv()).ok()?;
            let Some(handle) = self.waiting[index].as_mut() else {
                continue; // Already yielded: a duplicate wake.
            };
            let mut cx = Context::from_waker(&self.wakers[index]);
            if let Poll::Ready(result) = Pin::new(handle).poll(&mut cx) {
                self.waiting[index] = None;
                self.remaining -= 1;
                return Some(result);
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.early.len() + self.remaining;
        (left, Some(left))
    }
}

impl<R> ExactSizeIterator for AsCompleted<R> {}
