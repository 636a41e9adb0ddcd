//! The file-descriptor limit: how many connections one process may hold at once.
//!
//! Every connection is a socket, and every socket is a file descriptor. The
//! kernel caps how many a process may have open (`RLIMIT_NOFILE`): a *soft*
//! limit, in force, and a *hard* limit, the most the soft one may be raised
//! to without privileges. Shells start programs with a soft limit that is
//! often far below the hard one (1024 is common), which would cap a
//! one-thread server at about a thousand clients for no reason. So `serve`
//! raises its soft limit to the hard one at start ([`raise_fd_limit`]), and
//! the default connection cap is what that limit allows, less a few
//! descriptors the process needs for itself ([`RESERVED_FDS`]).
//!
//! Past the hard limit only the administrator can go (`ulimit -Hn` as root,
//! `LimitNOFILE=` in a systemd unit, `/etc/security/limits.conf`), and past
//! `fs.nr_open` not even root; `docs/benchmarks/http.md` has the
//! arithmetic for 100 000 connections.

#![allow(unsafe_code)]

use std::io;

/// Descriptors kept back from the connection cap for the process itself:
/// stdio, the listener, epoll, the loop's waker, and whatever files a
/// program opens beside the server.
pub const RESERVED_FDS: u64 = 64;

/// The process's current (soft) and hard descriptor limits.
///
/// # Errors
///
/// The OS error of `getrlimit` (none is expected).
pub fn fd_limits() -> io::Result<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit for the call to fill in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok((limit.rlim_cur, limit.rlim_max))
}

/// Raises the soft descriptor limit to the hard one; returns the limit now
/// in force.
///
/// # Errors
///
/// The OS error of `getrlimit` or `setrlimit`.
///
/// # Examples
///
/// ```
/// use handspun::http::server::{fd_limits, raise_fd_limit};
///
/// let now = raise_fd_limit().unwrap();
/// assert_eq!(fd_limits().unwrap(), (now, now));
/// ```
pub fn raise_fd_limit() -> io::Result<u64> {
    let (soft, hard) = fd_limits()?;
    if soft >= hard {
        return Ok(soft);
    }
    let limit = libc::rlimit {
        rlim_cur: hard,
        rlim_max: hard,
    };
    // SAFETY: `limit` is a valid rlimit that lives across the call.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(hard)
}

/// How many connections a process whose descriptor limit is `fd_limit` can
/// hold: the limit less [`RESERVED_FDS`]; zero if that leaves none.
///
/// # Examples
///
/// ```
/// use handspun::http::server::connection_capacity;
///
/// assert_eq!(connection_capacity(20_000), 19_936);
/// assert_eq!(connection_capacity(10), 0);
/// ```
pub fn connection_capacity(fd_limit: u64) -> usize {
    usize::try_from(fd_limit.saturating_sub(RESERVED_FDS)).unwrap_or(usize::MAX)
}

/// The connection cap the current descriptor limit allows (at least 1, so a
/// server can always start; [`raise_fd_limit`] first for the most).
pub fn default_max_connections() -> usize {
    fd_limits()
        .map(|(soft, _)| connection_capacity(soft))
        .unwrap_or(1024)
        .max(1)
}
