//! # The thread pool: a mutex, a condition variable, thread-locals — and a GIL to compare
//!
//! A thread pool keeps a few OS threads alive and feeds them jobs, so that a
//! program can run many small pieces of work in parallel without paying for
//! a new thread each time. This one is built from three standard parts:
//!
//! 1. **one queue behind a mutex**: every submitted job goes to the back of
//!    one `Mutex<VecDeque<Job>>`; every worker takes from the front;
//! 2. **a condition variable**: a worker that finds the queue empty sleeps
//!    on it, and a push wakes one sleeper;
//! 3. **thread-locals**: per-worker state such as "my HTTP session"
//!    ([`WorkerLocal`]) and "my worker index" ([`current_worker`]) live in
//!    the worker thread itself and need no lock at all.
//!
//! Each submitted job gets a [`Handle`]: `join()` blocks for the result,
//! `is_finished()` peeks, and the handle is a `std::future::Future`, so an
//! event-loop task can `.await` thread-pool work without blocking its loop
//! (asyncio's `run_in_executor`). On top: [`ThreadPool::map`] (input order),
//! [`as_completed()`] (finish order) and [`ThreadPool::scope`] (jobs that
//! borrow from the caller's stack).
//!
//! A fourth part is there for comparison only: the [`gil`] module emulates
//! CPython's global interpreter lock, so that the tutorial's result —
//! threads make CPU-bound Python *slower* — can be reproduced and explained.
//!
//! ## Where to read, in order
//!
//! 1. `queue.rs` — the shared queue, its invariants, and what its lock costs;
//! 2. `task.rs` — one job and its result slot in a single allocation, the
//!    small state machine `Queued → Running → Finished → Taken`;
//! 3. `worker.rs` — the worker loop (idle, busy, exited);
//! 4. `pool.rs` and `builder.rs` — starting, submitting, shutting down;
//! 5. `handle.rs` — join, poll, wake;
//! 6. `map.rs` — `map` with batching; `as_completed.rs` — finish order,
//!    with wakers;
//! 7. `scope.rs` — borrowed jobs, and why they get their own threads here;
//! 8. `worker_local.rs` — the "one session per thread" idiom;
//! 9. `gil.rs` — the GIL, and how it mirrors CPython's;
//! 10. `policy.rs` — the [`QueuePolicy`] trait: the contract between a
//!     pool and its queue, which the shared queue keeps one way and
//!     `stealing.rs` another (per-worker deques with stealing, for when the
//!     one lock is the bottleneck); a policy of your own plugs in the same
//!     way (`examples/lifo_pool.rs`).
//!
//! What the pool does only for speed — looking again for a moment before
//! sleeping, writing `map`'s results in place — is not here but in
//! [`tuning`](crate::tuning).
//!
//! ## What it costs
//!
//! The benches put the pool beside rayon and `std::thread::scope`
//! (`benches/threadpool.rs`; the figures, with the commands and the machine,
//! are in `docs/benchmarks/threadpool.md`). On the cpu workload
//! (`pool_map_coarse`, 20 jobs of a few milliseconds) the queue is touched 20
//! times and the lock costs nothing. On 100_000 additions
//! (`pool_tiny_tasks`) one job per addition would make the lock, the
//! allocation and the wake-up the whole bill, so
//! [`ThreadPool::map_shared`] hands each worker a few ranges of a shared
//! slice, and the caller runs unstarted batches itself while it waits
//! (`map.rs`). On 10_000 separately submitted jobs, each joined through its
//! own handle (`pool_fan_in`), every job pays for its allocation and two
//! trips through the lock. The second queue policy
//! ([`StealingQueues`]) runs beside the default in every bench
//! group.
//!
//! ## The rules the code keeps
//!
//! - **No user code under a lock.** Jobs run with no lock held; wakers are
//!   woken and closures dropped only after the guard is released.
//! - **A panicking job never kills its worker.** Every job runs inside
//!   `catch_unwind`; its panic becomes [`JobError::Panicked`] in its handle.
//! - **Shutting down.** Dropping the pool closes the queue, lets every
//!   queued job run and joins every worker. [`ThreadPool::shutdown_now`]
//!   instead cancels what has not started: those handles report
//!   [`JobError::Cancelled`].
//! - **No `unsafe`.** This module is `#![forbid(unsafe_code)]`. It costs
//!   one thing, explained where it happens: scoped jobs get their own
//!   helper threads (`scope.rs`). `map`'s batches write their results
//!   straight into the final vector, as rayon's do, through the one
//!   `unsafe` piece kept for speed in [`tuning`](crate::tuning)
//!   (`in_place.rs`).
//!
//! ## Example
//!
//! ```
//! use handspun::threadpool::{as_completed, ThreadPool};
//!
//! let pool = ThreadPool::new(2);
//!
//! // One job, one handle.
//! assert_eq!(pool.submit(|| 2 + 2).join(), Ok(4));
//!
//! // Many items, results in input order.
//! let squares: Vec<u64> = pool.map(|n: u64| n * n, 1..=4).map(Result::unwrap).collect();
//! assert_eq!(squares, vec![1, 4, 9, 16]);
//!
//! // Results in the order the jobs finish.
//! let handles = (0..3).map(|i| pool.submit(move || i));
//! assert_eq!(as_completed(handles).count(), 3);
//! ```

#![forbid(unsafe_code)]

mod as_completed;
mod builder;
mod error;
pub mod gil;
mod handle;
mod map;
mod policy;
mod pool;
mod queue;
mod scope;
mod stealing;
mod sync;
mod task;
mod worker;
mod worker_local;

pub use as_completed::{as_completed, AsCompleted};
pub use builder::Builder;
pub use error::JobError;
pub use handle::{Handle, ScopedHandle};
pub use map::{MapResults, BATCHES_PER_WORKER, ONE_JOB_PER_ITEM_UP_TO};
pub use policy::{QueuePolicy, QueuedJob, SharedQueue, StealingQueues};
pub use pool::ThreadPool;
pub use scope::Scope;
pub use worker::current_worker;
pub use worker_local::WorkerLocal;
