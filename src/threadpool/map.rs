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
//! It matters most when the workers are asleep. A worker asleep on the queue's
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
//! Results come back the same way in both: each batch writes its values
//! straight into its own part of the final vector, as rayon's workers do,
//! and [`MapResults::into_vec`] hands that vector over without copying. A
//! `'static` job cannot borrow the caller's vector, so the storage is
//! shared through `tuning::in_place` (the one place that needs `unsafe` for
//! it; this module forbids it). Taking results one by one from the
//! iterator moves each batch's values out as it goes; a batch with a panic
//! hands back one result per item instead.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use super::error::{panic_message, JobError};
use super::handle::Handle;
use super::pool::ThreadPool;
use crate::tuning::in_place::{InPlace, PartWriter};

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
    /// Every item succeeded, and the values are in the batch's part of the
    /// final vector (the common case: nothing to hand back).
    InPlace,
    /// Some item panicked: one result per item, the values moved out of the
    /// final vector's part.
    Mixed(Vec<Result<R, JobError>>),
}

/// One job of `map`: the outputs of a batch of consecutive items.
type BatchHandle<R> = Handle<BatchOutput<R>>;

/// Runs `f` on every item of a batch, writing each value straight into the
/// batch's part of the final vector. The loop runs inside one
/// `catch_unwind`; if an item panics, the values so far move out into one
/// result per item, the panic is recorded at that item's position, and the
/// rest of the batch goes on item by item. (A `catch_unwind` per item would
/// cost little, but it keeps the loop from being a tight one.)
fn run_batch<T, R>(
    f: impl Fn(T) -> R,
    batch: impl Iterator<Item = T>,
    mut out: PartWriter<R>,
) -> BatchOutput<R> {
    let mut items = batch;
    let payload = match catch_unwind(AssertUnwindSafe(|| out.fill(items.by_ref().map(&f)))) {
        Ok(()) => return BatchOutput::InPlace,
        Err(payload) => payload,
    };
    let mut mixed: Vec<Result<R, JobError>> = out.take_filled().into_iter().map(Ok).collect();
    mixed.push(Err(JobError::Panicked(panic_message(&*payload))));
    loop {
        // `extend` keeps the length in a register and writes it back even
        // when `f` unwinds, so `mixed` holds exactly the results so far.
        let rest = catch_unwind(AssertUnwindSafe(|| {
            mixed.extend(items.by_ref().map(|item| Ok(f(item))))
        }));
        match rest {
            Ok(()) => return BatchOutput::Mixed(mixed),
            Err(payload) => mixed.push(Err(JobError::Panicked(panic_message(&*payload)))),
        }
    }
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
    let mut items = items.into_iter();
    // The batch size depends on the count: use the iterator's exact length
    // if it knows it, otherwise collect first.
    let total = match items.size_hint() {
        (lower, Some(upper)) if lower == upper => lower,
        _ => {
            // A `Vec`'s iterator knows its length: this recursion ends.
            return map(pool, f, items.collect::<Vec<T>>());
        }
    };
    let batch = batch_size(total, pool.workers());
    let mut chunks: Vec<Vec<T>> = Vec::new();
    loop {
        let chunk: Vec<T> = items.by_ref().take(batch).collect();
        if chunk.is_empty() {
            break;
        }
        chunks.push(chunk);
    }
    let lengths: Vec<usize> = chunks.iter().map(Vec::len).collect();
    let (output, parts) = InPlace::new(&lengths);
    let f = Arc::new(f);
    let jobs = chunks.into_iter().zip(parts).map(|(chunk, part)| {
        let f = Arc::clone(&f);
        move || run_batch(&*f, chunk.into_iter(), part)
    });
    MapResults::new(output, &lengths, pool.submit_all(jobs), pool.gil())
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
    let starts: Vec<usize> = (0..total).step_by(batch).collect();
    let lengths: Vec<usize> = starts
        .iter()
        .map(|&start| batch.min(total - start))
        .collect();
    let (output, parts) = InPlace::new(&lengths);
    let f = Arc::new(f);
    let jobs = starts
        .iter()
        .zip(&lengths)
        .zip(parts)
        .map(|((&start, &length), part)| {
            let f = Arc::clone(&f);
            let items = Arc::clone(&items);
            // The job reads its range in place: nothing is copied.
            move || run_batch(&*f, items[start..start + length].iter(), part)
        });
    MapResults::new(output, &lengths, pool.submit_all(jobs), pool.gil())
}

/// The results of [`ThreadPool::map`], in input order.
///
/// Each `next` blocks until the next item in order is done. Dropping the
/// iterator early does not stop the jobs; their results are dropped.
#[must_use = "the jobs run anyway, but their results are only seen through the iterator"]
pub struct MapResults<R> {
    /// The final vector, filled in place by the batches (one part each).
    output: Arc<InPlace<R>>,
    /// Batches not yet joined, in input order.
    batches: VecDeque<Batch<R>>,
    /// Values of the current batch, if every item in it succeeded. The hot
    /// path of `next` is this iterator alone.
    values: std::vec::IntoIter<R>,
    /// Results of the current batch, if some item in it panicked (or the
    /// batch was cancelled). Empty otherwise.
    mixed: std::vec::IntoIter<Result<R, JobError>>,
    /// Items in the batches not yet joined.
    in_batches: usize,
    /// Whether `next` has taken a batch out of `output` already (then
    /// `output` can no longer become the whole result vector).
    handed_out: bool,
    /// The pool's GIL setting, so that batches the caller runs itself hold
    /// the GIL as a worker would.
    gil: Option<Duration>,
}

/// One queued batch of `map`.
struct Batch<R> {
    /// Its part of `MapResults::output`.
    part: usize,
    /// How many items it holds.
    length: usize,
    /// Its job.
    handle: BatchHandle<R>,
}

impl<R> MapResults<R> {
    /// Results of the batches behind `handles` (of the given lengths, one
    /// part of `output` each), none handed out yet.
    fn new(
        output: Arc<InPlace<R>>,
        lengths: &[usize],
        handles: Vec<BatchHandle<R>>,
        gil: Option<Duration>,
    ) -> MapResults<R> {
        let batches = lengths
            .iter()
            .zip(handles)
            .enumerate()
            .map(|(part, (&length, handle))| Batch {
                part,
                length,
                handle,
            })
            .collect();
        MapResults {
            output,
            batches,
            values: Vec::new().into_iter(),
            mixed: Vec::new().into_iter(),
            in_batches: lengths.iter().sum(),
            handed_out: false,
            gil,
        }
    }

    /// Waits for every item and returns all values in input order, or the
    /// first error in input order. Equivalent to
    /// `self.collect::<Result<Vec<R>, JobError>>()`, but when nothing has
    /// been taken from the iterator yet, the batches have already written
    /// their values into the vector it returns: nothing is copied.
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
        // Work while waiting: run the batches no worker has started yet,
        // from the back, while the workers take them from the front.
        for batch in self.batches.iter().rev() {
            batch.handle.run_here_if_not_started(self.gil);
        }
        // Until a batch needs it otherwise, the values stay where the
        // batches wrote them, and `all` stays empty.
        let mut all = Vec::new();
        let mut in_place = !self.handed_out;
        if !in_place {
            all.reserve(self.len());
            all.extend(self.values.by_ref());
            for result in self.mixed.by_ref() {
                all.push(result?);
            }
        }
        for batch in std::mem::take(&mut self.batches) {
            let output = batch.handle.join()?;
            if in_place && matches!(output, BatchOutput::InPlace) {
                continue;
            }
            if in_place {
                // The first batch that is not in place: move the earlier
                // ones out, and go on batch by batch.
                in_place = false;
                all.reserve(self.in_batches);
                for earlier in 0..batch.part {
                    all.append(&mut self.output.take_part(earlier));
                }
            }
            match output {
                BatchOutput::InPlace => all.append(&mut self.output.take_part(batch.part)),
                BatchOutput::Mixed(results) => {
                    debug_assert_eq!(results.len(), batch.length);
                    for result in results {
                        all.push(result?);
                    }
                }
            }
        }
        if !in_place {
            return Ok(all);
        }
        // Every batch joined and wrote all its values in place.
        match InPlace::into_vec(self.output) {
            Ok(values) => Ok(values),
            // Only if something else still held the storage: copy it out.
            Err(output) => Ok((0..output.parts())
                .flat_map(|part| output.take_part(part))
                .collect()),
        }
    }

    /// The slow path of `next`: the mixed results of the current batch, or
    /// else the next batch (waiting for it).
    #[cold]
    fn next_slow(&mut self) -> Option<Result<R, JobError>> {
        loop {
            if let Some(result) = self.mixed.next() {
                return Some(result);
            }
            let batch = self.batches.pop_front()?;
            self.in_batches -= batch.length;
            self.handed_out = true;
            // Work while waiting: if no worker has started this batch yet,
            // run it here rather than sleep until one does.
            batch.handle.run_here_if_not_started(self.gil);
            match batch.handle.join() {
                Ok(BatchOutput::InPlace) => {
                    self.values = self.output.take_part(batch.part).into_iter();
                    if let Some(value) = self.values.next() {
                        return Some(Ok(value));
                    }
                }
                Ok(BatchOutput::Mixed(results)) => self.mixed = results.into_iter(),
                // A batch itself only fails when it was cancelled (each item's
                // panic is caught inside it): every item gets the error.
                Err(error) => {
                    self.mixed = (0..batch.length)
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
