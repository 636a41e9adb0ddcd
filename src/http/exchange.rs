//! One request and its response on one connection, without the I/O: what both clients share.
//!
//! The blocking and the async client differ only in how they wait for a
//! socket. Everything else — the bytes of a `GET`, turning decoder events
//! into a [`Response`], deciding whether the connection can be reused —
//! lives here, once, and so do the two helpers of their connect and read
//! loops: [`resolve`] with [`connect_error`], and [`next_wait`].

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::body::content_length;
use super::codec::{Event, ResponseDecoder};
use super::head::{RequestHead, ResponseHead};
use super::{Error, Limits, TimeoutKind, Url};

/// A complete response: status, headers and the whole body.
///
/// # Examples
///
/// ```
/// use handspun::http::Response;
///
/// let response = Response {
///     status: 200,
///     headers: vec![("Content-Type".into(), "text/plain".into())],
///     body: b"hi".to_vec(),
/// };
/// assert_eq!(response.header("content-type"), Some("text/plain"));
/// assert!(response.is_success());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code, such as 200.
    pub status: u16,
    /// Header lines in the order received.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        super::head::find_header(&self.headers, name)
    }

    /// `true` for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The bytes of a `GET` for `url`, as both clients send it.
pub(crate) fn get_request_bytes(url: &Url) -> Vec<u8> {
    let mut head = RequestHead::get(url.target(), &url.host_header());
    head.headers.push((
        "User-Agent".into(),
        concat!("handspun/", env!("CARGO_PKG_VERSION")).into(),
    ));
    head.headers.push(("Accept".into(), "*/*".into()));
    let mut bytes = Vec::with_capacity(128);
    head.write_to(&mut bytes);
    bytes
}

/// A response being received: feed it what the socket gives until it
/// reports the response complete.
#[derive(Debug)]
pub(crate) struct Exchange {
    /// The shared message decoder.
    decoder: ResponseDecoder,
    /// The head, once it has arrived.
    head: Option<ResponseHead>,
    /// Body bytes so far (bounded by the decoder's body limit).
    body: Vec<u8>,
    /// Whether any byte of the response arrived (a GET that got nothing on a
    /// reused connection may be retried).
    received_any: bool,
}

/// A finished exchange.
#[derive(Debug)]
pub(crate) struct Completed {
    /// The response.
    pub response: Response,
    /// Whether the connection may carry another request.
    pub reusable: bool,
}

impl Exchange {
    /// Ready to receive a response under `limits`.
    pub(crate) fn new(limits: Limits) -> Exchange {
        Exchange {
            decoder: ResponseDecoder::new(limits),
            head: None,
            body: Vec::new(),
            received_any: false,
        }
    }

    /// Whether any byte of the response has arrived.
    pub(crate) fn received_any(&self) -> bool {
        self.received_any
    }

    /// Feeds bytes read from the socket (an empty slice means the peer
    /// closed); `Some` once the response is complete. A failure is
    /// [classified](Retry::classify) by whether bytes had arrived before these.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<Option<Completed>, Retry> {
        let received_before = self.received_any;
        self.decode(bytes)
            .map_err(|e| Retry::classify(e, received_before))
    }

    /// [`feed`](Self::feed) before its failures are classified.
    fn decode(&mut self, bytes: &[u8]) -> Result<Option<Completed>, Error> {
        if bytes.is_empty() {
            self.decoder.feed_eof();
        } else {
            if !self.received_any && looks_like_tls_record(bytes) {
                // A TLS server answering our plaintext with a record (an
                // alert, most likely): the URL should have said https://.
                return Err(Error::UnexpectedTls);
            }
            self.received_any = true;
            self.decoder.feed(bytes);
        }
        while let Some(event) = self.decoder.next_event()? {
            match event {
                Event::Head(head) => {
                    // The decoder already refused lengths over the body limit;
                    // reserve at most 8 MiB up front all the same.
                    if let Ok(Some(len)) = content_length(&head.headers) {
                        self.body.reserve(len.min(8 << 20) as usize);
                    }
                    self.head = Some(head);
                }
                Event::Data(data) if self.body.capacity() == 0 => self.body = data,
                Event::Data(data) => self.body.extend_from_slice(&data),
                Event::End => return self.finish().map(Some),
            }
        }
        Ok(None)
    }

    /// Builds the [`Completed`] response once the decoder said `End`.
    fn finish(&mut self) -> Result<Completed, Error> {
        if self.decoder.buffered() > 0 {
            // Bytes after the end of the response: the server's framing is
            // wrong, and nothing after this point on the connection can be trusted.
            return Err(Error::ExcessData);
        }
        let head = self
            .head
            .take()
            .ok_or(Error::UnexpectedEof { during: "head" })?;
        let framed = head.header("content-length").is_some()
            || head.header("transfer-encoding").is_some()
            || matches!(head.status, 204 | 304);
        let reusable = framed && head.keeps_alive();
        Ok(Completed {
            response: Response {
                status: head.status,
                headers: head.headers,
                body: std::mem::take(&mut self.body),
            },
            reusable,
        })
    }
}

/// Whether `bytes` open like a TLS record: a handshake (22) or alert (21)
/// content type, then major version 3. No HTTP response starts so.
fn looks_like_tls_record(bytes: &[u8]) -> bool {
    matches!(bytes, [21 | 22, 3, ..])
}

/// Why an exchange failed: `Stale` failures happened before any byte of
/// the response arrived on a connection the peer closed or reset, so a GET
/// may be sent again on a fresh connection.
#[derive(Debug)]
pub(crate) enum Retry {
    /// The connection was closed or reset before the response began.
    Stale(Error),
    /// Any other failure.
    Fatal(Error),
}

impl Retry {
    /// Sorts `error` by whether any byte of the response had arrived.
    pub(crate) fn classify(error: Error, received_any: bool) -> Retry {
        if !received_any && error.is_stale_connection() {
            Retry::Stale(error)
        } else {
            Retry::Fatal(error)
        }
    }

    /// The error inside.
    pub(crate) fn into_error(self) -> Error {
        match self {
            Retry::Stale(e) | Retry::Fatal(e) => e,
        }
    }
}

/// How long the next wait may last given the total `deadline`, and which
/// clock will have run out if it expires: the `per_wait` clock of `kind`, or
/// the total one when less than `per_wait` is left.
///
/// # Errors
///
/// `Timeout(Total)` once the deadline has passed.
pub(crate) fn next_wait(
    deadline: Option<Instant>,
    per_wait: Duration,
    kind: TimeoutKind,
) -> Result<(Duration, TimeoutKind), Error> {
    let Some(deadline) = deadline else {
        return Ok((per_wait, kind));
    };
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(Error::Timeout(TimeoutKind::Total))
    } else if left < per_wait {
        Ok((left, TimeoutKind::Total))
    } else {
        Ok((per_wait, kind))
    }
}

/// The addresses `url`'s host and port resolve to, to be tried in order.
///
/// Name resolution blocks without a timeout: std offers none. That is fine
/// for the IP addresses and `localhost` the workloads use; a production
/// client resolves on a helper thread, so neither a caller nor an event
/// loop stalls on a slow DNS server.
///
/// # Errors
///
/// [`Error::Resolve`] if the name cannot be resolved or has no address.
pub(crate) fn resolve(url: &Url) -> Result<Vec<SocketAddr>, Error> {
    let failed = |source| Error::Resolve {
        host: url.host().to_string(),
        source,
    };
    // `host:port` as one string: std parses `[v6]:port` itself.
    let addrs: Vec<SocketAddr> = url.authority().to_socket_addrs().map_err(failed)?.collect();
    if addrs.is_empty() {
        return Err(failed(io::Error::new(
            io::ErrorKind::NotFound,
            "the name has no address",
        )));
    }
    Ok(addrs)
}

/// The error once no address of `authority` accepted a connection: `last`
/// is the last address's failure (`None` if there was no address to try).
pub(crate) fn connect_error(authority: &str, last: Option<io::Error>) -> Error {
    Error::Connect {
        addr: authority.to_string(),
        source: last
            .unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "the host has no address")),
    }
}
