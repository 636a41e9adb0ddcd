//! Every operating-system call the process pool makes, each behind a small
//! safe wrapper.
//!
//! This is the only file of the pool that talks to `libc` directly. Each
//! wrapper makes one call through the `syscall!` macro, which turns the C
//! convention (return -1 and set `errno`) into an [`io::Result`]; the calls
//! that can be interrupted by a signal are retried on `EINTR`
//! ([`retry_on_interrupt`]), so callers never see
//! [`io::ErrorKind::Interrupted`].
//!
//! File descriptors travel as [`OwnedFd`] (closed when dropped) and
//! [`BorrowedFd`] (open for as long as the borrow lives), so `read` and
//! `write` below can be safe functions: the type guarantees the descriptor is
//! open.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// Calls `libc::$name(args...)` and maps a return value of -1 to
/// [`io::Error::last_os_error`]. The caller wraps the use in an `unsafe`
/// block with a `// SAFETY:` comment, since every libc function is `unsafe` to call.
macro_rules! syscall {
    ($name:ident ( $($arg:expr),* $(,)? )) => {{
        let result = libc::$name($($arg),*);
        if result == -1 {
            Err(io::Error::last_os_error())
        } else {
            Ok(result)
        }
    }};
}

/// Runs `call` again for as long as it fails with `EINTR` (a signal handler
/// ran while the call was blocked).
fn retry_on_interrupt<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match call() {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Creates a pipe, returning `(read_end, write_end)`. Both ends are
/// close-on-exec, so a program the parent `exec`s later never inherits them.
/// (Forked workers *do* inherit them; they close what they do not use with
/// [`close_all_fds_except`].)
pub(crate) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [libc::c_int; 2] = [-1, -1];
    // SAFETY: `fds` is a valid, writable array of two ints, as pipe2 requires.
    unsafe { syscall!(pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC)) }?;
    // SAFETY: pipe2 succeeded, so both descriptors are open and nothing else
    // owns them: each OwnedFd becomes their only owner.
    let ends = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok(ends)
}

/// Which side of a [`fork`] the caller is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forked {
    /// This is the new process.
    Child,
    /// This is the original process; the new one has this process id.
    Parent(libc::pid_t),
}

/// Creates a copy of this process with `fork(2)`.
///
/// # Safety
///
/// The child is a copy of the whole address space but has only one thread:
/// the one that called `fork`. Every lock another thread held at that moment
/// stays locked forever in the child. On the [`Forked::Child`] side the
/// caller must therefore only run code that takes no such lock (see
/// `worker.rs`), and must end the child with [`exit_immediately`], never by
/// returning into code that assumes the parent's threads exist.
pub(crate) unsafe fn fork() -> io::Result<Forked> {
    // SAFETY: fork has no memory-safety preconditions of its own; what the
    // child may do afterwards is the caller's contract (see `# Safety`).
    let pid = unsafe { syscall!(fork()) }?;
    Ok(if pid == 0 {
        Forked::Child
    } else {
        Forked::Parent(pid)
    })
}

/// How a child process ended, as `waitpid` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// It called `exit`/`_exit` (or returned from `main`) with this code.
    Exited(i32),
    /// A signal killed it.
    Signaled(i32),
}

/// Waits until child `pid` has ended and reaps it, so it does not linger as a
/// zombie. Blocks; retried on `EINTR`.
pub(crate) fn wait_for_exit(pid: libc::pid_t) -> io::Result<ExitStatus> {
    let mut status: libc::c_int = 0;
    retry_on_interrupt(|| {
        // SAFETY: `status` is a valid, writable int; waitpid writes only it.
        unsafe { syscall!(waitpid(pid, &mut status, 0)) }
    })?;
    Ok(if libc::WIFSIGNALED(status) {
        ExitStatus::Signaled(libc::WTERMSIG(status))
    } else {
        ExitStatus::Exited(libc::WEXITSTATUS(status))
    })
}

/// Sends `signal` to process `pid`.
///
/// The caller must know `pid` is its own child that has not been reaped yet:
/// once reaped, the number may be given to an unrelated process.
pub(crate) fn send_signal(pid: libc::pid_t, signal: libc::c_int) -> io::Result<()> {
    // SAFETY: kill takes plain integers and touches no memory of ours.
    unsafe { syscall!(kill(pid, signal)) }?;
    Ok(())
}

/// Asks the kernel to `SIGKILL` this process when the thread that forked it
/// ends (`PR_SET_PDEATHSIG`), and ends at once if the parent `parent` is
/// already gone. A worker calls this first thing, so no worker outlives its
/// pool's process, even when that process is killed without a chance to
/// clean up. (Only Linux has this; the signal is tied to the forking
/// *thread*, which is why each worker is forked by the supervisor thread
/// that lives exactly as long as it.)
pub(crate) fn die_with_parent(parent: libc::pid_t) {
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes plain integers.
    let armed = unsafe {
        syscall!(prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong
        ))
    };
    // SAFETY: getppid takes no arguments and cannot fail.
    if armed.is_err() || unsafe { libc::getppid() } != parent {
        exit_immediately(EXIT_ORPHANED);
    }
}

/// Names this process `name` (at most 15 bytes are kept) in `ps`, `top` and
/// `/proc/PID/comm`. A forked child inherits the name of the thread that
/// forked it; a worker renames itself so readers can tell it apart.
pub(crate) fn set_process_name(name: &str) {
    // PR_SET_NAME reads up to 16 bytes, NUL-terminated.
    let mut buffer = [0u8; 16];
    let len = name.len().min(15);
    buffer[..len].copy_from_slice(&name.as_bytes()[..len]);
    // SAFETY: `buffer` is a NUL-terminated string of at most 16 bytes that
    // outlives the call. A failure only leaves the old name: ignored.
    let _ = unsafe { syscall!(prctl(libc::PR_SET_NAME, buffer.as_ptr() as libc::c_ulong)) };
}

/// Exit status of a worker that found its parent already gone.
pub(crate) const EXIT_ORPHANED: i32 = 72;

/// Ends this process at once with `code`, without running destructors,
/// `atexit` handlers or flushing std's buffers.
///
/// A forked worker ends this way: its memory is a copy of the parent's, so
/// running the parent's exit path (flushing the parent's buffered stdout,
/// removing the parent's temporary files...) would be wrong.
pub(crate) fn exit_immediately(code: i32) -> ! {
    // SAFETY: _exit never returns and has no preconditions; it is
    // async-signal-safe, so it is fine in a forked child.
    unsafe { libc::_exit(code) }
}

/// Reads up to `buf.len()` bytes from `fd`; `Ok(0)` means end of file (every
/// write end of the pipe is closed). Retried on `EINTR`.
pub(crate) fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    retry_on_interrupt(|| {
        // SAFETY: `fd` is open (it is borrowed) and `buf` is valid for writes
        // of `buf.len()` bytes.
        let count = unsafe { syscall!(read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len())) }?;
        Ok(count as usize)
    })
}

/// Writes up to `buf.len()` bytes to `fd`, returning how many were written.
/// Retried on `EINTR`. Writing to a pipe whose read end is closed fails with
/// `EPIPE` (Rust programs ignore `SIGPIPE`, so the signal does not kill us).
pub(crate) fn write(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    retry_on_interrupt(|| {
        // SAFETY: `fd` is open (it is borrowed) and `buf` is valid for reads
        // of `buf.len()` bytes.
        let count = unsafe { syscall!(write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len())) }?;
        Ok(count as usize)
    })
}

/// Puts `fd` in non-blocking mode: `read` and `write` then fail with
/// [`io::ErrorKind::WouldBlock`] instead of waiting.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: F_GETFL takes no pointer argument; `fd` is open.
    let flags = unsafe { syscall!(fcntl(fd.as_raw_fd(), libc::F_GETFL)) }?;
    // SAFETY: F_SETFL takes an int argument; `fd` is open.
    unsafe {
        syscall!(fcntl(
            fd.as_raw_fd(),
            libc::F_SETFL,
            flags | libc::O_NONBLOCK
        ))
    }?;
    Ok(())
}

/// What [`poll_one`] saw on a descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Readiness {
    /// Data can be read (or the other end closed: a read returns 0).
    pub(crate) readable: bool,
    /// Data can be written (or the other end closed: a write fails).
    pub(crate) writable: bool,
    /// The other end is closed (`POLLHUP` or `POLLERR`).
    pub(crate) hung_up: bool,
}

/// Waits until `fd` is readable (`want_write == false`) or writable, or until
/// `timeout` passes (`None`: wait forever; `Some(ZERO)`: just look).
/// Returns `Ok(None)` on timeout. Retried on `EINTR` (with the full timeout
/// again: callers recompute it from their deadline on every call anyway).
pub(crate) fn poll_one(
    fd: BorrowedFd<'_>,
    want_write: bool,
    timeout: Option<Duration>,
) -> io::Result<Option<Readiness>> {
    let events = if want_write {
        libc::POLLOUT
    } else {
        libc::POLLIN
    };
    let mut entry = libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    };
    let timeout_ms: libc::c_int = match timeout {
        None => -1,
        // Round up, so a deadline 0.4 ms away is not a busy loop of 0 ms polls.
        Some(t) => t.as_micros().div_ceil(1000).min(libc::c_int::MAX as u128) as libc::c_int,
    };
    let ready = retry_on_interrupt(|| {
        // SAFETY: `entry` is one valid, writable pollfd and we pass count 1.
        unsafe { syscall!(poll(&mut entry, 1, timeout_ms)) }
    })?;
    if ready == 0 {
        return Ok(None);
    }
    Ok(Some(Readiness {
        readable: entry.revents & libc::POLLIN != 0,
        writable: entry.revents & libc::POLLOUT != 0,
        hung_up: entry.revents & (libc::POLLHUP | libc::POLLERR) != 0,
    }))
}

/// True if `fd` has bytes to read, or its writer is gone, without waiting
/// (a `poll` with a zero timeout). An error counts as ready: the next `read`
/// reports it properly.
pub(crate) fn readable_now(fd: BorrowedFd<'_>) -> bool {
    !matches!(poll_one(fd, false, Some(Duration::ZERO)), Ok(None))
}

/// Closes every descriptor of this process from 3 upwards except those in
/// `keep` (stdin, stdout and stderr stay open).
///
/// A forked worker calls this first, so it holds no pipe of another worker or
/// of another pool, no socket and no file of the parent: otherwise a pipe end
/// kept open by the wrong process would hide the end of file that tells the
/// parent a worker died. One `close_range(2)` call per gap between kept
/// descriptors, no allocation and no lock, so it is safe right after `fork`.
pub(crate) fn close_all_fds_except(keep: &[RawFd]) {
    let mut first: libc::c_uint = 3;
    let mut sorted = [RawFd::MAX; 4];
    assert!(keep.len() <= sorted.len(), "keep at most four descriptors");
    sorted[..keep.len()].copy_from_slice(keep);
    sorted.sort_unstable();
    for &kept in sorted.iter().take(keep.len()) {
        let kept = kept as libc::c_uint;
        if kept > first {
            close_range(first, kept - 1);
        }
        first = first.max(kept + 1);
    }
    close_range(first, libc::c_uint::MAX);
}

/// Closes descriptors `first..=last`, with one `close_range(2)` call on
/// Linux 5.9 and later, or one `close(2)` per descriptor on older kernels
/// (up to the process's descriptor limit, capped at 65 536).
fn close_range(first: libc::c_uint, last: libc::c_uint) {
    // SAFETY: close_range takes plain integers. Closing descriptors that Rust
    // objects still "own" is sound here because the forked child that calls
    // this never drops those objects: it ends with `exit_immediately`.
    if unsafe { syscall!(close_range(first, last, 0)) }.is_ok() {
        return;
    }
    // SAFETY: sysconf takes a plain integer and touches no memory.
    let limit = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) }.clamp(0, 65_536) as libc::c_uint;
    for fd in first..=last.min(limit) {
        // SAFETY: as above; closing a descriptor that is not open just fails
        // with EBADF, which is fine to ignore.
        unsafe { libc::close(fd as libc::c_int) };
    }
}
