//! The supervisor: one parent thread per worker that feeds it jobs, watches
//! it, and replaces it when it dies.
//!
//! Why a thread per worker rather than one `poll` loop over all of them: each
//! supervisor is a few lines of straight-line code (take a job, send it, wait
//! for the reply with a deadline, deliver), and the kernel multiplexes the
//! waits. A pool of hundreds of workers would rather use one `poll`/`epoll`
//! loop; with one worker per core, threads are the simpler lesson.
//!
//! The loop, per job:
//!
//! ```text
//! take a job (sleep on the condvar while the queue is empty)
//!   ├─ worker died while idle?  reap it, fork a fresh one (the job is not charged)
//!   ├─ send the frame, read the reply, both before the job's deadline
//!   │    ├─ reply          → deliver it; recycle the worker after max_jobs_per_worker
//!   │    ├─ end of file    → reap: WorkerDied {pid, signal, exit code}
//!   │    │                   (or run the job again while it has retries left)
//!   │    └─ deadline       → SIGKILL, reap: Timeout
//!   └─ a dead worker is replaced at once while the pool is running
//! ```

use std::io;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Instant;

use super::error::ProcError;
use super::frame::TransferError;
use super::process::WorkerProcess;
use super::shared::{Job, Phase, Shared, WorkerSlot, WorkerState};
use super::sys::ExitStatus;

/// How one job's exchange with its worker ended, when no reply came.
enum Failure {
    /// The worker's pipes closed: it died.
    Died,
    /// The job's deadline passed.
    TimedOut,
    /// Some other OS error; the worker is killed to be safe.
    Io(std::io::Error),
}

/// The body of supervisor thread `index`: forks the slot's first worker,
/// reports on `started` whether that worked, then runs until the pool stops.
///
/// Every worker of the slot is forked from this thread, and this thread
/// outlives each of them (it reaps them), which is what the worker's
/// "die with the parent" signal is tied to (`sys::die_with_parent`).
pub(crate) fn supervise(shared: Arc<Shared>, index: usize, started: Sender<io::Result<()>>) {
    let mut worker = match start_worker(&shared, index) {
        Ok(first) => {
            let _ = started.send(Ok(()));
            Some(first)
        }
        Err(error) => {
            let _ = started.send(Err(error));
            return;
        }
    };
    drop(started);
    while let Some(job) = next_job(&shared, index) {
        // A worker that died while idle (killed from outside, say) is
        // replaced before the job is sent: the job is not charged for it.
        if worker.as_ref().is_some_and(WorkerProcess::has_exited) {
            retire(&shared, index, worker.take(), false);
        }
        let mut live = match worker.take() {
            Some(live) => live,
            None => match start_worker(&shared, index) {
                Ok(live) => live,
                Err(error) => {
                    job.finish(Err(error.into()));
                    continue;
                }
            },
        };
        if !mark_busy(&shared, index, live.pid) {
            // `shutdown_now` ran after this job left the queue, perhaps
            // before this worker's pid was recorded (so it was not killed).
            retire(&shared, index, Some(live), true);
            job.finish(Err(ProcError::Cancelled));
            break;
        }

        let deadline = shared
            .config
            .job_timeout
            .map(|limit| Instant::now() + limit);
        let failure = match live.exchange(&job.frame, deadline, &shared.quick_replies) {
            Ok(reply) => {
                live.jobs_done += 1;
                let worn_out = shared
                    .config
                    .max_jobs_per_worker
                    .is_some_and(|limit| live.jobs_done >= limit);
                job.finish(Ok(reply));
                if worn_out {
                    retire(&shared, index, Some(live), false);
                    worker = replacement(&shared, index);
                } else {
                    worker = Some(live);
                }
                continue;
            }
            Err(TransferError::Closed) => Failure::Died,
            Err(TransferError::TimedOut) => Failure::TimedOut,
            Err(TransferError::Io(error)) => Failure::Io(error),
        };

        let pid = live.pid;
        let kill = !matches!(failure, Failure::Died);
        let status = retire(&shared, index, Some(live), kill);
        let stopping = shared.lock().phase == Phase::Stopping;
        let error = match failure {
            _ if stopping => ProcError::Cancelled,
            Failure::Died => died(pid, status),
            Failure::TimedOut => ProcError::Timeout {
                pid,
                limit: shared.config.job_timeout.unwrap_or_default(),
            },
            Failure::Io(error) => error.into(),
        };
        if matches!(error, ProcError::WorkerDied { .. }) && job.retries_left > 0 {
            retry(&shared, job);
        } else {
            job.finish(Err(error));
        }
        worker = replacement(&shared, index);
    }
    retire(&shared, index, worker, false);
}

/// Takes the next job for supervisor `index`, sleeping while the queue is
/// empty. `None` means the supervisor should stop: the pool is stopping, or
/// draining with nothing left to do.
fn next_job(shared: &Shared, index: usize) -> Option<Job> {
    // Tuning (`tuning/spin.rs`): look for a moment before sleeping. A queued
    // job is the next one in every phase (`shutdown_now` empties the queue).
    if let Some(job) = shared.spinners.spin_then_sleep(|| shared.try_pop()) {
        return Some(job);
    }
    let mut state = shared.lock();
    loop {
        if state.phase == Phase::Stopping {
            return None;
        }
        if let Some(job) = state.queue.pop_front() {
            return Some(job);
        }
        if state.phase == Phase::Draining {
            return None;
        }
        if state.workers[index].state == WorkerState::Busy {
            state.workers[index].state = WorkerState::Idle;
        }
        state = shared
            .work_available
            .wait(state)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
    }
}

/// Records that slot `index` runs a job on worker `pid`, and says whether
/// it may: `false` once the pool is stopping. Checked under the same lock
/// `shutdown_now` kills under, so a worker either is recorded before that
/// kill (and gets killed) or sees `Stopping` here.
fn mark_busy(shared: &Shared, index: usize, pid: i32) -> bool {
    let mut state = shared.lock();
    state.workers[index] = WorkerSlot {
        pid: Some(pid),
        state: WorkerState::Busy,
    };
    state.phase != Phase::Stopping
}

/// Puts a job whose worker died back at the front of the queue, one retry
/// fewer.
fn retry(shared: &Shared, mut job: Job) {
    job.retries_left -= 1;
    let mut state = shared.lock();
    if state.phase == Phase::Stopping {
        drop(state);
        job.finish(Err(ProcError::Cancelled));
        return;
    }
    state.queue.push_front(job);
    drop(state);
    shared.work_available.notify_one();
}

/// Forks a worker for slot `index` and records its pid.
fn start_worker(shared: &Shared, index: usize) -> io::Result<WorkerProcess> {
    let worker = WorkerProcess::spawn(index, shared.config.initializer)?;
    shared.set_worker(index, Some(worker.pid), WorkerState::Idle);
    Ok(worker)
}

/// A fresh worker for slot `index` while the pool is running (so the pool
/// stays at full strength); none while it winds down. A failed fork leaves
/// the slot vacant: the next job tries again and reports the error.
fn replacement(shared: &Shared, index: usize) -> Option<WorkerProcess> {
    if shared.lock().phase != Phase::Running {
        return None;
    }
    start_worker(shared, index).ok()
}

/// Stops and reaps `worker` (if any), first clearing its pid from the slot
/// so nobody signals that pid once it is reaped. Returns how it ended.
fn retire(
    shared: &Shared,
    index: usize,
    worker: Option<WorkerProcess>,
    kill: bool,
) -> Option<ExitStatus> {
    let worker = worker?;
    shared.set_worker(index, None, WorkerState::Vacant);
    worker.reap(kill).ok()
}

/// The error for a job whose worker `pid` died and ended with `status`.
fn died(pid: i32, status: Option<ExitStatus>) -> ProcError {
    let (signal, exit_code) = match status {
        Some(ExitStatus::Signaled(signal)) => (Some(signal), None),
        Some(ExitStatus::Exited(code)) => (None, Some(code)),
        None => (None, None),
    };
    ProcError::WorkerDied {
        pid,
        signal,
        exit_code,
    }
}
