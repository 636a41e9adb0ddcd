//! Shutting the per-core runtime down with tasks in flight: every loop
//! stops, every unfinished future is dropped on its own loop, every handle
//! gives `Aborted`, and spawns after shutdown do too.

mod util_per_core;

use std::sync::mpsc;
use std::time::Duration;

use handspun::event_loop::{self, JoinError};
use util_per_core::{runtime, within_limit, DropCounter};

#[test]
fn shutdown_with_tasks_in_flight_aborts_them_on_their_loops() {
    within_limit(|| {
        let rt = runtime(2);
        let drops = DropCounter::default();
        let (started_tx, started_rx) = mpsc::channel();
        let handles: Vec<_> = (0..10)
            .map(|_| {
                let guard = drops.clone();
                let started = started_tx.clone();
                rt.spawn(move || {
                    let guard = guard.guard();
                    async move {
                        started.send(()).unwrap();
                        // Waits on a timer an hour away.
                        event_loop::sleep(Duration::from_secs(3600)).await;
                        drop(guard);
                    }
                })
            })
            .collect();
        for _ in 0..10 {
            started_rx.recv_timeout(Duration::from_secs(20)).unwrap();
        }
        // Some tasks busy yielding when the loops stop, too.
        let busy: Vec<_> = (0..4)
            .map(|_| {
                rt.spawn(|| async {
                    loop {
                        event_loop::yield_now().await;
                    }
                })
            })
            .collect();
        let handle = rt.handle().clone();
        rt.shutdown();
        for handle in handles.into_iter().chain(busy) {
            assert_eq!(handle.join(), Err(JoinError::Aborted));
        }
        assert_eq!(drops.drops(), 10);
        for thread in drops.threads() {
            assert!(thread.starts_with("handspun-core-"), "dropped on {thread}");
        }
        // After shutdown: a spawn is aborted without running.
        let late = handle.spawn(|| async { unreachable!("a loop ran after shutdown") });
        assert_eq!(late.join(), Err(JoinError::Aborted));
    });
}

#[test]
fn dropping_the_runtime_stops_it_too() {
    within_limit(|| {
        let rt = runtime(3);
        let stuck = rt.spawn(std::future::pending::<()>);
        let finished = rt.spawn(|| async { "done" });
        assert_eq!(finished.join(), Ok("done"));
        drop(rt);
        assert_eq!(stuck.join(), Err(JoinError::Aborted));
    });
}
