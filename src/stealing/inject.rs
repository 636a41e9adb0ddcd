//! The injection queue: where tasks enter from outside the workers.
//!
//! A task spawned or woken by a thread that is not one of this runtime's
//! workers (the thread in `block_on`, a thread-pool job, another runtime), and
//! the overflow of a full local queue, land here. Workers take from it when
//! their own queue is empty, and every [`GLOBAL_QUEUE_INTERVAL`] ticks even
//! when it is not, so a busy worker cannot starve it.
//!
//! It is a `VecDeque` behind a mutex plus an atomic length, so "is it
//! empty?" costs no lock. tokio's is a linked list of tasks behind a mutex,
//! the same idea without the reallocation.
//!
//! [`GLOBAL_QUEUE_INTERVAL`]: super::worker::GLOBAL_QUEUE_INTERVAL

#![forbid(unsafe_code)]

use std::collections::VecDeque;

use super::sync::{lock, AtomicUsize, Mutex, Ordering};

/// The runtime-wide queue. See the module docs.
pub(crate) struct Inject<T> {
    /// The tasks, oldest first, and whether the queue is closed. Guarded by
    /// its mutex.
    inner: Mutex<Inner<T>>,
    /// `inner.queue.len()`, written under the lock; read without it.
    /// `Release`/`Acquire` for the reason given on `LocalQueue::len`.
    len: AtomicUsize,
}

struct Inner<T> {
    queue: VecDeque<T>,
    /// Set at shutdown: pushes are refused from then on.
    closed: bool,
}

impl<T> Inject<T> {
    /// An empty, open queue.
    pub(crate) fn new() -> Inject<T> {
        Inject {
            inner: Mutex::new(Inner {
                queue: VecDeque::new(),
                closed: false,
            }),
            len: AtomicUsize::new(0),
        }
    }

    /// How many tasks wait here (a hint).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Whether no task waits here (a hint).
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Queues `task` at the back; gives it back if the queue is closed.
    pub(crate) fn push(&self, task: T) -> Result<(), T> {
        let mut inner = lock(&self.inner);
        if inner.closed {
            return Err(task);
        }
        inner.queue.push_back(task);
        self.len.store(inner.queue.len(), Ordering::Release);
        Ok(())
    }

    /// Queues many tasks at once; gives them back if the queue is closed.
    pub(crate) fn push_batch(&self, tasks: Vec<T>) -> Result<(), Vec<T>> {
        let mut inner = lock(&self.inner);
        if inner.closed {
            return Err(tasks);
        }
        inner.queue.extend(tasks);
        self.len.store(inner.queue.len(), Ordering::Release);
        Ok(())
    }

    /// Takes the oldest task.
    pub(crate) fn pop(&self) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        let mut inner = lock(&self.inner);
        let task = inner.queue.pop_front();
        self.len.store(inner.queue.len(), Ordering::Release);
        task
    }

    /// Takes up to `max` of the oldest tasks.
    pub(crate) fn pop_batch(&self, max: usize) -> Vec<T> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut inner = lock(&self.inner);
        let n = max.min(inner.queue.len());
        let batch = inner.queue.drain(..n).collect();
        self.len.store(inner.queue.len(), Ordering::Release);
        batch
    }

    /// Refuses every later push and takes what is queued (at shutdown).
    pub(crate) fn close(&self) -> Vec<T> {
        let mut inner = lock(&self.inner);
        inner.closed = true;
        self.len.store(0, Ordering::Release);
        inner.queue.drain(..).collect()
    }
}
