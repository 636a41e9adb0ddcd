//! A task: one spawned `Send` future, its state word, and its output slot.
//!
//! A task is one allocation, an `Arc<TaskCell<F>>`, seen by the queues
//! through the object-safe [`Runnable`] (one queue holds futures of every
//! type) and by a [`JoinHandle<T>`](super::JoinHandle) through
//! [`Joinable<T>`]. Its waker is the same `Arc`: waking it asks the
//! [`State`] whether the task must be queued, and queues it on the runtime
//! it belongs to. (During a poll the waker borrows the worker's reference
//! instead of taking one: a tuning, explained in `waker_ref.rs`.)
//!
//! ## Who touches what
//!
//! - `state`: any thread, by compare-and-swap (`state.rs`).
//! - `future`: only the thread that owns the task — the worker that won the
//!   `start` transition, or an aborter that won `abort`. The state machine
//!   guarantees one owner at a time, so its mutex is never contended; it is
//!   there so the borrow is checked, not to make threads wait.
//! - `join`: the finishing owner and the `JoinHandle`, briefly.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use super::runtime::Shared;
use super::state::State;
use super::waker_ref;
use crate::event_loop::JoinError;

/// A type-erased reference to a task: what the run queues hold.
pub(crate) type Task = Arc<dyn Runnable>;

/// What the runtime knows about a task, whatever its future's type.
pub(crate) struct Header {
    /// Unique within the runtime, in spawn order (immutable).
    pub(crate) id: u64,
    /// See `state.rs`.
    pub(crate) state: State,
    /// The runtime the task belongs to: where its wakes queue it
    /// (immutable).
    pub(crate) shared: Arc<Shared>,
}

/// The output slot and the waker of whoever awaits the `JoinHandle`.
struct Join<T> {
    /// The outcome, from the moment the task is done until the handle takes
    /// it.
    output: Option<Result<T, JoinError>>,
    /// Woken when the outcome is stored.
    waker: Option<Waker>,
    /// Set when the handle is dropped: an outcome is then dropped at once.
    detached: bool,
}

/// One task in one allocation. See the module docs.
pub(crate) struct TaskCell<F: Future> {
    header: Header,
    /// The future until the task is done. Locked only by the task's owner.
    future: Mutex<Option<F>>,
    /// Guarded by its mutex: taken by the finishing owner and the handle.
    join: Mutex<Join<F::Output>>,
}

/// What one poll of a task came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Polled {
    /// The future returned `Pending`.
    Pending,
    /// The task is done (output or panic stored, future dropped).
    Done,
}

/// The queues' view of a task.
pub(crate) trait Runnable: Send + Sync {
    /// The type-independent part.
    fn header(&self) -> &Header;
    /// Polls the future once. Only the task's owner calls it. The caller's
    /// reference moves in and comes back out, so that the poll's waker can
    /// borrow it (`waker_ref.rs`) without a count update either way.
    fn poll(self: Arc<Self>) -> (Polled, Task);
    /// Drops the future and stores `Aborted` as the outcome. Only the task's
    /// owner calls it, never during a poll.
    fn cancel(&self);
}

/// A `JoinHandle`'s view of a task: it knows the output type.
pub(crate) trait Joinable<T>: Runnable {
    /// Takes the outcome if the task is done; otherwise keeps `cx`'s waker.
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>>;
    /// The handle is gone: drop the outcome, now or when it comes.
    fn detach(&self);
}

/// Locks a task mutex; no user code runs under them, so poisoning cannot
/// leave them inconsistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<F> TaskCell<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    /// Allocates a task around `future`, in the `SCHEDULED` state.
    pub(crate) fn new(id: u64, shared: Arc<Shared>, future: F) -> Arc<TaskCell<F>> {
        Arc::new(TaskCell {
            header: Header {
                id,
                state: State::new_scheduled(),
                shared,
            },
            future: Mutex::new(Some(future)),
            join: Mutex::new(Join {
                output: None,
                waker: None,
                detached: false,
            }),
        })
    }

    /// Leaves the registry of live tasks, stores the outcome (or drops it,
    /// if nobody wants it), marks the task done, and wakes the joiner —
    /// after releasing the lock. (Leaving the registry first means a joiner
    /// that wakes never counts its task as alive.)
    fn complete(&self, outcome: Result<F::Output, JoinError>) {
        self.header.shared.forget(self.header.id);
        let mut join = lock(&self.join);
        let unwanted = if join.detached {
            Some(outcome)
        } else {
            join.output = Some(outcome);
            None
        };
        self.header.state.finish();
        let waker = join.waker.take();
        drop(join);
        drop(unwanted);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<F> Runnable for TaskCell<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn header(&self) -> &Header {
        &self.header
    }

    fn poll(self: Arc<Self>) -> (Polled, Task) {
        // The waker borrows the worker's reference to the task
        // (`waker_ref.rs`); a waker the future keeps is a clone of its own.
        let polled = waker_ref::with_lent_waker(&self, |waker| self.poll_with(waker));
        (polled, self)
    }

    fn cancel(&self) {
        drop_in_place(&mut lock(&self.future));
        self.complete(Err(JoinError::Aborted));
    }
}

impl<F> TaskCell<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    /// [`Runnable::poll`] with the waker made.
    fn poll_with(&self, waker: &Waker) -> Polled {
        let mut cx = Context::from_waker(waker);
        let mut slot = lock(&self.future);
        let Some(future) = slot.as_mut() else {
            return Polled::Done;
        };
        // SAFETY: the future lives inside the task's `Arc` allocation and
        // never moves out of it: it is only ever dropped in place (by
        // setting the slot to `None`), so pinning it is sound.
        let future = unsafe { Pin::new_unchecked(future) };
        // A panic in user code must not unwind through the worker: catch it
        // at this boundary and make it the task's outcome.
        let outcome = match catch_unwind(AssertUnwindSafe(|| future.poll(&mut cx))) {
            Ok(Poll::Pending) => return Polled::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => Err(JoinError::Panicked(panic_message(payload.as_ref()))),
        };
        drop_in_place(&mut slot);
        drop(slot);
        self.complete(outcome);
        Polled::Done
    }
}

impl<F> Joinable<F::Output> for TaskCell<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<F::Output, JoinError>> {
        let mut join = lock(&self.join);
        if let Some(outcome) = join.output.take() {
            return Poll::Ready(outcome);
        }
        assert!(
            !self.header.state.is_done(),
            "JoinHandle polled after it returned its output"
        );
        match &join.waker {
            Some(old) if old.will_wake(cx.waker()) => {}
            _ => join.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    fn detach(&self) {
        let mut join = lock(&self.join);
        join.detached = true;
        let output = join.output.take();
        let waker = join.waker.take();
        drop(join);
        drop((output, waker));
    }
}

impl<F> Wake for TaskCell<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn wake(self: Arc<Self>) {
        // Through `wake_by_ref`, whose clone touches this task's count only:
        // handing `self` on would need a clone of the runtime's `Arc` to
        // call through, and that count is one cache line every worker
        // would write on every wake.
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.header.state.wake() {
            self.header.shared.schedule_wake(self.clone());
        }
    }
}

/// Drops a (pinned) future where it lies. A destructor that panics is
/// caught here, as a panicking poll is: the worker must survive user code.
fn drop_in_place<F>(slot: &mut Option<F>) {
    let _ = catch_unwind(AssertUnwindSafe(|| *slot = None));
}

/// The message of a panic payload (`&str` or `String`), as `std` prints it.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "task panicked with a non-string payload".to_string()
    }
}
