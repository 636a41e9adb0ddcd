//! Tracing: an optional log of what happened to each task, and when.
//!
//! Off by default, and then it costs one predictable branch per event. When
//! on ([`Builder::tracing`]), the loop appends a [`TraceEvent`] for every
//! spawn, wake, poll start, poll end and completion, with the number of tasks
//! ready and waiting at that moment; [`EventLoop::take_trace`] hands them
//! over, and [`write_perfetto`](super::write_perfetto) turns them into a file
//! Perfetto opens.
//!
//! [`Builder::tracing`]: super::Builder::tracing
//! [`EventLoop::take_trace`]: super::EventLoop::take_trace

#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::time::Instant;

use super::task::Header;

/// What happened to a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceKind {
    /// The task was created (it is ready at once).
    Spawned,
    /// The task was woken and queued.
    Ready,
    /// A poll of the task began.
    PollStart,
    /// A poll of the task ended.
    PollEnd,
    /// The task finished, panicked or was aborted.
    Done,
}

/// One entry of the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEvent {
    /// The task's id (see [`TaskId`](super::TaskId)).
    pub task: u64,
    /// The task's name, if it was spawned with one.
    pub name: Option<String>,
    /// What happened.
    pub kind: TraceKind,
    /// When it happened.
    pub at: Instant,
    /// How many tasks were ready (queued, not running) when it was recorded.
    pub ready: u64,
    /// How many tasks were waiting (parked on something) when it was
    /// recorded. (At `PollEnd` the polled task still counts as running.)
    pub waiting: u64,
}

/// When an event happened (on the loop's clock: virtual in a simulation)
/// and the loop's counts at that moment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TraceCounts {
    pub(crate) at: Instant,
    pub(crate) ready: u64,
    pub(crate) waiting: u64,
}

/// The loop's recorder.
#[derive(Debug)]
pub(crate) struct Tracer {
    /// Fixed at build time.
    enabled: bool,
    /// The events so far, oldest first. Loop thread only.
    events: RefCell<Vec<TraceEvent>>,
}

impl Tracer {
    pub(crate) fn new(enabled: bool) -> Tracer {
        Tracer {
            enabled,
            events: RefCell::new(Vec::new()),
        }
    }

    /// Records `kind` for the task (a single branch when tracing is off);
    /// `counts` is called only when tracing is on.
    #[inline]
    pub(crate) fn record(
        &self,
        header: &Header,
        kind: TraceKind,
        counts: impl FnOnce() -> TraceCounts,
    ) {
        if self.enabled {
            self.push(header, kind, counts());
        }
    }

    #[cold]
    fn push(&self, header: &Header, kind: TraceKind, counts: TraceCounts) {
        self.events.borrow_mut().push(TraceEvent {
            task: header.id.0,
            name: header.name.as_deref().map(str::to_string),
            kind,
            at: counts.at,
            ready: counts.ready,
            waiting: counts.waiting,
        });
    }

    /// Takes every event recorded so far.
    pub(crate) fn take(&self) -> Vec<TraceEvent> {
        std::mem::take(&mut *self.events.borrow_mut())
    }
}
