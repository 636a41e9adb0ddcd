//! The event loop's TLS stream: rustls driven by readiness, one record flight at a time.
//!
//! rustls never touches the socket. This stream does, and parks the task
//! whenever the socket is not ready:
//!
//! - **sending**: plaintext goes into `writer()`, which seals it into
//!   records; then `write_tls` pushes the records into the socket until
//!   rustls has nothing left (`wants_write()` false). A full socket parks
//!   the task until it is writable.
//! - **receiving**: `reader()` hands out plaintext already decrypted; when
//!   there is none, `read_tls` pulls bytes off the socket (parking until
//!   readable), and `process_new_packets` turns them into records,
//!   handshake steps and plaintext.
//! - **the handshake** is the same two moves in a loop until
//!   `is_handshaking()` turns false.
//!
//! The socket is either runtime's (`S`, see `http/runtime.rs`): the same
//! stream serves the single loop and the work-stealing runtime.
//!
//! The bridge is `Polled`: a `Read + Write` over the loop's socket that
//! answers `WouldBlock` when the socket would park (the reactor has the
//! task's waker by then), which is exactly what rustls's `read_tls` and
//! `write_tls` expect from a non-blocking socket.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::task::{Context, Poll, Waker};

use rustls::{ClientConnection, Connection, HandshakeKind, ServerConnection};

use super::blocking::{handshake_error, server_name, tls_failure};
use super::{tls_error, TlsClientConfig, TlsServerConfig};
use crate::http::runtime::Socket;
use crate::http::{Error, TimeoutKind};

/// A TLS connection, client or server side, over an async runtime's socket.
#[derive(Debug)]
pub(crate) struct TlsStream<S> {
    /// The rustls state.
    conn: Connection,
    /// The socket under it.
    tcp: S,
}

impl<S: Socket> TlsStream<S> {
    /// The client side: runs the handshake with `host` over `tcp`. The
    /// caller bounds it with a timeout.
    ///
    /// # Errors
    ///
    /// As [`BlockingTlsStream::connect`](super::BlockingTlsStream::connect).
    pub(crate) async fn connect(
        tcp: S,
        config: &TlsClientConfig,
        host: &str,
        kind: TimeoutKind,
    ) -> Result<TlsStream<S>, Error> {
        let conn = ClientConnection::new(config.rustls(), server_name(host)?)
            .map_err(|e| tls_failure(host, tls_error(&e)))?;
        let mut stream = TlsStream {
            conn: Connection::Client(conn),
            tcp,
        };
        match stream.handshake().await {
            Ok(()) => Ok(stream),
            Err(e) => Err(handshake_error(e, host, kind)),
        }
    }

    /// The server side, before its handshake: the caller runs
    /// [`handshake`](Self::handshake) under a timeout, and keeps the socket
    /// if it fails (to close it gently).
    ///
    /// # Errors
    ///
    /// rustls could not start a connection with `config`.
    pub(crate) fn server(tcp: S, config: &TlsServerConfig) -> io::Result<TlsStream<S>> {
        let conn = ServerConnection::new(config.rustls()).map_err(io::Error::other)?;
        Ok(TlsStream {
            conn: Connection::Server(conn),
            tcp,
        })
    }

    /// Whether the handshake resumed an earlier TLS session.
    pub(crate) fn resumed(&self) -> bool {
        self.conn.handshake_kind() == Some(HandshakeKind::Resumed)
    }

    /// The socket under the TLS layer, to drain it before closing.
    pub(crate) fn tcp_mut(&mut self) -> &mut S {
        &mut self.tcp
    }

    /// Exchanges handshake flights until the handshake is done.
    ///
    /// # Errors
    ///
    /// The peer does not speak TLS (a plain HTTP request, say), breaks the
    /// protocol, refuses our certificate, or closes; socket errors.
    pub(crate) async fn handshake(&mut self) -> io::Result<()> {
        loop {
            self.flush_tls().await?;
            if !self.conn.is_handshaking() {
                return Ok(());
            }
            if self.read_tls().await? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.process()?;
        }
    }

    /// Reads plaintext: `Ok(0)` once the peer sent `close_notify`, an
    /// `UnexpectedEof` error when the socket closed without it.
    pub(crate) async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.conn.reader().read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                result => return result,
            }
            // Nothing decrypted yet: send what rustls owes the peer (an
            // alert, a key update), then pull more records in.
            self.flush_tls().await?;
            self.read_tls().await?;
            self.process()?;
        }
    }

    /// Writes all of `buf` as records, and waits until the socket took them.
    pub(crate) async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.conn.writer().write(buf)?;
            buf = &buf[n..];
            self.flush_tls().await?;
        }
        Ok(())
    }

    /// Completes when a [`read`](Self::read) would find something: plaintext
    /// already decrypted, or bytes on the socket.
    pub(crate) async fn readable(&mut self) -> io::Result<()> {
        match self.conn.process_new_packets() {
            Ok(state) if state.plaintext_bytes_to_read() == 0 && !state.peer_has_closed() => {
                self.tcp.readable().await
            }
            _ => Ok(()),
        }
    }

    /// Closes the writing side: `close_notify` first (sent if the socket
    /// takes it now, never waited for), then the TCP half-close.
    pub(crate) fn shutdown(&mut self, how: Shutdown) -> io::Result<()> {
        if how != Shutdown::Read {
            self.conn.send_close_notify();
            self.try_flush_now();
        }
        self.tcp.shutdown(how)
    }

    /// Runs rustls on the bytes read so far. On failure rustls queues an
    /// alert for the peer, which is sent if the socket takes it now.
    fn process(&mut self) -> io::Result<()> {
        match self.conn.process_new_packets() {
            Ok(_) => Ok(()),
            Err(e) => {
                self.try_flush_now();
                Err(io::Error::new(io::ErrorKind::InvalidData, e))
            }
        }
    }

    /// Moves bytes from the socket into rustls, waiting until there are
    /// some; `Ok(0)` at the end of the stream.
    async fn read_tls(&mut self) -> io::Result<usize> {
        let TlsStream { conn, tcp } = self;
        poll_fn(|cx| match conn.read_tls(&mut Polled { tcp, cx }) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
            result => Poll::Ready(result),
        })
        .await
    }

    /// Moves every record rustls has to send into the socket, waiting
    /// while the socket is full.
    async fn flush_tls(&mut self) -> io::Result<()> {
        let TlsStream { conn, tcp } = self;
        poll_fn(|cx| {
            while conn.wants_write() {
                match conn.write_tls(&mut Polled { tcp, cx }) {
                    Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                    Err(e) => return Poll::Ready(Err(e)),
                }
            }
            Poll::Ready(Ok(()))
        })
        .await
    }

    /// Sends what rustls has queued if the socket takes it at once, without
    /// waiting (for an alert or a `close_notify` before the connection is
    /// dropped).
    fn try_flush_now(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        while self.conn.wants_write() {
            let mut io = Polled {
                tcp: &mut self.tcp,
                cx: &mut cx,
            };
            match self.conn.write_tls(&mut io) {
                Ok(n) if n > 0 => {}
                _ => return,
            }
        }
    }
}

/// The loop's socket as a non-blocking `Read + Write`: `WouldBlock` means
/// "the task's waker is with the reactor; return `Pending`".
struct Polled<'a, 'b, S> {
    /// The socket.
    tcp: &'a mut S,
    /// The polling task's context.
    cx: &'a mut Context<'b>,
}

impl<S: Socket> Read for Polled<'_, '_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.tcp.poll_read(self.cx, buf) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl<S: Socket> Write for Polled<'_, '_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.tcp.poll_write(self.cx, buf) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
