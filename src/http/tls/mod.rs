//! TLS for `https://`: rustls as one more sans-I/O layer between the socket and the HTTP core.
//!
//! # The idea
//!
//! rustls does no I/O of its own, exactly like our HTTP
//! [`codec`](super::codec): it is fed the bytes that came off the socket
//! (`read_tls`), turns them into records and plaintext
//! (`process_new_packets`, then `reader()`), and hands back the bytes it
//! wants sent (`write_tls`). So TLS slots in under HTTP without HTTP
//! noticing: the clients and the server read and write plaintext through a
//! stream that owns both the socket and the rustls state, and the message
//! core stays the same.
//!
//! ```text
//!   HTTP (exchange / server connection)      plaintext
//!          │  read / write_all
//!   TLS stream (this module) ── rustls ──    records: read_tls / write_tls
//!          │
//!   TCP socket (std or event loop)           bytes
//! ```
//!
//! # Reading order
//!
//! 1. `client_config.rs` — [`TlsClientConfig`]: whom a client trusts
//!    (Mozilla's roots from `webpki-roots`, or a `--ca-file`), ALPN
//!    `http/1.1`, and the session cache that lets a second connection
//!    *resume* instead of running a full handshake.
//! 2. `server_config.rs` — [`TlsServerConfig`]: the server's certificate
//!    and key, from PEM files or made at start (`serve --tls-self-signed`).
//! 3. `failure.rs` — rustls's errors turned into [`TlsError`](super::TlsError)s
//!    a user can act on.
//! 4. `blocking.rs` — the blocking client's stream: `Read + Write` over a
//!    `std::net::TcpStream`.
//! 5. `evented.rs` — the event loop's stream: the same, but every wait for
//!    the socket parks the task. This is the one to read for the lesson:
//!    it drives `read_tls` / `write_tls` by readiness, by hand. It is
//!    generic over the runtime's socket, so the work-stealing runtime's
//!    HTTP gets TLS from the same code.
//!
//! `transport.rs`, one level up, puts plain and TLS streams behind one
//! type for the clients and the server.
//!
//! # Safety by default
//!
//! Certificates are always verified; there is no "insecure" switch. A
//! private server is trusted by naming its CA ([`TlsClientConfig::from_ca_file`],
//! `download --ca-file`). A response whose end is marked by the connection
//! closing is accepted only after TLS's `close_notify`: a bare TCP close
//! could be an attacker cutting the page short, and gives
//! [`TlsError::Truncated`](super::TlsError::Truncated).
//!
//! # What a production stack would add
//!
//! The system's certificate store beside the bundled roots
//! (`rustls-native-certs`), client certificates, OCSP stapling, certificate
//! reloading without a restart, and HTTP/2 over ALPN.

mod blocking;
mod client_config;
mod evented;
mod failure;
mod server_config;

pub(crate) use blocking::BlockingTlsStream;
pub use client_config::{set_default_ca_file, set_default_ca_pem, TlsClientConfig};
pub(crate) use evented::TlsStream;
pub(crate) use failure::{io_tls_error, tls_error};
pub use server_config::{SelfSigned, TlsServerConfig};

/// The one ALPN protocol both sides offer: handspun speaks HTTP/1.1 only.
const ALPN_HTTP11: &[u8] = b"http/1.1";

/// The crypto provider: *ring* (it needs only a C compiler to build, where
/// aws-lc-rs, rustls's default, also needs cmake).
fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}
