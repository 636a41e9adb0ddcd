//! Stealing runtime: a task that never yields blocks its own worker only.

mod util_stealing;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use handspun::event_loop::channel::oneshot;
use handspun::event_loop::yield_now;
use handspun::stealing;
use util_stealing::{runtime, thread_name, within_limit};

/// How long a hog may spin before it gives up (the test then fails: the
/// others did not get through while it held its worker).
const HOG_LIMIT: Duration = Duration::from_secs(30);

/// Spins without ever yielding until `release` is set; returns whether it
/// was released (false: gave up after [`HOG_LIMIT`]).
fn hog(release: &AtomicBool) -> bool {
    let start = Instant::now();
    while !release.load(Ordering::SeqCst) {
        if start.elapsed() > HOG_LIMIT {
            return false;
        }
        std::hint::spin_loop();
    }
    true
}

#[test]
fn tasks_queued_behind_a_hog_are_stolen_and_run_by_the_other_worker() {
    within_limit(|| {
        let rt = runtime(2);
        let release = Arc::new(AtomicBool::new(false));
        let ran = Arc::new(AtomicUsize::new(0));
        let (hog_started_tx, hog_started_rx) = oneshot::channel();
        // One task queues 50 children on its own worker, then hogs that
        // worker. The children can only run if the other worker steals them.
        let hogger = rt.spawn({
            let (release, ran) = (release.clone(), ran.clone());
            async move {
                let hog_worker = thread_name();
                let children: Vec<_> = (0..50)
                    .map(|_| {
                        let ran = ran.clone();
                        stealing::spawn(async move {
                            yield_now().await;
                            stealing::sleep(Duration::from_millis(1)).await;
                            ran.fetch_add(1, Ordering::SeqCst);
                            thread_name()
                        })
                    })
                    .collect();
                hog_started_tx.send(hog_worker.clone()).unwrap();
                let released = hog(&release);
                (released, hog_worker, children)
            }
        });
        let hog_worker = rt.block_on(hog_started_rx).unwrap();
        // The hog is spinning now. Everything below runs on the other worker.
        let elsewhere = rt.block_on(async {
            let sleeper = stealing::spawn(async {
                stealing::sleep(Duration::from_millis(5)).await;
                thread_name()
            });
            sleeper.await.unwrap()
        });
        assert_ne!(elsewhere, hog_worker, "a timer fired on the free worker");
        // Wait (bounded by the test limit) for the 50 children while the hog
        // still spins: they must have been stolen.
        rt.block_on(async {
            while ran.load(Ordering::SeqCst) < 50 {
                stealing::sleep(Duration::from_millis(1)).await;
            }
        });
        release.store(true, Ordering::SeqCst);
        let (released, hog_worker_again, children) = rt.block_on(hogger).unwrap();
        assert!(released, "the hog was released, not timed out");
        assert_eq!(hog_worker, hog_worker_again);
        for child in children {
            let worker = rt.block_on(child).unwrap();
            assert_ne!(worker, hog_worker, "a child ran on the hogged worker");
        }
    });
}

#[test]
fn remote_spawns_keep_running_while_one_worker_is_hogged() {
    within_limit(|| {
        let rt = runtime(2);
        let release = Arc::new(AtomicBool::new(false));
        let (started_tx, started_rx) = oneshot::channel();
        let hogger = rt.spawn({
            let release = release.clone();
            async move {
                started_tx.send(()).unwrap();
                hog(&release)
            }
        });
        rt.block_on(started_rx).unwrap();
        let sum = rt.block_on(async {
            let joins: Vec<_> = (0..1_000u64)
                .map(|i| {
                    stealing::spawn(async move {
                        yield_now().await;
                        i
                    })
                })
                .collect();
            let mut sum = 0;
            for join in joins {
                sum += join.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, (0..1_000u64).sum::<u64>());
        release.store(true, Ordering::SeqCst);
        assert_eq!(rt.block_on(hogger), Ok(true));
    });
}

/// A worker announces only the first task of its empty ring to the others
/// (`src/stealing/idle.rs`): the second child here is pushed silently, just
/// before its worker starts to spin. The other worker must still find and
/// run both. Repeated, so the other worker is caught at many points of
/// going to sleep. This is the end-to-end check; which interleavings the
/// rule survives is proved by the loom model
/// `an_unannounced_second_task_is_still_stolen` (here, the other worker is
/// often still searching from the spinner's own wake-up, and finds the
/// children either way).
#[test]
fn a_second_child_pushed_without_a_notify_is_stolen_while_its_worker_spins() {
    const ROUNDS: usize = 200;
    within_limit(|| {
        let rt = runtime(2);
        for round in 0..ROUNDS {
            let ran = Arc::new(AtomicUsize::new(0));
            let spinner = rt.spawn({
                let ran = ran.clone();
                async move {
                    for _ in 0..2 {
                        let ran = ran.clone();
                        drop(stealing::spawn(async move {
                            ran.fetch_add(1, Ordering::SeqCst);
                        }));
                    }
                    // Only the other worker can run the children now.
                    let start = Instant::now();
                    while ran.load(Ordering::SeqCst) < 2 {
                        if start.elapsed() > HOG_LIMIT {
                            return false;
                        }
                        std::hint::spin_loop();
                    }
                    true
                }
            });
            assert_eq!(
                rt.block_on(spinner),
                Ok(true),
                "round {round}: a child was left behind its spinning worker"
            );
        }
    });
}
