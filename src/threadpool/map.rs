//! `map`: one function over many items, results in input order.
//!
//! This is Python's `Executor.map`, built on handles.
//!
//! ## How `map` batches
//!
//! One job per item is the clearest mapping, and for items that take a
//! while (a download, a big sum) it is also the best one: the pool balances
//! the load item by item. But each job costs an allocation, a trip through
//! the queue's lock and often a wake-up — a few hundred nanoseconds (the
//! `fan_in` benchmark measures it). For items that
//! take nanoseconds that overhead is the whole bill, and the lock becomes
//! the bottleneck. So `map` gives each job a *batch* of consecutive items:
//!
//! - while there are at most [`ONE_JOB_PER_ITEM_UP_TO`] (64) items per
//!   worker, one item per job (so 160 downloads on 5 workers are 160 jobs);
//! - beyond that, [`BATCHES_PER_WORKER`] (8) batches per worker: enough for
//!   a worker that finishes early to pick up more, few enough that the
//!   queue is touched rarely.
//!
//! Batches are queued as soon as they are cut, so workers start on the
//! first while the caller cuts the rest. A batch whose items all succeed
//! hands back a plain `Vec<R>`; only a batch with a panic pays for one
//! `Result` per item.
//!
//! This is the `chunksize` of Python's `ProcessPoolExecutor.map`, chosen for
//! you. rayon decides the same thing adaptively, splitting a range in halves
//! only when another worker is idle to take one.
//!
//! ## The caller helps
//!
//! Once every batch is queued, the caller has nothing to do but wait. Rather
//! than sleep until the workers are done, it runs batches itself: every
//! batch's handle can run its job on the calling thread if no worker has
//! started it yet (`Task::run` does nothing to a job that already started,
//! so a batch never runs twice; the worker that pops it later skips it).
//! [`MapResults::into_vec`] runs the unstarted batches from the back while
//! the workers take them from the front; iterating runs the next batch in
//! order if nobody has started it. This is rayon's "work while you wait".
//!
//! It matters most on an idle machine. A worker asleep on the queue's
//! condvar needs a system call to be woken and, on a virtual machine, the
//! hypervisor to schedule its idle virtual CPU again: tens of microseconds,
//! longer than 100_000 additions take. With the caller helping, that
//! wake-up is no longer on the critical path: the caller starts at once,
//! and the woken workers join in when they arrive. It also means `map`
//! finishes even when every worker is busy — say, blocked in a job that is
//! itself waiting for this `map`. Batches the caller runs keep the rules:
//! no lock held, panics caught per item, the GIL held in a GIL pool.
//!
//! ## Owned items, shared items
//!
//! [`ThreadPool::map`] takes its items by value: it must hand them to
//! `'static` jobs, so it moves them into the batches (one pass over the
//! items on the caller's thread). [`ThreadPool::map_shared`] takes an
//! `Arc<[T]>` instead, and each job reads its range in place: the caller
//! only cuts ranges, which is what lets tiny items keep up with rayon's
//! `par_iter` over a borrowed slice.
//!
//! Results come back the same way in both: each batch returns its own
//! `Vec<R>`, and [`MapResults::into_vec`] joins them with block copies.
//! rayon's workers write straight into the final vector instead, each into
//! its own uninitialised slice of it. From `'static` pool jobs that needs
//! `unsafe` (a job cannot borrow the caller's vector), which this module
//! forbids, so the caller pays one copy of the results — the largest item
//! left in the `tiny_tasks` profile.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use super::error::{panic_message, JobError};
use super::handle::Handle;
use super::pool::ThreadPool;

/// Up to this many items per worker, [`ThreadPool::map`] makes one job per
/// item (the right choice for slow items such as downloads).
pub const ONE_JOB_PER_ITEM_UP_TO: usize = 64;

/// Beyond [`ONE_JOB_PER_ITEM_UP_TO`] items per worker, [`ThreadPool::map`]
/// cuts the items into this many batches per worker: enough that a worker
/// which finishes early finds more to do, few enough that the queue's lock
/// and the wake-ups are paid a handful of times, not once per item.
pub const BATCHES_PER_WORKER: usize = 8;

/// How many consecutive items one job of `map` takes.
fn batch_size(items: usize, workers: usize) -> usize {
    let workers = workers.max(1);
    if items <= workers * ONE_JOB_PER_ITEM_UP_TO {
        1
    } else {
        items.div_ceil(workers * BATCHES_PER_WORKER)
    }
}

/// What one batch job hands back.
enum BatchOutput<R> {
    /// Every item succeeded: just the values (the common, compact case).
    Values(Vec<R>),
    /// Some item panicked: one result per item.
    Mixed(Vec<Result<R, JobError>>),
}

/// One job of `map`: the outputs of a batch of consecutive items.
type BatchHandle<R> = Handle<BatchOutput<R>>;

/// Runs `f` on every item of a batch. The loop runs inside one
/// `catch_unwind`; if an item panics, the panic is recorded at that item's
/// position and the loop resumes with the next item. (A `catch_unwind` per
/// item would cost little, but it keeps the loop from being a tight one.)
fn run_batch<T, R>(f: impl Fn(T) -> R, batch: impl ExactSizeIterator<Item = T>) -> BatchOutput<R> {
    let mut values = Vec::with_capacity(batch.len());
    let mut panics: Vec<(usize, JobError)> = Vec::new();
    let mut items = batch;
    loop {
        // `extend` keeps the length in a register and writes it back even
        // when `f` unwinds, so `values` holds exactly the values made so far.
        let finished = catch_unwind(AssertUnwindSafe(|| values.extend(items.by_ref().map(&f))));
        match finished {
            Ok(()) => break,
            Err(payload) => {
                let position = values.len() + panics.len();
                panics.push((position, JobError::Panicked(panic_message(&*payload))));
            }
        }
    }
    if panics.is_empty() {
        return BatchOutput::Values(values);
    }
    let mut mixed = Vec::with_capacity(values.len() + panics.len());
    let mut values = values.into_iter();
    for (position, error) in panics {
        mixed.extend(values.by_ref().take(position - mixed.len()).map(Ok));
        mixed.push(Err(error));
    }
    mixed.extend(values.map(Ok));
    BatchOutput::Mixed(mixed)
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
    let items = items.into_iter();
    // The batch size depends on the count: use the iterator's exact length
    // if it knows it, otherwise collect first.
    match items.size_hint() {
        (lower, Some(upper)) if lower == upper => cut_and_queue(pool, f, items, lower),
        _ => {
            let collected: Vec<T> = items.collect();
            let total = collected.len();
            cut_and_queue(pool, f, collected.into_iter(), total)
        }
    }
}

/// Cuts `total` items into batches and queues each as soon as it is cut, so
/// workers start on the first while the caller cuts the rest.
fn cut_and_queue<F, T, R>(
    pool: &ThreadPool,
    f: F,
    mut items: impl Iterator<Item = T>,
    total: usize,
) -> MapResults<R>
where
    F: Fn(T) -> R + Send + Sync + 'static,
    T: Send + 'static,
    R: Send + 'static,
{
    let batch = batch_size(total, pool.workers());
    let f = Arc::new(f);
    let mut batches = VecDeque::with_capacity(total.div_ceil(batch));
    loop {
        let chunk: Vec<T> = items.by_ref().take(batch).collect();
        if chunk.is_empty() {
            break;
        }
        let length = chunk.len();
        let f = Arc::clone(&f);
        batches.push_back((
            length,
            pool.submit(move || run_batch(&*f, chunk.into_iter())),
        ));
    }
    MapResults::new(batches, pool.gil())
}

/// Queues `f` over shared `items` in batches; see [`ThreadPool::map_shared`].
pub(crate) fn map_shared<F, T, R>(pool: &ThreadPool, f: F, items: Arc<[T]>) -> MapResults<R>
where
    F: Fn(&T) -> R + Send + Sync + 'static,
    T: Send + Sync + 'static,
    R: Send + 'static,
{
    let total = items.len();
    let batch = batch_size(total, pool.workers());
    let f = Arc::new(f);
    // Nothing to cut, so nothing to overlap: queue every batch under one
    // lock acquisition rather than trading the lock with the workers.
    let ranges: Vec<(usize, usize)> = (0..total)
        .step_by(batch)
        .map(|start| (start, (start + batch).min(total)))
        .collect();
    let jobs = ranges.iter().map(|&(start, end)| {
        let f = Arc::clone(&f);
        let items = Arc::clone(&items);
        // The job reads its range in place: nothing is copied.
        move || run_batch(&*f, items[start..end].iter())
    });
    let handles = pool.submit_all(jobs);
    let batches = ranges
        .iter()
        .map(|(start, end)| end - start)
        .zip(handles)
        .collect();
    MapResults::new(batches, pool.gil())
}

/// The results of [`ThreadPool::map`], in input order.
///
/// Each `next` blocks until the next item in order is done. Dropping the
/// iterator early does not stop the jobs; their results are dropped.
#[must_use = "the jobs run anyway, but their results are only seen through the iterator"]
pub struct MapResults<R> {
    /// Batches not yet joined, in input order, with their item counts.
    batches: VecDeque<(usize, BatchHandle<R>)>,
    /// Values of the current batch, if every item in it succeeded. The hot
    /// path of `next` is this iterator alone.
    values: std::vec::IntoIter<R>,
    /// Results of the current batch, if some item in it panicked (or the
    /// batch was cancelled). Empty otherwise.
    mixed: std::vec::IntoIter<Result<R, JobError>>,
    /// Items in the batches not yet joined.
    in_batches: usize,
    /// The pool's GIL setting, so that batches the caller runs itself hold
    /// the GIL as a worker would.
    gil: Option<Duration>,
}

impl<R> MapResults<R> {
    /// Results in `batches`, none handed out yet.
    fn new(batches: VecDeque<(usize, BatchHandle<R>)>, gil: Option<Duration>) -> MapResults<R> {
        MapResults {
            gil,
            in_batches: batches.iter().map(|(length, _)| length).sum(),
            batches,
            values: Vec::new().into_iter(),
            mixed: Vec::new().into_iter(),
        }
    }

    /// Waits for every item and returns all values in input order, or the
    /// first error in input order. Equivalent to
    /// `self.collect::<Result<Vec<R>, JobError>>()`, but it moves each
    /// batch's values across in one block copy instead of item by item,
    /// which matters when items are tiny.
    ///
    /// # Errors
    ///
    /// The first [`JobError`] in input order: an item panicked, or the pool
    /// was shut down before its batch ran.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::threadpool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2);
    /// let doubled = pool.map(|n: u32| n * 2, 0..1_000).into_vec().unwrap();
    /// assert_eq!(doubled[999], 1998);
    /// ```
    pub fn into_vec(mut self) -> Result<Vec<R>, JobError> {
        let mut all = Vec::with_capacity(self.len());
        all.extend(self.values.by_ref());
        for result in self.mixed.by_ref() {
            all.push(result?);
        }
        // Work while waiting: run the batches no worker has started yet,
        // from the back, while the workers take them from the front.
        for (_, handle) in self.batches.iter().rev() {
            handle.run_here_if_not_started(self.gil);
        }
        for (length, handle) in std::mem::take(&mut self.batches) {
            match handle.join()? {
                BatchOutput::Values(mut values) => all.append(&mut values),
                BatchOutput::Mixed(results) => {
                    debug_assert_eq!(results.len(), length);
                    for result in results {
                        all.push(result?);
                    }
                }
            }
        }
        Ok(all)
    }

    /// The slow path of `next`: the mixed results of the current batch, or
    /// else the next batch (waiting for it).
    #[cold]
    fn next_slow(&mut self) -> Option<Result<R, JobError>> {
        loop {
            if let Some(result) = self.mixed.next() {
                return Some(result);
            }
            let (length, handle) = self.batches.pop_front()?;
            self.in_batches -= length;
            // Work while waiting: if no worker has started this batch yet,
            // run it here rather than sleep until one does.
            handle.run_here_if_not_started(self.gil);
            match handle.join() {
                Ok(BatchOutput::Values(values)) => {
                    self.values = values.into_iter();
                    if let Some(value) = self.values.next() {
                        return Some(Ok(value));
                    }
                }
                Ok(BatchOutput::Mixed(results)) => self.mixed = results.into_iter(),
                // A batch itself only fails when it was cancelled (each item's
                // panic is caught inside it): every item gets the error.
                Err(error) => {
                    self.mixed = (0..length)
                        .map(|_| Err(error.clone()))
                        .collect::<Vec<_>>()
                        .into_iter();
                }
            }
        }
    }
}

impl<R> Iterator for MapResults<R> {
    type Item = Result<R, JobError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self.values.next() {
            Some(value) => Some(Ok(value)),
            None => self.next_slow(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.values.len() + self.mixed.len() + self.in_batches;
        (left, Some(left))
    }
}

impl<R> ExactSizeIterator for MapResults<R> {}
