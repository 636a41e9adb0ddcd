//! The server's TLS edge: the handshake that comes before a connection's first request.
//!
//! With a [`TlsServerConfig`](crate::http::tls::TlsServerConfig) in
//! [`ServerConfig::tls`](super::ServerConfig), every accepted socket first
//! runs a TLS handshake, bounded by the
//! [`request_timeout`](super::ServerConfig::request_timeout) (a client that
//! stalls in the handshake is a slowloris like any other). Then the
//! connection task of `connection.rs` serves it exactly as a plain one,
//! through [`Transport`].
//!
//! A plain HTTP request on the TLS port fails at its first byte, which is
//! not a TLS record: rustls answers with an alert, and the connection is
//! closed at once (after draining what the client sent, briefly, so the
//! close does not turn into a reset that destroys the alert).
//!
//! A shortcut: a connection in its handshake is not among the idle
//! connections that a newcomer may evict at the cap (`idle.rs`); it holds
//! its slot until the handshake ends or times out.

use crate::http::runtime::Runtime;
use crate::http::transport::Transport;

use super::ServerConfig;

/// The connection to serve: plain, or TLS once its handshake succeeded.
/// `None` when the handshake failed or stalled; the socket is closed.
pub(super) async fn accept<R: Runtime>(
    tcp: R::Tcp,
    config: &ServerConfig,
) -> Option<Transport<R::Tcp>> {
    #[cfg(feature = "tls")]
    if let Some(tls) = &config.tls {
        // Boxed: the handshake's state (rustls's buffers) would otherwise
        // be part of every connection task, plain ones and idle ones too.
        return Box::pin(handshake::<R>(tcp, tls, config)).await;
    }
    let _ = config;
    Some(Transport::Plain(tcp))
}

/// Runs the server's handshake on `tcp` within the request timeout.
#[cfg(feature = "tls")]
async fn handshake<R: Runtime>(
    tcp: R::Tcp,
    tls: &crate::http::tls::TlsServerConfig,
    config: &ServerConfig,
) -> Option<Transport<R::Tcp>> {
    use crate::http::tls::TlsStream;

    let mut stream = TlsStream::server(tcp, tls).ok()?;
    match R::timeout(config.request_timeout, stream.handshake()).await {
        Ok(Ok(())) => Some(Transport::Tls(Box::new(stream))),
        Ok(Err(_)) => {
            // Not TLS, or broken: the alert is sent; close gently.
            linger::<R>(stream.tcp_mut()).await;
            None
        }
        Err(_elapsed) => None,
    }
}

/// Longest a refused handshake's socket is drained before it is dropped.
#[cfg(feature = "tls")]
const LINGER: std::time::Duration = std::time::Duration::from_millis(500);
/// Most bytes drained from a refused handshake's socket.
#[cfg(feature = "tls")]
const LINGER_BYTES: usize = 64 * 1024;

/// Half-closes `tcp` and reads what the client still sends, for a bounded
/// time, so that closing with unread input does not reset the connection
/// before the client read our alert.
#[cfg(feature = "tls")]
async fn linger<R: Runtime>(tcp: &mut R::Tcp) {
    use std::time::Instant;

    use crate::http::runtime::Socket;

    let _ = tcp.shutdown(std::net::Shutdown::Write);
    let until = Instant::now() + LINGER;
    let mut buf = [0u8; 4096];
    let mut drained = 0;
    while drained < LINGER_BYTES {
        let left = until.saturating_duration_since(Instant::now());
        match R::timeout(left, tcp.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => drained += n,
            _ => return,
        }
    }
}
