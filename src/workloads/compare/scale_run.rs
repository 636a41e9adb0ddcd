//! The `--scale` rows: the io job list at each size under each model, each
//! run on a fresh embedded server and measured for threads and context
//! switches besides time and memory.

use crate::http::server::{ServerConfig, ServerStats};
use crate::workloads::compare::io_run::IoRun;
use crate::workloads::compare::{CompareError, Experiment};
use crate::workloads::rss;
use crate::workloads::runners::RunSettings;
use crate::workloads::scale::{scale_concurrency, ScaleRow};
use crate::workloads::site::SlowSite;
use crate::workloads::usage::UsageProbe;
use crate::workloads::Model;

/// The settings `model` runs with at `size` downloads: its
/// [`scale_concurrency`] as both pool limit and pool size (the models
/// without a pool keep their threads: one, or a stealing worker per core),
/// no trace.
pub(super) fn scale_settings(experiment: &Experiment, model: Model, size: usize) -> RunSettings {
    let concurrency = scale_concurrency(model, size, experiment.config.concurrency);
    let settings = experiment.settings_for(model);
    RunSettings {
        workers: if model.has_workers() {
            concurrency
        } else {
            settings.workers
        },
        pool_limit: concurrency,
        trace: false,
        ..settings
    }
}

/// Runs the sweep: for each size, smallest first, every scale model once.
/// Each run gets a server of its own, capped at `server_cap` connections,
/// so its peak connection count is this run's alone.
pub(super) fn run(
    experiment: &Experiment,
    sizes: &[usize],
    server_cap: usize,
) -> Result<Vec<ScaleRow>, CompareError> {
    let mut sorted = sizes.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut rows = Vec::new();
    for size in sorted {
        for &model in &experiment.config.scale_models {
            rows.push(run_one(experiment, model, size, server_cap)?);
        }
    }
    Ok(rows)
}

/// One point of the sweep.
fn run_one(
    experiment: &Experiment,
    model: Model,
    size: usize,
    server_cap: usize,
) -> Result<ScaleRow, CompareError> {
    let server = SlowSite::start_with(ServerConfig {
        max_connections: server_cap,
        ..ServerConfig::default()
    })
    .map_err(CompareError::Server)?;
    let run = IoRun::of_size(size, &server);
    let settings = scale_settings(experiment, model, size);
    let probe = UsageProbe::start();
    let rss_at_start = rss::current_kib();
    let (result, _, workers_growth) =
        run.measure_with_growth(experiment, model, &settings, None)?;
    // The runner reset the peak mark as it began: this is the run's peak.
    let own_growth = rss::peak_kib().saturating_sub(rss_at_start);
    let usage = probe.finish();
    let processes = if model == Model::Processes {
        result.workers
    } else {
        0
    };
    let voluntary = usage.own.voluntary + usage.children.voluntary;
    let involuntary = usage.own.involuntary + usage.children.involuntary;
    Ok(ScaleRow {
        model,
        tasks: result.tasks,
        concurrency: result.concurrency,
        workers: result.workers,
        ok: result.ok,
        failed: result.failed,
        wall_s: result.wall_s,
        ideal_s: result.ideal_s.unwrap_or(0.0),
        peak_rss_kib: result.peak_rss_kib,
        peak_rss_added_kib: own_growth + workers_growth,
        peak_threads: usage.peak_threads,
        processes,
        ctxt_switches_voluntary: voluntary,
        ctxt_switches_involuntary: involuntary,
        ctxt_switches: voluntary + involuntary,
        connections_opened: result.connections_opened,
        server_peak_connections: ServerStats::get(&server.stats().peak_active),
        errors: result.errors,
    })
}
