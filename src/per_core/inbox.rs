//! A loop's spawn inbox: how work from other threads reaches one loop.
//!
//! A spawn from another thread cannot touch the loop's state (it is
//! `!Send`), so it leaves a *job* — "build this future and spawn it" — in
//! the loop's inbox, a mutex-guarded `Vec`, and wakes the loop. The waking
//! is the single loop's own cross-thread path: the inbox is drained by the
//! future the loop's thread passed to `block_on` ([`serve`]), and waking
//! that future from another thread sets a flag and writes the loop's
//! `eventfd`, which ends an `epoll_wait` (`src/event_loop/waker.rs`).
//! Nothing in the single loop knows the inbox exists.
//!
//! ```text
//!  other thread                      loop i's thread, inside block_on(serve)
//!  push(job) ─► [job job job] ─wake─► serve: take every job, run each
//!               (mutex)      eventfd         (it calls make() and spawns)
//! ```
//!
//! A job that never runs (the loop shut down first) is dropped, and
//! dropping it completes its handle with `Aborted` (`Unstarted`).

#![forbid(unsafe_code)]

use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};

use super::task::{Slot, Supervised};
use crate::event_loop::{self, JoinError};

/// Work for one loop: builds a future on the loop's thread and spawns it.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// One loop's inbox. Shared by every handle and the loop.
pub(crate) struct Inbox {
    /// Guarded by its mutex; held only to push, take or close, never while
    /// a job runs or a waker is called.
    state: Mutex<InboxState>,
}

/// The part of an [`Inbox`] behind its mutex.
#[derive(Default)]
struct InboxState {
    /// Jobs not yet taken by the loop, oldest first.
    jobs: Vec<Job>,
    /// The loop's `serve` future, when it waits for jobs; taken by the push
    /// that wakes it.
    waiter: Option<Waker>,
    /// Set by shutdown: no job is accepted any more and `serve` returns.
    closed: bool,
}

impl Inbox {
    /// An open, empty inbox.
    pub(crate) fn new() -> Inbox {
        Inbox {
            state: Mutex::new(InboxState::default()),
        }
    }

    /// The state, even if a panic elsewhere poisoned the lock (every update
    /// is one push, take or assignment: always consistent).
    fn lock(&self) -> MutexGuard<'_, InboxState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Leaves `job` for the loop and wakes it. On a closed inbox the job is
    /// dropped (its handle gives `Aborted`).
    pub(crate) fn push(&self, job: Job) {
        let waiter = {
            let mut state = self.lock();
            if state.closed {
                drop(state);
                drop(job);
                return;
            }
            state.jobs.push(job);
            state.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }

    /// Closes the inbox: later pushes are refused, jobs not yet taken are
    /// dropped, and the loop's `serve` returns.
    pub(crate) fn close(&self) {
        let (jobs, waiter) = {
            let mut state = self.lock();
            state.closed = true;
            (std::mem::take(&mut state.jobs), state.waiter.take())
        };
        drop(jobs);
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }
}

/// What a loop's thread runs in `block_on`: takes jobs from `inbox` and
/// runs them, until the inbox is closed.
pub(crate) async fn serve(inbox: &Inbox) {
    let mut batch: Vec<Job> = Vec::new();
    poll_fn(|cx| {
        {
            let mut state = inbox.lock();
            if state.closed {
                return Poll::Ready(());
            }
            std::mem::swap(&mut batch, &mut state.jobs);
            match &state.waiter {
                Some(old) if old.will_wake(cx.waker()) => {}
                _ => state.waiter = Some(cx.waker().clone()),
            }
        }
        // Run with the lock released: a job may spawn onto this very inbox.
        for job in batch.drain(..) {
            job();
        }
        Poll::Pending
    })
    .await
}

/// A job's hold on its task's slot until the task is started: dropped
/// unstarted (the loop shut down first), it completes the handle with
/// `Aborted`.
pub(crate) struct Unstarted<T>(Option<Arc<Slot<T>>>);

impl<T> Unstarted<T> {
    /// Guards `slot` until [`start`] is called.
    pub(crate) fn new(slot: Arc<Slot<T>>) -> Unstarted<T> {
        Unstarted(Some(slot))
    }
}

impl<T> Drop for Unstarted<T> {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            slot.complete(Err(JoinError::Aborted));
        }
    }
}

/// On the target loop's thread, inside its `block_on`: builds the future
/// with `make` and spawns it as a task of this loop, its outcome bound for
/// the handle. A panic in `make` is reported through the handle too.
pub(crate) fn start<M, Fut>(make: M, mut unstarted: Unstarted<Fut::Output>)
where
    M: FnOnce() -> Fut,
    Fut: Future + 'static,
    Fut::Output: 'static,
{
    let Some(slot) = unstarted.0.take() else {
        return;
    };
    match catch_unwind(AssertUnwindSafe(make)) {
        Ok(future) => {
            // Detached: the per-core handle is the one that reports.
            drop(event_loop::spawn(Supervised::new(future, slot)));
        }
        Err(payload) => {
            let message = event_loop::panic_message(payload.as_ref());
            slot.complete(Err(JoinError::Panicked(message)));
        }
    }
}
