//! Writing a loop's trace as a file that Perfetto and `chrome://tracing` open.
//!
//! The format is Chrome's JSON "trace event" format: an object with a
//! `traceEvents` array. Each task is a *thread* (`tid` = its id) named by a
//! metadata event; each poll is a complete event (`"ph": "X"`, from its
//! `PollStart` to its `PollEnd`); spawns, wake-ups and completions are
//! instant events (`"ph": "i"`); the numbers of ready and waiting tasks are
//! two counter tracks (`"ph": "C"`), so the queue's length sits above the
//! tasks it ran. Times are microseconds after the first event.
//!
//! `handspun compare --trace` writes the same format for whole comparisons
//! (`crate::report::trace`); this module is the one to use for your own loop.

#![forbid(unsafe_code)]

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::Path;
use std::time::Instant;

use serde_json::{json, Value};

use super::trace::{TraceEvent, TraceKind};

/// The trace as a Chrome/Perfetto JSON value.
///
/// # Examples
///
/// ```
/// use handspun::event_loop::{self, perfetto_json, EventLoop};
///
/// let mut ev = EventLoop::builder().tracing(true).build().unwrap();
/// ev.block_on(async {
///     event_loop::spawn_named("hello", async {}).await.unwrap();
/// });
/// let json = perfetto_json(&ev.take_trace());
/// let events = json["traceEvents"].as_array().unwrap();
/// // One poll span on the track named "hello", and queue-length counters.
/// assert!(events.iter().any(|e| e["ph"] == "X" && e["name"] == "poll"));
/// assert!(events.iter().any(|e| e["ph"] == "M" && e["args"]["name"] == "hello"));
/// assert!(events.iter().any(|e| e["ph"] == "C" && e["name"] == "tasks"));
/// ```
pub fn perfetto_json(trace: &[TraceEvent]) -> Value {
    let Some(origin) = trace.iter().map(|event| event.at).min() else {
        return json!({ "traceEvents": [], "displayTimeUnit": "ms" });
    };
    let micros = |at: Instant| at.saturating_duration_since(origin).as_nanos() as f64 / 1000.0;
    let mut events = vec![json!({
        "name": "process_name", "ph": "M", "pid": 1, "tid": 0,
        "args": {"name": "event loop"},
    })];
    // Track names in id order, so the viewer lists tasks as they were spawned.
    let mut names: BTreeMap<u64, String> = BTreeMap::new();
    for event in trace {
        names.entry(event.task).or_insert_with(|| {
            event
                .name
                .clone()
                .unwrap_or_else(|| format!("task #{}", event.task))
        });
    }
    for (task, name) in &names {
        events.push(json!({
            "name": "thread_name", "ph": "M", "pid": 1, "tid": task,
            "args": {"name": name},
        }));
    }
    let mut polling: HashMap<u64, Instant> = HashMap::new();
    for event in trace {
        let ts = micros(event.at);
        let mark = |name: &str| {
            json!({
                "name": name, "cat": "state", "ph": "i", "s": "t",
                "pid": 1, "tid": event.task, "ts": ts,
            })
        };
        match event.kind {
            TraceKind::Spawned => events.push(mark("spawned")),
            TraceKind::Ready => events.push(mark("ready")),
            TraceKind::Done => events.push(mark("done")),
            TraceKind::PollStart => {
                polling.insert(event.task, event.at);
            }
            TraceKind::PollEnd => {
                if let Some(began) = polling.remove(&event.task) {
                    events.push(json!({
                        "name": "poll", "cat": "run", "ph": "X", "pid": 1,
                        "tid": event.task, "ts": micros(began),
                        "dur": event.at.saturating_duration_since(began).as_nanos() as f64 / 1000.0,
                    }));
                }
            }
        }
        events.push(json!({
            "name": "tasks", "ph": "C", "pid": 1, "tid": 0, "ts": ts,
            "args": {"ready": event.ready, "waiting": event.waiting},
        }));
    }
    json!({ "traceEvents": events, "displayTimeUnit": "ms" })
}

/// Writes the trace to `path` as a Chrome/Perfetto JSON file (open it at
/// <https://ui.perfetto.dev>). See [`perfetto_json`] for what it holds.
///
/// # Errors
///
/// The file system's error when the file cannot be written.
///
/// # Examples
///
/// ```
/// use handspun::event_loop::{self, write_perfetto, EventLoop};
///
/// let mut ev = EventLoop::builder().tracing(true).build().unwrap();
/// ev.block_on(async { event_loop::spawn(async {}).await.unwrap() });
/// let path = std::env::temp_dir().join(format!("handspun-doc-{}.json", std::process::id()));
/// write_perfetto(&path, &ev.take_trace()).unwrap();
/// assert!(std::fs::read_to_string(&path).unwrap().contains("traceEvents"));
/// std::fs::remove_file(&path).unwrap();
/// ```
pub fn write_perfetto(path: impl AsRef<Path>, trace: &[TraceEvent]) -> io::Result<()> {
    std::fs::write(path, perfetto_json(trace).to_string())
}
