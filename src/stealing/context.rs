//! Which runtime this thread is in, and as which worker.
//!
//! A thread-local set while a worker runs (`worker: Some(i)`) and while a
//! thread is inside [`Runtime::block_on`](super::Runtime::block_on)
//! (`worker: None`). [`spawn`](super::spawn), `sleep` and the sockets find
//! their runtime here; a wake finds here whether it runs on one of its
//! runtime's workers (then the task goes to that worker's own queue) or
//! elsewhere (then it goes to the injection queue).

#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::sync::Arc;

use super::runtime::Shared;

/// What this thread is doing for which runtime.
#[derive(Clone)]
pub(crate) struct Current {
    /// The runtime.
    pub(crate) shared: Arc<Shared>,
    /// This thread's worker index, if it is one of the runtime's workers.
    pub(crate) worker: Option<usize>,
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// Restores the previous context when dropped.
pub(crate) struct EnterGuard {
    previous: Option<Current>,
}

/// Makes `current` this thread's context until the guard is dropped.
pub(crate) fn enter(current: Current) -> EnterGuard {
    let previous = CURRENT.with(|cell| cell.borrow_mut().replace(current));
    EnterGuard { previous }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // At thread exit the slot may already be gone; nothing to restore.
        let _ = CURRENT.try_with(|cell| *cell.borrow_mut() = previous);
    }
}

/// This thread's runtime, if any.
pub(crate) fn current() -> Option<Current> {
    CURRENT
        .try_with(|cell| cell.borrow().clone())
        .ok()
        .flatten()
}

/// This thread's worker index, if it is a worker of `shared`'s runtime.
pub(crate) fn worker_index(shared: &Arc<Shared>) -> Option<usize> {
    CURRENT
        .try_with(|cell| match &*cell.borrow() {
            Some(current) if Arc::ptr_eq(&current.shared, shared) => current.worker,
            _ => None,
        })
        .ok()
        .flatten()
}

/// This thread's runtime, or a panic naming `what` needed one.
pub(crate) fn expect_current(what: &str) -> Arc<Shared> {
    match current() {
        Some(current) => current.shared,
        None => panic!("{what} called outside a stealing runtime (not in a task nor in block_on)"),
    }
}
