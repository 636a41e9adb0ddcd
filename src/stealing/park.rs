//! Putting one worker to sleep, and waking exactly that worker.
//!
//! A worker sleeps in one of two ways. If it can take the reactor's lock, it
//! sleeps *inside the reactor* (`epoll_wait`), so a socket event or a timer
//! wakes it; otherwise it sleeps on its own condition variable. Whoever
//! wakes it must know which: [`Parker::state`] says, and
//! [`Parker::unpark`] either signals the condition variable or writes the
//! reactor's `mio::Waker`. The state also remembers a wake-up that arrives
//! before the worker sleeps ([`NOTIFIED`]), so it is never lost. This is
//! tokio's `park.rs`, in the same four states.

#![forbid(unsafe_code)]

use super::sync::{lock, AtomicUsize, Condvar, Mutex, Ordering};

/// Awake, and no wake-up pending.
const EMPTY: usize = 0;
/// Asleep on the condition variable.
const PARKED_CONDVAR: usize = 1;
/// Asleep inside the reactor.
const PARKED_DRIVER: usize = 2;
/// A wake-up arrived and has not been consumed by a `park` yet.
const NOTIFIED: usize = 3;

/// Back to `EMPTY`, taking whatever notification is there. A `swap`, not a
/// `store`: a read-modify-write reads the latest `unpark` and acquires what
/// the unparker wrote before it. A plain store could also land just after
/// a second `unpark` and erase it; `loom` found exactly that lost wake-up.
fn consume_notification(state: &AtomicUsize) {
    state.swap(EMPTY, Ordering::SeqCst);
}

/// One worker's sleeping place.
pub(crate) struct Parker {
    /// One of [`EMPTY`], [`PARKED_CONDVAR`], [`PARKED_DRIVER`], [`NOTIFIED`].
    state: AtomicUsize,
    /// Taken to sleep on `condvar`, and by the waker just before it signals
    /// (so the signal cannot fall between the sleeper's check and its wait).
    mutex: Mutex<()>,
    condvar: Condvar,
}

impl Parker {
    /// An awake parker with no pending wake-up.
    pub(crate) fn new() -> Parker {
        Parker {
            state: AtomicUsize::new(EMPTY),
            mutex: Mutex::new(()),
            condvar: Condvar::new(),
        }
    }

    /// Sleeps until [`Parker::unpark`] is called (returns at once if it was
    /// called since the last `park`). With `driver`, sleeps by calling it
    /// instead: it must block in the reactor until the reactor's waker is
    /// written (or an event or a timer comes, which also ends the sleep).
    pub(crate) fn park(&self, driver: Option<&mut dyn FnMut()>) {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return;
        }
        match driver {
            Some(turn) => self.park_driver(turn),
            None => self.park_condvar(),
        }
    }

    fn park_condvar(&self) {
        let mut guard = lock(&self.mutex);
        if let Err(actual) =
            self.state
                .compare_exchange(EMPTY, PARKED_CONDVAR, Ordering::SeqCst, Ordering::SeqCst)
        {
            debug_assert_eq!(actual, NOTIFIED, "a parker is parked by its owner only");
            consume_notification(&self.state);
            return;
        }
        loop {
            guard = self
                .condvar
                .wait(guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                return; // a real wake-up; otherwise spurious: wait again
            }
        }
    }

    fn park_driver(&self, turn: &mut dyn FnMut()) {
        if let Err(actual) =
            self.state
                .compare_exchange(EMPTY, PARKED_DRIVER, Ordering::SeqCst, Ordering::SeqCst)
        {
            debug_assert_eq!(actual, NOTIFIED, "a parker is parked by its owner only");
            consume_notification(&self.state);
            return;
        }
        turn();
        // Woken by an event, a timer, or `unpark`: either way awake now.
        consume_notification(&self.state);
    }

    /// Wakes the worker, or makes its next `park` return at once.
    /// `wake_driver` writes the reactor's waker; it is called only if the
    /// worker sleeps inside the reactor.
    pub(crate) fn unpark(&self, wake_driver: impl FnOnce()) {
        match self.state.swap(NOTIFIED, Ordering::SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED_CONDVAR => {
                // Taking the lock waits until the sleeper is inside `wait`.
                drop(lock(&self.mutex));
                self.condvar.notify_one();
            }
            _ => wake_driver(),
        }
    }
}
