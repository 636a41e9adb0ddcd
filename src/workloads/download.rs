//! `handspun download`: fetch a list of URLs with one model.
//!
//! The tutorial's scripts in one command: the list (repeated `repeat`
//! times, like `sites = [...] * 80`) is downloaded by the chosen model's
//! runner — the same runners the io workload uses — and summed up. A page
//! is ok when a complete response with a 2xx status arrived (after
//! redirects); anything else is a failure with its error.

#![forbid(unsafe_code)]

use std::sync::Arc;

use serde::Serialize;

use super::compare::{cores, workers_for, DEFAULT_POOL_LIMIT};
use super::fetch::{Fetch, Fetched};
use super::progress::Progress;
use super::runners::{self, RunError, RunSettings};
use super::Model;

/// A page that failed, with what went wrong (the `errors` of the summary).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UrlError {
    /// The page.
    pub url: String,
    /// What went wrong, in words.
    pub error: String,
}

/// The `--json` summary of a download run. Field names are a contract
/// (shared/WORKLOADS.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DownloadSummary {
    /// The model that ran the downloads.
    pub model: Model,
    /// Downloads attempted (URLs × repeat).
    pub requests: usize,
    /// Downloads that succeeded.
    pub ok: usize,
    /// Downloads that failed; `ok + failed == requests`.
    pub failed: usize,
    /// Body bytes read by the ok downloads.
    pub bytes: u64,
    /// Wall time, seconds.
    pub wall_s: f64,
    /// TCP connections the model's HTTP clients opened.
    pub connections_opened: u64,
    /// Every failed download with its error.
    pub errors: Vec<UrlError>,
}

/// Everything a download run produced: each page's outcome, in list order,
/// and the summary.
#[derive(Debug, Clone)]
pub struct Downloaded {
    /// `(url, outcome)` for every download, in list order.
    pub pages: Vec<(String, Result<Fetched, String>)>,
    /// The totals.
    pub summary: DownloadSummary,
}

/// Downloads `urls`, repeated `repeat` times, with `model`. `workers` sets
/// the pool size of the pool models (default: 5 threads, a process per core).
///
/// # Errors
///
/// [`RunError`] when the model cannot run here or its runtime cannot start.
/// Failed downloads are not errors: they are in the result.
pub fn download(
    model: Model,
    urls: &[String],
    repeat: usize,
    workers: Option<usize>,
    progress: Arc<dyn Progress>,
) -> Result<Downloaded, RunError> {
    let fetches: Vec<Fetch> = (0..repeat)
        .flat_map(|_| urls.iter())
        .map(|url| Fetch {
            url: url.clone(),
            expect_len: None,
        })
        .collect();
    let settings = RunSettings {
        workers: workers_for(model, workers, cores()),
        pool_limit: DEFAULT_POOL_LIMIT,
        trace: false,
        progress: Arc::clone(&progress),
        scheduler: None,
    };
    progress.start(&format!("download / {model}"), fetches.len() as u64);
    let measured = runners::run_fetches(model, &fetches, &settings)?;
    progress.finish();
    let pages: Vec<(String, Result<Fetched, String>)> = fetches
        .into_iter()
        .map(|fetch| fetch.url)
        .zip(measured.outcomes)
        .collect();
    let errors: Vec<UrlError> = pages
        .iter()
        .filter_map(|(url, outcome)| {
            outcome.as_ref().err().map(|error| UrlError {
                url: url.clone(),
                error: error.clone(),
            })
        })
        .collect();
    let bytes = pages
        .iter()
        .filter_map(|(_, outcome)| outcome.as_ref().ok())
        .map(|fetched| fetched.bytes as u64)
        .sum();
    let summary = DownloadSummary {
        model,
        requests: pages.len(),
        ok: pages.len() - errors.len(),
        failed: errors.len(),
        bytes,
        wall_s: (measured.wall.as_secs_f64() * 1e6).round() / 1e6,
        connections_opened: measured.connections_opened.unwrap_or(0),
        errors,
    };
    Ok(Downloaded { pages, summary })
}
