//! `TaskOptions`: what a task is spawned with besides its future.

#![forbid(unsafe_code)]

use std::sync::Arc;

/// A task's name and priority, given together to
/// [`spawn_with`](super::spawn_with) or [`EventLoop::spawn_with`].
///
/// The name shows in slow-poll reports, [`TaskStats`](super::TaskStats) and
/// traces; the priority is what [`TaskMeta::priority`](super::TaskMeta)
/// tells the scheduler (higher runs first under [`Priority`](super::Priority);
/// plain spawns get 0).
///
/// [`EventLoop::spawn_with`]: super::EventLoop::spawn_with
///
/// # Examples
///
/// ```
/// use handspun::event_loop::{self, EventLoop, Priority, TaskOptions};
///
/// let mut ev = EventLoop::builder().scheduler(Priority::new()).build().unwrap();
/// let n = ev.block_on(async {
///     let options = TaskOptions::new().name("urgent").priority(10);
///     event_loop::spawn_with(options, async { 42 }).await.unwrap()
/// });
/// assert_eq!(n, 42);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskOptions {
    pub(crate) name: Option<Arc<str>>,
    pub(crate) priority: i32,
}

impl TaskOptions {
    /// No name, priority 0: what a plain `spawn` uses.
    pub fn new() -> TaskOptions {
        TaskOptions::default()
    }

    /// The task's name.
    pub fn name(mut self, name: impl Into<String>) -> TaskOptions {
        self.name = Some(Arc::from(name.into()));
        self
    }

    /// The task's priority (higher runs first under a priority scheduler).
    pub fn priority(mut self, priority: i32) -> TaskOptions {
        self.priority = priority;
        self
    }
}
