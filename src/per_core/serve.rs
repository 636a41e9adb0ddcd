//! `handspun serve --runtime per-core`: the slow site on every loop, each
//! loop with its own `SO_REUSEPORT` listener on the same address.
//!
//! Each loop runs an ordinary [`Server`] — the single loop's server,
//! unchanged — on its own listener, so a connection is accepted, read and
//! answered by one loop, start to end. One
//! [`Shutdown`](crate::http::server::Shutdown) flag, raised by the signal
//! thread, stops them all; each finishes its in-flight responses within
//! [`ServerConfig::shutdown_grace`], as the single server does.

#![forbid(unsafe_code)]

use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::sync::mpsc;

use super::reuseport::bind_reuseport;
use super::runtime::Runtime;
use crate::event_loop::net::TcpListener;
use crate::http::server::{prepare_to_serve, Server, ServerConfig};

/// Runs the slow site on `loops` loops (pinned where allowed) until SIGINT
/// or SIGTERM, printing `listening on http://ADDR` (`https://` with TLS)
/// once, when every loop accepts. In-flight responses finish before it
/// returns.
///
/// `config.max_connections` is the cap of the whole process, split evenly
/// between the loops (at least one each), since they share its descriptor
/// limit. Call it before the program starts other threads, as
/// [`serve_until_signal`](crate::http::server::serve_until_signal).
///
/// # Errors
///
/// The cap is more than the descriptor limit allows
/// ([`io::ErrorKind::InvalidInput`]); the signal mask could not be set; a
/// loop could not be started; the address could not be bound.
pub fn serve_until_signal(addr: SocketAddr, config: ServerConfig, loops: usize) -> io::Result<()> {
    let loops = loops.max(1);
    // Before any loop's thread exists, so that they inherit the signal mask.
    let shutdown = prepare_to_serve(&config)?;
    let runtime = Runtime::builder().loops(loops).build()?;
    let listeners = bind_reuseport(addr, loops)?;
    let bound = listeners[0].local_addr()?;
    let mut per_loop = config.clone();
    per_loop.max_connections = (config.max_connections / loops).max(1);

    let (ready_tx, ready_rx) = mpsc::channel::<io::Result<()>>();
    let servers: Vec<_> = listeners
        .into_iter()
        .enumerate()
        .map(|(index, listener)| {
            let (config, shutdown, ready) = (per_loop.clone(), shutdown.clone(), ready_tx.clone());
            runtime
                .spawn_on(index, move || async move {
                    let server = TcpListener::from_std(listener)
                        .and_then(|listener| Server::from_listener(listener, config));
                    match server {
                        Ok(server) => {
                            let _ = ready.send(Ok(()));
                            server.run(shutdown).await;
                        }
                        Err(e) => {
                            let _ = ready.send(Err(e));
                        }
                    }
                })
                .expect("one listener per loop")
        })
        .collect();
    drop(ready_tx);
    let mut started = Ok(());
    for _ in 0..loops {
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => started = started.and(Err(e)),
            Err(_) => {
                started = started.and(Err(io::Error::other(
                    "a loop stopped before its server started",
                )))
            }
        }
    }
    if let Err(e) = started {
        shutdown.trigger();
        runtime.shutdown();
        return Err(e);
    }
    let scheme = if config.is_tls() { "https" } else { "http" };
    let mut stdout = io::stdout();
    writeln!(stdout, "listening on {scheme}://{bound}")?;
    stdout.flush()?;
    for server in servers {
        // A server that panicked has already stopped; the others go on.
        if let Err(e) = server.join() {
            eprintln!("a server loop ended early: {e}");
        }
    }
    runtime.shutdown();
    Ok(())
}
