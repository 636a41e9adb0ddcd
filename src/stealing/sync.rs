//! The locks and atomics the queues and the parking protocol use: `std`'s in
//! a normal build, `loom`'s under `--cfg loom` so the model checker sees them.
//!
//! Only the files `loom` checks (`local_queue.rs`, `inject.rs`, `idle.rs`,
//! `park.rs`) import from here. Everything else uses `std` directly: it is
//! either not shared between threads, or it is the task's own lock, which
//! the state machine in `task.rs` already keeps uncontended.

#![forbid(unsafe_code)]

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};

/// Locks `mutex`, ignoring poisoning: no user code ever runs while one of
/// these locks is held, so a poisoned lock still guards consistent data.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
