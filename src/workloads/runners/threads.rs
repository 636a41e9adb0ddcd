//! `threads` and `threads-gil`: the thread pool, W workers, one job each.
//!
//! Every job is submitted at once and its [`Handle`] kept in list order;
//! joining them in that order gives the outcomes in list order whatever
//! order the jobs finished in. For io, each worker thread keeps its own
//! blocking HTTP session in a [`WorkerLocal`] — the tutorial's "one
//! `requests.Session` per thread" through `threading.local()` — so a worker
//! reuses its keep-alive connection from one download to the next.
//!
//! The wall time includes starting the workers and stopping them, as the
//! tutorial's `with ThreadPoolExecutor(...)` block does.

#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{micros_since, Measured, RunError, RunSettings};
use crate::http::blocking::Session;
use crate::threadpool::{self, gil, Handle, JobError, ThreadPool, WorkerLocal};
use crate::workloads::cpu::cpu_bound;
use crate::workloads::fetch::{fetch_blocking, Fetch, Fetched};
use crate::workloads::rss;
use crate::workloads::timeline::{Span, Timeline};
use crate::workloads::Model;

/// CPython's switch interval, which `threads-gil` emulates.
const SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// What a job hands back besides its value: where and when it ran.
struct Ran<T> {
    /// The job's outcome.
    value: T,
    /// The pool worker that ran it (its track in the trace).
    worker: Option<usize>,
    /// When the job began and ended (the GIL wait of `threads-gil`
    /// included: the span shows a job in the pool, not on a core).
    began: Instant,
    ended: Instant,
}

fn build_pool(settings: &RunSettings, with_gil: bool) -> Result<ThreadPool, RunError> {
    let mut builder = ThreadPool::builder().workers(settings.workers);
    let model = if with_gil {
        builder = builder.gil(SWITCH_INTERVAL);
        Model::ThreadsGil
    } else {
        Model::Threads
    };
    builder
        .build()
        .map_err(|source| RunError::Start { model, source })
}

/// Starts the pool, runs `job(i)` for every index on it, gathers the
/// outcomes in order (with a span per job on its worker's track) and stops
/// the pool: the whole `with ThreadPoolExecutor(...)` block, timed.
fn gather<T, F>(
    settings: &RunSettings,
    with_gil: bool,
    count: usize,
    describe: impl Fn(usize) -> String,
    job: F,
) -> Result<Measured<T>, RunError>
where
    T: Send + 'static,
    F: Fn(usize) -> Result<T, String> + Send + Sync + 'static,
{
    rss::reset_peak();
    let start = Instant::now();
    let pool = build_pool(settings, with_gil)?;
    let job = Arc::new(job);
    let handles: Vec<Handle<Ran<Result<T, String>>>> = (0..count)
        .map(|i| {
            let job = Arc::clone(&job);
            let progress = Arc::clone(&settings.progress);
            pool.submit(move || {
                let began = Instant::now();
                let value = job(i);
                let ended = Instant::now();
                progress.advance(1);
                Ran {
                    value,
                    worker: threadpool::current_worker(),
                    began,
                    ended,
                }
            })
        })
        .collect();
    let mut timeline = Timeline::default();
    let outcomes = handles
        .into_iter()
        .enumerate()
        .map(|(i, handle)| match handle.join() {
            Ok(ran) => {
                if settings.trace {
                    timeline.spans.push(Span {
                        track: ran
                            .worker
                            .map_or_else(|| "worker ?".to_string(), |w| format!("worker {w}")),
                        name: describe(i),
                        start_us: micros_since(start, ran.began),
                        dur_us: micros_since(ran.began, ran.ended),
                    });
                }
                ran.value
            }
            Err(JobError::Panicked(message)) => Err(format!("the job panicked: {message}")),
            Err(error) => Err(error.to_string()),
        })
        .collect();
    drop(pool);
    Ok(Measured {
        wall: start.elapsed(),
        outcomes,
        connections_opened: None,
        peak_rss_kib: rss::peak_kib(),
        workers_rss_growth_kib: 0,
        timeline,
    })
}

/// `pool.map(cpu_bound, numbers)`, with or without the emulated GIL.
pub(super) fn run_cpu(
    numbers: &[u64],
    settings: &RunSettings,
    with_gil: bool,
) -> Result<Measured<u64>, RunError> {
    let list: Arc<[u64]> = numbers.into();
    gather(
        settings,
        with_gil,
        numbers.len(),
        |i| format!("cpu_bound({})", numbers[i]),
        move |i| Ok(cpu_bound(list[i])),
    )
}

/// Downloads every fetch on the pool, one blocking session per worker.
/// Under the emulated GIL, a download releases it while it waits, as
/// CPython's socket calls do.
pub(super) fn run_fetches(
    fetches: &[Fetch],
    settings: &RunSettings,
    with_gil: bool,
) -> Result<Measured<Fetched>, RunError> {
    let sessions: WorkerLocal<Session> = WorkerLocal::new(Session::new);
    let opened = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&opened);
    let list: Arc<[Fetch]> = fetches.into();
    let mut measured = gather(
        settings,
        with_gil,
        fetches.len(),
        |i| format!("GET {}", fetches[i].url),
        move |i| {
            let (outcome, new_connections) =
                sessions.with(|session| gil::allow_threads(|| fetch_blocking(session, &list[i])));
            counter.fetch_add(new_connections, Ordering::Relaxed);
            outcome
        },
    )?;
    measured.connections_opened = Some(opened.load(Ordering::Relaxed));
    Ok(measured)
}
