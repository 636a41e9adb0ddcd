//! `Handle<R>`: the caller's end of a submitted job — join it, check it, or await it.
//!
//! A handle is three things at once:
//!
//! - a blocking future in the old sense: [`Handle::join`] waits for the
//!   result, like `concurrent.futures.Future.result()`;
//! - a flag: [`Handle::is_finished`] never blocks, like `.done()`;
//! - a [`std::future::Future`]: an event-loop task can `.await` it. The task
//!   is not blocked; its waker is stored in the job's slot, and the worker
//!   that finishes the job wakes it (after releasing the slot's lock). That is
//!   asyncio's `loop.run_in_executor`, built from nothing but `std::task`.
//!
//! Dropping a handle detaches the job: it still runs, and its result is
//! dropped when it is done.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::error::JobError;
use super::gil::allow_threads;
use super::task::Completion;
use super::worker::run_holding_gil;

/// The result of a job submitted with [`ThreadPool::submit`](super::ThreadPool::submit).
///
/// # Examples
///
/// Block for the result:
///
/// ```
/// use handspun::threadpool::ThreadPool;
///
/// let pool = ThreadPool::new(2);
/// let handle = pool.submit(|| 6 * 7);
/// assert_eq!(handle.join(), Ok(42));
/// ```
///
/// Or await it from any executor. Here is the smallest one there is: a
/// `block_on` whose waker unparks the waiting thread.
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::sync::Arc;
/// use std::task::{Context, Poll, Wake, Waker};
/// use handspun::threadpool::ThreadPool;
///
/// struct Unpark(std::thread::Thread);
/// impl Wake for Unpark {
///     fn wake(self: Arc<Self>) {
///         self.0.unpark();
///     }
/// }
///
/// let pool = ThreadPool::new(1);
/// let mut handle = pin!(pool.submit(|| "done"));
/// let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
/// let mut cx = Context::from_waker(&waker);
/// let result = loop {
///     match handle.as_mut().poll(&mut cx) {
///         Poll::Ready(result) => break result,
///         Poll::Pending => std::thread::park(),
///     }
/// };
/// assert_eq!(result, Ok("done"));
/// ```
#[must_use = "dropping a handle detaches the job: its result is lost"]
pub struct Handle<R> {
    /// The job's result slot; shared with the queue until the job has run.
    completion: Arc<dyn Completion<R>>,
}

impl<R> Handle<R> {
    pub(crate) fn new(completion: Arc<dyn Completion<R>>) -> Handle<R> {
        Handle { completion }
    }

    /// Runs the job on the calling thread if no worker has started it yet
    /// (with the GIL held if `gil` says the pool has one); otherwise does
    /// nothing. The job still sits in the queue, and the worker that pops
    /// it finds it finished and skips it. Crate-private: a plain
    /// [`join`](Handle::join) never runs the job here, since a job may rely
    /// on running on a worker thread ([`current_worker`](super::current_worker),
    /// [`WorkerLocal`](super::WorkerLocal)).
    pub(crate) fn run_here_if_not_started(&self, gil: Option<Duration>) {
        run_holding_gil(gil, &*self.completion);
    }

    /// Blocks until the job has finished and returns its result.
    ///
    /// # Errors
    ///
    /// [`JobError::Panicked`] if the job panicked (the worker survives),
    /// [`JobError::Cancelled`] if the pool was shut down before the job
    /// started.
    ///
    /// # Panics
    ///
    /// If the handle was already polled to completion as a future.
    pub fn join(self) -> Result<R, JobError> {
        // Blocking in a GIL pool's job must let other jobs run, as a
        // blocking call releases CPython's GIL.
        allow_threads(|| self.completion.wait_take())
    }

    /// True once the job has finished, panicked or been cancelled: `join`
    /// would then return at once. Never blocks.
    pub fn is_finished(&self) -> bool {
        self.completion.is_finished()
    }
}

impl<R> Future for Handle<R> {
    type Output = Result<R, JobError>;

    /// Ready with the job's result once it has finished; otherwise stores the
    /// context's waker, which the finishing worker wakes.
    ///
    /// # Panics
    ///
    /// If polled again after it returned `Ready`.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.completion.poll_take(cx.waker())
    }
}

impl<R> fmt::Debug for Handle<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// The result of a job spawned inside [`ThreadPool::scope`](super::ThreadPool::scope).
///
/// Like [`Handle`], but the job may borrow data that lives for `'env` (the
/// caller's stack), so the handle may not outlive that data either.
/// Dropping it is fine: the scope joins every job anyway (and panics if a
/// job panicked and nobody joined its handle).
///
/// # Examples
///
/// ```
/// use handspun::threadpool::ThreadPool;
///
/// let pool = ThreadPool::new(2);
/// let words = vec!["tea", "for", "two"];
/// let total = pool.scope(|s| {
///     let handles: Vec<_> = words.iter().map(|w| s.spawn(move || w.len())).collect();
///     handles.into_iter().map(|h| h.join().unwrap()).sum::<usize>()
/// });
/// assert_eq!(total, 9);
/// ```
pub struct ScopedHandle<'env, R> {
    /// The job's result slot; shared with the scope's queue.
    completion: Arc<dyn Completion<R> + 'env>,
}

impl<'env, R> ScopedHandle<'env, R> {
    pub(crate) fn new(completion: Arc<dyn Completion<R> + 'env>) -> ScopedHandle<'env, R> {
        ScopedHandle { completion }
    }

    /// Blocks until the job has finished and returns its result.
    ///
    /// # Errors
    ///
    /// [`JobError::Panicked`] if the job panicked. Joining the handle counts
    /// as seeing the panic: the scope will not panic for it.
    pub fn join(self) -> Result<R, JobError> {
        // Blocking in a GIL pool's job must let other jobs run, as a
        // blocking call releases CPython's GIL.
        allow_threads(|| self.completion.wait_take())
    }

    /// True once the job has finished. Never blocks.
    pub fn is_finished(&self) -> bool {
        self.completion.is_finished()
    }
}

impl<R> fmt::Debug for ScopedHandle<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}
