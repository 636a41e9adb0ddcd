//! One runner per model: the same jobs, run six ways.
//!
//! Every runner takes the job list and hands back a [`Measured`]: the wall
//! time, one outcome per job *in list order* (a value, or the error that job
//! met), the connections its HTTP clients opened, the peak memory and, when
//! asked, a [`Timeline`] of what ran where. The comparison
//! (`super::compare`) turns that into a [`RunResult`](super::RunResult).
//!
//! Read them in this order:
//! 1. `sync.rs`: one job after another, one HTTP session: the baseline.
//! 2. `threads.rs`: the thread pool, a session per worker thread in a
//!    `WorkerLocal`; with `threads-gil`, the same pool under an emulated GIL.
//! 3. `event_loop.rs`: a task per job on one thread, one shared session;
//!    the loop's own trace becomes the timeline.
//! 4. `processes.rs`: the process pool; jobs are plain functions, each
//!    worker process keeps its own session in a thread-local.
//! 5. `event_loop_mt.rs`: `event_loop.rs`'s shape on the work-stealing
//!    runtime, one worker per core: a task per job, shared out by the
//!    workers.
//!
//! Every runner's wall time includes starting and stopping its runtime (the
//! pool's threads or processes, the loop), as the tutorial's timed blocks
//! do: that cost is part of what a model buys.

#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::fetch::{Fetch, Fetched};
use super::progress::Progress;
use super::timeline::Timeline;
use super::Model;
use crate::event_loop::SchedulerFactory;

mod event_loop;
mod event_loop_mt;
mod processes;
mod sync;
mod threads;

/// What every runner needs besides the jobs.
#[derive(Clone)]
pub struct RunSettings {
    /// Pool size for `threads`, `processes` and `threads-gil`; worker
    /// threads of `event-loop-mt`.
    pub workers: usize,
    /// Connection-pool limit of the event loops' shared HTTP session.
    pub pool_limit: usize,
    /// Whether to record a [`Timeline`].
    pub trace: bool,
    /// Told about every finished job.
    pub progress: Arc<dyn Progress>,
    /// The event loop's scheduler (`None`: the loop's default,
    /// oldest-ready). Only the `event-loop` model reads it.
    pub scheduler: Option<SchedulerFactory>,
}

/// What a run measured, before the comparison adds ideal times and ratios.
#[derive(Debug, Clone)]
pub struct Measured<T> {
    /// Wall time from the first job submitted to the last result in.
    pub wall: Duration,
    /// One outcome per job, in job-list order.
    pub outcomes: Vec<Result<T, String>>,
    /// TCP connections opened by the run's HTTP clients (io only).
    pub connections_opened: Option<u64>,
    /// Peak resident memory, KiB (see `super::rss`).
    pub peak_rss_kib: u64,
    /// What worker processes added to their memory after their first job
    /// began, KiB, summed over the workers: each one's peak less its
    /// resident memory then, which is mostly pages shared with the parent
    /// (0 for the models without worker processes).
    pub workers_rss_growth_kib: u64,
    /// What ran where (empty unless [`RunSettings::trace`]).
    pub timeline: Timeline,
}

/// Why a run could not even start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The runtime failed to start (threads, processes, the event loop's
    /// poller).
    #[error("could not start the {model} runtime: {source}")]
    Start {
        /// The model.
        model: Model,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// Runs the cpu workload: `cpu_bound(n)` for every number.
///
/// # Errors
///
/// [`RunError`] when the model's runtime cannot start. Failed jobs are not
/// errors here: they are outcomes.
pub fn run_cpu(
    model: Model,
    numbers: &[u64],
    settings: &RunSettings,
) -> Result<Measured<u64>, RunError> {
    match model {
        Model::Sync => Ok(sync::run_cpu(numbers, settings)),
        Model::Threads => threads::run_cpu(numbers, settings, false),
        Model::ThreadsGil => threads::run_cpu(numbers, settings, true),
        Model::EventLoop => event_loop::run_cpu(numbers, settings),
        Model::Processes => processes::run_cpu(numbers, settings),
        Model::EventLoopMt => event_loop_mt::run_cpu(numbers, settings),
    }
}

/// Runs downloads: every fetch, judged by [`super::fetch::judge`].
///
/// # Errors
///
/// [`RunError`] when the model's runtime cannot start. Failed downloads are
/// not errors here: they are outcomes.
pub fn run_fetches(
    model: Model,
    fetches: &[Fetch],
    settings: &RunSettings,
) -> Result<Measured<Fetched>, RunError> {
    match model {
        Model::Sync => Ok(sync::run_fetches(fetches, settings)),
        Model::Threads => threads::run_fetches(fetches, settings, false),
        Model::ThreadsGil => threads::run_fetches(fetches, settings, true),
        Model::EventLoop => event_loop::run_fetches(fetches, settings),
        Model::Processes => processes::run_fetches(fetches, settings),
        Model::EventLoopMt => event_loop_mt::run_fetches(fetches, settings),
    }
}

/// Microseconds from `origin` to `at` (0 if `at` is earlier).
pub(crate) fn micros_since(origin: Instant, at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(origin).as_micros()).unwrap_or(u64::MAX)
}
