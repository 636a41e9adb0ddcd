//! Pinning a loop's thread to one CPU (`sched_setaffinity`), and saying so
//! when the kernel refuses.
//!
//! A loop that always runs on the same core keeps its tasks' data in that
//! core's caches, and never competes with its siblings for one core while
//! another sits idle. The kernel may refuse: a container's cpuset can leave
//! out the CPU asked for (`EINVAL`), a sandbox can forbid the call
//! (`EPERM`). Then the loop runs unpinned, and [`Pinning`] says why.
//!
//! These are the only OS calls of the room; they turn `-1` into an
//! `io::Error` and touch nothing else.

use std::fmt;
use std::io;
use std::mem;

/// Where one loop's thread runs, as decided when the runtime started.
///
/// # Examples
///
/// ```
/// use handspun::per_core::{Pinning, Runtime};
///
/// let rt = Runtime::builder().loops(2).pin(false).build().unwrap();
/// assert_eq!(rt.pinning(), &[Pinning::Disabled, Pinning::Disabled]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pinning {
    /// The thread may run on this CPU only.
    Pinned {
        /// The CPU's number, as the kernel counts them.
        cpu: usize,
    },
    /// Pinning was turned off ([`Builder::pin`](super::Builder::pin)).
    Disabled,
    /// More loops than CPUs this process may use: this one runs unpinned.
    NoCpuLeft,
    /// The kernel refused (`EPERM`, `EINVAL`: a cpuset, a sandbox); the
    /// thread runs wherever the scheduler puts it.
    Refused {
        /// The error the kernel gave.
        error: String,
    },
}

impl Pinning {
    /// Whether the loop's thread is pinned to one CPU.
    pub fn is_pinned(&self) -> bool {
        matches!(self, Pinning::Pinned { .. })
    }
}

impl fmt::Display for Pinning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pinning::Pinned { cpu } => write!(f, "pinned to CPU {cpu}"),
            Pinning::Disabled => f.write_str("unpinned (pinning turned off)"),
            Pinning::NoCpuLeft => f.write_str("unpinned (more loops than allowed CPUs)"),
            Pinning::Refused { error } => write!(f, "unpinned (the kernel refused: {error})"),
        }
    }
}

/// The CPUs the calling thread may run on (`sched_getaffinity`), ascending.
///
/// # Errors
///
/// The error of `sched_getaffinity(2)`.
///
/// # Examples
///
/// ```
/// let cpus = handspun::per_core::allowed_cpus().unwrap();
/// assert!(!cpus.is_empty());
/// ```
pub fn allowed_cpus() -> io::Result<Vec<usize>> {
    // SAFETY: `cpu_set_t` is a plain bit array; all zeroes is a valid (empty) set.
    let mut set: libc::cpu_set_t = unsafe { mem::zeroed() };
    // SAFETY: `set` is valid writable memory of the size we pass; pid 0
    // means the calling thread.
    let rc = unsafe { libc::sched_getaffinity(0, mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let max = mem::size_of::<libc::cpu_set_t>() * 8;
    // SAFETY: `CPU_ISSET` reads one bit of the initialised set; `cpu` is
    // below the set's size in bits.
    Ok((0..max)
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect())
}

/// Restricts the calling thread to `cpu` (`sched_setaffinity`).
///
/// # Errors
///
/// The error of `sched_setaffinity(2)`: `EINVAL` when `cpu` is outside the
/// process's cpuset (or beyond the set's size), `EPERM` when forbidden.
pub(crate) fn pin_current_thread(cpu: usize) -> io::Result<()> {
    if cpu >= mem::size_of::<libc::cpu_set_t>() * 8 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: all zeroes is a valid, empty `cpu_set_t`.
    let mut set: libc::cpu_set_t = unsafe { mem::zeroed() };
    // SAFETY: `cpu` was checked to be below the set's size in bits, so
    // `CPU_SET` writes inside `set`.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is initialised and of the size we pass; pid 0 means the
    // calling thread; the kernel only reads it.
    let rc = unsafe { libc::sched_setaffinity(0, mem::size_of::<libc::cpu_set_t>(), &set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Pins the calling thread to `cpu` if there is one, and says what happened.
pub(crate) fn pin_to(cpu: Option<usize>) -> Pinning {
    match cpu {
        None => Pinning::NoCpuLeft,
        Some(cpu) => match pin_current_thread(cpu) {
            Ok(()) => Pinning::Pinned { cpu },
            Err(error) => Pinning::Refused {
                error: error.to_string(),
            },
        },
    }
}
