//! The blocking client: a `Session` with a keep-alive pool, like Python's `requests.Session`.
//!
//! `get` walks these steps, blocking the calling thread on each socket call:
//!
//! 1. take an idle connection to `scheme://host:port` from the pool
//!    (checking that the server has not closed it meanwhile), or open a new
//!    one — for `https://`, a TCP connection plus a TLS handshake, which
//!    resumes an earlier TLS session when the session has one
//!    (`tls/blocking.rs`);
//! 2. write the request, then read and [feed](super::codec) until the
//!    response is complete, each read bounded by the read timeout and the
//!    time left of the total timeout;
//! 3. put the connection back if the response allows reuse;
//! 4. if the response is a redirect, start again at the new URL.
//!
//! A reused connection may have been closed by the server an instant before
//! the request went out (its idle timeout raced our request). When that
//! connection then yields nothing at all, a `GET` — safe to repeat — is
//! retried once on a fresh connection.
//!
//! `Session` is `Send + Sync`: threads may share one (the pool is behind a
//! mutex, held only to take or return a connection, never during I/O), or
//! keep one each (the thread-pool workload's thread-local sessions).

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::config::ClientBuilder;
use super::exchange::{
    connect_error, get_request_bytes, next_wait, resolve, Completed, Exchange, Retry,
};
use super::redirect::RedirectTracker;
use super::transport::{stream_error, BlockingTransport};
use super::url::Scheme;
use super::{ClientConfig, Error, Limits, Response, TimeoutKind, Url};

/// A blocking HTTP/1.1 client session with a keep-alive connection pool.
///
/// # Examples
///
/// ```
/// use handspun::http::{blocking::Session, server::spawn_background};
///
/// let server = spawn_background("127.0.0.1:0".parse().unwrap()).unwrap();
/// let session = Session::new();
/// for _ in 0..3 {
///     let response = session.get(&server.url("/bytes/1024"))?;
///     assert_eq!((response.status, response.body.len()), (200, 1024));
/// }
/// assert_eq!(session.connections_opened(), 1); // keep-alive
/// # Ok::<(), handspun::http::Error>(())
/// ```
#[derive(Debug)]
pub struct Session {
    /// Timeouts, limits, pool sizes.
    config: ClientConfig,
    /// Idle keep-alive connections by origin (`scheme://host:port`).
    /// Guarded by its mutex, which is held only to push or pop, never
    /// across I/O. Every stream in it finished its last exchange cleanly
    /// with a reusable response.
    idle: Mutex<HashMap<String, Vec<BlockingTransport>>>,
    /// TCP connections this session opened, ever (the io workload reports
    /// it); a TLS connection counts once, like a plain one.
    connections_opened: AtomicU64,
    /// TLS handshakes that resumed an earlier session instead of a full one.
    tls_resumptions: AtomicU64,
}

/// Builds a [`Session`] with non-default settings: the [`ClientBuilder`]
/// both clients share.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use handspun::http::blocking::Session;
///
/// let session = Session::builder()
///     .connect_timeout(Duration::from_secs(2))
///     .read_timeout(Duration::from_secs(5))
///     .total_timeout(Some(Duration::from_secs(10)))
///     .max_redirects(3)
///     .build();
/// assert_eq!(session.connections_opened(), 0);
/// ```
pub type Builder = ClientBuilder<Session>;

impl From<ClientConfig> for Session {
    fn from(config: ClientConfig) -> Session {
        Session {
            config,
            idle: Mutex::new(HashMap::new()),
            connections_opened: AtomicU64::new(0),
            tls_resumptions: AtomicU64::new(0),
        }
    }
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

/// When the current `get` must give up, and which clocks limit each wait.
#[derive(Debug, Clone, Copy)]
struct Clocks {
    /// End of the total timeout, if any.
    deadline: Option<Instant>,
    /// The per-read (and per-write) timeout.
    read_timeout: Duration,
}

impl Clocks {
    /// How long the next wait of a `kind` clock may last (see [`next_wait`]).
    fn next_wait(
        &self,
        per_wait: Duration,
        kind: TimeoutKind,
    ) -> Result<(Duration, TimeoutKind), Error> {
        next_wait(self.deadline, per_wait, kind)
    }
}

impl Session {
    /// A session with the default settings (see [`ClientConfig`]).
    pub fn new() -> Session {
        Session::from(ClientConfig::default())
    }

    /// A builder for custom timeouts and limits.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// TCP connections this session has opened so far. With keep-alive this
    /// stays far below the number of requests.
    pub fn connections_opened(&self) -> u64 {
        self.connections_opened.load(Ordering::Relaxed)
    }

    /// TLS handshakes of this session that resumed an earlier TLS session
    /// (cheaper than a full handshake: no certificate to send and check).
    pub fn tls_resumptions(&self) -> u64 {
        self.tls_resumptions.load(Ordering::Relaxed)
    }

    /// Fetches `url` with `GET`, following redirects, and reads the whole body.
    ///
    /// Any status is returned as a response, 404 and 500 included; only
    /// failures to get a well-formed response are errors.
    ///
    /// # Errors
    ///
    /// Every [`Error`] variant that concerns URLs, connections, timeouts,
    /// malformed responses and redirects.
    pub fn get(&self, url: &str) -> Result<Response, Error> {
        let clocks = Clocks {
            deadline: self.config.total_timeout.map(|t| Instant::now() + t),
            read_timeout: self.config.read_timeout,
        };
        let mut url = Url::parse(url)?;
        let mut redirects = RedirectTracker::new(&url, self.config.max_redirects);
        loop {
            let response = self.fetch(&url, &clocks)?;
            match redirects.next(&url, &response)? {
                Some(next) => url = next,
                None => return Ok(response),
            }
        }
    }

    /// One request for `url`, retried once on a fresh connection if a
    /// pooled connection turned out to be closed.
    fn fetch(&self, url: &Url, clocks: &Clocks) -> Result<Response, Error> {
        let origin = url.origin();
        let (mut stream, reused) = match self.checkout(&origin) {
            Some(stream) => (stream, true),
            None => (self.connect(url, clocks)?, false),
        };
        let completed = match exchange(&mut stream, url, clocks, self.config.limits) {
            Err(Retry::Stale(_)) if reused => {
                stream = self.connect(url, clocks)?;
                exchange(&mut stream, url, clocks, self.config.limits)
            }
            other => other,
        }
        .map_err(Retry::into_error)?;
        if completed.reusable {
            self.checkin(origin, stream);
        }
        Ok(completed.response)
    }

    /// An idle connection to `origin` that still looks open.
    fn checkout(&self, origin: &str) -> Option<BlockingTransport> {
        loop {
            let stream = {
                let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
                idle.get_mut(origin)?.pop()?
            };
            if still_open(stream.tcp()) {
                return Some(stream);
            }
        }
    }

    /// Returns a connection to the pool (or drops it if the pool is full).
    fn checkin(&self, origin: String, stream: BlockingTransport) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let streams = idle.entry(origin).or_default();
        if streams.len() < self.config.max_idle_per_host {
            streams.push(stream);
        }
    }

    /// Opens a new connection, trying each address the host resolves to,
    /// and for `https://` runs the TLS handshake on it.
    fn connect(&self, url: &Url, clocks: &Clocks) -> Result<BlockingTransport, Error> {
        let tcp = self.connect_tcp(url, clocks)?;
        match url.scheme() {
            Scheme::Http => Ok(BlockingTransport::Plain(tcp)),
            #[cfg(feature = "tls")]
            Scheme::Https => {
                // The handshake counts against the connect timeout, as in curl.
                let (wait, kind) =
                    clocks.next_wait(self.config.connect_timeout, TimeoutKind::Connect)?;
                tcp.set_read_timeout(Some(wait))?;
                tcp.set_write_timeout(Some(wait))?;
                let tls = super::tls::BlockingTlsStream::connect(
                    tcp,
                    &self.config.tls,
                    url.host(),
                    kind,
                )?;
                if tls.resumed() {
                    self.tls_resumptions.fetch_add(1, Ordering::Relaxed);
                }
                Ok(BlockingTransport::Tls(Box::new(tls)))
            }
            #[cfg(not(feature = "tls"))]
            Scheme::Https => Err(Error::UnsupportedScheme {
                scheme: "https".into(),
            }),
        }
    }

    /// Opens the TCP connection.
    fn connect_tcp(&self, url: &Url, clocks: &Clocks) -> Result<TcpStream, Error> {
        let authority = url.authority();
        let mut last_error = None;
        for addr in resolve(url)? {
            let (wait, kind) =
                clocks.next_wait(self.config.connect_timeout, TimeoutKind::Connect)?;
            match TcpStream::connect_timeout(&addr, wait) {
                Ok(stream) => {
                    self.connections_opened.fetch_add(1, Ordering::Relaxed);
                    stream.set_nodelay(true)?;
                    return Ok(stream);
                }
                Err(e) if e.kind() == io::ErrorKind::TimedOut => return Err(Error::Timeout(kind)),
                Err(e) => last_error = Some(e),
            }
        }
        Err(connect_error(&authority, last_error))
    }
}

/// Sends a GET for `url` on `stream` and reads the response.
fn exchange(
    stream: &mut BlockingTransport,
    url: &Url,
    clocks: &Clocks,
    limits: Limits,
) -> Result<Completed, Retry> {
    let classify = Retry::classify;
    let request = get_request_bytes(url);
    let (wait, kind) = clocks
        .next_wait(clocks.read_timeout, TimeoutKind::Read)
        .map_err(Retry::Fatal)?;
    stream
        .tcp()
        .set_write_timeout(Some(wait))
        .map_err(|e| Retry::Fatal(e.into()))?;
    stream
        .write_all(&request)
        .map_err(|e| classify(io_error(e, kind, url, false), false))?;

    let mut response = Exchange::new(limits);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let (wait, kind) = clocks
            .next_wait(clocks.read_timeout, TimeoutKind::Read)
            .map_err(Retry::Fatal)?;
        stream
            .tcp()
            .set_read_timeout(Some(wait))
            .map_err(|e| Retry::Fatal(e.into()))?;
        let n = match stream.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let received_any = response.received_any();
                return Err(classify(io_error(e, kind, url, received_any), received_any));
            }
        };
        if let Some(completed) = response.feed(&buf[..n])? {
            return Ok(completed);
        }
    }
}

/// Maps a socket error, turning an expired socket timeout into
/// `Timeout(kind)`, and TLS failures into [`Error::Tls`] (see
/// `transport.rs`).
fn io_error(e: io::Error, kind: TimeoutKind, url: &Url, received_any: bool) -> Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout(kind),
        _ => stream_error(e, url.host(), received_any),
    }
}

/// `true` if an idle connection has neither been closed by the server nor
/// received unexpected bytes: a non-blocking peek must find nothing to read.
fn still_open(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let mut byte = [0u8; 1];
    let open = matches!(stream.peek(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
    open && stream.set_nonblocking(false).is_ok()
}
