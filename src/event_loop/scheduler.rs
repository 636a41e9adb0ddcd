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
//!
//! Writing your own takes a few lines: see `examples/custom_scheduler.rs`.

#![forbid(unsafe_code)]

use std::cmp::Ordering as CmpOrdering;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::task::{TaskId, TaskObj};

/// What the loop tells the scheduler about a task that just became ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskMeta {
    /// The task's id (ids grow with spawn order).
    pub id: TaskId,
    /// When the task became ready, on the loop's precise clock (read once per
    /// turn, so tasks woken in the same turn share this instant).
    pub ready_since: Instant,
    /// The priority given at spawn (0 unless spawned with
    /// [`spawn_with_priority`](super::spawn_with_priority)).
    pub priority: i32,
    /// How many times the task has been polled before.
    pub polls: u64,
    /// Total time the task has spent being polled so far, summed on the
    /// loop's coarse clock like [`Stats::busy`](super::Stats::busy) (for
    /// fair-share policies that favour tasks which used the thread least).
    pub busy: Duration,
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
/// A scheduler that runs the task with the smallest id first:
///
/// ```
/// use std::cmp::Reverse;
/// use std::collections::BinaryHeap;
/// use handspun::event_loop::{EventLoop, ReadyTask, Scheduler, TaskMeta};
///
/// #[derive(Default)]
/// struct SmallestIdFirst(BinaryHeap<(Reverse<u64>, Keep)>);
/// struct Keep(ReadyTask);
/// impl PartialEq for Keep { fn eq(&self, _: &Self) -> bool { true } }
/// impl Eq for Keep {}
/// impl PartialOrd for Keep { fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> { Some(self.cmp(o)) } }
/// impl Ord for Keep { fn cmp(&self, _: &Self) -> std::cmp::Ordering { std::cmp::Ordering::Equal } }
///
/// impl Scheduler for SmallestIdFirst {
///     fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
///         self.0.push((Reverse(meta.id.0), Keep(task)));
///     }
///     fn pop(&mut self) -> Option<ReadyTask> {
///         self.0.pop().map(|(_, keep)| keep.0)
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
/// Priorities come from [`spawn_with_priority`](super::spawn_with_priority)
/// (plain `spawn` gives 0). While higher-priority tasks stay ready, lower ones
/// wait: strict priority can starve.
#[derive(Debug, Default)]
pub struct Priority {
    heap: BinaryHeap<ByPriority>,
    /// Arrival counter: breaks ties so equal priorities keep FIFO order.
    arrivals: u64,
}

impl Priority {
    /// An empty queue.
    pub fn new() -> Priority {
        Priority::default()
    }
}

/// A heap entry: ordered by priority, then by arrival (earlier first).
#[derive(Debug)]
struct ByPriority {
    priority: i32,
    arrival: u64,
    task: ReadyTask,
}

impl PartialEq for ByPriority {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == CmpOrdering::Equal
    }
}

impl Eq for ByPriority {}

impl PartialOrd for ByPriority {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for ByPriority {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        // BinaryHeap pops the greatest: greater priority, then smaller arrival.
        self.priority
            .cmp(&other.priority)
            .then_with(|| other.arrival.cmp(&self.arrival))
    }
}

impl Scheduler for Priority {
    fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
        self.arrivals += 1;
        self.heap.push(ByPriority {
            priority: meta.priority,
            arrival: self.arrivals,
            task,
        });
    }

    fn pop(&mut self) -> Option<ReadyTask> {
        self.heap.pop().map(|entry| entry.task)
    }

    fn len(&self) -> usize {
        self.heap.len()
    }
}
