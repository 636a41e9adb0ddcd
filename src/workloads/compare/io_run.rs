//! The io rows: every model downloads the job list once from the embedded
//! slow site, one model after another; and `--sweep`, the thread pool at
//! each size.

use std::time::Duration;

use super::row::{Row, Spread};
use super::{CompareError, Experiment};
use crate::workloads::fetch::{Fetch, Fetched};
use crate::workloads::ideal::makespan;
use crate::workloads::io::io_jobs;
use crate::workloads::result::RunResult;
use crate::workloads::runners::{self, RunSettings};
use crate::workloads::site::SlowSite;
use crate::workloads::timeline::Timeline;
use crate::workloads::{Model, Workload};

/// The longest wait, between two runs, for the embedded server to notice
/// that the last run's clients closed their connections.
pub(super) const SERVER_DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// The thread-pool sizes `--sweep` tries on the io workload.
pub const SWEEP_WORKERS: [usize; 11] = [1, 2, 3, 4, 5, 6, 8, 10, 16, 32, 64];

/// What the io workload measured: a row (with its timeline) per model, and
/// the `--sweep` rows.
#[derive(Default)]
pub(super) struct IoRows {
    pub(super) rows: Vec<(RunResult, Timeline)>,
    pub(super) sweep: Vec<RunResult>,
}

/// The io workload, ready to run against one server.
pub(super) struct IoRun {
    /// One fetch per job, with the body it must bring back.
    fetches: Vec<Fetch>,
    /// Each job's server delay, for the ideal times.
    delays: Vec<Duration>,
}

impl IoRun {
    /// The `--io-tasks` downloads of the tutorial's two sites, on `server`.
    pub(super) fn new(config: &super::CompareConfig, server: &SlowSite) -> IoRun {
        IoRun::of_size(config.requests, server)
    }

    /// `requests` downloads of the tutorial's two sites, alternating, on
    /// `server`.
    pub(super) fn of_size(requests: usize, server: &SlowSite) -> IoRun {
        let jobs = io_jobs(requests);
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

    /// Every model once, sync first: its wall time is the others' baseline.
    pub(super) fn run_models(
        &self,
        experiment: &Experiment,
        server: &SlowSite,
    ) -> Result<Vec<(RunResult, Timeline)>, CompareError> {
        let mut rows = Vec::new();
        let mut sync_wall_s = None;
        for model in experiment.run_order() {
            let settings = experiment.settings_for(model);
            let offset_us = experiment.now_us();
            let (result, mut timeline) = self.measure(experiment, model, &settings, sync_wall_s)?;
            // The next run starts with the server's descriptors free.
            server.wait_until_idle(SERVER_DRAIN_LIMIT);
            if model == Model::Sync {
                sync_wall_s = Some(result.wall_s);
            }
            timeline.title = format!("io / {model}");
            timeline.offset_us = offset_us;
            rows.push((result, timeline));
        }
        Ok(rows)
    }

    /// `--sweep`: `threads` with each pool size of [`SWEEP_WORKERS`];
    /// speedups are against the one-thread run (which is `sync` with a pool
    /// around it).
    pub(super) fn run_sweep(
        &self,
        experiment: &Experiment,
    ) -> Result<Vec<RunResult>, CompareError> {
        let mut sweep: Vec<RunResult> = Vec::new();
        for workers in SWEEP_WORKERS {
            let settings = RunSettings {
                workers,
                trace: false,
                ..experiment.settings_for(Model::Threads)
            };
            let one_thread = sweep.first().map(|row| row.wall_s);
            let (mut result, _) =
                self.measure(experiment, Model::Threads, &settings, one_thread)?;
            if one_thread.is_none() {
                result.speedup_vs_sync = Some(1.0);
            }
            sweep.push(result);
        }
        Ok(sweep)
    }

    /// Downloads the list once under `model`, as one phase of the progress
    /// display (labelled e.g. `io / threads ×5`), and makes its row.
    pub(super) fn measure(
        &self,
        experiment: &Experiment,
        model: Model,
        settings: &RunSettings,
        sync_wall_s: Option<f64>,
    ) -> Result<(RunResult, Timeline), CompareError> {
        let (result, timeline, _) =
            self.measure_with_growth(experiment, model, settings, sync_wall_s)?;
        Ok((result, timeline))
    }

    /// [`measure`](Self::measure), also returning what worker processes
    /// added to their memory ([`Measured::workers_rss_growth_kib`](runners::Measured::workers_rss_growth_kib)).
    pub(super) fn measure_with_growth(
        &self,
        experiment: &Experiment,
        model: Model,
        settings: &RunSettings,
        sync_wall_s: Option<f64>,
    ) -> Result<(RunResult, Timeline, u64), CompareError> {
        let label = if model.has_workers() {
            format!("io / {model} ×{}", settings.workers)
        } else {
            format!("io / {model}")
        };
        experiment.progress.start(&label, self.fetches.len() as u64);
        let measured = runners::run_fetches(model, &self.fetches, settings);
        experiment.progress.finish();
        let measured = measured?;
        let concurrency = self.concurrency(model, settings);
        let wall_s = measured.wall.as_secs_f64();
        let row = Row {
            workload: Workload::Io,
            model,
            workers: settings.workers,
            concurrency,
            ideal_s: Some(makespan(self.delays.iter().copied(), concurrency).as_secs_f64()),
            sync_wall_s: sync_wall_s.or((model == Model::Sync).then_some(wall_s)),
            spread: Spread::of(&[measured.wall]),
        };
        let result = row.finish(
            &measured,
            |fetched: &Fetched| fetched.checksum,
            |i| self.fetches[i].url.clone(),
        );
        Ok((result, measured.timeline, measured.workers_rss_growth_kib))
    }

    /// Jobs in flight at most under `model`: 1, W, the connection-pool
    /// limit (both event loops), W — never more than there are jobs.
    pub(super) fn concurrency(&self, model: Model, settings: &RunSettings) -> usize {
        let slots = match model {
            Model::Sync => 1,
            Model::EventLoop | Model::EventLoopMt => settings.pool_limit,
            Model::Threads | Model::Processes | Model::ThreadsGil => settings.workers,
        };
        slots.min(self.fetches.len()).max(1)
    }
}
