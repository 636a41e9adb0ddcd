//! TCP sockets that wait for the loop instead of blocking the thread.
//!
//! Each socket is non-blocking and registered with the loop's reactor. An
//! operation tries the system call; if the kernel says `WouldBlock`, the task
//! leaves its waker with the reactor and returns `Pending`; the reactor wakes
//! it when `epoll` reports the socket ready, and it tries again. `Interrupted`
//! is retried at once.
//!
//! A socket that is always ready would let its task run on without end, so
//! every operation that completes spends one unit of the task's operation
//! budget (`budget.rs`): once it is spent, the next operation yields first.
//!
//! Constructors ([`TcpListener::bind`], [`TcpStream::connect`]) must run inside
//! a running loop (inside `block_on` or a task): that is where they find the
//! reactor.
//!
//! The only `unsafe` here is one `listen(2)` call on a descriptor we own (see
//! [`TcpListener::bind_with_backlog`]).

use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::budget;
use super::context;
use super::reactor::{Direction, Reactor};

/// A socket registered with the reactor; deregistered when dropped.
struct Registered<S: mio::event::Source> {
    io: S,
    /// The source's token (its slot in the reactor).
    token: usize,
    reactor: Rc<Reactor>,
}

impl<S: mio::event::Source> Registered<S> {
    fn new(mut io: S, what: &str) -> io::Result<Registered<S>> {
        let reactor = context::current(what).reactor.clone();
        let token = reactor.register(&mut io)?;
        Ok(Registered { io, token, reactor })
    }

    /// Runs `op` until it does not return `WouldBlock`; on `WouldBlock`,
    /// parks the task for `direction`. Each call that completes spends one
    /// unit of the task's operation budget; with none left, the task yields
    /// instead of trying (`budget.rs`).
    fn poll_io<T>(
        &self,
        cx: &Context<'_>,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        if budget::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        loop {
            match op(&self.io) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    self.reactor.wait(self.token, direction, cx);
                    return Poll::Pending;
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                result => {
                    budget::spend();
                    return Poll::Ready(result);
                }
            }
        }
    }
}

impl<S: mio::event::Source> Drop for Registered<S> {
    fn drop(&mut self) {
        self.reactor.deregister(&mut self.io, self.token);
    }
}

/// The listen backlog [`TcpListener::bind`] asks for (the kernel caps it at
/// `net.core.somaxconn`, 4096 by default on Linux).
pub const DEFAULT_BACKLOG: u32 = 4096;

/// A TCP socket listening for connections.
///
/// # Examples
///
/// ```
/// use handspun::event_loop::{self, EventLoop};
/// use handspun::event_loop::net::{TcpListener, TcpStream};
///
/// let mut ev = EventLoop::new().unwrap();
/// let echoed = ev.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let addr = listener.local_addr().unwrap();
///     let server = event_loop::spawn(async move {
///         let (mut conn, _) = listener.accept().await.unwrap();
///         let mut buf = [0u8; 5];
///         conn.read_exact(&mut buf).await.unwrap();
///         conn.write_all(&buf).await.unwrap();
///     });
///     let mut client = TcpStream::connect(addr).await.unwrap();
///     client.write_all(b"hello").await.unwrap();
///     let mut reply = [0u8; 5];
///     client.read_exact(&mut reply).await.unwrap();
///     server.await.unwrap();
///     reply
/// });
/// assert_eq!(&echoed, b"hello");
/// ```
pub struct TcpListener {
    inner: Registered<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (port 0 picks a free port) and starts listening, with
    /// a backlog of [`DEFAULT_BACKLOG`] pending connections.
    ///
    /// # Errors
    ///
    /// If the address is in use or cannot be bound.
    ///
    /// # Panics
    ///
    /// Outside a running loop.
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        TcpListener::bind_with_backlog(addr, DEFAULT_BACKLOG)
    }

    /// Like [`bind`](TcpListener::bind), with the length of the queue of
    /// connections the kernel completes before we accept them.
    ///
    /// When thousands of clients connect at once, a short queue overflows and
    /// the kernel drops their handshakes; each dropped client retries only
    /// after a one-second timeout. (The kernel caps the value at
    /// `net.core.somaxconn`.)
    ///
    /// # Errors
    ///
    /// If the address is in use or cannot be bound.
    ///
    /// # Panics
    ///
    /// Outside a running loop.
    pub fn bind_with_backlog(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
        let io = mio::net::TcpListener::bind(addr)?;
        let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
        // mio listens with std's backlog of 128; calling listen(2) again on a
        // listening socket changes the backlog.
        // SAFETY: `listen` takes a descriptor and an integer and touches no
        // memory of ours; the descriptor is valid, owned by `io`, and alive
        // for the duration of the call.
        if unsafe { libc::listen(io.as_raw_fd(), backlog) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(TcpListener {
            inner: Registered::new(io, "TcpListener::bind")?,
        })
    }

    /// Wraps a listener bound with the standard library (it is switched to
    /// non-blocking mode).
    ///
    /// # Errors
    ///
    /// If the socket cannot be made non-blocking or registered.
    ///
    /// # Panics
    ///
    /// Outside a running loop.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        let io = mio::net::TcpListener::from_std(listener);
        Ok(TcpListener {
            inner: Registered::new(io, "TcpListener::from_std")?,
        })
    }

    /// Waits for the next connection.
    ///
    /// # Errors
    ///
    /// The error of `accept(2)` (for example, out of file descriptors).
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (io, peer) = poll_fn(|cx| self.poll_accept(cx)).await?;
        Ok((TcpStream::register(io)?, peer))
    }

    /// Polls for the next connection (the building block of [`accept`]).
    ///
    /// [`accept`]: TcpListener::accept
    fn poll_accept(&self, cx: &Context<'_>) -> Poll<io::Result<(mio::net::TcpStream, SocketAddr)>> {
        self.inner
            .poll_io(cx, Direction::Read, |listener| listener.accept())
    }

    /// The address this listener is bound to.
    ///
    /// # Errors
    ///
    /// The error of `getsockname(2)`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io.local_addr()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

/// A TCP connection.
///
/// Reads and writes wait for the loop instead of blocking. See
/// [`TcpListener`] for an example.
pub struct TcpStream {
    inner: Registered<mio::net::TcpStream>,
}

impl TcpStream {
    fn register(io: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            inner: Registered::new(io, "TcpStream")?,
        })
    }

    /// Opens a connection to `addr`.
    ///
    /// # Errors
    ///
    /// If the connection is refused or fails (wrap in
    /// [`timeout`](super::timeout) to bound the wait).
    ///
    /// # Panics
    ///
    /// Outside a running loop.
    pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::register(mio::net::TcpStream::connect(addr)?)?;
        poll_fn(|cx| stream.poll_connected(cx)).await?;
        Ok(stream)
    }

    /// Wraps a connected standard-library stream (it is switched to
    /// non-blocking mode).
    ///
    /// # Errors
    ///
    /// If the socket cannot be made non-blocking or registered.
    ///
    /// # Panics
    ///
    /// Outside a running loop.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::register(mio::net::TcpStream::from_std(stream))
    }

    /// Ready once a non-blocking `connect` has finished (mio's recipe: wait
    /// for writable, then check `SO_ERROR` and whether there is a peer).
    fn poll_connected(&self, cx: &Context<'_>) -> Poll<io::Result<()>> {
        let io = &self.inner.io;
        if let Some(error) = io.take_error()? {
            return Poll::Ready(Err(error));
        }
        match io.peer_addr() {
            Ok(_) => Poll::Ready(Ok(())),
            Err(error)
                if error.kind() == io::ErrorKind::NotConnected
                    || error.raw_os_error() == Some(libc::EINPROGRESS) =>
            {
                self.inner
                    .reactor
                    .wait(self.inner.token, Direction::Write, cx);
                Poll::Pending
            }
            Err(error) => Poll::Ready(Err(error)),
        }
    }

    /// Polls a read into `buf` (the building block of [`read`]).
    ///
    /// [`read`]: TcpStream::read
    pub fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.inner
            .poll_io(cx, Direction::Read, |mut io| io.read(buf))
    }

    /// Polls a write of `buf` (the building block of [`write`]).
    ///
    /// [`write`]: TcpStream::write
    pub fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.inner
            .poll_io(cx, Direction::Write, |mut io| io.write(buf))
    }

    /// Waits until a read would not block — bytes have arrived, or the peer
    /// closed its side — without taking any bytes. A connection that waits
    /// for its client this way needs no read buffer while it waits.
    ///
    /// # Errors
    ///
    /// The error of `recv(2)`, for example a connection reset.
    pub async fn readable(&mut self) -> io::Result<()> {
        let mut probe = [0u8; 1];
        poll_fn(|cx| {
            self.inner
                .poll_io(cx, Direction::Read, |io| io.peek(&mut probe))
        })
        .await
        .map(|_| ())
    }

    /// Reads some bytes into `buf`; `Ok(0)` means the peer closed its side
    /// (or `buf` is empty).
    ///
    /// # Errors
    ///
    /// The error of `read(2)`, for example a connection reset.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    /// Writes some bytes from `buf`; returns how many were written.
    ///
    /// # Errors
    ///
    /// The error of `write(2)`, for example a broken pipe.
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    /// Reads exactly `buf.len()` bytes.
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` if the peer closes first; otherwise as [`read`].
    ///
    /// [`read`]: TcpStream::read
    pub async fn read_exact(&mut self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.read(buf).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed before the buffer was filled",
                ));
            }
            buf = &mut buf[n..];
        }
        Ok(())
    }

    /// Writes all of `buf`.
    ///
    /// # Errors
    ///
    /// `WriteZero` if the socket accepts no more bytes; otherwise as
    /// [`write`].
    ///
    /// [`write`]: TcpStream::write
    pub async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.write(buf).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the socket accepted no more bytes",
                ));
            }
            buf = &buf[n..];
        }
        Ok(())
    }

    /// Shuts down the read side, the write side, or both (never waits).
    ///
    /// # Errors
    ///
    /// The error of `shutdown(2)`, for example when not connected.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.io.shutdown(how)
    }

    /// The remote address.
    ///
    /// # Errors
    ///
    /// The error of `getpeername(2)`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io.peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The error of `getsockname(2)`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io.local_addr()
    }

    /// Turns Nagle's algorithm off (`true`: send small writes at once).
    ///
    /// # Errors
    ///
    /// The error of `setsockopt(2)`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.io.set_nodelay(nodelay)
    }

    /// Whether Nagle's algorithm is off.
    ///
    /// # Errors
    ///
    /// The error of `getsockopt(2)`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.io.nodelay()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}
