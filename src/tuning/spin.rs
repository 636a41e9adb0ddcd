//! Spin, then sleep: a waiter that expects its answer soon looks again for a moment before it sleeps.
//!
//! Both pools pass work along a chain of threads (and, in the process pool,
//! processes). When a link of that chain *sleeps* while it waits — on a
//! condition variable, in a blocking `read`, in `poll` — whoever hands it the
//! next piece of work must wake it: a system call on the waking side, and on
//! the sleeping side an idle CPU that has to be brought back (an
//! inter-processor interrupt; on a virtual machine, the hypervisor scheduling
//! the idle virtual CPU again). For a job of a few nanoseconds that wake-up
//! is most of the bill.
//!
//! So a waiter that expects its answer *soon* first calls [`spin_then_sleep`]:
//! it looks again, without a system call that sleeps, for at most
//! [`SPIN_BUDGET`], and only then goes to sleep the ordinary way. When the
//! answer comes within the budget, nobody had to be woken.
//!
//! # The trade
//!
//! Spinning burns the CPU it runs on to buy latency. It pays when the answer
//! comes from *another* core within the budget, and it hurts when spinning
//! threads outnumber the cores: the spinner may hold the very core that the
//! thread it waits for needs. Three things bound the harm: the budget is short
//! (a long job gets the sleeping behaviour after a few microseconds of
//! waste); every look ends in [`std::thread::yield_now`], so a runnable thread
//! on the same core runs instead of the spinner; and spinning is rationed —
//! at most [`MAX_SPINNING`] of a thread pool's idle workers spin at once
//! ([`Spinners`]), and the process pool's waiters spin only while answers
//! have been coming quickly ([`QuickAnswers`]).
//!
//! What it buys, with and without it: `docs/benchmarks/tuning.md`.

use std::time::{Duration, Instant};

/// How long a waiter looks again before it sleeps: about a few wake-ups'
/// worth — long enough to cover a tiny job's hand-off, short enough that a
/// waiter for a long job wastes little.
pub(crate) const SPIN_BUDGET: Duration = Duration::from_micros(50);

/// `std::hint::spin_loop()` calls between two looks. A look may take a lock
/// (the thread pool's queue), so looking on every pause would fight the
/// thread that is about to hand over the answer.
pub(crate) const PAUSES_PER_LOOK: u32 = 32;

/// Calls `look` until it returns `Some`, for at most [`SPIN_BUDGET`]; then
/// returns `None`, and the caller sleeps the slow way. Never blocks.
///
/// Safe to call in a forked child: `Instant::now` reads the clock without a
/// lock, and `yield_now` is a plain system call.
pub(crate) fn spin_then_sleep<T>(mut look: impl FnMut() -> Option<T>) -> Option<T> {
    let give_up = Instant::now() + SPIN_BUDGET;
    loop {
        if let Some(answer) = look() {
            return Some(answer);
        }
        if Instant::now() >= give_up {
            return None;
        }
        for _ in 0..PAUSES_PER_LOOK {
            std::hint::spin_loop();
        }
        std::thread::yield_now();
    }
}

/// Whether a stream of answers has been coming within [`SPIN_BUDGET`], so
/// that the waiter for the next one should spin before it sleeps.
///
/// Spinning pays only when the answer comes within the budget. The process
/// pool's answers are replies to jobs, and the next job is usually like the
/// last: after a tiny job, the next reply will likely come within
/// microseconds, and looking for it saves a wake-up; after a long job, the
/// next is likely long too, and spinning through its start only takes CPU
/// time from the worker that computes it. So the waiter for a reply records how long each one took
/// ([`wait`](QuickAnswers::wait)), and every waiter for that pool's answers
/// spins only while the last one was quick
/// ([`spin_then_sleep`](QuickAnswers::spin_then_sleep)).
///
/// One flag per pool, written by every waiter for a reply, read by them and
/// by the callers waiting for results. Only a hint: it changes when a waiter
/// sleeps, never what it waits for.
///
/// What it buys: `docs/benchmarks/procpool.md`, section "Spinning on and
/// off".
#[derive(Debug)]
pub(crate) struct QuickAnswers {
    /// Whether the last answer came within [`SPIN_BUDGET`] (true until the
    /// first one).
    quick: std::sync::atomic::AtomicBool,
}

impl QuickAnswers {
    /// A new stream of answers, taken to be quick until one is not.
    pub(crate) fn new() -> Self {
        QuickAnswers {
            quick: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// [`spin_then_sleep`] while answers have been quick; otherwise `None`
    /// at once, so the caller sleeps without spinning. Records nothing.
    pub(crate) fn spin_then_sleep<T>(&self, look: impl FnMut() -> Option<T>) -> Option<T> {
        if self.quick.load(std::sync::atomic::Ordering::Relaxed) {
            spin_then_sleep(look)
        } else {
            None
        }
    }

    /// Waits for the next answer: spins on `look` first while answers have
    /// been quick, then calls `sleep`, which waits the ordinary way (and
    /// returns at once if `look` already saw the answer). Records whether
    /// this answer came within the budget.
    pub(crate) fn wait<T>(&self, look: impl FnMut() -> Option<()>, sleep: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let _ = self.spin_then_sleep(look);
        let answer = sleep();
        let quick = started.elapsed() <= SPIN_BUDGET;
        self.quick
            .store(quick, std::sync::atomic::Ordering::Relaxed);
        answer
    }
}

/// Counts the threads spinning for work right now, and caps how many may,
/// so that whoever hands out work wakes a sleeping thread only for work
/// beyond what the spinners will take — and so that idle threads do not
/// take the CPU from the thread that hands the work out.
///
/// Without the count, every job handed to a pool with a spinning thread
/// would also wake a *sleeping* one: a wake-up for nothing, or, when the
/// sleeper wins the race for the job, exactly the wake-up the spinning was
/// meant to save. Without the cap, every idle thread of a pool spins at
/// once, and on a machine with few cores the thread submitting the jobs
/// then runs on what is left.
///
/// The rule that keeps a job from being left unseen: the giver reads
/// [`Spinners::need_wake`] under the lock that guards the work, and a
/// spinner stops counting under that same lock — in the very critical
/// section where its look takes a piece of work ([`Spinners::found`]), or,
/// if its spin found nothing, before it looks once more under the lock and
/// sleeps. So a spinner the giver counted either takes the job or sees it.
///
/// What it buys: `docs/benchmarks/tuning.md` (the thread pool) and
/// `docs/benchmarks/procpool.md`, section "Spinning on and off".
#[derive(Debug)]
pub(crate) struct Spinners {
    /// Threads spinning right now (never above `limit`).
    count: std::sync::atomic::AtomicUsize,
    /// How many may spin at once.
    limit: usize,
}

impl Spinners {
    /// At most `limit` threads spinning at once (`usize::MAX`: no cap).
    pub(crate) fn new(limit: usize) -> Spinners {
        Spinners {
            count: std::sync::atomic::AtomicUsize::new(0),
            limit,
        }
    }

    /// [`spin_then_sleep`], counted among the spinners while it spins, if
    /// fewer than the limit spin already; otherwise `None` at once. `look`
    /// must call [`Spinners::found`] under the work's lock when it takes
    /// work. After `None`, look again under that lock before sleeping.
    pub(crate) fn spin_then_sleep<T>(&self, look: impl FnMut() -> Option<T>) -> Option<T> {
        use std::sync::atomic::Ordering::SeqCst;
        if self.count.fetch_add(1, SeqCst) >= self.limit {
            self.count.fetch_sub(1, SeqCst);
            return None;
        }
        let found = spin_then_sleep(look);
        if found.is_none() {
            self.count.fetch_sub(1, SeqCst);
        }
        found
    }

    /// Called by a spinner's look, under the work's lock, as it takes a piece
    /// of work (or finds the work closed): it stops counting.
    pub(crate) fn found(&self) {
        self.count.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether `queued` pieces of work (counted under the work's lock) need
    /// a sleeping thread woken: more than the spinners will take.
    pub(crate) fn need_wake(&self, queued: usize) -> bool {
        self.beyond(queued) > 0
    }

    /// How many of `queued` pieces of work (counted under the work's lock)
    /// the spinners will not take: those need sleeping threads woken.
    pub(crate) fn beyond(&self, queued: usize) -> usize {
        queued.saturating_sub(self.count.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// How many idle workers of one thread pool spin at once; the others sleep
/// at once. Spinning takes a CPU, and the thread that hands out the jobs
/// needs one too: with more spinners than that, the submitter would be the
/// one to wait. (The process pool's supervisors spin uncapped: there the cap
/// bought nothing measurable — `docs/benchmarks/tuning.md`.)
pub(crate) const MAX_SPINNING: usize = 1;
