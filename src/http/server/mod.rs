//! The slow site: an HTTP/1.1 server on the event loop, serving many connections on one thread.
//!
//! # The idea
//!
//! The io workload needs pages that take a while to arrive — like the web
//! pages in the Python tutorial — without a real network. This server makes
//! them: `GET /bytes/1024?delay_ms=60` answers 1 KiB after 60 ms. The wait
//! is a timer on the server's event loop, so a thousand clients waiting at
//! once cost a thousand timers, not a thousand threads.
//!
//! Every accepted connection becomes one task; the accept loop is one more
//! task. A task that waits for bytes, for a timer or for the socket to take
//! a write simply parks, and the loop runs whoever is ready. That is the
//! whole concurrency model: one thread. (The few shared structures — the
//! idle set, the stop flag, the counters — sit behind a lock or an atomic
//! all the same, never contended here, so that the same server also runs
//! on the work-stealing runtime: `stealing.rs`.)
//!
//! # Reading order
//!
//! 1. [`routes`] — which endpoint answers what (pure functions).
//! 2. `connection.rs` — one connection's state machine: reading a request,
//!    answering it, keep-alive and pipelining, timeouts for hostile clients.
//! 3. This file — binding, the accept loop with its connection cap, graceful
//!    shutdown, and running the server on a background thread.
//! 4. [`shutdown`] and `signal.rs` — the stop flag and how SIGINT reaches it.
//! 5. `tls.rs` — with [`ServerConfig::tls`], the TLS handshake each
//!    connection runs before `connection.rs` serves it.
//! 6. `spawn.rs` and `stealing.rs` — the server on the work-stealing
//!    runtime: the same accept loop and connections (written over
//!    `http/runtime.rs`), each connection a task any worker may run;
//!    [`serve_until_signal_stealing`] and [`spawn_background_stealing_with`].
//!
//! # Hostile clients
//!
//! A slowloris client (a head dribbled a byte at a time) gets `408` when its
//! request is not complete within [`ServerConfig::request_timeout`]; an
//! oversized head gets `431`; bytes that are not HTTP get `400`. At
//! [`ServerConfig::max_connections`] a newcomer is admitted by closing an
//! idle connection — one that never sent a byte first, then the keep-alive
//! connection idle the longest (`idle.rs`); only when every connection is
//! busy does it get `503` at once.
//! Each hostile connection costs one parked task and a bounded buffer, so a
//! well-behaved client is still served meanwhile.
//!
//! A *greedy* client is one that never makes the server wait: it reads an
//! endless body as fast as it is written, or pipelines requests without end.
//! Its socket never says `WouldBlock`, so its task would never give the
//! thread back on its own; the event loop's operation budget makes it (see
//! "Taking turns" in [`crate::event_loop`]): after a bounded number of reads
//! and writes the connection's task goes to the back of the ready queue, so
//! other clients are answered within a few turns of the loop, and a shutdown
//! closes the listener at once and ends the greedy response when the grace
//! runs out.
//!
//! # What a production server would add
//!
//! This is a teaching server and a benchmark target, and it cuts corners a
//! public server could not: no `Date` header (RFC 9110 asks origin servers
//! with a clock to send one), TLS with one certificate and no reloading
//! (`tls.rs`), no HTTP/2, no per-address connection
//! limits (one client may take every slot up to the cap), no `sendfile`
//! (bodies are generated in memory). It runs on one thread unless asked:
//! one such loop per core, each with its own `SO_REUSEPORT` listener, is
//! [`per_core::serve`](crate::per_core::serve), and one runtime over all
//! cores is [`serve_until_signal_stealing`].

mod config;
mod connection;
mod fd_limit;
mod idle;
pub mod routes;
pub mod shutdown;
mod signal;
mod spawn;
mod stealing;
mod tls;

use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::event_loop::net::TcpListener;
use crate::event_loop::EventLoop;
use crate::http::runtime::{Listener as _, Runtime, SingleLoop, Socket as _};

pub use config::{ServerConfig, ServerStats};
pub use fd_limit::{
    connection_capacity, default_max_connections, fd_limits, raise_fd_limit, RESERVED_FDS,
};
pub use shutdown::Shutdown;
pub use stealing::{serve_until_signal_stealing, spawn_background_stealing_with};

use idle::IdleConnections;
use shutdown::{race, Either};
use spawn::Spawn;

/// The default address: loopback only, port 8080.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// A bound, not yet running, slow-site server.
///
/// Must be created inside a running [`EventLoop`] (in `block_on` or a task),
/// like every event-loop socket. [`spawn_background`] does all of it on a
/// thread of its own; use `Server` directly to share a loop with other tasks.
///
/// # Examples
///
/// One loop, one thread: the server and a client side by side.
///
/// ```
/// use handspun::event_loop::{self, EventLoop};
/// use handspun::http::server::{Server, Shutdown};
/// use handspun::http::Session;
///
/// let mut event_loop = EventLoop::new()?;
/// event_loop.block_on(async {
///     let server = Server::bind("127.0.0.1:0".parse().unwrap())?;
///     let url = format!("http://{}/bytes/3?delay_ms=10", server.local_addr());
///     let shutdown = Shutdown::new();
///     let running = event_loop::spawn(server.run(shutdown.clone()));
///
///     let response = Session::new().get(&url).await.unwrap();
///     assert_eq!(response.body, b"abc");
///
///     shutdown.trigger();
///     running.await.unwrap();
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Server {
    /// The listening socket.
    listener: TcpListener,
    /// Where it listens (resolves port 0).
    addr: SocketAddr,
    /// Timeouts, caps, limits.
    config: ServerConfig,
    /// Counters, shared with whoever started the server.
    stats: Arc<ServerStats>,
}

impl Server {
    /// Binds `addr` (use port 0 for any free port) with the default
    /// [`ServerConfig`].
    ///
    /// # Errors
    ///
    /// The address is in use or cannot be bound.
    ///
    /// # Panics
    ///
    /// Outside a running event loop.
    pub fn bind(addr: SocketAddr) -> io::Result<Server> {
        Server::bind_with(addr, ServerConfig::default())
    }

    /// Binds `addr` with a custom configuration.
    ///
    /// # Errors
    ///
    /// As [`Server::bind`].
    ///
    /// # Panics
    ///
    /// Outside a running event loop.
    pub fn bind_with(addr: SocketAddr, config: ServerConfig) -> io::Result<Server> {
        Server::from_listener(TcpListener::bind(addr)?, config)
    }

    /// A server on a listener bound elsewhere (one of several sharing a
    /// port, for [`crate::per_core`]).
    ///
    /// # Errors
    ///
    /// The listener's address cannot be read.
    pub fn from_listener(listener: TcpListener, config: ServerConfig) -> io::Result<Server> {
        let addr = listener.local_addr()?;
        Ok(Server {
            listener,
            addr,
            config,
            stats: Arc::new(ServerStats::default()),
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's counters (shareable with other threads).
    pub fn stats(&self) -> Arc<ServerStats> {
        self.stats.clone()
    }

    /// Accepts and serves connections until `shutdown` is triggered, then
    /// stops accepting, lets in-flight responses finish (up to
    /// [`ServerConfig::shutdown_grace`]) and returns.
    pub async fn run(self, shutdown: Shutdown) {
        let Server {
            listener,
            config,
            stats,
            ..
        } = self;
        accept_loop::<SingleLoop>(listener, config, stats, shutdown).await;
    }
}

/// The accept loop of [`Server::run`], on either runtime (`spawn.rs` starts
/// each connection's task on `R`).
async fn accept_loop<R: Spawn>(
    listener: R::Listener,
    config: ServerConfig,
    stats: Arc<ServerStats>,
    shutdown: Shutdown,
) {
    let shared = Arc::new(Shared {
        idle: Arc::new(IdleConnections::new(stats.clone())),
        config,
        stats,
        shutdown: shutdown.clone(),
        drained: Shutdown::new(),
    });
    loop {
        let (stream, _peer) = match race(shutdown.wait(), listener.accept()).await {
            Either::Left(()) => break,
            Either::Right(Ok(accepted)) => accepted,
            Either::Right(Err(e)) if is_transient_accept_error(&e) => {
                // Out of file descriptors and the like: pause instead of spinning.
                R::sleep(Duration::from_millis(10)).await;
                continue;
            }
            Either::Right(Err(_)) => continue,
        };
        ServerStats::bump(&shared.stats.accepted);
        let _ = stream.set_nodelay(true);
        let full = ServerStats::get(&shared.stats.active) >= shared.config.max_connections as u64;
        if full {
            // Make room by closing an idle connection (`idle.rs`); only
            // when every slot is busy is the newcomer turned away.
            if shared.idle.evict_one() {
                ServerStats::bump(&shared.stats.evicted);
            } else {
                ServerStats::bump(&shared.stats.rejected);
                R::spawn_reject(stream);
                continue;
            }
        }
        shared.stats.connection_started();
        R::spawn_connection(stream, shared.clone());
    }
    drop(listener);
    if ServerStats::get(&shared.stats.active) > 0 {
        let _ = R::timeout(shared.config.shutdown_grace, shared.drained.wait()).await;
    }
}

/// One connection's task: the TLS handshake if any, then `connection.rs`.
async fn connection_task<R: Runtime>(stream: R::Tcp, shared: Arc<Shared>) {
    // Plain, or TLS after its handshake (`tls.rs`).
    if let Some(stream) = tls::accept::<R>(stream, &shared.config).await {
        connection::serve::<R>(
            stream,
            &shared.config,
            &shared.stats,
            &shared.shutdown,
            &shared.idle,
        )
        .await;
    }
    shared.stats.connection_finished();
    if shared.shutdown.is_triggered() && ServerStats::get(&shared.stats.active) == 0 {
        shared.drained.trigger();
    }
}

/// What every connection task of one server shares (`Arc`: on the
/// work-stealing runtime they run on several threads).
struct Shared {
    /// Timeouts, caps, limits.
    config: ServerConfig,
    /// Counters.
    stats: Arc<ServerStats>,
    /// Raised to stop the server.
    shutdown: Shutdown,
    /// Raised by the last connection to finish after shutdown began.
    drained: Shutdown,
    /// The connections waiting for a request, in the order they would be
    /// closed to admit a newcomer at the cap.
    idle: Arc<IdleConnections>,
}

/// Accept errors that mean "try again shortly" rather than "a bad connection".
fn is_transient_accept_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// Answers a connection over the cap with `503` and closes it, spending at
/// most a second on it.
async fn reject<R: Runtime>(mut stream: R::Tcp) {
    let body = b"too many connections\n";
    let mut out = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    let _ = R::timeout(Duration::from_secs(1), stream.write_all(&out)).await;
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

/// A server running on its own thread with its own event loop (see
/// [`spawn_background`]), or its own work-stealing runtime (see
/// [`spawn_background_stealing_with`]).
#[derive(Debug)]
pub struct BackgroundServer {
    /// Where it listens.
    addr: SocketAddr,
    /// Stops it.
    shutdown: Shutdown,
    /// Its counters.
    stats: Arc<ServerStats>,
    /// The server thread; `None` once joined.
    thread: Option<JoinHandle<()>>,
}

impl BackgroundServer {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` followed by `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The server's counters.
    pub fn stats(&self) -> &ServerStats {
        &self.stats
    }

    /// Stops accepting, lets in-flight responses finish, and waits for the
    /// server thread to end.
    pub fn shutdown(mut self) {
        self.stop();
    }

    /// Triggers shutdown and joins the thread (once).
    fn stop(&mut self) {
        self.shutdown.trigger();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts the slow site on `addr` on a new thread with its own event loop,
/// and returns once it accepts connections.
///
/// # Errors
///
/// The event loop could not be created or the address could not be bound.
///
/// # Examples
///
/// ```
/// use handspun::http::{blocking::Session, server::spawn_background};
///
/// let server = spawn_background("127.0.0.1:0".parse().unwrap())?;
/// let response = Session::new().get(&server.url("/bytes/5")).unwrap();
/// assert_eq!(response.body, b"abcde");
/// server.shutdown();
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn spawn_background(addr: SocketAddr) -> io::Result<BackgroundServer> {
    spawn_background_with(addr, ServerConfig::default())
}

/// [`spawn_background`] with a custom configuration.
///
/// # Errors
///
/// As [`spawn_background`].
pub fn spawn_background_with(
    addr: SocketAddr,
    config: ServerConfig,
) -> io::Result<BackgroundServer> {
    spawn_server_thread(move |ready, shutdown| {
        let mut event_loop = match EventLoop::new() {
            Ok(event_loop) => event_loop,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        event_loop.block_on(async move {
            match Server::bind_with(addr, config) {
                Ok(server) => {
                    let _ = ready.send(Ok((server.local_addr(), server.stats())));
                    server.run(shutdown).await;
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                }
            }
        });
    })
}

/// Where a server thread reports that it listens (or why it could not).
type Ready = mpsc::Sender<io::Result<(SocketAddr, Arc<ServerStats>)>>;

/// Runs `serve` on a new thread and waits until it reports on `Ready`:
/// the plumbing of both runtimes' background servers.
fn spawn_server_thread(
    serve: impl FnOnce(Ready, Shutdown) + Send + 'static,
) -> io::Result<BackgroundServer> {
    let shutdown = Shutdown::new();
    let (ready_tx, ready_rx) = mpsc::channel();
    let server_shutdown = shutdown.clone();
    let thread = std::thread::Builder::new()
        .name("handspun-server".into())
        .spawn(move || serve(ready_tx, server_shutdown))?;
    let ready = ready_rx.recv().unwrap_or_else(|_| {
        Err(io::Error::other(
            "the server thread ended before it started",
        ))
    });
    match ready {
        Ok((addr, stats)) => Ok(BackgroundServer {
            addr,
            shutdown,
            stats,
            thread: Some(thread),
        }),
        Err(e) => {
            let _ = thread.join();
            Err(e)
        }
    }
}

/// Runs the slow site on `addr` on the calling thread until SIGINT or
/// SIGTERM, printing `listening on http://ADDR` (`https://` with
/// [`ServerConfig::tls`]) once it accepts connections.
/// In-flight responses finish before it returns. This is `handspun serve`.
///
/// Call it before the program starts other threads: it blocks the two
/// signals for the calling thread and the threads created after it, and
/// collects them on a dedicated thread (see `signal.rs`).
///
/// Raises the process's descriptor limit first, and serves as many
/// connections as it then allows ([`default_max_connections`]).
///
/// # Errors
///
/// The signal mask could not be set, the event loop could not be created,
/// or the address could not be bound.
pub fn serve_until_signal(addr: SocketAddr) -> io::Result<()> {
    raise_fd_limit()?;
    serve_until_signal_with(addr, ServerConfig::default())
}

/// [`serve_until_signal`] with a custom configuration.
///
/// # Errors
///
/// As [`serve_until_signal`]; [`io::ErrorKind::InvalidInput`] when
/// `config.max_connections` is more than the descriptor limit allows, even
/// raised to the hard limit.
pub fn serve_until_signal_with(addr: SocketAddr, config: ServerConfig) -> io::Result<()> {
    let shutdown = prepare_to_serve(&config)?;
    let mut event_loop = EventLoop::new()?;
    event_loop.block_on(async move {
        let listener = TcpListener::bind(addr)?;
        announce_and_serve::<SingleLoop>(listener, config, shutdown).await
    })
}

/// What `serve` does before it runs a loop, on any runtime (the single
/// loop, the stealing runtime, `per_core`'s loops): checks the cap against
/// the descriptor limit, and sends SIGINT and SIGTERM to the returned flag.
/// Call it before any other thread starts, so that they inherit the
/// blocked signals.
pub(crate) fn prepare_to_serve(config: &ServerConfig) -> io::Result<Shutdown> {
    // As many connections as the machine allows: the soft descriptor limit
    // up to the hard one (`fd_limit.rs`).
    let limit = raise_fd_limit()?;
    let capacity = connection_capacity(limit);
    if config.max_connections > capacity {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} connections need more file descriptors than the limit of {limit} allows \
                 (at most {capacity}, with {RESERVED_FDS} kept for the process): \
                 lower the cap or raise the hard limit (ulimit -Hn)",
                config.max_connections
            ),
        ));
    }
    let shutdown = Shutdown::new();
    signal::block_and_watch(shutdown.clone())?;
    Ok(shutdown)
}

/// Prints `listening on http://ADDR` (or `https://`), then serves until
/// `shutdown`.
async fn announce_and_serve<R: Spawn>(
    listener: R::Listener,
    config: ServerConfig,
    shutdown: Shutdown,
) -> io::Result<()> {
    let scheme = if config.is_tls() { "https" } else { "http" };
    let addr = listener.local_addr()?;
    let mut stdout = io::stdout();
    writeln!(stdout, "listening on {scheme}://{addr}")?;
    stdout.flush()?;
    accept_loop::<R>(listener, config, Arc::new(ServerStats::default()), shutdown).await;
    Ok(())
}
