//! `JoinHandle`: a per-core task's output, awaited or joined from any thread.

#![forbid(unsafe_code)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::context;
use super::task::Slot;
use crate::event_loop::JoinError;

/// An owned permission to a per-core task's output; `Send` when the
/// output is.
///
/// Unlike the single loop's [`event_loop::JoinHandle`], it may be awaited on
/// any loop, on another runtime, or joined from a plain thread with
/// [`join`](JoinHandle::join). It gives what the loop's handle gives:
/// `Ok(output)`, [`JoinError::Panicked`] (the loop went on) or
/// [`JoinError::Aborted`]. Dropping it detaches the task: it keeps running.
///
/// [`event_loop::JoinHandle`]: crate::event_loop::JoinHandle
///
/// # Examples
///
/// ```
/// use handspun::event_loop::JoinError;
/// use handspun::per_core::Runtime;
///
/// let rt = Runtime::builder().loops(2).pin(false).build().unwrap();
/// let ok = rt.spawn_on(1, || async { 40 + 2 }).unwrap();
/// let boom = rt.spawn_on(1, || async { if true { panic!("oops") } }).unwrap();
/// assert_eq!(ok.join(), Ok(42));
/// assert_eq!(boom.join(), Err(JoinError::Panicked("oops".into())));
/// ```
pub struct JoinHandle<T> {
    /// Where the task writes its outcome.
    slot: Arc<Slot<T>>,
    /// The runtime the task runs on (to refuse a `join` that would block
    /// the very loop that must run it).
    runtime: u64,
    /// The loop the task runs on.
    index: usize,
}

impl<T> JoinHandle<T> {
    /// A handle on `slot`, for a task on loop `index` of runtime `runtime`.
    pub(crate) fn new(slot: Arc<Slot<T>>, runtime: u64, index: usize) -> JoinHandle<T> {
        JoinHandle {
            slot,
            runtime,
            index,
        }
    }

    /// The loop the task runs on (it never moves).
    pub fn loop_index(&self) -> usize {
        self.index
    }

    /// Whether the task is done (finished, panicked or aborted).
    pub fn is_finished(&self) -> bool {
        self.slot.is_finished()
    }

    /// Stops the task: its loop drops the future at its next turn without
    /// polling it again, and the handle gives [`JoinError::Aborted`]. A task
    /// that already finished keeps its output; a task that aborts itself
    /// stops as soon as its current poll returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use handspun::event_loop::{self, JoinError};
    /// use handspun::per_core::Runtime;
    ///
    /// let rt = Runtime::builder().loops(1).pin(false).build().unwrap();
    /// let slow = rt.spawn(|| event_loop::sleep(Duration::from_secs(3600)));
    /// slow.abort();
    /// assert_eq!(slow.join(), Err(JoinError::Aborted));
    /// ```
    pub fn abort(&self) {
        self.slot.abort();
    }

    /// Blocks the calling thread until the task is done, and gives its
    /// outcome (the blocking twin of `.await`).
    ///
    /// # Panics
    ///
    /// On the loop that runs the task: that loop would wait for itself
    /// forever. Await the handle there instead.
    pub fn join(self) -> Result<T, JoinError> {
        assert!(
            context::current() != Some((self.runtime, self.index)),
            "JoinHandle::join called on the loop that runs the task; await the handle instead"
        );
        self.slot.wait()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.slot.poll_outcome(cx.waker())
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.slot.detach();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("loop", &self.index)
            .field("finished", &self.is_finished())
            .finish()
    }
}
