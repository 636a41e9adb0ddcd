//! A task: one job and its result slot, in one allocation.
//!
//! The closure waits inside the task until a worker runs it; the result then
//! waits in the same place until the handle takes it. The queue and the
//! handle each hold an `Arc` to the same task, seen through two different
//! traits:
//!
//! - the queue sees a [`Runnable`]: "run me" or "cancel me", with the
//!   closure and result types erased, so jobs of every type fit in one queue;
//! - the handle sees a [`Completion<R>`]: "is the `R` there yet?", with the
//!   closure type erased.
//!
//! One `Arc` per job, not a boxed closure plus a separate result channel,
//! keeps submission to a single allocation (async-task does the same, with
//! raw pointers; here a trait object does it without `unsafe`).
//!
//! The task is a small state machine, [`Stage`]:
//!
//! ```text
//! Queued(f) ──run──► Running ──► Finished(result) ──join/poll──► Taken
//!     └───────cancel───────────► Finished(Err(Cancelled))
//! ```

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex};
use std::task::{Poll, Waker};

use super::error::{panic_message, JobError};
use super::sync::{lock, wait};

/// What a queue can do with a job without knowing its types.
pub(crate) trait Runnable: Send + Sync {
    /// Runs the job (catching a panic into the result) unless it already ran
    /// or was cancelled.
    fn run(&self);
    /// True while nobody has started or cancelled the job. A hint only (the
    /// answer may change as soon as it is given); `run` decides for real.
    fn is_queued(&self) -> bool;
    /// Marks a job that has not started as [`JobError::Cancelled`] and drops
    /// its closure. Does nothing if the job already started.
    fn cancel(&self);
    /// The panic message of a job that panicked and whose result nobody has
    /// taken, if that is the case. Scopes use it so no panic goes unseen.
    fn unobserved_panic(&self) -> Option<String>;
}

/// What a handle can ask of its job: is the result there, and if so, take it.
///
/// Every completion is also [`Runnable`], so that a thread waiting for a
/// result can run the job itself if no worker has started it yet (`map`'s
/// caller does; see `map.rs`). `run` is a no-op on a job that already
/// started, so the worker that later pops it from the queue just drops it.
pub(crate) trait Completion<R>: Runnable {
    /// Takes the result if it is there; otherwise remembers `waker` and wakes
    /// it once the result arrives.
    ///
    /// # Panics
    ///
    /// If the result was already taken.
    fn poll_take(&self, waker: &Waker) -> Poll<Result<R, JobError>>;
    /// Blocks the calling thread until the result is there, then takes it.
    ///
    /// # Panics
    ///
    /// If the result was already taken.
    fn wait_take(&self) -> Result<R, JobError>;
    /// True once the job has finished (or was cancelled).
    fn is_finished(&self) -> bool;
}

/// The life of a job, from submission to its result being taken.
enum Stage<F, R> {
    /// In a queue, not started; the closure waits here.
    Queued(F),
    /// A worker took the closure out and is running it.
    Running,
    /// Done, or cancelled before it started; the result waits for the handle.
    Finished(Result<R, JobError>),
    /// The handle took the result; nothing is left.
    Taken,
}

/// Everything about a task that changes, behind the task's one lock.
struct TaskState<F, R> {
    /// Where the job is in its life (see [`Stage`]).
    stage: Stage<F, R>,
    /// The waker of whoever last polled the handle as a future and got
    /// `Pending`; `None` if nobody did. Taken (and woken, after the lock is
    /// released) when the stage becomes `Finished`.
    waker: Option<Waker>,
    /// True while a thread sleeps in `wait_take` on `Task::finished`. Lets the
    /// finishing worker skip the condvar signal (a system call) when nobody
    /// blocks — the common case for handles that are polled or joined late.
    joiner_blocked: bool,
}

/// One job and its result slot; shared by the queue and the handle.
pub(crate) struct Task<F, R> {
    /// Guards the stage, the stored waker and the `joiner_blocked` flag. Held
    /// only for a few assignments: never while the closure runs, never while
    /// a waker is woken, never while a value is dropped.
    state: Mutex<TaskState<F, R>>,
    /// Signalled (with `state` released) when the stage becomes `Finished`
    /// and `joiner_blocked` was set.
    finished: Condvar,
}

impl<F, R> Task<F, R>
where
    F: FnOnce() -> R + Send,
    R: Send,
{
    /// A new task in the `Queued` stage.
    pub(crate) fn new(job: F) -> Task<F, R> {
        Task {
            state: Mutex::new(TaskState {
                stage: Stage::Queued(job),
                waker: None,
                joiner_blocked: false,
            }),
            finished: Condvar::new(),
        }
    }

    /// Stores the result, then — with the lock released — wakes whoever waits.
    fn finish(&self, result: Result<R, JobError>) {
        let (waker, joiner_blocked) = {
            let mut state = lock(&self.state);
            state.stage = Stage::Finished(result);
            (state.waker.take(), state.joiner_blocked)
        };
        if joiner_blocked {
            self.finished.notify_all();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<F, R> Runnable for Task<F, R>
where
    F: FnOnce() -> R + Send,
    R: Send,
{
    fn run(&self) {
        let job = {
            let mut state = lock(&self.state);
            match std::mem::replace(&mut state.stage, Stage::Running) {
                Stage::Queued(job) => job,
                other => {
                    // Cancelled or already run: put the stage back untouched.
                    state.stage = other;
                    return;
                }
            }
        };
        // The user's code runs here, with no lock held, behind catch_unwind:
        // a panic becomes a result and the worker thread lives on.
        let result = catch_unwind(AssertUnwindSafe(job))
            .map_err(|payload| JobError::Panicked(panic_message(&*payload)));
        self.finish(result);
    }

    fn is_queued(&self) -> bool {
        matches!(lock(&self.state).stage, Stage::Queued(_))
    }

    fn cancel(&self) {
        let job = {
            let mut state = lock(&self.state);
            if !matches!(state.stage, Stage::Queued(_)) {
                return;
            }
            std::mem::replace(&mut state.stage, Stage::Running)
        };
        // Drop the closure (and whatever it captured) outside the lock; a
        // panicking destructor must not take the canceller down with it.
        let _ = catch_unwind(AssertUnwindSafe(move || drop(job)));
        self.finish(Err(JobError::Cancelled));
    }

    fn unobserved_panic(&self) -> Option<String> {
        match &lock(&self.state).stage {
            Stage::Finished(Err(JobError::Panicked(message))) => Some(message.clone()),
            _ => None,
        }
    }
}

impl<F, R> Completion<R> for Task<F, R>
where
    F: FnOnce() -> R + Send,
    R: Send,
{
    fn poll_take(&self, waker: &Waker) -> Poll<Result<R, JobError>> {
        let mut state = lock(&self.state);
        match std::mem::replace(&mut state.stage, Stage::Taken) {
            Stage::Finished(result) => Poll::Ready(result),
            Stage::Taken => panic!("a thread-pool handle was polled after it returned its result"),
            unfinished => {
                state.stage = unfinished;
                match &state.waker {
                    Some(stored) if stored.will_wake(waker) => {}
                    _ => {
                        // Replacing the old waker drops it; dropping a waker
                        // runs no user-visible code beyond a reference count.
                        state.waker = Some(waker.clone());
                    }
                }
                Poll::Pending
            }
        }
    }

    fn wait_take(&self) -> Result<R, JobError> {
        let mut state = lock(&self.state);
        loop {
            match std::mem::replace(&mut state.stage, Stage::Taken) {
                Stage::Finished(result) => return result,
                Stage::Taken => {
                    panic!("a thread-pool handle was joined after it returned its result")
                }
                unfinished => {
                    state.stage = unfinished;
                    state.joiner_blocked = true;
                    state = wait(&self.finished, state);
                }
            }
        }
    }

    fn is_finished(&self) -> bool {
        matches!(lock(&self.state).stage, Stage::Finished(_) | Stage::Taken)
    }
}
