//! A thread-per-core runtime: N independent single-threaded loops, one per
//! core, sharing nothing; a task never moves.
//!
//! Read this after [`event_loop`](crate::event_loop), and beside
//! [`stealing`](crate::stealing): the two answers production runtimes give
//! to "how do I use every core?".
//!
//! ## The idea in plain words
//!
//! Take the single loop, and run N of them — each on its own thread, each
//! pinned to its own CPU where the kernel allows. That is all: every loop
//! is the unchanged [`EventLoop`](crate::event_loop::EventLoop), with its
//! own ready queue, its own `epoll`, its own timers. A task is spawned onto
//! one loop ([`Runtime::spawn_on`], or [`Runtime::spawn`] round robin) and
//! runs there until it ends: no other thread ever touches it, so its future
//! need not be `Send`, and nothing is locked on its way.
//!
//! Work comes in from outside in two ways:
//!
//! - **Spawns from another thread** go through the target loop's *inbox*
//!   (`inbox.rs`): a job ("build this future, spawn it") is pushed under a
//!   mutex and the loop is woken through the single loop's own remote-wake
//!   path (an `eventfd` that ends its `epoll_wait`).
//! - **Connections**: each loop has its own listening socket on the same
//!   port (`SO_REUSEPORT`, `reuseport.rs`), and the kernel spreads incoming
//!   connections over them. A connection is accepted, served and closed by
//!   one loop.
//!
//! ```text
//!  any thread ─ spawn_on(0) ─► [inbox 0]        [inbox 1] ◄─ spawn_on(1) ─ any thread
//!                                  │ eventfd  eventfd │
//!                                  ▼                  ▼
//!                     ┌──────────────────┐  ┌──────────────────┐
//!                     │ loop 0 — CPU 0   │  │ loop 1 — CPU 1   │
//!                     │ ready queue,     │  │ ready queue,     │
//!                     │ epoll, timers    │  │ epoll, timers    │
//!                     │ listener 0 :P    │  │ listener 1 :P    │
//!                     └──────────────────┘  └──────────────────┘
//!                                  ▲                  ▲
//!                                  └───── kernel ─────┘
//!                          (SO_REUSEPORT: a hash picks one)
//!                                         ▲
//!                                      clients
//!
//!         nothing is shared between the loops; a task never moves
//! ```
//!
//! That is the model of nginx's worker processes (one event loop each,
//! one listener each with `reuseport`), of glommio, and of seastar. The
//! price is the other side of "never moves": if one loop gets the heavy
//! connections or a task that computes without yielding, its tasks wait
//! while the other cores idle — nobody steals. The work-stealing runtime
//! pays for moving tasks (atomics, `Send`, shared queues) to avoid exactly
//! that. `docs/multi_thread.md`, "Thread per core", compares the two.
//!
//! ## Where to read next
//!
//! 1. `runtime.rs` — [`Runtime`], [`Builder`], [`Handle`]: starting the
//!    loops, `spawn_on` and round-robin `spawn`, `block_on`, shutdown.
//! 2. `inbox.rs` — how a spawn from another thread reaches a loop and wakes
//!    it; `context.rs` — the thread-local "which loop am I".
//! 3. `task.rs` and `join.rs` — the wrapper each task runs in, and
//!    [`JoinHandle`], awaitable from any thread.
//! 4. `affinity.rs` — pinning a loop to a CPU, and [`Pinning`], which says
//!    when the kernel refused.
//! 5. `reuseport.rs` — one listening socket per loop on the same port.
//! 6. `serve.rs` — `handspun serve --runtime per-core`: the slow-site server
//!    on every loop.
//!
//! Inside a task, the single loop's API is the API: `event_loop::spawn`
//! (the new task stays on this loop), `event_loop::sleep`, its channels and
//! sockets. Its channels also work between loops (their ends are `Send`).
//!
//! ## Example
//!
//! ```
//! use handspun::event_loop;
//! use handspun::per_core::{self, Runtime};
//!
//! let rt = Runtime::builder().loops(2).build().unwrap();
//! let on_one = rt
//!     .spawn_on(1, || async {
//!         // Spawned from inside: stays on loop 1.
//!         let child = event_loop::spawn(async { per_core::current_loop() });
//!         child.await.unwrap()
//!     })
//!     .unwrap();
//! assert_eq!(on_one.join(), Ok(Some(1)));
//! println!("{:?}", rt.pinning()); // pinned, or why not
//! rt.shutdown();
//! ```
//!
//! ## Where this differs from tokio and glommio
//!
//! - **tokio** has no thread-per-core runtime; the nearest is N
//!   current-thread runtimes, or `tokio_util`'s `LocalPoolHandle` with its
//!   `spawn_pinned` (a `Send` closure that builds a `!Send` future on one
//!   of N threads, as [`Runtime::spawn_on`] does). It does not pin threads
//!   or open per-thread listeners for you.
//! - **glommio** gives each executor its own `io_uring` rings instead of
//!   `epoll`, lets a program place executors on CPUs by topology (NUMA
//!   node, core, hyper-thread), has task queues with shares inside each
//!   executor, and channels built for crossing executors (bounded SPSC
//!   rings). We have one `epoll` per loop, pin loop `i` to the `i`-th
//!   allowed CPU, and reuse the single loop's queue, policies and channels.
//! - **Spawning from outside** takes a mutex and, if the loop sleeps, an
//!   `eventfd` write; glommio and seastar pass such messages through
//!   lock-free rings each loop polls.

pub mod affinity;
mod context;
mod inbox;
mod join;
mod reuseport;
mod runtime;
pub mod serve;
mod task;

pub use self::affinity::{allowed_cpus, Pinning};
pub use self::join::JoinHandle;
pub use self::reuseport::bind_reuseport;
pub use self::runtime::{Builder, Handle, NoSuchLoop, Runtime};

/// The index of the per-core loop running the calling thread, or `None` on
/// any other thread.
///
/// # Examples
///
/// ```
/// use handspun::per_core::{self, Runtime};
///
/// let rt = Runtime::builder().loops(2).pin(false).build().unwrap();
/// assert_eq!(per_core::current_loop(), None);
/// let on = rt.spawn_on(1, || async { per_core::current_loop() }).unwrap();
/// assert_eq!(on.join(), Ok(Some(1)));
/// ```
pub fn current_loop() -> Option<usize> {
    context::current().map(|(_, index)| index)
}
