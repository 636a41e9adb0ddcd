//! A worker's own run queue: a bounded ring, a LIFO slot, and "steal half".
//!
//! The owner pushes and pops; any other worker may steal. Three rules:
//!
//! - **Bounded.** The ring holds at most [`CAPACITY`] tasks. When the owner
//!   pushes onto a full ring, half of it moves to the injection queue
//!   ([`Overflow`]), so one busy worker cannot hoard the runtime's work.
//! - **LIFO slot.** A task woken by the task running on this worker goes into
//!   a one-task slot that is popped *before* the ring: in a message exchange
//!   the receiver runs next, while its data is still in this core's cache.
//!   The task displaced from the slot goes to the back of the ring. The
//!   worker caps how many slot pops it takes in a row (`worker.rs`), or two
//!   tasks waking each other would starve the ring.
//! - **Steal half.** A thief takes half of the ring, rounded up, from the
//!   front (the oldest tasks), or the LIFO slot when the ring is empty.
//!   Unlike tokio, the slot can be stolen: a task stuck in the slot of a
//!   worker that runs a never-yielding task would otherwise wait forever.
//!
//! The ring is a `VecDeque` behind a mutex. Only the owner and a thief ever
//! take it, so it is uncontended except during a steal; the thief holds it
//! only long enough to move the stolen tasks out. Production runtimes avoid
//! the lock: tokio's queue is a fixed array where only the owner writes the
//! tail and thieves claim a range of the head with one compare-and-swap.
//! The rules above are the same.

#![forbid(unsafe_code)]

use std::collections::VecDeque;

use super::sync::{lock, AtomicUsize, Mutex, Ordering};

/// How many tasks the ring holds before it overflows into the injection
/// queue (tokio's local queue has the same capacity).
pub(crate) const CAPACITY: usize = 256;

/// Tasks the owner must move to the injection queue because its ring was
/// full: half the ring, oldest first, then the task being pushed.
pub(crate) type Overflow<T> = Vec<T>;

/// What a push changed for thieves: whether a sleeper should hear of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// The ring was empty and now holds a task: stealable work appeared.
    /// The owner announces it (`Shared::queue`).
    FirstInRing,
    /// Nothing to announce: the ring already held tasks (the first of them
    /// was announced), or the task went alone into the LIFO slot, where it
    /// runs next.
    Quiet,
}

/// One worker's queue. See the module docs.
pub(crate) struct LocalQueue<T> {
    /// The slot and the ring. Guarded by its mutex; taken by the owner for
    /// every push and pop, by a thief for one steal.
    inner: Mutex<Inner<T>>,
    /// How many tasks the slot and ring hold together. Written under the
    /// lock, read without it: a hint for thieves choosing a victim, and what
    /// a worker about to sleep checks for "is there work anywhere?".
    /// `Release`/`Acquire`, not `SeqCst`: the no-lost-wake-up argument
    /// orders this word through the idle word's read-modify-writes, which
    /// every push is followed by and every sleeper's re-check is preceded
    /// by (`idle.rs`). On x86 a `SeqCst` store is a locked exchange; these
    /// are plain moves.
    len: AtomicUsize,
}

struct Inner<T> {
    /// The task woken most recently by the owner's running task, if any.
    lifo: Option<T>,
    /// Every other queued task, oldest first.
    ring: VecDeque<T>,
}

impl<T> Inner<T> {
    fn len(&self) -> usize {
        self.ring.len() + usize::from(self.lifo.is_some())
    }
}

/// Where [`LocalQueue::pop`] found the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PoppedFrom {
    /// The LIFO slot.
    Lifo,
    /// The front of the ring.
    Ring,
}

impl<T> LocalQueue<T> {
    /// An empty queue.
    pub(crate) fn new() -> LocalQueue<T> {
        LocalQueue {
            inner: Mutex::new(Inner {
                lifo: None,
                ring: VecDeque::with_capacity(CAPACITY),
            }),
            len: AtomicUsize::new(0),
        }
    }

    /// How many tasks are queued (a hint: it may change at once).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Whether nothing is queued (a hint, as [`LocalQueue::len`]).
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Owner only: queues `task` at the back of the ring. If the ring is
    /// full, returns the tasks to move to the injection queue instead.
    pub(crate) fn push_back(&self, task: T) -> Result<Pushed, Overflow<T>> {
        let mut inner = lock(&self.inner);
        let result = Self::push_back_locked(&mut inner, task);
        self.len.store(inner.len(), Ordering::Release);
        result
    }

    /// Owner only: puts `task` in the LIFO slot; the task it displaces goes
    /// to the back of the ring (which may overflow, as in `push_back`).
    pub(crate) fn push_lifo(&self, task: T) -> Result<Pushed, Overflow<T>> {
        let mut inner = lock(&self.inner);
        let result = match inner.lifo.replace(task) {
            Some(displaced) => Self::push_back_locked(&mut inner, displaced),
            None => Ok(Pushed::Quiet),
        };
        self.len.store(inner.len(), Ordering::Release);
        result
    }

    fn push_back_locked(inner: &mut Inner<T>, task: T) -> Result<Pushed, Overflow<T>> {
        if inner.ring.len() < CAPACITY {
            let pushed = if inner.ring.is_empty() {
                Pushed::FirstInRing
            } else {
                Pushed::Quiet
            };
            inner.ring.push_back(task);
            return Ok(pushed);
        }
        let mut overflow: Vec<T> = inner.ring.drain(..CAPACITY / 2).collect();
        overflow.push(task);
        Err(overflow)
    }

    /// Owner only: the next task. With `use_lifo`, the slot comes first;
    /// without it, a task in the slot moves to the back of the ring and the
    /// front of the ring comes first (the worker's fairness cap).
    pub(crate) fn pop(&self, use_lifo: bool) -> Option<(T, PoppedFrom)> {
        let mut inner = lock(&self.inner);
        let popped = if use_lifo {
            match inner.lifo.take() {
                Some(task) => Some((task, PoppedFrom::Lifo)),
                None => inner.ring.pop_front().map(|task| (task, PoppedFrom::Ring)),
            }
        } else {
            if let Some(task) = inner.lifo.take() {
                // The ring has room: a slot is never filled over a full ring
                // without the displaced task overflowing first.
                inner.ring.push_back(task);
            }
            inner.ring.pop_front().map(|task| (task, PoppedFrom::Ring))
        };
        self.len.store(inner.len(), Ordering::Release);
        popped
    }

    /// Thief: takes half of this queue's ring (rounded up, oldest first), or
    /// its LIFO slot if the ring is empty. Returns nothing if it is empty.
    pub(crate) fn steal_half(&self) -> Vec<T> {
        let mut inner = lock(&self.inner);
        let half = inner.ring.len().div_ceil(2);
        let stolen: Vec<T> = if half > 0 {
            inner.ring.drain(..half).collect()
        } else {
            inner.lifo.take().into_iter().collect()
        };
        self.len.store(inner.len(), Ordering::Release);
        stolen
    }

    /// Owner only: queues tasks it stole (or took from the injection queue)
    /// at the back of the ring. The caller brings at most [`CAPACITY`] / 2
    /// and only when its own ring is empty, so they always fit.
    pub(crate) fn push_batch(&self, tasks: impl IntoIterator<Item = T>) {
        let mut inner = lock(&self.inner);
        inner.ring.extend(tasks);
        self.len.store(inner.len(), Ordering::Release);
    }

    /// Takes every queued task (at shutdown).
    pub(crate) fn drain(&self) -> Vec<T> {
        let mut inner = lock(&self.inner);
        let mut all: Vec<T> = inner.lifo.take().into_iter().collect();
        all.extend(inner.ring.drain(..));
        self.len.store(0, Ordering::Release);
        all
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_full_ring_overflows_half_of_itself_plus_the_new_task() {
        let queue = LocalQueue::new();
        for task in 0..CAPACITY {
            queue.push_back(task).unwrap();
        }
        let overflow = queue.push_back(CAPACITY).unwrap_err();
        assert_eq!(overflow.len(), CAPACITY / 2 + 1);
        assert_eq!(overflow[0], 0, "the oldest go first");
        assert_eq!(*overflow.last().unwrap(), CAPACITY);
        assert_eq!(queue.len(), CAPACITY / 2);
    }

    #[test]
    fn steal_takes_half_rounded_up_then_the_lifo_slot() {
        let queue = LocalQueue::new();
        for task in 0..5 {
            queue.push_back(task).unwrap();
        }
        assert_eq!(queue.push_lifo(9).unwrap(), Pushed::Quiet);
        assert_eq!(queue.steal_half(), [0, 1, 2]);
        assert_eq!(queue.steal_half(), [3]);
        assert_eq!(queue.steal_half(), [4]);
        assert_eq!(queue.steal_half(), [9], "the slot, once the ring is empty");
        assert!(queue.is_empty());
    }

    #[test]
    fn the_lifo_slot_runs_first_unless_the_worker_says_no() {
        let queue = LocalQueue::new();
        assert_eq!(queue.push_back(1).unwrap(), Pushed::FirstInRing);
        assert_eq!(
            queue.push_lifo(2).unwrap(),
            Pushed::Quiet,
            "alone in the slot"
        );
        assert_eq!(
            queue.push_lifo(3).unwrap(),
            Pushed::Quiet,
            "2 is displaced behind 1: the ring was not empty"
        );
        assert_eq!(queue.pop(true), Some((3, PoppedFrom::Lifo)));
        queue.push_lifo(4).unwrap();
        assert_eq!(queue.pop(false), Some((1, PoppedFrom::Ring)));
        assert_eq!(queue.pop(false), Some((2, PoppedFrom::Ring)));
        assert_eq!(queue.pop(false), Some((4, PoppedFrom::Ring)));
        assert_eq!(queue.pop(true), None);
    }

    #[test]
    fn only_the_first_task_of_an_empty_ring_is_announced() {
        let queue = LocalQueue::new();
        assert_eq!(queue.push_back(1).unwrap(), Pushed::FirstInRing);
        assert_eq!(queue.push_back(2).unwrap(), Pushed::Quiet);
        assert_eq!(queue.push_lifo(3).unwrap(), Pushed::Quiet);
        queue.pop(false);
        queue.pop(false);
        assert_eq!(queue.pop(false), Some((3, PoppedFrom::Ring)));
        assert_eq!(
            queue.push_lifo(4).unwrap(),
            Pushed::Quiet,
            "alone in the slot"
        );
        assert_eq!(
            queue.push_lifo(5).unwrap(),
            Pushed::FirstInRing,
            "4 displaced into the empty ring"
        );
    }
}
