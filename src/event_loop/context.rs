//! The thread-local "which loop is running on this thread right now".
//!
//! `block_on` enters the context for as long as it runs; inside it, tasks can
//! call [`spawn`](super::spawn), create sockets and timers, and wakers know
//! they can take the cheap same-thread path. Outside `block_on` the context is
//! empty and those calls panic with a message that says so.

use std::cell::RefCell;
use std::rc::Rc;

use super::core::Core;

thread_local! {
    /// The loop running on this thread, if any. Set and cleared only by
    /// [`enter`] and its guard; borrowed shortly (never across user code).
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// Marks `core` as the loop running on this thread until the guard drops.
///
/// # Panics
///
/// If a loop is already running on this thread: `block_on` cannot nest
/// (a task that blocked the loop to run another loop would stall every other
/// task).
pub(crate) fn enter(core: Rc<Core>) -> EnterGuard {
    CURRENT.with(|current| {
        let mut current = current.borrow_mut();
        assert!(
            current.is_none(),
            "block_on called while an event loop is already running on this thread; \
             await the future instead, or spawn it"
        );
        *current = Some(core);
    });
    EnterGuard { _private: () }
}

/// Clears the context when `block_on` returns (or unwinds).
pub(crate) struct EnterGuard {
    _private: (),
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let core = CURRENT.with(|current| current.borrow_mut().take());
        drop(core); // outside the borrow: dropping may run arbitrary code
    }
}

/// Runs `f` with the current loop, if any.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Rc<Core>>) -> R) -> R {
    CURRENT.with(|current| f(current.borrow().as_ref()))
}

/// Whether loop `loop_id` is the one running on this thread.
pub(crate) fn is_current(loop_id: u64) -> bool {
    with_current(|core| core.is_some_and(|core| core.id == loop_id))
}

/// The loop running on this thread.
///
/// # Panics
///
/// Outside a running loop (not inside `block_on` or one of its tasks).
pub(crate) fn current(what: &str) -> Rc<Core> {
    with_current(|core| core.cloned()).unwrap_or_else(|| {
        panic!("{what} must be called inside a running event loop (inside block_on or a task)")
    })
}
