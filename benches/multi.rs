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
//! Run: `cargo bench --bench multi` (results and the ratios in
//! `docs/multi_thread.md`).

use std::hint::black_box;
use std::net::SocketAddr;

use criterion::{criterion_group, criterion_main, Criterion};
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
    group.finish();
}

/// Each task spawns the next, 1_000 deep; the last one signals the end.
fn mt_chained_spawn(c: &mut Criterion) {
    let mut group = c.benchmark_group("mt_chained_spawn");
    bench_on_both!(group, {
        let (done, finished) = rt::oneshot::channel();
        rt::chain(CHAIN_DEPTH, done);
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
    group.finish();
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
