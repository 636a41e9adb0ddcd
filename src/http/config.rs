//! The settings both clients share, and the one builder that fills them.
//!
//! [`blocking::Builder`](super::blocking::Builder) and
//! [`SessionBuilder`](super::SessionBuilder) are the same
//! [`ClientBuilder`], aimed at a different session type: the setters are
//! written once, here, and `build` hands the finished [`ClientConfig`] to
//! the session's `From<ClientConfig>`.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use super::Limits;

/// How a client session behaves. Both [`blocking::Builder`](super::blocking::Builder)
/// and [`SessionBuilder`](super::SessionBuilder) fill one of these.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Longest wait for a TCP connection to open. Default 10 s.
    pub connect_timeout: Duration,
    /// Longest wait for the next bytes of a response (or for the socket to
    /// take the request). Default 30 s.
    pub read_timeout: Duration,
    /// Longest a whole `get` may take, redirects and retries included (and,
    /// for the async session, waiting for a pool slot); `None` for no
    /// limit. Default 60 s.
    pub total_timeout: Option<Duration>,
    /// Most redirects followed before [`Error::TooManyRedirects`](super::Error::TooManyRedirects). Default 10.
    pub max_redirects: usize,
    /// Message size limits (head, header count, body).
    pub limits: Limits,
    /// Most idle keep-alive connections kept per `host:port`. Default 100.
    pub max_idle_per_host: usize,
    /// Most connections open at once, idle or busy, across all hosts (the
    /// async session's pool limit, like aiohttp's `limit`). Default 100.
    /// Read by the async session only: a blocking session uses one
    /// connection per calling thread.
    pub pool_limit: usize,
    /// Whom `https://` servers must prove they are: Mozilla's roots by
    /// default, or a private CA (see [`TlsClientConfig`](super::tls::TlsClientConfig)).
    /// Clones share one TLS session cache, so their connections resume.
    #[cfg(feature = "tls")]
    pub tls: super::tls::TlsClientConfig,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            total_timeout: Some(Duration::from_secs(60)),
            max_redirects: 10,
            limits: Limits::default(),
            max_idle_per_host: 100,
            pool_limit: 100,
            #[cfg(feature = "tls")]
            tls: super::tls::TlsClientConfig::default(),
        }
    }
}

/// Builds a session `S` (the blocking or the async one) with non-default
/// settings; each setter changes one field of [`ClientConfig`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use handspun::http::{blocking, Session};
///
/// let blocking = blocking::Session::builder()
///     .connect_timeout(Duration::from_secs(2))
///     .total_timeout(Some(Duration::from_secs(10)))
///     .build();
/// let async_session = Session::builder().pool_limit(10).read_timeout(Duration::from_secs(5)).build();
/// assert_eq!(blocking.connections_opened() + async_session.connections_opened(), 0);
/// ```
pub struct ClientBuilder<S> {
    /// The settings being built.
    config: ClientConfig,
    /// The session type `build` returns (no value is stored).
    session: PhantomData<fn() -> S>,
}

impl<S> ClientBuilder<S> {
    /// Longest wait for a connection to open.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Longest wait for the next bytes of a response.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.config.read_timeout = timeout;
        self
    }

    /// Longest a whole `get` may take (`None`: no limit); see
    /// [`ClientConfig::total_timeout`].
    pub fn total_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.total_timeout = timeout;
        self
    }

    /// Most redirects to follow.
    pub fn max_redirects(mut self, max: usize) -> Self {
        self.config.max_redirects = max;
        self
    }

    /// Message size limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// Most idle connections kept per `host:port`.
    pub fn max_idle_per_host(mut self, max: usize) -> Self {
        self.config.max_idle_per_host = max;
        self
    }

    /// Whom `https://` servers must prove they are (default: Mozilla's roots).
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::http::{blocking, tls::TlsClientConfig};
    ///
    /// let session = blocking::Session::builder().tls(TlsClientConfig::webpki_roots()).build();
    /// assert_eq!(session.connections_opened(), 0);
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: super::tls::TlsClientConfig) -> Self {
        self.config.tls = tls;
        self
    }

    /// Sets the pool limit (the async sessions' `pool_limit` setters).
    pub(crate) fn with_pool_limit(mut self, limit: usize) -> Self {
        self.config.pool_limit = limit;
        self
    }

    /// Replaces every setting at once.
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// The session.
    pub fn build(self) -> S
    where
        S: From<ClientConfig>,
    {
        S::from(self.config)
    }
}

impl ClientBuilder<super::Session> {
    /// Most connections open at once, across all hosts (default 100, like
    /// aiohttp's `limit`). Async sessions only: a blocking session uses one
    /// connection per calling thread, so its callers are its limit.
    ///
    /// # Panics
    ///
    /// If `limit` is 0: no request could ever be sent.
    pub fn pool_limit(mut self, limit: usize) -> Self {
        assert!(limit > 0, "a pool limit of 0 would block every request");
        self.config.pool_limit = limit;
        self
    }
}

impl<S> Default for ClientBuilder<S> {
    fn default() -> Self {
        ClientBuilder {
            config: ClientConfig::default(),
            session: PhantomData,
        }
    }
}

// Written by hand: derives would demand `S: Clone` / `S: Debug`, though no
// `S` is stored.
impl<S> Clone for ClientBuilder<S> {
    fn clone(&self) -> Self {
        ClientBuilder {
            config: self.config.clone(),
            session: PhantomData,
        }
    }
}

impl<S> fmt::Debug for ClientBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .finish()
    }
}
