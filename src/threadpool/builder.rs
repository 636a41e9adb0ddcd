//! `Builder`: how many workers, what they are called, how big their stacks are, and whether they share a GIL.

use std::io;
use std::num::NonZeroUsize;
use std::time::Duration;

use super::policy::{PolicyChoice, QueuePolicy, SharedQueue};
use super::pool::ThreadPool;

/// Everything a pool is built from; kept by the pool (scopes reuse it).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Number of worker threads, at least 1.
    pub(crate) workers: usize,
    /// Worker threads are named `"{thread_name}-{index}"`.
    pub(crate) thread_name: String,
    /// Stack size of each worker thread in bytes; `None` = the std default.
    pub(crate) stack_size: Option<usize>,
    /// `Some(switch interval)` if jobs must hold the emulated GIL.
    pub(crate) gil: Option<Duration>,
    /// How jobs wait for workers: makes each pool's queue.
    pub(crate) policy: PolicyChoice,
}

/// Configures a [`ThreadPool`] before its threads start.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use handspun::threadpool::ThreadPool;
///
/// let pool = ThreadPool::builder()
///     .workers(3)
///     .thread_name("crunch")
///     .stack_size(256 * 1024)
///     .gil(Duration::from_millis(5))
///     .build()
///     .expect("threads could not be spawned");
/// assert_eq!(pool.workers(), 3);
/// let name = pool.submit(|| std::thread::current().name().map(str::to_owned)).join();
/// assert!(name.unwrap().unwrap().starts_with("crunch-"));
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until .build() is called"]
pub struct Builder {
    /// The configuration so far.
    config: Config,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl Builder {
    /// Defaults: one worker per core (`std::thread::available_parallelism`),
    /// threads named `handspun-worker-N`, the std stack size, no GIL, one
    /// shared queue.
    pub fn new() -> Builder {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Builder {
            config: Config {
                workers: cores,
                thread_name: "handspun-worker".to_owned(),
                stack_size: None,
                gil: None,
                policy: PolicyChoice::of::<SharedQueue>(),
            },
        }
    }

    /// Number of worker threads (Python's `max_workers`). Must be at least 1.
    pub fn workers(mut self, workers: usize) -> Builder {
        self.config.workers = workers;
        self
    }

    /// Name prefix for worker threads; worker `i` is called `"{prefix}-{i}"`
    /// (shown by debuggers, `top -H` and panic messages).
    pub fn thread_name(mut self, prefix: impl Into<String>) -> Builder {
        self.config.thread_name = prefix.into();
        self
    }

    /// Stack size of each worker thread, in bytes.
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.config.stack_size = Some(bytes);
        self
    }

    /// Runs every job under the emulated global interpreter lock, released
    /// at [`gil::checkpoint`](super::gil::checkpoint)s once another thread has
    /// waited `switch_interval` (CPython's default is
    /// [`gil::DEFAULT_SWITCH_INTERVAL`](super::gil::DEFAULT_SWITCH_INTERVAL),
    /// 5 ms). See the [`gil`](super::gil) module.
    pub fn gil(mut self, switch_interval: Duration) -> Builder {
        self.config.gil = Some(switch_interval);
        self
    }

    /// How jobs wait for workers: [`SharedQueue`] (the default, one locked
    /// queue), [`StealingQueues`](super::StealingQueues) (per-worker
    /// deques) or a [`QueuePolicy`] of your own. Each pool built gets an
    /// empty queue of its own (`P::new(workers)`). Scopes always use a
    /// shared queue of their own.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::threadpool::{StealingQueues, ThreadPool};
    ///
    /// let pool = ThreadPool::builder().workers(2).queue::<StealingQueues>().build().unwrap();
    /// assert_eq!(pool.submit(|| 6 * 7).join(), Ok(42));
    /// ```
    pub fn queue<P: QueuePolicy>(mut self) -> Builder {
        self.config.policy = PolicyChoice::of::<P>();
        self
    }

    /// Spawns the worker threads and returns the pool.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `workers` is 0; the OS error if a thread cannot be
    /// spawned (threads already started are shut down again).
    pub fn build(self) -> io::Result<ThreadPool> {
        if self.config.workers == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a thread pool needs at least one worker (Builder::workers(0) was given)",
            ));
        }
        ThreadPool::start(self.config)
    }
}
