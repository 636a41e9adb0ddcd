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
//! On top sits a small HTTP/1.1 client and server ([`http`]), which makes the
//! I/O workload real, and the workloads themselves ([`workloads`]) with their
//! reports ([`report`]).
//!
//! ## Where to start reading
//!
//! Open `src/event_loop/mod.rs` first: it explains the loop in plain words,
//! then `task.rs`, `scheduler.rs` and `reactor.rs` in that order. The thread
//! pool (`src/threadpool/mod.rs`) and the process pool
//! (`src/procpool/mod.rs`) stand alone and can be read in any order.
//!
//! ## Module map
//!
//! ```text
//! report ──► workloads ──► http ──► event_loop
//!                 ├──────────────────► threadpool
//!                 └──────────────────► procpool
//! ```
//!
//! The three runtimes never import one another. A pool's job handle is a
//! plain `std::future::Future`, so an event-loop task can await it through
//! ordinary wakers without either side knowing the other.

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

pub mod event_loop;
pub mod http;
pub mod procpool;
pub mod report;
pub mod threadpool;
pub mod workloads;
