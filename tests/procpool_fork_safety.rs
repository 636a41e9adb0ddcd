//! Forking while other threads hold locks must not hang the workers.
//!
//! While parent threads hold a `Mutex` for the whole test, hold `stdout`'s
//! lock most of the time, print in a loop and allocate in a loop, we create
//! pools, run jobs that allocate and panic, and make the pool fork again and
//! again (recycling after every job, and killing workers). A worker that took
//! one of those locks would hang; the watchdog turns a hang into a failure.

mod util_procpool;

use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::Duration;

use handspun::procpool::{ProcError, ProcessPool};
use util_procpool::{bounded, kill};

/// Held by a parent thread for the whole test.
static HELD_FOR_EVER: Mutex<Vec<u64>> = Mutex::new(Vec::new());

/// Allocates, formats and returns a string: exercises malloc in the worker.
fn allocate(n: u64) -> String {
    let parts: Vec<String> = (0..n).map(|i| format!("{i}")).collect();
    parts.join(",")
}

/// Panics: exercises the panic machinery (hook, unwinding) in the worker.
fn explode(n: u64) -> u64 {
    panic!("explode {n}")
}

/// Runs until killed.
fn spin(_: ()) -> u8 {
    loop {
        std::hint::spin_loop();
    }
}

#[test]
fn forking_while_other_threads_hold_locks_print_and_allocate_never_hangs() {
    bounded(Duration::from_secs(60), || {
        let stop = AtomicBool::new(false);
        // The holder, the printer, the stdout holder and the allocator, plus
        // this thread: start forking only once every lock is really held.
        let ready = Barrier::new(5);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let mut guard = HELD_FOR_EVER.lock().unwrap();
                ready.wait();
                while !stop.load(Ordering::SeqCst) {
                    guard.push(1);
                    guard.clear();
                    std::thread::yield_now();
                }
            });
            scope.spawn(|| {
                ready.wait();
                let mut lines = 0u64;
                while !stop.load(Ordering::SeqCst) && lines < 20_000 {
                    println!("printing while the pool forks: line {lines}");
                    lines += 1;
                }
            });
            scope.spawn(|| {
                ready.wait();
                while !stop.load(Ordering::SeqCst) {
                    // Hold the real stdout lock most of the time (writing
                    // nothing, to keep the test output clean).
                    let mut out = std::io::stdout().lock();
                    for _ in 0..1_000 {
                        out.write_all(b"").unwrap();
                        std::hint::spin_loop();
                    }
                    drop(out);
                }
            });
            scope.spawn(|| {
                ready.wait();
                let mut keep: Vec<Vec<u8>> = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    keep.push(vec![7; 1 + keep.len() * 13 % 4096]);
                    if keep.len() > 64 {
                        keep.clear();
                    }
                }
            });
            ready.wait();

            let mut workers_seen = HashSet::new();
            for _ in 0..3 {
                // Every job forks a replacement: many forks under pressure.
                let pool = ProcessPool::builder()
                    .workers(2)
                    .max_jobs_per_worker(1)
                    .build()
                    .unwrap();
                for n in 0..20u64 {
                    workers_seen.extend(pool.worker_pids());
                    assert_eq!(pool.submit(allocate, n).join(), Ok(allocate(n)));
                    assert_eq!(
                        pool.submit(explode, n).join(),
                        Err(ProcError::Panicked(format!("explode {n}")))
                    );
                }
                // Killed workers are replaced: more forks.
                for _ in 0..5 {
                    // The job may run on either worker: its handle is dropped.
                    drop(pool.submit(spin, ()));
                    if let Some(&pid) = pool.worker_pids().first() {
                        kill(pid);
                    }
                }
                let pool_pids = pool.worker_pids();
                workers_seen.extend(pool_pids.iter().copied());
                // The stuck jobs are still spinning: shut down instead of
                // draining.
                pool.shutdown_now();
            }
            stop.store(true, Ordering::SeqCst);
            assert!(workers_seen.len() >= 20, "many workers were forked");
        });
    });
}

/// Held by a parent thread in the test below.
static HELD_AT_FORK: Mutex<u8> = Mutex::new(0);

#[test]
fn the_documented_limit_a_job_taking_a_lock_held_at_fork_time_hangs_until_its_timeout() {
    /// User code that takes a lock another parent thread held when this
    /// worker was forked: in the worker nobody will ever release it.
    fn take_held_lock(_: ()) -> u8 {
        *HELD_AT_FORK.lock().unwrap()
    }
    bounded(Duration::from_secs(60), || {
        let limit = Duration::from_millis(200);
        let locked = Barrier::new(2);
        let release = Barrier::new(2);
        std::thread::scope(|scope| {
            let holder = scope.spawn(|| {
                let _guard = HELD_AT_FORK.lock().unwrap();
                locked.wait();
                release.wait();
            });
            locked.wait();
            let pool = ProcessPool::builder()
                .workers(1)
                .job_timeout(limit)
                .build()
                .unwrap();
            let pid = pool.worker_pids()[0];
            assert_eq!(
                pool.submit(take_held_lock, ()).join(),
                Err(ProcError::Timeout { pid, limit })
            );
            release.wait();
            holder.join().unwrap(); // the lock is free from here on

            // A worker forked after the lock was released finds it free. (The
            // first pool's replacement worker is no proof: it was forked when
            // the timed-out one was killed, while the lock was still held.)
            let pool = ProcessPool::new(1).unwrap();
            assert_eq!(pool.submit(take_held_lock, ()).join(), Ok(0));
        });
    });
}
