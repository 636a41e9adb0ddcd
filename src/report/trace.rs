//! The `--trace` file: a Chrome/Perfetto trace of what ran where.
//!
//! The format is the JSON "trace event" format that `chrome://tracing` and
//! <https://ui.perfetto.dev> open: an object with a `traceEvents` array.
//! Each run (workload × model) becomes one *process* (`pid`), each track
//! (event-loop task, pool worker thread, worker process) one *thread*
//! (`tid`) named by a metadata event (`"ph": "M"`). A running stretch is a
//! complete event (`"ph": "X"`, with `ts` and `dur` in microseconds), an
//! instant such as "became ready" an instant event (`"ph": "i"`). Watching
//! the ready marks and the spans that follow shows the oldest ready task
//! being picked.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Value};

pub use crate::workloads::timeline::{Mark, Span, Timeline};

/// The trace of these timelines as a JSON value.
///
/// # Examples
///
/// ```
/// use handspun::report::trace::{chrome_trace, Span, Timeline};
///
/// let mut run = Timeline::new("cpu / sync", 0);
/// run.spans.push(Span { track: "main".into(), name: "cpu_bound(4)".into(), start_us: 0, dur_us: 7 });
/// let trace = chrome_trace(&[run]);
/// let events = trace["traceEvents"].as_array().unwrap();
/// assert!(events.iter().any(|e| e["ph"] == "X" && e["dur"] == 7));
/// ```
pub fn chrome_trace(timelines: &[Timeline]) -> Value {
    let mut events = Vec::new();
    for (index, timeline) in timelines.iter().enumerate() {
        let pid = index + 1;
        events.push(json!({
            "name": "process_name", "ph": "M", "pid": pid, "tid": 0,
            "args": {"name": timeline.title},
        }));
        events.push(json!({
            "name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0,
            "args": {"sort_index": index},
        }));
        // Track names to thread ids, in natural order (`task 2` before
        // `task 10`), so the viewer lists tracks as a reader expects.
        let mut tracks: Vec<&str> = timeline
            .spans
            .iter()
            .map(|span| span.track.as_str())
            .chain(timeline.marks.iter().map(|mark| mark.track.as_str()))
            .collect();
        tracks.sort_by_key(|track| natural_key(track));
        tracks.dedup();
        let mut tids: HashMap<String, usize> = HashMap::new();
        for track in tracks {
            thread_id(&mut tids, track, pid, &mut events);
        }
        for span in &timeline.spans {
            let tid = thread_id(&mut tids, &span.track, pid, &mut events);
            events.push(json!({
                "name": span.name, "cat": "run", "ph": "X", "pid": pid, "tid": tid,
                "ts": timeline.offset_us + span.start_us, "dur": span.dur_us,
            }));
        }
        for mark in &timeline.marks {
            let tid = thread_id(&mut tids, &mark.track, pid, &mut events);
            events.push(json!({
                "name": mark.name, "cat": "state", "ph": "i", "s": "t", "pid": pid, "tid": tid,
                "ts": timeline.offset_us + mark.at_us,
            }));
        }
    }
    json!({ "traceEvents": events, "displayTimeUnit": "ms" })
}

/// The thread id of `track` in process `pid`; a new track gets the next id
/// and a metadata event naming it.
fn thread_id(
    tids: &mut HashMap<String, usize>,
    track: &str,
    pid: usize,
    events: &mut Vec<Value>,
) -> usize {
    if let Some(&tid) = tids.get(track) {
        return tid;
    }
    let tid = tids.len() + 1;
    tids.insert(track.to_string(), tid);
    events.push(json!({
        "name": "thread_name", "ph": "M", "pid": pid, "tid": tid,
        "args": {"name": track},
    }));
    tid
}

/// Sorts `worker 2` before `worker 10`: the text before the last number,
/// then the number.
fn natural_key(track: &str) -> (String, u64, String) {
    let digits_start = track
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map_or(track.len(), |(i, _)| i);
    let (text, number) = track.split_at(digits_start);
    (
        text.to_string(),
        number.parse().unwrap_or(0),
        track.to_string(),
    )
}

/// Writes the trace of `timelines` to `path`.
///
/// # Errors
///
/// The file system's error when the file cannot be written.
pub fn write_trace(path: &Path, timelines: &[Timeline]) -> std::io::Result<()> {
    std::fs::write(path, chrome_trace(timelines).to_string())
}
