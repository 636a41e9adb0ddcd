//! The runtime: what every worker shares, how a task is queued, and the
//! public `Runtime`, `Builder` and `Handle`.

#![forbid(unsafe_code)]

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use super::block_on;
use super::context;
use super::idle::Idle;
use super::inject::Inject;
use super::join::JoinHandle;
use super::local_queue::{LocalQueue, Pushed};
use super::owned::OwnedTasks;
use super::padded::CachePadded;
use super::park::Parker;
use super::reactor::{self, Driver, Reactor};
use super::task::{Joinable, Task, TaskCell};
use super::worker;

/// What one worker shares with the others: its queue (thieves take from
/// it) and its parker (notifiers wake it).
pub(crate) struct WorkerSlot {
    pub(crate) queue: LocalQueue<Task>,
    pub(crate) parker: Parker,
}

/// Everything the workers, wakers and handles share.
pub(crate) struct Shared {
    /// One slot per worker, by index (the vector never changes). Padded
    /// (`padded.rs`): each worker writes its own slot on every push and pop.
    pub(crate) workers: Box<[CachePadded<WorkerSlot>]>,
    /// Tasks from outside the workers, and overflow. Padded: written by
    /// threads outside the workers.
    pub(crate) inject: CachePadded<Inject<Task>>,
    /// Who sleeps, who searches (`idle.rs`). Padded: every push writes it.
    pub(crate) idle: CachePadded<Idle>,
    /// Sockets and timers; usable from any thread.
    pub(crate) reactor: Reactor,
    /// The `epoll` instance. Guarded by its mutex, which the worker that
    /// sleeps in the reactor holds for as long as it sleeps (`try_lock`
    /// elsewhere: nobody ever waits for it).
    pub(crate) driver: Mutex<Driver>,
    /// Every live task (`owned.rs`).
    pub(crate) owned: OwnedTasks,
    /// Set once by shutdown; workers leave their loop when they see it.
    shutdown: AtomicBool,
    /// Padded: every spawn writes it, and `shutdown` beside it is read on
    /// every turn.
    next_task_id: CachePadded<AtomicU64>,
}

/// How a task that became ready should be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queue {
    /// Woken by the running task: the LIFO slot, to run next.
    Lifo,
    /// Spawned, or yielded: the back of the ring, to run after the others.
    Back,
}

impl Shared {
    /// Whether shutdown has begun.
    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// Spawns `future` as a new task of this runtime.
    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let id = self.next_task_id.fetch_add(1, Ordering::Relaxed);
        let cell = TaskCell::new(id, self.clone(), future);
        let handle = JoinHandle::new(cell.clone() as Arc<dyn Joinable<F::Output>>);
        match self.owned.insert(id, cell.clone()) {
            Ok(()) => self.queue(cell, Queue::Back),
            // Shutting down: the task never runs; its handle says Aborted.
            Err(task) => {
                if task.header().state.take_for_shutdown() {
                    task.cancel();
                }
            }
        }
        handle
    }

    /// Queues a task that a waker found idle (`State::wake` returned true).
    pub(crate) fn schedule_wake(self: &Arc<Self>, task: Task) {
        self.queue(task, Queue::Lifo);
    }

    /// Queues a task whose poll ended with it woken (a yield).
    pub(crate) fn schedule_yield(self: &Arc<Self>, task: Task) {
        self.queue(task, Queue::Back);
    }

    /// The one place a ready task enters a queue: this worker's own queue
    /// if we are on one of this runtime's workers, else the injection
    /// queue. Then wakes a sleeper if the protocol says so.
    fn queue(self: &Arc<Self>, task: Task, queue: Queue) {
        let Some(index) = context::worker_index(self) else {
            if self.inject.push(task).is_ok() {
                self.notify_parked();
            }
            return; // refused: shutting down, the task is dropped unrun
        };
        let local = &self.workers[index].queue;
        let pushed = match queue {
            Queue::Lifo => local.push_lifo(task),
            Queue::Back => local.push_back(task),
        };
        match pushed {
            // Only the first task of an empty ring is announced (`idle.rs`,
            // "Notify"). A task alone in the LIFO slot runs next on this
            // worker: waking a thief for it would only move it to a colder
            // cache.
            Ok(Pushed::Quiet) => {}
            Ok(Pushed::FirstInRing) => self.notify_parked(),
            Err(overflow) => {
                // Refused only at shutdown; the tasks are then dropped unrun.
                let _ = self.inject.push_batch(overflow);
                self.notify_parked();
            }
        }
    }

    /// Wakes one sleeping worker if nobody is searching (`idle.rs`).
    pub(crate) fn notify_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.unpark(index);
        }
    }

    /// Wakes worker `index`, wherever it sleeps.
    pub(crate) fn unpark(&self, index: usize) {
        self.workers[index]
            .parker
            .unpark(|| self.reactor.wake_driver());
    }

    /// A timer or socket was just added, which a sleeping worker must now
    /// watch: interrupt the worker in the reactor (a new earliest timer
    /// changes how long it may sleep), or, if every sleeper waits on its
    /// condition variable, wake one so that it takes the reactor. It finds
    /// itself still parked and sleeps again, in the reactor.
    pub(crate) fn attend_reactor(&self, new_earliest_timer: bool) {
        if self.reactor.is_driver_blocked() {
            if new_earliest_timer {
                self.reactor.wake_driver();
            }
        } else if let Some(sleeper) = self.idle.sleeper_other_than(usize::MAX) {
            self.unpark(sleeper);
        }
    }

    /// Whether any queue holds a task (what a worker about to sleep as the
    /// last searcher checks).
    pub(crate) fn has_queued_work(&self) -> bool {
        !self.inject.is_empty() || self.workers.iter().any(|slot| !slot.queue.is_empty())
    }

    /// A task is done: drop the registry's reference.
    pub(crate) fn forget(&self, id: u64) {
        self.owned.remove(id);
    }

    /// Stops the workers, then drops every unfinished task's future.
    fn shutdown(&self, threads: Vec<thread::JoinHandle<()>>) {
        if self.shutdown.swap(true, Ordering::SeqCst) {
            return;
        }
        for index in 0..self.workers.len() {
            self.unpark(index);
        }
        for thread in threads {
            if thread.thread().id() == thread::current().id() {
                // The runtime is being dropped by one of its own tasks: this
                // worker leaves its loop when that poll returns.
                continue;
            }
            // A worker never panics (user panics are caught per poll); if
            // one did, there is nothing left to clean up for it.
            let _ = thread.join();
        }
        // No worker runs now. Cancel every live task: its future is
        // dropped here, its handle gets `Aborted`.
        for task in self.owned.close() {
            if task.header().state.take_for_shutdown() {
                task.cancel();
            }
        }
        // Break the reference cycles runtime → queue/timer → task → runtime.
        let mut wakers = Vec::new();
        self.reactor.take_all_wakers(&mut wakers);
        drop(wakers);
        drop(self.inject.close());
        for slot in self.workers.iter() {
            drop(slot.queue.drain());
        }
    }
}

/// A work-stealing runtime: N worker threads running `Send` tasks.
///
/// Dropping it shuts it down (see [`Runtime::shutdown`]).
///
/// # Examples
///
/// ```
/// use handspun::stealing::{self, Runtime};
///
/// let rt = Runtime::builder().workers(2).build().unwrap();
/// let sum = rt.block_on(async {
///     let parts: Vec<_> = (0..4u64)
///         .map(|i| stealing::spawn(async move { (i * 1000..(i + 1) * 1000).sum::<u64>() }))
///         .collect();
///     let mut sum = 0;
///     for part in parts {
///         sum += part.await.unwrap();
///     }
///     sum
/// });
/// assert_eq!(sum, (0..4000u64).sum::<u64>());
/// ```
pub struct Runtime {
    shared: Arc<Shared>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Runtime {
    /// A runtime with one worker per core (see [`Builder`]).
    ///
    /// # Errors
    ///
    /// If the operating system refuses an `epoll` instance, an `eventfd` or a
    /// thread.
    pub fn new() -> io::Result<Runtime> {
        Builder::default().build()
    }

    /// A builder to choose the number of workers.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Spawns a task; it starts at once on some worker.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future)
    }

    /// Runs `future` on the calling thread until it completes, while the
    /// workers run the tasks; inside it, [`spawn`](super::spawn) and
    /// [`sleep`](super::sleep) use this runtime. The calling thread is not
    /// a worker: it sleeps whenever `future` waits.
    ///
    /// # Panics
    ///
    /// If called on one of this runtime's workers (it would block the
    /// worker; `.await` instead), or if `future` panics.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        assert!(
            context::worker_index(&self.shared).is_none(),
            "block_on called on a worker of the same runtime; use .await"
        );
        let _enter = context::enter(context::Current {
            shared: self.shared.clone(),
            worker: None,
        });
        block_on::run(future)
    }

    /// A handle to spawn from any thread.
    pub fn handle(&self) -> Handle {
        Handle {
            shared: self.shared.clone(),
        }
    }

    /// How many workers the runtime has.
    pub fn workers(&self) -> usize {
        self.shared.workers.len()
    }

    /// How many spawned tasks are not done yet.
    pub fn alive_tasks(&self) -> usize {
        self.shared.owned.len()
    }

    /// Stops the runtime: every worker finishes the poll it is in and
    /// exits; then every unfinished task's future is dropped (on this
    /// thread), and its handle gives [`JoinError::Aborted`](crate::event_loop::JoinError::Aborted).
    /// Later spawns through a [`Handle`] give `Aborted` at once.
    ///
    /// A task that never yields keeps its worker in its poll, so shutdown
    /// waits for it (tokio's `Runtime::drop` does too).
    pub fn shutdown(mut self) {
        self.shared.shutdown(std::mem::take(&mut self.threads));
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shared.shutdown(std::mem::take(&mut self.threads));
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.workers())
            .field("alive_tasks", &self.alive_tasks())
            .finish()
    }
}

/// A cloneable, `Send` handle: spawns onto its runtime from any thread.
///
/// # Examples
///
/// ```
/// use handspun::stealing::Runtime;
///
/// let rt = Runtime::builder().workers(2).build().unwrap();
/// let handle = rt.handle();
/// let from_a_thread = std::thread::spawn(move || handle.spawn(async { 6 * 7 }))
///     .join()
///     .unwrap();
/// assert_eq!(rt.block_on(from_a_thread), Ok(42));
/// ```
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
}

impl Handle {
    /// Spawns a task on the runtime. After shutdown, the task is dropped
    /// unrun and its handle gives [`JoinError::Aborted`](crate::event_loop::JoinError::Aborted).
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future)
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

/// Settings for a [`Runtime`].
///
/// # Examples
///
/// ```
/// use handspun::stealing::Runtime;
///
/// let rt = Runtime::builder().workers(3).build().unwrap();
/// assert_eq!(rt.workers(), 3);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    /// `None`: one per core.
    workers: Option<usize>,
}

impl Builder {
    /// How many worker threads (default: the number of cores; at least 1).
    pub fn workers(mut self, workers: usize) -> Builder {
        self.workers = Some(workers.max(1));
        self
    }

    /// Starts the workers.
    ///
    /// # Errors
    ///
    /// If the operating system refuses an `epoll` instance, an `eventfd` or a
    /// thread.
    pub fn build(self) -> io::Result<Runtime> {
        let workers = self.workers.unwrap_or_else(|| {
            thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(1)
        });
        let (reactor, driver) = reactor::new()?;
        let shared = Arc::new(Shared {
            workers: (0..workers)
                .map(|_| {
                    CachePadded::new(WorkerSlot {
                        queue: LocalQueue::new(),
                        parker: Parker::new(),
                    })
                })
                .collect(),
            inject: CachePadded::new(Inject::new()),
            idle: CachePadded::new(Idle::new(workers)),
            reactor,
            driver: Mutex::new(driver),
            owned: OwnedTasks::new(),
            shutdown: AtomicBool::new(false),
            next_task_id: CachePadded::new(AtomicU64::new(1)),
        });
        let mut runtime = Runtime {
            shared: shared.clone(),
            threads: Vec::with_capacity(workers),
        };
        for index in 0..workers {
            let shared = shared.clone();
            let thread = thread::Builder::new()
                .name(format!("handspun-stealing-{index}"))
                .spawn(move || worker::run(shared, index))?;
            // On error, dropping `runtime` stops the workers started so far.
            runtime.threads.push(thread);
        }
        Ok(runtime)
    }
}
