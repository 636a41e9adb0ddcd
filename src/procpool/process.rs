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

use super::frame::{self, TransferError};
use super::job::ReplyBody;
use super::sys::{self, ExitStatus, Forked};
use super::worker;
use crate::tuning::spin::QuickAnswers;

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
                })
            }
        }
    }

    /// True if the worker is known to have gone away while idle: its reply
    /// pipe reports a hang-up (or bytes nobody asked for). Does not block.
    pub(crate) fn has_exited(&self) -> bool {
        sys::readable_now(self.replies.as_fd())
    }

    /// Sends one job frame and reads back its reply, both before `deadline`.
    /// `replies` is the pool's record of how quickly replies come: the wait
    /// for this one may spin before it sleeps (tuning, `tuning/spin.rs`).
    ///
    /// # Errors
    ///
    /// [`TransferError::Closed`] if the worker died (end of file on the reply
    /// pipe, or `EPIPE` on the job pipe), [`TransferError::TimedOut`] if the
    /// deadline passed, [`TransferError::Io`] for anything else.
    pub(crate) fn exchange(
        &self,
        job_frame: &[u8],
        deadline: Option<Instant>,
        replies: &QuickAnswers,
    ) -> Result<ReplyBody, TransferError> {
        let from_worker = self.replies.as_fd();
        frame::write_all_until(self.jobs.as_fd(), job_frame, deadline)?;
        let body = replies.wait(
            || sys::readable_now(from_worker).then_some(()),
            || frame::read_frame_until(from_worker, deadline),
        )?;
        Ok(ReplyBody(body))
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
