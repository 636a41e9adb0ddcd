//! Stealing runtime, task lifecycle: spawn from inside and outside, join,
//! panics, abort, detach.

mod util_stealing;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use handspun::event_loop::channel::oneshot;
use handspun::event_loop::{yield_now, JoinError};
use handspun::stealing;
use util_stealing::{runtime, within_limit, DropCounter};

#[test]
fn tasks_spawned_from_many_threads_through_handles_all_run() {
    within_limit(|| {
        let rt = runtime(2);
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let handle = rt.handle();
                thread::spawn(move || {
                    (0..500u64)
                        .map(|i| handle.spawn(async move { t * 1000 + i }))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let handles: Vec<_> = threads
            .into_iter()
            .flat_map(|thread| thread.join().unwrap())
            .collect();
        let sum = rt.block_on(async move {
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.unwrap();
            }
            sum
        });
        let expected: u64 = (0..4u64)
            .map(|t| (0..500u64).map(|i| t * 1000 + i).sum::<u64>())
            .sum();
        assert_eq!(sum, expected);
    });
}

#[test]
fn tasks_spawn_tasks_and_await_them_across_workers() {
    within_limit(|| {
        let rt = runtime(3);
        let total = rt.block_on(async {
            let outer: Vec<_> = (0..20u64)
                .map(|i| {
                    stealing::spawn(async move {
                        let inner: Vec<_> = (0..20u64)
                            .map(|j| stealing::spawn(async move { i * 20 + j }))
                            .collect();
                        let mut sum = 0;
                        for handle in inner {
                            sum += handle.await.unwrap();
                        }
                        sum
                    })
                })
                .collect();
            let mut total = 0;
            for handle in outer {
                total += handle.await.unwrap();
            }
            total
        });
        assert_eq!(total, (0..400u64).sum::<u64>());
        assert_eq!(rt.alive_tasks(), 0);
    });
}

#[test]
fn a_panicking_task_reports_through_its_handle_and_the_runtime_goes_on() {
    within_limit(|| {
        let rt = runtime(2);
        let boom = rt.spawn(async {
            yield_now().await;
            panic!("kaboom {}", 7);
        });
        assert_eq!(
            rt.block_on(boom),
            Err(JoinError::Panicked("kaboom 7".to_string()))
        );
        // Every worker is still alive: many tasks still complete.
        let handles: Vec<_> = (0..100).map(|i| rt.spawn(async move { i })).collect();
        let sum = rt.block_on(async {
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, (0..100).sum::<i32>());
    });
}

#[test]
fn aborting_a_waiting_task_drops_its_future() {
    within_limit(|| {
        let rt = runtime(2);
        let drops = DropCounter::default();
        let (started_tx, started_rx) = oneshot::channel();
        let token = drops.token();
        let task = rt.spawn(async move {
            let _token = token;
            started_tx.send(()).unwrap();
            stealing::sleep(Duration::from_secs(3600)).await;
        });
        rt.block_on(started_rx).unwrap();
        // Waiting on its timer, or just finishing the poll that sent: either
        // way its future is dropped without another poll.
        task.abort();
        assert_eq!(rt.block_on(task), Err(JoinError::Aborted));
        assert_eq!(drops.dropped(), 1);
    });
}

#[test]
fn aborting_a_running_task_stops_it_when_its_poll_returns() {
    within_limit(|| {
        let rt = runtime(2);
        let drops = DropCounter::default();
        let running = Arc::new(AtomicBool::new(false));
        let release = Arc::new(AtomicBool::new(false));
        let polls_after = Arc::new(AtomicUsize::new(0));
        let token = drops.token();
        let task = rt.spawn({
            let (running, release, polls_after) =
                (running.clone(), release.clone(), polls_after.clone());
            async move {
                let _token = token;
                running.store(true, Ordering::SeqCst);
                while !release.load(Ordering::SeqCst) {
                    std::hint::spin_loop();
                }
                yield_now().await;
                polls_after.fetch_add(1, Ordering::SeqCst);
            }
        });
        while !running.load(Ordering::SeqCst) {
            thread::yield_now();
        }
        task.abort();
        assert_eq!(
            drops.dropped(),
            0,
            "a running future is not dropped under it"
        );
        release.store(true, Ordering::SeqCst);
        assert_eq!(rt.block_on(task), Err(JoinError::Aborted));
        assert_eq!(drops.dropped(), 1);
        assert_eq!(polls_after.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn aborting_a_finished_task_keeps_its_output() {
    within_limit(|| {
        let rt = runtime(2);
        let task = rt.spawn(async { 5 });
        while !task.is_finished() {
            thread::yield_now();
        }
        task.abort();
        assert_eq!(rt.block_on(task), Ok(5));
    });
}

#[test]
fn a_task_queued_then_aborted_never_runs() {
    within_limit(|| {
        let rt = runtime(1);
        let ran = Arc::new(AtomicBool::new(false));
        let gate = Arc::new(AtomicBool::new(false));
        // Hold the only worker (spinning, never yielding) until the abort
        // has happened; the victim, queued behind it, cannot run before.
        let blocker = rt.spawn({
            let gate = gate.clone();
            async move {
                while !gate.load(Ordering::SeqCst) {
                    std::hint::spin_loop();
                }
            }
        });
        let victim = rt.spawn({
            let ran = ran.clone();
            async move { ran.store(true, Ordering::SeqCst) }
        });
        victim.abort();
        gate.store(true, Ordering::SeqCst);
        rt.block_on(blocker).unwrap();
        assert_eq!(rt.block_on(victim), Err(JoinError::Aborted));
        assert!(!ran.load(Ordering::SeqCst));
    });
}

#[test]
fn a_detached_task_keeps_running() {
    within_limit(|| {
        let rt = runtime(2);
        let (done_tx, done_rx) = oneshot::channel();
        drop(rt.spawn(async move {
            stealing::sleep(Duration::from_millis(1)).await;
            done_tx.send(42).unwrap();
        }));
        assert_eq!(rt.block_on(done_rx), Ok(42));
    });
}

#[test]
fn sleeps_on_many_workers_end_in_deadline_order_of_at_least_their_length() {
    within_limit(|| {
        let rt = runtime(2);
        let start = std::time::Instant::now();
        let handles: Vec<_> = (1..=20u64)
            .map(|i| {
                rt.spawn(async move {
                    stealing::sleep(Duration::from_millis(i)).await;
                    start.elapsed()
                })
            })
            .collect();
        for (i, handle) in (1..=20u64).zip(handles) {
            let elapsed = rt.block_on(handle).unwrap();
            assert!(
                elapsed >= Duration::from_millis(i),
                "sleep {i} ms ended early"
            );
        }
    });
}
