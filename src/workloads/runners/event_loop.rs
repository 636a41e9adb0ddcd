//! `event-loop`: one thread, one task per job, all gathered.
//!
//! Like the tutorial's `asyncio.gather(*[download(s, url) for url in sites])`:
//! every job becomes a task at once, the tasks share one HTTP session (whose
//! connection pool allows `pool_limit` connections, aiohttp's 100), and the
//! loop runs whichever task is ready while the others wait on their sockets.
//! For cpu the same shape shows the opposite: a task that computes never
//! awaits, so it holds the only thread until it is done. (The loop would
//! report each such poll as slow on stderr; [`run_cpu`] turns that report
//! off, since the table already tells the story.)
//!
//! With tracing on, the loop's own trace (spawned, ready, poll start/end,
//! done) becomes the timeline: one track per task, a span per poll, a mark
//! each time the task became ready.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{micros_since, Measured, RunError, RunSettings};
use crate::event_loop::{self, EventLoop, TraceEvent, TraceKind};
use crate::http;
use crate::workloads::cpu::cpu_bound;
use crate::workloads::fetch::{fetch_async, Fetch, Fetched};
use crate::workloads::rss;
use crate::workloads::timeline::{Mark, Span, Timeline};
use crate::workloads::Model;

/// How many tasks the gathering task spawns before it yields the loop.
const SPAWN_BATCH: usize = 1024;

/// Builds the loop, spawns one task per job (named `task N`), awaits them
/// in order, and turns the loop's trace into the timeline. A poll that
/// holds the thread for `slow_poll_threshold` or more (`None`: the loop's
/// default, 100 ms) is reported on stderr.
fn run_tasks<T: 'static, Fut>(
    settings: &RunSettings,
    slow_poll_threshold: Option<Duration>,
    count: usize,
    job: impl Fn(usize) -> Fut,
) -> Result<Measured<T>, RunError>
where
    Fut: Future<Output = Result<T, String>> + 'static,
{
    rss::reset_peak();
    let start = Instant::now();
    let mut builder = EventLoop::builder().tracing(settings.trace);
    if let Some(threshold) = slow_poll_threshold {
        builder = builder.slow_poll_threshold(threshold);
    }
    if let Some(scheduler) = &settings.scheduler {
        builder = builder.scheduler(scheduler.build());
    }
    let mut event_loop = builder.build().map_err(|source| RunError::Start {
        model: Model::EventLoop,
        source,
    })?;
    let outcomes = event_loop.block_on(async {
        let mut handles = Vec::with_capacity(count);
        for i in 0..count {
            let progress = Arc::clone(&settings.progress);
            let work = job(i);
            handles.push(event_loop::spawn_named(format!("task {i}"), async move {
                let outcome = work.await;
                progress.advance(1);
                outcome
            }));
            // Spawning 100 000 tasks in one poll would hold the loop while
            // the first ones could already run: hand the thread over now
            // and then.
            if (i + 1) % SPAWN_BATCH == 0 {
                event_loop::yield_now().await;
            }
        }
        let mut outcomes = Vec::with_capacity(count);
        for handle in handles {
            outcomes.push(match handle.await {
                Ok(outcome) => outcome,
                Err(error) => Err(format!("the task failed: {error}")),
            });
        }
        outcomes
    });
    Ok(Measured {
        wall: start.elapsed(),
        outcomes,
        connections_opened: None,
        peak_rss_kib: rss::peak_kib(),
        workers_rss_growth_kib: 0,
        timeline: timeline_of(&event_loop.take_trace(), start),
    })
}

/// One task per number, each computing `cpu_bound` without ever awaiting.
///
/// Every one of these polls holds the thread for its whole computation:
/// that is the lesson, and the table shows it (no speedup). The loop's
/// slow-poll report would say it once per task, in the middle of the
/// progress bars, so this runner turns it off ([`Duration::MAX`]); in any
/// other program a slow poll is a bug worth its warning.
pub(super) fn run_cpu(numbers: &[u64], settings: &RunSettings) -> Result<Measured<u64>, RunError> {
    run_tasks(settings, Some(Duration::MAX), numbers.len(), |i| {
        let n = numbers[i];
        async move { Ok(cpu_bound(n)) }
    })
}

/// One task per download, all sharing one session. A slow poll here would
/// be a real fault (a download must never block the loop), so the loop's
/// default threshold stays.
///
/// The session keeps every connection of its pool for reuse (as many idle
/// as the pool allows): with thousands of downloads, a connection closed
/// and reopened per download would leave a port in `TIME_WAIT` each time
/// and run out of them. And it sets no total timeout: with 100 000 tasks
/// gathered at once, the last ones wait their turn for a pool slot for
/// most of the run, as the thread pool's last jobs wait in its queue,
/// where no timeout runs either. The connect and read timeouts still bound
/// every wait on the network.
pub(super) fn run_fetches(
    fetches: &[Fetch],
    settings: &RunSettings,
) -> Result<Measured<Fetched>, RunError> {
    let session = http::Session::builder()
        .pool_limit(settings.pool_limit)
        .max_idle_per_host(settings.pool_limit)
        .total_timeout(None)
        .build();
    let list: Rc<[Fetch]> = fetches.into();
    let mut measured = run_tasks(settings, None, fetches.len(), |i| {
        let session = session.clone();
        let list = Rc::clone(&list);
        async move { fetch_async(&session, &list[i]).await }
    })?;
    measured.connections_opened = Some(session.connections_opened());
    Ok(measured)
}

/// The loop's trace as a timeline: a track per task, a span per poll, a mark
/// per spawn, wake-up and completion.
fn timeline_of(trace: &[TraceEvent], start: Instant) -> Timeline {
    // The track's name, built only for the events that are kept.
    let track_of = |event: &TraceEvent| {
        event
            .name
            .clone()
            .unwrap_or_else(|| format!("task #{}", event.task))
    };
    let mark = |event: &TraceEvent, name: &str| Mark {
        track: track_of(event),
        name: name.to_string(),
        at_us: micros_since(start, event.at),
    };
    let mut timeline = Timeline::default();
    let mut polling: HashMap<u64, Instant> = HashMap::new();
    for event in trace {
        match event.kind {
            // A new task is ready at once: both enter the ready queue.
            TraceKind::Spawned | TraceKind::Ready => timeline.marks.push(mark(event, "ready")),
            TraceKind::Done => timeline.marks.push(mark(event, "done")),
            TraceKind::PollStart => {
                polling.insert(event.task, event.at);
            }
            TraceKind::PollEnd => {
                if let Some(began) = polling.remove(&event.task) {
                    timeline.spans.push(Span {
                        track: track_of(event),
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
