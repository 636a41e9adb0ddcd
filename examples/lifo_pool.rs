//! A queue policy of your own: the newest job first (a stack), in a few dozen lines.
//!
//! The pool's default queue is first in, first out. A stack hands out the
//! job submitted last instead — what a work-stealing pool does with a
//! worker's own jobs, because the newest job's data is the likeliest to
//! still be in the cache. Here it is written against
//! [`QueuePolicy`]: one `Mutex<Vec>` and one `Condvar`, the same two parts
//! as the default queue, with `pop` taking from the other end.
//!
//! Run: `cargo run --example lifo_pool`

use std::sync::mpsc;
use std::sync::{Condvar, Mutex};

use handspun::threadpool::{QueuePolicy, QueuedJob, ThreadPool};

/// Jobs on a stack: the newest is handed out first.
struct Lifo {
    /// The waiting jobs, newest last, and whether the queue is closed.
    state: Mutex<(Vec<QueuedJob>, bool)>,
    /// Idle workers sleep here; a push wakes one, `close` wakes all.
    job_available: Condvar,
}

impl QueuePolicy for Lifo {
    fn new(_workers: usize) -> Lifo {
        Lifo {
            state: Mutex::new((Vec::new(), false)),
            job_available: Condvar::new(),
        }
    }

    fn push(&self, job: QueuedJob) -> Result<(), QueuedJob> {
        let mut state = self.state.lock().unwrap();
        if state.1 {
            return Err(job);
        }
        state.0.push(job);
        drop(state);
        self.job_available.notify_one();
        Ok(())
    }

    fn pop(&self, _worker: usize) -> Option<QueuedJob> {
        let mut state = self.state.lock().unwrap();
        loop {
            if let Some(job) = state.0.pop() {
                return Some(job);
            }
            if state.1 {
                return None;
            }
            state = self.job_available.wait(state).unwrap();
        }
    }

    fn close(&self) {
        self.state.lock().unwrap().1 = true;
        self.job_available.notify_all();
    }

    fn close_and_drain(&self) -> Vec<QueuedJob> {
        let drained = {
            let mut state = self.state.lock().unwrap();
            state.1 = true;
            std::mem::take(&mut state.0)
        };
        self.job_available.notify_all();
        drained
    }
}

fn main() {
    let pool = ThreadPool::builder()
        .workers(1)
        .queue::<Lifo>()
        .build()
        .expect("one worker");

    // Hold the only worker until all five jobs are queued, so the order
    // they start in is the policy's choice alone.
    let (release, gate) = mpsc::channel::<()>();
    let blocker = pool.submit(move || gate.recv().expect("released"));
    let (started, order) = mpsc::channel();
    let handles: Vec<_> = (1..=5)
        .map(|job| {
            let started = started.clone();
            pool.submit(move || started.send(job).expect("main is listening"))
        })
        .collect();
    release.send(()).expect("the blocker waits");
    blocker.join().expect("the blocker finishes");
    for handle in handles {
        handle.join().expect("every job runs");
    }
    drop(started);
    let order: Vec<u32> = order.iter().collect();
    println!("jobs started in this order: {order:?}");
    assert_eq!(order, [5, 4, 3, 2, 1], "newest first");
}
