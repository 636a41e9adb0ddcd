//! Behaviour of the thread pool: submit, map, as_completed, scope, panics, shutdown.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::time::{Duration, Instant};

use handspun::threadpool::{
    as_completed, current_worker, JobError, SharedQueue, StealingQueues, ThreadPool,
};

/// The built-in queue policies, as a value the scenarios can take.
#[derive(Debug, Clone, Copy)]
enum Policy {
    Shared,
    Stealing,
}

/// A pool of `workers` threads with the given queue policy.
fn pool_with(workers: usize, policy: Policy) -> ThreadPool {
    let builder = ThreadPool::builder().workers(workers);
    let builder = match policy {
        Policy::Shared => builder.queue::<SharedQueue>(),
        Policy::Stealing => builder.queue::<StealingQueues>(),
    };
    builder.build().expect("pool")
}

/// Runs the scenario function of the same name once per queue policy.
macro_rules! for_each_policy {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                use super::Policy;

                #[test]
                fn shared_queue() {
                    super::$scenario(Policy::Shared);
                }

                #[test]
                fn stealing_queues() {
                    super::$scenario(Policy::Stealing);
                }
            }
        )*
    };
}

for_each_policy!(
    map_yields_results_in_input_order,
    map_batches_many_items_and_keeps_order,
    as_completed_yields_every_handle_once_in_finish_order,
    four_submitters_times_ten_thousand_jobs_run_exactly_once,
    panicking_jobs_are_reported_and_workers_survive,
    shutdown_now_cancels_queued_jobs_and_lets_the_running_one_finish,
    drop_runs_every_queued_job_then_joins,
    map_reports_panics_at_their_positions_inside_batches,
    submit_all_returns_handles_in_order_and_cancels_after_shutdown,
    map_completes_on_the_caller_while_every_worker_is_blocked,
    map_into_vec_after_taking_some_results_returns_the_rest_in_order,
    map_drops_every_value_exactly_once,
    a_job_pushed_while_a_looking_worker_takes_another_still_wakes_a_sleeper,
);

/// Occupies every worker of `pool` with a job that blocks until the
/// returned sender is dropped (or a generous timeout passes), and returns
/// only once every worker is inside such a job. Each handle says whether
/// its job was released (`true`) rather than timed out.
fn block_every_worker(
    pool: &ThreadPool,
) -> (mpsc::Sender<()>, Vec<handspun::threadpool::Handle<bool>>) {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Arc::new(std::sync::Mutex::new(release_rx));
    let blockers = (0..pool.workers())
        .map(|_| {
            let started_tx = started_tx.clone();
            let release_rx = Arc::clone(&release_rx);
            pool.submit(move || {
                started_tx.send(()).unwrap();
                let outcome = release_rx
                    .lock()
                    .unwrap()
                    .recv_timeout(Duration::from_secs(30));
                // Dropping the sender releases the receiver with `Disconnected`.
                outcome == Err(mpsc::RecvTimeoutError::Disconnected)
            })
        })
        .collect();
    for _ in 0..pool.workers() {
        started_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("every worker starts its blocking job");
    }
    (release_tx, blockers)
}

fn map_completes_on_the_caller_while_every_worker_is_blocked(policy: Policy) {
    let pool = pool_with(2, policy);
    let (release, blockers) = block_every_worker(&pool);

    // No worker is free, so these only finish because the caller runs the
    // batches itself: streamed, collected, one item per job and batched.
    let few: Vec<u32> = pool
        .map(|n: u32| n + 1, 0..10)
        .map(Result::unwrap)
        .collect();
    assert_eq!(few, (1..11).collect::<Vec<u32>>());
    let many = pool.map(|n: u64| n * 2, 0..10_000).into_vec().unwrap();
    assert_eq!(many, (0..10_000).map(|n| n * 2).collect::<Vec<u64>>());
    let shared: Arc<[u64]> = (0..10_000).collect();
    let sums = pool.map_shared(|&n| n + 1, shared).into_vec().unwrap();
    assert_eq!(sums, (1..10_001).collect::<Vec<u64>>());
    let panics = pool
        .map(|n: u32| if n == 3 { panic!("three") } else { n }, 0..5)
        .filter(Result::is_err)
        .count();
    assert_eq!(panics, 1);

    drop(release);
    for blocker in blockers {
        assert_eq!(
            blocker.join(),
            Ok(true),
            "the maps finished before the workers were released"
        );
    }
}

fn submit_all_returns_handles_in_order_and_cancels_after_shutdown(policy: Policy) {
    let pool = pool_with(3, policy);
    let runs = Arc::new(AtomicUsize::new(0));
    let handles = pool.submit_all((0..5_000usize).map(|i| {
        let runs = Arc::clone(&runs);
        move || {
            runs.fetch_add(1, Ordering::SeqCst);
            i * 7
        }
    }));
    assert_eq!(handles.len(), 5_000);
    for (i, handle) in handles.into_iter().enumerate() {
        assert_eq!(handle.join(), Ok(i * 7));
    }
    assert_eq!(runs.load(Ordering::SeqCst), 5_000);
    pool.shutdown_now();
    let refused = pool.submit_all((0..10).map(|_| || 1));
    assert!(refused
        .into_iter()
        .all(|h| h.join() == Err(JobError::Cancelled)));
}

/// Large enough that `map` batches items; every 997th item panics, and
/// some batches have two panics in a row.
fn map_reports_panics_at_their_positions_inside_batches(policy: Policy) {
    quiet::install();
    let pool = pool_with(2, policy);
    let panics_at = |i: u32| i.is_multiple_of(997) || i % 997 == 1;
    let results: Vec<Result<u32, JobError>> = pool
        .map(
            move |i: u32| {
                if panics_at(i) {
                    panic!("{}: item {i}", quiet::MARKER);
                }
                i + 1
            },
            0..10_000u32,
        )
        .collect();
    assert_eq!(results.len(), 10_000);
    for (i, result) in (0u32..).zip(&results) {
        if panics_at(i) {
            let expected = format!("item {i}");
            assert!(
                matches!(result, Err(JobError::Panicked(m)) if m.ends_with(&expected)),
                "{i}: {result:?}"
            );
        } else {
            assert_eq!(result, &Ok(i + 1));
        }
    }
    // into_vec stops at the first error in input order.
    let first = pool
        .map(
            move |i: u32| {
                if panics_at(i) {
                    panic!("{}: item {i}", quiet::MARKER)
                } else {
                    i
                }
            },
            5..2_000u32,
        )
        .into_vec();
    assert!(matches!(first, Err(JobError::Panicked(m)) if m.ends_with("item 997")));
}

/// Upper bound on any wait in these tests; only reached if something hangs.
const HANG_GUARD: Duration = Duration::from_secs(20);

/// A panic hook that keeps expected job panics off stderr.
mod quiet {
    use std::sync::Once;

    /// Every test-made panic message contains this marker.
    pub const MARKER: &str = "expected test panic";

    /// Installs (once per test binary) a hook that swallows panics whose
    /// message contains [`MARKER`] and forwards all others.
    pub fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let payload = info.payload();
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                if !message.contains(MARKER) {
                    previous(info);
                }
            }));
        });
    }
}

/// A job that blocks its worker until the test opens the gate, and tells the
/// test when it has started. Returns (started receiver, gate sender).
fn gate_job(pool: &ThreadPool) -> (handspun::threadpool::Handle<&'static str>, mpsc::Sender<()>) {
    let (started_tx, started_rx) = mpsc::channel();
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let handle = pool.submit(move || {
        started_tx.send(()).unwrap();
        gate_rx
            .recv_timeout(HANG_GUARD)
            .expect("the test never opened the gate");
        "gate passed"
    });
    started_rx
        .recv_timeout(HANG_GUARD)
        .expect("the gate job never started");
    (handle, gate_tx)
}

#[test]
fn submit_and_join_return_the_value() {
    let pool = ThreadPool::new(2);
    assert_eq!(pool.workers(), 2);
    let handle = pool.submit(|| "hello".to_uppercase());
    assert_eq!(handle.join(), Ok("HELLO".to_owned()));
}

fn map_yields_results_in_input_order(policy: Policy) {
    let pool = pool_with(3, policy);
    // Later items finish first: reversed sleep-free work sizes.
    let items: Vec<u64> = (0..200).collect();
    let results: Vec<u64> = pool
        .map(
            |n: u64| {
                let mut acc = 0u64;
                for i in 0..(200 - n) * 100 {
                    acc = acc.wrapping_add(std::hint::black_box(i));
                }
                std::hint::black_box(acc);
                n * 2
            },
            items.clone(),
        )
        .map(Result::unwrap)
        .collect();
    let expected: Vec<u64> = items.iter().map(|n| n * 2).collect();
    assert_eq!(results, expected);
}

fn map_batches_many_items_and_keeps_order(policy: Policy) {
    let pool = pool_with(2, policy);
    let results = pool.map(|(a, b): (u64, u64)| a + b, (0..100_000u64).map(|i| (i, i)));
    assert_eq!(results.len(), 100_000);
    for (i, result) in results.enumerate() {
        assert_eq!(result, Ok(2 * i as u64));
    }
}

/// `into_vec` on results that were partly taken one by one: the values
/// taken are not repeated, the rest come in order.
fn map_into_vec_after_taking_some_results_returns_the_rest_in_order(policy: Policy) {
    let pool = pool_with(2, policy);
    let mut results = pool.map(|n: u64| n * 3, 0..10_000u64);
    let first: Vec<u64> = results.by_ref().take(1_500).map(Result::unwrap).collect();
    assert_eq!(first, (0..1_500).map(|n| n * 3).collect::<Vec<u64>>());
    let rest = results.into_vec().unwrap();
    assert_eq!(rest, (1_500..10_000).map(|n| n * 3).collect::<Vec<u64>>());
}

/// Values are written straight into the final vector's storage: whichever
/// way the results are taken — whole, one by one, cut short by a panic, or
/// not at all — every value is dropped once, none leaks.
fn map_drops_every_value_exactly_once(policy: Policy) {
    quiet::install();
    let token = Arc::new(());
    {
        let pool = pool_with(2, policy);
        let make = {
            let token = Arc::clone(&token);
            move |_: u32| Arc::clone(&token)
        };
        let whole = pool.map(make.clone(), 0..5_000).into_vec().unwrap();
        assert_eq!(Arc::strong_count(&token), 5_000 + 2);
        drop(whole);
        let streamed = pool
            .map(make.clone(), 0..5_000)
            .filter(Result::is_ok)
            .count();
        assert_eq!(streamed, 5_000);
        let panicky = {
            let token = Arc::clone(&token);
            move |i: u32| {
                if i == 2_500 {
                    panic!("{}: item 2500", quiet::MARKER);
                }
                Arc::clone(&token)
            }
        };
        assert!(pool.map(panicky.clone(), 0..5_000).into_vec().is_err());
        let mut partly = pool.map(panicky, 0..5_000);
        assert!(partly.next().unwrap().is_ok());
        drop(partly);
        drop(pool.map(make, 0..5_000)); // never looked at
                                        // Dropping the pool runs every queued batch and joins the workers.
    }
    assert_eq!(
        Arc::strong_count(&token),
        1,
        "a value leaked or was dropped twice"
    );
}

/// The looking workers are counted so a push need not wake a sleeper for
/// a job a looker will take; a push that no looker will take must still
/// wake one. Here job A blocks until job B runs, so B must reach the other
/// worker — woken if it sleeps — or A waits forever (bounded by the guard).
fn a_job_pushed_while_a_looking_worker_takes_another_still_wakes_a_sleeper(policy: Policy) {
    let pool = pool_with(2, policy);
    for round in 0..300 {
        let (tx, rx) = mpsc::channel::<()>();
        let a = pool.submit(move || rx.recv_timeout(HANG_GUARD).is_ok());
        let b = pool.submit(move || tx.send(()).is_ok());
        assert!(
            a.join().unwrap(),
            "round {round}: B never ran while A waited for it"
        );
        assert!(b.join().unwrap());
    }
}

#[test]
fn map_reports_a_panic_for_the_panicking_item_only() {
    quiet::install();
    let pool = ThreadPool::new(2);
    let results: Vec<Result<u32, JobError>> = pool
        .map(
            |n: u32| {
                if n == 3 {
                    panic!("{}: item 3", quiet::MARKER);
                }
                n
            },
            0..6,
        )
        .collect();
    assert_eq!(results.len(), 6);
    for (n, result) in results.into_iter().enumerate() {
        if n == 3 {
            assert!(matches!(result, Err(JobError::Panicked(ref m)) if m.contains("item 3")));
        } else {
            assert_eq!(result, Ok(n as u32));
        }
    }
}

fn as_completed_yields_every_handle_once_in_finish_order(policy: Policy) {
    let pool = pool_with(2, policy);
    // Job 0 waits for a gate that opens only after job 1 has finished, so
    // the finish order is forced: 1 before 0.
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let slow = pool.submit(move || {
        gate_rx.recv_timeout(HANG_GUARD).expect("gate never opened");
        0usize
    });
    let fast = pool.submit(|| 1usize);
    let mut many: Vec<_> = vec![slow, fast];
    many.extend((2..500usize).map(|i| pool.submit(move || i)));
    let mut completed = as_completed(many);
    assert_eq!(completed.len(), 500);
    let mut seen = Vec::new();
    // Everything but job 0 finishes while the gate is shut.
    for _ in 0..499 {
        seen.push(completed.next().unwrap().unwrap());
    }
    assert!(!seen.contains(&0));
    gate_tx.send(()).unwrap();
    seen.push(completed.next().unwrap().unwrap());
    assert_eq!(completed.next(), None);
    assert_eq!(seen.last(), Some(&0));
    let unique: HashSet<usize> = seen.iter().copied().collect();
    assert_eq!(unique.len(), 500);
    assert_eq!(unique, (0..500).collect());
}

fn four_submitters_times_ten_thousand_jobs_run_exactly_once(policy: Policy) {
    const SUBMITTERS: usize = 4;
    const JOBS: usize = 10_000;
    let pool = Arc::new(pool_with(4, policy));
    let runs: Arc<Vec<AtomicU8>> =
        Arc::new((0..SUBMITTERS * JOBS).map(|_| AtomicU8::new(0)).collect());
    let submitters: Vec<_> = (0..SUBMITTERS)
        .map(|s| {
            let pool = Arc::clone(&pool);
            let runs = Arc::clone(&runs);
            std::thread::spawn(move || {
                let handles: Vec<_> = (0..JOBS)
                    .map(|j| {
                        let runs = Arc::clone(&runs);
                        let id = s * JOBS + j;
                        pool.submit(move || {
                            runs[id].fetch_add(1, Ordering::Relaxed);
                            id
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .enumerate()
                    .all(|(j, h)| h.join() == Ok(s * JOBS + j))
            })
        })
        .collect();
    for submitter in submitters {
        assert!(submitter.join().unwrap(), "a handle returned the wrong id");
    }
    assert!(runs.iter().all(|count| count.load(Ordering::Relaxed) == 1));
}

fn panicking_jobs_are_reported_and_workers_survive(policy: Policy) {
    quiet::install();
    const WORKERS: usize = 4;
    let pool = pool_with(WORKERS, policy);
    let handles: Vec<_> = (0..10_000u32)
        .map(|i| {
            pool.submit(move || {
                if i % 10 == 0 {
                    panic!("{}: job {i}", quiet::MARKER);
                }
                i
            })
        })
        .collect();
    let (mut ok, mut panicked) = (0, 0);
    for (i, handle) in handles.into_iter().enumerate() {
        match handle.join() {
            Ok(value) => {
                assert_eq!(value as usize, i);
                ok += 1;
            }
            Err(JobError::Panicked(message)) => {
                assert!(message.contains(&format!("job {i}")));
                panicked += 1;
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((ok, panicked), (9_000, 1_000));

    // All workers alive: WORKERS jobs can be in flight at the same time.
    let arrived = Arc::new(AtomicUsize::new(0));
    let rendezvous: Vec<_> = (0..WORKERS)
        .map(|_| {
            let arrived = Arc::clone(&arrived);
            pool.submit(move || {
                arrived.fetch_add(1, Ordering::SeqCst);
                let deadline = Instant::now() + HANG_GUARD;
                while arrived.load(Ordering::SeqCst) < WORKERS && Instant::now() < deadline {
                    std::thread::yield_now();
                }
                (arrived.load(Ordering::SeqCst) == WORKERS, current_worker())
            })
        })
        .collect();
    let mut indices = HashSet::new();
    for handle in rendezvous {
        let (all_met, index) = handle.join().unwrap();
        assert!(all_met, "fewer than {WORKERS} workers are alive");
        indices.insert(index.expect("ran on a pool worker"));
    }
    assert_eq!(indices, (0..WORKERS).collect());
}

fn shutdown_now_cancels_queued_jobs_and_lets_the_running_one_finish(policy: Policy) {
    let pool = pool_with(1, policy);
    let (running, gate) = gate_job(&pool);
    let ran = Arc::new(AtomicUsize::new(0));
    let queued: Vec<_> = (0..10)
        .map(|_| {
            let ran = Arc::clone(&ran);
            pool.submit(move || ran.fetch_add(1, Ordering::SeqCst))
        })
        .collect();
    assert!(queued.iter().all(|h| !h.is_finished()));

    pool.shutdown_now();
    // Cancelled handles are finished at once, before the running job ends.
    assert!(queued.iter().all(|h| h.is_finished()));
    assert!(!running.is_finished());
    gate.send(()).unwrap();
    assert_eq!(running.join(), Ok("gate passed"));
    for handle in queued {
        assert_eq!(handle.join(), Err(JobError::Cancelled));
    }
    assert_eq!(pool.submit(|| 1).join(), Err(JobError::Cancelled));
    drop(pool);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

fn drop_runs_every_queued_job_then_joins(policy: Policy) {
    let pool = pool_with(1, policy);
    let (running, gate) = gate_job(&pool);
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..100 {
        let ran = Arc::clone(&ran);
        // Detached on purpose: drop must still run them.
        drop(pool.submit(move || ran.fetch_add(1, Ordering::SeqCst)));
    }
    gate.send(()).unwrap();
    drop(pool);
    assert_eq!(ran.load(Ordering::SeqCst), 100);
    assert_eq!(running.join(), Ok("gate passed"));
}

#[test]
fn builder_names_threads_and_rejects_zero_workers() {
    let pool = ThreadPool::builder()
        .workers(2)
        .thread_name("tp-test")
        .stack_size(128 * 1024)
        .build()
        .unwrap();
    let name = pool
        .submit(|| std::thread::current().name().map(str::to_owned))
        .join()
        .unwrap()
        .unwrap();
    assert!(name == "tp-test-0" || name == "tp-test-1", "{name}");
    let error = ThreadPool::builder().workers(0).build().unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn current_worker_is_none_outside_the_pool() {
    assert_eq!(current_worker(), None);
    let pool = ThreadPool::new(2);
    let index = pool.submit(current_worker).join().unwrap();
    assert!(matches!(index, Some(0 | 1)));
}

#[test]
fn scope_jobs_borrow_the_callers_stack() {
    let pool = ThreadPool::new(2);
    let text = String::from("the quick brown fox jumps over the lazy dog");
    let mut lengths = vec![0usize; 9];
    pool.scope(|s| {
        for (slot, word) in lengths.iter_mut().zip(text.split(' ')) {
            s.spawn(move || *slot = word.len());
        }
    });
    assert_eq!(lengths, vec![3, 5, 5, 3, 5, 4, 3, 4, 3]);
}

#[test]
fn scope_reports_joined_panics_through_handles() {
    quiet::install();
    let pool = ThreadPool::new(2);
    let data = [1, 2, 3];
    let (good, bad) = pool.scope(|s| {
        let good = s.spawn(|| data.iter().sum::<i32>());
        let bad = s.spawn(|| -> i32 { panic!("{}: in scope", quiet::MARKER) });
        (good.join(), bad.join())
    });
    assert_eq!(good, Ok(6));
    assert!(matches!(bad, Err(JobError::Panicked(m)) if m.contains("in scope")));
}

#[test]
fn scope_panics_when_a_panic_was_never_joined() {
    quiet::install();
    let pool = ThreadPool::new(2);
    let finished = AtomicUsize::new(0);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.scope(|s| {
            let _detached = s.spawn(|| panic!("{}: unseen", quiet::MARKER));
            for _ in 0..10 {
                let _ = s.spawn(|| finished.fetch_add(1, Ordering::SeqCst));
            }
        })
    }));
    let payload = outcome.expect_err("the scope should have panicked");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("never joined"), "{message}");
    // Every job still ran before the scope returned.
    assert_eq!(finished.load(Ordering::SeqCst), 10);
}

#[test]
fn scope_waits_for_jobs_even_when_the_body_panics() {
    quiet::install();
    let pool = ThreadPool::new(2);
    let finished = AtomicUsize::new(0);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.scope(|s| {
            for _ in 0..50 {
                let _ = s.spawn(|| finished.fetch_add(1, Ordering::SeqCst));
            }
            panic!("{}: body", quiet::MARKER);
        })
    }));
    assert!(outcome.is_err());
    assert_eq!(finished.load(Ordering::SeqCst), 50);
}

#[test]
fn a_job_can_submit_to_its_own_pool_and_the_pool_can_be_dropped_from_a_worker() {
    let pool = Arc::new(ThreadPool::new(2));
    let inner = Arc::clone(&pool);
    let outer = pool.submit(move || inner.submit(|| 21 * 2).join());
    assert_eq!(outer.join(), Ok(Ok(42)));

    // The last reference to a pool dropped inside one of its own jobs.
    let (tx, rx) = mpsc::channel();
    let pool_for_job = Arc::clone(&pool);
    drop(pool.submit(move || {
        let barrier = Barrier::new(1);
        barrier.wait();
        tx.send(()).unwrap();
        drop(pool_for_job);
    }));
    rx.recv_timeout(HANG_GUARD).unwrap();
    drop(pool);
}

mod map_properties {
    use super::Policy;
    use super::{pool_with, quiet};
    use handspun::threadpool::JobError;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// For any number of items, workers and panicking positions, `map`
        /// yields one result per item, in input order, with each panic at
        /// its own position — whichever way the items were batched.
        #[test]
        fn map_matches_a_sequential_map(
            len in 0usize..3_000,
            workers in 1usize..4,
            panic_every in 1usize..500,
            stealing in any::<bool>(),
        ) {
            quiet::install();
            let policy = if stealing { Policy::Stealing } else { Policy::Shared };
            let pool = pool_with(workers, policy);
            let run = move |i: usize| {
                if i % panic_every == panic_every - 1 {
                    panic!("{}: {i}", quiet::MARKER);
                }
                i * 3
            };
            let results: Vec<Result<usize, JobError>> = pool.map(run, 0..len).collect();
            prop_assert_eq!(results.len(), len);
            for (i, result) in results.iter().enumerate() {
                match result {
                    Ok(value) => prop_assert_eq!(*value, i * 3),
                    Err(JobError::Panicked(message)) => {
                        prop_assert_eq!(i % panic_every, panic_every - 1);
                        let suffix = format!(": {}", i);
                        prop_assert!(message.ends_with(&suffix));
                    }
                    Err(JobError::Cancelled) => prop_assert!(false, "nothing was cancelled"),
                }
            }
        }
    }
}

#[test]
fn pool_handles_and_worker_locals_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ThreadPool>();
    assert_send_sync::<handspun::threadpool::Handle<String>>();
    assert_send_sync::<handspun::threadpool::WorkerLocal<std::rc::Rc<u8>>>();
    assert_send_sync::<JobError>();
}
