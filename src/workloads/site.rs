//! The embedded slow site, started for as long as a run needs it, and the
//! scaffolding the tutorial's download examples share.
//!
//! [`SlowSite`] runs `http::server` on its own thread on an ephemeral
//! loopback port; dropping it stops the server. `compare` starts one for the
//! io workload; the `io_*` examples start one through [`Tutorial`], which
//! also reads their `DOWNLOADS` argument, lists the URLs and prints the
//! tutorial's `Read N from URL` / `Downloaded M in S seconds` lines — so each
//! example shows only its own model's idea.

#![forbid(unsafe_code)]

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::io::io_jobs;
use crate::http::server::{self, BackgroundServer, ServerConfig, ServerStats};

/// The embedded slow-site server, running on its own thread.
pub struct SlowSite {
    /// `http://127.0.0.1:PORT`.
    base_url: String,
    /// The running server; dropping it stops it.
    server: BackgroundServer,
}

impl SlowSite {
    /// Starts the server on an ephemeral loopback port.
    ///
    /// # Errors
    ///
    /// The operating system's error when the server cannot listen.
    pub fn start() -> io::Result<SlowSite> {
        SlowSite::start_with(ServerConfig::default())
    }

    /// [`SlowSite::start`] with a server configuration of its own (the
    /// comparison sets the connection cap from its descriptor budget).
    ///
    /// # Errors
    ///
    /// As [`SlowSite::start`].
    pub fn start_with(config: ServerConfig) -> io::Result<SlowSite> {
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        let server = server::spawn_background_with(addr, config)?;
        Ok(SlowSite {
            base_url: format!("http://{}", server.addr()),
            server,
        })
    }

    /// Starts the server over TLS (`compare --tls`), with `config` (its
    /// `tls` field set here) and a self-signed certificate made once per
    /// process, which every default client session of the process then
    /// trusts (see [`set_default_ca_pem`](crate::http::tls::set_default_ca_pem)).
    ///
    /// # Errors
    ///
    /// The certificate could not be made or trusted, or the server cannot listen.
    #[cfg(feature = "tls")]
    pub fn start_tls_with(config: ServerConfig) -> io::Result<SlowSite> {
        use crate::http::tls::{set_default_ca_pem, SelfSigned, TlsServerConfig};
        static CERTIFICATE: std::sync::OnceLock<SelfSigned> = std::sync::OnceLock::new();

        let made = match CERTIFICATE.get() {
            Some(made) => made,
            None => {
                let made = TlsServerConfig::self_signed(&["127.0.0.1".into()])
                    .map_err(io::Error::other)?;
                CERTIFICATE.get_or_init(|| made)
            }
        };
        set_default_ca_pem(&made.cert_pem).map_err(io::Error::other)?;
        let config = ServerConfig {
            tls: Some(made.config.clone()),
            ..config
        };
        let server = server::spawn_background_with(SocketAddr::from(([127, 0, 0, 1], 0)), config)?;
        Ok(SlowSite {
            base_url: format!("https://{}", server.addr()),
            server,
        })
    }

    /// `http://127.0.0.1:PORT` (or `https://`), for [`IoJob::url`](super::io::IoJob::url).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The server's counters (connections now and at most, requests).
    pub fn stats(&self) -> &ServerStats {
        self.server.stats()
    }

    /// Waits until the server holds no connection, for at most `limit`;
    /// returns whether it got there. A run's clients are gone when it
    /// returns, but the server notices each close on its own thread a
    /// little later: waiting here keeps one run's leftovers out of the
    /// next run's descriptors and counters.
    pub fn wait_until_idle(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while ServerStats::get(&self.stats().active) > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(IDLE_POLL);
        }
        true
    }
}

/// How often [`SlowSite::wait_until_idle`] looks at the server's count.
const IDLE_POLL: Duration = Duration::from_millis(1);

/// Why an example could not start.
#[derive(Debug, thiserror::Error)]
pub enum TutorialError {
    /// The `DOWNLOADS` argument is not a whole number.
    #[error("`{given}` is not a number of downloads; try e.g. 40")]
    BadCount {
        /// What was typed.
        given: String,
    },
    /// The slow site could not start.
    #[error("could not start the embedded slow site: {0}")]
    Server(#[from] io::Error),
}

/// One run of a tutorial download script: a slow site, the URLs to download
/// from it (the io job list) and a clock started once both are ready.
///
/// # Examples
///
/// ```
/// use handspun::http::blocking::Session;
/// use handspun::workloads::site::Tutorial;
///
/// let tutorial = Tutorial::start(2)?;
/// let session = Session::new();
/// for url in tutorial.urls() {
///     let page = session.get(url)?;
///     Tutorial::print_read(url, page.body.len());
/// }
/// tutorial.print_downloaded(tutorial.urls().len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Tutorial {
    /// Serves every URL; stops when the tutorial is dropped.
    _site: SlowSite,
    /// The io job list's URLs on `site`, in order.
    urls: Vec<String>,
    /// When the downloads began.
    started: Instant,
}

impl Tutorial {
    /// How many downloads an example makes when not told.
    pub const DEFAULT_DOWNLOADS: usize = 40;

    /// Reads the number of downloads from the first command-line argument
    /// (default [`Tutorial::DEFAULT_DOWNLOADS`]), then [`Tutorial::start`]s.
    ///
    /// # Errors
    ///
    /// [`TutorialError`] for an argument that is not a number, or a server
    /// that cannot start.
    pub fn from_args() -> Result<Tutorial, TutorialError> {
        let count = match std::env::args().nth(1) {
            None => Self::DEFAULT_DOWNLOADS,
            Some(given) => given
                .parse()
                .map_err(|_| TutorialError::BadCount { given })?,
        };
        Tutorial::start(count)
    }

    /// Starts a slow site, lists `downloads` URLs of the io job list on it
    /// and starts the clock.
    ///
    /// # Errors
    ///
    /// [`TutorialError::Server`] when the server cannot start.
    pub fn start(downloads: usize) -> Result<Tutorial, TutorialError> {
        let site = SlowSite::start()?;
        let urls = io_jobs(downloads)
            .iter()
            .map(|job| job.url(site.base_url()))
            .collect();
        Ok(Tutorial {
            _site: site,
            urls,
            started: Instant::now(),
        })
    }

    /// The pages to download, in order.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// Prints the tutorial's line for one page: `Read N from URL`. (No
    /// `self`: a task that outlives the borrow can print it too.)
    pub fn print_read(url: &str, bytes: usize) {
        println!("Read {bytes} from {url}");
    }

    /// Prints the tutorial's last line, `Downloaded M in S seconds`, timed
    /// from [`Tutorial::start`].
    pub fn print_downloaded(&self, downloaded: usize) {
        let seconds = self.started.elapsed().as_secs_f64();
        println!("Downloaded {downloaded} in {seconds:.2} seconds");
    }
}
