//! The slow site on the work-stealing runtime: the same server, its connections spread over N workers.
//!
//! Nothing about a connection changes: the accept loop of `mod.rs` and the
//! state machine of `connection.rs` run unchanged, with the stealing
//! runtime's sockets and timers (`http/runtime.rs`). What changes is who
//! runs them. The accept loop runs in the runtime's `block_on` on the
//! server's thread; every connection is a task that any worker may run, and
//! a connection woken on one worker may be stolen by another. The shared
//! parts — the idle set, the stop flag, the counters — are behind a lock or
//! atomic, as they already were for the single loop's sake.
//!
//! One difference a reader should know: the stealing runtime has no
//! operation budget (see [`stealing`](crate::stealing)), so a greedy client
//! whose socket never makes its task wait holds a worker until its
//! response ends; the other workers keep serving everyone else.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::http::runtime::Stealing;
use crate::stealing::net::TcpListener;
use crate::stealing::Runtime;

use super::{
    accept_loop, announce_and_serve, prepare_to_serve, spawn_server_thread, BackgroundServer,
    ServerConfig, ServerStats,
};

/// [`serve_until_signal_with`](super::serve_until_signal_with) on a
/// work-stealing runtime of `workers` threads (at least 1): the same
/// printing, signal handling and descriptor-limit checks, then every
/// connection a task of that runtime. This is `handspun serve --runtime
/// stealing`.
///
/// Call it before the program starts other threads, as
/// `serve_until_signal_with` (the workers must inherit the blocked signal
/// mask).
///
/// # Errors
///
/// As [`serve_until_signal_with`](super::serve_until_signal_with); the
/// runtime could not be built.
pub fn serve_until_signal_stealing(
    addr: SocketAddr,
    config: ServerConfig,
    workers: usize,
) -> io::Result<()> {
    let shutdown = prepare_to_serve(&config)?;
    let runtime = Runtime::builder().workers(workers.max(1)).build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(addr)?;
        announce_and_serve::<Stealing>(listener, config, shutdown).await
    })
}

/// [`spawn_background_with`](super::spawn_background_with) on a
/// work-stealing runtime of `workers` threads (at least 1), all on threads
/// of their own; returns once the server accepts connections.
///
/// # Errors
///
/// The runtime could not be built or the address could not be bound.
///
/// # Examples
///
/// ```
/// use handspun::http::blocking::Session;
/// use handspun::http::server::{spawn_background_stealing_with, ServerConfig};
///
/// let addr = "127.0.0.1:0".parse().unwrap();
/// let server = spawn_background_stealing_with(addr, ServerConfig::default(), 2)?;
/// let response = Session::new().get(&server.url("/bytes/5")).unwrap();
/// assert_eq!(response.body, b"abcde");
/// server.shutdown();
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn spawn_background_stealing_with(
    addr: SocketAddr,
    config: ServerConfig,
    workers: usize,
) -> io::Result<BackgroundServer> {
    spawn_server_thread(move |ready, shutdown| {
        let runtime = match Runtime::builder().workers(workers.max(1)).build() {
            Ok(runtime) => runtime,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        runtime.block_on(async move {
            let bound = TcpListener::bind(addr).and_then(|listener| {
                let addr = listener.local_addr()?;
                Ok((listener, addr))
            });
            match bound {
                Ok((listener, addr)) => {
                    let stats = Arc::new(ServerStats::default());
                    let _ = ready.send(Ok((addr, stats.clone())));
                    accept_loop::<Stealing>(listener, config, stats, shutdown).await;
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                }
            }
        });
    })
}
