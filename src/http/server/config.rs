//! The server's knobs (timeouts, caps, limits) and its counters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::http::Limits;

/// How the server protects itself. The defaults suit a local benchmark
/// target; tests shrink the timeouts.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use handspun::http::server::ServerConfig;
///
/// let config = ServerConfig { request_timeout: Duration::from_millis(200), ..ServerConfig::default() };
/// assert!(config.max_connections >= 1);
/// ```
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Most connections held at once. At the cap a newcomer is admitted by
    /// closing an idle connection, or gets `503` and a close when every one
    /// is busy. Default: what the process's descriptor limit allows
    /// ([`default_max_connections`](super::default_max_connections)).
    pub max_connections: usize,
    /// A request (head and body) must arrive within this time of its first
    /// byte — or of the connection opening, for the first request. A client
    /// that sent part of a request by then gets `408` and a close (the
    /// slowloris defence); one that sent nothing is closed without an
    /// answer. Default 10 s.
    pub request_timeout: Duration,
    /// A keep-alive connection with no request for this long is closed
    /// quietly. Default 30 s.
    pub idle_timeout: Duration,
    /// Each write must make progress within this time, or the connection is
    /// dropped (a client that never reads). Default 30 s.
    pub write_timeout: Duration,
    /// After shutdown begins, connections still busy after this long are
    /// dropped. Default 10 s.
    pub shutdown_grace: Duration,
    /// Request size limits: head size and header count give `431`, the body `413`.
    /// Default: 64 KiB head, 100 headers, 1 MiB body.
    pub limits: Limits,
    /// Serve HTTPS with this certificate (`serve --tls-cert/--tls-key` or
    /// `--tls-self-signed`); `None`, the default, serves plain HTTP.
    #[cfg(feature = "tls")]
    pub tls: Option<crate::http::tls::TlsServerConfig>,
}

impl ServerConfig {
    /// Whether the server speaks TLS.
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_connections: super::default_max_connections(),
            request_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            limits: Limits {
                max_body_bytes: 1024 * 1024,
                ..Limits::default()
            },
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

/// Counters the server keeps while it runs; readable from any thread.
///
/// Each is only ever incremented (`active` also decremented), with relaxed
/// atomics: they are statistics, and order nothing.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Connections accepted (including those turned away with 503).
    pub accepted: AtomicU64,
    /// Connections being served now.
    pub active: AtomicU64,
    /// The largest `active` ever seen.
    pub peak_active: AtomicU64,
    /// Connections turned away because `max_connections` were busy.
    pub rejected: AtomicU64,
    /// Idle connections closed to admit a newcomer at `max_connections`.
    pub evicted: AtomicU64,
    /// Connections waiting for a request now (between requests, or before
    /// the first): the ones a newcomer at `max_connections` may replace.
    pub idle: AtomicU64,
    /// Requests answered (any status).
    pub requests: AtomicU64,
    /// `408`s sent to clients too slow to send a request.
    pub timed_out: AtomicU64,
    /// `400`, `413` and `431` responses to malformed or oversized requests.
    pub refused: AtomicU64,
}

impl ServerStats {
    /// Reads one counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Adds one to a counter.
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Marks a connection as started, updating the peak.
    pub(crate) fn connection_started(&self) {
        let now = self.active.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_active.fetch_max(now, Ordering::Relaxed);
    }

    /// Marks a connection as finished.
    pub(crate) fn connection_finished(&self) {
        self.active.fetch_sub(1, Ordering::Relaxed);
    }
}
