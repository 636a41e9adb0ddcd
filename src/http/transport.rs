//! The byte pipe under HTTP: a plain TCP socket, or TLS over one.
//!
//! The HTTP code reads and writes plaintext and does not care which it
//! has: `http://` gets [`Transport::Plain`], `https://` gets
//! [`Transport::Tls`] (see [`tls`](super::tls)). An enum rather than a
//! trait object: two cases, known here, matched in a few lines.
//!
//! The TLS cases box their futures (`Box::pin`): a future of an async fn
//! is as large as its largest case, and rustls's record state would
//! otherwise make every plain connection's task larger too — every idle
//! one of them (`docs/benchmarks/http.md`, "Many connections on one
//! thread"). A plain connection pays nothing; a TLS one, an allocation per
//! call, beside a record's encryption.
//! [`BlockingTransport`] is the same for the blocking client.
//!
//! `S` is the runtime's socket (`runtime.rs`): the single loop's
//! [`TcpStream`](crate::event_loop::net::TcpStream) or the stealing
//! runtime's.

use std::io::{self, Read, Write};
use std::net::Shutdown;

use super::runtime::Socket;
use super::Error;

/// An async connection, plain or TLS; used by the async clients and the server.
#[derive(Debug)]
pub(crate) enum Transport<S> {
    /// `http://`: bytes straight on the socket.
    Plain(S),
    /// `https://`: records, sealed and opened by rustls.
    #[cfg(feature = "tls")]
    Tls(Box<super::tls::TlsStream<S>>),
}

impl<S: Socket> Transport<S> {
    /// Reads plaintext; `Ok(0)` at a clean end of stream.
    pub(crate) async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(tcp) => tcp.read(buf).await,
            #[cfg(feature = "tls")]
            Transport::Tls(tls) => Box::pin(tls.read(buf)).await,
        }
    }

    /// Writes all of `buf`.
    pub(crate) async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Transport::Plain(tcp) => tcp.write_all(buf).await,
            #[cfg(feature = "tls")]
            Transport::Tls(tls) => Box::pin(tls.write_all(buf)).await,
        }
    }

    /// Completes when a read would not wait.
    pub(crate) async fn readable(&mut self) -> io::Result<()> {
        match self {
            Transport::Plain(tcp) => tcp.readable().await,
            #[cfg(feature = "tls")]
            Transport::Tls(tls) => Box::pin(tls.readable()).await,
        }
    }

    /// Shuts a direction down (for TLS, writing sends `close_notify` first).
    pub(crate) fn shutdown(&mut self, how: Shutdown) -> io::Result<()> {
        match self {
            Transport::Plain(tcp) => tcp.shutdown(how),
            #[cfg(feature = "tls")]
            Transport::Tls(tls) => tls.shutdown(how),
        }
    }
}

/// A blocking client connection, plain or TLS.
#[derive(Debug)]
pub(crate) enum BlockingTransport {
    /// `http://`.
    Plain(std::net::TcpStream),
    /// `https://`.
    #[cfg(feature = "tls")]
    Tls(Box<super::tls::BlockingTlsStream>),
}

impl BlockingTransport {
    /// The socket under it (for timeouts and the idle check).
    pub(crate) fn tcp(&self) -> &std::net::TcpStream {
        match self {
            BlockingTransport::Plain(tcp) => tcp,
            #[cfg(feature = "tls")]
            BlockingTransport::Tls(tls) => tls.tcp(),
        }
    }
}

impl Read for BlockingTransport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            BlockingTransport::Plain(tcp) => tcp.read(buf),
            #[cfg(feature = "tls")]
            BlockingTransport::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for BlockingTransport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            BlockingTransport::Plain(tcp) => tcp.write(buf),
            #[cfg(feature = "tls")]
            BlockingTransport::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            BlockingTransport::Plain(tcp) => tcp.flush(),
            #[cfg(feature = "tls")]
            BlockingTransport::Tls(tls) => tls.flush(),
        }
    }
}

/// Turns a failed read or write of an exchange with `host` into an
/// [`Error`]. TLS failures come out typed; a TLS stream that ended without
/// `close_notify` is [`TlsError::Truncated`](super::TlsError::Truncated)
/// once part of the response had arrived, and an ordinary
/// [`Error::ConnectionClosed`] before (a stale keep-alive connection, which
/// a GET may retry). Timeouts are the caller's to sort first.
pub(crate) fn stream_error(e: io::Error, host: &str, received_any: bool) -> Error {
    #[cfg(feature = "tls")]
    {
        use super::TlsError;
        if let Some(error) = super::tls::io_tls_error(&e) {
            return Error::Tls {
                host: host.to_string(),
                error,
            };
        }
        if e.kind() == io::ErrorKind::UnexpectedEof {
            return if received_any {
                Error::Tls {
                    host: host.to_string(),
                    error: TlsError::Truncated,
                }
            } else {
                Error::ConnectionClosed
            };
        }
    }
    let _ = (host, received_any);
    Error::Io(e)
}
