//! [`ProcessPool`] and its [`Builder`]: the public face of the pool.
//!
//! The pool itself holds little: the [`Shared`] state (queue, phase, worker
//! slots) and the supervisor threads' join handles. Submitting a job encodes
//! it into a frame right here, in the caller's thread, and queues it; a
//! supervisor thread does the rest (`supervisor.rs`).

use std::collections::VecDeque;
use std::io;
use std::num::NonZeroUsize;
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::ProcError;
use super::handle::{as_completed, AsCompleted, Completion, Handle};
use super::job::{self, ReplyBody};
use super::shared::{Config, Job, Phase, PoolState, Shared, WorkerSlot, WorkerState};
use super::supervisor;
use super::worker;
use crate::tuning::spin::{QuickAnswers, Spinners};

/// A pool of forked worker processes that run `fn(A) -> R` jobs.
///
/// See the [module documentation](super) for how it works and why it is
/// safe to fork here.
///
/// Dropping the pool finishes every queued job, then stops and reaps every
/// worker; [`close`](ProcessPool::close) says no more jobs will come, so
/// workers can stop as soon as the queue runs dry;
/// [`shutdown_now`](ProcessPool::shutdown_now) cancels instead.
///
/// # Examples
///
/// ```
/// use handspun::procpool::ProcessPool;
///
/// fn cpu_bound(n: u64) -> u64 {
///     (0..n).map(|i| i * i).sum()
/// }
///
/// let pool = ProcessPool::new(2).unwrap();
/// let sums = pool.map(cpu_bound, [10, 100, 1000], 1);
/// let sums: Vec<u64> = sums.into_iter().map(Result::unwrap).collect();
/// assert_eq!(sums, [285, 328_350, 332_833_500]);
/// ```
pub struct ProcessPool {
    /// The queue, the phase and the worker slots (see `shared.rs`).
    shared: Arc<Shared>,
    /// One supervisor thread per worker; joined on drop.
    supervisors: Vec<JoinHandle<()>>,
}

/// Configures and starts a [`ProcessPool`]. Made by
/// [`ProcessPool::builder`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use handspun::procpool::ProcessPool;
///
/// fn setup() {}
///
/// let pool = ProcessPool::builder()
///     .workers(2)
///     .initializer(setup)
///     .max_jobs_per_worker(100)
///     .job_timeout(Duration::from_secs(30))
///     .retries(1)
///     .build()
///     .unwrap();
/// assert_eq!(pool.workers(), 2);
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "a builder does nothing until build() is called"]
pub struct Builder {
    workers: Option<usize>,
    initializer: Option<fn()>,
    max_jobs_per_worker: Option<usize>,
    job_timeout: Option<Duration>,
    retries: u32,
}

impl Builder {
    /// How many worker processes to run (default: the number of cores, as
    /// Python's `multiprocessing.Pool()`). At least 1.
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = Some(workers);
        self
    }

    /// A function each new worker runs once before its first job (Python's
    /// `initializer`): open a connection, warm a cache. Replacement workers
    /// run it too. If it panics, the worker exits, and the job sent to it
    /// reports [`ProcError::WorkerDied`] with exit code 70.
    pub fn initializer(mut self, initializer: fn()) -> Self {
        self.initializer = Some(initializer);
        self
    }

    /// Replaces each worker with a fresh one after it has answered `jobs`
    /// jobs (Python's `maxtasksperchild`): a cure for jobs that leak memory.
    pub fn max_jobs_per_worker(mut self, jobs: usize) -> Self {
        self.max_jobs_per_worker = Some(jobs.max(1));
        self
    }

    /// The longest a job may run (counted from when its worker starts
    /// receiving it). A job that takes longer reports
    /// [`ProcError::Timeout`]; its worker is killed and replaced.
    pub fn job_timeout(mut self, limit: Duration) -> Self {
        self.job_timeout = Some(limit);
        self
    }

    /// Runs a job again, up to `retries` more times, when its worker dies
    /// under it ([`ProcError::WorkerDied`]). Only for jobs that are safe to
    /// run twice. Default 0.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// Forks the workers and starts the pool.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] for zero workers; any error of `pipe`,
    /// `fork` or thread creation. The workers already started are stopped
    /// and reaped first.
    pub fn build(self) -> io::Result<ProcessPool> {
        let workers = match self.workers {
            Some(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a process pool needs at least one worker",
                ))
            }
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
        };
        worker::install_panic_hook();
        let shared = Arc::new(Shared {
            state: Mutex::new(PoolState {
                queue: VecDeque::new(),
                phase: Phase::Running,
                workers: vec![
                    WorkerSlot {
                        pid: None,
                        state: WorkerState::Vacant,
                    };
                    workers
                ],
            }),
            work_available: Condvar::new(),
            quick_replies: Arc::new(QuickAnswers::new()),
            spinners: Spinners::new(usize::MAX),
            config: Config {
                workers,
                initializer: self.initializer,
                max_jobs_per_worker: self.max_jobs_per_worker,
                job_timeout: self.job_timeout,
                retries: self.retries,
            },
        });
        let mut pool = ProcessPool {
            shared,
            supervisors: Vec::with_capacity(workers),
        };
        // Each supervisor forks its own first worker and says whether that
        // worked. On error, dropping `pool` stops the workers started so far.
        let (started, reports) = std::sync::mpsc::channel();
        // The supervisors wait at a gate until all of them exist. One that
        // forked at once would take the core this thread needs to spawn the
        // next, and the last supervisor would start late (the trace and what
        // the gate saves: `docs/benchmarks/procpool.md`, "Pinning and
        // adaptive spinning"). The gate is a lock held for writing while
        // spawning; each supervisor takes it for reading first. Dropping the write guard opens it, on
        // the error path too (declared after `pool`, so dropped before it).
        let gate = RwLock::new(());
        let gate = Arc::new(gate);
        let closed = gate.write().unwrap_or_else(PoisonError::into_inner);
        for index in 0..workers {
            let shared = Arc::clone(&pool.shared);
            let started = started.clone();
            let gate = Arc::clone(&gate);
            let thread = std::thread::Builder::new()
                .name(format!("procpool-supervisor-{index}"))
                .spawn(move || {
                    drop(gate.read());
                    supervisor::supervise(shared, index, started);
                })?;
            pool.supervisors.push(thread);
        }
        drop(closed);
        drop(started);
        for report in reports.iter().take(workers) {
            report?;
        }
        Ok(pool)
    }
}

impl ProcessPool {
    /// Starts a pool of `workers` forked worker processes.
    ///
    /// # Errors
    ///
    /// As [`Builder::build`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = handspun::procpool::ProcessPool::new(2).unwrap();
    /// assert_eq!(pool.workers(), 2);
    /// ```
    pub fn new(workers: usize) -> io::Result<ProcessPool> {
        Self::builder().workers(workers).build()
    }

    /// A [`Builder`] with the defaults: one worker per core, no initializer,
    /// no recycling, no timeout, no retries.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// How many worker processes the pool runs.
    pub fn workers(&self) -> usize {
        self.shared.config.workers
    }

    /// The process ids of the workers alive right now (a worker being
    /// replaced is missing for a moment). For tests and monitoring.
    pub fn worker_pids(&self) -> Vec<i32> {
        self.shared
            .lock()
            .workers
            .iter()
            .filter_map(|slot| slot.pid)
            .collect()
    }

    /// Queues the call `f(arg)` on the pool and returns its [`Handle`].
    ///
    /// `f` must be a plain function (or a closure that captures nothing):
    /// what travels to the worker is its address and the encoded `arg`.
    /// Encoding happens here, in the calling thread; an argument postcard
    /// cannot encode yields a handle that reports [`ProcError::Encode`].
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::procpool::ProcessPool;
    ///
    /// let pool = ProcessPool::new(1).unwrap();
    /// let pid = pool.submit(|_: ()| std::process::id(), ()).join().unwrap();
    /// assert_ne!(pid, std::process::id()); // it ran in another process
    /// ```
    pub fn submit<A, R>(&self, f: fn(A) -> R, arg: A) -> Handle<R>
    where
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned + Send + 'static,
    {
        let frame = match job::encode_call(f, &arg) {
            Ok(frame) => frame,
            Err(error) => return Handle::failed(error),
        };
        let completion = Completion::new(Some(Arc::clone(&self.shared.quick_replies)));
        let target = Arc::clone(&completion);
        self.enqueue(frame, move |outcome| {
            target.complete(outcome.and_then(|reply| reply.decode::<R>()));
        });
        Handle::new(completion)
    }

    /// Applies `f` to every item on the pool and returns the results in
    /// input order (Python's `Pool.map`). Items travel in chunks of
    /// `chunksize` (0 counts as 1): one frame and one reply per chunk, which
    /// makes many tiny jobs cheap. A panic fails only its own item; a worker
    /// that dies fails every item of its chunk.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::procpool::ProcessPool;
    ///
    /// let pool = ProcessPool::new(2).unwrap();
    /// let results = pool.map(|x: i32| x + 1, 0..10, 4);
    /// let values: Vec<i32> = results.into_iter().map(Result::unwrap).collect();
    /// assert_eq!(values, (1..11).collect::<Vec<_>>());
    /// ```
    pub fn map<A, R>(
        &self,
        f: fn(A) -> R,
        items: impl IntoIterator<Item = A>,
        chunksize: usize,
    ) -> Vec<Result<R, ProcError>>
    where
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned + Send + 'static,
    {
        let chunksize = chunksize.max(1);
        let mut items = items.into_iter().peekable();
        let mut chunks = Vec::new();
        while items.peek().is_some() {
            let chunk: Vec<A> = items.by_ref().take(chunksize).collect();
            chunks.push((chunk.len(), self.submit_chunk(f, &chunk)));
        }
        let mut results = Vec::new();
        for (len, handle) in chunks {
            match handle.join() {
                Ok(values) => results.extend(
                    values
                        .into_iter()
                        .map(|value| value.map_err(ProcError::Panicked)),
                ),
                Err(error) => results.extend((0..len).map(|_| Err(error.clone()))),
            }
        }
        results
    }

    /// Applies `f` to every item on the pool, one job per item, and yields
    /// the results as the jobs finish (Python's `Pool.imap_unordered`). Every
    /// item is queued before the first result is yielded.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::procpool::ProcessPool;
    ///
    /// let pool = ProcessPool::new(2).unwrap();
    /// let mut squares: Vec<u32> = pool
    ///     .imap_unordered(|x: u32| x * x, 1..=4)
    ///     .map(Result::unwrap)
    ///     .collect();
    /// squares.sort();
    /// assert_eq!(squares, [1, 4, 9, 16]);
    /// ```
    pub fn imap_unordered<A, R>(
        &self,
        f: fn(A) -> R,
        items: impl IntoIterator<Item = A>,
    ) -> AsCompleted<R>
    where
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned + Send + 'static,
    {
        let handles: Vec<Handle<R>> = items.into_iter().map(|item| self.submit(f, item)).collect();
        as_completed(handles)
    }

    /// Takes no more jobs (Python's `Pool.close`). The jobs already queued
    /// still run; each supervisor that then finds the queue empty stops its
    /// worker at once, while the others finish their last jobs, rather than
    /// when the pool is dropped. Jobs submitted afterwards report
    /// [`ProcError::Closed`]. Dropping the pool still waits for every
    /// worker to be reaped.
    ///
    /// Closing right after the last submit shortens the end of a batch: the
    /// workers that run out of jobs first exit while the last ones still
    /// compute, and the last ones exit as soon as they reply, without
    /// waiting for the drop to wake their supervisors.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::procpool::{ProcError, ProcessPool};
    ///
    /// let pool = ProcessPool::new(2).unwrap();
    /// let four = pool.submit(|x: u32| x * 2, 2);
    /// pool.close();
    /// assert_eq!(four.join(), Ok(4)); // queued before close: it runs
    /// assert_eq!(pool.submit(|x: u32| x * 2, 3).join(), Err(ProcError::Closed));
    /// ```
    pub fn close(&self) {
        {
            let mut state = self.shared.lock();
            if state.phase == Phase::Running {
                state.phase = Phase::Draining;
            }
        }
        self.shared.work_available.notify_all();
    }

    /// Stops at once: jobs still queued report [`ProcError::Cancelled`],
    /// running workers are killed (their jobs report `Cancelled` too), and
    /// every worker is reaped before this returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::procpool::{ProcError, ProcessPool};
    ///
    /// fn forever(_: ()) -> u8 {
    ///     loop {
    ///         std::hint::spin_loop();
    ///     }
    /// }
    ///
    /// let pool = ProcessPool::new(1).unwrap();
    /// let never = pool.submit(forever, ());
    /// pool.shutdown_now();
    /// assert_eq!(never.join(), Err(ProcError::Cancelled));
    /// ```
    pub fn shutdown_now(self) {
        let cancelled: Vec<Job> = {
            let mut state = self.shared.lock();
            state.phase = Phase::Stopping;
            for pid in state.workers.iter().filter_map(|slot| slot.pid) {
                // `pid` is set only while the process is unreaped (see
                // `WorkerSlot::pid`), and we hold the lock, so it is ours.
                let _ = super::sys::send_signal(pid, libc::SIGKILL);
            }
            state.queue.drain(..).collect()
        };
        self.shared.work_available.notify_all();
        for job in cancelled {
            job.finish(Err(ProcError::Cancelled));
        }
        // Drop joins the supervisors, which reap the killed workers.
    }

    /// Queues one job frame with what to do with its outcome.
    fn enqueue(
        &self,
        frame: Vec<u8>,
        on_done: impl FnOnce(Result<ReplyBody, ProcError>) + Send + 'static,
    ) {
        let job = Job {
            frame,
            on_done: Box::new(on_done),
            retries_left: self.shared.config.retries,
        };
        let mut state = self.shared.lock();
        if state.phase != Phase::Running {
            drop(state);
            job.finish(Err(ProcError::Closed));
            return;
        }
        state.queue.push_back(job);
        // Tuning (`tuning/spin.rs`): a spinning supervisor takes it itself.
        let wake = self.shared.spinners.need_wake(state.queue.len());
        drop(state);
        if wake {
            self.shared.work_available.notify_one();
        }
    }

    /// Queues a `map` chunk; its handle yields one result per item.
    fn submit_chunk<A, R>(&self, f: fn(A) -> R, items: &[A]) -> Handle<Vec<Result<R, String>>>
    where
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned + Send + 'static,
    {
        let frame = match job::encode_chunk(f, items) {
            Ok(frame) => frame,
            Err(error) => return Handle::failed(error),
        };
        let completion = Completion::new(Some(Arc::clone(&self.shared.quick_replies)));
        let target = Arc::clone(&completion);
        self.enqueue(frame, move |outcome| {
            target.complete(outcome.and_then(|reply| reply.decode::<Vec<Result<R, String>>>()));
        });
        Handle::new(completion)
    }
}

impl Drop for ProcessPool {
    /// Finishes every queued job, then stops and reaps every worker.
    fn drop(&mut self) {
        self.close();
        for supervisor in self.supervisors.drain(..) {
            // A supervisor never panics on its own; if user decoding code
            // panicked in it, that job's handle already lost its result.
            let _ = supervisor.join();
        }
    }
}

impl std::fmt::Debug for ProcessPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessPool")
            .field("workers", &self.workers())
            .field("worker_pids", &self.worker_pids())
            .finish()
    }
}
