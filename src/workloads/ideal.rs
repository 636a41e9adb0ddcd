//! The io workload's ideal time: a list-schedule makespan.
//!
//! A runtime with zero overhead and concurrency `c` runs the job list in
//! order: each job starts on the first of `c` slots to come free and holds it
//! for exactly its server delay. The ideal time is when the last job ends.
//! A min-heap of slot free times simulates that in `O(n log c)`.
//!
//! (The simpler `max(max_delay, total / c)` is a lower bound no in-order
//! schedule reaches: 0.128 s for the default list at c = 100, where the best
//! in-order run takes 0.200 s.)

#![forbid(unsafe_code)]

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

/// When the last job ends if `durations` run in order on `slots` slots, each
/// job starting on the earliest free slot.
///
/// # Panics
///
/// When `slots` is 0.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use handspun::workloads::ideal::makespan;
///
/// let ms = Duration::from_millis;
/// // Two slots: 3 starts at 0, 1 at 0, then 2 starts at 1 (when the 1 ends).
/// assert_eq!(makespan([ms(3), ms(1), ms(2)], 2), ms(3));
/// assert_eq!(makespan([ms(3), ms(1), ms(2)], 1), ms(6));
/// ```
pub fn makespan(durations: impl IntoIterator<Item = Duration>, slots: usize) -> Duration {
    assert!(slots > 0, "a schedule needs at least one slot");
    // Min-heap of the times at which each busy slot comes free. Slots never
    // used yet are free at time zero; they are added lazily.
    let mut free_at: BinaryHeap<Reverse<Duration>> = BinaryHeap::with_capacity(slots);
    let mut end = Duration::ZERO;
    for duration in durations {
        let start = if free_at.len() < slots {
            Duration::ZERO
        } else {
            free_at.pop().map(|Reverse(t)| t).unwrap_or(Duration::ZERO)
        };
        let finish = start + duration;
        end = end.max(finish);
        free_at.push(Reverse(finish));
    }
    end
}
