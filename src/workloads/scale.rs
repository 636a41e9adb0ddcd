//! `compare --scale`: the io workload as the number of downloads grows, and
//! what each model pays for it — wall time, memory, threads, context
//! switches.
//!
//! The tutorial's 160 downloads hide what concurrency costs. At 100 000,
//! a model that waits with a *thread* per download needs a thread per
//! download in flight: each has a stack, a kernel task, and a context
//! switch every time its socket is ready. The event loop waits with a
//! *task*: a few hundred bytes and a slot in the poller. The sweep runs
//! the io job list at each size of [`DEFAULT_SIZES`] (`--scale-sizes` for
//! others) under each model, with as many downloads in flight as the model
//! is allowed at that size ([`scale_concurrency`]), and keeps one
//! [`ScaleRow`] per (size, model).
//!
//! The numbers are measured by [`usage`](super::usage) (threads, context
//! switches) and [`rss`](super::rss) (peak memory); the runs themselves are
//! `compare`'s (`compare/scale_run.rs`).

#![forbid(unsafe_code)]

use serde::Serialize;

use super::result::TaskError;
use super::Model;

/// The sizes `--scale` runs when not told otherwise: the tutorial's list,
/// then roughly ten, a hundred and a thousand times as many downloads.
pub const DEFAULT_SIZES: [usize; 4] = [160, 1_000, 10_000, 100_000];

/// The models `--scale` runs when `--models` is not given. `sync` is left
/// out: 100 000 downloads one after another would take hours; so is
/// `threads-gil`, which for io is `threads` (its downloads release the lock
/// while they wait). Either runs when named with `--models`.
/// `event-loop-mt` runs beside `event-loop`, with the same ceiling: what a
/// worker per core changes in waiting at scale.
pub const DEFAULT_MODELS: [Model; 4] = [
    Model::Threads,
    Model::EventLoop,
    Model::EventLoopMt,
    Model::Processes,
];

/// The most threads `threads` (and `threads-gil`) may start in the sweep:
/// enough to see what each waiting thread costs.
pub const MAX_THREADS: usize = 1_000;

/// The most downloads the event loop keeps in flight in the sweep: its
/// connection-pool limit. Client and server share one process's
/// descriptors, so this is what fits twice under a limit of 20 000, with
/// room to spare (see `compare/descriptors.rs`).
pub const MAX_EVENT_LOOP_CONNECTIONS: usize = 5_000;

/// The most worker processes `processes` may fork in the sweep: past this
/// their memory, summed, hides everything else on the chart.
pub const MAX_PROCESSES: usize = 100;

/// The downloads in flight `model` gets at `size` downloads: one for
/// `sync`; otherwise `concurrency` (`--concurrency`) when given, else the
/// model's ceiling ([`MAX_THREADS`], [`MAX_EVENT_LOOP_CONNECTIONS`] for
/// both event loops, [`MAX_PROCESSES`]) — never more than there are
/// downloads.
///
/// # Examples
///
/// ```
/// use handspun::workloads::scale::scale_concurrency;
/// use handspun::workloads::Model;
///
/// assert_eq!(scale_concurrency(Model::Threads, 160, None), 160);
/// assert_eq!(scale_concurrency(Model::Threads, 100_000, None), 1_000);
/// assert_eq!(scale_concurrency(Model::EventLoop, 100_000, None), 5_000);
/// assert_eq!(scale_concurrency(Model::EventLoop, 100_000, Some(50)), 50);
/// assert_eq!(scale_concurrency(Model::EventLoopMt, 100_000, None), 5_000);
/// assert_eq!(scale_concurrency(Model::Sync, 1_000, Some(50)), 1);
/// ```
pub fn scale_concurrency(model: Model, size: usize, concurrency: Option<usize>) -> usize {
    let ceiling = match (model, concurrency) {
        (Model::Sync, _) => 1,
        (_, Some(c)) => c,
        (Model::Threads | Model::ThreadsGil, None) => MAX_THREADS,
        (Model::EventLoop | Model::EventLoopMt, None) => MAX_EVENT_LOOP_CONNECTIONS,
        (Model::Processes, None) => MAX_PROCESSES,
    };
    ceiling.min(size).max(1)
}

/// One point of the sweep: `tasks` downloads under `model`.
///
/// Serialized, it is one element of the `scale` array of the JSON report
/// (`docs/benchmarks/scale.md` lists the fields):
///
/// - `peak_threads`: the most threads this process had at once during the
///   run, sampled (the main thread and the embedded server's included);
///   for `processes`, the parent's, and `processes` says how many
///   single-threaded workers it forked besides.
/// - `ctxt_switches_voluntary`, `ctxt_switches_involuntary`: of every
///   thread of this process and, for `processes`, of every worker (each
///   reaped when the pool shut down); `ctxt_switches` is their sum.
/// - `peak_rss_added_kib`: what the run added to resident memory: this
///   process's peak during the run less what it held as the run began,
///   plus, for `processes`, each worker's peak less what it held at its
///   first job (a forked worker starts with the parent's pages in its RSS,
///   shared, which `peak_rss_kib` counts once per worker). The cost of the
///   model's waiting, comparable across models.
/// - `server_peak_connections`: the most connections the embedded server
///   (a fresh one per row) held at once: the downloads really in flight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaleRow {
    /// The model.
    pub model: Model,
    /// Downloads in the job list.
    pub tasks: usize,
    /// Downloads in flight at most: the pool limit or the pool size.
    pub concurrency: usize,
    /// Pool size (1 for `sync` and `event-loop`: one thread; the cores for
    /// `event-loop-mt`: a stealing worker each).
    pub workers: usize,
    /// Downloads that arrived whole and correct.
    pub ok: usize,
    /// Downloads that did not; `ok + failed == tasks`.
    pub failed: usize,
    /// Measured wall time, seconds.
    pub wall_s: f64,
    /// What a zero-overhead runtime would take at this concurrency, seconds.
    pub ideal_s: f64,
    /// Peak resident memory, KiB (see [`rss`](super::rss) per model).
    pub peak_rss_kib: u64,
    /// What the run added to the process's memory, KiB (see above).
    pub peak_rss_added_kib: u64,
    /// The most threads of this process at once (see above).
    pub peak_threads: u64,
    /// Worker processes forked (0 but for `processes`).
    pub processes: usize,
    /// Voluntary context switches (a thread blocked).
    pub ctxt_switches_voluntary: u64,
    /// Involuntary context switches (a thread was preempted).
    pub ctxt_switches_involuntary: u64,
    /// Both together.
    pub ctxt_switches: u64,
    /// TCP connections the clients opened.
    pub connections_opened: Option<u64>,
    /// The most connections the embedded server held at once.
    pub server_peak_connections: u64,
    /// Every failed download with its error.
    pub errors: Vec<TaskError>,
}

impl ScaleRow {
    /// Context switches per download: the cost of waiting, per wait.
    pub fn ctxt_switches_per_task(&self) -> f64 {
        self.ctxt_switches as f64 / self.tasks.max(1) as f64
    }
}
