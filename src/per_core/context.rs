//! The thread-local "which loop of which runtime is this thread".
//!
//! Set once, when a loop's thread starts, and never changed: a loop's
//! thread runs that loop only. It lets a spawn onto the caller's own loop
//! skip the inbox, lets [`Handle::current`](super::Handle::current) find
//! the runtime, and lets `join` refuse to block the loop it waits for.

#![forbid(unsafe_code)]

use std::cell::{Cell, RefCell};

use super::runtime::Handle;

thread_local! {
    /// `(runtime id, loop index)` on a loop's thread; `None` elsewhere.
    static CURRENT: Cell<Option<(u64, usize)>> = const { Cell::new(None) };
    /// The runtime's handle, on a loop's thread.
    static HANDLE: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

/// Marks the calling thread as loop `index` of the runtime behind `handle`,
/// for the rest of the thread's life.
pub(crate) fn enter(handle: Handle, index: usize) {
    CURRENT.set(Some((handle.runtime_id(), index)));
    HANDLE.with(|slot| *slot.borrow_mut() = Some(handle));
}

/// Clears the mark (the loop ended; its thread is about to exit), so the
/// handle's reference to the runtime is dropped now.
pub(crate) fn leave() {
    CURRENT.set(None);
    let handle = HANDLE.with(|slot| slot.borrow_mut().take());
    drop(handle);
}

/// `(runtime id, loop index)` if the calling thread is a loop's.
#[inline]
pub(crate) fn current() -> Option<(u64, usize)> {
    CURRENT.get()
}

/// The handle of the runtime whose loop this thread runs.
pub(crate) fn handle() -> Option<Handle> {
    HANDLE.with(|slot| slot.borrow().clone())
}
