//! `ThreadPool`: worker threads around one shared queue — submit, map, scope, shut down.

use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;

use super::builder::{Builder, Config};
use super::gil::allow_threads;
use super::handle::Handle;
use super::map::MapResults;
use super::policy::{QueuePolicy, QueuedJob};
use super::queue::Job;
use super::scope::Scope;
use super::task::Task;
use super::worker::run_pool_worker;

/// A fixed set of worker threads that run submitted jobs, first in first out.
///
/// The Rust cousin of Python's `concurrent.futures.ThreadPoolExecutor`.
/// Read the [module docs](super) for the idea, and `queue.rs` for the
/// queue's invariants and what its lock costs.
///
/// # Examples
///
/// ```
/// use handspun::threadpool::ThreadPool;
///
/// let pool = ThreadPool::new(4);
/// let handles: Vec<_> = (0..8u64).map(|i| pool.submit(move || i * i)).collect();
/// let squares: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
/// assert_eq!(squares, vec![0, 1, 4, 9, 16, 25, 36, 49]);
/// ```
///
/// Dropping the pool lets queued jobs finish and joins every worker.
pub struct ThreadPool {
    /// Where jobs wait (one shared queue, or per-worker deques). Shared with
    /// every worker thread; workers hold a clone until they exit.
    queue: Arc<dyn QueuePolicy>,
    /// One per worker, in index order; joined on drop.
    threads: Vec<JoinHandle<()>>,
    /// What the pool was built with.
    config: Config,
}

impl ThreadPool {
    /// A pool of `workers` threads with the default settings.
    ///
    /// # Panics
    ///
    /// If `workers` is 0 or the OS refuses to spawn a thread; use
    /// [`ThreadPool::builder`] to get an error instead.
    pub fn new(workers: usize) -> ThreadPool {
        Builder::new()
            .workers(workers)
            .build()
            .expect("could not start the thread pool")
    }

    /// A [`Builder`] to configure workers, thread names, stack size and the
    /// GIL emulation.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Spawns the workers of a validated configuration.
    pub(crate) fn start(config: Config) -> io::Result<ThreadPool> {
        let queue: Arc<dyn QueuePolicy> = Arc::from((config.policy.make)(config.workers));
        let mut pool = ThreadPool {
            queue,
            threads: Vec::with_capacity(config.workers),
            config,
        };
        for index in 0..pool.config.workers {
            let queue = Arc::clone(&pool.queue);
            let gil = pool.config.gil;
            let mut thread =
                std::thread::Builder::new().name(format!("{}-{index}", pool.config.thread_name));
            if let Some(bytes) = pool.config.stack_size {
                thread = thread.stack_size(bytes);
            }
            // On error, `pool` is dropped here, which closes the queue and
            // joins the workers already started.
            let handle = thread.spawn(move || run_pool_worker(index, &*queue, gil))?;
            pool.threads.push(handle);
        }
        Ok(pool)
    }

    /// The number of worker threads.
    pub fn workers(&self) -> usize {
        self.config.workers
    }

    /// The GIL's switch interval if this is a GIL pool, else `None`.
    pub(crate) fn gil(&self) -> Option<std::time::Duration> {
        self.config.gil
    }

    /// Queues `job` and returns a [`Handle`] to its result. The job runs on
    /// the first worker to come free; submission order is start order.
    ///
    /// Submitting to a pool that was shut down with
    /// [`shutdown_now`](ThreadPool::shutdown_now) does not run the job: its
    /// handle reports [`JobError::Cancelled`](super::JobError::Cancelled).
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::threadpool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2);
    /// let greeting = pool.submit(|| format!("hello from {:?}", std::thread::current().name()));
    /// assert!(greeting.join().unwrap().contains("handspun-worker-"));
    /// ```
    pub fn submit<F, R>(&self, job: F) -> Handle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let task = Arc::new(Task::new(job));
        let runnable: Job<'static> = task.clone();
        if let Err(refused) = self.queue.push(QueuedJob(runnable)) {
            refused.0.cancel();
        }
        Handle::new(task)
    }

    /// Queues every job of `jobs` at once and returns their handles, in
    /// order. The same as calling [`submit`](ThreadPool::submit) for each,
    /// but the queue's lock is taken once for the lot and each sleeping
    /// worker is woken once, instead of the submitter and the workers
    /// trading the lock (and the CPU) job by job.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::threadpool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2);
    /// let handles = pool.submit_all((1..=3u32).map(|i| move || i * 100));
    /// let results: Vec<u32> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    /// assert_eq!(results, vec![100, 200, 300]);
    /// ```
    pub fn submit_all<F, R>(&self, jobs: impl IntoIterator<Item = F>) -> Vec<Handle<R>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let tasks: Vec<Arc<Task<F, R>>> = jobs
            .into_iter()
            .map(|job| Arc::new(Task::new(job)))
            .collect();
        let runnables: Vec<QueuedJob> = tasks
            .iter()
            .map(|task| QueuedJob(Arc::clone(task) as Job<'static>))
            .collect();
        if let Err(refused) = self.queue.push_batch(runnables) {
            for job in refused {
                job.0.cancel();
            }
        }
        tasks.into_iter().map(|task| Handle::new(task)).collect()
    }

    /// Runs `f` on every item and yields the results **in input order**, like
    /// Python's `Executor.map`. Every item is queued at once; the iterator
    /// blocks until the next result in order is ready.
    ///
    /// A panic in `f` becomes that item's `Err(JobError::Panicked)`; the
    /// other items are unaffected.
    ///
    /// Items are handed out one per job while there are few of them, and in
    /// batches once there are more than 64 per worker, so that tiny jobs do
    /// not spend their time fighting over the queue's lock (see
    /// [`ONE_JOB_PER_ITEM_UP_TO`](super::ONE_JOB_PER_ITEM_UP_TO) for the rule).
    ///
    /// While the results are read, the calling thread runs batches that no
    /// worker has started yet instead of just waiting (in a GIL pool, with
    /// the GIL held). So some items may run on the caller's thread, where
    /// [`current_worker`](super::current_worker) is `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::threadpool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2);
    /// let lengths: Vec<usize> = pool
    ///     .map(|word: &str| word.len(), ["one", "three", "five"])
    ///     .map(Result::unwrap)
    ///     .collect();
    /// assert_eq!(lengths, vec![3, 5, 4]);
    /// ```
    pub fn map<F, T, R>(&self, f: F, items: impl IntoIterator<Item = T>) -> MapResults<R>
    where
        F: Fn(T) -> R + Send + Sync + 'static,
        T: Send + 'static,
        R: Send + 'static,
    {
        super::map::map(self, f, items)
    }

    /// Like [`map`](ThreadPool::map), for items shared through an `Arc`:
    /// `f` gets `&T` and each job reads its batch in place, so the caller
    /// copies nothing. This is the pool's answer to rayon's `par_iter` over
    /// a borrowed slice: a pool whose jobs are `'static` cannot borrow the
    /// caller's slice (see [`scope`](ThreadPool::scope) for what that would
    /// take), but it can share ownership of it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use handspun::threadpool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2);
    /// let pages: Arc<[&str]> = Arc::from(vec!["<html>", "<p>hi</p>"]);
    /// let sizes: Vec<usize> = pool.map_shared(|page| page.len(), pages).map(Result::unwrap).collect();
    /// assert_eq!(sizes, vec![6, 9]);
    /// ```
    pub fn map_shared<F, T, R>(&self, f: F, items: Arc<[T]>) -> MapResults<R>
    where
        F: Fn(&T) -> R + Send + Sync + 'static,
        T: Send + Sync + 'static,
        R: Send + 'static,
    {
        super::map::map_shared(self, f, items)
    }

    /// Runs `body`, whose jobs may borrow from the caller's stack, and
    /// returns once every job spawned in it has finished. See
    /// [`Scope`] for how borrowed jobs run and what happens to panics.
    ///
    /// # Panics
    ///
    /// If `body` panics (after every job has finished), or if a job panicked
    /// and its handle was never joined (so that no panic goes unseen), or if
    /// the OS refuses to spawn the scope's threads.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::threadpool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2);
    /// let mut counts = vec![0usize; 4];
    /// let text = "a thread pool, a mutex, a condvar";
    /// pool.scope(|s| {
    ///     for (i, slot) in counts.iter_mut().enumerate() {
    ///         s.spawn(move || *slot = text.split(',').nth(i).map_or(0, str::len));
    ///     }
    /// });
    /// assert_eq!(counts, vec![13, 8, 10, 0]);
    /// ```
    pub fn scope<'env, S, R>(&self, body: S) -> R
    where
        S: FnOnce(&Scope<'env>) -> R,
    {
        super::scope::run_scope(&self.config, body)
    }

    /// Stops the pool at once: jobs that have not started are cancelled
    /// (their handles report [`JobError::Cancelled`](super::JobError::Cancelled)) and later submissions
    /// are refused the same way. Jobs already running finish normally;
    /// workers then exit. Returns without waiting for them — dropping the
    /// pool joins the threads. Python's `shutdown(cancel_futures=True)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::threadpool::{JobError, ThreadPool};
    ///
    /// let pool = ThreadPool::new(1);
    /// pool.shutdown_now();
    /// assert_eq!(pool.submit(|| 1).join(), Err(JobError::Cancelled));
    /// ```
    pub fn shutdown_now(&self) {
        // Cancel outside the queue's lock: cancelling wakes waiters.
        for job in self.queue.close_and_drain() {
            job.0.cancel();
        }
    }
}

impl Drop for ThreadPool {
    /// Lets every queued job run, then joins every worker. A worker thread
    /// that drops its own pool (a job holding the last reference) is not
    /// joined: a thread cannot wait for itself.
    fn drop(&mut self) {
        self.queue.close();
        let me = std::thread::current().id();
        let threads = std::mem::take(&mut self.threads);
        // Waiting with the GIL released: if this thread holds it (a job of a
        // GIL pool dropping another pool), the workers may need it to finish.
        allow_threads(|| {
            for thread in threads {
                if thread.thread().id() != me {
                    // A worker's loop never panics (jobs' panics are caught),
                    // so there is nothing to report here.
                    let _ = thread.join();
                }
            }
        });
    }
}

impl std::fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadPool")
            .field("workers", &self.config.workers)
            .field("thread_name", &self.config.thread_name)
            .field("gil", &self.config.gil)
            .field("queue", &self.config.policy)
            .finish_non_exhaustive()
    }
}
