//! [`Handle`]: the caller's side of one job — block on it with
//! [`join`](Handle::join), await it as a [`Future`], or collect many in finish
//! order with [`as_completed`].
//!
//! The handle and the pool's I/O thread share one [`Completion`]: a slot the
//! I/O thread fills exactly once, a condition variable for `join`, the waker
//! of the task awaiting the handle, and an optional listener for
//! `as_completed`. Whoever fills the slot takes the waker and the listener
//! out under the lock and calls them only after releasing it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crossbeam_channel::{Receiver, Sender};

use super::error::ProcError;
use crate::tuning::spin::QuickAnswers;

/// The shared slot between a [`Handle`] and whoever completes the job.
pub(crate) struct Completion<R> {
    /// Guarded by its own mutex; see [`Slot`] for the invariants.
    slot: Mutex<Slot<R>>,
    /// Signalled (all waiters) once `slot.state` becomes `Done`.
    done: Condvar,
    /// Tuning: the pool's [`Shared::quick_replies`](super::shared::Shared::quick_replies),
    /// which says whether `join` should spin before it sleeps. `None`: never.
    quick_replies: Option<Arc<QuickAnswers>>,
}

/// Where a job's result stands, as seen by its handle.
enum State<R> {
    /// The job is queued or running.
    Pending,
    /// The job ended; the result waits to be taken.
    Done(Result<R, ProcError>),
    /// The result was handed to the caller (by `join`, `poll` or
    /// `as_completed`); polling again is a bug.
    Taken,
}

/// Everything behind [`Completion::slot`].
struct Slot<R> {
    /// Moves `Pending` → `Done` once (by `complete`) → `Taken` once.
    state: State<R>,
    /// The waker of the last task that polled the handle while `Pending`;
    /// taken (and woken, after unlocking) by `complete`.
    waker: Option<Waker>,
    /// Set by `as_completed`: where to send this job's position once it is
    /// done. Taken (and sent to, after unlocking) by `complete`.
    listener: Option<(Sender<usize>, usize)>,
}

impl<R> Completion<R> {
    /// A new, pending completion; `join` spins first only while
    /// `quick_replies` says the pool's jobs answer quickly.
    pub(crate) fn new(quick_replies: Option<Arc<QuickAnswers>>) -> Arc<Self> {
        Arc::new(Completion {
            slot: Mutex::new(Slot {
                state: State::Pending,
                waker: None,
                listener: None,
            }),
            done: Condvar::new(),
            quick_replies,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Slot<R>> {
        // A panic never happens while this lock is held (no user code runs
        // under it), so a poisoned lock still holds a consistent slot.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `Some(())` if the job has ended, seen only if the lock is free right
    /// now: a look that never waits, for a caller that spins before it sleeps
    /// (waiting for the lock there would hold up the thread completing it).
    fn ended_now(&self) -> Option<()> {
        let slot = self.slot.try_lock().ok()?;
        (!matches!(slot.state, State::Pending)).then_some(())
    }

    /// True while the job is queued or running.
    fn is_pending(&self) -> bool {
        matches!(self.lock().state, State::Pending)
    }

    /// Stores the job's result and tells whoever waits: the thread in `join`,
    /// the task awaiting the handle, the `as_completed` iterator. A second
    /// call is ignored (the first result stands).
    pub(crate) fn complete(&self, result: Result<R, ProcError>) {
        let mut slot = self.lock();
        if !matches!(slot.state, State::Pending) {
            return;
        }
        slot.state = State::Done(result);
        let waker = slot.waker.take();
        let listener = slot.listener.take();
        drop(slot);
        self.done.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
        if let Some((sender, position)) = listener {
            // The iterator may have been dropped: nobody to tell, then.
            let _ = sender.send(position);
        }
    }

    /// Blocks until the result is there and takes it.
    fn wait(&self) -> Result<R, ProcError> {
        if let Some(quick) = &self.quick_replies {
            // Tuning (`tuning/spin.rs`): look for a moment before sleeping.
            quick.spin_then_sleep(|| self.ended_now());
        }
        let mut slot = self.lock();
        loop {
            match std::mem::replace(&mut slot.state, State::Taken) {
                State::Done(result) => return result,
                State::Pending => {
                    slot.state = State::Pending;
                    slot = self.done.wait(slot).unwrap_or_else(PoisonError::into_inner);
                }
                State::Taken => panic!("the result of this job was already taken"),
            }
        }
    }
}

/// The caller's side of one job submitted with
/// [`ProcessPool::submit`](super::ProcessPool::submit).
///
/// Block for the result with [`join`](Handle::join), or `.await` the handle
/// (it is a plain [`Future`], so an event-loop task can await process-pool
/// work: asyncio's `run_in_executor`). Dropping the handle does not cancel
/// the job; its result is then discarded.
///
/// # Examples
///
/// ```
/// use handspun::procpool::ProcessPool;
///
/// fn square(x: u64) -> u64 {
///     x * x
/// }
///
/// let pool = ProcessPool::new(2).unwrap();
/// let handle = pool.submit(square, 12);
/// assert_eq!(handle.join(), Ok(144));
/// ```
#[must_use = "a handle does nothing unless joined or awaited"]
pub struct Handle<R> {
    completion: Arc<Completion<R>>,
}

impl<R> Handle<R> {
    pub(crate) fn new(completion: Arc<Completion<R>>) -> Self {
        Handle { completion }
    }

    /// A handle whose job failed before it was ever queued.
    pub(crate) fn failed(error: ProcError) -> Self {
        let completion = Completion::new(None);
        completion.complete(Err(error));
        Handle { completion }
    }

    /// Blocks until the job has ended and returns its result.
    ///
    /// # Errors
    ///
    /// Any [`ProcError`]: the job panicked, its worker died or timed out, the
    /// pool was shut down first, or encoding/decoding failed.
    ///
    /// # Panics
    ///
    /// If the result was already taken by polling the handle to completion.
    pub fn join(self) -> Result<R, ProcError> {
        self.completion.wait()
    }

    /// True once the job has ended (its result is ready, or was taken).
    pub fn is_finished(&self) -> bool {
        !self.completion.is_pending()
    }
}

impl<R> Future for Handle<R> {
    type Output = Result<R, ProcError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.completion.lock();
        match std::mem::replace(&mut slot.state, State::Taken) {
            State::Done(result) => Poll::Ready(result),
            State::Pending => {
                slot.state = State::Pending;
                match &slot.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    _ => slot.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
            State::Taken => panic!("a process-pool Handle was polled after it completed"),
        }
    }
}

impl<R> std::fmt::Debug for Handle<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Yields the results of `handles` in the order the jobs finish (Python's
/// `concurrent.futures.as_completed`).
///
/// # Examples
///
/// ```
/// use handspun::procpool::{as_completed, ProcessPool};
///
/// fn double(x: u32) -> u32 {
///     2 * x
/// }
///
/// let pool = ProcessPool::new(2).unwrap();
/// let handles: Vec<_> = (0..5).map(|x| pool.submit(double, x)).collect();
/// let mut results: Vec<u32> = as_completed(handles).map(Result::unwrap).collect();
/// results.sort();
/// assert_eq!(results, [0, 2, 4, 6, 8]);
/// ```
pub fn as_completed<R>(handles: impl IntoIterator<Item = Handle<R>>) -> AsCompleted<R> {
    let (sender, finished) = crossbeam_channel::unbounded();
    let completions: Vec<Option<Arc<Completion<R>>>> = handles
        .into_iter()
        .enumerate()
        .map(|(position, handle)| {
            let mut slot = handle.completion.lock();
            if matches!(slot.state, State::Pending) {
                slot.listener = Some((sender.clone(), position));
            } else {
                // Already done: announce it now.
                let _ = sender.send(position);
            }
            drop(slot);
            Some(handle.completion)
        })
        .collect();
    AsCompleted {
        remaining: completions.len(),
        completions,
        finished,
    }
}

/// The iterator returned by [`as_completed`] and
/// [`ProcessPool::imap_unordered`](super::ProcessPool::imap_unordered):
/// results in finish order.
pub struct AsCompleted<R> {
    /// Position `i` holds handle `i`'s completion until its result is taken.
    completions: Vec<Option<Arc<Completion<R>>>>,
    /// Positions of finished jobs, in finish order.
    finished: Receiver<usize>,
    /// Results not yet yielded.
    remaining: usize,
}

impl<R> Iterator for AsCompleted<R> {
    type Item = Result<R, ProcError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        // Every pending completion holds a sender until it completes, and
        // every job completes (the pool never loses one), so this returns.
        let position = self.finished.recv().ok()?;
        let completion = self.completions[position].take()?;
        self.remaining -= 1;
        Some(completion.wait())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<R> std::fmt::Debug for AsCompleted<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.remaining)
            .finish()
    }
}
