//! HTTP on the work-stealing runtime: the async client's [`Session`], usable from any worker.
//!
//! The same client as [`http::Session`](super::Session) — the same code
//! (`client.rs`, written once for any runtime), so the same pool limit,
//! keep-alive reuse, timeouts, limits, redirects, retry of a stale
//! connection and `https://` — but its sockets and timers are the
//! [`stealing`](crate::stealing) runtime's, and it is `Send + Sync`: one
//! session, cloned into tasks that run on different workers, shares one
//! pool.
//!
//! The server side is
//! [`server::serve_until_signal_stealing`](super::server::serve_until_signal_stealing)
//! and [`server::spawn_background_stealing_with`](super::server::spawn_background_stealing_with).

use super::client::Client;
use super::config::ClientBuilder;
use super::runtime::Stealing;
use super::{ClientConfig, Error, Response};

/// An async HTTP/1.1 client session for tasks of a work-stealing
/// [`Runtime`](crate::stealing::Runtime); `Send + Sync`, cheap to clone,
/// clones share one connection pool.
///
/// # Examples
///
/// ```
/// use handspun::http::{server::spawn_background, stealing::Session};
/// use handspun::stealing::{self, Runtime};
///
/// let server = spawn_background("127.0.0.1:0".parse().unwrap())?;
/// let url = server.url("/bytes/100?delay_ms=10");
/// let rt = Runtime::builder().workers(2).build()?;
/// let session = Session::builder().pool_limit(4).build();
/// let total: usize = rt.block_on(async {
///     let handles: Vec<_> = (0..10)
///         .map(|_| {
///             let (session, url) = (session.clone(), url.clone());
///             stealing::spawn(async move { session.get(&url).await.unwrap().body.len() })
///         })
///         .collect();
///     let mut total = 0;
///     for handle in handles {
///         total += handle.await.unwrap();
///     }
///     total
/// });
/// assert_eq!(total, 1000);
/// assert!(session.connections_opened() <= 4);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Session {
    /// The client, on the stealing runtime.
    client: Client<Stealing>,
}

/// Builds a [`stealing::Session`](Session): the [`ClientBuilder`] every
/// client shares.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use handspun::http::stealing::Session;
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

    /// Fetches `url` with `GET`, following redirects, and reads the whole
    /// body.
    ///
    /// Must be awaited inside a task (or the `block_on`) of a running
    /// stealing runtime. The future is `Send`: the task may move between
    /// workers while it waits.
    ///
    /// # Errors
    ///
    /// As [`blocking::Session::get`](super::blocking::Session::get).
    pub async fn get(&self, url: &str) -> Result<Response, Error> {
        self.client.get(url).await
    }
}

impl ClientBuilder<Session> {
    /// Most connections open at once, across all hosts; see
    /// [`ClientConfig::pool_limit`].
    ///
    /// # Panics
    ///
    /// If `limit` is 0: no request could ever be sent.
    pub fn pool_limit(self, limit: usize) -> Self {
        assert!(limit > 0, "a pool limit of 0 would block every request");
        self.with_pool_limit(limit)
    }
}
