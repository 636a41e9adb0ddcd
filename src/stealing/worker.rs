//! A worker: the loop each runtime thread runs.
//!
//! One turn: take a task (own queue, then the injection queue), or else
//! search (steal half of another worker's queue), or else sleep. Run the
//! task; if its poll ends with it woken again, put it at the back of the
//! own queue. The numbered rules of `mod.rs` are enforced here:
//!
//! - every [`GLOBAL_QUEUE_INTERVAL`] turns the injection queue comes first,
//!   so tasks from outside are not starved by a worker that always has local
//!   work;
//! - every [`GLOBAL_QUEUE_INTERVAL`] turns the reactor is polled without
//!   blocking, so sockets and timers are served while no worker sleeps;
//! - at most [`MAX_LIFO_POLLS_IN_A_ROW`] tasks in a row come from the LIFO
//!   slot.

#![forbid(unsafe_code)]

use std::sync::Arc;

use super::context;
use super::local_queue::{PoppedFrom, CAPACITY};
use super::runtime::Shared;
use super::state::{AfterPoll, Start};
use super::task::{Polled, Task};

/// How often (in turns) the injection queue is checked first and the
/// reactor polled: tokio's and Go's value, a prime so it does not beat in
/// step with task patterns.
pub(crate) const GLOBAL_QUEUE_INTERVAL: u32 = 61;

/// How many tasks in a row may come from the LIFO slot before the ring gets
/// a turn (tokio's value): enough for a request/response exchange to stay
/// on one core, not enough for two chatty tasks to starve the others.
const MAX_LIFO_POLLS_IN_A_ROW: u32 = 3;

/// One worker's private state.
struct Worker {
    shared: Arc<Shared>,
    index: usize,
    /// Whether this worker is counted as searching in `Idle`.
    searching: bool,
    /// Turns taken, for the every-N-turns rules.
    tick: u32,
    /// Tasks taken from the LIFO slot in a row.
    lifo_in_a_row: u32,
    /// State of a small xorshift generator: where to start looking for a
    /// victim, so thieves spread over the workers.
    rng: u32,
}

/// The body of worker thread `index`.
pub(crate) fn run(shared: Arc<Shared>, index: usize) {
    let _enter = context::enter(context::Current {
        shared: shared.clone(),
        worker: Some(index),
    });
    let mut worker = Worker {
        shared,
        index,
        searching: false,
        tick: 0,
        lifo_in_a_row: 0,
        // Any non-zero seed; distinct per worker.
        rng: 0x9E37_79B9 ^ (index as u32).wrapping_mul(0x85EB_CA6B) | 1,
    };
    worker.run();
}

impl Worker {
    fn run(&mut self) {
        while !self.shared.is_shutdown() {
            self.tick = self.tick.wrapping_add(1);
            if self.tick.is_multiple_of(GLOBAL_QUEUE_INTERVAL) {
                self.poll_reactor_now();
            }
            if let Some(task) = self.next_task() {
                self.run_task(task);
            } else if let Some(task) = self.steal() {
                self.run_task(task);
            } else {
                self.park();
            }
        }
    }

    /// The next task from this worker's own queue or the injection queue.
    fn next_task(&mut self) -> Option<Task> {
        let shared = &self.shared;
        if self.tick.is_multiple_of(GLOBAL_QUEUE_INTERVAL) {
            if let Some(task) = shared.inject.pop() {
                return Some(task);
            }
        }
        let use_lifo = self.lifo_in_a_row < MAX_LIFO_POLLS_IN_A_ROW;
        match shared.workers[self.index].queue.pop(use_lifo) {
            Some((task, PoppedFrom::Lifo)) => {
                self.lifo_in_a_row += 1;
                return Some(task);
            }
            Some((task, PoppedFrom::Ring)) => {
                self.lifo_in_a_row = 0;
                return Some(task);
            }
            None => self.lifo_in_a_row = 0,
        }
        self.take_from_inject()
    }

    /// Takes a fair share of the injection queue: one task to run, the rest
    /// into the own queue.
    fn take_from_inject(&mut self) -> Option<Task> {
        let shared = &self.shared;
        let share = shared.inject.len() / shared.workers.len() + 1;
        let mut batch = shared.inject.pop_batch(share.min(CAPACITY / 2)).into_iter();
        let first = batch.next()?;
        shared.workers[self.index].queue.push_batch(batch);
        Some(first)
    }

    /// Searching: steal half of some other worker's queue, or take from the
    /// injection queue. Refused when too many workers already search.
    fn steal(&mut self) -> Option<Task> {
        if !self.searching {
            if !self.shared.idle.try_start_searching() {
                return None;
            }
            self.searching = true;
        }
        let workers = self.shared.workers.len();
        let start = self.next_random() as usize % workers;
        for offset in 0..workers {
            let victim = (start + offset) % workers;
            if victim == self.index {
                continue;
            }
            let mut stolen = self.shared.workers[victim].queue.steal_half();
            // Run the newest stolen task, queue the rest (oldest first).
            if let Some(task) = stolen.pop() {
                self.shared.workers[self.index].queue.push_batch(stolen);
                return Some(task);
            }
        }
        self.take_from_inject()
    }

    fn next_random(&mut self) -> u32 {
        // xorshift32 (Marsaglia, 2003).
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 17;
        self.rng ^= self.rng << 5;
        self.rng
    }

    /// Runs one task: the poll, then what its state says comes next.
    fn run_task(&mut self, task: Task) {
        if self.searching {
            self.searching = false;
            // The last searcher found work: where there was one task there
            // may be more, so someone else starts looking.
            if self.shared.idle.stop_searching() {
                self.shared.notify_parked();
            }
        }
        // A task that finishes (output, panic or cancel) leaves the
        // registry of live tasks by itself (`TaskCell::complete`).
        match task.header().state.start() {
            Start::Cancel => task.cancel(),
            Start::Poll => {
                let (polled, task) = task.poll();
                if polled == Polled::Pending {
                    let after = task.header().state.after_pending();
                    match after {
                        AfterPoll::Idle => {}
                        // Our reference goes back into the queue.
                        AfterPoll::Reschedule => self.shared.schedule_yield(task),
                        AfterPoll::Cancel => task.cancel(),
                    }
                }
            }
        }
    }

    /// Polls the reactor without blocking, if no worker sleeps in it.
    fn poll_reactor_now(&self) {
        let Ok(mut driver) = self.shared.driver.try_lock() else {
            return;
        };
        let mut wakers = Vec::new();
        driver.turn(&self.shared.reactor, false, &mut wakers);
        drop(driver);
        wakers.into_iter().for_each(|waker| waker.wake());
    }

    /// Sleeps until notified, woken by the reactor with work, or shut down.
    fn park(&mut self) {
        let shared = self.shared.clone();
        let was_last_searcher = shared.idle.park(self.index, self.searching);
        self.searching = false;
        // The no-lost-wake-up re-check (`idle.rs`): after publishing that we
        // stopped searching, look once more.
        if was_last_searcher && shared.has_queued_work() {
            shared.notify_parked();
        }
        loop {
            let parker = &shared.workers[self.index].parker;
            let drove = match shared.driver.try_lock() {
                Ok(mut driver) => {
                    let mut wakers = Vec::new();
                    parker.park(Some(&mut || {
                        driver.turn(&shared.reactor, true, &mut wakers)
                    }));
                    drop(driver);
                    // Woken tasks go to this worker's own queue.
                    wakers.into_iter().for_each(|waker| waker.wake());
                    true
                }
                Err(_) => {
                    parker.park(None);
                    false
                }
            };
            if shared.is_shutdown() {
                return;
            }
            if !shared.idle.is_parked(self.index) {
                // A notifier unparked us and counted us as searching.
                self.searching = true;
            } else if !shared.workers[self.index].queue.is_empty() {
                // The reactor woke tasks onto our queue: run them.
                if !shared.idle.unpark_self(self.index) {
                    self.searching = true; // a notifier was quicker
                }
            } else {
                continue; // spurious, or a turn of the reactor with no task
            }
            if drove {
                self.hand_over_reactor();
            }
            return;
        }
    }

    /// We leave the reactor: if a timer or socket may still wake a task,
    /// wake another sleeper so that it takes the reactor over (it finds
    /// itself still parked and goes back to sleep, in the reactor).
    /// Without this, a worker that then runs a never-yielding task would
    /// leave every timer unserved.
    fn hand_over_reactor(&self) {
        let shared = &self.shared;
        if !shared.reactor.has_waiters() {
            return;
        }
        if let Some(other) = shared.idle.sleeper_other_than(self.index) {
            shared.unpark(other);
        }
        // (A timer or socket added later, while no worker is in the
        // reactor, does the same: `Shared::attend_reactor`.)
    }
}
