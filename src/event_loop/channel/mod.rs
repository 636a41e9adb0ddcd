//! Channels: how tasks hand values to each other.
//!
//! - [`oneshot`]: exactly one value, from one sender to one receiver — the
//!   shape of "reply to this request".
//! - [`mpsc`]: a bounded queue from many senders to one receiver. When it is
//!   full, `send(..).await` waits: *back-pressure*, so a fast producer cannot
//!   pile up unbounded memory in front of a slow consumer.
//!
//! Both are built from a `Mutex` around the shared state plus the wakers of
//! whoever waits, so their ends may also be used from other threads (when the
//! value is `Send`). Following crossbeam's habit, every error that fails to
//! deliver a value gives the value back.
//!
//! The rule every operation follows: take the lock, change the state, pull
//! out the wakers to call, *release the lock*, then wake.
//!
//! A value received (or sent without waiting) spends one unit of the task's
//! operation budget (`budget.rs` in the loop), so a task draining a channel
//! that is never empty still gives way to the others.

#![forbid(unsafe_code)]

pub mod mpsc;
pub mod oneshot;

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, ignoring poisoning: the channels' state is updated in
/// single steps that a panic cannot leave half-done (no user code runs under
/// the lock).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
