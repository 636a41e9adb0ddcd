//! `sync`: one thread, one job after another — the tutorial's plain loop.

#![forbid(unsafe_code)]

use std::time::Instant;

use super::{micros_since, Measured, RunSettings};
use crate::http::blocking::Session;
use crate::workloads::cpu::cpu_bound;
use crate::workloads::fetch::{fetch_blocking, Fetch, Fetched};
use crate::workloads::rss;
use crate::workloads::timeline::{Span, Timeline};

/// `for job in jobs: run(job)` on this thread, with a span per job on the
/// `main` track when tracing.
fn one_after_another<J, T>(
    jobs: &[J],
    settings: &RunSettings,
    describe: impl Fn(&J) -> String,
    mut run: impl FnMut(&J) -> Result<T, String>,
) -> Measured<T> {
    rss::reset_peak();
    let mut timeline = Timeline::default();
    let mut outcomes = Vec::with_capacity(jobs.len());
    let start = Instant::now();
    for job in jobs {
        let began = Instant::now();
        outcomes.push(run(job));
        if settings.trace {
            timeline.spans.push(Span {
                track: "main".into(),
                name: describe(job),
                start_us: micros_since(start, began),
                dur_us: micros_since(began, Instant::now()),
            });
        }
        settings.progress.advance(1);
    }
    Measured {
        wall: start.elapsed(),
        outcomes,
        connections_opened: None,
        peak_rss_kib: rss::peak_kib(),
        workers_rss_growth_kib: 0,
        timeline,
    }
}

/// `for n in numbers: cpu_bound(n)`.
pub(super) fn run_cpu(numbers: &[u64], settings: &RunSettings) -> Measured<u64> {
    one_after_another(
        numbers,
        settings,
        |n| format!("cpu_bound({n})"),
        |&n| Ok(cpu_bound(n)),
    )
}

/// `for url in sites: session.get(url)` with one session: one keep-alive
/// connection, reused by every download.
pub(super) fn run_fetches(fetches: &[Fetch], settings: &RunSettings) -> Measured<Fetched> {
    let session = Session::new();
    let mut measured = one_after_another(
        fetches,
        settings,
        |fetch| format!("GET {}", fetch.url),
        |fetch| fetch_blocking(&session, fetch).0,
    );
    measured.connections_opened = Some(session.connections_opened());
    measured
}
