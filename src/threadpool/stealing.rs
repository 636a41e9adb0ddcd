//! The second built-in queue policy (`StealingQueues`): one deque per worker, and idle workers steal.
//!
//! The shared queue of `queue.rs` has one lock that every submitter and
//! every worker takes for every job. With tiny jobs that lock is where the
//! time goes (`perf` shows `lock_contended` and `futex` calls near the top).
//! Production pools (rayon, tokio, Go) split it: each worker owns a deque,
//! so most pops touch a lock no one else wants, and a worker whose deque is
//! empty *steals* from another's.
//!
//! This version keeps the lesson small and `unsafe`-free: each deque is a
//! `Mutex<VecDeque>` (rayon's are lock-free Chase–Lev deques from
//! crossbeam-deque; that is what a production pool would use).
//!
//! - **Push**: round robin over the deques, one short lock each. (A
//!   production pool lets a worker push to its own deque, newest first, for
//!   cache warmth; here every push goes round robin, which keeps submission
//!   order close to start order.)
//! - **Pop**: the worker's own deque, from the front.
//! - **Steal**: when its deque is empty, the worker visits the others in
//!   turn and takes the back half of the first non-empty one — half, so one
//!   theft pays for many jobs. It never holds two deque locks at once, so
//!   there is no lock order to get wrong.
//! - **Sleep**: only after a full round found nothing. A count of queued
//!   jobs and a count of sleepers, both `SeqCst`, make sure a push never
//!   misses a worker that is about to sleep (see [`Deques::pop`]).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Condvar, Mutex};

use super::queue::Job;
use super::sync::{lock, wait};

/// Sleeping bookkeeping, guarded by `Deques::sleep`.
struct SleepState {
    /// Signals sent to sleepers that have not woken yet (as in `queue.rs`).
    wakeups_pending: usize,
}

/// Per-worker deques with stealing.
pub(crate) struct Deques {
    /// One deque per worker, by worker index. Each behind its own lock;
    /// never two held at once.
    deques: Box<[Mutex<VecDeque<Job<'static>>>]>,
    /// Jobs being pushed or sitting in a deque. Incremented *before* a job
    /// is inserted and decremented *after* one is removed, so it is never
    /// below the number of jobs in the deques. Workers only sleep, or exit,
    /// when it is zero.
    queued: AtomicUsize,
    /// Workers asleep or about to sleep on `wake`. Changed only with `sleep`
    /// locked; read without the lock by pushers.
    sleepers: AtomicUsize,
    /// Set once by `close` or `close_and_drain`; after that pushes are
    /// refused.
    closed: AtomicBool,
    /// Set once by `close_and_drain` (`shutdown_now`): jobs a thief holds
    /// in its hands at that moment are cancelled rather than queued again.
    cancelling: AtomicBool,
    /// Where the next push goes (modulo the number of deques).
    next_deque: AtomicUsize,
    /// Guards the sleep bookkeeping; held by a worker from "I am going to
    /// sleep" until the wait releases it, and by a pusher around its signal.
    sleep: Mutex<SleepState>,
    /// Sleeping workers wait here.
    wake: Condvar,
}

impl Deques {
    /// Empty deques for `workers` workers.
    pub(crate) fn new(workers: usize) -> Deques {
        Deques {
            deques: (0..workers.max(1))
                .map(|_| Mutex::new(VecDeque::new()))
                .collect(),
            queued: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            cancelling: AtomicBool::new(false),
            next_deque: AtomicUsize::new(0),
            sleep: Mutex::new(SleepState { wakeups_pending: 0 }),
            wake: Condvar::new(),
        }
    }

    /// Adds a job to the next deque in turn and wakes a sleeper if there is
    /// one that no earlier push has signalled.
    ///
    /// # Errors
    ///
    /// Gives the job back if the pool is closed.
    pub(crate) fn push(&self, job: Job<'static>) -> Result<(), Job<'static>> {
        // Count first: a worker that sees `queued > 0` will not sleep or exit.
        self.queued.fetch_add(1, SeqCst);
        if self.closed.load(SeqCst) {
            self.queued.fetch_sub(1, SeqCst);
            return Err(job);
        }
        let target = self.next_deque.fetch_add(1, SeqCst) % self.deques.len();
        lock(&self.deques[target]).push_back(job);
        if self.sleepers.load(SeqCst) > 0 {
            let mut sleep = lock(&self.sleep);
            if self.sleepers.load(SeqCst) > sleep.wakeups_pending {
                sleep.wakeups_pending += 1;
                drop(sleep);
                self.wake.notify_one();
            }
        }
        Ok(())
    }

    /// Adds many jobs at once: split into one contiguous run per deque, one
    /// lock acquisition per deque, then as many signals as there are
    /// sleepers not yet signalled (at most one per job).
    ///
    /// # Errors
    ///
    /// Gives every job back if the pool is closed.
    pub(crate) fn push_batch(&self, jobs: Vec<Job<'static>>) -> Result<(), Vec<Job<'static>>> {
        let count = jobs.len();
        self.queued.fetch_add(count, SeqCst);
        if self.closed.load(SeqCst) {
            self.queued.fetch_sub(count, SeqCst);
            return Err(jobs);
        }
        let deques = self.deques.len();
        let first = self.next_deque.fetch_add(1, SeqCst);
        let per_deque = count.div_ceil(deques).max(1);
        let mut jobs = jobs.into_iter();
        for turn in 0..deques {
            let run: Vec<Job<'static>> = jobs.by_ref().take(per_deque).collect();
            if run.is_empty() {
                break;
            }
            lock(&self.deques[(first + turn) % deques]).extend(run);
        }
        if self.sleepers.load(SeqCst) > 0 {
            let signals = {
                let mut sleep = lock(&self.sleep);
                let signals = count.min(
                    self.sleepers
                        .load(SeqCst)
                        .saturating_sub(sleep.wakeups_pending),
                );
                sleep.wakeups_pending += signals;
                signals
            };
            for _ in 0..signals {
                self.wake.notify_one();
            }
        }
        Ok(())
    }

    /// The next job for worker `me`: its own deque first, then a theft,
    /// then sleep. `None` once the pool is closed and no job is left.
    ///
    /// Why no wake-up is lost: a worker increments `sleepers` and then
    /// reads `queued`; a pusher increments `queued` and then reads
    /// `sleepers`. With `SeqCst`, at least one of them sees the other's
    /// increment: either the worker sees the job and does not sleep, or the
    /// pusher sees the sleeper and signals it — and because the worker
    /// holds `sleep` from its check until the wait releases it, the signal
    /// cannot arrive before the worker is waiting.
    pub(crate) fn pop(&self, me: usize) -> Option<Job<'static>> {
        loop {
            if let Some(job) = lock(&self.deques[me]).pop_front() {
                self.queued.fetch_sub(1, SeqCst);
                return Some(job);
            }
            if let Some(job) = self.steal(me) {
                self.queued.fetch_sub(1, SeqCst);
                return Some(job);
            }
            if self.queued.load(SeqCst) > 0 {
                // A push is half done, or a job landed behind our scan. Let
                // the pusher (perhaps on our core) finish, then look again.
                std::thread::yield_now();
                continue;
            }
            if self.closed.load(SeqCst) {
                return None;
            }
            let mut sleep = lock(&self.sleep);
            self.sleepers.fetch_add(1, SeqCst);
            if self.queued.load(SeqCst) == 0 && !self.closed.load(SeqCst) {
                sleep = wait(&self.wake, sleep);
                sleep.wakeups_pending = sleep.wakeups_pending.saturating_sub(1);
            }
            self.sleepers.fetch_sub(1, SeqCst);
        }
    }

    /// Takes the back half of the first other deque that has jobs; keeps one
    /// to run and moves the rest into `me`'s deque.
    ///
    /// While the loot is in the thief's hands it is in no deque, so
    /// `shutdown_now` cannot drain it. The thief therefore checks
    /// `cancelling` with its own deque locked: either its check comes first
    /// and the loot is in the deque before `close_and_drain` drains it, or
    /// the flag is already visible and the thief cancels the loot itself.
    fn steal(&self, me: usize) -> Option<Job<'static>> {
        let count = self.deques.len();
        for offset in 1..count {
            let victim = (me + offset) % count;
            let mut loot = {
                let mut deque = lock(&self.deques[victim]);
                if deque.is_empty() {
                    continue;
                }
                let keep = deque.len() / 2;
                deque.split_off(keep)
            };
            let cancelled: Vec<Job<'static>> = {
                let mut own = lock(&self.deques[me]);
                if self.cancelling.load(SeqCst) {
                    loot.drain(..).collect()
                } else {
                    let job = loot.pop_front();
                    own.extend(loot);
                    return job;
                }
            };
            // Cancel outside every lock: cancelling wakes handles.
            self.queued.fetch_sub(cancelled.len(), SeqCst);
            for job in cancelled {
                job.cancel();
            }
            return None;
        }
        None
    }

    /// Refuses further pushes and wakes every sleeper; queued jobs still run.
    pub(crate) fn close(&self) {
        self.closed.store(true, SeqCst);
        let _sleep = lock(&self.sleep);
        self.wake.notify_all();
    }

    /// Closes, and takes out every job not yet started.
    pub(crate) fn close_and_drain(&self) -> Vec<Job<'static>> {
        self.cancelling.store(true, SeqCst);
        self.closed.store(true, SeqCst);
        let mut drained = Vec::new();
        for deque in self.deques.iter() {
            drained.extend(lock(deque).drain(..));
        }
        self.queued.fetch_sub(drained.len(), SeqCst);
        let _sleep = lock(&self.sleep);
        self.wake.notify_all();
        drained
    }
}
