//! A cooperative, single-threaded event loop over `mio`.
//!
//! ## The idea in plain words
//!
//! One thread runs many *tasks*. A task is a `Future`: a piece of work that
//! can stop half-way ("I can't go on until this socket has data") and be
//! resumed later. The loop keeps two groups of tasks:
//!
//! - the **ready queue**: tasks that can make progress right now;
//! - the **waiting set**: tasks that are parked until something happens — a
//!   socket becomes readable, a timer expires, a channel gets a message,
//!   another task finishes. A waiting task is in no queue at all: whatever it
//!   waits on holds its *waker*, and calling that waker puts the task back
//!   into the ready queue.
//!
//! The loop repeats one step: **pick the ready task that has been ready the
//! longest** (oldest-ready, first in first out), poll it once, and when the
//! ready queue is empty, ask the operating system (`epoll`, through `mio`)
//! to sleep until a socket is ready or the nearest timer is due.
//!
//! Polling a task runs its code up to the next `.await` that cannot finish
//! yet. There the future returns `Poll::Pending` — that is what `.await`
//! hands back to the loop: "I registered my waker with the thing I wait on;
//! come back when it fires". The loop moves on to the next ready task. Nothing
//! pre-empts a task: if it computes for a second without awaiting, every other
//! task waits a second (the loop reports such *slow polls*, see
//! [`Builder::slow_poll_threshold`]).
//!
//! ## Taking turns: the operation budget
//!
//! A task also keeps the thread when what it awaits is always ready. A socket
//! whose client reads as fast as we write, or sends request after request,
//! never answers `WouldBlock`; the task's `.await`s all finish at once, and it
//! never returns `Pending` — one client holds the loop, and every other
//! client, timer and shutdown waits until it leaves.
//!
//! So every poll of a task comes with a budget of [`BUDGET`] operations.
//! Each socket read, write or accept that succeeds, and each value received
//! from (or sent into) a channel, spends one. When the budget is spent, the
//! next operation does not run: it returns `Pending`, and the loop calls the
//! task's waker at its next park, after asking `epoll` for events — so the
//! task goes to the back of the ready queue, behind every task those events
//! made ready, through the ordinary waker path. The next poll starts with a
//! full budget. A task that does fewer operations than
//! that per poll never notices. tokio does the same (128 operations a task,
//! its `coop` module); nginx caps how much each connection writes per turn
//! of its loop. A loop that computes without awaiting can take part with
//! [`consume_budget`]. The mechanism is in `budget.rs`; how often it
//! strikes is [`Stats::budget_yields`].
//!
//! ## What the loop does, one turn at a time
//!
//! 1. If the future given to [`EventLoop::block_on`] was woken, poll it; if it
//!    is done, return its output.
//! 2. Pop up to 128 ready tasks from the [`Scheduler`] and poll each once,
//!    each with a full operation budget. A task that returns `Ready` is
//!    *done*: its output goes to its [`JoinHandle`]. A task that returns
//!    `Pending` is *waiting* — or, if it woke itself (it yielded, or spent
//!    its budget), ready again, at the back of the queue.
//! 3. Park: ask `epoll` for events — without waiting if tasks are ready,
//!    otherwise until the nearest timer deadline; fire the timers that are
//!    due; call the wakers of the tasks those events and timers concern, then
//!    those of the tasks that spent their budget in step 2. Each woken task is
//!    pushed into the scheduler, stamped with the time it became ready.
//!
//! Invariants: a task is in the ready queue at most once; a waiting task is in
//! no queue; a done task is never polled again and its future has been
//! dropped; only the loop's thread ever touches a task's future.
//!
//! ## Where to read next
//!
//! 1. `task.rs` — what a task is: the future plus its bookkeeping, and its
//!    states [`TaskState`] (ready / running / waiting / done).
//! 2. `scheduler.rs` — the [`Scheduler`] trait (the pluggable "who runs
//!    next"), [`OldestReady`], [`NewestReady`], [`Priority`]; `fair_share.rs`
//!    ([`FairShare`], CFS-style virtual runtime); `factory.rs`
//!    ([`SchedulerFactory`]: a policy chosen by name at run time); `keyed.rs`
//!    ([`Keyed`], a ready task with a sort key, for heap-based policies) and
//!    `options.rs` ([`TaskOptions`]: spawn with a name and a priority).
//! 3. `core.rs` — the run loop: one turn, step by step; then `budget.rs` —
//!    the operation budget each poll gets, so that no task keeps the thread;
//!    and `yield_now.rs`, the one-line way a task gives way on its own.
//! 4. `waker.rs` and `context.rs` — how a wake-up finds its way back, from
//!    this thread or another.
//! 5. `reactor.rs` and `net.rs` — sockets that wait instead of blocking.
//! 6. `timer.rs` and `time.rs` — sleeping without blocking.
//! 7. `channel/` — oneshot and mpsc channels between tasks.
//! 8. `join.rs` and `slab.rs` — handles, and the slot vector everything is
//!    indexed by.
//! 9. `instrument.rs`, `stats.rs`, `trace.rs`, `perfetto.rs`, `clock.rs` —
//!    what the loop measures about its tasks, kept out of the run path: the
//!    two calls around each poll, the counters and per-task figures, tracing
//!    and its Perfetto file, and the two clocks.
//! 10. `driver.rs` — where time comes from and how the loop waits: epoll and
//!     the machine's clock, or (for [`crate::sim`]) a virtual clock that jumps
//!     to the next timer.
//!
//! ## Example
//!
//! ```
//! use std::time::Duration;
//! use handspun::event_loop::{self, EventLoop};
//!
//! let mut ev = EventLoop::new().unwrap();
//! let total = ev.block_on(async {
//!     // Three tasks sleep at the same time: about 30 ms in all, not 60.
//!     let handles: Vec<_> = (1..=3u64)
//!         .map(|i| event_loop::spawn(async move {
//!             event_loop::sleep(Duration::from_millis(10 * i)).await;
//!             i
//!         }))
//!         .collect();
//!     let mut total = 0;
//!     for handle in handles {
//!         total += handle.await.unwrap();
//!     }
//!     total
//! });
//! assert_eq!(total, 6);
//! assert_eq!(ev.stats().done, 3);
//! ```
//!
//! ## Where this differs from production runtimes
//!
//! tokio's current-thread runtime follows the same plan. Differences a reader
//! should know about:
//!
//! - **Task memory.** A task here is an `Arc<TaskCell<F>>` seen through
//!   `Arc<dyn TaskObj>`: one allocation, but reference counts are atomic.
//!   tokio packs the state and the reference count into one atomic word and
//!   hand-writes the vtable, so it can cut a few more atomic operations.
//! - **Timers.** A binary heap with lazy cancellation (exact deadlines,
//!   `O(log n)`), where tokio uses a hierarchical wheel (`O(1)`, 1 ms
//!   resolution).
//! - **Fairness.** We poll the reactor after every batch of 128 tasks and
//!   give each poll an operation budget, as tokio does; tokio's budget also
//!   covers its timers, join handles and every synchronisation primitive,
//!   and it can take the budget away around code that must not yield
//!   (`unconstrained`). Ours covers sockets and channels.
//! - **Breadth.** Only TCP, one timer API and two channel kinds; no
//!   `AsyncRead`/`AsyncWrite` traits (the futures ecosystem's), no UDP, no
//!   signals, no blocking-task pool.
//!
//! The benchmarks (`benches/event_loop.rs`, results in
//! `docs/benchmarks/event_loop.md`) measure this loop against tokio's.

mod budget;
mod clock;
mod context;
mod core;
mod driver;
mod factory;
mod fair_share;
mod instrument;
mod join;
mod keyed;
mod options;
mod perfetto;
mod reactor;
mod scheduler;
mod slab;
mod stats;
mod task;
mod timer;
mod trace;
mod waker;
mod yield_now;

pub mod channel;
pub mod net;
pub mod time;

use std::future::Future;
use std::io;
use std::rc::Rc;
use std::time::Duration;

pub use self::budget::{consume_budget, BUDGET};
pub use self::clock::PollClock;
pub use self::factory::{SchedulerFactory, UnknownScheduler, BUILTIN_SCHEDULERS};
pub use self::fair_share::FairShare;
pub use self::join::{JoinError, JoinHandle};
pub use self::keyed::Keyed;
pub use self::options::TaskOptions;
pub use self::perfetto::{perfetto_json, write_perfetto};
pub use self::scheduler::{NewestReady, OldestReady, Priority, ReadyTask, Scheduler, TaskMeta};
pub use self::stats::{Stats, TaskStats};
pub use self::task::{TaskId, TaskState};
pub use self::time::{interval, sleep, sleep_until, timeout, Elapsed, Interval, Sleep};
pub use self::trace::{TraceEvent, TraceKind};
pub use self::yield_now::{yield_now, YieldNow};

pub(crate) use self::clock::VirtualClock;
use self::core::Core;
pub(crate) use self::driver::{Stuck, TooLong};
pub(crate) use self::task::panic_message;

use self::driver::Driver;
use self::instrument::{Instruments, Settings};

/// A single-threaded event loop: spawns tasks and runs them until a future
/// completes. One per thread at a time; `!Send`.
///
/// Dropping the loop drops every task's future that has not finished, which
/// closes their sockets and cancels their timers.
///
/// # Examples
///
/// ```
/// use handspun::event_loop::EventLoop;
///
/// let mut ev = EventLoop::new().unwrap();
/// let handle = ev.spawn(async { "spawned before block_on" });
/// let text = ev.block_on(async { handle.await.unwrap() });
/// assert_eq!(text, "spawned before block_on");
/// ```
pub struct EventLoop {
    core: Rc<Core>,
}

impl EventLoop {
    /// A loop with the default settings (see [`Builder`]).
    ///
    /// # Errors
    ///
    /// If the operating system refuses an `epoll` instance or an `eventfd`
    /// (usually: out of file descriptors).
    pub fn new() -> io::Result<EventLoop> {
        Builder::default().build()
    }

    /// A builder to choose the scheduler, the slow-poll threshold, tracing.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Runs the loop until `future` completes, and returns its output. Tasks
    /// that are still running then stay in the loop, paused, and go on at the
    /// next `block_on`.
    ///
    /// # Panics
    ///
    /// If called inside a running loop (nest with `.await` or [`spawn`]
    /// instead), or if `future` panics.
    pub fn block_on<F: Future>(&mut self, future: F) -> F::Output {
        self.core.block_on(future)
    }

    /// Runs the loop until every spawned task is done (asyncio's
    /// "run until there is nothing left"). Returns at once if no task is
    /// alive; never returns while some task waits for something that never
    /// comes.
    ///
    /// # Panics
    ///
    /// If called inside a running loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use handspun::event_loop::{self, EventLoop};
    ///
    /// let mut ev = EventLoop::new().unwrap();
    /// for i in 0..3 {
    ///     // Handles dropped: the tasks are detached, and still run.
    ///     ev.spawn(async move { event_loop::sleep(Duration::from_millis(i)).await });
    /// }
    /// ev.run();
    /// assert_eq!(ev.stats().done, 3);
    /// ```
    pub fn run(&mut self) {
        let core = self.core.clone();
        self.core
            .block_on(std::future::poll_fn(move |cx| core.poll_idle(cx)));
    }

    /// Spawns a task on this loop. It runs when the loop runs (inside
    /// `block_on` or `run`). Inside a task, use the free function [`spawn`].
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        self.core.spawn(TaskOptions::new(), future)
    }

    /// Like [`EventLoop::spawn`], with a name and a priority together.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::event_loop::{EventLoop, TaskOptions};
    ///
    /// let mut ev = EventLoop::builder().keep_task_stats(true).build().unwrap();
    /// let handle = ev.spawn_with(TaskOptions::new().name("job").priority(3), async { 5 });
    /// assert_eq!(ev.block_on(handle), Ok(5));
    /// assert_eq!(ev.task_stats()[0].name.as_deref(), Some("job"));
    /// ```
    pub fn spawn_with<F>(&self, options: TaskOptions, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        self.core.spawn(options, future)
    }

    /// Like [`EventLoop::spawn`], with a name for slow-poll reports, stats
    /// and traces.
    pub fn spawn_named<F>(&self, name: impl Into<String>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        self.core.spawn(TaskOptions::new().name(name), future)
    }

    /// Like [`EventLoop::spawn`], with a priority for the [`Priority`]
    /// scheduler (higher runs first; plain spawns get 0).
    pub fn spawn_with_priority<F>(&self, priority: i32, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        self.core
            .spawn(TaskOptions::new().priority(priority), future)
    }

    /// The loop's counters: tasks ready / waiting / done, polls, time spent
    /// ready but not running, slow polls. (Inside a task: [`stats`].)
    pub fn stats(&self) -> Stats {
        self.core.stats()
    }

    /// The figures of every task finished so far (polls, busy time, total
    /// and longest ready-wait), in the order they finished. Empty unless the
    /// loop was built with [`Builder::keep_task_stats`]`(true)`; a task still
    /// running gives its figures through [`JoinHandle::stats`].
    pub fn task_stats(&self) -> Vec<TaskStats> {
        self.core.finished_task_stats()
    }

    /// The task events recorded so far (empty unless built with
    /// [`Builder::tracing`]`(true)`); each call returns only the new ones.
    pub fn take_trace(&self) -> Vec<TraceEvent> {
        self.core.take_trace()
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        self.core.shutdown();
    }
}

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLoop")
            .field("id", &self.core.id)
            .field("stats", &self.stats())
            .finish()
    }
}

/// Settings for an [`EventLoop`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use handspun::event_loop::{EventLoop, NewestReady};
///
/// let ev = EventLoop::builder()
///     .scheduler(NewestReady::new())
///     .slow_poll_threshold(Duration::from_millis(20))
///     .tracing(true)
///     .build()
///     .unwrap();
/// # drop(ev);
/// ```
pub struct Builder {
    scheduler: Box<dyn Scheduler>,
    instruments: Settings,
    /// Set by the simulation (`crate::sim`): virtual time, no sockets.
    virtual_clock: Option<Rc<VirtualClock>>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            scheduler: Box::new(OldestReady::new()),
            instruments: Settings {
                slow_poll_threshold: Duration::from_millis(100),
                tracing: false,
                poll_clock: PollClock::Coarse,
                keep_task_stats: false,
            },
            virtual_clock: None,
        }
    }
}

impl Builder {
    /// The policy that picks the next ready task (default [`OldestReady`]).
    pub fn scheduler(mut self, scheduler: impl Scheduler + 'static) -> Builder {
        self.scheduler = Box::new(scheduler);
        self
    }

    /// A poll that takes at least this long is reported on stderr with the
    /// task's name and counted in [`Stats::slow_polls`] (default 100 ms, like
    /// asyncio's debug mode).
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> Builder {
        self.instruments.slow_poll_threshold = threshold;
        self
    }

    /// Whether to record [`TraceEvent`]s (default off).
    pub fn tracing(mut self, on: bool) -> Builder {
        self.instruments.tracing = on;
        self
    }

    /// Which clock times every poll (default [`PollClock::Coarse`]): choose
    /// [`PollClock::Precise`] when a scheduler compares tasks'
    /// [`TaskMeta::busy`], or to read exact per-task figures.
    pub fn poll_clock(mut self, clock: PollClock) -> Builder {
        self.instruments.poll_clock = clock;
        self
    }

    /// Whether to keep every finished task's [`TaskStats`] for
    /// [`EventLoop::task_stats`] (default off: a long-running server's
    /// finished tasks would pile up).
    pub fn keep_task_stats(mut self, on: bool) -> Builder {
        self.instruments.keep_task_stats = on;
        self
    }

    /// The policy, already boxed (for `crate::sim`).
    pub(crate) fn boxed_scheduler(mut self, scheduler: Box<dyn Scheduler>) -> Builder {
        self.scheduler = scheduler;
        self
    }

    /// Makes the loop a simulated one, on this virtual clock (for
    /// `crate::sim`).
    pub(crate) fn virtual_clock(mut self, clock: Rc<VirtualClock>) -> Builder {
        self.virtual_clock = Some(clock);
        self
    }

    /// Creates the loop.
    ///
    /// # Errors
    ///
    /// If the operating system refuses an `epoll` instance or an `eventfd`.
    pub fn build(self) -> io::Result<EventLoop> {
        let driver = match self.virtual_clock {
            Some(clock) => Driver::Virtual(clock),
            None => Driver::Os(self.instruments.poll_clock),
        };
        let instruments = Instruments::new(self.instruments, driver.clone());
        let core = Core::new(self.scheduler, instruments, driver)?;
        Ok(EventLoop {
            core: Rc::new(core),
        })
    }
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("instruments", &self.instruments)
            .finish_non_exhaustive()
    }
}

/// Spawns a task on the loop running on this thread.
///
/// # Panics
///
/// Outside a running loop (not inside `block_on` or one of its tasks).
///
/// # Examples
///
/// ```
/// use handspun::event_loop::{self, EventLoop};
///
/// let mut ev = EventLoop::new().unwrap();
/// let n = ev.block_on(async { event_loop::spawn(async { 7 }).await.unwrap() });
/// assert_eq!(n, 7);
/// ```
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
{
    context::current("spawn").spawn(TaskOptions::new(), future)
}

/// Like [`spawn`], with a name and a priority together (see
/// [`TaskOptions`]).
///
/// # Panics
///
/// Outside a running loop.
///
/// # Examples
///
/// ```
/// use handspun::event_loop::{self, EventLoop, TaskOptions};
///
/// let mut ev = EventLoop::new().unwrap();
/// let name = ev.block_on(async {
///     let handle = event_loop::spawn_with(TaskOptions::new().name("n").priority(2), async {});
///     let name = handle.stats().name;
///     handle.await.unwrap();
///     name
/// });
/// assert_eq!(name.as_deref(), Some("n"));
/// ```
pub fn spawn_with<F>(options: TaskOptions, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
{
    context::current("spawn_with").spawn(options, future)
}

/// Runs `f` with the running loop's virtual clock; `None` outside a
/// simulated loop (for `crate::sim`).
pub(crate) fn with_virtual_clock<R>(f: impl FnOnce(&VirtualClock) -> R) -> Option<R> {
    context::with_current(|core| core.and_then(Core::virtual_clock).map(f))
}

/// Like [`spawn`], with a name for slow-poll reports, stats and traces.
///
/// # Panics
///
/// Outside a running loop.
pub fn spawn_named<F>(name: impl Into<String>, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
{
    context::current("spawn_named").spawn(TaskOptions::new().name(name), future)
}

/// Like [`spawn`], with a priority for the [`Priority`] scheduler.
///
/// # Panics
///
/// Outside a running loop.
pub fn spawn_with_priority<F>(priority: i32, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
{
    context::current("spawn_with_priority").spawn(TaskOptions::new().priority(priority), future)
}

/// The counters of the loop running on this thread (what
/// [`EventLoop::stats`] returns, for code running inside the loop).
///
/// # Panics
///
/// Outside a running loop.
///
/// # Examples
///
/// ```
/// use handspun::event_loop::{self, EventLoop};
///
/// let mut ev = EventLoop::new().unwrap();
/// let turns = ev.block_on(async {
///     let before = event_loop::stats().turns;
///     event_loop::yield_now().await;
///     event_loop::stats().turns - before
/// });
/// assert!(turns >= 1);
/// ```
pub fn stats() -> Stats {
    context::current("stats").stats()
}
