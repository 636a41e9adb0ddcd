//! Who is asleep, who is searching: the bookkeeping that keeps wake-ups from
//! being lost without waking every sleeper.
//!
//! A worker is *unparked* (running tasks or looking for some) or *parked*
//! (asleep, its index in [`Idle::sleepers`]). An unparked worker with an
//! empty queue is *searching*: stealing from the others, checking the
//! injection queue. Two counters, packed in one atomic word, describe the
//! pool: how many workers are unparked, and how many of those search.
//!
//! ## The protocol (tokio's, after Go's scheduler)
//!
//! - **Notify** (new work was queued): wake one sleeper, but only if nobody
//!   is searching and somebody sleeps. A searcher will find the new work;
//!   waking more would only make them compete for it. The woken worker
//!   starts *searching* (the notifier counts it, so a burst of pushes wakes
//!   one worker, not one per push).
//! - **Announce a ring once.** A worker's push onto its own queue notifies
//!   only when its ring was empty (`Pushed::FirstInRing`). While the ring
//!   holds tasks, its first one was announced: someone was woken, or was
//!   already searching, and a searcher either steals from this ring, or
//!   hands the search on when it finds work elsewhere, or parks with the
//!   re-check below, which sees the ring. Tasks that yield one after another
//!   on a busy worker so cost no notify each (tokio reaches the same end by
//!   deferring a yielded task's wake-up). `loom_tests.rs` checks that a
//!   second, unannounced task is still stolen while its worker is stuck.
//!   Pushes from outside the workers (the injection queue) notify every
//!   time: the pusher is not a worker that will run them itself.
//! - **Bounded search.** A worker may start searching only while fewer than
//!   half of the workers search ([`Idle::try_start_searching`]).
//! - **Found work.** A searcher that finds work stops searching; if it was
//!   the last searcher, it notifies, so that someone keeps looking (where
//!   there was one task there are often more).
//! - **No lost wake-up.** A worker that parks while searching and was the
//!   last searcher must look at every queue once more *after* it has
//!   published that it stopped searching, and notify if it sees work.
//!   Either the notifier's check sees "nobody searches" and wakes a sleeper,
//!   or the parking worker's re-check sees the notifier's task: each side
//!   writes, then reads the other's variable (Dekker's pattern), and the
//!   notifier's read is a read-modify-write of the state word, which orders
//!   it against the parking worker's update (`should_notify`).
//!   `loom_tests.rs` model-checks this; it found the lost wake-up that a
//!   plain load there allows.

#![forbid(unsafe_code)]

use super::sync::{lock, AtomicUsize, Mutex, Ordering};

/// Bits of [`Idle::state`] that count searching workers (the low half);
/// the high half counts unparked workers.
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;
const UNPARK_SHIFT: usize = usize::BITS as usize / 2;
const ONE_UNPARKED: usize = 1 << UNPARK_SHIFT;
const ONE_SEARCHING: usize = 1;

/// The pool-wide sleep state. See the module docs.
pub(crate) struct Idle {
    /// `unparked << UNPARK_SHIFT | searching`. Changed with atomic adds so
    /// the notify fast path is one load; `SeqCst` throughout (the protocol
    /// relies on one total order with the queues' lengths).
    state: AtomicUsize,
    /// Indexes of parked workers. Guarded by its mutex, which also orders
    /// the notify slow path against parking.
    sleepers: Mutex<Vec<usize>>,
    /// How many workers the runtime has (immutable).
    workers: usize,
}

impl Idle {
    /// All `workers` unparked, none searching.
    pub(crate) fn new(workers: usize) -> Idle {
        Idle {
            state: AtomicUsize::new(workers << UNPARK_SHIFT),
            sleepers: Mutex::new(Vec::with_capacity(workers)),
            workers,
        }
    }

    fn searching(state: usize) -> usize {
        state & SEARCH_MASK
    }

    fn unparked(state: usize) -> usize {
        state >> UNPARK_SHIFT
    }

    fn should_notify(&self) -> bool {
        // A read-modify-write, not a load: it reads the latest value in the
        // word's modification order, and it synchronizes with the parking
        // worker's `fetch_sub`. Either it comes after that `fetch_sub` (and
        // sees "nobody searches"), or the parking worker's re-check comes
        // after it and sees the task queued before it. A plain load gives no
        // such guarantee without relying on `SeqCst` alone, which `loom`
        // does not model (tokio reads this word the same way).
        let state = self.state.fetch_add(0, Ordering::SeqCst);
        Self::searching(state) == 0 && Self::unparked(state) < self.workers
    }

    /// New work was queued: returns the sleeper to wake, if one should be
    /// woken. It is already counted unparked and searching; the caller
    /// unparks it.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_notify() {
            return None;
        }
        let mut sleepers = lock(&self.sleepers);
        // Checked again under the lock: another notifier may have won.
        if !self.should_notify() {
            return None;
        }
        let worker = sleepers.pop()?;
        self.state
            .fetch_add(ONE_UNPARKED | ONE_SEARCHING, Ordering::SeqCst);
        Some(worker)
    }

    /// A worker with nothing to do asks to search. Refused while half of
    /// the workers (or more) already search.
    pub(crate) fn try_start_searching(&self) -> bool {
        let state = self.state.load(Ordering::SeqCst);
        if 2 * Self::searching(state) >= self.workers {
            return false;
        }
        self.state.fetch_add(ONE_SEARCHING, Ordering::SeqCst);
        true
    }

    /// A searcher found work. Returns whether it was the last searcher (the
    /// caller must then notify).
    pub(crate) fn stop_searching(&self) -> bool {
        let previous = self.state.fetch_sub(ONE_SEARCHING, Ordering::SeqCst);
        Self::searching(previous) == 1
    }

    /// Worker `index` goes to sleep. Returns whether it was the last
    /// searcher (the caller must then re-check every queue).
    pub(crate) fn park(&self, index: usize, searching: bool) -> bool {
        let mut sleepers = lock(&self.sleepers);
        let delta = ONE_UNPARKED + if searching { ONE_SEARCHING } else { 0 };
        let previous = self.state.fetch_sub(delta, Ordering::SeqCst);
        sleepers.push(index);
        searching && Self::searching(previous) == 1
    }

    /// Whether worker `index` is still registered as asleep (a wake-up that
    /// did not come from a notify: spurious, the driver, or shutdown).
    pub(crate) fn is_parked(&self, index: usize) -> bool {
        lock(&self.sleepers).contains(&index)
    }

    /// Worker `index` woke by itself with work of its own (the reactor woke
    /// tasks onto its queue): it becomes unparked, not searching. Returns
    /// false if a notifier had already unparked it.
    pub(crate) fn unpark_self(&self, index: usize) -> bool {
        let mut sleepers = lock(&self.sleepers);
        match sleepers.iter().position(|&sleeper| sleeper == index) {
            Some(at) => {
                sleepers.swap_remove(at);
                self.state.fetch_add(ONE_UNPARKED, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    /// A sleeping worker other than `index`, if any (to hand the reactor
    /// over to: it stays registered as asleep).
    pub(crate) fn sleeper_other_than(&self, index: usize) -> Option<usize> {
        lock(&self.sleepers)
            .iter()
            .copied()
            .find(|&sleeper| sleeper != index)
    }

    /// How many workers search right now (a hint, for tests and docs).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn num_searching(&self) -> usize {
        Self::searching(self.state.load(Ordering::SeqCst))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn at_most_half_the_workers_search() {
        let idle = Idle::new(4);
        assert!(idle.try_start_searching());
        assert!(idle.try_start_searching());
        assert!(!idle.try_start_searching(), "two of four already search");
        assert_eq!(idle.num_searching(), 2);
        assert!(!idle.stop_searching());
        assert!(idle.stop_searching(), "the last searcher is told so");
    }

    #[test]
    fn a_notify_wakes_one_sleeper_and_counts_it_searching() {
        let idle = Idle::new(2);
        assert_eq!(idle.worker_to_notify(), None, "nobody sleeps");
        assert!(!idle.park(0, false));
        assert!(!idle.park(1, false));
        let woken = idle.worker_to_notify().expect("someone sleeps");
        assert!(!idle.is_parked(woken));
        assert_eq!(idle.num_searching(), 1);
        assert_eq!(idle.worker_to_notify(), None, "a searcher will find it");
    }
}
