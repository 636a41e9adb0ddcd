//! The loop itself: its state ([`Core`]) and the run loop (`block_on`).
//!
//! One turn of the loop:
//!
//! 1. if the `block_on` future was woken, poll it; if it is done, return;
//! 2. pop up to [`BATCH`] ready tasks from the scheduler and poll each once;
//! 3. *park*: move tasks woken from other threads into the scheduler; ask
//!    `epoll` for I/O events — without waiting if work is ready, else until
//!    the nearest timer deadline (or forever, if there is none); read the
//!    clock; fire the timers that are due; wake the tasks those events and
//!    timers concern.
//!
//! Clocks (see `clock.rs`): the precise clock is read once per turn, after
//! the park (and once before a blocking wait, to size its timeout); the cheap
//! coarse clock once per poll, to time it for slow-poll reports. Neither is read per wake: a task woken during a turn is stamped
//! "ready since" with the readings the loop already has.

#![forbid(unsafe_code)]

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::clock;
use super::context;
use super::join::JoinHandle;
use super::reactor::Reactor;
use super::scheduler::{ReadyTask, Scheduler, TaskMeta};
use super::slab::Slab;
use super::stats::{bump, Counters, Stats};
use super::task::{Header, PollOutcome, TaskCell, TaskId, TaskObj, TaskState};
use super::timer::TimerQueue;
use super::trace::{TraceEvent, TraceKind, Tracer};
use super::waker::{MainWaker, Shared};

/// How many tasks one turn polls at most before it checks for I/O again, so
/// a crowd of ready tasks cannot starve sockets and timers.
pub(crate) const BATCH: usize = 128;

/// Source of unique loop ids.
static NEXT_LOOP_ID: AtomicU64 = AtomicU64::new(1);

/// How a task ended (for the counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// It returned its output.
    Returned,
    /// It panicked.
    Panicked,
    /// It was aborted (or the loop was dropped under it).
    Aborted,
}

/// Everything one event loop owns. Loop thread only (`Rc`), except `shared`.
pub(crate) struct Core {
    /// Unique id of this loop (same as `shared.loop_id`).
    pub(crate) id: u64,
    /// The part other threads may touch: inbox and `mio::Waker`.
    pub(crate) shared: Arc<Shared>,
    /// The ready queue's policy. Borrowed only for one push or pop at a time.
    scheduler: RefCell<Box<dyn Scheduler>>,
    /// Sockets and their waiting tasks.
    pub(crate) reactor: Rc<Reactor>,
    /// Pending timers.
    pub(crate) timers: Rc<TimerQueue>,
    /// Every live (not done) task, so that dropping the loop can drop their
    /// futures. A task's key is in `header.registry_key`.
    registry: RefCell<Slab<Arc<dyn TaskObj>>>,
    /// Counters behind [`Stats`].
    counters: Counters,
    /// The precise clock, read once per turn (after the park). Never ahead of
    /// real time, so timers compared against it never fire early.
    now: Cell<Instant>,
    /// The coarse clock's last reading, in nanoseconds (end of the last poll,
    /// or of the last park).
    coarse_now: Cell<u64>,
    /// Next task id.
    next_task_id: Cell<u64>,
    /// Records task events when tracing is on.
    tracer: Tracer,
    /// A poll longer than this is reported as slow.
    slow_poll_threshold: Duration,
    /// The waker given to the `block_on` future.
    main_waker: Waker,
    /// The waker of an [`EventLoop::run`](super::EventLoop::run) waiting for
    /// the last live task to finish. Woken (outside the borrow) when the
    /// registry becomes empty.
    idle_waiter: RefCell<Option<Waker>>,
    /// Scratch buffer: wakers collected during a park (reused every turn).
    woken: RefCell<Vec<Waker>>,
    /// Scratch buffer: tasks taken from the cross-thread inbox.
    remote: RefCell<Vec<Arc<dyn TaskObj>>>,
}

impl Core {
    /// A new loop with this policy and these settings.
    pub(crate) fn new(
        scheduler: Box<dyn Scheduler>,
        slow_poll_threshold: Duration,
        tracing: bool,
    ) -> std::io::Result<Core> {
        let id = NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed);
        let (reactor, mio_waker) = Reactor::new()?;
        let shared = Arc::new(Shared::new(id, mio_waker));
        let main_waker = Waker::from(Arc::new(MainWaker {
            shared: shared.clone(),
        }));
        Ok(Core {
            id,
            shared,
            scheduler: RefCell::new(scheduler),
            reactor: Rc::new(reactor),
            timers: Rc::new(TimerQueue::default()),
            registry: RefCell::new(Slab::default()),
            counters: Counters::default(),
            now: Cell::new(Instant::now()),
            coarse_now: Cell::new(clock::coarse_nanos()),
            next_task_id: Cell::new(1),
            tracer: Tracer::new(tracing),
            slow_poll_threshold,
            main_waker,
            idle_waiter: RefCell::new(None),
            woken: RefCell::new(Vec::new()),
            remote: RefCell::new(Vec::new()),
        })
    }

    /// The loop's clock (never ahead of real time; see [`Core::now`] field).
    pub(crate) fn now(&self) -> Instant {
        self.now.get()
    }

    /// Creates a task around `future` and queues it.
    pub(crate) fn spawn<F>(
        self: &Rc<Self>,
        name: Option<Arc<str>>,
        priority: i32,
        future: F,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        let id = TaskId(self.next_task_id.get());
        self.next_task_id.set(id.0 + 1);
        let header = Header {
            id,
            name,
            priority,
            shared: self.shared.clone(),
            remote_queued: AtomicBool::new(false),
            state: Cell::new(TaskState::Ready),
            ready_since: Cell::new(self.now.get()),
            ready_at: Cell::new(self.coarse_now.get()),
            polls: Cell::new(0),
            busy: Cell::new(Duration::ZERO),
            registry_key: Cell::new(0),
            woken_while_running: Cell::new(false),
            abort_requested: Cell::new(false),
            detached: Cell::new(false),
            join_waker: Cell::new(None),
            self_waker: Cell::new(None),
        };
        let task = TaskCell::new(header, future);
        let key = self.registry.borrow_mut().insert(task.clone());
        task.header.registry_key.set(key);
        bump(&self.counters.spawned);
        self.counters.transition(None, TaskState::Ready);
        self.tracer.record(&task.header, TraceKind::Spawned);
        let meta = meta_of(&task.header);
        self.scheduler
            .borrow_mut()
            .push(ReadyTask::new(task.clone()), meta);
        JoinHandle::new(task, Rc::downgrade(self))
    }

    /// Handles a wake on the loop's thread. Returns true if the task must be
    /// queued now (it was waiting); a running task is flagged instead (the
    /// loop requeues it after its poll); a ready or finished one needs nothing.
    #[inline]
    pub(crate) fn note_wake(&self, header: &Header) -> bool {
        match header.state.get() {
            TaskState::Waiting => true,
            TaskState::Running => {
                if !header.woken_while_running.replace(true) {
                    self.tracer.record(header, TraceKind::Ready);
                }
                false
            }
            TaskState::Ready | TaskState::Done => false,
        }
    }

    /// Queues a waiting (or just-polled) task.
    pub(crate) fn enqueue(&self, task: Arc<dyn TaskObj>) {
        let header = task.header();
        let from = header.state.get();
        if from == TaskState::Waiting {
            self.tracer.record(header, TraceKind::Ready);
        }
        header.state.set(TaskState::Ready);
        self.counters.transition(Some(from), TaskState::Ready);
        header.ready_since.set(self.now.get());
        header.ready_at.set(self.coarse_now.get());
        let meta = meta_of(header);
        self.scheduler.borrow_mut().push(ReadyTask::new(task), meta);
    }

    /// Runs the loop until `future` completes.
    pub(crate) fn block_on<F: Future>(self: &Rc<Self>, future: F) -> F::Output {
        let _context = context::enter(self.clone());
        let mut future = pin!(future);
        let main_waker = self.main_waker.clone();
        let mut cx = Context::from_waker(&main_waker);
        self.shared.main_woken.store(true, Ordering::SeqCst);
        self.read_clocks();
        loop {
            if self.shared.main_woken.swap(false, Ordering::AcqRel) {
                if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                    return output;
                }
            }
            self.run_ready_batch();
            self.park();
        }
    }

    /// Polls up to [`BATCH`] ready tasks, in the scheduler's order.
    fn run_ready_batch(&self) {
        for _ in 0..BATCH {
            let next = self.scheduler.borrow_mut().pop();
            let Some(ready) = next else {
                break;
            };
            self.run_task(ready.task);
        }
    }

    /// Polls one task once, and does the bookkeeping around it.
    fn run_task(&self, task: Arc<dyn TaskObj>) {
        let header = task.header();
        if header.state.get() != TaskState::Ready || header.shared.loop_id != self.id {
            return; // aborted while queued (or handed to the wrong loop)
        }
        let start = self.coarse_now.get();
        header.state.set(TaskState::Running);
        self.counters
            .transition(Some(TaskState::Ready), TaskState::Running);
        let waited = clock::span(header.ready_at.get(), start);
        self.counters
            .ready_wait
            .set(self.counters.ready_wait.get() + waited);
        header.polls.set(header.polls.get() + 1);
        bump(&self.counters.polls);
        self.tracer.record(header, TraceKind::PollStart);

        let waker = match header.self_waker.take() {
            Some(waker) => waker,
            None => task.clone().into_waker(),
        };
        let outcome = task.poll_once(&mut Context::from_waker(&waker));

        let end = clock::coarse_nanos();
        self.coarse_now.set(end);
        let took = clock::span(start, end);
        header.busy.set(header.busy.get() + took);
        self.counters.busy.set(self.counters.busy.get() + took);
        if took >= self.slow_poll_threshold {
            self.report_slow_poll(header, took);
        }
        self.tracer.record(header, TraceKind::PollEnd);

        match outcome {
            PollOutcome::Pending => {
                header.self_waker.set(Some(waker));
                if header.abort_requested.get() {
                    task.cancel();
                    self.finish(header, Ending::Aborted);
                } else if header.woken_while_running.replace(false) {
                    self.enqueue(task); // reuses our reference: no refcounting
                } else {
                    header.state.set(TaskState::Waiting);
                    self.counters
                        .transition(Some(TaskState::Running), TaskState::Waiting);
                }
            }
            PollOutcome::Finished => self.finish(header, Ending::Returned),
            PollOutcome::Panicked => self.finish(header, Ending::Panicked),
        }
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

    /// Marks a task done: unregisters it and wakes whoever awaits its handle.
    /// Its stage already holds the outcome (or nothing).
    pub(crate) fn finish(&self, header: &Header, ending: Ending) {
        let from = header.state.get();
        if from == TaskState::Done {
            return;
        }
        header.state.set(TaskState::Done);
        self.counters.transition(Some(from), TaskState::Done);
        match ending {
            Ending::Returned => {}
            Ending::Panicked => bump(&self.counters.panicked),
            Ending::Aborted => bump(&self.counters.aborted),
        }
        self.tracer.record(header, TraceKind::Done);
        let (entry, now_idle) = {
            let mut registry = self.registry.borrow_mut();
            let entry = registry.remove(header.registry_key.get());
            (entry, registry.len() == 0)
        };
        let own_waker = header.self_waker.take();
        let joiner = header.join_waker.take();
        let idle_waiter = if now_idle {
            self.idle_waiter.borrow_mut().take()
        } else {
            None
        };
        // Dropped and woken with no borrow held.
        drop(entry);
        drop(own_waker);
        if let Some(joiner) = joiner {
            joiner.wake();
        }
        if let Some(waiter) = idle_waiter {
            waiter.wake();
        }
    }

    /// Waits for something to do (unless something is ready already) and
    /// turns what happened into ready tasks.
    fn park(&self) {
        bump(&self.counters.turns);
        // A remote wake after this line writes the eventfd again, so a
        // blocking `poll` below cannot miss it.
        self.shared.clear_notified();
        self.drain_inbox();
        let has_work = !self.scheduler.borrow().is_empty()
            || self.shared.main_woken.load(Ordering::SeqCst)
            || self.shared.inbox_dirty();

        let mut woken = std::mem::take(&mut *self.woken.borrow_mut());
        if !has_work || self.reactor.source_count() > 0 {
            let timeout = if has_work {
                Some(Duration::ZERO)
            } else {
                // About to block: measure the wait from a fresh reading.
                self.now.set(Instant::now());
                self.timers
                    .next_deadline()
                    .map(|deadline| round_up_to_ms(deadline.saturating_duration_since(self.now())))
            };
            self.reactor.turn(timeout, &mut woken);
            // Wakes from other threads that ended the wait run this turn.
            self.drain_inbox();
        }
        self.read_clocks();
        if self.timers.len() > 0 {
            self.timers.fire_expired(self.now.get(), &mut woken);
        }
        for waker in woken.drain(..) {
            waker.wake();
        }
        *self.woken.borrow_mut() = woken;
    }

    /// Reads both clocks (once per turn).
    fn read_clocks(&self) {
        self.now.set(Instant::now());
        self.coarse_now.set(clock::coarse_nanos());
    }

    /// Moves tasks woken from other threads into the scheduler.
    fn drain_inbox(&self) {
        let mut remote = std::mem::take(&mut *self.remote.borrow_mut());
        self.shared.take_inbox(&mut remote);
        for task in remote.drain(..) {
            let header = task.header();
            // Acquire: whatever the remote waker wrote before waking is
            // visible to the poll that follows.
            header.remote_queued.swap(false, Ordering::AcqRel);
            if header.shared.loop_id == self.id && header.state.get() == TaskState::Waiting {
                self.enqueue(task);
            }
        }
        *self.remote.borrow_mut() = remote;
    }

    /// Ready once no live task is left (the body of `EventLoop::run`).
    pub(crate) fn poll_idle(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.registry.borrow().len() == 0 {
            return Poll::Ready(());
        }
        let old = self.idle_waiter.borrow_mut().replace(cx.waker().clone());
        drop(old);
        Poll::Pending
    }

    /// A snapshot of the counters.
    pub(crate) fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// Takes the trace recorded so far.
    pub(crate) fn take_trace(&self) -> Vec<TraceEvent> {
        self.tracer.take()
    }

    /// Tears the loop down: drops every task's future (closing its sockets,
    /// cancelling its timers), then every stored waker.
    pub(crate) fn shutdown(&self) {
        self.shared.close();
        // Dropping a future may drop handles of, or even spawn, other tasks:
        // repeat until no live task is left.
        loop {
            let tasks = self.registry.borrow_mut().drain();
            if tasks.is_empty() {
                break;
            }
            for task in &tasks {
                task.cancel();
            }
            for task in &tasks {
                let header = task.header();
                let from = header.state.get();
                header.state.set(TaskState::Done);
                self.counters.transition(Some(from), TaskState::Done);
                bump(&self.counters.aborted);
                drop(header.self_waker.take());
                drop(header.join_waker.take());
            }
        }
        loop {
            let next = self.scheduler.borrow_mut().pop();
            if next.is_none() {
                break;
            }
        }
        let mut remote = Vec::new();
        self.shared.take_inbox(&mut remote);
        drop(remote);
        drop(self.idle_waiter.borrow_mut().take());
        self.reactor.clear_waiters();
        self.timers.clear();
    }
}

/// What the scheduler is told about a task.
fn meta_of(header: &Header) -> TaskMeta {
    TaskMeta {
        id: header.id,
        ready_since: header.ready_since.get(),
        priority: header.priority,
        polls: header.polls.get(),
        busy: header.busy.get(),
    }
}

/// Rounds up to a whole millisecond: `epoll_wait` counts in milliseconds, and
/// rounding down would wake the loop before the deadline.
fn round_up_to_ms(duration: Duration) -> Duration {
    let millis = duration.as_nanos().div_ceil(1_000_000);
    Duration::from_millis(u64::try_from(millis).unwrap_or(u64::MAX))
}
