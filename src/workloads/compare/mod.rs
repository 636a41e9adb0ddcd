//! The experiment: every selected workload under every selected model.
//!
//! `sync` always runs first among the models: its wall time is the baseline
//! of `speedup_vs_sync` and, for cpu, of the ideal times; its cpu results
//! are the reference every other model's results must equal. Never are two
//! runs timed at once: they would steal each other's cores.
//!
//! Read it in this order:
//!
//! 1. this file, the driver: what to run ([`CompareConfig`]), how many
//!    workers each model gets ([`workers_for`]), and [`compare`], which
//!    runs cpu, then io, and puts the rows in the tutorial's order;
//! 2. `cpu_run.rs`: the cpu rows — every model runs the list N times,
//!    round by round, beside bare threads (the yardstick); each row is the
//!    median run;
//! 3. `io_run.rs`: the io rows — every model downloads the list once from
//!    the embedded slow site (and `--sweep`);
//! 4. [`descriptors`]: the io clients and the embedded server share one
//!    process's file descriptors; every run is checked to fit before any
//!    starts, and the server's cap is what the clients leave;
//! 5. `scale_run.rs`: the `--scale` rows ([`crate::workloads::scale`]) —
//!    the io list at each size, threads and context switches counted;
//! 6. `row.rs`: one measured run (or the median of several) counted into a
//!    [`RunResult`].

#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::Instant;

use super::progress::Progress;
use super::result::{RunResult, Yardstick};
use super::runners::{RunError, RunSettings};
use super::scale::{scale_concurrency, ScaleRow};
use super::site::SlowSite;
use super::timeline::Timeline;
use super::{Model, Workload};
use crate::event_loop::SchedulerFactory;
use crate::http::server::{fd_limits, raise_fd_limit, ServerConfig};

mod cpu_run;
pub mod descriptors;
mod io_run;
mod row;
mod scale_run;

use descriptors::{DescriptorBudget, DescriptorError};

pub use io_run::SWEEP_WORKERS;

/// What to run. [`Default`] is the full experiment of shared/WORKLOADS.md.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareConfig {
    /// The workloads to run (cpu always runs first; see [`compare`]).
    pub workloads: Vec<Workload>,
    /// The models, in report order (`sync` always runs first).
    pub models: Vec<Model>,
    /// Pool size for every pool model; `None` means each model's default
    /// ([`workers_for`]). Set by `--workers`, or by `--concurrency` when
    /// `--workers` is not given ([`CompareConfig::with_concurrency`]).
    pub workers: Option<usize>,
    /// Downloads in the io job list (`--io-tasks`, formerly `--requests`).
    pub requests: usize,
    /// Multiplier of the cpu numbers (`--cpu-scale`).
    pub cpu_scale: f64,
    /// How many rounds of the cpu workload run: in each, every model runs
    /// the list once, and so do the bare threads; each row reports its
    /// model's run of median wall time (`--cpu-runs`, at least 1).
    pub cpu_runs: usize,
    /// Connection-pool limit of the event loop's session (aiohttp's 100).
    pub pool_limit: usize,
    /// `--concurrency`, as given: it already set `pool_limit` and (unless
    /// `--workers` did) `workers`; the `--scale` sweep also reads it as
    /// every model's ceiling ([`scale_concurrency`]).
    pub concurrency: Option<usize>,
    /// The `--scale` sweep's sizes (downloads per run); `None`: no sweep.
    pub scale: Option<Vec<usize>>,
    /// The models the `--scale` sweep runs, in order.
    pub scale_models: Vec<Model>,
    /// Whether to record timelines for a trace.
    pub trace: bool,
    /// Whether to also run the io workload under `threads` with each pool
    /// size of [`SWEEP_WORKERS`].
    pub sweep: bool,
    /// The scheduler of the `event-loop` model (`--scheduler`; `None`: the
    /// loop's default, oldest-ready). Any `Scheduler`, through a factory.
    pub scheduler: Option<SchedulerFactory>,
    /// Whether the io workload runs over https (`--tls`): the embedded
    /// site serves TLS, and each session pays its handshakes.
    #[cfg(feature = "tls")]
    pub tls: bool,
}

impl Default for CompareConfig {
    fn default() -> Self {
        CompareConfig {
            workloads: Workload::ALL.to_vec(),
            models: Model::ALL.to_vec(),
            workers: None,
            requests: super::io::DEFAULT_REQUESTS,
            cpu_scale: 1.0,
            cpu_runs: DEFAULT_CPU_RUNS,
            pool_limit: DEFAULT_POOL_LIMIT,
            concurrency: None,
            scale: None,
            scale_models: super::scale::DEFAULT_MODELS.to_vec(),
            trace: false,
            sweep: false,
            scheduler: None,
            #[cfg(feature = "tls")]
            tls: false,
        }
    }
}

impl CompareConfig {
    /// The `--quick` sizes: 20 downloads and a cpu list five times shorter,
    /// in 3 rounds, a few seconds in all.
    pub fn quick(mut self) -> Self {
        self.requests = 20;
        self.cpu_scale = 0.2;
        self.cpu_runs = 3;
        self
    }

    /// `--concurrency C`: the event loop's pool limit, and the pool size of
    /// the pool models — unless [`workers`](Self::workers) is already set,
    /// which wins for them (it is the more specific of the two).
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::workloads::CompareConfig;
    ///
    /// let config = CompareConfig::default().with_concurrency(50);
    /// assert_eq!((config.pool_limit, config.workers), (50, Some(50)));
    /// let config = CompareConfig { workers: Some(4), ..CompareConfig::default() };
    /// let config = config.with_concurrency(50);
    /// assert_eq!((config.pool_limit, config.workers), (50, Some(4)));
    /// ```
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = Some(concurrency);
        self.pool_limit = concurrency;
        self.workers = self.workers.or(Some(concurrency));
        self
    }

    /// Raises the descriptor limit to the hard one and checks that every io
    /// run of this comparison fits in it, client and embedded server
    /// together ([`descriptors`]). [`compare`] calls it first; a command
    /// line calls it too, to refuse bad arguments before anything runs.
    ///
    /// # Errors
    ///
    /// [`DescriptorError`] for the first run that cannot fit.
    pub fn descriptor_budget(&self) -> Result<DescriptorBudget, DescriptorError> {
        let limit = raise_fd_limit()
            .or_else(|_| fd_limits().map(|(soft, _)| soft))
            .unwrap_or(1024);
        let mut budget = DescriptorBudget::new(limit);
        let cores = cores();
        if self.workloads.contains(&Workload::Io) {
            for &model in &self.models {
                let slots = match model {
                    Model::Sync => 1,
                    Model::EventLoop | Model::EventLoopMt => self.pool_limit,
                    _ => workers_for(model, self.workers, cores),
                };
                budget.add(model, slots.min(self.requests).max(1))?;
            }
        }
        if let Some(largest) = self.scale.iter().flatten().copied().max() {
            for &model in &self.scale_models {
                budget.add(model, scale_concurrency(model, largest, self.concurrency))?;
            }
        }
        Ok(budget)
    }
}

/// How many rounds of the cpu workload run by default.
///
/// The tutorial's list takes only tens of milliseconds in Rust: short
/// enough that one badly placed thread, or a moment when the host takes a
/// core, moves a single run's speedup a lot. The median of five runs is the
/// typical run, for about a second in all
/// (`docs/benchmarks/workloads.md`, "cpu rows: rounds and the yardstick").
pub const DEFAULT_CPU_RUNS: usize = 5;

/// The event loop session's connection-pool limit when not told otherwise:
/// aiohttp's default, 100.
pub const DEFAULT_POOL_LIMIT: usize = 100;

/// The pool size `model` runs with: `requested` (`--workers`) for the pool
/// models, else [`default_workers`]; always 1 for the one-thread models and
/// the cores for `event-loop-mt`.
///
/// # Examples
///
/// ```
/// use handspun::workloads::{compare::workers_for, Model};
///
/// assert_eq!(workers_for(Model::Threads, None, 2), 5);
/// assert_eq!(workers_for(Model::Processes, Some(3), 2), 3);
/// assert_eq!(workers_for(Model::EventLoop, Some(3), 2), 1);
/// assert_eq!(workers_for(Model::EventLoopMt, Some(3), 2), 2);
/// ```
pub fn workers_for(model: Model, requested: Option<usize>, cores: usize) -> usize {
    match requested {
        Some(workers) if model.has_workers() => workers,
        _ => default_workers(model, cores),
    }
}

/// The pool size a model gets when `--workers` is not given: 5 threads (the
/// tutorial's `max_workers=5`), one process per core, one stealing worker
/// per core (always: `--workers` does not size it), 1 for the one-thread
/// models.
///
/// # Examples
///
/// ```
/// use handspun::workloads::{compare::default_workers, Model};
///
/// assert_eq!(default_workers(Model::EventLoopMt, 4), 4);
/// assert_eq!(default_workers(Model::EventLoop, 4), 1);
/// ```
pub fn default_workers(model: Model, cores: usize) -> usize {
    match model {
        Model::Threads | Model::ThreadsGil => 5,
        Model::Processes | Model::EventLoopMt => cores,
        Model::Sync | Model::EventLoop => 1,
    }
}

/// The number of cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Everything a comparison measured.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Cores available to the run.
    pub cores: usize,
    /// One row per (workload, model): io first, then cpu, each in run
    /// order (sync first).
    pub results: Vec<RunResult>,
    /// One timeline per row (empty unless tracing was asked for).
    pub timelines: Vec<Timeline>,
    /// The `--sweep` rows: io under `threads`, one per pool size (empty
    /// unless asked for).
    pub sweep: Vec<RunResult>,
    /// The cpu workload on bare threads, when cpu ran with `sync`.
    pub yardstick: Option<Yardstick>,
    /// The `--scale` rows, smallest size first (empty unless asked for).
    pub scale: Vec<ScaleRow>,
}

/// Why a comparison stopped.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A runtime could not start.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The embedded slow-site server could not start.
    #[error("could not start the embedded slow-site server: {0}")]
    Server(#[source] std::io::Error),
    /// An io run cannot fit in the process's file descriptors.
    #[error(transparent)]
    Descriptors(#[from] DescriptorError),
}

/// Runs the comparison.
///
/// # Errors
///
/// [`CompareError`] when a runtime or the server cannot start, or (before
/// anything runs) when an io run cannot fit in the descriptor limit. Jobs
/// that fail do not stop it: they are counted and kept in each row's
/// `errors`.
pub fn compare(
    config: &CompareConfig,
    progress: Arc<dyn Progress>,
) -> Result<Comparison, CompareError> {
    let budget = config.descriptor_budget()?;
    let experiment = Experiment::new(config, progress);
    // cpu runs first, in a process that has not grown yet: forking a
    // worker copies the parent's page tables, and after the io runs (five
    // pools' threads, a server, every body) that is a visible share of a
    // short cpu run. Each of the tutorial's scripts is a fresh process too.
    let cpu = if config.workloads.contains(&Workload::Cpu) {
        cpu_run::run(&experiment)?
    } else {
        cpu_run::CpuRows::default()
    };
    let mut io = io_run::IoRows::default();
    let runs_io = config.workloads.contains(&Workload::Io);
    if runs_io || config.sweep {
        let server_config = ServerConfig {
            max_connections: budget.server_cap(),
            ..ServerConfig::default()
        };
        #[cfg(feature = "tls")]
        let server = if config.tls {
            SlowSite::start_tls_with(server_config)
        } else {
            SlowSite::start_with(server_config)
        };
        #[cfg(not(feature = "tls"))]
        let server = SlowSite::start_with(server_config);
        let server = server.map_err(CompareError::Server)?;
        let jobs = io_run::IoRun::new(config, &server);
        if runs_io {
            io.rows = jobs.run_models(&experiment, &server)?;
        }
        if config.sweep {
            io.sweep = jobs.run_sweep(&experiment)?;
        }
    }
    let scale = match &config.scale {
        Some(sizes) => scale_run::run(&experiment, sizes, budget.server_cap())?,
        None => Vec::new(),
    };
    // The tutorial tells the story io first, then cpu.
    let (results, timelines) = io.rows.into_iter().chain(cpu.rows).unzip();
    Ok(Comparison {
        cores: experiment.cores,
        results,
        timelines,
        sweep: io.sweep,
        yardstick: cpu.yardstick,
        scale,
    })
}

/// A comparison while it runs: what it was asked, and what every run
/// needs to know.
struct Experiment<'a> {
    config: &'a CompareConfig,
    /// Cores available to the run (copied into the result).
    cores: usize,
    /// When the comparison began: every timeline's offset counts from here.
    began: Instant,
    /// Told about every phase and every finished job.
    progress: Arc<dyn Progress>,
}

impl<'a> Experiment<'a> {
    fn new(config: &'a CompareConfig, progress: Arc<dyn Progress>) -> Experiment<'a> {
        Experiment {
            config,
            cores: cores(),
            began: Instant::now(),
            progress,
        }
    }

    /// The models of the config in the order they run: `sync` first, then
    /// the others as given, each once.
    fn run_order(&self) -> Vec<Model> {
        let mut order: Vec<Model> = Vec::new();
        for &model in &self.config.models {
            if !order.contains(&model) {
                order.push(model);
            }
        }
        order.sort_by_key(|&model| model != Model::Sync);
        order
    }

    /// The settings `model` runs with: its pool size (`--workers` or its
    /// default), the connection-pool limit, tracing, progress.
    fn settings_for(&self, model: Model) -> RunSettings {
        RunSettings {
            workers: workers_for(model, self.config.workers, self.cores),
            pool_limit: self.config.pool_limit,
            trace: self.config.trace,
            progress: Arc::clone(&self.progress),
            scheduler: self.config.scheduler.clone(),
        }
    }

    /// Microseconds since the comparison began: a run's timeline offset.
    fn now_us(&self) -> u64 {
        super::runners::micros_since(self.began, Instant::now())
    }
}
