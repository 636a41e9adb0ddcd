//! # handspun — concurrency runtimes built by hand
//!
//! handspun answers one question with running code and measured numbers:
//! *what does each concurrency model really buy you?* Three runtimes, all
//! written here from first principles, run the same workloads side by side:
//!
//! - [`event_loop`]: a cooperative, single-threaded event loop over `mio`.
//!   Tasks are futures; a task is *ready* (queued), *waiting* (parked on I/O,
//!   a timer or a channel) or *done*; the oldest ready task runs next, and the
//!   policy is a pluggable [`event_loop::Scheduler`].
//! - [`threadpool`]: a pool of OS threads sharing one queue behind a mutex
//!   and a condition variable, with per-worker state in thread-locals.
//! - [`procpool`]: a pool of `fork`ed worker processes talking over pipes.
//!
//! Beside the loop, [`sim`] runs the same async code on a simulated loop
//! (virtual time, seeded schedules) to find and replay concurrency bugs.
//! Two runtimes run the same kind of tasks on every core (read them after
//! `event_loop`): [`stealing`], with per-worker queues, an injection queue,
//! and idle workers stealing half of a busy one's queue; and [`per_core`],
//! one unchanged `event_loop` per core, where a task never moves.
//!
//! On top sits a small HTTP/1.1 client and server ([`http`]), which makes the
//! I/O workload real, and the workloads themselves ([`workloads`]) with their
//! reports ([`report`]).
//!
//! ## Where to start reading
//!
//! Open `src/event_loop/mod.rs` first: it explains the loop in plain words
//! and gives the order to read its files (`task.rs`, `scheduler.rs`,
//! `core.rs`, `waker.rs`, `reactor.rs`, ...). The thread pool
//! (`src/threadpool/mod.rs`) and the process pool (`src/procpool/mod.rs`)
//! stand alone and can be read in any order; each `mod.rs` names its files in
//! reading order too. `src/http/mod.rs` shows one HTTP message core serving a
//! blocking client, an async client and the server; `src/workloads/mod.rs`
//! runs the tutorial's experiment on all of them. The README's tour maps each
//! idea of the tutorial to a file and an example.
//!
//! ## One example: the three runtimes meet
//!
//! An event-loop task awaits work running on the thread pool and on the
//! process pool, through nothing but `std::future::Future` and its wakers:
//!
//! ```
//! use handspun::event_loop::{self, EventLoop};
//! use handspun::procpool::ProcessPool;
//! use handspun::threadpool::ThreadPool;
//!
//! fn square(x: u64) -> u64 {
//!     x * x
//! }
//!
//! let threads = ThreadPool::new(2);
//! let processes = ProcessPool::new(2).unwrap();
//! let mut ev = EventLoop::new().unwrap();
//!
//! let total = ev.block_on(async {
//!     // The thread pool computes while the loop keeps running other tasks.
//!     let on_a_thread = threads.submit(|| square(3));
//!     // A forked worker process computes `square(4)`.
//!     let in_a_process = processes.submit(square, 4);
//!     // A task of the loop itself: sleeps without blocking the thread.
//!     let on_the_loop = event_loop::spawn(async {
//!         event_loop::sleep(std::time::Duration::from_millis(1)).await;
//!         square(5)
//!     });
//!     on_a_thread.await.unwrap() + in_a_process.await.unwrap() + on_the_loop.await.unwrap()
//! });
//! assert_eq!(total, 9 + 16 + 25);
//! ```
//!
//! ## Module map
//!
//! ```text
//! report ──► workloads ──┬──► http ──┬──► event_loop
//!                        │           └──► stealing ──► event_loop
//!                        ├──► stealing       (its channels, JoinError)
//!                        ├──► threadpool
//!                        └──► procpool
//! per_core ──► event_loop, http      sim ──► event_loop      lab ──► sim
//! ```
//!
//! `http` runs on either async runtime through one small trait
//! (`http/runtime.rs`).
//!
//! The three runtimes of the experiment (the loop and the two pools) never
//! import one another; the multi-threaded loops are built from the single
//! loop's pieces. A pool's job handle is a
//! plain `std::future::Future`, so an event-loop task can await it through
//! ordinary wakers without either side knowing the other. What the pools do
//! only for speed — spinning briefly before they sleep, results written in
//! place — lives apart from their lessons, in [`tuning`].

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

pub mod event_loop;
pub mod http;
pub mod lab;
pub mod per_core;
pub mod procpool;
pub mod report;
pub mod sim;
pub mod stealing;
pub mod threadpool;
pub mod tuning;
pub mod workloads;
