//! The experiment: every selected workload under every selected model.
//!
//! For each workload, `sync` runs first (when selected): its wall time is the
//! baseline for `speedup_vs_sync` and, for cpu, for the ideal times; its cpu
//! results are the reference every other model's results must equal. Then
//! every other model runs the same job list, one after another (never two
//! runs at once: they would steal each other's cores).
//!
//! Read it top-down: [`compare`] runs cpu first (in a process that has not
//! grown yet), then starts the slow site for io, and hands each workload to
//! an `Experiment`, whose `run_models` is the one
//! loop over models (progress, timeline offsets, sync's baseline). A
//! workload is a `WorkloadRun` — `CpuRun` (which also checks every result
//! against sync's, and runs the list several times: see
//! [`DEFAULT_CPU_RUNS`]) or `IoRun` — that runs under a model and makes a
//! row; `Row::finish` counts a run's outcomes into a [`RunResult`].

#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::cores;
use super::cpu::{cpu_bound, cpu_ideal_s, cpu_numbers, cpu_parallelism};
use super::fetch::{Fetch, Fetched};
use super::ideal::makespan;
use super::io::io_jobs;
use super::progress::Progress;
use super::result::{RunResult, TaskError, Yardstick};
use super::runners::{self, micros_since, Measured, RunError, RunSettings};
use super::site::SlowSite;
use super::timeline::Timeline;
use super::{Model, Workload};

/// What to run. [`Default`] is the full experiment of shared/WORKLOADS.md.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareConfig {
    /// The workloads to run (cpu always runs first; see [`compare`]).
    pub workloads: Vec<Workload>,
    /// The models, in report order (`sync` always runs first).
    pub models: Vec<Model>,
    /// Pool size for every pool model; `None` means each model's default
    /// ([`workers_for`]).
    pub workers: Option<usize>,
    /// Downloads in the io job list (`--requests`).
    pub requests: usize,
    /// Multiplier of the cpu numbers (`--cpu-scale`).
    pub cpu_scale: f64,
    /// How many times each model runs the cpu workload; the row reports
    /// the run of median wall time (`--cpu-runs`, at least 1).
    pub cpu_runs: usize,
    /// Connection-pool limit of the event loop's session (aiohttp's 100).
    pub pool_limit: usize,
    /// Whether to record timelines for a trace.
    pub trace: bool,
    /// Whether the pools pin each worker to a core of its own, in turn, and
    /// the cpu workload's bare threads likewise (default: yes; `--no-pin`
    /// turns it off). See [`affinity`](crate::tuning::affinity) for why a short cpu
    /// run needs it.
    pub pin_workers: bool,
    /// Whether to also run the io workload under `threads` with each pool
    /// size of [`SWEEP_WORKERS`].
    pub sweep: bool,
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
            trace: false,
            pin_workers: true,
            sweep: false,
        }
    }
}

impl CompareConfig {
    /// The `--quick` sizes: 20 downloads and a cpu list five times shorter,
    /// run 3 times per model, a few seconds in all.
    pub fn quick(mut self) -> Self {
        self.requests = 20;
        self.cpu_scale = 0.2;
        self.cpu_runs = 3;
        self
    }
}

/// How many times each model runs the cpu workload by default.
///
/// One run of the tutorial's list takes ~28–31 ms one after another and
/// ~15–16 ms on two cores: short enough that one badly placed thread (a few
/// milliseconds waiting for a core) moves a single run's speedup by 10 %.
/// Five runs cost about a second for all five models; their median is the
/// typical run.
pub const DEFAULT_CPU_RUNS: usize = 5;

/// The event loop session's connection-pool limit when not told otherwise:
/// aiohttp's default, 100.
pub const DEFAULT_POOL_LIMIT: usize = 100;

/// The pool size `model` runs with: `requested` (`--workers`) for the pool
/// models, else [`default_workers`]; always 1 for the one-thread models.
///
/// # Examples
///
/// ```
/// use handspun::workloads::{compare::workers_for, Model};
///
/// assert_eq!(workers_for(Model::Threads, None, 2), 5);
/// assert_eq!(workers_for(Model::Processes, Some(3), 2), 3);
/// assert_eq!(workers_for(Model::EventLoop, Some(3), 2), 1);
/// ```
pub fn workers_for(model: Model, requested: Option<usize>, cores: usize) -> usize {
    match requested {
        Some(workers) if model.has_workers() => workers,
        _ => default_workers(model, cores),
    }
}

/// The pool size a model gets when `--workers` is not given: 5 threads (the
/// tutorial's `max_workers=5`), one process per core, 1 for the one-thread
/// models.
pub fn default_workers(model: Model, cores: usize) -> usize {
    match model {
        Model::Threads | Model::ThreadsGil => 5,
        Model::Processes => cores,
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
    /// One row per (workload, model), in run order.
    pub results: Vec<RunResult>,
    /// One timeline per row (empty unless tracing was asked for).
    pub timelines: Vec<Timeline>,
    /// The `--sweep` rows: io under `threads`, one per pool size (empty
    /// unless asked for).
    pub sweep: Vec<RunResult>,
    /// The cpu workload on bare threads, when cpu ran with `sync`.
    pub yardstick: Option<Yardstick>,
}

impl Comparison {
    /// The rows (and their timelines) reordered as the tutorial tells the
    /// story: io first, then cpu, whatever order they ran in. Within a
    /// workload the run order stays (sync first).
    fn in_tutorial_order(mut self) -> Comparison {
        let position = |workload: Workload| Workload::ALL.iter().position(|&w| w == workload);
        let mut rows: Vec<(RunResult, Timeline)> =
            self.results.into_iter().zip(self.timelines).collect();
        rows.sort_by_key(|(row, _)| position(row.workload));
        (self.results, self.timelines) = rows.into_iter().unzip();
        self
    }
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
}

/// Runs the comparison.
///
/// # Errors
///
/// [`CompareError`] when a runtime or the server cannot start. Jobs that
/// fail do not stop it: they are counted and kept in each row's `errors`.
pub fn compare(
    config: &CompareConfig,
    progress: Arc<dyn Progress>,
) -> Result<Comparison, CompareError> {
    let mut experiment = Experiment::new(config, progress);
    // cpu runs first, in a process that has not grown yet: forking a
    // worker copies the parent's page tables, and after the io runs (five
    // pools' threads, a server, 160 bodies) that took a measurable share of
    // a 16 ms run. Each of the tutorial's scripts is a fresh process too.
    if config.workloads.contains(&Workload::Cpu) {
        let mut cpu = CpuRun::new(config, experiment.cores);
        experiment.run_models(&mut cpu)?;
        experiment.comparison.yardstick = cpu.yardstick();
    }
    let runs_io = config.workloads.contains(&Workload::Io);
    if runs_io || config.sweep {
        let server = SlowSite::start().map_err(CompareError::Server)?;
        if runs_io {
            experiment.run_models(&mut IoRun::new(config, &server))?;
        }
        if config.sweep {
            experiment.run_sweep(&mut IoRun::new(config, &server))?;
        }
    }
    Ok(experiment.comparison.in_tutorial_order())
}

/// A comparison while it runs: what it was asked, and the rows so far.
struct Experiment<'a> {
    config: &'a CompareConfig,
    /// Cores available to the run (copied into the result).
    cores: usize,
    /// When the comparison began: every timeline's offset counts from here.
    began: Instant,
    /// Told about every run and every finished job.
    progress: Arc<dyn Progress>,
    /// The rows and timelines measured so far.
    comparison: Comparison,
}

impl<'a> Experiment<'a> {
    fn new(config: &'a CompareConfig, progress: Arc<dyn Progress>) -> Experiment<'a> {
        let cores = cores();
        Experiment {
            config,
            cores,
            began: Instant::now(),
            progress,
            comparison: Comparison {
                cores,
                results: Vec::new(),
                timelines: Vec::new(),
                sweep: Vec::new(),
                yardstick: None,
            },
        }
    }

    /// Runs a workload under every model, in [`run_order`], and keeps each
    /// row with its timeline. Sync runs first; its wall time is every other
    /// row's baseline.
    fn run_models<R: WorkloadRun>(&mut self, run: &mut R) -> Result<(), CompareError> {
        let workload = R::WORKLOAD;
        let mut sync_wall_s = None;
        for model in run_order(self.config) {
            let settings = self.settings_for(model);
            let offset_us = micros_since(self.began, Instant::now());
            let (result, mut timeline) = self.run_phase(run, model, &settings, sync_wall_s)?;
            if model == Model::Sync {
                sync_wall_s = Some(result.wall_s);
            }
            timeline.title = format!("{workload} / {model}");
            // A run's own offset (the typical one of several) is counted
            // from its phase's start.
            timeline.offset_us += offset_us;
            self.comparison.results.push(result);
            self.comparison.timelines.push(timeline);
        }
        Ok(())
    }

    /// `--sweep`: the io workload under `threads` with each pool size of
    /// [`SWEEP_WORKERS`]; speedups are against the one-thread run (which is
    /// `sync` with a pool around it).
    fn run_sweep(&mut self, io: &mut IoRun) -> Result<(), CompareError> {
        for workers in SWEEP_WORKERS {
            let settings = RunSettings {
                workers,
                trace: false,
                ..self.settings_for(Model::Threads)
            };
            let one_thread = self.comparison.sweep.first().map(|row| row.wall_s);
            let (mut result, _) = self.run_phase(io, Model::Threads, &settings, one_thread)?;
            if one_thread.is_none() {
                result.speedup_vs_sync = Some(1.0);
            }
            self.comparison.sweep.push(result);
        }
        Ok(())
    }

    /// Runs a workload once under `model` as one phase of the progress
    /// display, labelled e.g. `io / threads ×5`.
    fn run_phase<R: WorkloadRun>(
        &self,
        run: &mut R,
        model: Model,
        settings: &RunSettings,
        sync_wall_s: Option<f64>,
    ) -> Result<(RunResult, Timeline), CompareError> {
        let label = if model.has_workers() {
            format!("{} / {model} ×{}", R::WORKLOAD, settings.workers)
        } else {
            format!("{} / {model}", R::WORKLOAD)
        };
        self.progress.start(&label, run.tasks() as u64);
        let measured = run.measure(model, settings, sync_wall_s);
        self.progress.finish();
        measured
    }

    /// The settings `model` runs with: its pool size (`--workers` or its
    /// default), the connection-pool limit, tracing, progress.
    fn settings_for(&self, model: Model) -> RunSettings {
        RunSettings {
            workers: workers_for(model, self.config.workers, self.cores),
            pool_limit: self.config.pool_limit,
            trace: self.config.trace,
            pin_workers: self.config.pin_workers,
            progress: Arc::clone(&self.progress),
        }
    }
}

/// The models of `config` in the order they run: `sync` first, then the
/// others as given, each once.
fn run_order(config: &CompareConfig) -> Vec<Model> {
    let mut order: Vec<Model> = Vec::new();
    for &model in &config.models {
        if !order.contains(&model) {
            order.push(model);
        }
    }
    order.sort_by_key(|&model| model != Model::Sync);
    order
}

/// A workload ready to run under any model: [`CpuRun`], [`IoRun`].
trait WorkloadRun {
    /// Which workload this is.
    const WORKLOAD: Workload;
    /// Jobs in one phase (every run of it), for the progress display.
    fn tasks(&self) -> usize;
    /// Runs the workload under `model` and makes the result row, given
    /// sync's wall time once sync has run. The timeline's offset is counted
    /// from the start of this call.
    fn measure(
        &mut self,
        model: Model,
        settings: &RunSettings,
        sync_wall_s: Option<f64>,
    ) -> Result<(RunResult, Timeline), CompareError>;
}

/// The cpu workload: its numbers, and sync's results once sync has run.
struct CpuRun {
    /// The numbers to pass to `cpu_bound`, in order.
    numbers: Vec<u64>,
    /// Cores available, for the ideal times.
    cores: usize,
    /// Runs per model ([`CompareConfig::cpu_runs`]).
    runs: usize,
    /// Whether the bare threads of the probes and the yardstick are pinned,
    /// one per core, as the pools' workers are ([`CompareConfig::pin_workers`]).
    pin: bool,
    /// Sync's outcomes: every other model's must equal them.
    sync_outcomes: Option<Vec<Result<u64, String>>>,
    /// Sync's typical wall time, once sync has run.
    sync_wall: Option<Duration>,
    /// The probe (bare threads) right after each kept run of a model that
    /// uses several cores ([`cores`](super::cores)), every such model.
    probes: Vec<Duration>,
}

impl CpuRun {
    fn new(config: &CompareConfig, cores: usize) -> CpuRun {
        let numbers = cpu_numbers(config.cpu_scale);
        // Warm up (page in the code, let the CPU leave its idle clock) so
        // the first model timed, sync, is not charged for it.
        for &n in numbers.iter().take(4) {
            std::hint::black_box(cpu_bound(n));
        }
        CpuRun {
            numbers,
            cores,
            runs: config.cpu_runs.max(1),
            pin: config.pin_workers,
            sync_outcomes: None,
            sync_wall: None,
            probes: Vec::new(),
        }
    }

    /// The bare-threads yardstick, once every model has run: the median of
    /// the probes taken beside the multi-core models' kept runs; when no
    /// such model ran, the list is run on bare threads now, as many times as
    /// every model ran it. `None` unless sync ran.
    fn yardstick(&self) -> Option<Yardstick> {
        let sync_wall = self.sync_wall?;
        let walls: Vec<Duration> = if self.probes.is_empty() {
            (0..self.runs)
                .map(|_| cores::time_bare_threads(&self.numbers, self.cores, self.pin))
                .collect()
        } else {
            self.probes.clone()
        };
        let wall_s = walls[median_index(&walls)]
            .max(Duration::from_nanos(1))
            .as_secs_f64();
        Some(Yardstick {
            threads: self.cores,
            wall_s,
            speedup_vs_sync: sync_wall.as_secs_f64() / wall_s,
        })
    }
}

impl WorkloadRun for CpuRun {
    const WORKLOAD: Workload = Workload::Cpu;

    fn tasks(&self) -> usize {
        self.numbers.len() * self.runs
    }

    /// Runs the list [`runs`](CpuRun::runs) times, checks every run's
    /// results against sync's (sync's own runs against its first), and
    /// reports the typical run ([`typical_run`]). Keeps sync's results.
    ///
    /// A model that should use several cores runs under a
    /// [`CoreCheck`](cores::CoreCheck): a clean run during which the host
    /// took a core is thrown away and run again (a run with a failed job is
    /// always kept: a failure is never hidden).
    fn measure(
        &mut self,
        model: Model,
        settings: &RunSettings,
        sync_wall_s: Option<f64>,
    ) -> Result<(RunResult, Timeline), CompareError> {
        let phase_began = Instant::now();
        let mut check = self
            .sync_wall
            .filter(|_| cpu_parallelism(model, settings.workers, self.cores) > 1)
            .map(|sync_wall| {
                cores::for_cpu_list(&self.numbers, self.cores, sync_wall, self.runs, self.pin)
            });
        let mut runs: Vec<(u64, Measured<u64>)> = Vec::with_capacity(self.runs);
        let mut discarded = 0;
        while runs.len() < self.runs {
            let began_us = micros_since(phase_began, Instant::now());
            let mut measured = runners::run_cpu(model, &self.numbers, settings)?;
            let reference = self
                .sync_outcomes
                .as_ref()
                .or(runs.first().map(|r| &r.1.outcomes));
            if let Some(expected) = reference {
                check_against_sync(&mut measured.outcomes, expected);
            }
            if let Some(check) = check.as_mut() {
                let verdict = check.judge();
                let clean = measured.outcomes.iter().all(Result::is_ok);
                if clean && !verdict.keep {
                    discarded += 1;
                    settings.progress.extend(self.numbers.len() as u64);
                    continue;
                }
                self.probes.push(verdict.after.wall);
            }
            runs.push((began_us, measured));
        }
        let spread = Spread::of(runs.iter().map(|(_, measured)| measured.wall), discarded);
        let (began_us, mut measured) = runs.swap_remove(typical_run(&runs));
        measured.timeline.offset_us = began_us;
        let wall_s = measured.wall.as_secs_f64();
        let baseline = sync_wall_s.or((model == Model::Sync).then_some(wall_s));
        let row = Row {
            workload: Self::WORKLOAD,
            model,
            workers: settings.workers,
            concurrency: match model {
                Model::Sync | Model::EventLoop => 1,
                _ => settings.workers,
            },
            ideal_s: baseline.map(|sync| cpu_ideal_s(model, sync, settings.workers, self.cores)),
            sync_wall_s: baseline,
            spread,
        };
        let numbers = &self.numbers;
        let result = row.finish(
            &measured,
            |value| *value,
            |i| format!("cpu_bound({})", numbers[i]),
        );
        if model == Model::Sync {
            self.sync_outcomes = Some(measured.outcomes);
            self.sync_wall = Some(measured.wall);
        }
        Ok((result, measured.timeline))
    }
}

/// Which of several runs of one workload a row reports: the first run with
/// a failed job, if any (a failure is never hidden behind a clean run);
/// otherwise the run of median wall time (the upper median for an even
/// count).
fn typical_run<T>(runs: &[(u64, Measured<T>)]) -> usize {
    let failed = |measured: &Measured<T>| measured.outcomes.iter().any(Result::is_err);
    if let Some(index) = runs.iter().position(|(_, measured)| failed(measured)) {
        return index;
    }
    median_index(
        &runs
            .iter()
            .map(|(_, measured)| measured.wall)
            .collect::<Vec<_>>(),
    )
}

/// The position of the median of `walls` (the upper median for an even
/// count): the one rule for a typical run, used by the rows and the
/// yardstick alike.
fn median_index(walls: &[Duration]) -> usize {
    let mut by_wall: Vec<usize> = (0..walls.len()).collect();
    by_wall.sort_by_key(|&i| walls[i]);
    by_wall[by_wall.len() / 2]
}

/// How many runs a row stands for, the fastest and slowest of them, and how
/// many more were thrown away (the host took a core during them).
#[derive(Debug, Clone, Copy)]
struct Spread {
    runs: usize,
    min: Duration,
    max: Duration,
    discarded: usize,
}

impl Spread {
    /// The spread of these wall times (at least one), with `discarded`
    /// runs not among them.
    fn of(walls: impl Iterator<Item = Duration> + Clone, discarded: usize) -> Spread {
        Spread {
            runs: walls.clone().count(),
            min: walls.clone().min().unwrap_or_default(),
            max: walls.max().unwrap_or_default(),
            discarded,
        }
    }
}

/// Turns every cpu result that differs from sync's into a failure.
fn check_against_sync(outcomes: &mut [Result<u64, String>], expected: &[Result<u64, String>]) {
    for (outcome, expected) in outcomes.iter_mut().zip(expected) {
        if let (Ok(got), Ok(want)) = (&*outcome, expected) {
            if got != want {
                *outcome = Err(format!("result {got} differs from sync's {want}"));
            }
        }
    }
}

/// The parts of a result row known before the run's outcomes are counted.
/// The fields mean what [`RunResult`]'s fields of the same names do.
struct Row {
    workload: Workload,
    model: Model,
    workers: usize,
    concurrency: usize,
    /// The zero-overhead time, when known (for cpu, once sync has run).
    ideal_s: Option<f64>,
    /// Sync's wall time (the run's own, for sync), when known.
    sync_wall_s: Option<f64>,
    /// The runs this row stands for.
    spread: Spread,
}

impl Row {
    /// Counts the run's outcomes (already re-checked against sync's, for
    /// cpu) into a result.
    fn finish<T>(
        self,
        measured: &Measured<T>,
        value: impl Fn(&T) -> u64,
        describe: impl Fn(usize) -> String,
    ) -> RunResult {
        let wall_s = measured.wall.max(Duration::from_nanos(1)).as_secs_f64();
        let mut checksum = 0u64;
        let mut errors = Vec::new();
        let outcomes = &measured.outcomes;
        for (task, outcome) in outcomes.iter().enumerate() {
            match outcome {
                Ok(v) => checksum = checksum.wrapping_add(value(v)),
                Err(error) => errors.push(TaskError {
                    task,
                    job: describe(task),
                    error: error.clone(),
                }),
            }
        }
        RunResult {
            workload: self.workload,
            model: self.model,
            workers: self.workers,
            concurrency: self.concurrency,
            tasks: outcomes.len(),
            ok: outcomes.len() - errors.len(),
            failed: errors.len(),
            wall_s,
            runs: self.spread.runs,
            wall_min_s: self.spread.min.as_secs_f64(),
            wall_max_s: self.spread.max.as_secs_f64(),
            runs_discarded: self.spread.discarded,
            ideal_s: self.ideal_s,
            efficiency: self.ideal_s.map(|ideal| ideal / wall_s),
            speedup_vs_sync: self.sync_wall_s.map(|sync| sync / wall_s),
            connections_opened: measured.connections_opened,
            peak_rss_kib: measured.peak_rss_kib,
            checksum,
            errors,
        }
    }
}

/// The thread-pool sizes `--sweep` tries on the io workload.
pub const SWEEP_WORKERS: [usize; 11] = [1, 2, 3, 4, 5, 6, 8, 10, 16, 32, 64];

/// The io workload, ready to run against one server.
struct IoRun {
    /// One fetch per job, with the body it must bring back.
    fetches: Vec<Fetch>,
    /// Each job's server delay, for the ideal times.
    delays: Vec<Duration>,
}

impl IoRun {
    fn new(config: &CompareConfig, server: &SlowSite) -> IoRun {
        let jobs = io_jobs(config.requests);
        IoRun {
            fetches: jobs
                .iter()
                .map(|job| Fetch {
                    url: job.url(server.base_url()),
                    expect_len: Some(job.site.body_len),
                })
                .collect(),
            delays: jobs.iter().map(|job| job.site.delay).collect(),
        }
    }

    /// Jobs in flight at most under `model`: 1, W, the connection-pool
    /// limit, W — never more than there are jobs.
    fn concurrency(&self, model: Model, settings: &RunSettings) -> usize {
        let slots = match model {
            Model::Sync => 1,
            Model::EventLoop => settings.pool_limit,
            Model::Threads | Model::Processes | Model::ThreadsGil => settings.workers,
        };
        slots.min(self.fetches.len()).max(1)
    }
}

impl WorkloadRun for IoRun {
    const WORKLOAD: Workload = Workload::Io;

    fn tasks(&self) -> usize {
        self.fetches.len()
    }

    fn measure(
        &mut self,
        model: Model,
        settings: &RunSettings,
        sync_wall_s: Option<f64>,
    ) -> Result<(RunResult, Timeline), CompareError> {
        let concurrency = self.concurrency(model, settings);
        let measured = runners::run_fetches(model, &self.fetches, settings)?;
        let wall_s = measured.wall.as_secs_f64();
        let row = Row {
            workload: Self::WORKLOAD,
            model,
            workers: settings.workers,
            concurrency,
            ideal_s: Some(makespan(self.delays.iter().copied(), concurrency).as_secs_f64()),
            sync_wall_s: sync_wall_s.or((model == Model::Sync).then_some(wall_s)),
            spread: Spread::of(std::iter::once(measured.wall), 0),
        };
        let result = row.finish(
            &measured,
            |fetched: &Fetched| fetched.checksum,
            |i| self.fetches[i].url.clone(),
        );
        Ok((result, measured.timeline))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(wall_ms: u64, failed: bool) -> (u64, Measured<u64>) {
        let outcome = if failed {
            Err("boom".to_owned())
        } else {
            Ok(1)
        };
        let measured = Measured {
            wall: Duration::from_millis(wall_ms),
            outcomes: vec![Ok(1), outcome],
            connections_opened: None,
            peak_rss_kib: 1,
            timeline: Timeline::default(),
        };
        (0, measured)
    }

    #[test]
    fn the_typical_run_is_the_median_by_wall_time() {
        let runs = [
            run(30, false),
            run(10, false),
            run(50, false),
            run(20, false),
            run(40, false),
        ];
        assert_eq!(typical_run(&runs), 0, "30 ms is the median of 10..50");
        assert_eq!(typical_run(&runs[..2]), 0, "the upper median of two");
        assert_eq!(typical_run(&runs[1..2]), 0);
    }

    #[test]
    fn a_run_with_a_failure_is_never_hidden_behind_a_clean_one() {
        let runs = [run(30, false), run(10, false), run(50, true), run(20, true)];
        assert_eq!(typical_run(&runs), 2, "the first failing run");
    }

    #[test]
    fn the_spread_covers_every_run() {
        let walls = [3, 1, 2].map(Duration::from_millis);
        let spread = Spread::of(walls.into_iter(), 0);
        assert_eq!(spread.runs, 3);
        assert_eq!(spread.min, Duration::from_millis(1));
        assert_eq!(spread.max, Duration::from_millis(3));
    }
}
