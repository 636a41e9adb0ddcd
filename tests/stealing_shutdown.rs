//! Stealing runtime, shutdown: every unfinished future is dropped, every
//! handle resolves, nothing spawned afterwards runs.

mod util_stealing;

use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use handspun::event_loop::channel::oneshot;
use handspun::event_loop::{yield_now, EventLoop, JoinError};
use handspun::stealing;
use util_stealing::{runtime, within_limit, DropCounter};

/// Awaits a join handle after its runtime is gone (it is a plain future;
/// the single loop can drive it).
fn resolve<T>(handle: stealing::JoinHandle<T>) -> Result<T, JoinError> {
    EventLoop::new().unwrap().block_on(handle)
}

#[test]
fn shutdown_with_tasks_in_flight_drops_every_future_and_resolves_every_handle() {
    within_limit(|| {
        let rt = runtime(2);
        let drops = DropCounter::default();
        let mut handles = Vec::new();
        let mut keep_senders = Vec::new();
        for i in 0..300 {
            let token = drops.token();
            let handle = match i % 3 {
                // Yielding forever: always queued or running.
                0 => rt.spawn(async move {
                    let _token = token;
                    loop {
                        yield_now().await;
                    }
                }),
                // Waiting on a timer that will not fire in time.
                1 => rt.spawn(async move {
                    let _token = token;
                    stealing::sleep(Duration::from_secs(3600)).await;
                }),
                // Waiting on a message that never comes.
                _ => {
                    let (tx, rx) = oneshot::channel::<()>();
                    keep_senders.push(tx);
                    rt.spawn(async move {
                        let _token = token;
                        let _ = rx.await;
                        pending::<()>().await;
                    })
                }
            };
            handles.push(handle);
        }
        // Let them all start.
        rt.block_on(stealing::sleep(Duration::from_millis(20)));
        rt.shutdown();
        assert_eq!(drops.dropped(), 300, "every future dropped by shutdown");
        for handle in handles {
            assert_eq!(resolve(handle), Err(JoinError::Aborted));
        }
        drop(keep_senders);
    });
}

#[test]
fn finished_outputs_survive_shutdown() {
    within_limit(|| {
        let rt = runtime(2);
        let handle = rt.spawn(async { "done before" });
        rt.block_on(async {
            while !handle.is_finished() {
                yield_now().await;
            }
        });
        rt.shutdown();
        assert_eq!(resolve(handle), Ok("done before"));
    });
}

#[test]
fn spawning_after_shutdown_gives_aborted_and_never_runs() {
    within_limit(|| {
        let rt = runtime(2);
        let handle = rt.handle();
        rt.shutdown();
        let drops = DropCounter::default();
        let token = drops.token();
        let late = handle.spawn(async move {
            let _token = token;
            unreachable!("a task spawned after shutdown must not run");
        });
        assert_eq!(drops.dropped(), 1);
        assert_eq!(resolve(late), Err(JoinError::Aborted));
    });
}

#[test]
fn dropping_the_runtime_shuts_it_down() {
    within_limit(|| {
        let drops = DropCounter::default();
        let handle = {
            let rt = runtime(3);
            let token = drops.token();
            rt.spawn(async move {
                let _token = token;
                stealing::sleep(Duration::from_secs(3600)).await;
            })
        };
        assert_eq!(drops.dropped(), 1);
        assert_eq!(resolve(handle), Err(JoinError::Aborted));
    });
}

#[test]
fn a_task_spawning_while_the_runtime_shuts_down_loses_nothing() {
    within_limit(|| {
        let rt = runtime(2);
        let drops = DropCounter::default();
        let created = Arc::new(AtomicUsize::new(1));
        let spawner_token = drops.token();
        let (counter, made) = (drops.clone(), created.clone());
        // Spawns children forever; each child holds a token.
        let spawner = rt.spawn(async move {
            let _token = spawner_token;
            loop {
                made.fetch_add(1, Ordering::SeqCst);
                let token = counter.token();
                drop(stealing::spawn(async move {
                    let _token = token;
                    pending::<()>().await;
                }));
                yield_now().await;
            }
        });
        rt.block_on(stealing::sleep(Duration::from_millis(20)));
        rt.shutdown();
        assert_eq!(resolve(spawner), Err(JoinError::Aborted));
        let created = created.load(Ordering::SeqCst);
        assert!(created >= 2, "the spawner ran and spawned");
        // Every token created was dropped: the spawner's and every child's,
        // including children spawned during the shutdown itself.
        assert_eq!(drops.dropped(), created);
    });
}

#[test]
fn a_task_may_drop_its_own_runtime() {
    within_limit(|| {
        let rt = Arc::new(std::sync::Mutex::new(Some(runtime(2))));
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let handle = rt.lock().unwrap().as_ref().unwrap().handle();
        let owner = rt.clone();
        let task = handle.spawn(async move {
            let runtime = owner.lock().unwrap().take();
            drop(runtime); // shuts down from inside: must not join itself
            done_tx.send(()).unwrap();
        });
        done_rx.recv().unwrap();
        // The dropping task finished its poll: its output is there.
        assert_eq!(resolve(task), Ok(()));
        assert!(rt.lock().unwrap().is_none());
    });
}
