//! `JoinHandle`: awaiting a spawned task's output from any thread, or
//! aborting it.

#![forbid(unsafe_code)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::state::Abort;
use super::task::Joinable;
use crate::event_loop::JoinError;

/// An owned permission to await a spawned task's output; `Send`, so it may
/// be awaited on another task, another worker, or the `block_on` thread.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] if the task panicked,
/// was aborted, or was still unfinished when the runtime shut down
/// ([`JoinError::Aborted`]). Dropping it *detaches* the task: it keeps
/// running, and its output is dropped when it finishes. The same contract
/// as the single loop's [`event_loop::JoinHandle`](crate::event_loop::JoinHandle).
///
/// # Examples
///
/// ```
/// use handspun::event_loop::JoinError;
/// use handspun::stealing::{self, Runtime};
///
/// let rt = Runtime::builder().workers(2).build().unwrap();
/// let (ok, boom) = rt.block_on(async {
///     let ok = stealing::spawn(async { 40 + 2 });
///     let boom = stealing::spawn(async { if true { panic!("oops") } });
///     (ok.await, boom.await)
/// });
/// assert_eq!(ok, Ok(42));
/// assert_eq!(boom, Err(JoinError::Panicked("oops".into())));
/// ```
pub struct JoinHandle<T> {
    task: Arc<dyn Joinable<T>>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: Arc<dyn Joinable<T>>) -> JoinHandle<T> {
        JoinHandle { task }
    }

    /// The task's id: unique within its runtime, growing in spawn order.
    pub fn id(&self) -> u64 {
        self.task.header().id
    }

    /// Whether the task is done (finished, panicked or aborted).
    pub fn is_finished(&self) -> bool {
        self.task.header().state.is_done()
    }

    /// Stops the task: its future is dropped without being polled again, and
    /// awaiting this handle gives [`JoinError::Aborted`]. A task that already
    /// finished keeps its output.
    ///
    /// When it happens: a waiting task's future is dropped right here, on
    /// the caller's thread. A queued one is dropped by the worker that pops
    /// it; one being polled on a worker right now, as soon as that poll
    /// returns (its output is kept if the poll finished it).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use handspun::event_loop::JoinError;
    /// use handspun::stealing::{self, Runtime};
    ///
    /// let rt = Runtime::builder().workers(2).build().unwrap();
    /// let slow = rt.spawn(stealing::sleep(Duration::from_secs(3600)));
    /// slow.abort();
    /// assert_eq!(rt.block_on(slow), Err(JoinError::Aborted));
    /// ```
    pub fn abort(&self) {
        let header = self.task.header();
        if header.state.abort() == Abort::CancelNow {
            self.task.cancel();
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.task.poll_join(cx)
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.task.detach();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}
