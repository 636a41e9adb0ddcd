//! The async client: a `Session` many event-loop tasks share, like aiohttp's `ClientSession`.
//!
//! It does what [`blocking::Session`](super::blocking::Session) does —
//! keep-alive pool per `host:port`, one retry of a GET on a connection the
//! server had closed, redirects with loop detection, connect/read/total
//! timeouts, `https://` through the event loop's TLS stream
//! (`tls/evented.rs`) — but every wait parks the task instead of the
//! thread, so one thread can have hundreds of downloads in flight.
//!
//! The new part is the **pool limit**: at most
//! [`ClientConfig::pool_limit`] connections exist at once (idle or busy,
//! all hosts together; default 100, aiohttp's default). A task that needs a
//! connection when the limit is reached waits in a FIFO queue until another
//! task returns one. So 1_000 tasks calling `get` at once make at most 100
//! connections, and the other 900 queue — just as they would with aiohttp.
//!
//! The queueing lives in `pool.rs`. The session lives on one thread (its
//! sockets are the event loop's, not `Send`); clones share the pool.
//!
//! The work itself is done by [`Client`], written once for any
//! [`Runtime`] (`runtime.rs`): [`Session`] is a `Client` on the single
//! loop, and [`http::stealing::Session`](super::stealing::Session) the same
//! `Client` on the work-stealing runtime.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::config::ClientBuilder;
use super::exchange::{
    connect_error, get_request_bytes, next_wait, resolve, Completed, Exchange, Retry,
};
use super::pool::{Lease, Pool};
use super::redirect::RedirectTracker;
use super::runtime::{Runtime, SingleLoop, Socket};
use super::transport::{stream_error, Transport};
use super::url::Scheme;
use super::{ClientConfig, Error, Response, TimeoutKind, Url};

/// An async HTTP/1.1 client session for tasks on an [`EventLoop`](crate::event_loop::EventLoop).
///
/// # Examples
///
/// ```
/// use handspun::event_loop::{self, EventLoop};
/// use handspun::http::{server::spawn_background, Session};
///
/// let server = spawn_background("127.0.0.1:0".parse().unwrap())?;
/// let url = server.url("/bytes/100?delay_ms=10");
/// let mut event_loop = EventLoop::new()?;
/// let session = Session::new();
/// let total: usize = event_loop.block_on(async {
///     let handles: Vec<_> = (0..10)
///         .map(|_| {
///             let (session, url) = (session.clone(), url.clone());
///             event_loop::spawn(async move { session.get(&url).await.unwrap().body.len() })
///         })
///         .collect();
///     let mut total = 0;
///     for handle in handles {
///         total += handle.await.unwrap();
///     }
///     total
/// });
/// assert_eq!(total, 1000);
/// assert!(session.connections_opened() <= 10);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Session {
    /// The client, on the single loop.
    client: Client<SingleLoop>,
}

/// Builds a [`Session`]: the [`ClientBuilder`] both clients share.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use handspun::http::Session;
///
/// let session = Session::builder().pool_limit(10).read_timeout(Duration::from_secs(5)).build();
/// assert_eq!(session.connections_opened(), 0);
/// ```
pub type SessionBuilder = ClientBuilder<Session>;

impl From<ClientConfig> for Session {
    fn from(config: ClientConfig) -> Session {
        Session {
            client: Client::new(config),
        }
    }
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    /// A session with the default settings (see [`ClientConfig`]).
    pub fn new() -> Session {
        Session::from(ClientConfig::default())
    }

    /// A builder for the pool limit, timeouts and limits.
    pub fn builder() -> SessionBuilder {
        SessionBuilder::default()
    }

    /// TCP connections this session (all clones together) has opened.
    pub fn connections_opened(&self) -> u64 {
        self.client.connections_opened()
    }

    /// TLS handshakes (all clones together) that resumed an earlier TLS
    /// session instead of running a full one.
    pub fn tls_resumptions(&self) -> u64 {
        self.client.tls_resumptions()
    }

    /// Connections open right now, idle or busy (never above the pool limit).
    pub fn open_connections(&self) -> usize {
        self.client.open_connections()
    }

    /// Fetches `url` with `GET`, following redirects, and reads the whole body.
    ///
    /// Must be awaited inside a task of a running event loop.
    ///
    /// # Errors
    ///
    /// As [`blocking::Session::get`](super::blocking::Session::get).
    pub async fn get(&self, url: &str) -> Result<Response, Error> {
        self.client.get(url).await
    }
}

/// An async session on runtime `R`: the pool, the timeouts, redirects and
/// retries, written once for both runtimes. Clones share everything.
pub(crate) struct Client<R: Runtime> {
    /// Shared by every clone.
    inner: Arc<Inner<R>>,
}

impl<R: Runtime> Clone for Client<R> {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
        }
    }
}

impl<R: Runtime> std::fmt::Debug for Client<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("connections_opened", &self.connections_opened())
            .field("open", &self.open_connections())
            .finish()
    }
}

/// The state shared by a session's clones.
struct Inner<R: Runtime> {
    /// Timeouts, limits, pool sizes.
    config: ClientConfig,
    /// The connection pool (see `pool.rs`).
    pool: Arc<Pool<R::Tcp>>,
    /// TCP connections opened, ever (a TLS connection counts once).
    connections_opened: AtomicU64,
    /// TLS handshakes that resumed an earlier session.
    tls_resumptions: AtomicU64,
}

impl<R: Runtime> Client<R> {
    /// A client with `config`'s pool, timeouts and limits.
    pub(crate) fn new(config: ClientConfig) -> Client<R> {
        // An `Arc` for the stealing runtime's sake; on the single loop the
        // client is not `Send` anyway (its sockets are not).
        let inner = Arc::new(Inner {
            pool: Pool::new(config.pool_limit, config.max_idle_per_host),
            config,
            connections_opened: AtomicU64::new(0),
            tls_resumptions: AtomicU64::new(0),
        });
        Client { inner }
    }

    /// See [`Session::connections_opened`].
    pub(crate) fn connections_opened(&self) -> u64 {
        self.inner.connections_opened.load(Ordering::Relaxed)
    }

    /// See [`Session::tls_resumptions`].
    pub(crate) fn tls_resumptions(&self) -> u64 {
        self.inner.tls_resumptions.load(Ordering::Relaxed)
    }

    /// See [`Session::open_connections`].
    pub(crate) fn open_connections(&self) -> usize {
        self.inner.pool.open()
    }

    /// See [`Session::get`].
    pub(crate) async fn get(&self, url: &str) -> Result<Response, Error> {
        let deadline = self.inner.config.total_timeout.map(|t| Instant::now() + t);
        let mut url = Url::parse(url)?;
        let mut redirects = RedirectTracker::new(&url, self.inner.config.max_redirects);
        loop {
            let response = self.fetch(&url, deadline).await?;
            match redirects.next(&url, &response)? {
                Some(next) => url = next,
                None => return Ok(response),
            }
        }
    }

    /// One request, retried once on a fresh connection if a pooled one was stale.
    async fn fetch(&self, url: &Url, deadline: Option<Instant>) -> Result<Response, Error> {
        let origin = url.origin();
        let mut lease = self.acquire(url, deadline).await?;
        let mut result = self.exchange(&mut lease, url, deadline).await;
        if lease.reused && matches!(result, Err(Retry::Stale(_))) {
            // Keep the slot, replace the dead socket.
            lease.stream = None;
            lease.stream = Some(self.connect(url, deadline).await?);
            lease.reused = false;
            result = self.exchange(&mut lease, url, deadline).await;
        }
        let completed = result.map_err(Retry::into_error)?;
        if completed.reusable {
            self.inner.pool.release(lease, origin);
        }
        Ok(completed.response)
    }

    /// A pool slot with a connection to `url`'s host in it: an idle one,
    /// or a new one once a slot is free. Waiting for the slot counts
    /// against the total timeout.
    async fn acquire(&self, url: &Url, deadline: Option<Instant>) -> Result<Lease<R::Tcp>, Error> {
        let origin = url.origin();
        let slot = self.inner.pool.acquire(&origin);
        let mut lease = match deadline {
            None => slot.await,
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                R::timeout(left, slot)
                    .await
                    .map_err(|_| Error::Timeout(TimeoutKind::Total))?
            }
        };
        if lease.stream.is_none() {
            // If connecting fails, dropping the lease frees the slot.
            lease.stream = Some(self.connect(url, deadline).await?);
        }
        Ok(lease)
    }

    /// Opens a connection (the caller already holds a pool slot), and for
    /// `https://` runs the TLS handshake on it.
    async fn connect(
        &self,
        url: &Url,
        deadline: Option<Instant>,
    ) -> Result<Transport<R::Tcp>, Error> {
        let tcp = self.connect_tcp(url, deadline).await?;
        match url.scheme() {
            Scheme::Http => Ok(Transport::Plain(tcp)),
            #[cfg(feature = "tls")]
            Scheme::Https => {
                // The handshake counts against the connect timeout, as in curl.
                let (wait, kind) = next_wait(
                    deadline,
                    self.inner.config.connect_timeout,
                    TimeoutKind::Connect,
                )?;
                let handshake =
                    super::tls::TlsStream::connect(tcp, &self.inner.config.tls, url.host(), kind);
                let tls = R::timeout(wait, handshake)
                    .await
                    .map_err(|_elapsed| Error::Timeout(kind))??;
                if tls.resumed() {
                    self.inner.tls_resumptions.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Transport::Tls(Box::new(tls)))
            }
            #[cfg(not(feature = "tls"))]
            Scheme::Https => Err(Error::UnsupportedScheme {
                scheme: "https".into(),
            }),
        }
    }

    /// Opens the TCP connection.
    async fn connect_tcp(&self, url: &Url, deadline: Option<Instant>) -> Result<R::Tcp, Error> {
        let authority = url.authority();
        let mut last_error = None;
        for addr in resolve(url)? {
            let (wait, kind) = next_wait(
                deadline,
                self.inner.config.connect_timeout,
                TimeoutKind::Connect,
            )?;
            match R::timeout(wait, R::connect(addr)).await {
                Ok(Ok(stream)) => {
                    self.inner
                        .connections_opened
                        .fetch_add(1, Ordering::Relaxed);
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Ok(Err(e)) => last_error = Some(e),
                Err(_elapsed) => return Err(Error::Timeout(kind)),
            }
        }
        Err(connect_error(&authority, last_error))
    }

    /// Sends a GET on the lease's connection and reads the response.
    async fn exchange(
        &self,
        lease: &mut Lease<R::Tcp>,
        url: &Url,
        deadline: Option<Instant>,
    ) -> Result<Completed, Retry> {
        let read_timeout = self.inner.config.read_timeout;
        let stream = lease
            .stream
            .as_mut()
            .expect("a lease holds a stream until released");
        let request = get_request_bytes(url);
        let (wait, kind) =
            next_wait(deadline, read_timeout, TimeoutKind::Read).map_err(Retry::Fatal)?;
        match R::timeout(wait, stream.write_all(&request)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(Retry::classify(stream_error(e, url.host(), false), false)),
            Err(_elapsed) => return Err(Retry::Fatal(Error::Timeout(kind))),
        }
        let mut response = Exchange::new(self.inner.config.limits);
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let (wait, kind) =
                next_wait(deadline, read_timeout, TimeoutKind::Read).map_err(Retry::Fatal)?;
            let n = match R::timeout(wait, stream.read(&mut buf)).await {
                Ok(Ok(n)) => n,
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Ok(Err(e)) => {
                    let received_any = response.received_any();
                    let error = stream_error(e, url.host(), received_any);
                    return Err(Retry::classify(error, received_any));
                }
                Err(_elapsed) => return Err(Retry::Fatal(Error::Timeout(kind))),
            };
            if let Some(completed) = response.feed(&buf[..n])? {
                return Ok(completed);
            }
        }
    }
}
