//! TCP sockets whose tasks wait in the shared reactor instead of blocking a
//! worker.
//!
//! The same recipe as the single loop's `net.rs`: try the system call; on
//! `WouldBlock`, leave the task's waker with the socket's `IoSource` and
//! return `Pending`; the worker driving the reactor wakes the task when
//! `epoll` reports the socket ready, on whichever worker it then runs.
//! Constructors find the reactor in the thread's runtime context, so they
//! must run inside a task or `block_on`.

#![forbid(unsafe_code)]

use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::context;
use super::reactor::{Direction, IoSource};
use super::runtime::Shared;

/// A socket registered with the reactor; deregistered when dropped.
struct Registered<S: mio::event::Source> {
    io: S,
    source: Arc<IoSource>,
    shared: Arc<Shared>,
}

impl<S: mio::event::Source> Registered<S> {
    fn new(mut io: S) -> io::Result<Registered<S>> {
        let shared = context::current()
            .ok_or_else(|| {
                io::Error::other(
                    "socket created outside a stealing runtime (not in a task nor in block_on)",
                )
            })?
            .shared;
        let source = shared.reactor.register(&mut io)?;
        shared.attend_reactor(false);
        Ok(Registered { io, source, shared })
    }

    /// Runs `op` until it does not return `WouldBlock`; on `WouldBlock`,
    /// waits for `direction` readiness.
    fn poll_io<T>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        loop {
            let tick = match self.source.poll_ready(cx, direction) {
                Poll::Ready(tick) => tick,
                Poll::Pending => return Poll::Pending,
            };
            match op(&self.io) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    self.source.clear_ready(direction, tick);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                result => return Poll::Ready(result),
            }
        }
    }
}

impl<S: mio::event::Source> Drop for Registered<S> {
    fn drop(&mut self) {
        self.shared.reactor.deregister(&mut self.io, &self.source);
    }
}

/// A TCP socket listening for connections.
///
/// # Examples
///
/// ```
/// use handspun::stealing::{self, Runtime};
/// use handspun::stealing::net::{TcpListener, TcpStream};
///
/// let rt = Runtime::builder().workers(2).build().unwrap();
/// let echoed = rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let addr = listener.local_addr().unwrap();
///     let server = stealing::spawn(async move {
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
    /// Binds a listener to `addr` (port 0: any free port).
    ///
    /// # Errors
    ///
    /// If the address is taken or not local, or outside a runtime.
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        Ok(TcpListener {
            inner: Registered::new(mio::net::TcpListener::bind(addr)?)?,
        })
    }

    /// Waits for the next connection.
    ///
    /// # Errors
    ///
    /// The `accept(2)` error (for example, out of file descriptors).
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) =
            poll_fn(|cx| self.inner.poll_io(cx, Direction::Read, |io| io.accept())).await?;
        Ok((TcpStream::register(stream)?, peer))
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// The `getsockname(2)` error.
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

/// A TCP connection. See [`TcpListener`] for an example.
pub struct TcpStream {
    inner: Registered<mio::net::TcpStream>,
}

impl TcpStream {
    fn register(io: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            inner: Registered::new(io)?,
        })
    }

    /// Opens a connection to `addr`.
    ///
    /// # Errors
    ///
    /// If the connection is refused or fails, or outside a runtime.
    pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::register(mio::net::TcpStream::connect(addr)?)?;
        // mio's recipe: wait for writable, then check `SO_ERROR` and
        // whether there is a peer.
        poll_fn(|cx| {
            stream.inner.poll_io(cx, Direction::Write, |io| {
                if let Some(error) = io.take_error()? {
                    return Err(error);
                }
                match io.peer_addr() {
                    Ok(_) => Ok(()),
                    Err(error) if error.kind() == io::ErrorKind::NotConnected => {
                        Err(io::ErrorKind::WouldBlock.into())
                    }
                    Err(error) => Err(error),
                }
            })
        })
        .await?;
        Ok(stream)
    }

    /// Reads what is there (at least one byte, or 0 at end of stream).
    ///
    /// # Errors
    ///
    /// The `read(2)` error (for example, connection reset).
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| {
            self.inner
                .poll_io(cx, Direction::Read, |mut io| io.read(buf))
        })
        .await
    }

    /// Writes some of `buf` (at least one byte).
    ///
    /// # Errors
    ///
    /// The `write(2)` error (for example, broken pipe).
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| {
            self.inner
                .poll_io(cx, Direction::Write, |mut io| io.write(buf))
        })
        .await
    }

    /// Polls a read into `buf` (the building block of [`read`], for
    /// code that drives the socket from its own `poll`, as TLS does).
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
    /// closed its side — without taking any bytes (a connection waiting
    /// for its client this way needs no read buffer meanwhile).
    ///
    /// # Errors
    ///
    /// The `recv(2)` error (for example, connection reset).
    pub async fn readable(&mut self) -> io::Result<()> {
        let mut probe = [0u8; 1];
        poll_fn(|cx| {
            self.inner
                .poll_io(cx, Direction::Read, |io| io.peek(&mut probe))
        })
        .await
        .map(|_| ())
    }

    /// Shuts down the read side, the write side, or both (never waits).
    ///
    /// # Errors
    ///
    /// The `shutdown(2)` error (for example, when not connected).
    pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        self.inner.io.shutdown(how)
    }

    /// Reads exactly `buf.len()` bytes.
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` if the stream ends first, or the `read(2)` error.
    pub async fn read_exact(&mut self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read(buf).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }

    /// Writes all of `buf`.
    ///
    /// # Errors
    ///
    /// `WriteZero` if the socket accepts nothing, or the `write(2)` error.
    pub async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    /// Sets `TCP_NODELAY` (no Nagle delay for small writes).
    ///
    /// # Errors
    ///
    /// The `setsockopt(2)` error.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.io.set_nodelay(nodelay)
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The `getsockname(2)` error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io.local_addr()
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// The `getpeername(2)` error.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io.peer_addr()
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
