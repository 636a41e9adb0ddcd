//! The chaos test: 1_000 jobs while workers are SIGKILLed, one kill for every
//! batch of jobs, so the kills land while the pool is working however fast
//! the machine is. No job is lost, every result is right, no zombie is left;
//! with retries to spare every job succeeds.
//!
//! The kills are paced by progress, not by a clock: a round submits a batch,
//! kills one live worker while the batch runs, then waits for the batch's
//! results before the next round. So every run kills (at least
//! [`MIN_KILLS`]) workers mid-run, in debug and release builds alike.
//!
//! The two tests run one at a time (see `ONE_AT_A_TIME`), so that "no child
//! of this process is a zombie" is a check on this test's pool alone.

mod util_procpool;

use std::collections::HashSet;
use std::hint::black_box;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use handspun::procpool::{ProcError, ProcessPool};
use util_procpool::{bounded, is_child, kill, zombie_children};

/// Jobs per round; one worker is killed per round.
const BATCH: u64 = 10;
/// Rounds per run: `ROUNDS * BATCH` = 1_000 jobs and up to `ROUNDS` kills.
const ROUNDS: u64 = 100;
/// The run must have killed at least this many workers to count.
const MIN_KILLS: usize = 50;
/// How long a round may wait for a live worker it has not killed yet (a
/// replacement is forked within a millisecond or so; this only bounds a
/// pool that stopped replacing its workers).
const VICTIM_WAIT: Duration = Duration::from_secs(10);

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
    /// Distinct workers killed; each was alive and unreaped when killed.
    killed: HashSet<i32>,
}

/// A worker of `pool` that is alive and not killed yet, waiting (bounded)
/// while all of them are being replaced. `None` if none shows up.
fn next_victim(pool: &ProcessPool, killed: &HashSet<i32>) -> Option<i32> {
    let give_up = Instant::now() + VICTIM_WAIT;
    loop {
        // A pid the pool lists is unreaped; only this thread kills, so one
        // not yet killed is alive until we kill it.
        let fresh = pool
            .worker_pids()
            .into_iter()
            .find(|pid| !killed.contains(pid));
        if fresh.is_some() || Instant::now() >= give_up {
            return fresh;
        }
        std::thread::yield_now();
    }
}

/// Runs `ROUNDS` rounds on a 2-worker pool with `retries`: each submits
/// `BATCH` jobs, SIGKILLs one live worker, then checks the batch's results.
fn run_chaos(retries: u32) -> Outcome {
    let pool = ProcessPool::builder()
        .workers(2)
        .retries(retries)
        .build()
        .unwrap();
    let mut outcome = Outcome {
        ok: 0,
        died: 0,
        killed: HashSet::new(),
    };
    for round in 0..ROUNDS {
        let first = round * BATCH;
        let handles: Vec<_> = (first..first + BATCH)
            .map(|x| (x, pool.submit(work, x)))
            .collect();
        let Some(victim) = next_victim(&pool, &outcome.killed) else {
            break; // the assertion on the kill count reports it
        };
        kill(victim);
        outcome.killed.insert(victim);
        for (x, handle) in handles {
            match handle.join() {
                Ok(value) => {
                    assert_eq!(value, work(x), "job {x} has the right result");
                    outcome.ok += 1;
                }
                Err(ProcError::WorkerDied { signal, .. }) => {
                    assert_eq!(signal, Some(libc::SIGKILL), "job {x} died by our kill");
                    outcome.died += 1;
                }
                Err(other) => panic!("job {x}: unexpected {other:?}"),
            }
        }
    }
    drop(pool);
    assert_eq!(zombie_children(), Vec::<i32>::new(), "no zombie is left");
    for &pid in &outcome.killed {
        assert!(!is_child(pid), "killed worker {pid} was reaped");
    }
    outcome
}

#[test]
fn under_chaos_every_job_ends_ok_or_worker_died_and_no_zombie_remains() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let outcome = bounded(Duration::from_secs(120), || run_chaos(0));
    let kills = outcome.killed.len();
    assert!(kills >= MIN_KILLS, "only {kills} workers were killed");
    assert_eq!(
        outcome.ok + outcome.died,
        (ROUNDS * BATCH) as usize,
        "no job is lost"
    );
    assert!(outcome.died <= kills, "only killed workers fail jobs");
    // About half the kills hit a running job; none at all would mean the
    // kills only ever found idle workers.
    assert!(
        outcome.died > 0,
        "some of the {kills} kills hit a running job"
    );
}

#[test]
fn under_chaos_with_retries_to_spare_every_job_ends_ok() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    // One retry per possible kill: even a job hit by every kill succeeds.
    let outcome = bounded(Duration::from_secs(120), || run_chaos(ROUNDS as u32));
    let kills = outcome.killed.len();
    assert!(kills >= MIN_KILLS, "only {kills} workers were killed");
    assert_eq!(outcome.died, 0, "every job was retried until it succeeded");
    assert_eq!(outcome.ok, (ROUNDS * BATCH) as usize, "no job is lost");
}
