//! `event-loop`: one thread, one task per job, all gathered.
//!
//! Like the tutorial's `asyncio.gather(*[download(s, url) for url in sites])`:
//! every job becomes a task at once, the tasks share one HTTP session (whose
//! connection pool allows `pool_limit` connections, aiohttp's 100), and the
//! loop runs whichever task is ready while the others wait on their sockets.
//! For cpu the same shape shows the opposite: a task that computes never
//! awaits, so it holds the only thread until it is done.
//!
//! With tracing on, the loop's own trace (spawned, ready, poll start/end,
//! done) becomes the timeline: one track per task, a span per poll, a mark
//! each time the task became ready.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

use super::{micros_since, Measured, RunError, RunSettings};
use crate::event_loop::{self, EventLoop, TraceEvent, TraceKind};
use crate::http;
use crate::workloads::cpu::cpu_bound;
use crate::workloads::fetch::{fetch_async, Fetch, Fetched};
use crate::workloads::rss;
use crate::workloads::timeline::{Mark, Span, Timeline};
use crate::workloads::Model;

fn build_loop(settings: &RunSettings) -> Result<EventLoop, RunError> {
    EventLoop::builder()
        .tracing(settings.trace)
        .build()
        .map_err(|source| RunError::Start {
            model: Model::EventLoop,
            source,
        })
}

/// Spawns one task per job (named `task N`), then awaits them in order.
async fn gather<T: 'static, Fut>(
    count: usize,
    settings: &RunSettings,
    job: impl Fn(usize) -> Fut,
) -> Vec<Result<T, String>>
where
    Fut: std::future::Future<Output = Result<T, String>> + 'static,
{
    let handles: Vec<_> = (0..count)
        .map(|i| {
            let progress = std::sync::Arc::clone(&settings.progress);
            let work = job(i);
            event_loop::spawn_named(format!("task {i}"), async move {
                let outcome = work.await;
                progress.advance(1);
                outcome
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(count);
    for handle in handles {
        outcomes.push(match handle.await {
            Ok(outcome) => outcome,
            Err(error) => Err(format!("the task failed: {error}")),
        });
    }
    outcomes
}

/// One task per number, each computing `cpu_bound` without ever awaiting.
pub(super) fn run_cpu(numbers: &[u64], settings: &RunSettings) -> Result<Measured<u64>, RunError> {
    rss::reset_peak();
    let start = Instant::now();
    let mut event_loop = build_loop(settings)?;
    let outcomes = event_loop.block_on(gather(numbers.len(), settings, |i| {
        let n = numbers[i];
        async move { Ok(cpu_bound(n)) }
    }));
    let wall = start.elapsed();
    Ok(Measured {
        wall,
        outcomes,
        connections_opened: None,
        peak_rss_kib: rss::peak_kib(),
        timeline: timeline_of(&event_loop.take_trace(), start),
    })
}

/// One task per download, all sharing one session.
pub(super) fn run_fetches(
    fetches: &[Fetch],
    settings: &RunSettings,
) -> Result<Measured<Fetched>, RunError> {
    rss::reset_peak();
    let start = Instant::now();
    let mut event_loop = build_loop(settings)?;
    let session = http::Session::builder()
        .pool_limit(settings.pool_limit)
        .build();
    let list: Rc<[Fetch]> = fetches.into();
    let outcomes = event_loop.block_on(gather(fetches.len(), settings, |i| {
        let session = session.clone();
        let list = Rc::clone(&list);
        async move { fetch_async(&session, &list[i]).await }
    }));
    let wall = start.elapsed();
    Ok(Measured {
        wall,
        outcomes,
        connections_opened: Some(session.connections_opened()),
        peak_rss_kib: rss::peak_kib(),
        timeline: timeline_of(&event_loop.take_trace(), start),
    })
}

/// The loop's trace as a timeline: a track per task, a span per poll, a mark
/// per spawn, wake-up and completion.
fn timeline_of(trace: &[TraceEvent], start: Instant) -> Timeline {
    let mut timeline = Timeline::default();
    let mut polling: HashMap<u64, Instant> = HashMap::new();
    for event in trace {
        let track = event
            .name
            .clone()
            .unwrap_or_else(|| format!("task #{}", event.task));
        let mark = |name: &str| Mark {
            track: track.clone(),
            name: name.to_string(),
            at_us: micros_since(start, event.at),
        };
        match event.kind {
            // A new task is ready at once: both enter the ready queue.
            TraceKind::Spawned | TraceKind::Ready => timeline.marks.push(mark("ready")),
            TraceKind::Done => timeline.marks.push(mark("done")),
            TraceKind::PollStart => {
                polling.insert(event.task, event.at);
            }
            TraceKind::PollEnd => {
                if let Some(began) = polling.remove(&event.task) {
                    timeline.spans.push(Span {
                        track: track.clone(),
                        name: "poll".to_string(),
                        start_us: micros_since(start, began),
                        dur_us: micros_since(began, event.at),
                    });
                }
            }
        }
    }
    timeline
}
