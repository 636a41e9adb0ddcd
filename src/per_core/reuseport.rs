//! One listening socket per loop, all on the same port (`SO_REUSEPORT`).
//!
//! Without it, N loops sharing one listener would all wake for every new
//! connection and race to accept it (the "thundering herd"), or one loop
//! would have to accept for all and hand sockets over. With
//! `SO_REUSEPORT`, each loop binds its *own* socket to the same address,
//! and the kernel spreads incoming connections over them by a hash of the
//! connection's addresses and ports: each loop accepts only its own, with
//! no lock and no hand-over. The spread is the kernel's choice — even on
//! average over many clients, not per burst.
//!
//! The sockets are made with plain `libc` calls (no new dependency), then
//! handed over as `std::net::TcpListener`s; a loop wraps its own with
//! [`event_loop::net::TcpListener::from_std`](crate::event_loop::net::TcpListener::from_std).

use std::io;
use std::mem;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::event_loop::net::DEFAULT_BACKLOG;

/// Turns a `-1` from a libc call into the thread's `errno`.
fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// `count` listening sockets on `addr`, all with `SO_REUSEPORT`, one per
/// loop, each with the single loop's backlog (`DEFAULT_BACKLOG`). With port 0 the first picks a free port and the others bind that
/// one.
///
/// # Errors
///
/// The address is in use by a socket without `SO_REUSEPORT` (or by another
/// user), cannot be bound, or the process is out of descriptors.
///
/// # Examples
///
/// ```
/// let listeners = handspun::per_core::bind_reuseport("127.0.0.1:0".parse().unwrap(), 2).unwrap();
/// let port = listeners[0].local_addr().unwrap().port();
/// assert_eq!(listeners[1].local_addr().unwrap().port(), port);
/// ```
pub fn bind_reuseport(addr: SocketAddr, count: usize) -> io::Result<Vec<TcpListener>> {
    let mut listeners = Vec::with_capacity(count);
    let mut addr = addr;
    for _ in 0..count {
        let listener = bind_one(addr, DEFAULT_BACKLOG)?;
        addr = listener.local_addr()?;
        listeners.push(listener);
    }
    Ok(listeners)
}

/// One socket: `socket`, `SO_REUSEADDR` + `SO_REUSEPORT`, `bind`, `listen`.
fn bind_one(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let domain = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    // SAFETY: `socket` takes three integers and touches no memory of ours.
    let fd = check(unsafe { libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) })?;
    // SAFETY: `fd` was just returned by `socket`, is open, and nothing else
    // owns it: the `OwnedFd` closes it on every error path below.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    for option in [libc::SO_REUSEADDR, libc::SO_REUSEPORT] {
        let on: libc::c_int = 1;
        // SAFETY: `on` is a live `c_int` and we pass its exact size; the
        // kernel only reads it; `fd` is an open socket.
        check(unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                option,
                (&on as *const libc::c_int).cast(),
                mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        })?;
    }
    let (storage, len) = socket_addr(addr);
    // SAFETY: `storage` holds a `sockaddr_in` or `sockaddr_in6` of `len`
    // bytes, alive for the call; the kernel only reads it.
    check(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&storage as *const libc::sockaddr_storage).cast(),
            len,
        )
    })?;
    let backlog = libc::c_int::try_from(backlog).unwrap_or(libc::c_int::MAX);
    // SAFETY: `listen` takes a descriptor and an integer; `fd` is open.
    check(unsafe { libc::listen(fd.as_raw_fd(), backlog) })?;
    Ok(TcpListener::from(fd))
}

/// `addr` as the C structure `bind` takes, and its length.
fn socket_addr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: `sockaddr_storage` is plain integers; all zeroes is valid.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(v4) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: v4.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(v4.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: `sockaddr_storage` is larger than and aligned for
            // every socket address type, `sockaddr_in` among them.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(v6) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: v6.port().to_be(),
                sin6_flowinfo: v6.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: v6.ip().octets(),
                },
                sin6_scope_id: v6.scope_id(),
            };
            // SAFETY: as above, for `sockaddr_in6`.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}
