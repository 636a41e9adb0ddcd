//! What the loop measures about its tasks, kept off the run path.
//!
//! The run loop (`core.rs`) only moves tasks between states. Everything it
//! records about them goes through the [`Instruments`] it owns, at a few
//! named moments, the way tokio's current-thread scheduler calls
//! `start_poll` / `end_poll` on its metrics:
//!
//! - [`Instruments::spawned`], [`Instruments::queued`],
//!   [`Instruments::woken_while_running`], [`Instruments::state_changed`],
//!   [`Instruments::task_ended`]: a task's life, for the counters and the
//!   trace;
//! - [`Instruments::poll_started`] and [`Instruments::poll_finished`]: around
//!   every poll, to time it on the poll clock (coarse by default, see
//!   `clock.rs`), add the time it waited and ran to the task's figures and the
//!   [`Stats`], and report a slow poll;
//! - [`Instruments::turn_started`] and [`Instruments::read_poll_clock`]:
//!   once per turn.
//!
//! Each is a few additions on `Cell`s, at most one read of the poll clock
//! and one branch for tracing, so the loop calls them unconditionally; the
//! bench section "The poll path and its instruments" in
//! `docs/benchmarks/event_loop.md` compares the loop before and after they
//! moved here.

#![forbid(unsafe_code)]

use std::cell::{Cell, RefCell};
use std::time::Duration;

use super::clock::PollClock;
use super::core::Ending;
use super::driver::Driver;
use super::stats::{bump, Counters, Stats, TaskStats};
use super::task::{Header, TaskState};
use super::trace::{TraceCounts, TraceEvent, TraceKind, Tracer};

/// What the builder chose about measuring.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// A poll that takes at least this long is reported as slow.
    pub(crate) slow_poll_threshold: Duration,
    /// Whether to record trace events.
    pub(crate) tracing: bool,
    /// Which clock times the polls.
    pub(crate) poll_clock: PollClock,
    /// Whether to keep every finished task's figures.
    pub(crate) keep_task_stats: bool,
}

/// The loop's counters, tracer, slow-poll check and poll clock. Loop thread
/// only.
pub(crate) struct Instruments {
    /// Counters behind [`Stats`].
    counters: Counters,
    /// Records task events when tracing is on.
    tracer: Tracer,
    /// A poll that takes at least this long is reported as slow.
    slow_poll_threshold: Duration,
    /// Where the poll clock is read (at the end of every poll and once per
    /// turn) and trace events are stamped.
    driver: Driver,
    /// The poll clock's last reading, in nanoseconds: the end of the last
    /// poll, or of the last park. Tasks queued in between are stamped with it.
    clock_now_ns: Cell<u64>,
    /// The figures of every finished task, in the order they finished, when
    /// the builder asked to keep them (`None` otherwise: a server's tasks
    /// would pile up).
    finished: Option<RefCell<Vec<TaskStats>>>,
}

/// A poll in progress: from [`Instruments::poll_started`] to
/// [`Instruments::poll_finished`].
#[must_use = "give it back to `poll_finished` when the poll returns"]
pub(crate) struct PollTimer {
    /// When the poll began, on the poll clock (nanoseconds).
    started_ns: u64,
}

impl Instruments {
    /// Instruments as the builder chose them, reading the driver's clocks.
    pub(crate) fn new(settings: Settings, driver: Driver) -> Instruments {
        Instruments {
            counters: Counters::default(),
            tracer: Tracer::new(settings.tracing),
            slow_poll_threshold: settings.slow_poll_threshold,
            clock_now_ns: Cell::new(driver.poll_clock_ns()),
            driver,
            finished: settings.keep_task_stats.then(RefCell::default),
        }
    }

    /// The poll clock's last reading, in nanoseconds (what a task becoming
    /// ready now is stamped with).
    #[inline]
    pub(crate) fn clock_now_ns(&self) -> u64 {
        self.clock_now_ns.get()
    }

    /// Reads the poll clock (once per turn, after the park).
    #[inline]
    pub(crate) fn read_poll_clock(&self) {
        self.clock_now_ns.set(self.driver.poll_clock_ns());
    }

    /// A turn of the loop begins.
    #[inline]
    pub(crate) fn turn_started(&self) {
        bump(&self.counters.turns);
    }

    /// The task being polled spent its operation budget and was made to
    /// yield (`budget.rs`).
    #[inline]
    pub(crate) fn budget_exhausted(&self) {
        bump(&self.counters.budget_yields);
    }

    /// A task was created, ready at once.
    #[inline]
    pub(crate) fn spawned(&self, header: &Header) {
        bump(&self.counters.spawned);
        self.counters.transition(None, TaskState::Ready);
        self.record(header, TraceKind::Spawned);
    }

    /// A task moved from state `from` to state `to`.
    #[inline]
    pub(crate) fn state_changed(&self, from: TaskState, to: TaskState) {
        self.counters.transition(Some(from), to);
    }

    /// A task was woken while it was being polled (the loop queues it again
    /// when the poll returns).
    #[inline]
    pub(crate) fn woken_while_running(&self, header: &Header) {
        self.record(header, TraceKind::Ready);
    }

    /// A task that was in state `from` is going into the ready queue: stamp
    /// it on the poll clock, so its next poll can tell how long it waited.
    #[inline]
    pub(crate) fn queued(&self, header: &Header, from: TaskState) {
        if from == TaskState::Waiting {
            // A task queued after its own poll was traced when it was woken.
            self.record(header, TraceKind::Ready);
        }
        header.ready_since_ns.set(self.clock_now_ns.get());
    }

    /// A poll of the task begins: counts it, and adds the time the task
    /// spent ready to its figures and to [`Stats::ready_wait`].
    #[inline]
    pub(crate) fn poll_started(&self, header: &Header) -> PollTimer {
        let started_ns = self.clock_now_ns.get();
        let waited_ns = started_ns.saturating_sub(header.ready_since_ns.get());
        header
            .ready_wait_ns
            .set(header.ready_wait_ns.get() + waited_ns);
        if waited_ns > header.longest_ready_wait_ns.get() {
            header.longest_ready_wait_ns.set(waited_ns);
        }
        let total_wait = &self.counters.ready_wait;
        total_wait.set(total_wait.get() + Duration::from_nanos(waited_ns));
        header.polls.set(header.polls.get() + 1);
        bump(&self.counters.polls);
        self.record(header, TraceKind::PollStart);
        PollTimer { started_ns }
    }

    /// The poll of the task has returned: reads the poll clock, adds the
    /// poll's length to the task's and the loop's busy time, and reports it
    /// if it held the thread too long.
    #[inline]
    pub(crate) fn poll_finished(&self, header: &Header, timer: PollTimer) {
        let ended_ns = self.driver.poll_clock_ns();
        self.clock_now_ns.set(ended_ns);
        let took_ns = ended_ns.saturating_sub(timer.started_ns);
        header.busy_ns.set(header.busy_ns.get() + took_ns);
        let took = Duration::from_nanos(took_ns);
        let total_busy = &self.counters.busy;
        total_busy.set(total_busy.get() + took);
        if took >= self.slow_poll_threshold {
            self.report_slow_poll(header, took);
        }
        self.record(header, TraceKind::PollEnd);
    }

    /// Counts and reports a poll that held the thread too long.
    #[cold]
    fn report_slow_poll(&self, header: &Header, took: Duration) {
        bump(&self.counters.slow_polls);
        eprintln!(
            "handspun: slow poll: task {} ({}) held the event loop for {:?} \
             (threshold {:?}); it should .await instead of blocking",
            header.id,
            header.display_name(),
            took,
            self.slow_poll_threshold
        );
    }

    /// A task is done (its state already says so).
    #[inline]
    pub(crate) fn task_ended(&self, header: &Header, ending: Ending) {
        self.count_ending(ending);
        self.record(header, TraceKind::Done);
        if let Some(finished) = &self.finished {
            finished.borrow_mut().push(TaskStats::of(header));
        }
    }

    /// Records `kind` for the task in the trace, with the loop's ready and
    /// waiting counts at that moment (a single branch when tracing is off).
    #[inline]
    fn record(&self, header: &Header, kind: TraceKind) {
        self.tracer.record(header, kind, || TraceCounts {
            at: self.driver.now(),
            ready: self.counters.ready.get(),
            waiting: self.counters.waiting.get(),
        });
    }

    /// A task was dropped with its loop: counted as aborted, not traced (no
    /// one can take a trace from a loop being dropped).
    pub(crate) fn dropped_with_loop(&self) {
        self.count_ending(Ending::Aborted);
    }

    fn count_ending(&self, ending: Ending) {
        match ending {
            Ending::Returned => {}
            Ending::Panicked => bump(&self.counters.panicked),
            Ending::Aborted => bump(&self.counters.aborted),
        }
    }

    /// A snapshot of the counters.
    pub(crate) fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// Takes the trace recorded so far.
    pub(crate) fn take_trace(&self) -> Vec<TraceEvent> {
        self.tracer.take()
    }

    /// The figures of the tasks finished so far, in the order they finished
    /// (empty unless the builder asked to keep them).
    pub(crate) fn finished_task_stats(&self) -> Vec<TaskStats> {
        self.finished
            .as_ref()
            .map(|finished| finished.borrow().clone())
            .unwrap_or_default()
    }
}
