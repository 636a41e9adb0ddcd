//! The emulated GIL: same results as the plain pool, one job computing at a
//! time, forced switches at checkpoints, and blocking calls that release it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use handspun::threadpool::{gil, ThreadPool};

const HANG_GUARD: Duration = Duration::from_secs(20);

/// The cpu workload's kernel, with a checkpoint on every turn.
fn cpu_bound(n: u64) -> u64 {
    let mut sum = 0u64;
    for i in 0..n {
        gil::checkpoint();
        let i = std::hint::black_box(i);
        sum = sum.wrapping_add(i.wrapping_mul(i));
    }
    sum
}

fn gil_pool(workers: usize) -> ThreadPool {
    ThreadPool::builder()
        .workers(workers)
        .gil(gil::DEFAULT_SWITCH_INTERVAL)
        .build()
        .unwrap()
}

#[test]
fn batches_the_caller_runs_itself_hold_the_gil() {
    let pool = gil_pool(1);
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    // The one worker waits with the GIL released, so the caller can take it.
    let blocker = pool.submit(move || {
        started_tx.send(()).unwrap();
        gil::allow_threads(|| release_rx.recv_timeout(Duration::from_secs(30)).is_err())
    });
    started_rx.recv_timeout(Duration::from_secs(30)).unwrap();

    // Every batch runs on this thread (the worker is busy), under the GIL.
    let held = pool
        .map(|_: u32| gil::is_held(), 0..1_000)
        .into_vec()
        .unwrap();
    assert!(held.iter().all(|&held| held));
    assert!(
        !gil::is_held(),
        "the caller gives the GIL back after each batch"
    );

    drop(release_tx);
    assert_eq!(blocker.join(), Ok(true));
}

#[test]
fn gil_pool_gives_the_same_results_as_the_plain_pool() {
    let numbers: Vec<u64> = (0..8).map(|x| 200_000 + x).collect();
    let expected: Vec<u64> = numbers.iter().map(|&n| cpu_bound(n)).collect();
    let plain: Vec<u64> = ThreadPool::new(2)
        .map(cpu_bound, numbers.clone())
        .map(Result::unwrap)
        .collect();
    let with_gil: Vec<u64> = gil_pool(2)
        .map(cpu_bound, numbers)
        .map(Result::unwrap)
        .collect();
    assert_eq!(plain, expected);
    assert_eq!(with_gil, expected);
}

#[test]
fn only_one_job_computes_at_a_time() {
    let pool = gil_pool(4);
    let inside = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let inside = Arc::clone(&inside);
            let most = Arc::clone(&most);
            pool.submit(move || {
                for _ in 0..2_000 {
                    // Between two checkpoints, nobody else may be in here.
                    // (The work in between must not checkpoint itself, as
                    // this file's `cpu_bound` does on every turn: a switch
                    // there would let another job in, rightly.)
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::hint::black_box((0..50u64).map(|i| i * i).sum::<u64>());
                    inside.fetch_sub(1, Ordering::SeqCst);
                    gil::checkpoint();
                }
                gil::is_held()
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join(), Ok(true));
    }
    assert_eq!(most.load(Ordering::SeqCst), 1);
}

#[test]
fn a_waiting_thread_forces_the_holder_to_switch() {
    let pool = gil_pool(2);
    let before = gil::stats().forced_switches;
    // Each job computes until the GIL has been taken from a holder by a
    // drop request at least once since the test began. Whichever job holds
    // the GIL first can only stop once the other, having waited a switch
    // interval, has made it let go.
    let handles: Vec<_> = (0..2)
        .map(|_| {
            pool.submit(move || {
                let deadline = Instant::now() + HANG_GUARD;
                while gil::stats().forced_switches == before && Instant::now() < deadline {
                    std::hint::black_box(cpu_bound(1_000));
                }
                gil::stats().forced_switches > before
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join(), Ok(true));
    }
    let after = gil::stats();
    assert!(after.forced_switches > before);
    assert!(after.switches >= after.forced_switches);
}

#[test]
fn checkpoint_and_allow_threads_are_harmless_outside_a_gil_pool() {
    assert!(!gil::is_held());
    gil::checkpoint();
    assert_eq!(gil::allow_threads(|| 5), 5);
    let plain = ThreadPool::new(1);
    assert_eq!(plain.submit(gil::is_held).join(), Ok(false));
}

#[test]
fn joining_inside_a_gil_job_releases_the_gil() {
    // The outer job holds the GIL and joins an inner job that needs it:
    // without releasing it while blocked, this would deadlock.
    let pool = Arc::new(gil_pool(2));
    let inner_pool = Arc::clone(&pool);
    let outer = pool.submit(move || {
        let inner = inner_pool.submit(|| cpu_bound(10_000));
        let result = inner.join();
        (result, gil::is_held())
    });
    assert_eq!(outer.join(), Ok((Ok(cpu_bound(10_000)), true)));
}

#[test]
fn scope_jobs_of_a_gil_pool_hold_the_gil() {
    let pool = gil_pool(2);
    let numbers = [1_000u64, 2_000, 3_000];
    let results: Vec<(u64, bool)> = pool.scope(|s| {
        let handles: Vec<_> = numbers
            .iter()
            .map(|&n| s.spawn(move || (cpu_bound(n), gil::is_held())))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (&n, (sum, held)) in numbers.iter().zip(results) {
        assert_eq!(sum, cpu_bound(n));
        assert!(held);
    }
}

#[test]
fn a_gil_job_can_drop_another_gil_pool_with_work_queued() {
    // Dropping a pool waits for its queued jobs; they need the GIL, which
    // the dropping job holds. Drop must wait with the GIL released.
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let outer = gil_pool(1);
        let handle = outer.submit(|| {
            let inner = gil_pool(1);
            let results: Vec<_> = (0..4)
                .map(|i| inner.submit(move || cpu_bound(1_000 + i)))
                .collect();
            drop(inner);
            results.iter().all(|h| h.is_finished())
        });
        let _ = done_tx.send(handle.join());
    });
    let outcome = done_rx
        .recv_timeout(HANG_GUARD)
        .expect("deadlock: drop waited for GIL jobs while holding the GIL");
    assert_eq!(outcome, Ok(true));
}
