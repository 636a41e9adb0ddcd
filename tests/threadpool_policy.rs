//! A user's queue policy plugged into the thread pool: the pool keeps the contract's side.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use handspun::threadpool::{
    JobError, QueuePolicy, QueuedJob, SharedQueue, StealingQueues, ThreadPool,
};

const WORKERS: usize = 3;
const LIMIT: Duration = Duration::from_secs(20);

/// What a [`Recording`] policy saw: pushes, pops, drains, and the highest
/// worker index that popped. One per policy type, so tests of the two
/// built-ins do not mix (each test uses its own `Recording<_>` type).
#[derive(Default)]
struct Seen {
    pushed: AtomicUsize,
    popped: AtomicUsize,
    drained: AtomicUsize,
    highest_worker: AtomicUsize,
}

/// A policy that wraps a built-in and counts what passes through it: the
/// way a user adds metrics to a queue without rewriting it.
struct Recording<P: QueuePolicy, const ID: usize> {
    inner: P,
    seen: Arc<Seen>,
}

/// Where each `Recording<_, ID>` reports; `ID` tells the tests apart.
fn seen_by(id: usize) -> Arc<Seen> {
    use std::sync::{Mutex, OnceLock};
    static ALL: OnceLock<Mutex<Vec<Arc<Seen>>>> = OnceLock::new();
    let mut all = ALL.get_or_init(Mutex::default).lock().unwrap();
    while all.len() <= id {
        all.push(Arc::default());
    }
    Arc::clone(&all[id])
}

impl<P: QueuePolicy, const ID: usize> QueuePolicy for Recording<P, ID> {
    fn new(workers: usize) -> Self {
        Recording {
            inner: P::new(workers),
            seen: seen_by(ID),
        }
    }

    fn push(&self, job: QueuedJob) -> Result<(), QueuedJob> {
        self.inner.push(job)?;
        self.seen.pushed.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn pop(&self, worker: usize) -> Option<QueuedJob> {
        let job = self.inner.pop(worker)?;
        self.seen.popped.fetch_add(1, Ordering::SeqCst);
        self.seen.highest_worker.fetch_max(worker, Ordering::SeqCst);
        Some(job)
    }

    fn close(&self) {
        self.inner.close();
    }

    fn close_and_drain(&self) -> Vec<QueuedJob> {
        let drained = self.inner.close_and_drain();
        self.seen.drained.fetch_add(drained.len(), Ordering::SeqCst);
        drained
    }
}

/// Runs `f` on another thread and fails the test if it takes longer than
/// [`LIMIT`] (a policy that loses a wake-up would hang the pool).
fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(f());
    });
    result.recv_timeout(LIMIT).expect("the pool hung")
}

/// Every job the pool pushes through a user policy is popped exactly once,
/// by a worker in range, and dropping the pool (which closes the policy)
/// returns.
fn every_job_passes_through_once<P: QueuePolicy>(seen: Arc<Seen>) {
    bounded(move || {
        let pool = ThreadPool::builder()
            .workers(WORKERS)
            .queue::<P>()
            .build()
            .unwrap();
        let handles: Vec<_> = (0..500u64).map(|i| pool.submit(move || i * 2)).collect();
        let batch = pool.submit_all((0..500u64).map(|i| move || i + 1));
        let sum: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        let batch_sum: u64 = batch.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(sum, 2 * (0..500).sum::<u64>());
        assert_eq!(batch_sum, (1..=500).sum::<u64>());
        drop(pool);
    });
    assert_eq!(seen.pushed.load(Ordering::SeqCst), 1_000);
    assert_eq!(seen.popped.load(Ordering::SeqCst), 1_000);
    assert!(seen.highest_worker.load(Ordering::SeqCst) < WORKERS);
}

#[test]
fn a_user_policy_over_the_shared_queue_sees_every_job_once() {
    every_job_passes_through_once::<Recording<SharedQueue, 0>>(seen_by(0));
}

#[test]
fn a_user_policy_over_the_stealing_queues_sees_every_job_once() {
    every_job_passes_through_once::<Recording<StealingQueues, 1>>(seen_by(1));
}

#[test]
fn shutdown_now_drains_through_the_policy_and_cancels_what_did_not_start() {
    type Policy = Recording<SharedQueue, 2>;
    let seen = seen_by(2);
    bounded(move || {
        let pool = ThreadPool::builder()
            .workers(1)
            .queue::<Policy>()
            .build()
            .unwrap();
        // Hold the only worker, so the next jobs stay queued.
        let (release, gate) = mpsc::channel::<()>();
        let (running, is_running) = mpsc::channel::<()>();
        let blocker = pool.submit(move || {
            running.send(()).unwrap();
            gate.recv().unwrap();
        });
        is_running.recv().unwrap();
        let queued: Vec<_> = (0..10).map(|i| pool.submit(move || i)).collect();
        pool.shutdown_now();
        release.send(()).unwrap();
        assert_eq!(blocker.join(), Ok(()));
        for handle in queued {
            assert_eq!(handle.join(), Err(JobError::Cancelled));
        }
        // Refused by the closed policy: cancelled, never pushed.
        assert_eq!(pool.submit(|| 1).join(), Err(JobError::Cancelled));
    });
    assert_eq!(seen.drained.load(Ordering::SeqCst), 10);
    assert_eq!(seen.pushed.load(Ordering::SeqCst), 11, "blocker + 10");
}

#[test]
fn each_pool_gets_a_queue_of_its_own_from_one_builder() {
    let builder = ThreadPool::builder().workers(2).queue::<StealingQueues>();
    let first = builder.clone().build().unwrap();
    let second = builder.build().unwrap();
    first.shutdown_now();
    // The second pool's queue is still open.
    assert_eq!(second.submit(|| 7).join(), Ok(7));
    assert_eq!(first.submit(|| 7).join(), Err(JobError::Cancelled));
    assert!(
        format!("{second:?}").contains("StealingQueues"),
        "{second:?}"
    );
}
