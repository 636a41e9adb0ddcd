//! Multi-thread micro-benchmarks: handspun's work-stealing runtime beside
//! tokio's multi-thread runtime, both with 2 workers.
//!
//! Groups are named `mt_<workload>`; in each, the function
//! `handspun_stealing` runs [`handspun::stealing::Runtime`] and `tokio` runs
//! `tokio::runtime::Builder::new_multi_thread().worker_threads(2)`. One
//! runtime of each kind is built once and reused by every iteration.
//!
//! As in `benches/event_loop.rs`, each body is written once against a module
//! named `rt`, and [`bench_on_both`] compiles it twice, with `rt` naming
//! [`on_handspun`] and then [`on_tokio`]. Every body except
//! `mt_spawn_remote` runs *inside a task* (spawned from `block_on`), so its
//! spawns and wakes come from a worker, as in a server.
//!
//! `handspun_per_core` runs [`handspun::per_core::Runtime`] with 2 loops
//! (pinned where allowed), the body inside a task on loop 0
//! (`Runtime::block_on`), written the per-core way: work is split between
//! the loops up front, spawns from inside a task stay on its loop
//! (`event_loop::spawn`), and only what must cross does (`Handle::spawn_on`,
//! channels). It is in every group:
//!
//! - `mt_spawn_many`, `mt_yield_many`: each loop spawns half the tasks
//!   locally (loop 1's half through one cross-loop spawn of a coordinator);
//! - `mt_spawn_remote`: round-robin `spawn` from the bench thread, joined
//!   from it;
//! - `mt_ping_pong`: each pair on one loop, the pairs shared between the
//!   loops (the per-core way: what talks stays together); and, as
//!   `handspun_per_core_crossing`, ping on loop 0 and pong on loop 1, so
//!   every message crosses between the loops through the single loop's
//!   channels — the model's worst case, a remote wake per message;
//! - `mt_chained_spawn`: the chain stays on loop 0 (a chain is sequential:
//!   a second loop has nothing to do, and hopping loops would measure the
//!   inbox instead);
//! - `mt_tcp_echo`: one `SO_REUSEPORT` listener and echo server per loop,
//!   half of the clients on each loop.
//!
//! Run: `cargo bench --bench multi` (results and the ratios in
//! `docs/multi_thread.md`).

use std::hint::black_box;
use std::net::SocketAddr;

use criterion::{criterion_group, criterion_main, Criterion};
use handspun::event_loop;
use handspun::per_core::{self, Handle};
use handspun::stealing::Runtime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WORKERS: usize = 2;
const SPAWN_MANY: usize = 10_000;
const YIELD_TASKS: usize = 1_000;
const YIELDS: usize = 100;
const PING_PONG_PAIRS: usize = 8;
const PING_PONGS: usize = 1_000;
const CHAIN_DEPTH: usize = 1_000;
const ECHO_CONNECTIONS: usize = 32;
const ECHO_ROUND_TRIPS: usize = 500;
const ECHO_BYTES: usize = 64;

/// handspun's names for what the benchmark bodies use.
mod on_handspun {
    use std::net::SocketAddr;

    pub use handspun::event_loop::channel::{mpsc, oneshot};
    pub use handspun::event_loop::yield_now;
    pub use handspun::stealing::net::{TcpListener, TcpStream};
    pub use handspun::stealing::spawn;

    /// A listener on `addr` (async only to match tokio's).
    pub async fn bind(addr: SocketAddr) -> TcpListener {
        TcpListener::bind(addr).expect("bind a benchmark port")
    }

    /// Spawns a task that spawns the next, `left` deep; the last one sends on `done`.
    pub fn chain(left: usize, done: oneshot::Sender<()>) {
        if left == 0 {
            done.send(()).unwrap();
        } else {
            drop(spawn(async move { chain(left - 1, done) }));
        }
    }
}

/// tokio's names for what the benchmark bodies use.
mod on_tokio {
    use std::net::SocketAddr;

    pub use tokio::net::{TcpListener, TcpStream};
    pub use tokio::sync::{mpsc, oneshot};
    pub use tokio::task::{spawn, yield_now};

    /// A listener on `addr`.
    pub async fn bind(addr: SocketAddr) -> TcpListener {
        TcpListener::bind(addr)
            .await
            .expect("bind a benchmark port")
    }

    /// Spawns a task that spawns the next, `left` deep; the last one sends on `done`.
    pub fn chain(left: usize, done: oneshot::Sender<()>) {
        if left == 0 {
            done.send(()).unwrap();
        } else {
            drop(spawn(async move { chain(left - 1, done) }));
        }
    }
}

fn handspun_runtime() -> Runtime {
    Runtime::builder()
        .workers(WORKERS)
        .build()
        .expect("handspun stealing runtime")
}

fn per_core_runtime() -> per_core::Runtime {
    per_core::Runtime::builder()
        .loops(WORKERS)
        .build()
        .expect("handspun per-core runtime")
}

/// The handle of the per-core runtime the calling task runs on.
fn here() -> Handle {
    Handle::current().expect("inside a per-core task")
}

/// Benchmarks `<group>/handspun_per_core`: `body` runs inside a task on
/// loop 0 of a 2-loop per-core runtime, once per iteration.
fn bench_per_core<M, Fut>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    body: M,
) where
    M: Fn() -> Fut + Send + Clone + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    bench_per_core_as(group, "handspun_per_core", body);
}

/// [`bench_per_core`] under another function name.
fn bench_per_core_as<M, Fut>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    body: M,
) where
    M: Fn() -> Fut + Send + Clone + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let runtime = per_core_runtime();
    group.bench_function(name, |b| b.iter(|| runtime.block_on(body.clone()).unwrap()));
}

/// Runs `part` on loop 1 (through one cross-loop spawn) and on this loop,
/// and waits for both: half of the work on each loop.
async fn on_both_loops<M, Fut>(part: M)
where
    M: Fn() -> Fut + Send + Clone + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let other = here().spawn_on(1, part.clone()).unwrap();
    part().await;
    other.await.unwrap();
}

/// Spawns a task that spawns the next on the same loop, `left` deep; the
/// last one sends on `done`.
fn per_core_chain(left: usize, done: event_loop::channel::oneshot::Sender<()>) {
    if left == 0 {
        done.send(()).unwrap();
    } else {
        drop(event_loop::spawn(
            async move { per_core_chain(left - 1, done) },
        ));
    }
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Benchmarks one async body as `<group>/handspun_stealing` and
/// `<group>/tokio`, the body running inside a task spawned on each runtime.
macro_rules! bench_on_both {
    ($group:expr, { $($body:tt)* }) => {{
        let runtime = handspun_runtime();
        $group.bench_function("handspun_stealing", |b| {
            b.iter(|| {
                use on_handspun as rt;
                runtime.block_on(async { rt::spawn(async move { $($body)* }).await.unwrap() })
            })
        });
        drop(runtime);
        let tokio = tokio_runtime();
        $group.bench_function("tokio", |b| {
            b.iter(|| {
                use on_tokio as rt;
                tokio.block_on(async { rt::spawn(async move { $($body)* }).await.unwrap() })
            })
        });
    }};
}

/// Spawn 10_000 tasks from inside a task; await them all.
fn mt_spawn_many(c: &mut Criterion) {
    let mut group = c.benchmark_group("mt_spawn_many");
    bench_on_both!(group, {
        let handles: Vec<_> = (0..SPAWN_MANY)
            .map(|i| rt::spawn(async move { black_box(i) }))
            .collect();
        for handle in handles {
            black_box(handle.await.unwrap());
        }
    });
    bench_per_core(&mut group, || {
        on_both_loops(|| async {
            let handles: Vec<_> = (0..SPAWN_MANY / WORKERS)
                .map(|i| event_loop::spawn(async move { black_box(i) }))
                .collect();
            for handle in handles {
                black_box(handle.await.unwrap());
            }
        })
    });
    group.finish();
}

/// Spawn 10_000 tasks from outside the runtime (the bench thread, through
/// the runtime's spawn); await them all from `block_on`.
fn mt_spawn_remote(c: &mut Criterion) {
    let mut group = c.benchmark_group("mt_spawn_remote");
    let runtime = handspun_runtime();
    group.bench_function("handspun_stealing", |b| {
        b.iter(|| {
            let handles: Vec<_> = (0..SPAWN_MANY)
                .map(|i| runtime.spawn(async move { black_box(i) }))
                .collect();
            runtime.block_on(async {
                for handle in handles {
                    black_box(handle.await.unwrap());
                }
            })
        })
    });
    drop(runtime);
    let per_core = per_core_runtime();
    group.bench_function("handspun_per_core", |b| {
        b.iter(|| {
            let handles: Vec<_> = (0..SPAWN_MANY)
                .map(|i| per_core.spawn(move || async move { black_box(i) }))
                .collect();
            for handle in handles {
                black_box(handle.join().unwrap());
            }
        })
    });
    drop(per_core);
    let tokio = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            let handles: Vec<_> = (0..SPAWN_MANY)
                .map(|i| tokio.spawn(async move { black_box(i) }))
                .collect();
            tokio.block_on(async {
                for handle in handles {
                    black_box(handle.await.unwrap());
                }
            })
        })
    });
    group.finish();
}

/// 1_000 tasks, each yielding 100 times.
fn mt_yield_many(c: &mut Criterion) {
    let mut group = c.benchmark_group("mt_yield_many");
    bench_on_both!(group, {
        let handles: Vec<_> = (0..YIELD_TASKS)
            .map(|_| {
                rt::spawn(async {
                    for _ in 0..YIELDS {
                        rt::yield_now().await;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    bench_per_core(&mut group, || {
        on_both_loops(|| async {
            let handles: Vec<_> = (0..YIELD_TASKS / WORKERS)
                .map(|_| {
                    event_loop::spawn(async {
                        for _ in 0..YIELDS {
                            event_loop::yield_now().await;
                        }
                    })
                })
                .collect();
            for handle in handles {
                handle.await.unwrap();
            }
        })
    });
    group.finish();
}

/// 8 pairs of tasks at once, each pair 1_000 round trips over a pair of
/// bounded channels.
fn mt_ping_pong(c: &mut Criterion) {
    let mut group = c.benchmark_group("mt_ping_pong");
    bench_on_both!(group, {
        let pairs: Vec<_> = (0..PING_PONG_PAIRS)
            .map(|_| {
                let (to_pong, mut pong_inbox) = rt::mpsc::channel::<usize>(1);
                let (to_ping, mut ping_inbox) = rt::mpsc::channel::<usize>(1);
                let pong = rt::spawn(async move {
                    while let Some(n) = pong_inbox.recv().await {
                        to_ping.send(n + 1).await.unwrap();
                    }
                });
                let ping = rt::spawn(async move {
                    let mut n = 0;
                    for _ in 0..PING_PONGS {
                        to_pong.send(n).await.unwrap();
                        n = ping_inbox.recv().await.unwrap();
                    }
                    n
                });
                (ping, pong)
            })
            .collect();
        for (ping, pong) in pairs {
            assert_eq!(ping.await.unwrap(), PING_PONGS);
            pong.await.unwrap();
        }
    });
    bench_per_core(&mut group, || async {
        // Each pair on one loop, pairs alternating between the loops.
        let pairs: Vec<_> = (0..PING_PONG_PAIRS)
            .map(|i| {
                here()
                    .spawn_on(i % 2, || async {
                        let (to_pong, pong_inbox) = event_loop::channel::mpsc::channel(1);
                        let (to_ping, ping_inbox) = event_loop::channel::mpsc::channel(1);
                        let pong = event_loop::spawn(per_core_pong(pong_inbox, to_ping));
                        let n = per_core_ping(to_pong, ping_inbox).await;
                        pong.await.unwrap();
                        n
                    })
                    .unwrap()
            })
            .collect();
        for pair in pairs {
            assert_eq!(pair.await.unwrap(), PING_PONGS);
        }
    });
    bench_per_core_as(&mut group, "handspun_per_core_crossing", || async {
        let pairs: Vec<_> = (0..PING_PONG_PAIRS)
            .map(|_| {
                let (to_pong, pong_inbox) = event_loop::channel::mpsc::channel(1);
                let (to_ping, ping_inbox) = event_loop::channel::mpsc::channel(1);
                // Pong on loop 1, ping here on loop 0: every message crosses.
                let pong = here()
                    .spawn_on(1, move || per_core_pong(pong_inbox, to_ping))
                    .unwrap();
                let ping = event_loop::spawn(per_core_ping(to_pong, ping_inbox));
                (ping, pong)
            })
            .collect();
        for (ping, pong) in pairs {
            assert_eq!(ping.await.unwrap(), PING_PONGS);
            pong.await.unwrap();
        }
    });
    group.finish();
}

/// The per-core ping: `PING_PONGS` round trips, then it drops its sender,
/// which ends the pong.
async fn per_core_ping(
    to_pong: event_loop::channel::mpsc::Sender<usize>,
    mut inbox: event_loop::channel::mpsc::Receiver<usize>,
) -> usize {
    let mut n = 0;
    for _ in 0..PING_PONGS {
        to_pong.send(n).await.unwrap();
        n = inbox.recv().await.unwrap();
    }
    n
}

/// The per-core pong: answers every number with the next one.
async fn per_core_pong(
    mut inbox: event_loop::channel::mpsc::Receiver<usize>,
    to_ping: event_loop::channel::mpsc::Sender<usize>,
) {
    while let Some(n) = inbox.recv().await {
        to_ping.send(n + 1).await.unwrap();
    }
}

/// Each task spawns the next, 1_000 deep; the last one signals the end.
fn mt_chained_spawn(c: &mut Criterion) {
    let mut group = c.benchmark_group("mt_chained_spawn");
    bench_on_both!(group, {
        let (done, finished) = rt::oneshot::channel();
        rt::chain(CHAIN_DEPTH, done);
        finished.await.unwrap();
    });
    bench_per_core(&mut group, || async {
        let (done, finished) = event_loop::channel::oneshot::channel();
        per_core_chain(CHAIN_DEPTH, done);
        finished.await.unwrap();
    });
    group.finish();
}

/// 32 connections at once, each 500 round trips of 64 bytes over loopback;
/// the echo server (one task per connection) runs on the same runtime.
fn mt_tcp_echo(c: &mut Criterion) {
    let any_port: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut group = c.benchmark_group("mt_tcp_echo");
    group.sample_size(10);
    bench_on_both!(group, {
        let listener = rt::bind(any_port).await;
        let addr = listener.local_addr().unwrap();
        let server = rt::spawn(async move {
            let mut sessions = Vec::with_capacity(ECHO_CONNECTIONS);
            for _ in 0..ECHO_CONNECTIONS {
                let (mut conn, _) = listener.accept().await.unwrap();
                sessions.push(rt::spawn(async move {
                    conn.set_nodelay(true).unwrap();
                    let mut buf = [0u8; ECHO_BYTES];
                    while conn.read_exact(&mut buf).await.is_ok() {
                        conn.write_all(&buf).await.unwrap();
                    }
                }));
            }
            for session in sessions {
                session.await.unwrap();
            }
        });
        let clients: Vec<_> = (0..ECHO_CONNECTIONS)
            .map(|_| {
                rt::spawn(async move {
                    let mut client = rt::TcpStream::connect(addr).await.unwrap();
                    client.set_nodelay(true).unwrap();
                    let mut buf = [7u8; ECHO_BYTES];
                    for _ in 0..ECHO_ROUND_TRIPS {
                        client.write_all(&buf).await.unwrap();
                        client.read_exact(&mut buf).await.unwrap();
                    }
                })
            })
            .collect();
        for client in clients {
            client.await.unwrap();
        }
        server.await.unwrap();
    });
    bench_per_core(&mut group, move || async move {
        // One listener per loop on one port; the kernel spreads the
        // connections, so each server accepts until it is stopped.
        let mut listeners = per_core::bind_reuseport(any_port, WORKERS).unwrap();
        let addr = listeners[0].local_addr().unwrap();
        let remote_server = here()
            .spawn_on(1, {
                let listener = listeners.pop().unwrap();
                move || echo_server(listener)
            })
            .unwrap();
        let local_server = event_loop::spawn(echo_server(listeners.pop().unwrap()));
        on_both_loops(move || async move {
            let clients: Vec<_> = (0..ECHO_CONNECTIONS / WORKERS)
                .map(|_| event_loop::spawn(echo_client(addr)))
                .collect();
            for client in clients {
                client.await.unwrap();
            }
        })
        .await;
        remote_server.abort();
        local_server.abort();
    });
    group.finish();
}

/// Accepts on `listener` (one loop's share of the port) until aborted;
/// one echo task per connection.
async fn echo_server(listener: std::net::TcpListener) {
    let listener = event_loop::net::TcpListener::from_std(listener).unwrap();
    loop {
        let (mut conn, _) = listener.accept().await.unwrap();
        drop(event_loop::spawn(async move {
            conn.set_nodelay(true).unwrap();
            let mut buf = [0u8; ECHO_BYTES];
            while conn.read_exact(&mut buf).await.is_ok() {
                conn.write_all(&buf).await.unwrap();
            }
        }));
    }
}

/// One client: connects to `addr` and makes its round trips.
async fn echo_client(addr: SocketAddr) {
    let mut client = event_loop::net::TcpStream::connect(addr).await.unwrap();
    client.set_nodelay(true).unwrap();
    let mut buf = [7u8; ECHO_BYTES];
    for _ in 0..ECHO_ROUND_TRIPS {
        client.write_all(&buf).await.unwrap();
        client.read_exact(&mut buf).await.unwrap();
    }
}

criterion_group!(
    benches,
    mt_spawn_many,
    mt_spawn_remote,
    mt_yield_many,
    mt_ping_pong,
    mt_chained_spawn,
    mt_tcp_echo
);
criterion_main!(benches);
