//! The worker: what a forked child does from its first instruction to its
//! `_exit`.
//!
//! ```text
//! forked
//!   ├─ die with the parent (PR_SET_PDEATHSIG); name itself procpool-w<index>
//!   ├─ close every descriptor but stdio and its two pipe ends
//!   ├─ run the initializer, if any (a panic ends the worker: exit status 70)
//!   └─ loop: read a job frame ─► run it (panics caught) ─► write the reply
//!      until end of file on the job pipe (the pool is done with us) ─► _exit(0)
//! ```
//!
//! # The rules of a forked child
//!
//! The child of a multi-threaded parent has one thread and a copy of memory
//! in which locks held by the parent's *other* threads stay locked for ever.
//! So the worker's own path touches no lock such a thread could hold:
//!
//! - it moves bytes with raw `read`/`write` on its own pipe descriptors
//!   ([`sys`]), never through `std::io::stdout`/`stderr` (their locks may be
//!   held by a parent thread that was printing);
//! - it never prints: a panic in a job is caught and sent back as text, and
//!   the panic hook installed by [`install_panic_hook`] stays silent inside
//!   workers;
//! - it allocates freely: glibc's `malloc` takes all its arena locks around
//!   `fork` (its `pthread_atfork` handlers), so the child's heap is consistent
//!   and unlocked;
//! - while it looks for its next job before sleeping (`tuning/spin.rs`) it
//!   only calls `poll`, `sched_yield` and the lock-free clock;
//! - it ends with `_exit`, never returning into the code that forked it and
//!   never running the parent's destructors or `atexit` handlers.
//!
//! The limit: the *user's* job code runs in the child too. A job that takes a
//! lock another parent thread held at the moment of the fork (a global
//! `Mutex`, `stdout` in a `println!`) waits for ever; the job's timeout
//! ([`Builder::job_timeout`](super::Builder::job_timeout)) is the safety net.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::panic::{self, catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Once;

use super::{frame, job, sys};
use crate::tuning::spin::spin_then_sleep;

/// Exit status of a worker whose initializer panicked.
pub(crate) const EXIT_INITIALIZER_PANICKED: i32 = 70;
/// Exit status of a worker that failed to talk to its parent.
const EXIT_PIPE_ERROR: i32 = 71;

/// True only in a forked worker process (set right after `fork`, in the
/// child). A plain atomic, not a thread-local: it needs no lazy set-up,
/// which could take a lock, and the child has a single thread anyway.
static IN_WORKER: AtomicBool = AtomicBool::new(false);

/// This worker's slot index in its pool; `usize::MAX` outside workers.
static WORKER_INDEX: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The index (0..workers) of the pool worker this code runs in, or `None`
/// in the parent process.
///
/// A replacement worker gets the index of the worker it replaces, so a job
/// can use it to tell workers apart in a trace.
///
/// # Examples
///
/// ```
/// use handspun::procpool::{current_worker, ProcessPool};
///
/// fn which(_: ()) -> Option<usize> {
///     current_worker()
/// }
///
/// assert_eq!(current_worker(), None);
/// let pool = ProcessPool::new(1).unwrap();
/// assert_eq!(pool.submit(which, ()).join().unwrap(), Some(0));
/// ```
pub fn current_worker() -> Option<usize> {
    match WORKER_INDEX.load(Ordering::Relaxed) {
        usize::MAX => None,
        index => Some(index),
    }
}

/// Installs, once per process and before the first fork, a panic hook that
/// stays silent inside workers and defers to the previous hook everywhere
/// else.
///
/// Installing it in the parent (not in the child) matters: `set_hook` takes
/// std's hook lock, which a parent thread might hold at the moment of a fork.
/// In a worker the hook does nothing at all — the panic's message travels back
/// to the parent in [`ProcError::Panicked`](super::ProcError::Panicked)
/// instead of being printed through a possibly-locked `stderr`.
///
/// A program that replaces the hook later (after creating a pool) takes this
/// silence away from workers forked afterwards; its own hook then runs in
/// them, and must not take locks.
pub(crate) fn install_panic_hook() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !IN_WORKER.load(Ordering::Relaxed) {
                previous(info);
            }
        }));
    });
}

/// The whole life of a worker, in the child right after `fork`. Never
/// returns.
///
/// `parent` is the pool's process id, `jobs` the read end of the job pipe,
/// `replies` the write end of the reply pipe; every other descriptor is
/// closed first.
pub(crate) fn run_worker(
    parent: libc::pid_t,
    index: usize,
    jobs: &OwnedFd,
    replies: &OwnedFd,
    initializer: Option<fn()>,
) -> ! {
    IN_WORKER.store(true, Ordering::Relaxed);
    WORKER_INDEX.store(index, Ordering::Relaxed);
    sys::die_with_parent(parent);
    sys::set_process_name(&format!("procpool-w{index}"));
    sys::close_all_fds_except(&[jobs.as_raw_fd(), replies.as_raw_fd()]);

    if let Some(initializer) = initializer {
        if catch_unwind(initializer).is_err() {
            sys::exit_immediately(EXIT_INITIALIZER_PANICKED);
        }
    }

    // Nothing below may unwind out of this function into the parent's code,
    // so the loop itself runs under catch_unwind too (a job's own panics are
    // already caught one level down, in the trampoline).
    let outcome = catch_unwind(AssertUnwindSafe(|| loop {
        // Tuning (`tuning/spin.rs`): look for a moment before sleeping.
        let _ = spin_then_sleep(|| sys::readable_now(jobs.as_fd()).then_some(()));
        let body = match frame::read_frame_blocking(jobs.as_fd()) {
            Ok(Some(body)) => body,
            Ok(None) => return 0, // the pool closed our job pipe: time to go
            Err(_) => return EXIT_PIPE_ERROR,
        };
        let reply = job::run_in_worker(&body).into_frame();
        drop(body);
        if frame::write_all_blocking(replies.as_fd(), &reply).is_err() {
            return EXIT_PIPE_ERROR;
        }
    }));
    sys::exit_immediately(outcome.unwrap_or(EXIT_PIPE_ERROR))
}
