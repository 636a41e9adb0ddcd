//! HTTP/1.1: one message core, a blocking client, an async client, and the slow-site server.
//!
//! # The idea
//!
//! An HTTP/1.1 message is a *head* (a start line and `Name: value` headers,
//! ended by an empty line) followed by a *body* whose end is marked in one of
//! three ways: a `Content-Length`, the chunked transfer coding, or the
//! connection closing. Everything in this module is built around one
//! *sans-I/O* decoder that knows those rules and nothing about sockets: feed
//! it bytes, and it hands back "head", "some body bytes", "end of message".
//! The blocking client, the async client and the server each own their
//! sockets and all use that one decoder. There is no second parser.
//!
//! Who uses what:
//!
//! ```text
//!   blocking::Session ─┐                        ┌─ server (one task per connection)
//!   Session (async) ───┴─► exchange ─► codec ◄──┘
//!          │                            ├─ head  (httparse)
//!          │                            └─ body  (Content-Length, chunked, until close)
//!          └──────► transport: plain TCP, or TLS (rustls) over TCP ◄── server
//! ```
//!
//! Hostile or broken peers are the normal case for a network program, so
//! every buffer is bounded ([`Limits`]) and every failure is a typed
//! [`Error`] that says what went wrong — never a hang, a panic, or memory the
//! peer chose.
//!
//! # Reading order
//!
//! 1. [`error`] — every way things fail, and [`limits`] — the size bounds.
//! 2. [`head`] — request and response heads: `httparse` reads them, we write them.
//! 3. [`body`] — the three body framings and the chunked state machine.
//! 4. [`codec`] — the sans-I/O decoder that ties heads and bodies together.
//! 5. [`url`], [`redirect`] and `exchange.rs` — what both clients share;
//!    `transport.rs` — the plain or TLS stream under them, and `tls`
//!    (feature `tls`, on by default) — rustls as one more sans-I/O layer.
//! 6. [`blocking`] — the blocking `Session` with its keep-alive pool.
//! 7. `client.rs` — the async [`Session`]: the same on the event loop, and
//!    `pool.rs` — its limit on open connections, which many tasks queue for.
//! 8. [`server`] — the slow site: one task per connection on one event loop,
//!    and how it stays up under hostile clients.
//! 9. `runtime.rs` — what the async client and the server need from a
//!    runtime (a socket, a listener, `sleep`, `timeout`), so that the same
//!    code also runs on the work-stealing runtime: [`stealing`] has its
//!    `Session`, and [`server`] its `serve_until_signal_stealing`.
//!
//! # Example
//!
//! ```
//! use handspun::http::codec::{Event, RequestDecoder};
//! use handspun::http::Limits;
//!
//! // Two pipelined requests arrive in one read; they come out in order.
//! let mut decoder = RequestDecoder::new(Limits::default());
//! decoder.feed(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
//! let mut targets = Vec::new();
//! while let Some(event) = decoder.next_event().unwrap() {
//!     if let Event::Head(head) = event {
//!         targets.push(head.target);
//!     }
//! }
//! assert_eq!(targets, ["/a", "/b"]);
//! ```

// No unsafe code, except the few signal-mask calls in `server/signal.rs`,
// which opt out of this lint where they stand.
#![deny(unsafe_code)]

pub mod blocking;
pub mod body;
mod client;
pub mod codec;
mod config;
pub mod error;
mod exchange;
pub mod head;
pub mod limits;
mod pool;
pub mod redirect;
mod runtime;
pub mod server;
pub mod stealing;
#[cfg(feature = "tls")]
pub mod tls;
mod transport;
pub mod url;

pub use client::{Session, SessionBuilder};
pub use config::{ClientBuilder, ClientConfig};
pub use error::{Error, ParseError, TimeoutKind, TlsError};
pub use exchange::Response;
pub use head::{RequestHead, ResponseHead};
pub use limits::Limits;
pub use url::Url;

/// Byte `i` of every body the slow site serves: `b'a' + i % 26`, so a client
/// can check a download without keeping a copy.
///
/// # Examples
///
/// ```
/// use handspun::http::expected_body_byte;
///
/// assert_eq!(expected_body_byte(0), b'a');
/// assert_eq!(expected_body_byte(27), b'b');
/// ```
pub fn expected_body_byte(i: usize) -> u8 {
    b'a' + (i % 26) as u8
}
