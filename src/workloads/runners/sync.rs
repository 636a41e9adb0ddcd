//! `sync`: one thread, one job after another — the tutorial's plain loop.

#![forbid(unsafe_code)]

use std::time::Instant;

use super::{micros_since, Measured, RunSettings};
use crate::http::blocking::Session;
use crate::workloads::cpu::cpu_bound;
use crate::workloads::fetch::{fetch_blocking, Fetch, Fetched};
use crate::workloads::rss;
use crate::workloads::timeline::{Span, Timeline};

/// `for n in numbers: cpu_bound(n)`.
pub(super) fn run_cpu(numbers: &[u64], settings: &RunSettings) -> Measured<u64> {
    rss::reset_peak();
    let mut timeline = Timeline::default();
    let mut outcomes = Vec::with_capacity(numbers.len());
    let start = Instant::now();
    for &n in numbers {
        let began = Instant::now();
        outcomes.push(Ok(cpu_bound(n)));
        if settings.trace {
            timeline.spans.push(Span {
                track: "main".into(),
                name: format!("cpu_bound({n})"),
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
        timeline,
    }
}

/// `for url in sites: session.get(url)` with one session: one keep-alive
/// connection, reused by every download.
pub(super) fn run_fetches(fetches: &[Fetch], settings: &RunSettings) -> Measured<Fetched> {
    rss::reset_peak();
    let mut timeline = Timeline::default();
    let mut outcomes = Vec::with_capacity(fetches.len());
    let start = Instant::now();
    let session = Session::new();
    for fetch in fetches {
        let began = Instant::now();
        let (outcome, _) = fetch_blocking(&session, fetch);
        outcomes.push(outcome);
        if settings.trace {
            timeline.spans.push(Span {
                track: "main".into(),
                name: format!("GET {}", fetch.url),
                start_us: micros_since(start, began),
                dur_us: micros_since(began, Instant::now()),
            });
        }
        settings.progress.advance(1);
    }
    Measured {
        wall: start.elapsed(),
        outcomes,
        connections_opened: Some(session.connections_opened()),
        peak_rss_kib: rss::peak_kib(),
        timeline,
    }
}
