//! The runtime's timers: a min-heap of deadlines, shared by every worker.
//!
//! Any task on any worker may start a timer, so the heap sits behind a
//! mutex. The worker driving the reactor sleeps until the earliest deadline
//! and fires the due timers when it wakes. Cancellation is lazy, as in the
//! single loop: a dropped [`Sleep`](super::Sleep) removes its waker from
//! `wakers`; its heap entry stays and is skipped when it comes due.

#![forbid(unsafe_code)]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::Waker;
use std::time::Instant;

/// A started timer's identity.
pub(crate) type TimerId = u64;

/// The heap and the wakers. See the module docs.
pub(crate) struct Timers {
    /// Guarded by its mutex.
    inner: Mutex<Inner>,
    /// How many timers are live (`inner.wakers.len()`), readable without
    /// the lock.
    live: AtomicUsize,
}

struct Inner {
    /// Deadlines, earliest on top; an entry whose id is no longer in
    /// `wakers` was cancelled.
    heap: BinaryHeap<Reverse<(Instant, TimerId)>>,
    /// The waker of each live timer.
    wakers: HashMap<TimerId, Waker>,
    next_id: TimerId,
}

impl Timers {
    /// No timers.
    pub(crate) fn new() -> Timers {
        Timers {
            inner: Mutex::new(Inner {
                heap: BinaryHeap::new(),
                wakers: HashMap::new(),
                next_id: 0,
            }),
            live: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts a timer. Returns its id, and whether it is now the earliest
    /// (the driver must then be interrupted to sleep less).
    pub(crate) fn add(&self, deadline: Instant, waker: Waker) -> (TimerId, bool) {
        let mut inner = self.lock();
        let id = inner.next_id;
        inner.next_id += 1;
        let earliest = inner
            .heap
            .peek()
            .is_none_or(|Reverse((first, _))| deadline < *first);
        inner.heap.push(Reverse((deadline, id)));
        inner.wakers.insert(id, waker);
        self.live.store(inner.wakers.len(), Ordering::SeqCst);
        (id, earliest)
    }

    /// Replaces a live timer's waker (the task moved or was re-polled with
    /// another waker). Returns false if the timer already fired.
    pub(crate) fn update(&self, id: TimerId, waker: &Waker) -> bool {
        let mut inner = self.lock();
        match inner.wakers.get_mut(&id) {
            Some(old) => {
                if !old.will_wake(waker) {
                    old.clone_from(waker);
                }
                true
            }
            None => false,
        }
    }

    /// Cancels a timer (its waker is dropped after the lock is released).
    pub(crate) fn cancel(&self, id: TimerId) {
        let mut inner = self.lock();
        let waker = inner.wakers.remove(&id);
        self.live.store(inner.wakers.len(), Ordering::SeqCst);
        drop(inner);
        drop(waker);
    }

    /// The earliest deadline, cancelled entries included (a sleep that ends
    /// early on one is harmless: the driver just turns again).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.lock()
            .heap
            .peek()
            .map(|Reverse((deadline, _))| *deadline)
    }

    /// Whether no timer is live.
    pub(crate) fn is_empty(&self) -> bool {
        self.live.load(Ordering::SeqCst) == 0
    }

    /// Moves the wakers of every timer due at `now` into `wakers`.
    pub(crate) fn fire_due(&self, now: Instant, wakers: &mut Vec<Waker>) {
        let mut inner = self.lock();
        while let Some(Reverse((deadline, id))) = inner.heap.peek().copied() {
            if deadline > now {
                break;
            }
            inner.heap.pop();
            wakers.extend(inner.wakers.remove(&id));
        }
        self.live.store(inner.wakers.len(), Ordering::SeqCst);
    }

    /// At shutdown: takes every live timer's waker.
    pub(crate) fn take_all(&self, wakers: &mut Vec<Waker>) {
        let mut inner = self.lock();
        wakers.extend(inner.wakers.drain().map(|(_, waker)| waker));
        inner.heap.clear();
        self.live.store(0, Ordering::SeqCst);
    }
}
