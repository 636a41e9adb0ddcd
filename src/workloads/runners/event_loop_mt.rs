//! `event-loop-mt`: the work-stealing runtime, one worker thread per core,
//! one task per job.
//!
//! The same shape as `event_loop.rs` — every job becomes a task at once and
//! the tasks are awaited in list order — on [`crate::stealing::Runtime`]
//! instead of the single loop. The tasks are spawned from the thread in
//! `block_on`, so they enter the runtime through its injection queue, and
//! idle workers take them from there or steal them from each other.
//!
//! For cpu this is the twist of the experiment: an event loop *can* use
//! every core, once the work is split into tasks — 20 sums, 20 tasks, and
//! the workers share them out. But each task still computes without ever
//! awaiting, so it holds the worker that polls it until its sum is done,
//! exactly as on the single loop: a runtime with more threads adds cores,
//! not preemption.
//!
//! For io the downloads share one session, as on the single loop, with the
//! same connection-pool limit: waiting needed no thread there, so the extra
//! workers have little to add here.
//!
//! With tracing on, a cpu task is one span on the track of the worker that
//! ran it (it is polled once, so it never moves); an io task may move
//! between workers at each wake-up, so it gets a track of its own, one span
//! from its first poll to its end.

#![forbid(unsafe_code)]

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use super::{micros_since, Measured, RunError, RunSettings};
use crate::http;
use crate::stealing::{self, Runtime};
use crate::workloads::cpu::cpu_bound;
use crate::workloads::fetch::{fetch_stealing, Fetch, Fetched};
use crate::workloads::rss;
use crate::workloads::timeline::{Span, Timeline};
use crate::workloads::Model;

/// The name the stealing runtime gives its worker threads, before the
/// worker's index (`handspun-stealing-0`): how a task finds out which
/// worker polls it, for the trace.
const WORKER_THREAD_PREFIX: &str = "handspun-stealing-";

/// Which track a job's span goes on in the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tracks {
    /// The worker that first polled the task (`worker 1`): right for a task
    /// polled once, as a cpu task is.
    PerWorker,
    /// The task itself (`task 7`): for tasks that wait, and may be woken on
    /// another worker each time.
    PerTask,
}

/// What a task hands back besides its outcome: where and when it ran.
struct Ran<T> {
    /// The job's outcome.
    outcome: Result<T, String>,
    /// The worker that first polled it (`None`: not a stealing worker).
    worker: Option<usize>,
    /// From its first poll to its end.
    began: Instant,
    ended: Instant,
}

/// The index of the stealing worker this thread is, from its name.
fn current_worker() -> Option<usize> {
    std::thread::current()
        .name()?
        .strip_prefix(WORKER_THREAD_PREFIX)?
        .parse()
        .ok()
}

/// Starts a runtime of `settings.workers` workers, spawns `job(i)` for every
/// index as a task, awaits them in list order, and stops the runtime: the
/// whole block, timed. `describe(i)` names job `i`'s span.
fn run_tasks<T, Fut>(
    settings: &RunSettings,
    count: usize,
    tracks: Tracks,
    describe: impl Fn(usize) -> String,
    job: impl Fn(usize) -> Fut,
) -> Result<Measured<T>, RunError>
where
    T: Send + 'static,
    Fut: Future<Output = Result<T, String>> + Send + 'static,
{
    rss::reset_peak();
    let start = Instant::now();
    let runtime = Runtime::builder()
        .workers(settings.workers)
        .build()
        .map_err(|source| RunError::Start {
            model: Model::EventLoopMt,
            source,
        })?;
    let ran: Vec<Result<Ran<T>, String>> = runtime.block_on(async {
        let handles: Vec<_> = (0..count)
            .map(|i| {
                let progress = Arc::clone(&settings.progress);
                let work = job(i);
                stealing::spawn(async move {
                    let began = Instant::now();
                    let worker = current_worker();
                    let outcome = work.await;
                    let ended = Instant::now();
                    progress.advance(1);
                    Ran {
                        outcome,
                        worker,
                        began,
                        ended,
                    }
                })
            })
            .collect();
        let mut ran = Vec::with_capacity(count);
        for handle in handles {
            ran.push(
                handle
                    .await
                    .map_err(|error| format!("the task failed: {error}")),
            );
        }
        ran
    });
    // Stopping the workers is part of the timed block, as the pools' is.
    drop(runtime);
    let wall = start.elapsed();
    let mut timeline = Timeline::default();
    let outcomes = ran
        .into_iter()
        .enumerate()
        .map(|(i, ran)| {
            let ran = ran?;
            if settings.trace {
                let track = match (tracks, ran.worker) {
                    (Tracks::PerTask, _) => format!("task {i}"),
                    (Tracks::PerWorker, Some(worker)) => format!("worker {worker}"),
                    (Tracks::PerWorker, None) => "worker ?".to_string(),
                };
                timeline.spans.push(Span {
                    track,
                    name: describe(i),
                    start_us: micros_since(start, ran.began),
                    dur_us: micros_since(ran.began, ran.ended),
                });
            }
            ran.outcome
        })
        .collect();
    Ok(Measured {
        wall,
        outcomes,
        connections_opened: None,
        peak_rss_kib: rss::peak_kib(),
        workers_rss_growth_kib: 0,
        timeline,
    })
}

/// One task per number, each computing `cpu_bound` without ever awaiting:
/// the workers share the tasks out, and each task holds its worker until
/// its sum is done.
pub(super) fn run_cpu(numbers: &[u64], settings: &RunSettings) -> Result<Measured<u64>, RunError> {
    run_tasks(
        settings,
        numbers.len(),
        Tracks::PerWorker,
        |i| format!("cpu_bound({})", numbers[i]),
        |i| {
            let n = numbers[i];
            async move { Ok(cpu_bound(n)) }
        },
    )
}

/// One task per download, all sharing one `Send` session
/// ([`http::stealing::Session`]: the single loop's client, the same code,
/// on the stealing runtime's sockets and timers), with the single loop's
/// settings: `pool_limit` connections at most, every one of them kept for
/// reuse, no total timeout (`event_loop.rs` says why). A download may move
/// from worker to worker at each wake-up; the pool is one for all of them.
pub(super) fn run_fetches(
    fetches: &[Fetch],
    settings: &RunSettings,
) -> Result<Measured<Fetched>, RunError> {
    let session = http::stealing::Session::builder()
        .pool_limit(settings.pool_limit)
        .max_idle_per_host(settings.pool_limit)
        .total_timeout(None)
        .build();
    let list: Arc<[Fetch]> = fetches.into();
    let mut measured = run_tasks(
        settings,
        fetches.len(),
        Tracks::PerTask,
        |i| format!("GET {}", fetches[i].url),
        |i| {
            let session = session.clone();
            let list = Arc::clone(&list);
            async move { fetch_stealing(&session, &list[i]).await }
        },
    )?;
    measured.connections_opened = Some(session.connections_opened());
    Ok(measured)
}
