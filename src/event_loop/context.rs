//! The thread-local "which loop is running on this thread right now".
//!
//! `block_on` enters the context for as long as it runs; inside it, tasks can
//! call [`spawn`](super::spawn), create sockets and timers, and wakers know
//! they can take the cheap same-thread path. Outside `block_on` the context is
//! empty and those calls panic with a message that says so.
//!
//! The context is a raw pointer rather than an `Rc`: a thread-local without a
//! destructor is cheaper to reach (no check that it is still alive), and
//! every same-thread wake reaches it. The [`EnterGuard`] owns the `Rc` that
//! keeps the pointee alive. The profile behind this choice is in
//! `docs/benchmarks/event_loop.md`, section "What the profiles changed".

use std::cell::Cell;
use std::ptr;
use std::rc::Rc;

use super::core::Core;

thread_local! {
    /// The loop running on this thread, or null. Set by [`enter`], cleared by
    /// its guard. Invariant: while non-null, it points into an `Rc<Core>`
    /// allocation that the live [`EnterGuard`] holds a strong count on.
    static CURRENT: Cell<*const Core> = const { Cell::new(ptr::null()) };
}

/// Marks `core` as the loop running on this thread until the guard drops.
///
/// # Panics
///
/// If a loop is already running on this thread: `block_on` cannot nest
/// (a task that blocked the loop to run another loop would stall every other
/// task).
pub(crate) fn enter(core: Rc<Core>) -> EnterGuard {
    assert!(
        CURRENT.get().is_null(),
        "block_on called while an event loop is already running on this thread; \
         await the future instead, or spawn it"
    );
    CURRENT.set(Rc::as_ptr(&core));
    EnterGuard { _core: core }
}

/// Clears the context when `block_on` returns (or unwinds).
pub(crate) struct EnterGuard {
    /// Keeps the current loop alive while the context points at it.
    _core: Rc<Core>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        CURRENT.set(ptr::null());
    }
}

/// Runs `f` with the current loop, if any.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Core>) -> R) -> R {
    let current = CURRENT.get();
    // `Core` is only ever used through shared references. The guard that set
    // `CURRENT` lives in `block_on`'s frame, below us on the stack.
    // SAFETY: non-null only while that `EnterGuard` holds a strong `Rc` to
    // the pointee (the invariant of `CURRENT`), and it outlives this call.
    let core = unsafe { current.as_ref() };
    f(core)
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
    let current = CURRENT.get();
    assert!(
        !current.is_null(),
        "{what} must be called inside a running event loop (inside block_on or a task)"
    );
    // SAFETY: `current` came from `Rc::as_ptr` and the live `EnterGuard`
    // holds a strong count on it (the invariant of `CURRENT`), so adding a
    // count and rebuilding an `Rc` from the same pointer is valid.
    unsafe {
        Rc::increment_strong_count(current);
        Rc::from_raw(current)
    }
}
