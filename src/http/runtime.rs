//! What HTTP needs from a runtime — a TCP socket and a clock — with one impl per runtime.
//!
//! The async client, the server and the TLS stream are written once,
//! generic over [`Runtime`], and run on either of handspun's async
//! runtimes:
//!
//! - [`SingleLoop`]: the single-threaded [`event_loop`](crate::event_loop),
//!   the first lesson;
//! - [`Stealing`]: the work-stealing runtime of [`stealing`](crate::stealing),
//!   whose tasks move between worker threads.
//!
//! Each impl is a handful of one-line calls to that runtime's own socket
//! and timer, so the single loop's HTTP path keeps the futures it had
//! without the trait: nothing boxed, no lock per byte.
//!
//! What the trait leaves out is `spawn`: the stealing runtime only takes
//! `Send` futures, a bound that cannot be put on the trait for one impl
//! and not the other. The server spawns its connection tasks in
//! per-runtime code instead (`server/spawn.rs`), where the compiler checks
//! that the stealing runtime's connection future is `Send`.

use std::future::Future;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::event_loop::time::{timeout_with, Elapsed};

/// A connected TCP socket of some runtime: what `Transport` and the TLS
/// stream need from it.
pub(crate) trait Socket: Sized + 'static {
    /// Polls a read into `buf`; `Ok(0)` at the end of the stream (for the
    /// TLS stream, which drives the socket from its own `poll`).
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    /// Polls a write of (some of) `buf` (for the TLS stream).
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
    /// Reads what is there.
    fn read(&mut self, buf: &mut [u8]) -> impl Future<Output = io::Result<usize>>;
    /// Writes all of `buf`.
    fn write_all(&mut self, buf: &[u8]) -> impl Future<Output = io::Result<()>>;
    /// Completes when a read would not wait, without taking any bytes.
    fn readable(&mut self) -> impl Future<Output = io::Result<()>>;
    /// Shuts a direction down (never waits).
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
    /// Sets `TCP_NODELAY`.
    fn set_nodelay(&self, nodelay: bool) -> io::Result<()>;
}

/// A listening TCP socket of some runtime.
pub(crate) trait Listener: Sized + 'static {
    /// The sockets it accepts.
    type Socket: Socket;
    /// Waits for the next connection.
    fn accept(&self) -> impl Future<Output = io::Result<(Self::Socket, SocketAddr)>>;
    /// Where it listens.
    fn local_addr(&self) -> io::Result<SocketAddr>;
}

/// A runtime HTTP can run on: its sockets and its timers.
pub(crate) trait Runtime: 'static {
    /// Its TCP connection.
    type Tcp: Socket;
    /// Its TCP listener.
    type Listener: Listener<Socket = Self::Tcp>;
    /// Opens a connection to `addr`.
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Tcp>>;
    /// Waits for `duration`.
    fn sleep(duration: Duration) -> impl Future<Output = ()>;
    /// Runs `future` for at most `duration`.
    fn timeout<F: Future>(
        duration: Duration,
        future: F,
    ) -> impl Future<Output = Result<F::Output, Elapsed>>;
}

/// The single-threaded [`EventLoop`](crate::event_loop::EventLoop).
#[derive(Debug)]
pub(crate) enum SingleLoop {}

/// The work-stealing [`Runtime`](crate::stealing::Runtime).
#[derive(Debug)]
pub(crate) enum Stealing {}

impl Runtime for SingleLoop {
    type Tcp = crate::event_loop::net::TcpStream;
    type Listener = crate::event_loop::net::TcpListener;

    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Tcp>> {
        Self::Tcp::connect(addr)
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> {
        crate::event_loop::time::sleep(duration)
    }

    fn timeout<F: Future>(
        duration: Duration,
        future: F,
    ) -> impl Future<Output = Result<F::Output, Elapsed>> {
        crate::event_loop::time::timeout(duration, future)
    }
}

impl Runtime for Stealing {
    type Tcp = crate::stealing::net::TcpStream;
    type Listener = crate::stealing::net::TcpListener;

    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Tcp>> {
        Self::Tcp::connect(addr)
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> {
        crate::stealing::sleep(duration)
    }

    fn timeout<F: Future>(
        duration: Duration,
        future: F,
    ) -> impl Future<Output = Result<F::Output, Elapsed>> {
        // The single loop's race, with the stealing runtime's timer.
        timeout_with(crate::stealing::sleep, duration, future)
    }
}

/// Implements [`Socket`] and [`Listener`] for a runtime's TCP types, whose
/// inherent methods have the same names and signatures.
macro_rules! tcp_impls {
    ($stream:ty, $listener:ty) => {
        impl Socket for $stream {
            fn poll_read(
                &mut self,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                <$stream>::poll_read(self, cx, buf)
            }

            fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                <$stream>::poll_write(self, cx, buf)
            }

            fn read(&mut self, buf: &mut [u8]) -> impl Future<Output = io::Result<usize>> {
                <$stream>::read(self, buf)
            }

            fn write_all(&mut self, buf: &[u8]) -> impl Future<Output = io::Result<()>> {
                <$stream>::write_all(self, buf)
            }

            fn readable(&mut self) -> impl Future<Output = io::Result<()>> {
                <$stream>::readable(self)
            }

            fn shutdown(&self, how: Shutdown) -> io::Result<()> {
                <$stream>::shutdown(self, how)
            }

            fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
                <$stream>::set_nodelay(self, nodelay)
            }
        }

        impl Listener for $listener {
            type Socket = $stream;

            fn accept(&self) -> impl Future<Output = io::Result<(Self::Socket, SocketAddr)>> {
                <$listener>::accept(self)
            }

            fn local_addr(&self) -> io::Result<SocketAddr> {
                <$listener>::local_addr(self)
            }
        }
    };
}

tcp_impls!(
    crate::event_loop::net::TcpStream,
    crate::event_loop::net::TcpListener
);
tcp_impls!(
    crate::stealing::net::TcpStream,
    crate::stealing::net::TcpListener
);
