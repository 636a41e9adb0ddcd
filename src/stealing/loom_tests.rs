//! Model checks of the concurrent parts: the local queue, the injection
//! queue, the parker, and the idle/search protocol (with pushes from
//! outside, and with a worker's own pushes announced once per ring).
//! `loom` explores every interleaving of each test body's threads (up to a
//! preemption bound) and fails on a lost item, a duplicate, or a deadlock (every thread
//! asleep: the symptom of a lost wake-up).
//!
//! Run (as `.ci/run` does):
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release --lib --target-dir target/loom stealing::loom_tests`

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use super::idle::Idle;
use super::inject::Inject;
use super::local_queue::{LocalQueue, Pushed};
use super::park::Parker;

/// The owner pushes (to the ring and the LIFO slot) and pops while a thief
/// steals half: every task comes out exactly once.
#[test]
fn local_queue_owner_and_thief_see_every_task_once() {
    loom::model(|| {
        let queue = Arc::new(LocalQueue::<usize>::new());
        let thief = {
            let queue = queue.clone();
            thread::spawn(move || queue.steal_half())
        };
        let mut seen = Vec::new();
        queue.push_back(1).unwrap();
        queue.push_back(2).unwrap();
        queue.push_lifo(3).unwrap();
        if let Some((task, _)) = queue.pop(true) {
            seen.push(task);
        }
        seen.extend(thief.join().unwrap());
        while let Some((task, _)) = queue.pop(false) {
            seen.push(task);
        }
        seen.sort_unstable();
        assert_eq!(seen, [1, 2, 3]);
    });
}

/// Two thieves race over one queue: no task is taken twice.
#[test]
fn local_queue_two_thieves_never_share_a_task() {
    loom::model(|| {
        let queue = Arc::new(LocalQueue::<usize>::new());
        for task in 0..3 {
            queue.push_back(task).unwrap();
        }
        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let queue = queue.clone();
                thread::spawn(move || queue.steal_half())
            })
            .collect();
        let mut seen: Vec<usize> = thieves
            .into_iter()
            .flat_map(|thief| thief.join().unwrap())
            .collect();
        seen.extend(queue.drain());
        seen.sort_unstable();
        assert_eq!(seen, [0, 1, 2]);
    });
}

/// Two producers push while a consumer pops: everything arrives once.
#[test]
fn inject_producers_and_a_consumer_lose_nothing() {
    loom::model(|| {
        let inject = Arc::new(Inject::<usize>::new());
        let producers: Vec<_> = (0..2)
            .map(|p| {
                let inject = inject.clone();
                thread::spawn(move || inject.push(p).unwrap())
            })
            .collect();
        let mut seen: Vec<usize> = inject.pop().into_iter().collect();
        for producer in producers {
            producer.join().unwrap();
        }
        seen.extend(inject.pop_batch(2));
        seen.sort_unstable();
        assert_eq!(seen, [0, 1]);
        assert!(inject.is_empty());
    });
}

/// An unpark before, during or after a park always ends the park.
#[test]
fn parker_never_misses_an_unpark() {
    loom::model(|| {
        let parker = Arc::new(Parker::new());
        let waker = {
            let parker = parker.clone();
            thread::spawn(move || parker.unpark(|| unreachable!("no driver here")))
        };
        parker.park(None);
        waker.join().unwrap();
    });
}

/// Two unparks race with a park: a stray one, and one that comes with news
/// (a flag). The parker must come to see the news; it only may, if taking
/// a notification reads the latest unpark instead of overwriting it.
#[test]
fn parker_never_erases_a_second_unpark() {
    loom::model(|| {
        let parker = Arc::new(Parker::new());
        let news = Arc::new(AtomicUsize::new(0));
        let stray = {
            let parker = parker.clone();
            thread::spawn(move || parker.unpark(|| unreachable!("no driver here")))
        };
        let messenger = {
            let (parker, news) = (parker.clone(), news.clone());
            thread::spawn(move || {
                news.store(1, Ordering::Release);
                parker.unpark(|| unreachable!("no driver here"));
            })
        };
        while news.load(Ordering::Acquire) == 0 {
            parker.park(None);
        }
        stray.join().unwrap();
        messenger.join().unwrap();
    });
}

/// The pool the protocol test runs: the real `Idle`, `Parker`s and
/// `Inject`, and a worker loop that makes the same calls, in the same
/// order, as `worker.rs`.
struct Pool {
    idle: Idle,
    parkers: Vec<Parker>,
    inject: Inject<usize>,
    /// Tasks run so far; the workers stop when it reaches `TASKS`.
    ran: AtomicUsize,
}

/// Tasks the producers queue in the protocol test: one from outside the
/// pool (the `block_on` thread), one from a second outside thread.
const TASKS: usize = 2;

impl Pool {
    fn notify(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.parkers[index].unpark(|| unreachable!("no driver here"));
        }
    }

    fn finished(&self) -> bool {
        self.ran.load(Ordering::SeqCst) == TASKS
    }

    fn run_task(&self, searching: &mut bool) {
        if *searching {
            *searching = false;
            if self.idle.stop_searching() {
                self.notify();
            }
        }
        if self.ran.fetch_add(1, Ordering::SeqCst) + 1 == TASKS {
            // The end of the test, not part of the protocol: let every
            // worker leave.
            for parker in &self.parkers {
                parker.unpark(|| unreachable!("no driver here"));
            }
        }
    }

    fn worker(&self, index: usize) {
        let mut searching = false;
        while !self.finished() {
            // next_task: the injection queue (there is no local work here).
            if self.inject.pop().is_some() {
                self.run_task(&mut searching);
                continue;
            }
            // steal: only as a searcher.
            if searching || self.idle.try_start_searching() {
                searching = true;
                if self.inject.pop().is_some() {
                    self.run_task(&mut searching);
                    continue;
                }
            }
            // park, with the last searcher's re-check.
            let was_last_searcher = self.idle.park(index, searching);
            if was_last_searcher && !self.inject.is_empty() {
                self.notify();
            }
            loop {
                self.parkers[index].park(None);
                if self.finished() {
                    return;
                }
                if !self.idle.is_parked(index) {
                    searching = true;
                    break;
                }
            }
        }
    }
}

/// Tasks pushed from outside while the workers go to sleep are always run:
/// no interleaving leaves it queued with every worker asleep (loom reports
/// that as a deadlock).
#[test]
fn idle_protocol_loses_no_wake_up() {
    loom::model(|| {
        let pool = Arc::new(Pool {
            idle: Idle::new(2),
            parkers: vec![Parker::new(), Parker::new()],
            inject: Inject::new(),
            ran: AtomicUsize::new(0),
        });
        let workers: Vec<_> = (0..2)
            .map(|index| {
                let pool = pool.clone();
                thread::spawn(move || pool.worker(index))
            })
            .collect();
        let producer = {
            let pool = pool.clone();
            thread::spawn(move || {
                pool.inject.push(8).unwrap();
                pool.notify();
            })
        };
        pool.inject.push(7).unwrap();
        pool.notify();
        producer.join().unwrap();
        for worker in workers {
            worker.join().unwrap();
        }
        assert!(pool.finished());
    });
}

/// The pool of the announcement test: worker 0 only pushes onto its own
/// queue (then is stuck, as in a poll that never returns); the other worker
/// runs `worker.rs`'s loop over the real `LocalQueue`s, `Idle` and `Parker`.
struct Stuck {
    idle: Idle,
    parkers: Vec<Parker>,
    queues: Vec<LocalQueue<usize>>,
    ran: AtomicUsize,
}

impl Stuck {
    fn notify(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.parkers[index].unpark(|| unreachable!("no driver here"));
        }
    }

    /// `Shared::queue` on worker 0: only the first task of an empty ring is
    /// announced.
    fn push_on_worker_0(&self, task: usize) {
        if self.queues[0].push_back(task).unwrap() == Pushed::FirstInRing {
            self.notify();
        }
    }

    fn run_task(&self, searching: &mut bool) {
        if *searching {
            *searching = false;
            if self.idle.stop_searching() {
                self.notify();
            }
        }
        self.ran.fetch_add(1, Ordering::SeqCst);
    }

    /// Worker 1: own queue, else search (steal half of worker 0's), else
    /// park with the last searcher's re-check. Returns once both tasks ran;
    /// parking forever with a task left is the failure loom reports.
    fn thief(&self) {
        let mut searching = false;
        while self.ran.load(Ordering::SeqCst) < 2 {
            if self.queues[1].pop(true).is_some() {
                self.run_task(&mut searching);
                continue;
            }
            if searching || self.idle.try_start_searching() {
                searching = true;
                let mut stolen = self.queues[0].steal_half();
                if stolen.pop().is_some() {
                    self.queues[1].push_batch(stolen);
                    self.run_task(&mut searching);
                    continue;
                }
            }
            let was_last_searcher = self.idle.park(1, searching);
            if was_last_searcher && self.queues.iter().any(|queue| !queue.is_empty()) {
                self.notify();
            }
            loop {
                self.parkers[1].park(None);
                if !self.idle.is_parked(1) {
                    searching = true;
                    break;
                }
            }
        }
    }
}

/// A worker announces only the first task of its empty ring, then never
/// runs again (a task that never yields): the other worker, asleep or
/// searching or about to sleep, still runs both tasks.
#[test]
fn an_unannounced_second_task_is_still_stolen() {
    loom::model(|| {
        let pool = Arc::new(Stuck {
            idle: Idle::new(2),
            parkers: vec![Parker::new(), Parker::new()],
            queues: vec![LocalQueue::new(), LocalQueue::new()],
            ran: AtomicUsize::new(0),
        });
        let thief = {
            let pool = pool.clone();
            thread::spawn(move || pool.thief())
        };
        pool.push_on_worker_0(1);
        pool.push_on_worker_0(2);
        thief.join().unwrap();
        assert_eq!(pool.ran.load(Ordering::SeqCst), 2);
    });
}
