//! The scheduler: which ready task runs next.
//!
//! The loop owns the *mechanism* (polling, waking, I/O); the [`Scheduler`]
//! owns the *policy*. Every time a task becomes ready the loop calls
//! [`Scheduler::push`] with the task and a [`TaskMeta`] describing it; every
//! time the loop wants work it calls [`Scheduler::pop`]. Nothing else.
//!
//! Three policies ship:
//!
//! - [`OldestReady`] (the default): first in, first out. The task that has
//!   been ready the longest runs next, so no ready task waits for more than one
//!   pass over the queue — asyncio's and tokio's choice.
//! - [`NewestReady`]: last in, first out. Good cache locality (the task just
//!   woken has its data hot), but a task that keeps yielding starves the rest:
//!   run the `custom_scheduler` example to watch it happen.
//! - [`Priority`]: the highest [`TaskMeta::priority`] first, oldest-ready
//!   among equals. Low priorities can starve while high ones stay busy.
//! - [`FairShare`](super::FairShare) (in `fair_share.rs`): the least thread
//!   time first, newcomers placed at the queue's floor — CFS's vruntime.
//!
//! Writing your own takes a few lines: see `examples/custom_scheduler.rs`.
//! The kit for it: [`Keyed`](super::Keyed) (a ready task with a sort key, for
//! heaps), [`ReadyTask::for_test`] and [`TaskMeta::new`] (to unit-test a
//! policy's `push` and `pop` without a loop), [`TaskOptions`](super::TaskOptions)
//! (spawn with a name and a priority), and [`PollClock::Precise`](super::PollClock)
//! (busy times exact enough to compare tasks).

#![forbid(unsafe_code)]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::keyed::Keyed;
use super::task::{self, TaskId, TaskObj};

/// What the loop tells the scheduler about a task that just became ready.
///
/// In a unit test of a scheduler, build one with [`TaskMeta::new`] and change
/// the fields the policy looks at.
///
/// # Which clock
///
/// `ready_since` is on the precise clock (`Instant`), read once per turn.
/// `busy` is summed on the loop's [`PollClock`](super::PollClock), read once
/// at the end of each poll:
///
/// - with [`PollClock::Coarse`](super::PollClock::Coarse) (the default) its
///   resolution is one kernel tick (1–4 ms). A task whose polls are shorter
///   than a tick may read zero after thousands of polls, or jump by a whole
///   tick on one: fine for "has this task been hogging the thread for
///   seconds", useless for comparing two light tasks;
/// - with [`PollClock::Precise`](super::PollClock::Precise)
///   (`Builder::poll_clock`) it is exact to the nanosecond, less the few tens
///   of nanoseconds of the loop's own bookkeeping around the poll. Choose it
///   for fair-share policies (least-busy-first, vruntime).
pub struct TaskMeta {
    /// The task's id (ids grow with spawn order).
    pub id: TaskId,
    /// When the task became ready, on the loop's precise clock (read once per
    /// turn, so tasks woken in the same turn share this instant).
    pub ready_since: Instant,
    /// The priority given at spawn (0 unless spawned with
    /// [`spawn_with_priority`](super::spawn_with_priority) or
    /// [`TaskOptions::priority`](super::TaskOptions::priority)).
    pub priority: i32,
    /// How many times the task has been polled before.
    pub polls: u64,
    /// Total time the task has spent being polled so far, summed on the
    /// loop's poll clock like [`Stats::busy`](super::Stats::busy) (for
    /// fair-share policies that favour tasks which used the thread least).
    /// Coarse by default: see "Which clock" above.
    pub busy: Duration,
}

impl TaskMeta {
    /// The meta of a task `id` that was just spawned: ready since now,
    /// priority 0, never polled. For unit tests of schedulers; change the
    /// fields your policy reads with struct update syntax.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use handspun::event_loop::{TaskId, TaskMeta};
    ///
    /// let meta = TaskMeta { busy: Duration::from_millis(3), ..TaskMeta::new(TaskId(2)) };
    /// assert_eq!((meta.id, meta.polls, meta.priority), (TaskId(2), 0, 0));
    /// ```
    pub fn new(id: TaskId) -> TaskMeta {
        TaskMeta {
            id,
            ready_since: Instant::now(),
            priority: 0,
            polls: 0,
            busy: Duration::ZERO,
        }
    }
}

/// A task that is ready to run, on its way through a [`Scheduler`].
///
/// Opaque: a scheduler can only look at its [`id`](ReadyTask::id), keep it,
/// and hand it back from [`Scheduler::pop`]. It stays on the loop's thread
/// (`!Send`).
pub struct ReadyTask {
    pub(crate) task: Arc<dyn TaskObj>,
    /// Keeps `ReadyTask` on the loop's thread.
    _not_send: PhantomData<Rc<()>>,
}

impl ReadyTask {
    pub(crate) fn new(task: Arc<dyn TaskObj>) -> ReadyTask {
        ReadyTask {
            task,
            _not_send: PhantomData,
        }
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.task.header().id
    }

    /// A ready task `id` that belongs to no loop, to unit-test a scheduler's
    /// `push` and `pop` without running one. Its future never finishes, and a
    /// real loop that is handed it ignores it.
    ///
    /// # Panics
    ///
    /// If the operating system refuses the `epoll` instance that every
    /// task's waker needs (one per thread, made on first use).
    ///
    /// # Examples
    ///
    /// A unit test of a small scheduler, "highest priority first":
    ///
    /// ```
    /// use std::collections::BinaryHeap;
    /// use handspun::event_loop::{Keyed, ReadyTask, Scheduler, TaskId, TaskMeta};
    ///
    /// #[derive(Default)]
    /// struct HighestFirst(BinaryHeap<Keyed<i32>>);
    /// impl Scheduler for HighestFirst {
    ///     fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
    ///         self.0.push(Keyed::new(meta.priority, task));
    ///     }
    ///     fn pop(&mut self) -> Option<ReadyTask> {
    ///         self.0.pop().map(Keyed::into_task)
    ///     }
    ///     fn len(&self) -> usize {
    ///         self.0.len()
    ///     }
    /// }
    ///
    /// let mut scheduler = HighestFirst::default();
    /// for (id, priority) in [(1, 0), (2, 5), (3, 1)] {
    ///     let meta = TaskMeta { priority, ..TaskMeta::new(TaskId(id)) };
    ///     scheduler.push(ReadyTask::for_test(meta.id), meta);
    /// }
    /// let order: Vec<u64> = std::iter::from_fn(|| scheduler.pop()).map(|t| t.id().0).collect();
    /// assert_eq!(order, [2, 3, 1]);
    /// assert!(scheduler.is_empty());
    /// ```
    pub fn for_test(id: TaskId) -> ReadyTask {
        ReadyTask::new(task::loose_task(id, 0))
    }
}

impl fmt::Debug for ReadyTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadyTask").field("id", &self.id()).finish()
    }
}

/// A policy that picks the next ready task.
///
/// The loop calls `push` once each time a task becomes ready (a task is never
/// in the queue twice) and `pop` whenever it can run a task. A scheduler must
/// eventually return every task it was given, or those tasks never run.
///
/// # Examples
///
/// A scheduler that runs the task with the smallest id first, on a heap of
/// [`Keyed`](super::Keyed) tasks:
///
/// ```
/// use std::cmp::Reverse;
/// use std::collections::BinaryHeap;
/// use handspun::event_loop::{EventLoop, Keyed, ReadyTask, Scheduler, TaskMeta};
///
/// #[derive(Default)]
/// struct SmallestIdFirst(BinaryHeap<Keyed<Reverse<u64>>>);
///
/// impl Scheduler for SmallestIdFirst {
///     fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
///         self.0.push(Keyed::new(Reverse(meta.id.0), task));
///     }
///     fn pop(&mut self) -> Option<ReadyTask> {
///         self.0.pop().map(Keyed::into_task)
///     }
///     fn len(&self) -> usize {
///         self.0.len()
///     }
/// }
///
/// let mut ev = EventLoop::builder().scheduler(SmallestIdFirst::default()).build().unwrap();
/// assert_eq!(ev.block_on(async { 1 + 1 }), 2);
/// ```
pub trait Scheduler {
    /// Takes a task that just became ready.
    fn push(&mut self, task: ReadyTask, meta: TaskMeta);
    /// Gives the task to run next, or `None` when no task is ready.
    fn pop(&mut self) -> Option<ReadyTask>;
    /// How many tasks are queued.
    fn len(&self) -> usize;
    /// Whether no task is queued.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A boxed scheduler is a scheduler, so a policy chosen at run time (by
/// name, from a factory) goes wherever a concrete one does.
///
/// # Examples
///
/// ```
/// use handspun::event_loop::{NewestReady, OldestReady, Scheduler};
///
/// let lifo = true;
/// let chosen: Box<dyn Scheduler> =
///     if lifo { Box::new(NewestReady::new()) } else { Box::new(OldestReady::new()) };
/// assert!(chosen.is_empty());
/// ```
impl<S: Scheduler + ?Sized> Scheduler for Box<S> {
    fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
        (**self).push(task, meta);
    }

    fn pop(&mut self) -> Option<ReadyTask> {
        (**self).pop()
    }

    fn len(&self) -> usize {
        (**self).len()
    }
}

/// First in, first out: the task that has been ready longest runs next.
/// The default.
#[derive(Debug, Default)]
pub struct OldestReady {
    queue: VecDeque<ReadyTask>,
}

impl OldestReady {
    /// An empty queue.
    pub fn new() -> OldestReady {
        OldestReady::default()
    }
}

impl Scheduler for OldestReady {
    #[inline]
    fn push(&mut self, task: ReadyTask, _meta: TaskMeta) {
        self.queue.push_back(task);
    }

    #[inline]
    fn pop(&mut self) -> Option<ReadyTask> {
        self.queue.pop_front()
    }

    fn len(&self) -> usize {
        self.queue.len()
    }
}

/// Last in, first out: the task that became ready most recently runs next.
///
/// A task that keeps waking itself (`yield_now` in a loop) runs again at once
/// and starves every other ready task — the reason FIFO is the default.
#[derive(Debug, Default)]
pub struct NewestReady {
    stack: Vec<ReadyTask>,
}

impl NewestReady {
    /// An empty stack.
    pub fn new() -> NewestReady {
        NewestReady::default()
    }
}

impl Scheduler for NewestReady {
    fn push(&mut self, task: ReadyTask, _meta: TaskMeta) {
        self.stack.push(task);
    }

    fn pop(&mut self) -> Option<ReadyTask> {
        self.stack.pop()
    }

    fn len(&self) -> usize {
        self.stack.len()
    }
}

/// Highest priority first; among equal priorities, oldest-ready first.
///
/// Priorities come from [`spawn_with_priority`](super::spawn_with_priority) or
/// [`TaskOptions::priority`](super::TaskOptions::priority)
/// (plain `spawn` gives 0). While higher-priority tasks stay ready, lower ones
/// wait: strict priority can starve.
#[derive(Debug, Default)]
pub struct Priority {
    /// Ordered by priority, then by arrival (earlier first): the heap pops
    /// the greatest key, so the arrival number is reversed.
    heap: BinaryHeap<Keyed<(i32, Reverse<u64>)>>,
    /// Arrival counter: breaks ties so equal priorities keep FIFO order.
    arrivals: u64,
}

impl Priority {
    /// An empty queue.
    pub fn new() -> Priority {
        Priority::default()
    }
}

impl Scheduler for Priority {
    fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
        self.arrivals += 1;
        let key = (meta.priority, Reverse(self.arrivals));
        self.heap.push(Keyed::new(key, task));
    }

    fn pop(&mut self) -> Option<ReadyTask> {
        self.heap.pop().map(Keyed::into_task)
    }

    fn len(&self) -> usize {
        self.heap.len()
    }
}
