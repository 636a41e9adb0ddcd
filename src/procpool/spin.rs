//! Bounded spinning: look again for a few microseconds before going to sleep.
//!
//! A round trip through the pool passes a tiny job along a chain of threads
//! and processes (caller → supervisor → worker → supervisor → caller). If
//! each link *sleeps* (a condvar, a blocking `read`, `poll`) while it waits
//! for the previous one, every hand-off is a wake-up: a system call on the
//! waking side, and on the sleeping side an idle CPU that must be brought
//! back (an inter-processor interrupt; on a virtual machine, the hypervisor
//! rescheduling the idle vCPU). On an idle 2-vCPU machine that costs several
//! microseconds per link, four links per round trip: most of the round trip.
//!
//! So a link that expects its answer *soon* first looks again, without a
//! system call that sleeps, for at most [`SPIN_BUDGET`]: the answer to a tiny
//! job, the next job right after a reply, the result in `join`. Only then
//! does it sleep as before. When the answer comes within the budget, nobody
//! had to be woken. The waits for an answer (the supervisor's for a reply,
//! `join`'s for a result) expect it soon only while the last replies did come
//! within the budget; behind a 2 ms job they sleep at once.
//!
//! # The trade
//!
//! Spinning burns the CPU it runs on to buy latency. It pays when the
//! answer comes from *another* core within the budget. It hurts when the
//! threads and processes that spin outnumber the cores: the spinner may
//! occupy the very core the thread it waits for needs. Two things bound the
//! harm here: the budget is short (a job longer than it gets exactly the old,
//! sleeping behaviour after a few microseconds of waste, and none once the
//! pool has seen its replies take longer), and every round of
//! the loop calls [`std::thread::yield_now`], so a runnable thread on the same
//! core gets to run instead of the spinner.

use std::time::{Duration, Instant};

/// How long a waiter looks again before it sleeps. A few wake-up costs: long
/// enough to cover a tiny job's hand-off, short enough that a waiter for a
/// long job wastes little.
pub(crate) const SPIN_BUDGET: Duration = Duration::from_micros(50);

/// Calls `ready` until it returns `Some`, or until [`SPIN_BUDGET`] has passed
/// (then `None`: the caller sleeps the slow way). Never blocks.
///
/// Safe to call in a forked worker: `Instant::now` reads the clock without a
/// lock, and `yield_now` is a plain system call.
pub(crate) fn spin_until<T>(mut ready: impl FnMut() -> Option<T>) -> Option<T> {
    let give_up = Instant::now() + SPIN_BUDGET;
    loop {
        if let Some(value) = ready() {
            return Some(value);
        }
        if Instant::now() >= give_up {
            return None;
        }
        for _ in 0..32 {
            std::hint::spin_loop();
        }
        std::thread::yield_now();
    }
}
