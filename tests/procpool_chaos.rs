//! The chaos test: 1_000 jobs while another thread SIGKILLs a random worker
//! every few milliseconds. No job is lost, every result is right, no zombie
//! is left; with `retries(2)` every job succeeds.
//!
//! The two tests run one at a time (see `ONE_AT_A_TIME`), so that "no child
//! of this process is a zombie" is a check on this test's pool alone.

mod util_procpool;

use std::collections::HashSet;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use handspun::procpool::{ProcError, ProcessPool};
use util_procpool::{bounded, kill, zombie_children};

const JOBS: u64 = 1_000;
/// At most this many workers are killed per test.
const MAX_KILLS: usize = 100;
/// Pause between two kills: pacing, not synchronisation.
const KILL_EVERY: Duration = Duration::from_millis(3);

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A small CPU-bound job, so that kills land mid-job.
fn work(x: u64) -> u64 {
    let mut acc = x;
    for i in 0..5_000u64 {
        acc = acc.wrapping_mul(31).wrapping_add(black_box(i));
    }
    acc
}

/// What one chaos run saw.
struct Outcome {
    ok: usize,
    died: usize,
    kills: usize,
}

/// Submits `JOBS` jobs to a 2-worker pool with `retries` while a killer
/// thread SIGKILLs workers; checks every result and returns the counts.
fn run_chaos(retries: u32) -> Outcome {
    let pool = ProcessPool::builder()
        .workers(2)
        .retries(retries)
        .build()
        .unwrap();
    let finished = AtomicBool::new(false);
    let initial: HashSet<i32> = pool.worker_pids().into_iter().collect();
    let outcome = std::thread::scope(|scope| {
        // Every job is queued before the killer starts, so kills land on
        // busy workers.
        let handles: Vec<_> = (0..JOBS).map(|x| pool.submit(work, x)).collect();
        let killer = scope.spawn(|| {
            // A worker is killed only once it has been seen alive at two
            // earlier ticks (or is one of the first workers): a freshly
            // forked replacement, which may be running a retried job, is left
            // alone for a moment, as real crashes would leave it — so a job
            // is not hit three times in a row.
            let mut seen_before: HashSet<i32> = HashSet::new();
            let mut seen_twice: HashSet<i32> = initial;
            let mut kills = 0;
            let mut tick = 0u64;
            while !finished.load(Ordering::SeqCst) && kills < MAX_KILLS {
                let alive = pool.worker_pids();
                tick += 1;
                let candidates: Vec<i32> = alive
                    .iter()
                    .copied()
                    .filter(|pid| seen_twice.contains(pid))
                    .collect();
                if !candidates.is_empty() {
                    let victim = candidates[(tick as usize * 7919) % candidates.len()];
                    kill(victim);
                    kills += 1;
                }
                seen_twice.retain(|pid| alive.contains(pid));
                seen_twice.extend(
                    alive
                        .iter()
                        .copied()
                        .filter(|pid| seen_before.contains(pid)),
                );
                seen_before = alive.into_iter().collect();
                std::thread::sleep(KILL_EVERY);
            }
            kills
        });

        let (mut ok, mut died) = (0, 0);
        for (x, handle) in handles.into_iter().enumerate() {
            match handle.join() {
                Ok(value) => {
                    assert_eq!(value, work(x as u64), "job {x} has the right result");
                    ok += 1;
                }
                Err(ProcError::WorkerDied { signal, .. }) => {
                    assert_eq!(signal, Some(libc::SIGKILL));
                    died += 1;
                }
                Err(other) => panic!("job {x}: unexpected {other:?}"),
            }
        }
        finished.store(true, Ordering::SeqCst);
        let kills = killer.join().unwrap();
        Outcome { ok, died, kills }
    });
    drop(pool);
    assert_eq!(zombie_children(), Vec::<i32>::new(), "no zombie is left");
    outcome
}

#[test]
fn under_chaos_every_job_ends_ok_or_worker_died_and_no_zombie_remains() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let outcome = bounded(Duration::from_secs(120), || run_chaos(0));
    assert_eq!(outcome.ok + outcome.died, JOBS as usize, "no job is lost");
    assert!(outcome.kills > 0, "the killer killed");
    assert!(
        outcome.died <= outcome.kills,
        "only killed workers fail jobs"
    );
}

#[test]
fn under_chaos_with_two_retries_every_job_ends_ok() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let outcome = bounded(Duration::from_secs(120), || run_chaos(2));
    assert!(outcome.kills > 0, "the killer killed");
    assert_eq!(outcome.died, 0);
    assert_eq!(outcome.ok, JOBS as usize);
}
