//! `Keyed`: a ready task with a sort key, for schedulers built on a heap.

#![forbid(unsafe_code)]

use std::cmp::Ordering;
use std::fmt;

use super::scheduler::ReadyTask;

/// A [`ReadyTask`] with a key: ordered by the key alone, so a
/// `BinaryHeap<Keyed<K>>` is a ready queue sorted by any policy.
///
/// `BinaryHeap` pops the *greatest* key first; wrap a key in
/// [`std::cmp::Reverse`] to pop the smallest. To keep first-in-first-out
/// order among equal keys, put an arrival counter last in the key (as
/// [`Priority`](super::Priority) does).
///
/// # Examples
///
/// A scheduler that runs the task polled the fewest times first:
///
/// ```
/// use std::cmp::Reverse;
/// use std::collections::BinaryHeap;
/// use handspun::event_loop::{Keyed, ReadyTask, Scheduler, TaskMeta};
///
/// #[derive(Default)]
/// struct FewestPollsFirst {
///     heap: BinaryHeap<Keyed<Reverse<(u64, u64)>>>,
///     arrivals: u64,
/// }
///
/// impl Scheduler for FewestPollsFirst {
///     fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
///         self.arrivals += 1;
///         self.heap.push(Keyed::new(Reverse((meta.polls, self.arrivals)), task));
///     }
///     fn pop(&mut self) -> Option<ReadyTask> {
///         self.heap.pop().map(Keyed::into_task)
///     }
///     fn len(&self) -> usize {
///         self.heap.len()
///     }
/// }
/// # let ev = handspun::event_loop::EventLoop::builder()
/// #     .scheduler(FewestPollsFirst::default()).build().unwrap();
/// ```
pub struct Keyed<K> {
    /// What the heap orders by.
    pub key: K,
    /// The task.
    pub task: ReadyTask,
}

impl<K> Keyed<K> {
    /// A task with its key.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::event_loop::{Keyed, ReadyTask, TaskId};
    ///
    /// let keyed = Keyed::new(7, ReadyTask::for_test(TaskId(1)));
    /// assert_eq!(keyed.key, 7);
    /// assert_eq!(keyed.into_task().id(), TaskId(1));
    /// ```
    pub fn new(key: K, task: ReadyTask) -> Keyed<K> {
        Keyed { key, task }
    }

    /// The task, without its key.
    pub fn into_task(self) -> ReadyTask {
        self.task
    }
}

impl<K: Ord> PartialEq for Keyed<K> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<K: Ord> Eq for Keyed<K> {}

impl<K: Ord> PartialOrd for Keyed<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K: Ord> Ord for Keyed<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl<K: fmt::Debug> fmt::Debug for Keyed<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyed")
            .field("key", &self.key)
            .field("task", &self.task.id())
            .finish()
    }
}
