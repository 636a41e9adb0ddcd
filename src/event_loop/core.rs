//! The loop itself: its state ([`Core`]) and the run loop (`block_on`).
//!
//! One turn of the loop:
//!
//! 1. if the `block_on` future was woken, poll it; if it is done, return;
//! 2. pop up to [`BATCH`] ready tasks from the scheduler and poll each once,
//!    each poll with a fresh operation budget (`budget.rs`), so that no
//!    poll runs on without end;
//! 3. *park*: move tasks woken from other threads into the scheduler; ask
//!    `epoll` for I/O events — without waiting if work is ready, else until
//!    the nearest timer deadline (or forever, if there is none); read the
//!    clocks; fire the timers that are due; wake the tasks those events and
//!    timers concern, then the tasks that spent their budget in step 2.
//!
//! Polling a task is a few state changes around `poll`; what the loop
//! measures about it (counters, trace, slow-poll check, the poll clock)
//! sits behind two calls, `poll_started` and `poll_finished`, of the
//! loop's [`Instruments`] (`instrument.rs`).
//!
//! Clocks (see `clock.rs`): the *precise* clock (`Instant`) is read once per
//! turn, after the park (and once before a blocking wait, to size its
//! timeout); timers and schedulers use it. The *poll* clock (coarse unless
//! the builder chose the precise one) is read by the instruments once per
//! turn and at the end of every poll, for statistics and slow-poll reports.
//! Neither is read per wake: a task woken during a turn is stamped "ready
//! since" with the readings the loop already has.
//!
//! Both clocks and the wait itself come from the loop's driver
//! (`driver.rs`), chosen when the loop is built: epoll and the machine's
//! clocks, or a simulation's virtual clock. This file never asks which.

#![forbid(unsafe_code)]

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::budget;
use super::clock::VirtualClock;
use super::context;
use super::driver::{Driver, Parked, Stuck};
use super::instrument::Instruments;
use super::join::JoinHandle;
use super::options::TaskOptions;
use super::reactor::Reactor;
use super::scheduler::{ReadyTask, Scheduler, TaskMeta};
use super::slab::Slab;
use super::stats::{Stats, TaskStats};
use super::task::{Header, PollOutcome, TaskCell, TaskId, TaskObj, TaskState};
use super::timer::TimerQueue;
use super::trace::TraceEvent;
use super::waker::{MainWaker, Shared};

/// How many tasks one turn polls at most before it checks for I/O again, so
/// a crowd of ready tasks cannot starve sockets and timers.
pub(crate) const BATCH: usize = 128;

/// Source of unique loop ids.
static NEXT_LOOP_ID: AtomicU64 = AtomicU64::new(1);

/// How a task ended (for the counters in [`Instruments`]).
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
    /// The precise clock's reading of this turn (taken after the park).
    /// Never ahead of real time, so timers compared against it never fire
    /// early.
    precise_now: Cell<Instant>,
    /// Where time comes from and how the loop waits (real or simulated).
    driver: Driver,
    /// Counters, trace, slow-poll check and the poll clock: what the loop
    /// measures, kept out of the run path.
    instruments: Instruments,
    /// Next task id.
    next_task_id: Cell<u64>,
    /// The waker given to the `block_on` future.
    main_waker: Waker,
    /// The waker of an [`EventLoop::run`](super::EventLoop::run) waiting for
    /// the last live task to finish. Woken (outside the borrow) when the
    /// registry becomes empty.
    idle_waiter: RefCell<Option<Waker>>,
    /// Scratch buffer: wakers collected during a park (reused every turn).
    woken: RefCell<Vec<Waker>>,
    /// Wakers of tasks that spent their operation budget this turn; called
    /// at the next park, after the I/O and timer wakers.
    deferred: RefCell<Vec<Waker>>,
    /// Scratch buffer: tasks taken from the cross-thread inbox.
    remote: RefCell<Vec<Arc<dyn TaskObj>>>,
}

impl Core {
    /// A new loop with this policy, these instruments and this driver.
    pub(crate) fn new(
        scheduler: Box<dyn Scheduler>,
        instruments: Instruments,
        driver: Driver,
    ) -> std::io::Result<Core> {
        let id = NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed);
        let simulated = matches!(driver, Driver::Virtual(_));
        let (reactor, mio_waker) = Reactor::new(simulated)?;
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
            precise_now: Cell::new(driver.now()),
            driver,
            instruments,
            next_task_id: Cell::new(1),
            main_waker,
            idle_waiter: RefCell::new(None),
            woken: RefCell::new(Vec::new()),
            deferred: RefCell::new(Vec::new()),
            remote: RefCell::new(Vec::new()),
        })
    }

    /// The precise clock's reading of this turn (never ahead of real time;
    /// see the `precise_now` field).
    pub(crate) fn precise_now(&self) -> Instant {
        self.precise_now.get()
    }

    /// Creates a task around `future` and queues it.
    pub(crate) fn spawn<F>(
        self: &Rc<Self>,
        options: TaskOptions,
        future: F,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        let id = TaskId(self.next_task_id.get());
        self.next_task_id.set(id.0 + 1);
        let header = Header::new(
            id,
            options.name,
            options.priority,
            self.shared.clone(),
            self.precise_now.get(),
            self.instruments.clock_now_ns(),
        );
        let task = TaskCell::new(header, future);
        let key = self.registry.borrow_mut().insert(task.clone());
        task.header.registry_key.set(key);
        self.instruments.spawned(&task.header);
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
                    self.instruments.woken_while_running(header);
                }
                false
            }
            TaskState::Ready | TaskState::Done => false,
        }
    }

    /// The task being polled has spent its operation budget and is made to
    /// yield (`budget.rs`): `waker` is called at the next park, so the task
    /// runs again only after the loop has looked for I/O and timers.
    pub(crate) fn budget_exhausted(&self, waker: &Waker) {
        self.instruments.budget_exhausted();
        self.deferred.borrow_mut().push(waker.clone());
    }

    /// Queues a waiting (or just-polled) task.
    pub(crate) fn enqueue(&self, task: Arc<dyn TaskObj>) {
        let header = task.header();
        let from = self.set_state(header, TaskState::Ready);
        header.ready_since_precise.set(self.precise_now.get());
        self.instruments.queued(header, from);
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
                if let Poll::Ready(output) = budget::with_budget(|| future.as_mut().poll(&mut cx)) {
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

    /// Polls one task once, and moves it to the state its poll asks for.
    fn run_task(&self, task: Arc<dyn TaskObj>) {
        let header = task.header();
        if header.state.get() != TaskState::Ready || header.shared.loop_id != self.id {
            return; // aborted while queued (or handed to the wrong loop)
        }
        self.set_state(header, TaskState::Running);
        let timer = self.instruments.poll_started(header);
        // Built on the first poll, then kept in the header between polls.
        let waker = header
            .self_waker
            .take()
            .unwrap_or_else(|| task.clone().into_waker());
        let outcome = budget::with_budget(|| task.poll_once(&mut Context::from_waker(&waker)));
        self.instruments.poll_finished(header, timer);

        match outcome {
            PollOutcome::Pending => {
                header.self_waker.set(Some(waker));
                if header.abort_requested.get() {
                    task.cancel();
                    self.finish(header, Ending::Aborted);
                } else if header.woken_while_running.replace(false) {
                    self.enqueue(task); // reuses our reference: no refcounting
                } else {
                    self.set_state(header, TaskState::Waiting);
                }
            }
            PollOutcome::Finished => self.finish(header, Ending::Returned),
            PollOutcome::Panicked => self.finish(header, Ending::Panicked),
        }
    }

    /// Moves a task to state `to`, keeping the per-state counts; returns the
    /// state it left.
    #[inline]
    fn set_state(&self, header: &Header, to: TaskState) -> TaskState {
        let from = header.state.replace(to);
        self.instruments.state_changed(from, to);
        from
    }

    /// Marks a task done: unregisters it and wakes whoever awaits its handle.
    /// Its stage already holds the outcome (or nothing).
    pub(crate) fn finish(&self, header: &Header, ending: Ending) {
        if header.state.get() == TaskState::Done {
            return;
        }
        self.set_state(header, TaskState::Done);
        self.instruments.task_ended(header, ending);
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
        self.instruments.turn_started();
        // A remote wake after this line writes the eventfd again, so a
        // blocking `poll` below cannot miss it.
        self.shared.clear_notified();
        self.drain_inbox();
        let has_work = !self.scheduler.borrow().is_empty()
            || !self.deferred.borrow().is_empty()
            || self.shared.main_woken.load(Ordering::SeqCst)
            || self.shared.inbox_dirty();

        let mut woken = std::mem::take(&mut *self.woken.borrow_mut());
        match self
            .driver
            .park(&self.reactor, &self.timers, has_work, &mut woken)
        {
            Parked::Skipped => {}
            // Wakes from other threads that ended the wait run this turn.
            Parked::Waited => self.drain_inbox(),
            Parked::Stuck => self.stuck(),
        }
        self.read_clocks();
        if self.timers.len() > 0 {
            self.timers.fire_expired(self.precise_now.get(), &mut woken);
        }
        woken.append(&mut self.deferred.borrow_mut());
        for waker in woken.drain(..) {
            waker.wake();
        }
        *self.woken.borrow_mut() = woken;
    }

    /// Reads both clocks (once per turn).
    fn read_clocks(&self) {
        self.precise_now.set(self.driver.now());
        self.instruments.read_poll_clock();
    }

    /// Now, on the loop's precise clock (virtual in a simulation): what a
    /// new timer's deadline counts from.
    pub(crate) fn now(&self) -> Instant {
        self.driver.now()
    }

    /// The virtual clock, if this loop is simulated.
    pub(crate) fn virtual_clock(&self) -> Option<&VirtualClock> {
        match &self.driver {
            Driver::Virtual(clock) => Some(clock),
            Driver::Os(_) => None,
        }
    }

    /// Every task waits and nothing can wake one (only a simulated loop can
    /// tell): leaves `block_on` by unwinding with the waiting tasks' names,
    /// which the simulation catches and reports. Never returns.
    #[cold]
    fn stuck(&self) -> ! {
        let mut waiting: Vec<(TaskId, String)> = self
            .registry
            .borrow()
            .iter()
            .map(|task| task.header())
            .filter(|header| header.state.get() == TaskState::Waiting)
            .map(|header| (header.id, header.display_name().to_string()))
            .collect();
        waiting.sort();
        let waiting = waiting.into_iter().map(|(_, name)| name).collect();
        std::panic::resume_unwind(Box::new(Stuck { waiting }))
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
        self.instruments.stats()
    }

    /// Takes the trace recorded so far.
    pub(crate) fn take_trace(&self) -> Vec<TraceEvent> {
        self.instruments.take_trace()
    }

    /// The figures of the tasks finished so far (if the builder kept them).
    pub(crate) fn finished_task_stats(&self) -> Vec<TaskStats> {
        self.instruments.finished_task_stats()
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
                self.set_state(header, TaskState::Done);
                self.instruments.dropped_with_loop();
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
        let deferred = std::mem::take(&mut *self.deferred.borrow_mut());
        drop(deferred);
        self.reactor.clear_waiters();
        self.timers.clear();
    }
}

/// What the scheduler is told about a task.
fn meta_of(header: &Header) -> TaskMeta {
    TaskMeta {
        id: header.id,
        ready_since: header.ready_since_precise.get(),
        priority: header.priority,
        polls: header.polls.get(),
        busy: Duration::from_nanos(header.busy_ns.get()),
    }
}
