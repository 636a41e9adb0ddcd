//! A global interpreter lock, emulated: why threads make CPU-bound Python slower.
//!
//! CPython lets only one thread run Python bytecode at a time: a thread must
//! hold the GIL to compute. Threads still help with I/O, because a thread
//! releases the GIL while it blocks in a system call, but CPU-bound work
//! gets no parallelism — and pays for the hand-offs. A pool built with
//! [`Builder::gil`](super::Builder::gil) reproduces this, so the tutorial's
//! surprising result (the threaded CPU version is *slower* than the plain
//! loop) can be measured and explained in Rust.
//!
//! ## How it mirrors CPython (3.2 and later, `Python/ceval_gil.h`)
//!
//! | CPython                                   | here                                   |
//! |-------------------------------------------|----------------------------------------|
//! | one GIL per interpreter                   | one GIL per process, shared by every GIL pool |
//! | a thread takes the GIL to run bytecode    | a worker takes it to run each job      |
//! | `sys.setswitchinterval`, default 5 ms     | the pool's switch interval, default [`DEFAULT_SWITCH_INTERVAL`] |
//! | a waiter waits the interval on a condvar; if no switch happened meanwhile it sets `gil_drop_request` | the same, in `acquire` |
//! | the eval loop checks the "eval breaker" every few bytecodes | the job calls [`checkpoint`] in its loop |
//! | on a drop request the holder releases and, with `FORCE_SWITCHING`, waits until another thread took the GIL | the holder releases and takes a new *ticket*: it queues behind every waiter, so a waiter is sure to get the GIL |
//! | `Py_BEGIN_ALLOW_THREADS` around blocking calls | [`allow_threads`]                |
//!
//! The fast path matters: a CPU loop calls [`checkpoint`] on every turn, so
//! it is one relaxed load of a process-wide flag that is false unless some
//! thread has waited for the GIL longer than its switch interval. Only then
//! does it look at a thread-local to learn whether this thread holds the GIL
//! (outside a GIL pool it never does, and the call does nothing).
//!
//! ## Fairness: why a ticket lock and not a plain mutex
//!
//! With a plain `Mutex`, a holder that unlocks and immediately locks again
//! usually wins — its core has the lock's cache line and the waiter is still
//! waking up — so the "switch" would hand the GIL back to the same thread.
//! (CPython before 3.2 had exactly this bug, and `FORCE_SWITCHING` is its
//! fix.) Here every acquisition draws a ticket and the GIL goes to tickets in
//! order, so the releasing thread, drawing a fresh ticket, queues behind
//! every thread already waiting. Waiters sleep on one condvar that is
//! broadcast on each release; with a handful of workers that is cheap, and a
//! production lock would give each waiter its own place to sleep (an MCS
//! queue) to avoid the thundering herd.
//!
//! ## The convoy effect
//!
//! A thread that drops the GIL for I/O ([`allow_threads`]) must queue for it
//! again when the I/O is done. If a CPU-bound thread holds it, the I/O thread
//! waits up to a full switch interval each time — so one CPU-bound thread can
//! make an I/O-bound one crawl (David Beazley's 2010 talk "Understanding the
//! Python GIL", bpo-7946). The emulation has the same behaviour, on purpose.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::sync::{lock, wait_timeout};

/// CPython's default switch interval (`sys.getswitchinterval()` is 0.005).
pub const DEFAULT_SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// The one GIL of this process.
static GIL: Gil = Gil {
    turns: Mutex::new(Turns {
        next_ticket: 0,
        now_serving: 0,
        switches: 0,
        forced_switches: 0,
    }),
    turn_changed: Condvar::new(),
};

/// CPython's `gil_drop_request`: set by a thread that has waited a whole
/// switch interval without the GIL changing hands; read by the holder in
/// [`checkpoint`]. Only written with `GIL.turns` locked; read without a lock
/// (a stale `false` only delays the switch to the next checkpoint).
static DROP_REQUEST: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// `Some(switch interval)` while this thread holds the GIL, else `None`.
    static HELD: Cell<Option<Duration>> = const { Cell::new(None) };
}

/// A fair lock, made from a ticket counter, a mutex and a condvar.
struct Gil {
    /// Guards the ticket counters. Held only to draw a ticket, to check or
    /// advance the turn, and while sleeping on `turn_changed`.
    turns: Mutex<Turns>,
    /// Broadcast whenever `now_serving` advances.
    turn_changed: Condvar,
}

/// The ticket lock's state (guarded by `Gil::turns`).
struct Turns {
    /// The ticket the next thread to ask will draw.
    next_ticket: u64,
    /// The ticket whose thread holds the GIL, or — if it equals
    /// `next_ticket` — the ticket the next asker will get at once (the GIL
    /// is free). Invariant: `now_serving <= next_ticket`; the threads
    /// holding or waiting number `next_ticket - now_serving`.
    now_serving: u64,
    /// How many times the GIL has been taken, ever. Waiters compare it
    /// before and after a switch interval to see whether a switch happened.
    switches: u64,
    /// How many of those switches a drop request forced.
    forced_switches: u64,
}

/// Counters that show how busy the GIL has been.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GilStats {
    /// Times a thread took the GIL (once per job, plus once per switch).
    pub switches: u64,
    /// Times a holder gave the GIL up in [`checkpoint`] because a waiter
    /// had waited a whole switch interval.
    pub forced_switches: u64,
}

/// The GIL's counters since the process started (all GIL pools together).
///
/// # Examples
///
/// ```
/// let before = handspun::threadpool::gil::stats();
/// assert!(before.forced_switches <= before.switches);
/// ```
pub fn stats() -> GilStats {
    let turns = lock(&GIL.turns);
    GilStats {
        switches: turns.switches,
        forced_switches: turns.forced_switches,
    }
}

/// Gives the GIL to a waiting thread if one has waited a whole switch
/// interval; otherwise does nothing. Cheap: call it on every turn of a CPU
/// loop, as CPython's eval loop checks its eval breaker.
///
/// Outside a GIL pool (or on a thread that does not hold the GIL) this is a
/// no-op.
///
/// # Examples
///
/// ```
/// use handspun::threadpool::{gil, ThreadPool};
///
/// fn cpu_bound(n: u64) -> u64 {
///     let mut sum = 0u64;
///     for i in 0..n {
///         gil::checkpoint();
///         sum = sum.wrapping_add(i * i);
///     }
///     sum
/// }
///
/// let pool = ThreadPool::builder().workers(2).gil(gil::DEFAULT_SWITCH_INTERVAL).build().unwrap();
/// let sums: Vec<u64> = pool.map(cpu_bound, [10, 20]).map(Result::unwrap).collect();
/// assert_eq!(sums, vec![285, 2470]);
/// ```
#[inline]
pub fn checkpoint() {
    if DROP_REQUEST.load(Ordering::Relaxed) {
        yield_to_waiter();
    }
}

/// True if the calling thread holds the GIL (it is running a job of a GIL
/// pool, outside [`allow_threads`]).
pub fn is_held() -> bool {
    HELD.get().is_some()
}

/// Runs `f` with the GIL released, then takes it back, like CPython's
/// `Py_BEGIN_ALLOW_THREADS` ... `Py_END_ALLOW_THREADS` around a blocking
/// call. Wrap blocking I/O in it so other threads can compute meanwhile. On a
/// thread that does not hold the GIL it just runs `f`.
///
/// # Examples
///
/// ```
/// use handspun::threadpool::{gil, ThreadPool};
///
/// let pool = ThreadPool::builder().workers(2).gil(gil::DEFAULT_SWITCH_INTERVAL).build().unwrap();
/// let handle = pool.submit(|| {
///     assert!(gil::is_held());
///     gil::allow_threads(|| assert!(!gil::is_held()));
///     gil::is_held()
/// });
/// assert_eq!(handle.join(), Ok(true));
/// ```
pub fn allow_threads<T>(f: impl FnOnce() -> T) -> T {
    match HELD.get() {
        None => f(),
        Some(interval) => {
            release();
            // Taken back on the way out, even if `f` panics.
            let _reacquire = ReacquireOnDrop { interval };
            f()
        }
    }
}

/// Holds the GIL until dropped; how a worker runs a job "in the interpreter".
pub(crate) struct GilGuard {
    /// Not constructible outside [`GilGuard::acquire`].
    _private: (),
}

impl GilGuard {
    /// Takes the GIL, waiting for its turn; `interval` is how long to wait
    /// before asking the holder to let go.
    pub(crate) fn acquire(interval: Duration) -> GilGuard {
        acquire(interval);
        GilGuard { _private: () }
    }
}

impl Drop for GilGuard {
    fn drop(&mut self) {
        release();
    }
}

/// Takes the GIL back when dropped: the second half of [`allow_threads`].
struct ReacquireOnDrop {
    /// The switch interval to wait with.
    interval: Duration,
}

impl Drop for ReacquireOnDrop {
    fn drop(&mut self) {
        acquire(self.interval);
    }
}

/// The slow path of [`checkpoint`]: a drop request is pending.
#[cold]
#[inline(never)]
fn yield_to_waiter() {
    let Some(interval) = HELD.get() else {
        return; // Not our business: this thread does not hold the GIL.
    };
    lock(&GIL.turns).forced_switches += 1;
    release();
    acquire(interval);
}

/// Takes the GIL: draws a ticket and waits for its turn. While waiting, asks
/// the holder to let go once per `interval` in which the GIL did not change
/// hands.
fn acquire(interval: Duration) {
    let mut turns = lock(&GIL.turns);
    let ticket = turns.next_ticket;
    turns.next_ticket += 1;
    let mut switches_seen = turns.switches;
    let mut deadline = Instant::now() + interval;
    while turns.now_serving != ticket {
        let now = Instant::now();
        if now >= deadline {
            if turns.switches == switches_seen {
                DROP_REQUEST.store(true, Ordering::Relaxed);
            }
            switches_seen = turns.switches;
            deadline = now + interval;
        }
        turns = wait_timeout(&GIL.turn_changed, turns, deadline - now).0;
    }
    turns.switches += 1;
    DROP_REQUEST.store(false, Ordering::Relaxed);
    drop(turns);
    HELD.set(Some(interval));
}

/// Lets the GIL go to the next ticket and wakes the waiters.
fn release() {
    HELD.set(None);
    let someone_waits = {
        let mut turns = lock(&GIL.turns);
        turns.now_serving += 1;
        turns.now_serving != turns.next_ticket
    };
    if someone_waits {
        GIL.turn_changed.notify_all();
    }
}
