//! Wakers: how "this task can make progress now" gets back to the loop.
//!
//! A [`Waker`](std::task::Waker) is what a future hands to whatever it waits
//! on (a socket, a timer, a channel, a thread-pool job). Calling `wake()`
//! must put the task back into the ready queue — from any thread. Two paths:
//!
//! - **Same thread** (the common case: a channel send or a timer firing inside
//!   the loop): the thread-local context says "this thread is running loop N
//!   right now", so the waker may use the loop's thread-only state: a task
//!   that is `Waiting` goes straight into the scheduler; one that is `Ready`
//!   already is left alone (a duplicate wake); one that is `Running` (it woke
//!   itself, as `yield_now` does) is flagged, and the loop requeues it when
//!   its poll returns. No lock, no system call, no atomic operation.
//! - **Another thread** (a thread-pool job finishing): the task is pushed onto
//!   the loop's [`Shared::inbox`] (a mutex-protected `Vec`) and the loop is
//!   interrupted through a `mio::Waker` (an `eventfd` write on Linux), in case
//!   it is blocked in `epoll_wait`. The loop drains the inbox every turn.
//!
//! Either way a task is queued at most once, so duplicate and spurious wakes
//! are harmless: on the loop's thread its state says whether it is queued; in
//! the inbox, [`Header::remote_queued`] does.
//!
//! [`Header::remote_queued`]: super::task::Header::remote_queued

#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Wake;

use super::context;
use super::task::{Header, TaskObj};

/// The part of a loop that other threads may touch: its identity, its inbox
/// and its `mio::Waker`. Shared by the loop and every task's waker.
pub(crate) struct Shared {
    /// Which loop this is (unique per process).
    pub(crate) loop_id: u64,
    /// Tasks woken from other threads, oldest first. Guarded by its mutex;
    /// the loop moves them into the scheduler at the start of each turn.
    inbox: Mutex<Vec<Arc<dyn TaskObj>>>,
    /// True when the inbox may be non-empty. Set by remote wakers after
    /// pushing; cleared by the loop just before it drains the inbox.
    inbox_dirty: AtomicBool,
    /// True when the future given to `block_on` has been woken and must be
    /// polled again. Set by its waker (any thread), cleared by the loop.
    pub(crate) main_woken: AtomicBool,
    /// True when the `mio::Waker` has been triggered and the loop has not yet
    /// gone back to sleep since: saves redundant `eventfd` writes. Cleared by
    /// the loop before it decides whether to block.
    notified: AtomicBool,
    /// Interrupts a blocking `mio::Poll::poll` from another thread.
    mio_waker: mio::Waker,
    /// Set once the loop is dropped: remote wakes are then ignored.
    closed: AtomicBool,
}

impl Shared {
    /// Creates the shared half of loop `loop_id`, around its `mio::Waker`.
    pub(crate) fn new(loop_id: u64, mio_waker: mio::Waker) -> Shared {
        Shared {
            loop_id,
            inbox: Mutex::new(Vec::new()),
            inbox_dirty: AtomicBool::new(false),
            main_woken: AtomicBool::new(false),
            notified: AtomicBool::new(false),
            mio_waker,
            closed: AtomicBool::new(false),
        }
    }

    /// Queues `task` from a thread that is not running this loop.
    fn push_remote(&self, task: Arc<dyn TaskObj>) {
        if self.closed.load(Ordering::Acquire) {
            return; // the loop is gone; its tasks are already cancelled
        }
        self.inbox
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(task);
        self.inbox_dirty.store(true, Ordering::SeqCst);
        self.notify();
    }

    /// Interrupts the loop's `poll` if it may be blocked.
    pub(crate) fn notify(&self) {
        if !self.notified.swap(true, Ordering::SeqCst) {
            // An error here means the eventfd is full of wake-ups already,
            // which wakes the loop just as well.
            let _ = self.mio_waker.wake();
        }
    }

    /// Called by the loop before it checks for work and (maybe) blocks: any
    /// remote wake after this point writes the eventfd again.
    pub(crate) fn clear_notified(&self) {
        self.notified.store(false, Ordering::SeqCst);
    }

    /// Takes every task woken from other threads (empty fast path: no lock).
    pub(crate) fn take_inbox(&self, into: &mut Vec<Arc<dyn TaskObj>>) {
        if self.inbox_dirty.swap(false, Ordering::SeqCst) {
            let mut inbox = self
                .inbox
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            into.append(&mut inbox);
        }
    }

    /// Whether a remote wake is waiting in the inbox.
    pub(crate) fn inbox_dirty(&self) -> bool {
        self.inbox_dirty.load(Ordering::SeqCst)
    }

    /// Marks the loop as gone; later remote wakes are dropped.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }
}

/// Wakes a task, consuming a reference to it (`Waker::wake`).
pub(crate) fn wake_owned(task: Arc<dyn TaskObj>) {
    let loop_id = task.header().shared.loop_id;
    let not_here = context::with_current(|current| match current {
        Some(core) if core.id == loop_id => {
            if core.note_wake(task.header()) {
                core.enqueue(task);
            }
            None
        }
        _ => Some(task),
    });
    if let Some(task) = not_here {
        if !task.header().remote_queued.swap(true, Ordering::AcqRel) {
            task.header().shared.clone().push_remote(task);
        }
    }
}

/// Wakes a task from a borrowed reference (`Waker::wake_by_ref`); `clone`
/// makes an owned reference only if the task must be queued.
pub(crate) fn wake_by_ref(header: &Header, clone: impl FnOnce() -> Arc<dyn TaskObj>) {
    let loop_id = header.shared.loop_id;
    let not_here = context::with_current(|current| match current {
        Some(core) if core.id == loop_id => {
            if core.note_wake(header) {
                core.enqueue(clone());
            }
            None
        }
        _ => Some(clone),
    });
    if let Some(clone) = not_here {
        if header.remote_queued.load(Ordering::Relaxed) {
            return; // already in the inbox: a duplicate wake is free
        }
        if !header.remote_queued.swap(true, Ordering::AcqRel) {
            header.shared.push_remote(clone());
        }
    }
}

/// The waker of the future passed to `block_on` (it is not a task: it borrows
/// from the caller's stack). Waking it sets a flag the loop checks every turn.
pub(crate) struct MainWaker {
    /// The loop whose `block_on` future this wakes.
    pub(crate) shared: Arc<Shared>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.shared.main_woken.store(true, Ordering::SeqCst);
        if !context::is_current(self.shared.loop_id) {
            self.shared.notify();
        }
    }
}
