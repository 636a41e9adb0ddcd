//! A task on one loop, seen from anywhere: the shared [`Slot`] its output
//! goes to, and [`Supervised`], the future the loop really runs.
//!
//! The loop's own tasks and join handles are loop-thread only (`!Send`).
//! A per-core join handle may be awaited, aborted or dropped on any thread,
//! so each spawned future is wrapped once, on its loop:
//!
//! ```text
//!   any thread                       loop i (its own thread)
//!   ──────────                       ───────────────────────
//!   JoinHandle ──Arc<Slot>──┐        event_loop task
//!     await / join / abort  └──────► Supervised { future, slot }
//!                                     polls `future`, catches its panic,
//!                                     writes Ok / Panicked / Aborted
//! ```
//!
//! The slot holds the outcome under a mutex, the waker of whoever awaits it
//! and a condition variable for [`JoinHandle::join`](super::JoinHandle::join).
//! Abort is a flag plus a wake of the task: the loop's thread drops the
//! future at its next poll, so a `!Send` future is only ever touched by the
//! thread that built it.
//!
//! Since the wrapper catches the panic, the loop itself sees every such
//! task return: its [`Stats`](crate::event_loop::Stats) count a panicked
//! or aborted per-core task as finished normally. The handle tells which.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::event_loop::JoinError;

/// Where a task's outcome waits for its handle. Shared (`Arc`) by the
/// handle and the task.
pub(crate) struct Slot<T> {
    /// Set by `abort`, read by the task at each poll. Never cleared.
    aborted: AtomicBool,
    /// Guarded by its mutex, never held while a waker runs or a future is
    /// polled or dropped.
    state: Mutex<SlotState<T>>,
    /// Signalled when the outcome is written (for the blocking `join`).
    done: Condvar,
}

/// The part of a [`Slot`] behind its mutex.
struct SlotState<T> {
    /// Where the outcome is.
    outcome: Outcome<T>,
    /// Whoever awaits the handle (any thread).
    joiner: Option<Waker>,
    /// The task's own waker, set at its first poll, so that `abort` can make
    /// the loop poll it again. The loop hands a task the same waker at every
    /// poll, so it is recorded once.
    task_waker: Option<Waker>,
}

/// The states of a task's outcome.
enum Outcome<T> {
    /// Not finished: queued in an inbox, waiting, or running.
    Pending,
    /// Finished (returned, panicked or aborted); not yet taken.
    Ready(Result<T, JoinError>),
    /// Taken by the handle.
    Taken,
}

impl<T> Slot<T> {
    /// A slot with no outcome yet.
    pub(crate) fn new() -> Slot<T> {
        Slot {
            aborted: AtomicBool::new(false),
            state: Mutex::new(SlotState {
                outcome: Outcome::Pending,
                joiner: None,
                task_waker: None,
            }),
            done: Condvar::new(),
        }
    }

    /// The state, even after a panic elsewhere poisoned the lock (every
    /// update is a single assignment: always consistent).
    fn lock(&self) -> MutexGuard<'_, SlotState<T>> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writes the outcome (the first one wins) and wakes whoever awaits it.
    pub(crate) fn complete(&self, result: Result<T, JoinError>) {
        let (joiner, task_waker) = {
            let mut state = self.lock();
            if !matches!(state.outcome, Outcome::Pending) {
                return;
            }
            state.outcome = Outcome::Ready(result);
            (state.joiner.take(), state.task_waker.take())
        };
        self.done.notify_all();
        drop(task_waker); // dropped outside the lock, as woken ones are
        if let Some(joiner) = joiner {
            joiner.wake();
        }
    }

    /// Whether the outcome has been written.
    pub(crate) fn is_finished(&self) -> bool {
        !matches!(self.lock().outcome, Outcome::Pending)
    }

    /// Asks the task to stop: the loop drops its future at the next poll,
    /// which this wake brings about.
    pub(crate) fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
        let task_waker = self.lock().task_waker.clone();
        if let Some(waker) = task_waker {
            waker.wake();
        }
    }

    /// Takes the outcome if it is there; otherwise records `waker`.
    ///
    /// # Panics
    ///
    /// If the outcome was taken already (a handle polled after it returned).
    pub(crate) fn poll_outcome(&self, waker: &Waker) -> Poll<Result<T, JoinError>> {
        let mut state = self.lock();
        match std::mem::replace(&mut state.outcome, Outcome::Taken) {
            Outcome::Ready(result) => Poll::Ready(result),
            Outcome::Taken => panic!("per_core::JoinHandle polled after it returned its output"),
            Outcome::Pending => {
                state.outcome = Outcome::Pending;
                match &state.joiner {
                    Some(old) if old.will_wake(waker) => {}
                    _ => state.joiner = Some(waker.clone()),
                }
                Poll::Pending
            }
        }
    }

    /// Blocks the calling thread until the outcome is there, and takes it.
    pub(crate) fn wait(&self) -> Result<T, JoinError> {
        let mut state = self.lock();
        loop {
            match std::mem::replace(&mut state.outcome, Outcome::Taken) {
                Outcome::Ready(result) => return result,
                Outcome::Taken => {
                    panic!("per_core::JoinHandle joined after it returned its output")
                }
                Outcome::Pending => state.outcome = Outcome::Pending,
            }
            state = self
                .done
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Drops the outcome (the handle is gone) and forgets its waker.
    pub(crate) fn detach(&self) {
        let (outcome, joiner) = {
            let mut state = self.lock();
            let outcome = match state.outcome {
                Outcome::Ready(_) => std::mem::replace(&mut state.outcome, Outcome::Taken),
                _ => Outcome::Pending,
            };
            (outcome, state.joiner.take())
        };
        drop((outcome, joiner)); // user values dropped with no lock held
    }

    /// Records the task's waker (at its first poll).
    fn register_task(&self, waker: &Waker) {
        self.lock().task_waker = Some(waker.clone());
    }

    /// Whether `abort` was called.
    fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::SeqCst)
    }
}

/// The future a loop runs for each per-core task: the user's future, its
/// panic caught, its outcome written to the slot. Lives and dies on the
/// loop's thread.
pub(crate) struct Supervised<F: Future> {
    /// The user's future; `None` once it finished, panicked or was aborted
    /// (dropped in place: it never moves while pinned).
    future: Option<F>,
    /// Where the outcome goes.
    slot: std::sync::Arc<Slot<F::Output>>,
    /// Whether the task's waker is recorded in the slot.
    registered: bool,
}

impl<F: Future> Supervised<F> {
    /// Wraps `future`, whose outcome goes to `slot`.
    pub(crate) fn new(future: F, slot: std::sync::Arc<Slot<F::Output>>) -> Supervised<F> {
        Supervised {
            future: Some(future),
            slot,
            registered: false,
        }
    }
}

impl<F: Future> Future for Supervised<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `future` is structurally pinned: never moved out of `self`
        // (only dropped in place, by assigning `None`), and `Supervised` has
        // no `Unpin` impl nor a moving `Drop`; the other fields are unpinned.
        let this = unsafe { self.get_unchecked_mut() };
        if !this.registered {
            // Recorded before the abort flag is read: `abort` sets the flag
            // before it reads the waker, so one of the two sees the other.
            this.slot.register_task(cx.waker());
            this.registered = true;
        }
        if this.slot.is_aborted() {
            this.future = None;
            this.slot.complete(Err(JoinError::Aborted));
            return Poll::Ready(());
        }
        let Some(future) = this.future.as_mut() else {
            return Poll::Ready(());
        };
        // SAFETY: `future` lives inside the pinned `Supervised` and is never
        // moved (see above), so pinning a reference to it is sound.
        let future = unsafe { Pin::new_unchecked(future) };
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Ready(output)) => {
                this.future = None;
                this.slot.complete(Ok(output));
                Poll::Ready(())
            }
            Ok(Poll::Pending) if this.slot.is_aborted() => {
                // Aborted during its own poll: stop now that it returned.
                this.future = None;
                this.slot.complete(Err(JoinError::Aborted));
                Poll::Ready(())
            }
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => {
                this.future = None;
                let message = crate::event_loop::panic_message(payload.as_ref());
                this.slot.complete(Err(JoinError::Panicked(message)));
                Poll::Ready(())
            }
        }
    }
}

impl<F: Future> Drop for Supervised<F> {
    fn drop(&mut self) {
        // Dropped unfinished: the loop shut down, or its own abort path ran.
        if self.future.is_some() {
            self.future = None; // dropped in place: it is pinned
            self.slot.complete(Err(JoinError::Aborted));
        }
    }
}
