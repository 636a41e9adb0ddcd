//! Event loop micro-benchmarks: handspun beside tokio's current-thread runtime.
//!
//! Groups follow shared/WORKLOADS.md ("Micro-benchmarks"); in each group the
//! function `handspun` runs our loop and `tokio` runs
//! `tokio::runtime::Builder::new_current_thread().enable_all()` on the same
//! work. One runtime of each kind is built once and reused by every
//! iteration, as a long-running program would.
//!
//! "The same work" holds by construction: each benchmark body is written
//! once, against a module named `rt`, and [`bench_on_both`] compiles it
//! twice — with `rt` naming [`on_handspun`], then [`on_tokio`], two modules
//! that offer the same few names (`spawn`, `yield_now`, `sleep`, `mpsc`,
//! `oneshot`, `bind`, `TcpStream`).
//!
//! Run: `cargo bench --bench event_loop` (add
//! `-- --warm-up-time 1 --measurement-time 3` for a quicker pass).

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use handspun::event_loop::EventLoop;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SPAWN_MANY: usize = 10_000;
const YIELD_TASKS: usize = 1_000;
const YIELDS: usize = 100;
const PING_PONGS: usize = 10_000;
const CHAIN_DEPTH: usize = 1_000;
const TIMERS: usize = 10_000;
const ECHO_ROUND_TRIPS: usize = 10_000;
const ECHO_BYTES: usize = 64;

/// handspun's names for what the benchmark bodies use.
mod on_handspun {
    use std::net::SocketAddr;

    pub use handspun::event_loop::channel::{mpsc, oneshot};
    pub use handspun::event_loop::net::{TcpListener, TcpStream};
    pub use handspun::event_loop::{sleep, spawn, yield_now};

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
    pub use tokio::time::sleep;

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

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Benchmarks one async body as `<group>/handspun` and `<group>/tokio`:
/// the body is compiled twice, once with `rt` naming [`on_handspun`] and
/// once with it naming [`on_tokio`], and each runs on a runtime built once.
macro_rules! bench_on_both {
    ($group:expr, { $($body:tt)* }) => {{
        let mut event_loop = EventLoop::new().expect("event loop");
        $group.bench_function("handspun", |b| {
            b.iter(|| {
                use on_handspun as rt;
                event_loop.block_on(async { $($body)* })
            })
        });
        let tokio = tokio_runtime();
        $group.bench_function("tokio", |b| {
            b.iter(|| {
                use on_tokio as rt;
                tokio.block_on(async { $($body)* })
            })
        });
    }};
}

/// Spawn 10_000 tasks that finish at once; await them all.
fn spawn_many(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_many");
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

/// 1_000 tasks, each yielding 100 times.
fn yield_many(c: &mut Criterion) {
    let mut group = c.benchmark_group("yield_many");
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

/// Two tasks, 10_000 round trips over a pair of bounded channels.
fn ping_pong(c: &mut Criterion) {
    let mut group = c.benchmark_group("ping_pong");
    bench_on_both!(group, {
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
        assert_eq!(ping.await.unwrap(), PING_PONGS);
        pong.await.unwrap();
    });
    group.finish();
}

/// Each task spawns the next, 1_000 deep; the last one signals the end.
fn chained_spawn(c: &mut Criterion) {
    let mut group = c.benchmark_group("chained_spawn");
    bench_on_both!(group, {
        let (done, finished) = rt::oneshot::channel();
        rt::chain(CHAIN_DEPTH, done);
        finished.await.unwrap();
    });
    group.finish();
}

/// 10_000 sleeps of pseudo-random lengths in 0..=10 ms (same list for both).
fn timers(c: &mut Criterion) {
    // A fixed linear congruential sequence: the same "random" list every run.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let delays: Vec<Duration> = (0..TIMERS)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            Duration::from_micros((state >> 33) % 10_001)
        })
        .collect();
    let mut group = c.benchmark_group("timers");
    group.sample_size(20);
    bench_on_both!(group, {
        let handles: Vec<_> = delays
            .iter()
            .map(|&delay| rt::spawn(rt::sleep(delay)))
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    group.finish();
}

/// 10_000 round trips of 64 bytes over one loopback connection; the echo
/// server is a task on the same runtime.
fn tcp_echo(c: &mut Criterion) {
    let any_port: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut group = c.benchmark_group("tcp_echo");
    group.sample_size(10);
    bench_on_both!(group, {
        let listener = rt::bind(any_port).await;
        let addr = listener.local_addr().unwrap();
        let server = rt::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            conn.set_nodelay(true).unwrap();
            let mut buf = [0u8; ECHO_BYTES];
            while conn.read_exact(&mut buf).await.is_ok() {
                conn.write_all(&buf).await.unwrap();
            }
        });
        let mut client = rt::TcpStream::connect(addr).await.unwrap();
        client.set_nodelay(true).unwrap();
        let mut buf = [7u8; ECHO_BYTES];
        for _ in 0..ECHO_ROUND_TRIPS {
            client.write_all(&buf).await.unwrap();
            client.read_exact(&mut buf).await.unwrap();
        }
        drop(client);
        server.await.unwrap();
    });
    group.finish();
}

criterion_group!(
    benches,
    spawn_many,
    yield_many,
    ping_pong,
    chained_spawn,
    timers,
    tcp_echo
);
criterion_main!(benches);
