//! `processes`: the process pool, W forked workers, one job each.
//!
//! A job crosses a pipe as a plain function pointer plus its argument, so the
//! jobs here are plain functions: [`cpu_job`] and [`fetch_job`]. Each runs in
//! a worker process and reports, besides its value, the facts only the worker
//! knows: which worker it is, when the job ran, whether it opened a
//! connection, and the worker's own peak memory.
//!
//! For io, each worker keeps one blocking HTTP session in a thread-local of
//! its own process (the tutorial's `initializer` that sets up a session per
//! process): its first download opens a connection, the next ones reuse it.
//!
//! The wall time includes forking the workers and stopping them, as the
//! tutorial's `with multiprocessing.Pool() as pool:` block does.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{Measured, RunError, RunSettings};
use crate::http::blocking::Session;
use crate::procpool::{self, ProcError, ProcessPool};
use crate::workloads::cpu::cpu_bound;
use crate::workloads::fetch::{fetch_blocking, Fetch, Fetched};
use crate::workloads::rss;
use crate::workloads::timeline::{Span, Timeline};
use crate::workloads::Model;

/// What a worker sends back with each value.
#[derive(Debug, Serialize, Deserialize)]
struct Report<T> {
    /// The job's outcome.
    value: T,
    /// New TCP connections this job opened (0 when it reused one).
    opened: u64,
    /// The worker's index in the pool (its track in the trace).
    worker: Option<usize>,
    /// The worker's process id (a replaced worker has a new one).
    pid: u32,
    /// When the job began, microseconds since the Unix epoch: the one clock
    /// parent and workers share (an `Instant` cannot cross a pipe).
    began_unix_us: u64,
    /// When the job ended, on the same clock.
    ended_unix_us: u64,
    /// The worker process's peak RSS so far, KiB.
    peak_kib: u64,
    /// The worker process's RSS when its first job began, KiB.
    start_kib: u64,
}

fn unix_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

fn report<T>(value: T, opened: u64, began_unix_us: u64) -> Report<T> {
    Report {
        value,
        opened,
        worker: procpool::current_worker(),
        pid: std::process::id(),
        began_unix_us,
        ended_unix_us: unix_us(),
        // The worker was forked for this run and never resets its mark.
        peak_kib: rss::lifetime_peak_kib(),
        start_kib: START_KIB.with(|start| *start),
    }
}

thread_local! {
    /// This worker process's RSS when it first looked: at its first job,
    /// before the job ran. Mostly the parent's pages, shared since the fork.
    static START_KIB: u64 = rss::current_kib();
}

/// Runs in a worker: one `cpu_bound`.
fn cpu_job(n: u64) -> Report<Result<u64, String>> {
    START_KIB.with(|_| ());
    let began = unix_us();
    let value = cpu_bound(n);
    report(Ok(value), 0, began)
}

thread_local! {
    /// This worker process's session (built on its first download).
    static SESSION: Session = Session::new();
}

/// Runs in a worker: one download with the process's own session.
fn fetch_job(fetch: Fetch) -> Report<Result<Fetched, String>> {
    START_KIB.with(|_| ());
    let began = unix_us();
    let (value, opened) = SESSION.with(|session| fetch_blocking(session, &fetch));
    report(value, opened, began)
}

/// Starts the pool, submits `job(arg)` for every argument, gathers the
/// reports in list order (summing up memory and spans) and stops the pool:
/// the whole `with multiprocessing.Pool() as pool:` block, timed. Also
/// returns the connections the workers opened.
fn gather<A, T>(
    settings: &RunSettings,
    job: fn(A) -> Report<Result<T, String>>,
    args: Vec<A>,
    describe: impl Fn(usize) -> String,
) -> Result<(Measured<T>, u64), RunError>
where
    A: Serialize + serde::de::DeserializeOwned,
    T: Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    rss::reset_peak();
    let start = Instant::now();
    let start_unix = unix_us();
    let pool = ProcessPool::builder()
        .workers(settings.workers)
        .build()
        .map_err(|source| RunError::Start {
            model: Model::Processes,
            source,
        })?;
    let handles: Vec<_> = args.into_iter().map(|arg| pool.submit(job, arg)).collect();
    // Nothing more to submit: a worker that runs out of jobs exits now, while
    // the others finish theirs (Python's `pool.close()`).
    pool.close();
    let mut outcomes = Vec::with_capacity(handles.len());
    let mut opened = 0;
    let mut worker_peaks: HashMap<u32, u64> = HashMap::new();
    let mut worker_growth: HashMap<u32, u64> = HashMap::new();
    let mut timeline = Timeline::default();
    for (i, handle) in handles.into_iter().enumerate() {
        let outcome = match handle.join() {
            Ok(report) => {
                opened += report.opened;
                let peak = worker_peaks.entry(report.pid).or_default();
                *peak = (*peak).max(report.peak_kib);
                let growth = worker_growth.entry(report.pid).or_default();
                *growth = (*growth).max(report.peak_kib.saturating_sub(report.start_kib));
                if settings.trace {
                    timeline.spans.push(Span {
                        track: report.worker.map_or_else(
                            || format!("process {}", report.pid),
                            |w| format!("process {w}"),
                        ),
                        name: describe(i),
                        start_us: report.began_unix_us.saturating_sub(start_unix),
                        dur_us: report.ended_unix_us.saturating_sub(report.began_unix_us),
                    });
                }
                report.value
            }
            Err(ProcError::Panicked(message)) => Err(format!("the job panicked: {message}")),
            Err(error) => Err(error.to_string()),
        };
        settings.progress.advance(1);
        outcomes.push(outcome);
    }
    drop(pool);
    let wall = start.elapsed();
    let peak = rss::peak_kib() + worker_peaks.values().sum::<u64>();
    Ok((
        Measured {
            wall,
            outcomes,
            connections_opened: None,
            peak_rss_kib: peak,
            workers_rss_growth_kib: worker_growth.values().sum(),
            timeline,
        },
        opened,
    ))
}

/// `pool.map(cpu_bound, numbers)` over W processes.
pub(super) fn run_cpu(numbers: &[u64], settings: &RunSettings) -> Result<Measured<u64>, RunError> {
    let (measured, _) = gather(settings, cpu_job, numbers.to_vec(), |i| {
        format!("cpu_bound({})", numbers[i])
    })?;
    Ok(measured)
}

/// Downloads every fetch over W processes, one session per process.
pub(super) fn run_fetches(
    fetches: &[Fetch],
    settings: &RunSettings,
) -> Result<Measured<Fetched>, RunError> {
    let (mut measured, opened) = gather(settings, fetch_job, fetches.to_vec(), |i| {
        format!("GET {}", fetches[i].url)
    })?;
    measured.connections_opened = Some(opened);
    Ok(measured)
}
