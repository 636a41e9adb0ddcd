//! `Scope`: jobs that borrow from the caller's stack, all joined before `scope` returns.
//!
//! A job given to [`ThreadPool::submit`](super::ThreadPool::submit) must be
//! `'static`: the pool may run it at any time, so it cannot point into a
//! stack frame that may be gone by then. A scope makes a promise the
//! compiler can check instead — *every job spawned in here finishes before
//! `scope` returns* — so jobs may borrow anything that outlives the call
//! (`'env`).
//!
//! Where scoped jobs run, and what happens to their panics, is told on
//! [`Scope`] itself.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use super::builder::Config;
use super::gil::allow_threads;
use super::handle::ScopedHandle;
use super::queue::{Job, JobQueue};
use super::sync::lock;
use super::task::Task;
use super::worker::run_scope_helper;

/// Lets jobs spawned with [`Scope::spawn`] borrow data that lives for `'env`.
/// Made by [`ThreadPool::scope`](super::ThreadPool::scope).
///
/// # Where scoped jobs run, and why
///
/// Running borrowed jobs on the pool's long-lived workers needs the queue to
/// hold non-`'static` closures, which the type system cannot prove safe
/// (the workers outlive the borrow); rayon's `scope` erases the lifetime
/// with `unsafe` and relies on joining before returning. This module
/// forbids `unsafe`, so a scope borrows the pool's *configuration* instead
/// of its threads: it runs its own queue with as many helper threads as the
/// pool has workers, started with `std::thread::scope` (whose
/// join-before-return the compiler does check), honouring the pool's thread
/// names, stack size and GIL. The price is starting those threads, tens of
/// microseconds per scope. Helper threads are not pool workers:
/// [`current_worker`](super::current_worker) is `None` on them and
/// [`WorkerLocal`](super::WorkerLocal) values built there die with them.
///
/// # Panics
///
/// A job's panic is caught and reported through its [`ScopedHandle`] as
/// [`JobError::Panicked`](super::JobError::Panicked), as for pool jobs.
/// Nothing is lost if nobody asks: after every job has finished, `scope`
/// panics if some job panicked and its handle was never joined (the
/// behaviour of `std::thread::scope`). If the body itself panics, `scope`
/// still waits for every job, then resumes that panic.
pub struct Scope<'env> {
    /// The scope's own queue, served by its helper threads; closed when the
    /// body returns.
    queue: JobQueue<'env>,
    /// Every job spawned, kept so that unseen panics can be found at the
    /// end. Guarded by its own lock; only pushed to, then read once all
    /// helper threads have exited.
    spawned: Mutex<Vec<Job<'env>>>,
}

impl<'env> Scope<'env> {
    /// Queues `job`, which may borrow data living for `'env`, and returns a
    /// handle to its result.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::threadpool::ThreadPool;
    ///
    /// let pool = ThreadPool::new(2);
    /// let numbers: Vec<u64> = (1..=100).collect();
    /// let (low, high) = numbers.split_at(50);
    /// let sum: u64 = pool.scope(|s| {
    ///     let left = s.spawn(move || low.iter().sum::<u64>());
    ///     let right = s.spawn(move || high.iter().sum::<u64>());
    ///     left.join().unwrap() + right.join().unwrap()
    /// });
    /// assert_eq!(sum, 5050);
    /// ```
    pub fn spawn<F, R>(&self, job: F) -> ScopedHandle<'env, R>
    where
        F: FnOnce() -> R + Send + 'env,
        R: Send + 'env,
    {
        let task = Arc::new(Task::new(job));
        let runnable: Job<'env> = task.clone();
        lock(&self.spawned).push(Arc::clone(&runnable));
        if let Err(refused) = self.queue.push(runnable) {
            // Only possible if a job outlives the body through a smuggled
            // `&Scope`, which the signature forbids; cancel to stay total.
            refused.cancel();
        }
        ScopedHandle::new(task)
    }
}

/// Closes the scope's queue when dropped, so helper threads exit even if the
/// body panics.
struct CloseOnDrop<'q, 'env>(&'q JobQueue<'env>);

impl Drop for CloseOnDrop<'_, '_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Runs `body` with a fresh scope served by `config.workers` helper threads.
pub(crate) fn run_scope<'env, S, R>(config: &Config, body: S) -> R
where
    S: FnOnce(&Scope<'env>) -> R,
{
    let scope = Scope {
        queue: JobQueue::new(),
        spawned: Mutex::new(Vec::new()),
    };
    let outcome = std::thread::scope(|threads| {
        let close = CloseOnDrop(&scope.queue);
        let mut helpers = Vec::with_capacity(config.workers);
        for index in 0..config.workers {
            let mut thread =
                std::thread::Builder::new().name(format!("{}-scope-{index}", config.thread_name));
            if let Some(bytes) = config.stack_size {
                thread = thread.stack_size(bytes);
            }
            let queue = &scope.queue;
            let gil = config.gil;
            let helper = thread
                .spawn_scoped(threads, move || run_scope_helper(queue, gil))
                .expect("could not spawn a scope helper thread");
            helpers.push(helper);
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| body(&scope)));
        drop(close);
        // Wait for the helpers with the GIL released: they may need it.
        allow_threads(|| {
            for helper in helpers {
                // Helpers never panic: job panics are caught in the task.
                let _ = helper.join();
            }
        });
        outcome
    });
    let result = match outcome {
        Ok(result) => result,
        Err(payload) => resume_unwind(payload),
    };
    let unseen: Vec<String> = lock(&scope.spawned)
        .iter()
        .filter_map(|job| job.unobserved_panic())
        .collect();
    if let Some(first) = unseen.first() {
        panic!(
            "{} scoped job(s) panicked and their handles were never joined; the first said: {first}",
            unseen.len()
        );
    }
    result
}
