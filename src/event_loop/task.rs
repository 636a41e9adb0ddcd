//! A task: one spawned future plus the bookkeeping the loop keeps about it.
//!
//! A task is a single heap allocation (`Arc<TaskCell<F>>`) holding a
//! [`Header`] (id, name, state, counters — everything the loop and the
//! scheduler look at, whatever the future's type) and a [`Stage`] (the future
//! while it runs, then its output until the [`JoinHandle`] takes it).
//!
//! The loop sees tasks through the object-safe [`TaskObj`] trait, so one ready
//! queue can hold futures of every type; a [`JoinHandle<T>`] sees the same
//! allocation through [`Joinable<T>`], which knows the output type.
//!
//! ## Which thread touches what
//!
//! The future may be `!Send`, yet a task's [`Waker`] must be `Send + Sync`
//! (any thread may wake it). The rule that makes this sound:
//!
//! - the *atomic* field [`Header::remote_queued`], the loop's [`Shared`] inbox
//!   and the immutable fields may be used from any thread (that is all a
//!   waker on another thread does);
//! - every other field — the `Cell`s, the stage, the future, the output — is
//!   touched only on the thread that owns the loop (the loop itself, and the
//!   `JoinHandle`, which is `!Send`);
//! - the future and the output are always dropped *explicitly* on the loop
//!   thread (when the task finishes, is aborted, is joined, or the loop is
//!   dropped). So if the last reference to the allocation is a waker dropped on
//!   another thread, it only ever frees an empty [`Stage::Consumed`].
//!
//! [`JoinHandle`]: super::JoinHandle
//! [`JoinHandle<T>`]: super::JoinHandle

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use super::join::JoinError;
use super::waker::Shared;

/// A task's identity: unique within its loop, growing in spawn order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(pub u64);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where a task is in its life. The loop moves a task between these states;
/// only the loop's thread reads or writes them.
///
/// ```text
///   spawn ──► Ready ──pop──► Running ──Pending──► Waiting
///               ▲               │                    │
///               └── wake ───────┴──── wake ◄─────────┘
///                               │
///                         Ready(output) / panic / abort
///                               ▼
///                              Done
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// In the scheduler's queue, waiting for its turn to be polled.
    Ready,
    /// Being polled right now (at most one task per loop is in this state).
    Running,
    /// Parked: its last poll returned `Pending` and nobody has woken it since.
    /// It is in no queue; some waker (I/O, a timer, a channel, another task)
    /// holds the only way back to `Ready`.
    Waiting,
    /// Finished: returned its output, panicked, or was aborted. Never polled
    /// again; its future has been dropped.
    Done,
}

/// Everything the loop knows about a task, whatever its future's type.
pub(crate) struct Header {
    /// This task's id (immutable).
    pub(crate) id: TaskId,
    /// The name given to `spawn_named`, if any (immutable).
    pub(crate) name: Option<Arc<str>>,
    /// The priority given at spawn (immutable; higher runs first under
    /// [`Priority`](super::Priority)).
    pub(crate) priority: i32,
    /// The loop this task belongs to: its id, cross-thread inbox and
    /// `mio::Waker` (immutable; `Send + Sync`).
    pub(crate) shared: Arc<Shared>,
    /// True while the task sits in the loop's cross-thread inbox. Only the
    /// remote waker that flips it `false -> true` pushes the task there, so
    /// duplicate remote wakes push it once. The loop clears it (with an
    /// acquiring swap, which orders the waker's writes before the next poll)
    /// when it drains the inbox. Same-thread wakes never touch it: they use
    /// `state`, which needs no atomic.
    pub(crate) remote_queued: AtomicBool,
    // ---- Loop thread only, from here on (see the module docs). ----
    /// The task's state. Loop thread only.
    pub(crate) state: Cell<TaskState>,
    /// When the task last became ready, on the precise clock: the loop's
    /// reading of that turn. What the scheduler sees (`TaskMeta::ready_since`).
    pub(crate) ready_since_precise: Cell<Instant>,
    /// The same moment on the loop's poll clock (coarse or precise, see
    /// `PollClock`), in nanoseconds: the instruments' last reading. Only for
    /// the ready-wait figures.
    pub(crate) ready_since_ns: Cell<u64>,
    /// How many times the task has been polled (kept by the instruments).
    pub(crate) polls: Cell<u64>,
    /// Total time spent inside this task's `poll`, summed on the loop's poll
    /// clock, in nanoseconds (kept by the instruments). Nanosecond counters
    /// rather than `Duration`s: half the size in every task, and a plain add.
    pub(crate) busy_ns: Cell<u64>,
    /// Total time spent ready but not running, on the poll clock, in
    /// nanoseconds (kept by the instruments).
    pub(crate) ready_wait_ns: Cell<u64>,
    /// The longest single stretch spent ready but not running, in
    /// nanoseconds (kept by the instruments).
    pub(crate) longest_ready_wait_ns: Cell<u64>,
    /// Its slot in the loop's registry of live tasks (valid until `Done`).
    pub(crate) registry_key: Cell<usize>,
    /// Set when the task is woken while it is being polled (a `yield_now`,
    /// or a waker fired inside its own poll): the loop requeues it as soon as
    /// the poll returns, reusing its own reference (no reference counting).
    pub(crate) woken_while_running: Cell<bool>,
    /// Set by `abort()` while the task is running; the loop finishes the task
    /// as aborted as soon as the current poll returns.
    pub(crate) abort_requested: Cell<bool>,
    /// Set when the `JoinHandle` is dropped: nobody wants the output, so it is
    /// dropped as soon as it is produced.
    pub(crate) detached: Cell<bool>,
    /// The waker of whoever awaits the `JoinHandle`, woken when the task is done.
    pub(crate) join_waker: Cell<Option<Waker>>,
    /// This task's own waker, built on first poll and reused for every poll
    /// (so polling costs no reference-count traffic). It points back at the
    /// task, a cycle the loop breaks when the task is done.
    pub(crate) self_waker: Cell<Option<Waker>>,
}

impl Header {
    /// A new task's header: ready since `ready_since` (precise) and
    /// `ready_since_ns` (poll clock), never polled.
    pub(crate) fn new(
        id: TaskId,
        name: Option<Arc<str>>,
        priority: i32,
        shared: Arc<Shared>,
        ready_since: Instant,
        ready_since_ns: u64,
    ) -> Header {
        Header {
            id,
            name,
            priority,
            shared,
            remote_queued: AtomicBool::new(false),
            state: Cell::new(TaskState::Ready),
            ready_since_precise: Cell::new(ready_since),
            ready_since_ns: Cell::new(ready_since_ns),
            polls: Cell::new(0),
            busy_ns: Cell::new(0),
            ready_wait_ns: Cell::new(0),
            longest_ready_wait_ns: Cell::new(0),
            registry_key: Cell::new(0),
            woken_while_running: Cell::new(false),
            abort_requested: Cell::new(false),
            detached: Cell::new(false),
            join_waker: Cell::new(None),
            self_waker: Cell::new(None),
        }
    }

    /// The task's name, or `"unnamed"`.
    pub(crate) fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or("unnamed")
    }
}

/// The part of a task that depends on the future's type.
pub(crate) enum Stage<F: Future> {
    /// The future, not finished yet. Pinned: it never moves out of the
    /// allocation, and is dropped in place.
    Running(F),
    /// The outcome, waiting for the `JoinHandle` to take it.
    Finished(Result<F::Output, JoinError>),
    /// Nothing left: the output was taken or dropped.
    Consumed,
}

/// One task in one allocation: the header and the stage.
pub(crate) struct TaskCell<F: Future> {
    pub(crate) header: Header,
    /// The future or its output. Borrowed only on the loop thread.
    stage: RefCell<Stage<F>>,
}

// SAFETY: a TaskCell is shared between threads only through its wakers, and a
// waker on another thread touches nothing but `header.remote_queued` (atomic) and `header.shared`
// (Send + Sync). Every other field — including the possibly `!Send` future and
// output — is used only on the loop's thread, and the future and output are
// dropped there explicitly before the cell can be released elsewhere (module
// docs, "Which thread touches what").
unsafe impl<F: Future> Send for TaskCell<F> {}
// SAFETY: as for `Send` above: the only fields used through `&TaskCell` from
// another thread are the atomic `remote_queued` flag and the `Sync` `shared`
// handle (a waker on the loop's own thread may use the rest: it is that thread).
unsafe impl<F: Future> Sync for TaskCell<F> {}

/// What one poll of a task produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollOutcome {
    /// The future returned `Pending`.
    Pending,
    /// The future returned its output; the stage holds it and the future is
    /// gone.
    Finished,
    /// The future panicked; the stage holds the panic message and the future
    /// is gone.
    Panicked,
}

/// The loop's view of a task: type-erased, so one queue holds them all.
pub(crate) trait TaskObj: Send + Sync {
    /// The bookkeeping shared by all tasks.
    fn header(&self) -> &Header;
    /// Turns a reference to this task into its waker.
    fn into_waker(self: Arc<Self>) -> Waker;
    /// Polls the future once. Loop thread only.
    fn poll_once(&self, cx: &mut Context<'_>) -> PollOutcome;
    /// Drops the future (if it still runs) and records `Aborted` as the
    /// outcome. Loop thread only; never while the task is being polled.
    fn cancel(&self);
}

/// A `JoinHandle`'s view of a task: it knows the output type.
pub(crate) trait Joinable<T>: TaskObj {
    /// Takes the outcome out, once the task is done.
    fn take_output(&self) -> Option<Result<T, JoinError>>;
    /// Drops the outcome, if there is one. Loop thread only.
    fn drop_output(&self);
}

impl<F: Future + 'static> TaskCell<F> {
    /// Allocates a new task around `future`.
    pub(crate) fn new(header: Header, future: F) -> Arc<Self> {
        Arc::new(TaskCell {
            header,
            stage: RefCell::new(Stage::Running(future)),
        })
    }
}

impl<F: Future + 'static> TaskObj for TaskCell<F> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn into_waker(self: Arc<Self>) -> Waker {
        Waker::from(self)
    }

    fn poll_once(&self, cx: &mut Context<'_>) -> PollOutcome {
        let mut stage = self.stage.borrow_mut();
        let Stage::Running(future) = &mut *stage else {
            return PollOutcome::Finished;
        };
        // SAFETY: the future lives inside the task's `Arc` allocation and is
        // never moved out of it: it is only ever dropped in place (by
        // assigning a new value to the stage), so pinning it is sound.
        let future = unsafe { Pin::new_unchecked(future) };
        // A panic inside user code must not unwind through the loop: catch it
        // at this boundary and turn it into the task's outcome.
        let (outcome, result) = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return PollOutcome::Pending,
            Ok(Poll::Ready(output)) => (Ok(output), PollOutcome::Finished),
            Err(payload) => (
                Err(JoinError::Panicked(panic_message(payload.as_ref()))),
                PollOutcome::Panicked,
            ),
        };
        // Assignment drops the future in place, then stores the outcome. (A
        // future whose destructor panics is not caught here: that panic
        // leaves `block_on`, as a panic in the `block_on` future does.)
        if self.header.detached.get() {
            *stage = Stage::Consumed;
            drop(outcome);
        } else {
            *stage = Stage::Finished(outcome);
        }
        result
    }

    fn cancel(&self) {
        let mut stage = self.stage.borrow_mut();
        if matches!(*stage, Stage::Running(_)) {
            *stage = if self.header.detached.get() {
                Stage::Consumed
            } else {
                Stage::Finished(Err(JoinError::Aborted))
            };
        }
    }
}

impl<F: Future + 'static> Joinable<F::Output> for TaskCell<F> {
    fn take_output(&self) -> Option<Result<F::Output, JoinError>> {
        let mut stage = self.stage.borrow_mut();
        // Look before taking: a running future is pinned and must not move.
        if !matches!(*stage, Stage::Finished(_)) {
            return None;
        }
        match std::mem::replace(&mut *stage, Stage::Consumed) {
            Stage::Finished(outcome) => Some(outcome),
            Stage::Running(_) | Stage::Consumed => None,
        }
    }

    fn drop_output(&self) {
        let mut stage = self.stage.borrow_mut();
        if matches!(*stage, Stage::Finished(_)) {
            *stage = Stage::Consumed;
        }
    }
}

impl<F: Future + 'static> Wake for TaskCell<F> {
    fn wake(self: Arc<Self>) {
        super::waker::wake_owned(self);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        super::waker::wake_by_ref(&self.header, || self.clone());
    }
}

/// A task that belongs to no loop, for unit tests of schedulers
/// (`ReadyTask::for_test`). Its future never finishes; it belongs to the
/// loop id 0, which no loop has, so a real loop handed one ignores it.
pub(crate) fn loose_task(id: TaskId, priority: i32) -> Arc<dyn TaskObj> {
    thread_local! {
        /// One shared half for every loose task of this thread: its
        /// `mio::Waker` needs a `mio::Poll`, kept here with it.
        static LOOSE: Option<(mio::Poll, Arc<Shared>)> = loose_shared();
    }
    let shared = LOOSE.with(|loose| loose.as_ref().map(|(_, shared)| shared.clone()));
    let shared = shared.expect("could not create an epoll instance for a test task");
    let header = Header::new(id, None, priority, shared, Instant::now(), 0);
    TaskCell::new(header, std::future::pending::<()>())
}

/// The shared half for loose tasks (loop id 0), or `None` if the operating
/// system refuses an `epoll` instance.
fn loose_shared() -> Option<(mio::Poll, Arc<Shared>)> {
    let poll = mio::Poll::new().ok()?;
    let waker = mio::Waker::new(poll.registry(), super::reactor::WAKER_TOKEN).ok()?;
    Some((poll, Arc::new(Shared::new(0, waker))))
}

/// Extracts the message of a panic payload (`&str` or `String`), as `std`
/// prints it.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "task panicked with a non-string payload".to_string()
    }
}
