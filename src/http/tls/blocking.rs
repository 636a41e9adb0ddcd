//! The blocking client's TLS stream: `Read + Write` plaintext over a `std::net::TcpStream`.

use std::io::{self, Read, Write};
use std::net::TcpStream;

use rustls::pki_types::ServerName;
use rustls::{ClientConnection, HandshakeKind};

use super::{tls_error, TlsClientConfig};
use crate::http::{Error, TimeoutKind, TlsError};

/// A TLS client connection over a blocking socket. Reads and writes block
/// the thread, bounded by the socket's read and write timeouts.
#[derive(Debug)]
pub(crate) struct BlockingTlsStream {
    /// The rustls state: handshake, keys, buffered records and plaintext.
    conn: ClientConnection,
    /// The socket under it.
    tcp: TcpStream,
}

impl BlockingTlsStream {
    /// Runs the handshake with `host` over `tcp`, whose read and write
    /// timeouts the caller set to bound each wait.
    ///
    /// # Errors
    ///
    /// [`Error::Tls`] when the server's certificate is refused or it does
    /// not speak TLS; `Timeout(kind)` when a wait runs out; [`Error::Io`]
    /// for socket errors.
    pub(crate) fn connect(
        tcp: TcpStream,
        config: &TlsClientConfig,
        host: &str,
        kind: TimeoutKind,
    ) -> Result<BlockingTlsStream, Error> {
        let conn = ClientConnection::new(config.rustls(), server_name(host)?)
            .map_err(|e| tls_failure(host, tls_error(&e)))?;
        let mut stream = BlockingTlsStream { conn, tcp };
        while stream.conn.is_handshaking() {
            match stream.conn.complete_io(&mut stream.tcp) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(handshake_error(e, host, kind)),
            }
        }
        Ok(stream)
    }

    /// The socket, for its timeouts and for peeking at an idle connection.
    pub(crate) fn tcp(&self) -> &TcpStream {
        &self.tcp
    }

    /// Whether the handshake resumed an earlier TLS session.
    pub(crate) fn resumed(&self) -> bool {
        self.conn.handshake_kind() == Some(HandshakeKind::Resumed)
    }
}

impl Read for BlockingTlsStream {
    /// Plaintext: `Ok(0)` after the server's `close_notify`;
    /// `UnexpectedEof` when the socket closed without one.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        rustls::Stream::new(&mut self.conn, &mut self.tcp).read(buf)
    }
}

impl Write for BlockingTlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        rustls::Stream::new(&mut self.conn, &mut self.tcp).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        rustls::Stream::new(&mut self.conn, &mut self.tcp).flush()
    }
}

/// `host` as rustls wants it: a DNS name (sent as SNI) or an IP address
/// (no SNI), without an IPv6 address's brackets.
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, Error> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(bare.to_string()).map_err(|_| {
        tls_failure(
            host,
            TlsError::Protocol("the host is not a valid TLS server name".into()),
        )
    })
}

/// An [`Error::Tls`] with `host`.
pub(crate) fn tls_failure(host: &str, error: TlsError) -> Error {
    Error::Tls {
        host: host.to_string(),
        error,
    }
}

/// Sorts a failed handshake step: a rustls error, the socket closing, a
/// wait running out, or another socket error.
pub(crate) fn handshake_error(e: io::Error, host: &str, kind: TimeoutKind) -> Error {
    if let Some(error) = super::io_tls_error(&e) {
        return tls_failure(host, error);
    }
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout(kind),
        io::ErrorKind::UnexpectedEof => tls_failure(
            host,
            TlsError::Protocol("the server closed the connection during the handshake".into()),
        ),
        _ => Error::Io(e),
    }
}
