//! A work-stealing runtime: N worker threads share the tasks of one
//! program, and an idle worker takes work from a busy one.
//!
//! Read this after [`event_loop`](crate::event_loop): the task, the waker,
//! the reactor and the timers are the same ideas, now shared by threads.
//!
//! ## The idea in plain words
//!
//! One thread per core, each running the single loop's turn: take a ready
//! task, poll it, repeat. What is new is *which* ready task each thread
//! takes, now that a task may run on any of them.
//!
//! - Each worker has its **own queue** of ready tasks. A task spawned or
//!   woken by the task running on a worker goes to that worker's queue: no
//!   other thread is involved, and the task's data is still in that core's
//!   cache. A task woken by a message from the task just polled goes into a
//!   one-task **LIFO slot**, so it runs next, while the message is hot.
//! - Tasks from outside the workers (the thread in `block_on`, another
//!   thread through a [`Handle`], a wake from a thread pool) go into one
//!   shared **injection queue**.
//! - A worker whose queue is empty takes from the injection queue, and else
//!   **steals half** of another worker's queue. Work flows from the busy to
//!   the idle without anyone handing it out.
//! - A worker that finds nothing **sleeps**. Queuing a task wakes a sleeper
//!   only when no worker is already searching for work (and, for a
//!   worker's own queue, only for the first task of an empty ring), and at
//!   most half of the workers search at once: enough hands to spread a
//!   burst of work, without every sleeper waking for every task.
//!
//! ```text
//!            spawn from outside / remote wake
//!                          │
//!                          ▼
//!               ┌────────────────────┐
//!               │  injection queue   │ (mutex)
//!               └─────────┬──────────┘
//!   pop when own queue is empty, and every GLOBAL_QUEUE_INTERVAL turns
//!            ┌────────────┴────────────┐
//!            ▼                         ▼
//!   worker 0                     worker 1
//!   [LIFO] [t5 t6 t7 t8]  ──steal half──►  [t5 t6]   (worker 1 was idle)
//!    ▲  wake from a task       ▲ spawn / yield from a task on worker 0
//! ```
//!
//! A task that never yields holds its worker, but only that one: its
//! worker's queued tasks are stolen by the others, and timers and sockets
//! are served by whichever worker sleeps (`reactor.rs`).
//!
//! ## Where to read next
//!
//! 1. `state.rs` — a task's state in one atomic word: how many threads can
//!    race to wake, run and abort one task, and exactly one wins.
//! 2. `task.rs` and `join.rs` — the task allocation, its waker, and
//!    [`JoinHandle`].
//! 3. `local_queue.rs` and `inject.rs` — the two kinds of run queue, the
//!    LIFO slot, and "steal half".
//! 4. `idle.rs` and `park.rs` — who sleeps, who searches, and why no wake-up
//!    is lost; `loom_tests.rs` model-checks these four files.
//! 5. `worker.rs` — the loop every worker runs.
//! 6. `runtime.rs` — what the workers share, the one place a task is queued,
//!    shutdown; [`Runtime`], [`Builder`], [`Handle`].
//! 7. `reactor.rs`, `timers.rs`, `time.rs`, `net.rs` — one `epoll` for all
//!    workers, driven by whichever worker sleeps; sleeping and TCP.
//! 8. `context.rs`, `block_on.rs`, `sync.rs` — the thread-local "which
//!    runtime am I in", running a future on the caller's thread, and the
//!    `std`/`loom` switch.
//! 9. Tuning, off the reading path (each file says what it buys):
//!    `waker_ref.rs` — a poll lends the task's reference to its waker
//!    instead of cloning it; `padded.rs` — values written by different
//!    workers kept on cache lines of their own.
//!
//! The single loop's [`yield_now`](crate::event_loop::yield_now) and its
//! [`channel`](crate::event_loop::channel)s work here unchanged (they only
//! use wakers), and so does its [`JoinError`](crate::event_loop::JoinError).
//!
//! ## Example
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use std::sync::Arc;
//! use handspun::stealing::{self, Runtime};
//!
//! let rt = Runtime::builder().workers(2).build().unwrap();
//! let count = Arc::new(AtomicUsize::new(0));
//! rt.block_on({
//!     let count = count.clone();
//!     async move {
//!         let tasks: Vec<_> = (0..100)
//!             .map(|_| {
//!                 let count = count.clone();
//!                 stealing::spawn(async move {
//!                     handspun::event_loop::yield_now().await;
//!                     count.fetch_add(1, Ordering::Relaxed);
//!                 })
//!             })
//!             .collect();
//!         for task in tasks {
//!             task.await.unwrap();
//!         }
//!     }
//! });
//! assert_eq!(count.load(Ordering::Relaxed), 100);
//! ```
//!
//! ## Where this differs from tokio's multi-thread runtime
//!
//! The plan is tokio's, down to its constants (the local queue's capacity,
//! the LIFO slot and its cap, the injection queue checked every
//! `GLOBAL_QUEUE_INTERVAL` turns, steal half, at most half the workers
//! searching, the reactor driven by a sleeping worker). The differences:
//!
//! - **Locks instead of lock-free queues.** Our local queue is a `VecDeque`
//!   behind a mutex that only its owner and a thief take; tokio's is a
//!   fixed ring where the owner writes the tail and thieves claim the head
//!   with one compare-and-swap. Our injection queue and task registry are
//!   also plain mutexes.
//! - **The LIFO slot can be stolen.** In tokio it cannot, so a task woken
//!   into the slot of a worker that then blocks waits with it. Here a thief
//!   takes the slot when the ring is empty.
//! - **A ring is announced once.** tokio asks the idle word whether to wake
//!   a sleeper on every push to a local queue, and keeps yields off that
//!   path by deferring their wake-ups until the worker's queue runs dry or
//!   its periodic maintenance. Here a worker's push asks only when its ring
//!   was empty (`idle.rs`), which covers spawns and yields alike.
//! - **Handing the reactor over.** A worker leaving the reactor while
//!   timers or sockets are registered wakes another sleeper to take it, so
//!   timers keep firing while it runs a never-yielding task.
//! - **Task memory.** An `Arc` with a state word, a mutex around the future
//!   and one around the output; tokio packs state and reference count in
//!   one word and hand-writes the vtable (we hand-write only the waker's,
//!   `waker_ref.rs`).
//! - **`block_on` does not drive the reactor**, and there is no
//!   blocking-task pool (`spawn_blocking`), no cooperative budget, no
//!   per-task metrics.
//!
//! The benchmarks (`benches/multi.rs`) and what they show are in
//! `docs/multi_thread.md`.

mod block_on;
mod context;
mod idle;
mod inject;
mod join;
mod local_queue;
#[cfg(all(test, loom))]
mod loom_tests;
mod owned;
mod padded;
mod park;
mod reactor;
mod runtime;
mod state;
mod sync;
mod task;
mod time;
mod timers;
mod waker_ref;
mod worker;

pub mod net;

use std::future::Future;

pub use self::join::JoinHandle;
pub use self::runtime::{Builder, Handle, Runtime};
pub use self::time::{sleep, sleep_until, Sleep};

/// Spawns a task on the runtime this thread is in (one of its tasks, or its
/// `block_on`).
///
/// # Panics
///
/// Outside a stealing runtime.
///
/// # Examples
///
/// ```
/// use handspun::stealing::{self, Runtime};
///
/// let rt = Runtime::builder().workers(2).build().unwrap();
/// let n = rt.block_on(async {
///     stealing::spawn(async { stealing::spawn(async { 7 }).await.unwrap() })
///         .await
///         .unwrap()
/// });
/// assert_eq!(n, 7);
/// ```
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    context::expect_current("spawn").spawn(future)
}
