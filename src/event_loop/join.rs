//! `JoinHandle`: awaiting a spawned task's output, or aborting it.

#![forbid(unsafe_code)]

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::{Context, Poll};

use super::core::{Core, Ending};
use super::stats::TaskStats;
use super::task::{Joinable, TaskId, TaskState};

/// Why a task produced no output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// The task panicked; the message is the panic's. The loop went on.
    #[error("task panicked: {0}")]
    Panicked(String),
    /// The task was stopped with [`JoinHandle::abort`] before it finished.
    #[error("task was aborted before it finished")]
    Aborted,
}

/// An owned permission to await a spawned task's output.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] if the task panicked or
/// was aborted. Dropping it *detaches* the task: it keeps running, and its
/// output is dropped when it finishes.
///
/// # Examples
///
/// ```
/// use handspun::event_loop::{self, EventLoop, JoinError};
///
/// let mut ev = EventLoop::new().unwrap();
/// let (ok, boom) = ev.block_on(async {
///     let ok = event_loop::spawn(async { 40 + 2 });
///     let boom = event_loop::spawn(async { if true { panic!("oops") } });
///     (ok.await, boom.await)
/// });
/// assert_eq!(ok, Ok(42));
/// assert_eq!(boom, Err(JoinError::Panicked("oops".into())));
/// ```
pub struct JoinHandle<T> {
    task: Arc<dyn Joinable<T>>,
    /// The loop, to unregister the task on `abort` (weak: a handle must not
    /// keep a dropped loop's file descriptors alive).
    core: Weak<Core>,
    /// Keeps the handle on the loop's thread: it touches loop-only fields.
    _not_send: PhantomData<Rc<()>>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: Arc<dyn Joinable<T>>, core: Weak<Core>) -> JoinHandle<T> {
        JoinHandle {
            task,
            core,
            _not_send: PhantomData,
        }
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.task.header().id
    }

    /// The task's figures so far: polls, busy time, total and longest
    /// ready-wait (final once it is done).
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::event_loop::{self, EventLoop, TaskState};
    ///
    /// let mut ev = EventLoop::new().unwrap();
    /// let stats = ev.block_on(async {
    ///     let handle = event_loop::spawn(async { event_loop::yield_now().await });
    ///     while !handle.is_finished() {
    ///         event_loop::yield_now().await;
    ///     }
    ///     handle.stats()
    /// });
    /// assert_eq!((stats.state, stats.polls), (TaskState::Done, 2));
    /// ```
    pub fn stats(&self) -> TaskStats {
        TaskStats::of(self.task.header())
    }

    /// Whether the task is done (finished, panicked or aborted).
    pub fn is_finished(&self) -> bool {
        self.task.header().state.get() == TaskState::Done
    }

    /// Stops the task: its future is dropped without being polled again, and
    /// awaiting this handle gives [`JoinError::Aborted`]. A task that already
    /// finished keeps its output. A task that aborts itself stops as soon as
    /// its current poll returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use handspun::event_loop::{self, EventLoop, JoinError};
    ///
    /// let mut ev = EventLoop::new().unwrap();
    /// let result = ev.block_on(async {
    ///     let slow = event_loop::spawn(event_loop::sleep(Duration::from_secs(3600)));
    ///     slow.abort();
    ///     slow.await
    /// });
    /// assert_eq!(result, Err(JoinError::Aborted));
    /// ```
    pub fn abort(&self) {
        let header = self.task.header();
        match header.state.get() {
            TaskState::Done => {}
            TaskState::Running => header.abort_requested.set(true),
            TaskState::Ready | TaskState::Waiting => {
                self.task.cancel();
                if let Some(core) = self.core.upgrade() {
                    core.finish(header, Ending::Aborted);
                }
            }
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let header = self.task.header();
        if header.state.get() == TaskState::Done {
            return match self.task.take_output() {
                Some(outcome) => Poll::Ready(outcome),
                None => panic!("JoinHandle polled after it returned its output"),
            };
        }
        let waker = match header.join_waker.take() {
            Some(old) if old.will_wake(cx.waker()) => old,
            _ => cx.waker().clone(),
        };
        header.join_waker.set(Some(waker));
        Poll::Pending
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let header = self.task.header();
        header.detached.set(true);
        header.join_waker.take();
        // The output must be dropped here, on the loop's thread, not by
        // whoever holds the last reference to the task.
        self.task.drop_output();
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
