//! What ran where and when: the neutral record runners fill for the trace.
//!
//! A runner notes a [`Span`] for every stretch of time a job ran on a
//! *track* (an event-loop task, a pool worker thread, a worker process) and a
//! [`Mark`] for instants such as "this task became ready". The report turns
//! a list of [`Timeline`]s into a Chrome/Perfetto trace
//! (`crate::report::trace`); nothing here knows that format.

#![forbid(unsafe_code)]

/// A stretch of time a job ran on a track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// Where it ran: `task 7`, `worker 2`, `process 1`, `main`.
    pub track: String,
    /// What ran: `GET /bytes/1024?delay_ms=60`, `cpu_bound(5000003)`, `poll`.
    pub name: String,
    /// Start, microseconds after the run began.
    pub start_us: u64,
    /// Length in microseconds.
    pub dur_us: u64,
}

/// An instant on a track, such as a task becoming ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// Where it happened.
    pub track: String,
    /// What happened: `ready` (spawned or woken), `done`.
    pub name: String,
    /// When, microseconds after the run began.
    pub at_us: u64,
}

/// Everything one run (one workload under one model) recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    /// The run's title, e.g. `io / event-loop`; one process in the trace.
    pub title: String,
    /// When the run began, microseconds after the whole comparison began.
    pub offset_us: u64,
    /// Running stretches.
    pub spans: Vec<Span>,
    /// Instants.
    pub marks: Vec<Mark>,
}

impl Timeline {
    /// An empty timeline for a run titled `title` that began `offset_us`
    /// after the comparison did.
    pub fn new(title: impl Into<String>, offset_us: u64) -> Timeline {
        Timeline {
            title: title.into(),
            offset_us,
            spans: Vec::new(),
            marks: Vec::new(),
        }
    }
}
