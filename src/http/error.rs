//! The one error type of the HTTP layer: every way a request can fail, typed.
//!
//! Both clients and the server report failures with [`Error`]. Each variant
//! names one cause and its `Display` text says what happened in words a user
//! can act on ("the response head is larger than 65536 bytes"), so a failed
//! download in a report explains itself.

use std::fmt;
use std::io;

/// Which clock ran out in an [`Error::Timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeoutKind {
    /// Opening the TCP connection took longer than the connect timeout.
    Connect,
    /// No byte arrived (or could be written) for longer than the read timeout.
    Read,
    /// The whole request, redirects included, took longer than the total timeout.
    Total,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Connect => "connect",
            TimeoutKind::Read => "read",
            TimeoutKind::Total => "total",
        })
    }
}

/// Which part of a message head `httparse` could not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParseError {
    /// The status code is missing or is not three digits.
    Status,
    /// The version is not `HTTP/1.0` or `HTTP/1.1`.
    Version,
    /// A header name holds a character a name may not hold (a header line
    /// without a colon ends up here).
    HeaderName,
    /// A header value holds a control character.
    HeaderValue,
    /// A line ends in something other than `\r\n` or `\n`.
    NewLine,
    /// The method or the request target is not a valid token.
    Token,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseError::Status => "invalid status line (expected `HTTP/1.1 200 OK`)",
            ParseError::Version => "invalid HTTP version (expected HTTP/1.0 or HTTP/1.1)",
            ParseError::HeaderName => "invalid header line (expected `Name: value`)",
            ParseError::HeaderValue => "invalid character in a header value",
            ParseError::NewLine => "invalid line ending in the head",
            ParseError::Token => "invalid request line (expected `GET /path HTTP/1.1`)",
        })
    }
}

/// Why TLS with a server failed (inside [`Error::Tls`]).
///
/// The certificate variants are the ones a user can act on (trust a CA
/// with `--ca-file`, fix the clock or the certificate, use the right name);
/// the rest say how the conversation broke.
///
/// # Examples
///
/// ```
/// use handspun::http::{Error, TlsError};
///
/// let error = Error::Tls { host: "example.test".into(), error: TlsError::UnknownIssuer };
/// assert!(error.to_string().contains("--ca-file"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    /// The certificate does not chain to a trusted authority: a private or
    /// self-signed certificate (trust its CA with `--ca-file`).
    #[error("the certificate is not signed by a trusted authority (a private CA? pass it with --ca-file)")]
    UnknownIssuer,
    /// The certificate's validity ended.
    #[error("the certificate has expired")]
    Expired,
    /// The certificate's validity has not begun yet (or our clock is wrong).
    #[error("the certificate is not valid yet")]
    NotValidYet,
    /// The certificate is valid, but for other host names.
    #[error("the certificate is not valid for this host name")]
    WrongHost,
    /// The certificate was refused for another reason.
    #[error("the certificate was refused: {0}")]
    BadCertificate(String),
    /// The server did not answer in TLS: a plain HTTP server behind an
    /// `https://` URL.
    #[error("the server does not speak TLS on this port (a plain http:// server?)")]
    NotTls,
    /// The server ended the handshake with an alert.
    #[error("the server sent the alert `{0}`")]
    AlertReceived(String),
    /// The server broke the TLS protocol: garbage records, bad messages.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The connection ended without TLS's `close_notify` while the
    /// response was still arriving: an attacker may have cut it short.
    #[error("the connection closed without close_notify: the response may be truncated")]
    Truncated,
}

/// Everything that can go wrong sending a request or reading a message.
///
/// The first group comes from the URL and the network, the second from the
/// message itself (the sans-I/O [`codec`](super::codec) raises those), the
/// third from following redirects.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scheme this build does not speak: only `http://`, and `https://`
    /// when built with the `tls` feature (the default).
    #[cfg_attr(
        feature = "tls",
        error("unsupported URL scheme `{scheme}`: only http:// and https:// are supported")
    )]
    #[cfg_attr(
        not(feature = "tls"),
        error("unsupported URL scheme `{scheme}`: only http:// is supported (built without the `tls` feature)")
    )]
    UnsupportedScheme {
        /// The scheme the URL asked for, such as `https`.
        scheme: String,
    },
    /// The URL could not be understood.
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The host name could not be resolved to an address (no such name, or
    /// no resolver to ask).
    #[error("could not resolve the host name `{host}`: {source}")]
    Resolve {
        /// The name we looked up.
        host: String,
        /// What the resolver said.
        #[source]
        source: io::Error,
    },
    /// The TCP connection could not be opened (refused, unreachable).
    #[error("could not connect to {addr}: {source}")]
    Connect {
        /// `host:port` we tried.
        addr: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// TLS with an `https://` server failed: its certificate was refused,
    /// it did not speak TLS, or the TLS stream broke. What exactly is in
    /// the [`TlsError`].
    #[error("TLS with {host} failed: {error}")]
    Tls {
        /// The host name the certificate had to match.
        host: String,
        /// What went wrong.
        #[source]
        error: TlsError,
    },
    /// The server answered a plain `http://` request with TLS records: it
    /// speaks only TLS on that port, and the URL should say `https://`.
    #[error("the server answered with TLS: try an https:// URL")]
    UnexpectedTls,
    /// A certificate, key or CA file could not be loaded.
    #[error("cannot use {what}: {reason}")]
    TlsSetup {
        /// The file or item, such as `CA file ca.pem`.
        what: String,
        /// Why not.
        reason: String,
    },
    /// A clock ran out; which one is in the [`TimeoutKind`].
    #[error("{0} timeout: the server took too long")]
    Timeout(TimeoutKind),
    /// The peer reset the connection or another socket error happened mid-exchange.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),

    /// The message head did not end within the head size limit.
    #[error("the message head is larger than {limit} bytes")]
    HeaderTooLarge {
        /// The limit in bytes ([`Limits::max_head_bytes`](super::Limits::max_head_bytes)).
        limit: usize,
    },
    /// The head has more header lines than allowed.
    #[error("the message has more than {limit} headers")]
    TooManyHeaders {
        /// The limit ([`Limits::max_headers`](super::Limits::max_headers)).
        limit: usize,
    },
    /// The body is, or declares it will be, larger than allowed.
    #[error("the body is larger than the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes ([`Limits::max_body_bytes`](super::Limits::max_body_bytes)).
        limit: u64,
    },
    /// A `Content-Length` value that is not a plain non-negative decimal number.
    #[error("invalid Content-Length `{value}` (expected a non-negative decimal number)")]
    InvalidContentLength {
        /// The value as received.
        value: String,
    },
    /// Two `Content-Length` headers that disagree: the body length is unknowable.
    #[error("conflicting Content-Length headers: {first} and {second}")]
    ConflictingContentLength {
        /// The first length seen.
        first: u64,
        /// A different length seen later.
        second: u64,
    },
    /// A `Transfer-Encoding` this implementation cannot decode.
    #[error("unsupported Transfer-Encoding `{value}` (only chunked is supported)")]
    UnsupportedTransferEncoding {
        /// The value as received.
        value: String,
    },
    /// A request that declares its body length twice, with both
    /// `Content-Length` and `Transfer-Encoding`: two parsers could disagree
    /// on where it ends (request smuggling behind a proxy), so a server
    /// refuses it and closes the connection (RFC 9112 §6.1).
    #[error("the request has both Content-Length and Transfer-Encoding (ambiguous framing)")]
    AmbiguousFraming,
    /// An HTTP/1.0 request with `Transfer-Encoding`, which HTTP/1.0 does not
    /// have: its framing cannot be trusted (RFC 9112 §6.1).
    #[error("Transfer-Encoding in an HTTP/1.0 request")]
    TransferEncodingInHttp10,
    /// A chunk-size line that is not a hexadecimal number (or is too long).
    #[error("invalid chunk size line `{line}`")]
    InvalidChunkSize {
        /// The start of the offending line, made printable.
        line: String,
    },
    /// Chunked framing broken elsewhere: no CRLF after a chunk's data.
    #[error("malformed chunked body: {reason}")]
    InvalidChunkedEncoding {
        /// What was expected.
        reason: &'static str,
    },
    /// The head could not be parsed.
    #[error("malformed message head: {0}")]
    Parse(ParseError),
    /// The connection closed in the middle of a message.
    #[error("the connection closed in the middle of the {during}")]
    UnexpectedEof {
        /// `"head"` or `"body"`.
        during: &'static str,
    },
    /// The connection closed before the peer sent any byte of a message.
    #[error("the connection closed before a message began")]
    ConnectionClosed,
    /// The server sent more bytes than the response declared.
    #[error("the server sent bytes past the end of the response (body longer than declared)")]
    ExcessData,

    /// More redirects than allowed.
    #[error("more than {limit} redirects")]
    TooManyRedirects {
        /// The redirect limit.
        limit: usize,
    },
    /// A redirect pointed back at a URL already visited.
    #[error("redirect loop: {url} was already visited")]
    RedirectLoop {
        /// The URL seen twice.
        url: String,
    },
    /// A redirect status without a usable `Location` header.
    #[error("redirect ({status}) without a usable Location header")]
    InvalidRedirect {
        /// The 3xx status.
        status: u16,
    },
}

impl Error {
    /// `true` when this error means "the peer closed or reset the connection
    /// before answering": on a reused keep-alive connection that is the
    /// classic race with the server's idle timeout, and a GET may be retried.
    pub fn is_stale_connection(&self) -> bool {
        match self {
            Error::ConnectionClosed => true,
            Error::Io(e) => matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
            ),
            _ => false,
        }
    }
}

impl From<httparse::Error> for Error {
    fn from(e: httparse::Error) -> Self {
        Error::Parse(match e {
            httparse::Error::HeaderName => ParseError::HeaderName,
            httparse::Error::HeaderValue => ParseError::HeaderValue,
            httparse::Error::NewLine => ParseError::NewLine,
            httparse::Error::Status => ParseError::Status,
            httparse::Error::Token => ParseError::Token,
            httparse::Error::Version => ParseError::Version,
            // The caller maps TooManyHeaders itself (it knows the limit);
            // reaching here would be a bug, reported as a header error.
            httparse::Error::TooManyHeaders => ParseError::HeaderName,
        })
    }
}
