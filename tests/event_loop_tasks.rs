//! Task lifecycle: join, panics, abort, detach, stats, tracing, slow polls.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use handspun::event_loop::{self, EventLoop, JoinError, TraceKind};

#[test]
fn a_panicking_task_reports_through_its_handle_and_the_loop_goes_on() {
    let mut ev = EventLoop::new().unwrap();
    let (boom, fine) = ev.block_on(async {
        let boom = event_loop::spawn_named("boom", async {
            event_loop::yield_now().await;
            panic!("kaboom {}", 7);
        });
        let fine = event_loop::spawn(async {
            event_loop::yield_now().await;
            event_loop::yield_now().await;
            "still here"
        });
        (boom.await, fine.await)
    });
    assert_eq!(boom, Err(JoinError::Panicked("kaboom 7".to_string())));
    assert_eq!(fine, Ok("still here"));
    let stats = ev.stats();
    assert_eq!(stats.panicked, 1);
    assert_eq!(stats.done, 2);
    // The loop is still usable afterwards.
    assert_eq!(
        ev.block_on(async { event_loop::spawn(async { 5 }).await }),
        Ok(5)
    );
}

#[test]
fn join_error_messages_say_what_happened() {
    assert_eq!(
        JoinError::Panicked("x".into()).to_string(),
        "task panicked: x"
    );
    assert!(JoinError::Aborted.to_string().contains("aborted"));
}

/// Counts how many times it was dropped.
struct DropCounter(Rc<Cell<u32>>);
impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn abort_drops_a_waiting_task_and_its_handle_reports_aborted() {
    let mut ev = EventLoop::new().unwrap();
    let drops = Rc::new(Cell::new(0));
    let result = ev.block_on({
        let drops = drops.clone();
        async move {
            let guard = DropCounter(drops.clone());
            let task = event_loop::spawn(async move {
                let _guard = guard;
                event_loop::sleep(Duration::from_secs(3600)).await;
            });
            event_loop::yield_now().await; // let it start and park on the timer
            assert!(!task.is_finished());
            task.abort();
            assert!(task.is_finished());
            assert_eq!(drops.get(), 1, "abort drops the future at once");
            task.await
        }
    });
    assert_eq!(result, Err(JoinError::Aborted));
    assert_eq!(ev.stats().aborted, 1);
}

#[test]
fn abort_of_a_queued_task_means_it_never_runs() {
    let mut ev = EventLoop::new().unwrap();
    let ran = Rc::new(Cell::new(false));
    let task = ev.spawn({
        let ran = ran.clone();
        async move { ran.set(true) }
    });
    task.abort();
    let result = ev.block_on(task);
    assert_eq!(result, Err(JoinError::Aborted));
    assert!(!ran.get());
}

#[test]
fn a_task_can_abort_itself_and_stops_after_its_current_poll() {
    let mut ev = EventLoop::new().unwrap();
    let steps = Rc::new(Cell::new(0));
    let slot: Rc<RefCell<Option<event_loop::JoinHandle<()>>>> = Rc::default();
    let handle = ev.block_on({
        let steps = steps.clone();
        let slot = slot.clone();
        async move {
            let task = event_loop::spawn({
                let slot = slot.clone();
                async move {
                    loop {
                        steps.set(steps.get() + 1);
                        if let Some(me) = slot.borrow().as_ref() {
                            me.abort();
                        }
                        event_loop::yield_now().await;
                    }
                }
            });
            *slot.borrow_mut() = Some(task);
            event_loop::yield_now().await;
            let handle = slot.borrow_mut().take();
            handle.map(|task| (task.is_finished(), task))
        }
    });
    let (finished, handle) = handle.unwrap();
    assert!(finished);
    assert_eq!(ev.block_on(handle), Err(JoinError::Aborted));
    assert_eq!(steps.get(), 1);
}

#[test]
fn aborting_a_finished_task_keeps_its_output() {
    let mut ev = EventLoop::new().unwrap();
    let out = ev.block_on(async {
        let task = event_loop::spawn(async { 3 });
        while !task.is_finished() {
            event_loop::yield_now().await;
        }
        task.abort();
        task.await
    });
    assert_eq!(out, Ok(3));
}

#[test]
fn dropping_a_handle_detaches_the_task_which_keeps_running() {
    let mut ev = EventLoop::new().unwrap();
    let done = Rc::new(Cell::new(false));
    ev.block_on({
        let done = done.clone();
        async move {
            let (tx, rx) = event_loop::channel::oneshot::channel();
            drop(event_loop::spawn(async move {
                event_loop::sleep(Duration::from_millis(1)).await;
                done.set(true);
                tx.send(()).unwrap();
            }));
            rx.await.unwrap();
        }
    });
    assert!(done.get());
}

#[test]
fn dropping_the_loop_drops_pending_futures() {
    let drops = Rc::new(Cell::new(0));
    let mut ev = EventLoop::new().unwrap();
    for _ in 0..3 {
        let guard = DropCounter(drops.clone());
        ev.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
    }
    ev.block_on(event_loop::yield_now());
    assert_eq!(drops.get(), 0);
    // One that never even started.
    let guard = DropCounter(drops.clone());
    let never_started = ev.spawn(async move {
        let _guard = guard;
    });
    drop(ev);
    assert_eq!(drops.get(), 4);
    assert!(never_started.is_finished());
}

#[test]
fn stats_count_states_polls_and_ready_wait() {
    let mut ev = EventLoop::new().unwrap();
    let parked = ev.spawn(std::future::pending::<()>());
    let handles: Vec<_> = (0..10)
        .map(|_| {
            ev.spawn(async {
                event_loop::yield_now().await;
            })
        })
        .collect();
    assert_eq!(ev.stats().ready, 11);
    ev.block_on(async move {
        for handle in handles {
            handle.await.unwrap();
        }
    });
    let stats = ev.stats();
    assert_eq!(stats.spawned, 11);
    assert_eq!(stats.done, 10);
    assert_eq!(stats.waiting, 1);
    assert_eq!(stats.ready, 0);
    assert_eq!(stats.polls, 21);
    assert!(stats.turns >= 1);
    drop(parked);
}

#[test]
fn slow_polls_are_counted() {
    let mut ev = EventLoop::builder()
        .slow_poll_threshold(Duration::from_millis(5))
        .build()
        .unwrap();
    let handle = ev.spawn_named("hog", async {
        // Deliberately block the loop (the mistake being detected): 30 ms, so
        // that even a 10 ms coarse-clock tick still measures more than 5 ms.
        std::thread::sleep(Duration::from_millis(30));
    });
    ev.block_on(handle).unwrap();
    assert_eq!(ev.stats().slow_polls, 1);
}

#[test]
fn stats_sum_time_spent_polling_and_waiting_to_be_polled() {
    let mut ev = EventLoop::new().unwrap();
    // Deliberately block the loop for 30 ms in one poll: the hog's poll adds
    // to `busy`, and the task queued behind it waits at least as long, which
    // adds to `ready_wait`. The coarse clock may miss up to one tick (at
    // most 10 ms) of each, hence the 20 ms bounds.
    let hog = ev.spawn(async {
        std::thread::sleep(Duration::from_millis(30));
    });
    let behind = ev.spawn(async {});
    ev.block_on(async move {
        hog.await.unwrap();
        behind.await.unwrap();
    });
    let stats = ev.stats();
    assert!(stats.busy >= Duration::from_millis(20), "{stats:?}");
    assert!(stats.ready_wait >= Duration::from_millis(20), "{stats:?}");
}

#[test]
fn tracing_records_the_life_of_a_task_in_order() {
    let mut ev = EventLoop::builder().tracing(true).build().unwrap();
    let handle = ev.spawn_named("traced", async {
        event_loop::yield_now().await;
    });
    ev.block_on(handle).unwrap();
    let kinds: Vec<_> = ev.take_trace().into_iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            TraceKind::Spawned,
            TraceKind::PollStart,
            TraceKind::Ready,
            TraceKind::PollEnd,
            TraceKind::PollStart,
            TraceKind::PollEnd,
            TraceKind::Done
        ]
    );
    assert!(ev.take_trace().is_empty());
}

#[test]
fn tracing_is_off_by_default() {
    let mut ev = EventLoop::new().unwrap();
    let handle = ev.spawn(async {});
    ev.block_on(handle).unwrap();
    assert!(ev.take_trace().is_empty());
}

#[test]
fn spawn_outside_a_loop_panics_with_a_clear_message() {
    let result = std::panic::catch_unwind(|| {
        drop(event_loop::spawn(async {}));
    });
    let message = handspun_panic_text(result.unwrap_err());
    assert!(message.contains("inside a running event loop"), "{message}");
}

#[test]
fn nested_block_on_panics() {
    let mut outer = EventLoop::new().unwrap();
    let result = outer.block_on(async {
        let handle = event_loop::spawn(async {
            let mut inner = EventLoop::new().unwrap();
            inner.block_on(async {});
        });
        handle.await
    });
    match result {
        Err(JoinError::Panicked(message)) => assert!(message.contains("already running")),
        other => panic!("expected a panic, got {other:?}"),
    }
}

fn handspun_panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn a_panic_in_the_block_on_future_propagates_and_the_loop_stays_usable() {
    let mut ev = EventLoop::new().unwrap();
    let survivor = ev.spawn(async {
        event_loop::sleep(Duration::from_millis(1)).await;
        "survived"
    });
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ev.block_on(async {
            event_loop::yield_now().await;
            panic!("main future fails");
        })
    }));
    assert!(result.is_err());
    // The context was cleared on the way out: the loop can run again, and the
    // task spawned before is still there.
    assert_eq!(ev.block_on(survivor), Ok("survived"));
}

#[test]
fn run_returns_once_every_task_including_grandchildren_is_done() {
    let mut ev = EventLoop::new().unwrap();
    ev.run(); // nothing alive: returns at once
    let finished = Rc::new(Cell::new(0));
    for i in 0..4u64 {
        let finished = finished.clone();
        drop(ev.spawn(async move {
            event_loop::sleep(Duration::from_millis(i)).await;
            let grandchild = finished.clone();
            drop(event_loop::spawn(async move {
                event_loop::yield_now().await;
                grandchild.set(grandchild.get() + 1);
            }));
            finished.set(finished.get() + 1);
        }));
    }
    ev.run();
    assert_eq!(finished.get(), 8);
    assert_eq!(ev.stats().done, 8);
    assert_eq!(ev.stats().waiting + ev.stats().ready, 0);
}
