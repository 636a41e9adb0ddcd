//! [`WorkerProcess`]: the parent's view of one forked worker — its process id
//! and the parent's ends of its two pipes — and the three things the parent
//! does with it: start it, exchange one job for one reply, and reap it.
//!
//! ```text
//!             job pipe                       reply pipe
//! parent ── jobs (write end) ──► worker ── (write end) ──► replies ── parent
//! ```
//!
//! Both parent ends are non-blocking, so every exchange can honour a deadline;
//! both worker ends stay blocking. Each side closes the ends it does not use
//! right after the fork — the parent here, the worker in `worker.rs` — so
//! when a worker dies, the last write end of its reply pipe closes and the
//! parent reads end of file at once.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Instant;

use super::frame::{self, Spin, TransferError};
use super::job::ReplyBody;
use super::spin::SPIN_BUDGET;
use super::sys::{self, ExitStatus, Forked};
use super::worker;

/// A live worker process, seen from the parent.
///
/// Owned by exactly one supervisor thread, which is also the only one that
/// reaps it ([`WorkerProcess::reap`]), so the process id stays valid for as
/// long as this value exists.
#[derive(Debug)]
pub(crate) struct WorkerProcess {
    /// The worker's process id.
    pub(crate) pid: libc::pid_t,
    /// Parent's write end of the job pipe (non-blocking).
    jobs: OwnedFd,
    /// Parent's read end of the reply pipe (non-blocking).
    replies: OwnedFd,
    /// Jobs this worker has answered so far (for `max_jobs_per_worker`).
    pub(crate) jobs_done: usize,
    /// Whether the last reply came within the spin budget (true before the
    /// first job). Decides whether the next wait for a reply spins first:
    /// after a long job, the next is likely long too, and spinning through
    /// its start would take CPU time from the worker computing it — on the
    /// very core, when the pool is pinned.
    quick: bool,
}

impl WorkerProcess {
    /// Forks a new worker that will run as slot `index` of its pool, calling
    /// `initializer` once before its first job.
    ///
    /// # Errors
    ///
    /// When `pipe` or `fork` fails (too many open files, too many processes).
    pub(crate) fn spawn(index: usize, initializer: Option<fn()>) -> io::Result<WorkerProcess> {
        let (job_read, job_write) = sys::pipe()?;
        let (reply_read, reply_write) = sys::pipe()?;
        // Only the parent's ends: O_NONBLOCK lives in the open file
        // description, which the worker's ends do not share.
        sys::set_nonblocking(job_write.as_fd())?;
        sys::set_nonblocking(reply_read.as_fd())?;
        let parent = std::process::id() as libc::pid_t;

        // SAFETY: the child calls only `run_worker`, which obeys a forked child's
        // rules (worker.rs): no lock another thread could hold, no printing
        // through std, and it ends with `_exit` without returning here.
        match unsafe { sys::fork() }? {
            Forked::Child => {
                worker::run_worker(parent, index, &job_read, &reply_write, initializer)
            }
            Forked::Parent(pid) => {
                // The worker's ends belong to the worker now.
                drop(job_read);
                drop(reply_write);
                Ok(WorkerProcess {
                    pid,
                    jobs: job_write,
                    replies: reply_read,
                    jobs_done: 0,
                    quick: true,
                })
            }
        }
    }

    /// True if the worker is known to have gone away while idle: its reply
    /// pipe reports a hang-up (or bytes nobody asked for). Does not block.
    pub(crate) fn has_exited(&self) -> bool {
        match sys::poll_one(self.replies.as_fd(), false, Some(std::time::Duration::ZERO)) {
            Ok(Some(readiness)) => readiness.hung_up || readiness.readable,
            Ok(None) => false,
            Err(_) => true,
        }
    }

    /// Sends one job frame and reads back its reply, both before `deadline`.
    /// Spins before sleeping for the reply only if the last one was quick.
    ///
    /// # Errors
    ///
    /// [`TransferError::Closed`] if the worker died (end of file on the reply
    /// pipe, or `EPIPE` on the job pipe), [`TransferError::TimedOut`] if the
    /// deadline passed, [`TransferError::Io`] for anything else.
    pub(crate) fn exchange(
        &mut self,
        job_frame: &[u8],
        deadline: Option<Instant>,
    ) -> Result<ReplyBody, TransferError> {
        let sent = Instant::now();
        frame::write_all_until(self.jobs.as_fd(), job_frame, deadline)?;
        let first = if self.quick { Spin::Yes } else { Spin::No };
        let body = frame::read_frame_until(self.replies.as_fd(), deadline, first)?;
        self.quick = sent.elapsed() <= SPIN_BUDGET;
        Ok(ReplyBody(body))
    }

    /// Whether this worker's last reply came within the spin budget (true
    /// before its first job).
    pub(crate) fn answers_quickly(&self) -> bool {
        self.quick
    }

    /// Ends the worker and waits for it, so no zombie is left.
    ///
    /// With `kill == false` the worker is asked to stop: its job pipe is
    /// closed, it reads end of file between jobs and exits with status 0.
    /// With `kill == true` it is sent `SIGKILL` first (a hung or timed-out
    /// worker). A worker that has already died is simply reaped.
    pub(crate) fn reap(self, kill: bool) -> io::Result<ExitStatus> {
        if kill {
            // The process is ours and not reaped yet (only `reap` reaps, and
            // it consumes `self`), so `pid` cannot name another process.
            // ESRCH cannot happen for an unreaped child; ignore errors anyway.
            let _ = sys::send_signal(self.pid, libc::SIGKILL);
        }
        let WorkerProcess {
            pid, jobs, replies, ..
        } = self;
        drop(jobs);
        drop(replies);
        sys::wait_for_exit(pid)
    }
}
