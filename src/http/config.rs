//! The settings both clients share: timeouts, redirects, limits, pool sizes.

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
    /// Longest a whole `get` may take, redirects and retries included;
    /// `None` for no limit. Default 60 s.
    pub total_timeout: Option<Duration>,
    /// Most redirects followed before [`Error::TooManyRedirects`](super::Error::TooManyRedirects). Default 10.
    pub max_redirects: usize,
    /// Message size limits (head, header count, body).
    pub limits: Limits,
    /// Most idle keep-alive connections kept per `host:port`. Default 100.
    pub max_idle_per_host: usize,
    /// Most connections open at once, idle or busy, across all hosts (the
    /// async session's pool limit, like aiohttp's `limit`). Default 100.
    /// The blocking session has one caller per connection and ignores it.
    pub pool_limit: usize,
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
        }
    }
}
