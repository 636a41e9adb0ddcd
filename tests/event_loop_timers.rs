//! Timers: never early, in deadline order, timeouts, intervals, many pending.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use handspun::event_loop::{self, Elapsed, EventLoop};

#[test]
fn sleeps_are_never_early_and_wake_in_deadline_order() {
    let mut ev = EventLoop::new().unwrap();
    let order = Rc::new(RefCell::new(Vec::new()));
    // Spawn in a scrambled order; deadlines are 1..=12 ms.
    let millis = [7u64, 3, 12, 1, 9, 5, 11, 2, 8, 4, 10, 6];
    let start = Instant::now();
    let handles: Vec<_> = millis
        .iter()
        .map(|&ms| {
            let order = order.clone();
            ev.spawn(async move {
                let deadline = start + Duration::from_millis(ms);
                event_loop::sleep_until(deadline).await;
                assert!(Instant::now() >= deadline, "woke early");
                order.borrow_mut().push(ms);
            })
        })
        .collect();
    ev.block_on(async move {
        for handle in handles {
            handle.await.unwrap();
        }
    });
    let mut sorted = millis.to_vec();
    sorted.sort();
    assert_eq!(*order.borrow(), sorted);
}

#[test]
fn sleep_measured_from_the_call_is_never_early() {
    let mut ev = EventLoop::new().unwrap();
    ev.block_on(async {
        for ms in [0u64, 1, 2, 3] {
            let start = Instant::now();
            event_loop::sleep(Duration::from_millis(ms)).await;
            assert!(start.elapsed() >= Duration::from_millis(ms));
        }
    });
}

#[test]
fn equal_deadlines_fire_in_arming_order() {
    let mut ev = EventLoop::new().unwrap();
    let order = Rc::new(RefCell::new(Vec::new()));
    let deadline = Instant::now() + Duration::from_millis(2);
    let handles: Vec<_> = (0..5)
        .map(|i| {
            let order = order.clone();
            ev.spawn(async move {
                event_loop::sleep_until(deadline).await;
                order.borrow_mut().push(i);
            })
        })
        .collect();
    ev.block_on(async move {
        for handle in handles {
            handle.await.unwrap();
        }
    });
    assert_eq!(*order.borrow(), [0, 1, 2, 3, 4]);
}

#[test]
fn timeout_gives_elapsed_when_the_future_is_too_slow() {
    let mut ev = EventLoop::new().unwrap();
    let (slow, fast) = ev.block_on(async {
        let slow = event_loop::timeout(
            Duration::from_millis(2),
            event_loop::sleep(Duration::from_secs(60)),
        )
        .await;
        let fast = event_loop::timeout(Duration::from_secs(60), async { 9 }).await;
        (slow, fast)
    });
    assert_eq!(slow, Err(Elapsed));
    assert_eq!(fast, Ok(9));
    assert!(Elapsed.to_string().contains("deadline"));
}

#[test]
fn cancelled_timers_do_not_wake_anyone_and_do_not_pile_up() {
    let mut ev = EventLoop::new().unwrap();
    ev.block_on(async {
        // 5_000 timeouts that succeed at once leave 5_000 cancelled timers.
        for i in 0..5_000 {
            let out = event_loop::timeout(Duration::from_secs(3600), async { i }).await;
            assert_eq!(out, Ok(i));
        }
        // ... which must not delay or disturb a real sleep.
        let start = Instant::now();
        event_loop::sleep(Duration::from_millis(2)).await;
        assert!(start.elapsed() >= Duration::from_millis(2));
    });
}

#[test]
fn a_hundred_thousand_pending_timers_are_fine() {
    let mut ev = EventLoop::new().unwrap();
    let start = Instant::now();
    let handles: Vec<_> = (0..100_000u64)
        .map(|i| {
            ev.spawn(async move {
                let deadline = start + Duration::from_micros(i % 5_000);
                event_loop::sleep_until(deadline).await;
                assert!(Instant::now() >= deadline);
            })
        })
        .collect();
    let finished = ev.block_on(async move {
        let mut finished = 0;
        for handle in handles {
            handle.await.unwrap();
            finished += 1;
        }
        finished
    });
    assert_eq!(finished, 100_000);
    assert_eq!(ev.stats().done, 100_000);
}

#[test]
fn interval_ticks_are_a_period_apart() {
    let mut ev = EventLoop::new().unwrap();
    let ticks = ev.block_on(async {
        let mut every = event_loop::interval(Duration::from_millis(3));
        let mut ticks = Vec::new();
        for _ in 0..4 {
            ticks.push(every.tick().await);
        }
        ticks
    });
    for pair in ticks.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_millis(3));
    }
}

#[test]
fn sleeping_tasks_overlap() {
    // 50 tasks sleeping 20 ms each all wake in one wave: their wake-up times
    // are all at or after the deadline, and the loop never ran a task early.
    let mut ev = EventLoop::new().unwrap();
    let start = Instant::now();
    let handles: Vec<_> = (0..50)
        .map(|_| ev.spawn(event_loop::sleep(Duration::from_millis(20))))
        .collect();
    ev.block_on(async move {
        for handle in handles {
            handle.await.unwrap();
        }
    });
    assert!(start.elapsed() >= Duration::from_millis(20));
    assert_eq!(
        ev.stats().polls,
        100,
        "each task: one poll to park, one to finish"
    );
}
