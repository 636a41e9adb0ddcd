//! Stealing runtime under stress: many cross-thread spawns and wakes, a
//! yielding storm across workers, ping-pong without a lost wake-up. Each
//! test is bounded by `within_limit`; sizes are chosen so a debug build
//! finishes each in a few seconds on two cores.

mod util_stealing;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use handspun::event_loop::channel::{mpsc, oneshot};
use handspun::event_loop::yield_now;
use handspun::stealing;
use util_stealing::{runtime, thread_name, within_limit};

/// Remote spawns: outside threads each spawn this many tasks.
const SPAWNS_PER_THREAD: usize = 125_000;
const SPAWNING_THREADS: usize = 4;

#[test]
fn cross_thread_spawns_and_wakes_all_count() {
    // 500_000 tasks spawned from 4 outside threads; each task is then woken
    // from a thread that is not a worker (the spawning thread sends on its
    // oneshot after spawning), runs, and wakes its joiner: half a million
    // remote spawns and half a million remote wakes (plus the joins), and
    // not one may be lost.
    let total = within_limit(|| {
        let rt = runtime(2);
        let ran = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..SPAWNING_THREADS)
            .map(|_| {
                let handle = rt.handle();
                let ran = ran.clone();
                thread::spawn(move || {
                    let mut joins = Vec::with_capacity(SPAWNS_PER_THREAD);
                    for i in 0..SPAWNS_PER_THREAD {
                        let (go, wait) = oneshot::channel::<usize>();
                        let ran = ran.clone();
                        joins.push(handle.spawn(async move {
                            let n = wait.await.unwrap();
                            ran.fetch_add(1, Ordering::Relaxed);
                            n
                        }));
                        go.send(i).unwrap();
                    }
                    joins
                })
            })
            .collect();
        let joins: Vec<_> = threads
            .into_iter()
            .flat_map(|thread| thread.join().unwrap())
            .collect();
        let sum = rt.block_on(async move {
            let mut sum = 0usize;
            for join in joins {
                sum += join.await.unwrap();
            }
            sum
        });
        assert_eq!(
            ran.load(Ordering::Relaxed),
            SPAWNS_PER_THREAD * SPAWNING_THREADS
        );
        assert_eq!(rt.alive_tasks(), 0);
        sum
    });
    let per_thread: usize = (0..SPAWNS_PER_THREAD).sum();
    assert_eq!(total, per_thread * SPAWNING_THREADS);
}

#[test]
fn spawns_from_inside_tasks_overflow_local_queues_and_all_run() {
    // One task spawns far more than a local queue holds (overflow to the
    // injection queue), then the other workers must steal.
    within_limit(|| {
        let rt = runtime(2);
        let ran = Arc::new(AtomicUsize::new(0));
        let spawned = 100_000;
        let ran_in = ran.clone();
        rt.block_on(rt.spawn(async move {
            let joins: Vec<_> = (0..spawned)
                .map(|_| {
                    let ran = ran_in.clone();
                    stealing::spawn(async move {
                        ran.fetch_add(1, Ordering::Relaxed);
                    })
                })
                .collect();
            for join in joins {
                join.await.unwrap();
            }
        }))
        .unwrap();
        assert_eq!(ran.load(Ordering::Relaxed), spawned);
    });
}

#[test]
fn a_yielding_storm_spreads_over_every_worker() {
    within_limit(|| {
        let rt = runtime(2);
        let polls = Arc::new(AtomicUsize::new(0));
        let workers_seen = Arc::new(Mutex::new(HashSet::new()));
        let (tasks, yields) = (1_000, 100);
        let joins: Vec<_> = (0..tasks)
            .map(|_| {
                let (polls, workers_seen) = (polls.clone(), workers_seen.clone());
                rt.spawn(async move {
                    let mut mine = HashSet::new();
                    for _ in 0..yields {
                        polls.fetch_add(1, Ordering::Relaxed);
                        mine.insert(thread_name());
                        yield_now().await;
                    }
                    workers_seen.lock().unwrap().extend(mine);
                })
            })
            .collect();
        rt.block_on(async move {
            for join in joins {
                join.await.unwrap();
            }
        });
        assert_eq!(polls.load(Ordering::Relaxed), tasks * yields);
        let seen = workers_seen.lock().unwrap();
        assert_eq!(
            seen.len(),
            2,
            "both workers ran tasks of the storm: {seen:?}"
        );
        assert!(seen
            .iter()
            .all(|name| name.starts_with("handspun-stealing-")));
    });
}

#[test]
fn ping_pong_between_workers_loses_no_wake_up() {
    within_limit(|| {
        let rt = runtime(2);
        for _ in 0..20 {
            let rounds = 5_000;
            let (to_pong, mut pong_inbox) = mpsc::channel::<usize>(1);
            let (to_ping, mut ping_inbox) = mpsc::channel::<usize>(1);
            let pong = rt.spawn(async move {
                while let Some(n) = pong_inbox.recv().await {
                    to_ping.send(n + 1).await.unwrap();
                }
            });
            let ping = rt.spawn(async move {
                let mut n = 0;
                for _ in 0..rounds {
                    to_pong.send(n).await.unwrap();
                    n = ping_inbox.recv().await.unwrap();
                }
                n
            });
            assert_eq!(rt.block_on(ping), Ok(rounds));
            rt.block_on(pong).unwrap();
        }
    });
}

#[test]
fn wakes_from_many_outside_threads_reach_waiting_tasks() {
    // Tasks park first, then outside threads wake them: the remote-wake path
    // into the injection queue, with workers asleep.
    within_limit(|| {
        let rt = runtime(2);
        let count = 20_000;
        let mut chunks: Vec<Vec<(usize, oneshot::Sender<usize>)>> =
            (0..4).map(|_| Vec::new()).collect();
        let joins: Vec<_> = (0..count)
            .map(|i| {
                let (tx, rx) = oneshot::channel::<usize>();
                chunks[i % 4].push((i, tx));
                rt.spawn(async move { rx.await.unwrap() })
            })
            .collect();
        let threads: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                thread::spawn(move || {
                    for (i, tx) in chunk {
                        tx.send(i).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let sum = rt.block_on(async move {
            let mut sum = 0;
            for join in joins {
                sum += join.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, (0..count).sum::<usize>());
    });
}
