//! The timer queue: which sleeping task to wake, and when.
//!
//! **Choice: a binary min-heap of deadlines with lazy cancellation.** Each
//! pending timer owns a slot (holding the waker) and has one heap entry
//! `(deadline, sequence, slot, generation)`. Inserting is `O(log n)`; finding
//! the nearest deadline (the `poll` timeout) is `O(1)`; firing pops entries
//! whose deadline has passed. Cancelling (dropping a `Sleep` before it fires)
//! only frees the slot — bumping its generation — and leaves the heap entry
//! behind to be skipped when it surfaces. When dead entries outnumber live
//! ones the heap is rebuilt without them, so memory stays bounded even when
//! most timers are cancelled (every `timeout` that succeeds cancels one).
//!
//! Production runtimes (tokio, the Linux kernel) use a *hierarchical timer
//! wheel* instead: `O(1)` insert and cancel, at the price of a fixed
//! resolution (1 ms in tokio) and more code. A heap keeps exact deadlines and
//! fits in one screen; at 100_000 pending timers it costs ~17 comparisons per
//! insert.
//!
//! **Never early**: a timer fires only when the loop's clock — read *after*
//! `poll` returns — has reached its deadline, and `poll`'s timeout is rounded
//! *up* to whole milliseconds.

#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::task::Waker;
use std::time::Instant;

/// Identifies one armed timer: its slot and the slot's generation when armed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerKey {
    slot: usize,
    generation: u64,
}

/// One heap entry: ordered by deadline, then by arming order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    deadline: Instant,
    sequence: u64,
    key: TimerKey,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.deadline, self.sequence).cmp(&(other.deadline, other.sequence))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A timer slot.
#[derive(Debug)]
struct Slot {
    /// Bumped each time the slot is freed; a heap entry or a `TimerKey` with an
    /// older generation is dead.
    generation: u64,
    /// The waker of the armed timer (`None` while the slot is free).
    waker: Option<Waker>,
}

/// The state behind the queue's `RefCell`.
#[derive(Debug, Default)]
struct Inner {
    /// Min-heap of entries (live and dead).
    heap: BinaryHeap<Reverse<Entry>>,
    /// Slots; a slot is live iff its `waker` is `Some`.
    slots: Vec<Slot>,
    /// Indexes of free slots.
    free: Vec<usize>,
    /// Number of live (armed, not fired, not cancelled) timers.
    live: usize,
    /// Arming counter: equal deadlines fire in arming order.
    sequence: u64,
}

/// The loop's timers. Loop thread only; borrowed briefly, never while a waker
/// runs.
#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    inner: RefCell<Inner>,
}

impl TimerQueue {
    /// Arms a timer that wakes `waker` at `deadline`.
    pub(crate) fn insert(&self, deadline: Instant, waker: Waker) -> TimerKey {
        let mut inner = self.inner.borrow_mut();
        let slot = match inner.free.pop() {
            Some(slot) => {
                inner.slots[slot].waker = Some(waker);
                slot
            }
            None => {
                inner.slots.push(Slot {
                    generation: 0,
                    waker: Some(waker),
                });
                inner.slots.len() - 1
            }
        };
        let key = TimerKey {
            slot,
            generation: inner.slots[slot].generation,
        };
        inner.sequence += 1;
        let sequence = inner.sequence;
        inner.heap.push(Reverse(Entry {
            deadline,
            sequence,
            key,
        }));
        inner.live += 1;
        key
    }

    /// Whether the timer is still armed (not fired, not cancelled).
    pub(crate) fn is_armed(&self, key: TimerKey) -> bool {
        self.inner.borrow().is_live(key)
    }

    /// Replaces an armed timer's waker (the task was polled with a new one).
    pub(crate) fn update_waker(&self, key: TimerKey, waker: &Waker) {
        let old = {
            let mut inner = self.inner.borrow_mut();
            if !inner.is_live(key) {
                return;
            }
            let slot = &mut inner.slots[key.slot];
            match &slot.waker {
                Some(current) if current.will_wake(waker) => None,
                _ => slot.waker.replace(waker.clone()),
            }
        };
        drop(old);
    }

    /// Disarms a timer (its heap entry is skipped later).
    pub(crate) fn cancel(&self, key: TimerKey) {
        let old = {
            let mut inner = self.inner.borrow_mut();
            if !inner.is_live(key) {
                return; // fired already
            }
            let waker = inner.free_slot(key.slot);
            inner.compact_if_mostly_dead();
            waker
        };
        drop(old);
    }

    /// The earliest deadline of a live timer.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let mut inner = self.inner.borrow_mut();
        inner.drop_dead_top();
        inner.heap.peek().map(|Reverse(entry)| entry.deadline)
    }

    /// Number of live timers.
    pub(crate) fn len(&self) -> usize {
        self.inner.borrow().live
    }

    /// Disarms every timer whose deadline is `<= now` and collects their
    /// wakers (in deadline order) into `woken`.
    pub(crate) fn fire_expired(&self, now: Instant, woken: &mut Vec<Waker>) {
        let mut inner = self.inner.borrow_mut();
        while let Some(Reverse(entry)) = inner.heap.peek().copied() {
            if entry.deadline > now {
                break;
            }
            inner.heap.pop();
            if inner.is_live(entry.key) {
                woken.extend(inner.free_slot(entry.key.slot));
            }
        }
    }

    /// Drops every waker (the loop is being dropped).
    pub(crate) fn clear(&self) {
        let old = std::mem::take(&mut *self.inner.borrow_mut());
        drop(old);
    }
}

impl Inner {
    /// Whether `key` names a live timer (its slot was not freed since).
    fn is_live(&self, key: TimerKey) -> bool {
        self.slots
            .get(key.slot)
            .is_some_and(|slot| slot.generation == key.generation)
    }

    /// Frees a live slot: bumps its generation, returns its waker.
    fn free_slot(&mut self, slot: usize) -> Option<Waker> {
        let entry = &mut self.slots[slot];
        entry.generation += 1;
        let waker = entry.waker.take();
        self.free.push(slot);
        self.live -= 1;
        waker
    }

    /// Pops dead entries off the top, so the top is the nearest live deadline.
    fn drop_dead_top(&mut self) {
        while let Some(Reverse(entry)) = self.heap.peek() {
            if self.is_live(entry.key) {
                break;
            }
            self.heap.pop();
        }
    }

    /// Rebuilds the heap without dead entries once they are the majority.
    fn compact_if_mostly_dead(&mut self) {
        let dead = self.heap.len() - self.live;
        if dead > 1024 && dead > self.live {
            let slots = &self.slots;
            self.heap
                .retain(|Reverse(entry)| slots[entry.key.slot].generation == entry.key.generation);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TimerQueue;
    use std::sync::Arc;
    use std::task::{Wake, Waker};
    use std::time::{Duration, Instant};

    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }

    fn noop() -> Waker {
        Waker::from(Arc::new(Noop))
    }

    #[test]
    fn fires_in_deadline_order_and_skips_cancelled_timers() {
        let timers = TimerQueue::default();
        let start = Instant::now();
        let late = timers.insert(start + Duration::from_millis(3), noop());
        let cancelled = timers.insert(start + Duration::from_millis(1), noop());
        let early = timers.insert(start + Duration::from_millis(2), noop());
        timers.cancel(cancelled);
        assert_eq!(timers.len(), 2);
        assert_eq!(
            timers.next_deadline(),
            Some(start + Duration::from_millis(2))
        );
        let mut woken = Vec::new();
        timers.fire_expired(start + Duration::from_millis(2), &mut woken);
        assert_eq!(woken.len(), 1);
        assert!(!timers.is_armed(early));
        assert!(timers.is_armed(late));
        timers.fire_expired(start + Duration::from_millis(10), &mut woken);
        assert_eq!(woken.len(), 2);
        assert_eq!(timers.len(), 0);
        assert_eq!(timers.next_deadline(), None);
    }

    #[test]
    fn cancelled_entries_are_compacted_away() {
        let timers = TimerQueue::default();
        let far = Instant::now() + Duration::from_secs(3600);
        for _ in 0..10_000 {
            let key = timers.insert(far, noop());
            timers.cancel(key);
        }
        let heap_len = timers.inner.borrow().heap.len();
        assert!(
            heap_len <= 2 * 1024 + 1,
            "heap kept {heap_len} dead entries"
        );
        assert_eq!(timers.len(), 0);
    }
}
