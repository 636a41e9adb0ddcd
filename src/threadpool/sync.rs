//! Locking without poisoning: why a poisoned lock cannot mean broken state here.
//!
//! `std::sync::Mutex` "poisons" itself when a thread panics while holding
//! the guard, so that later users learn the protected data may be half
//! updated. This module never runs user code while it holds a lock (user
//! code runs with every guard dropped, inside `catch_unwind`), and its own
//! critical sections are a few assignments that cannot panic halfway. So a
//! poisoned lock here can only come from an allocation failure or a bug in
//! this module; in both cases the data is still consistent, and carrying on
//! is better than turning one panic into a cascade of them.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError, TryLockError, WaitTimeoutResult};
use std::time::Duration;

/// Locks `mutex`, ignoring poison (see the module docs for why that is sound).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `Mutex::try_lock`, ignoring poison: `None` if another thread holds it.
pub(crate) fn try_lock<T>(mutex: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    match mutex.try_lock() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// `Condvar::wait`, ignoring poison.
pub(crate) fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// `Condvar::wait_timeout`, ignoring poison.
pub(crate) fn wait_timeout<'a, T>(
    condvar: &Condvar,
    guard: MutexGuard<'a, T>,
    timeout: Duration,
) -> (MutexGuard<'a, T>, WaitTimeoutResult) {
    condvar
        .wait_timeout(guard, timeout)
        .unwrap_or_else(PoisonError::into_inner)
}
