//! The registry of live tasks, so that shutdown can drop every future.
//!
//! A task waiting for a message that will never come is in no queue; only
//! the waker of whatever it waits on knows it, and that may be another
//! waiting task. Without a list of live tasks, shutdown could not reach such
//! a task, and the reference cycle (task → runtime → ... → task) would leak
//! it. Spawn adds a task here, finishing removes it.
//!
//! Spawns and finishes on every worker touch the registry, so it is split
//! into [`SHARDS`] maps, each behind its own lock, chosen by task id: two
//! workers rarely want the same shard at once. (tokio shards its list of
//! owned tasks the same way; it links the tasks themselves into intrusive
//! lists rather than hashing their ids.)

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::padded::CachePadded;
use super::task::Task;

/// How many independently locked maps the registry is split into.
const SHARDS: usize = 32;

/// One independently locked part of the registry, on cache lines of its own.
type Shard = CachePadded<Mutex<HashMap<u64, Task>>>;

/// Every live task of one runtime, by id.
pub(crate) struct OwnedTasks {
    /// Each guarded by its mutex; task `id` lives in shard `id % SHARDS`.
    /// Padded (`padded.rs`): tasks with neighbouring ids finish on
    /// different workers at once.
    shards: Box<[Shard]>,
    /// Set once at shutdown, before the shards are drained: inserts are
    /// refused from then on (checked under the shard's lock).
    closed: AtomicBool,
}

impl OwnedTasks {
    /// An empty, open registry.
    pub(crate) fn new() -> OwnedTasks {
        OwnedTasks {
            shards: (0..SHARDS)
                .map(|_| CachePadded::new(Mutex::new(HashMap::new())))
                .collect(),
            closed: AtomicBool::new(false),
        }
    }

    fn shard(&self, id: u64) -> MutexGuard<'_, HashMap<u64, Task>> {
        // The shard count is small, so the cast cannot truncate.
        self.shards[(id % SHARDS as u64) as usize]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a new task; gives it back if the runtime is shutting down.
    pub(crate) fn insert(&self, id: u64, task: Task) -> Result<(), Task> {
        let mut shard = self.shard(id);
        if self.closed.load(Ordering::SeqCst) {
            return Err(task);
        }
        shard.insert(id, task);
        Ok(())
    }

    /// Forgets a finished task.
    pub(crate) fn remove(&self, id: u64) {
        let task = self.shard(id).remove(&id);
        drop(task); // outside the lock: it may be the last reference
    }

    /// How many tasks are alive.
    pub(crate) fn len(&self) -> usize {
        (0..SHARDS as u64).map(|id| self.shard(id).len()).sum()
    }

    /// Refuses later inserts and takes every live task.
    pub(crate) fn close(&self) -> Vec<Task> {
        self.closed.store(true, Ordering::SeqCst);
        let mut all = Vec::new();
        for id in 0..SHARDS as u64 {
            all.extend(self.shard(id).drain().map(|(_, task)| task));
        }
        all
    }
}
