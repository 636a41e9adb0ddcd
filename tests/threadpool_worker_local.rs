//! `WorkerLocal`: exactly one value per worker thread, built lazily, kept.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread::ThreadId;

use handspun::threadpool::{current_worker, ThreadPool, WorkerLocal};

#[test]
fn one_value_per_worker_thread_built_once_and_kept() {
    const WORKERS: usize = 4;
    let built = Arc::new(AtomicUsize::new(0));
    let local = {
        let built = Arc::clone(&built);
        // The value is the serial number of its construction.
        Arc::new(WorkerLocal::new(move || {
            built.fetch_add(1, Ordering::SeqCst)
        }))
    };
    assert_eq!(
        built.load(Ordering::SeqCst),
        0,
        "built lazily, not up front"
    );

    let pool = ThreadPool::new(WORKERS);
    let seen: Arc<Mutex<HashMap<ThreadId, Vec<usize>>>> = Arc::default();
    let record = {
        let local = Arc::clone(&local);
        let seen = Arc::clone(&seen);
        move || {
            let value = local.with(|value| *value);
            seen.lock()
                .unwrap()
                .entry(std::thread::current().id())
                .or_default()
                .push(value);
            current_worker()
        }
    };

    // First, one job per worker, held together by a barrier so that every
    // worker runs exactly one of them.
    let barrier = Arc::new(Barrier::new(WORKERS));
    let first: Vec<_> = (0..WORKERS)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            let record = record.clone();
            pool.submit(move || {
                barrier.wait();
                record()
            })
        })
        .collect();
    let mut indices: Vec<usize> = first
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    indices.sort();
    assert_eq!(indices, (0..WORKERS).collect::<Vec<_>>());
    assert_eq!(built.load(Ordering::SeqCst), WORKERS);

    // Then many more jobs: no new values, each thread sees its own.
    let more: Vec<_> = (0..1_000).map(|_| pool.submit(record.clone())).collect();
    for handle in more {
        handle.join().unwrap();
    }
    assert_eq!(built.load(Ordering::SeqCst), WORKERS);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), WORKERS);
    let mut firsts: Vec<usize> = seen
        .values()
        .map(|values| {
            assert!(
                values.iter().all(|v| *v == values[0]),
                "a thread's value changed"
            );
            values[0]
        })
        .collect();
    firsts.sort();
    assert_eq!(firsts, (0..WORKERS).collect::<Vec<_>>());
}

#[test]
fn values_are_mutable_and_separate_per_worker_local() {
    let counter_a = WorkerLocal::new(|| 0u32);
    let counter_b = WorkerLocal::new(|| 100u32);
    for _ in 0..3 {
        counter_a.with(|n| *n += 1);
    }
    counter_b.with(|n| *n += 1);
    // Nested use of two different WorkerLocals is fine.
    let (a, b) = counter_a.with(|a| (*a, counter_b.with(|b| *b)));
    assert_eq!((a, b), (3, 101));
}

#[test]
fn a_panicking_init_is_retried_on_the_next_call() {
    let attempts = AtomicUsize::new(0);
    let attempts = Arc::new(attempts);
    let local = {
        let attempts = Arc::clone(&attempts);
        WorkerLocal::new(move || {
            if attempts.fetch_add(1, Ordering::SeqCst) == 0 {
                std::panic::panic_any("expected test panic: first init fails");
            }
            "session"
        })
    };
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| local.with(|v| *v)));
    std::panic::set_hook(prev);
    assert!(first.is_err());
    assert_eq!(local.with(|v| *v), "session");
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
}
