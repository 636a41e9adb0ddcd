//! A process pool: worker processes made with `fork`, fed jobs through pipes.
//!
//! # The idea
//!
//! Threads share one address space, so one misbehaving job can corrupt or
//! crash them all, and (in CPython) one lock serialises them. Processes
//! share nothing: each worker is a separate copy of the program, with its own
//! memory, that can crash alone. The price is that nothing can be *shared* —
//! a job and its result must be turned into bytes, sent through a pipe, and
//! turned back. That is what Python's `multiprocessing.Pool` does, and what
//! this module does by hand:
//!
//! ```text
//!  caller ── submit(f, arg) ──► queue ──► supervisor thread ══ job pipe ══► worker process
//!     ▲                                        │             ◄═ reply pipe ═╝  (a fork of us)
//!     └──────── Handle::join / .await ◄────────┘
//! ```
//!
//! 1. [`ProcessPool::submit`] encodes the job — the address of a plain
//!    function `fn(A) -> R` and its argument, encoded with postcard — into a
//!    length-prefixed frame, queues it and returns a [`Handle`].
//! 2. A supervisor thread (one per worker) takes the frame, writes it down the
//!    worker's job pipe and waits for the reply frame on the reply pipe.
//! 3. The worker, a `fork` of this very process, reads the frame, calls the
//!    function (catching any panic), and writes the encoded result back.
//! 4. The supervisor decodes the result and completes the handle: `join`
//!    returns, or the task awaiting the handle is woken.
//!
//! Each arrow is a hand-off between threads or processes, and each waiter
//! simply sleeps until its turn: on the condition variable, in `read`, in
//! `poll`.
//!
//! One thing is done only for speed, and lives in [`crate::tuning`], off
//! the reading path: each waiter looks again for a few microseconds before
//! it sleeps, so a tiny job's four hand-offs need not be four wake-ups
//! (`tuning/spin.rs`; the waits for a reply or a result do so only while
//! replies have been coming that fast). It is a single call in the files
//! below.
//!
//! # Never lose a job
//!
//! Every job ends in exactly one result, whatever happens to its worker:
//!
//! - a job that panics is caught in the worker: [`ProcError::Panicked`], and
//!   the worker takes the next job;
//! - a worker that aborts, segfaults, exits or is killed mid-job closes its
//!   pipes as the kernel tears it down: the supervisor reads end of file,
//!   reaps it with `waitpid` (so no zombie is left) and reports
//!   [`ProcError::WorkerDied`] with the signal or exit code — or sends the job
//!   again, if [`Builder::retries`] allows — then forks a replacement;
//! - a job that outlives [`Builder::job_timeout`] gets its worker killed:
//!   [`ProcError::Timeout`], and a replacement is forked;
//! - dropping the pool, or [`ProcessPool::close`], finishes the queue (a job
//!   submitted after `close` reports [`ProcError::Closed`]);
//!   [`ProcessPool::shutdown_now`] kills the workers and cancels the rest:
//!   [`ProcError::Cancelled`].
//!
//! Every child is reaped by the supervisor that forked it, and only after its
//! pid has been cleared from the shared state, so nobody ever signals a pid
//! that was reaped and reused. Every worker closes every descriptor it
//! inherited except its own two pipe ends (`close_range`), so no pipe of
//! another worker — or of another pool — is held open by the wrong process
//! and hides the end of file that reports a death. All pipes are
//! close-on-exec as well, for programs the parent `exec`s.
//!
//! # Forking a process that has threads
//!
//! `fork` copies the whole memory but only the calling thread. A lock that
//! another thread held at that instant is copied *locked*, and nobody in the
//! child will ever unlock it: the child hangs the first time it takes it.
//! The parent here always has threads (the supervisors, the caller's, the
//! test harness's), so this is not a corner case.
//!
//! The strategy: **the worker's own path touches no lock another thread
//! could hold** (`worker.rs` lists the rules). Right after `fork` the child
//! closes the descriptors it does not own, then only uses raw `read`/`write`
//! on its two pipes, allocates (glibc's `malloc` is made fork-safe by its own
//! `atfork` handlers), never prints through std's `stdout`/`stderr` locks
//! (a panic hook installed in the parent keeps workers silent; the panic
//! message travels back in [`ProcError::Panicked`]), and ends with `_exit`,
//! never running the parent's destructors. The test
//! `tests/procpool_fork_safety.rs` forks and re-forks workers while other
//! threads hold a `Mutex`, print in a loop and allocate in a loop, and fails
//! if anything hangs.
//!
//! The limit, stated plainly: the *job's* code runs in the child too. A job
//! that takes a lock some parent thread held at fork time (a global `Mutex`,
//! or `stdout` through `println!` while another thread prints) can hang; a
//! [`Builder::job_timeout`] turns that into a [`ProcError::Timeout`]. The
//! alternative, Python's `forkserver`, forks workers from a helper process
//! started while the program still has one thread; a library cannot promise
//! that moment (the test harness, for one, starts threads before any test
//! runs), which is why this pool does not rely on it.
//!
//! # Why a function *address* may cross the pipe
//!
//! Because every worker is a `fork` of the parent, never a program started
//! with `exec`: the same code sits at the same addresses in both, so the
//! parent can send `f as usize` and the worker can call it. See `job.rs` for
//! the full argument; it is the reason this pool only works with `fork`.
//!
//! # Reading order
//!
//! 1. `pool.rs` — [`ProcessPool`], [`Builder`]: the public API;
//! 2. `handle.rs` — [`Handle`], [`as_completed`]: waiting for results;
//! 3. `job.rs` — what a job and a reply look like on the wire;
//! 4. `frame.rs` — length-prefixed frames over pipes, with deadlines;
//! 5. `supervisor.rs` — the parent thread that feeds one worker and replaces
//!    it when it dies; `shared.rs` — the state supervisors share;
//! 6. `process.rs` — forking, talking to and reaping one worker;
//! 7. `worker.rs` — the child's side, and the rules of a forked child;
//! 8. `sys.rs` — every OS call, behind one error-mapping macro;
//! 9. `error.rs` — [`ProcError`].
//!
//! # Limits and shortcuts, stated plainly
//!
//! - Linux only: it uses `close_range`, `pipe2`, `PR_SET_PDEATHSIG` and
//!   glibc's fork-safe `malloc`.
//! - A worker holds **no descriptor of the parent** but stdin, stdout and
//!   stderr. A file, socket or connection pool the parent opened before the
//!   fork is a dead number in the worker: open such things *inside* the job
//!   or the [`Builder::initializer`] (e.g. one HTTP session per worker,
//!   built lazily in a `static` of the worker's own memory).
//! - Workers are killed (`SIGKILL`) when the supervisor thread that forked
//!   them ends, so no worker outlives the pool's process, even one that is
//!   killed itself.
//! - Writing to a dead worker's pipe must fail with `EPIPE` rather than kill
//!   the parent with `SIGPIPE`: Rust programs ignore `SIGPIPE` from `main`
//!   on, which this relies on. A C program embedding the library must do
//!   the same.
//! - One supervisor thread per worker, and one job in flight per worker.
//!   Production pools (and Python's) send several jobs ahead to hide the
//!   round trip; here [`ProcessPool::map`]'s `chunksize` plays that role.
//!
//! # Examples
//!
//! ```
//! use handspun::procpool::{ProcError, ProcessPool};
//!
//! fn cpu_bound(n: u64) -> u64 {
//!     (0..n).fold(0u64, |sum, i| sum.wrapping_add(i * i))
//! }
//!
//! fn crash(_: ()) -> u8 {
//!     std::process::abort()
//! }
//!
//! let pool = ProcessPool::new(2).unwrap();
//! assert_eq!(pool.submit(cpu_bound, 4).join(), Ok(14));
//! assert!(matches!(
//!     pool.submit(crash, ()).join(),
//!     Err(ProcError::WorkerDied { signal: Some(6), .. })
//! ));
//! assert_eq!(pool.submit(cpu_bound, 4).join(), Ok(14)); // a new worker took over
//! ```

mod error;
mod frame;
mod handle;
mod job;
mod pool;
mod process;
mod shared;
mod supervisor;
mod sys;
mod worker;

pub use error::ProcError;
pub use handle::{as_completed, AsCompleted, Handle};
pub use pool::{Builder, ProcessPool};
pub use worker::current_worker;
