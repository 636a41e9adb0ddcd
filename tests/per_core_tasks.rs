//! The per-core runtime's tasks: placement (`spawn_on`, round robin),
//! spawning from outside into a sleeping loop, `!Send` futures, join
//! handles awaited from anywhere, abort and panics.

mod util_per_core;

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use handspun::event_loop::{self, channel::oneshot, EventLoop, JoinError};
use handspun::per_core::{self, Handle, NoSuchLoop};
use util_per_core::{runtime, thread_name, within_limit, DropCounter};

#[test]
fn spawn_on_runs_the_task_on_that_loop_thread() {
    within_limit(|| {
        let rt = runtime(3);
        for index in 0..3 {
            let placed = rt
                .spawn_on(index, || async {
                    (per_core::current_loop(), thread_name())
                })
                .unwrap()
                .join()
                .unwrap();
            assert_eq!(placed, (Some(index), format!("handspun-core-{index}")));
        }
        // And its children, spawned with the single loop's spawn, stay there.
        let child = rt
            .spawn_on(2, || async {
                event_loop::spawn(async { thread_name() }).await.unwrap()
            })
            .unwrap();
        assert_eq!(child.join().unwrap(), "handspun-core-2");
    });
}

#[test]
fn spawn_on_a_loop_the_runtime_lacks_is_an_error() {
    within_limit(|| {
        let rt = runtime(2);
        let error = rt.spawn_on(2, || async {}).unwrap_err();
        assert_eq!(error, NoSuchLoop { index: 2, loops: 2 });
        assert!(error.to_string().contains("no loop 2"), "{error}");
    });
}

#[test]
fn round_robin_spawn_covers_every_loop_in_turn() {
    within_limit(|| {
        let rt = runtime(3);
        let handles: Vec<_> = (0..30)
            .map(|_| rt.spawn(|| async { per_core::current_loop().unwrap() }))
            .collect();
        let mut per_loop: HashMap<usize, usize> = HashMap::new();
        for (i, handle) in handles.into_iter().enumerate() {
            assert_eq!(handle.loop_index(), i % 3);
            let ran_on = handle.join().unwrap();
            assert_eq!(ran_on, i % 3);
            *per_loop.entry(ran_on).or_default() += 1;
        }
        assert_eq!(per_loop, HashMap::from([(0, 10), (1, 10), (2, 10)]));
    });
}

#[test]
fn a_spawn_from_another_thread_wakes_a_loop_blocked_in_epoll() {
    within_limit(|| {
        // Idle loops with no timer block in epoll_wait with no timeout: a
        // spawn that failed to wake one would never run, and the test would
        // hang (and fail at the limit).
        let rt = runtime(2);
        let handle = rt.handle().clone();
        let spawner = std::thread::spawn(move || {
            let (tx, rx) = mpsc::channel();
            for i in 0..200usize {
                let tx = tx.clone();
                drop(handle.spawn_on(i % 2, move || async move { tx.send(i).unwrap() }));
                // One at a time: the loop goes back to sleep in between.
                assert_eq!(rx.recv_timeout(Duration::from_secs(20)), Ok(i));
            }
        });
        spawner.join().unwrap();
    });
}

#[test]
fn a_future_that_is_not_send_runs_since_it_is_built_on_its_loop() {
    within_limit(|| {
        let rt = runtime(2);
        let sum = rt
            .spawn_on(1, || {
                let shared = Rc::new(std::cell::Cell::new(0));
                async move {
                    let inner = shared.clone();
                    event_loop::spawn(async move { inner.set(inner.get() + 41) })
                        .await
                        .unwrap();
                    event_loop::yield_now().await;
                    shared.get() + 1
                }
            })
            .unwrap();
        assert_eq!(sum.join(), Ok(42));
    });
}

#[test]
fn handles_are_awaited_on_another_loop_and_on_another_runtime() {
    within_limit(|| {
        let rt = runtime(2);
        // A task on loop 1 awaits one on loop 0.
        let outer = rt
            .spawn_on(1, || async {
                let handle = Handle::current().unwrap();
                let inner = handle
                    .spawn_on(0, || async { per_core::current_loop() })
                    .unwrap();
                (inner.await, per_core::current_loop())
            })
            .unwrap();
        assert_eq!(outer.join(), Ok((Ok(Some(0)), Some(1))));
        // A plain single loop on the test's thread awaits a per-core task.
        let handle = rt.spawn(|| async {
            event_loop::sleep(Duration::from_millis(5)).await;
            "slept"
        });
        let mut other = EventLoop::new().unwrap();
        assert_eq!(other.block_on(handle), Ok("slept"));
        assert_eq!(rt.block_on(|| async { 9 }), Ok(9));
    });
}

#[test]
fn abort_drops_a_waiting_future_on_its_own_loop() {
    within_limit(|| {
        let rt = runtime(2);
        let drops = DropCounter::default();
        let guard_maker = drops.clone();
        let (started_tx, started_rx) = mpsc::channel();
        let sleeper = rt
            .spawn_on(1, move || {
                let guard = guard_maker.guard();
                async move {
                    started_tx.send(()).unwrap();
                    event_loop::sleep(Duration::from_secs(3600)).await;
                    drop(guard);
                }
            })
            .unwrap();
        started_rx.recv_timeout(Duration::from_secs(20)).unwrap();
        assert!(!sleeper.is_finished());
        sleeper.abort();
        assert_eq!(sleeper.join(), Err(JoinError::Aborted));
        assert_eq!(drops.drops(), 1);
        assert_eq!(drops.threads(), vec!["handspun-core-1".to_string()]);
    });
}

#[test]
fn abort_after_the_task_finished_keeps_its_output() {
    within_limit(|| {
        let rt = runtime(1);
        let done = rt.spawn(|| async { 5 });
        while !done.is_finished() {
            std::thread::yield_now();
        }
        done.abort();
        assert_eq!(done.join(), Ok(5));
    });
}

#[test]
fn abort_from_a_task_on_another_loop() {
    within_limit(|| {
        let rt = runtime(2);
        let (to_killer, handle_rx) = oneshot::channel();
        let victim = rt
            .spawn_on(0, || event_loop::sleep(Duration::from_secs(3600)))
            .unwrap();
        let killer = rt
            .spawn_on(1, move || async move {
                let victim: per_core::JoinHandle<()> = handle_rx.await.unwrap();
                victim.abort();
                victim.await
            })
            .unwrap();
        to_killer.send(victim).unwrap();
        assert_eq!(killer.join(), Ok(Err(JoinError::Aborted)));
    });
}

#[test]
fn a_panicking_task_is_reported_and_its_loop_goes_on() {
    within_limit(|| {
        let rt = runtime(2);
        let boom = rt
            .spawn_on(0, || async {
                event_loop::yield_now().await;
                if true {
                    panic!("boom on loop 0");
                }
            })
            .unwrap();
        assert_eq!(
            boom.join(),
            Err(JoinError::Panicked("boom on loop 0".into()))
        );
        // A panic while building the future is reported the same way.
        let early = rt
            .spawn_on(0, || -> std::future::Ready<()> { panic!("in make") })
            .unwrap();
        assert_eq!(early.join(), Err(JoinError::Panicked("in make".into())));
        // Loop 0 still runs tasks, timers included.
        let after = rt
            .spawn_on(0, || async {
                event_loop::sleep(Duration::from_millis(1)).await;
                per_core::current_loop()
            })
            .unwrap();
        assert_eq!(after.join(), Ok(Some(0)));
    });
}

#[test]
fn a_dropped_handle_detaches_the_task_which_still_runs() {
    within_limit(|| {
        let rt = runtime(2);
        let (tx, rx) = mpsc::channel();
        drop(rt.spawn_on(1, move || async move {
            event_loop::yield_now().await;
            tx.send(per_core::current_loop()).unwrap();
        }));
        assert_eq!(rx.recv_timeout(Duration::from_secs(20)), Ok(Some(1)));
    });
}

#[test]
fn join_on_the_loop_that_runs_the_task_is_refused() {
    within_limit(|| {
        // Joining would block the one thread that must run the task; the
        // refusal (a panic inside the task) comes back through its handle.
        let rt = runtime(1);
        let outcome = rt.block_on(|| async {
            let me = Handle::current().unwrap();
            let inner = me.spawn_on(0, || async {}).unwrap();
            inner.join()
        });
        match outcome {
            Err(JoinError::Panicked(message)) => {
                assert!(message.contains("await the handle instead"), "{message}")
            }
            other => panic!("expected the join to be refused, got {other:?}"),
        }
        // The loop goes on.
        assert_eq!(rt.block_on(|| async { 1 }), Ok(1));
    });
}
