//! Event loop micro-benchmarks: handspun beside tokio's current-thread runtime.
//!
//! Groups follow shared/WORKLOADS.md ("Micro-benchmarks"); in each group the
//! function `handspun` runs our loop and `tokio` runs
//! `tokio::runtime::Builder::new_current_thread().enable_all()` on the same
//! work. One runtime of each kind is built once and reused by every
//! iteration, as a long-running program would.
//!
//! Run: `cargo bench --bench event_loop` (add
//! `-- --warm-up-time 1 --measurement-time 3` for a quicker pass).

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use handspun::event_loop::channel::{mpsc, oneshot};
use handspun::event_loop::net::{TcpListener, TcpStream};
use handspun::event_loop::{self, EventLoop};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SPAWN_MANY: usize = 10_000;
const YIELD_TASKS: usize = 1_000;
const YIELDS: usize = 100;
const PING_PONGS: usize = 10_000;
const CHAIN_DEPTH: usize = 1_000;
const TIMERS: usize = 10_000;
const ECHO_ROUND_TRIPS: usize = 10_000;
const ECHO_BYTES: usize = 64;

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn handspun_loop() -> EventLoop {
    EventLoop::new().expect("event loop")
}

/// Spawn 10_000 tasks that finish at once; await them all.
fn spawn_many(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_many");
    let mut ev = handspun_loop();
    group.bench_function("handspun", |b| {
        b.iter(|| {
            ev.block_on(async {
                let handles: Vec<_> = (0..SPAWN_MANY)
                    .map(|i| event_loop::spawn(async move { black_box(i) }))
                    .collect();
                for handle in handles {
                    black_box(handle.await.unwrap());
                }
            })
        })
    });
    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let handles: Vec<_> = (0..SPAWN_MANY)
                    .map(|i| tokio::spawn(async move { black_box(i) }))
                    .collect();
                for handle in handles {
                    black_box(handle.await.unwrap());
                }
            })
        })
    });
    group.finish();
}

/// 1_000 tasks, each yielding 100 times.
fn yield_many(c: &mut Criterion) {
    let mut group = c.benchmark_group("yield_many");
    let mut ev = handspun_loop();
    group.bench_function("handspun", |b| {
        b.iter(|| {
            ev.block_on(async {
                let handles: Vec<_> = (0..YIELD_TASKS)
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
        })
    });
    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let handles: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| {
                        tokio::spawn(async {
                            for _ in 0..YIELDS {
                                tokio::task::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for handle in handles {
                    handle.await.unwrap();
                }
            })
        })
    });
    group.finish();
}

/// Two tasks, 10_000 round trips over a pair of bounded channels.
fn ping_pong(c: &mut Criterion) {
    let mut group = c.benchmark_group("ping_pong");
    let mut ev = handspun_loop();
    group.bench_function("handspun", |b| {
        b.iter(|| {
            ev.block_on(async {
                let (to_pong, mut pong_inbox) = mpsc::channel::<usize>(1);
                let (to_ping, mut ping_inbox) = mpsc::channel::<usize>(1);
                let pong = event_loop::spawn(async move {
                    while let Some(n) = pong_inbox.recv().await {
                        to_ping.send(n + 1).await.unwrap();
                    }
                });
                let ping = event_loop::spawn(async move {
                    let mut n = 0;
                    for _ in 0..PING_PONGS {
                        to_pong.send(n).await.unwrap();
                        n = ping_inbox.recv().await.unwrap();
                    }
                    n
                });
                assert_eq!(ping.await.unwrap(), PING_PONGS);
                pong.await.unwrap();
            })
        })
    });
    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let (to_pong, mut pong_inbox) = tokio::sync::mpsc::channel::<usize>(1);
                let (to_ping, mut ping_inbox) = tokio::sync::mpsc::channel::<usize>(1);
                let pong = tokio::spawn(async move {
                    while let Some(n) = pong_inbox.recv().await {
                        to_ping.send(n + 1).await.unwrap();
                    }
                });
                let ping = tokio::spawn(async move {
                    let mut n = 0;
                    for _ in 0..PING_PONGS {
                        to_pong.send(n).await.unwrap();
                        n = ping_inbox.recv().await.unwrap();
                    }
                    n
                });
                assert_eq!(ping.await.unwrap(), PING_PONGS);
                pong.await.unwrap();
            })
        })
    });
    group.finish();
}

/// Each task spawns the next, 1_000 deep; the last one signals the end.
fn chained_spawn(c: &mut Criterion) {
    fn handspun_chain(left: usize, done: oneshot::Sender<()>) {
        if left == 0 {
            done.send(()).unwrap();
        } else {
            drop(event_loop::spawn(
                async move { handspun_chain(left - 1, done) },
            ));
        }
    }
    fn tokio_chain(left: usize, done: tokio::sync::oneshot::Sender<()>) {
        if left == 0 {
            done.send(()).unwrap();
        } else {
            drop(tokio::spawn(async move { tokio_chain(left - 1, done) }));
        }
    }
    let mut group = c.benchmark_group("chained_spawn");
    let mut ev = handspun_loop();
    group.bench_function("handspun", |b| {
        b.iter(|| {
            ev.block_on(async {
                let (done, finished) = oneshot::channel();
                handspun_chain(CHAIN_DEPTH, done);
                finished.await.unwrap();
            })
        })
    });
    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let (done, finished) = tokio::sync::oneshot::channel();
                tokio_chain(CHAIN_DEPTH, done);
                finished.await.unwrap();
            })
        })
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
    let mut ev = handspun_loop();
    group.bench_function("handspun", |b| {
        b.iter(|| {
            ev.block_on(async {
                let handles: Vec<_> = delays
                    .iter()
                    .map(|&delay| event_loop::spawn(event_loop::sleep(delay)))
                    .collect();
                for handle in handles {
                    handle.await.unwrap();
                }
            })
        })
    });
    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let handles: Vec<_> = delays
                    .iter()
                    .map(|&delay| tokio::spawn(tokio::time::sleep(delay)))
                    .collect();
                for handle in handles {
                    handle.await.unwrap();
                }
            })
        })
    });
    group.finish();
}

/// 10_000 round trips of 64 bytes over one loopback connection; the echo
/// server is a task on the same runtime.
fn tcp_echo(c: &mut Criterion) {
    let any_port: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut group = c.benchmark_group("tcp_echo");
    group.sample_size(10);
    let mut ev = handspun_loop();
    group.bench_function("handspun", |b| {
        b.iter(|| {
            ev.block_on(async {
                let listener = TcpListener::bind(any_port).unwrap();
                let addr = listener.local_addr().unwrap();
                let server = event_loop::spawn(async move {
                    let (mut conn, _) = listener.accept().await.unwrap();
                    conn.set_nodelay(true).unwrap();
                    let mut buf = [0u8; ECHO_BYTES];
                    while conn.read_exact(&mut buf).await.is_ok() {
                        conn.write_all(&buf).await.unwrap();
                    }
                });
                let mut client = TcpStream::connect(addr).await.unwrap();
                client.set_nodelay(true).unwrap();
                let mut buf = [7u8; ECHO_BYTES];
                for _ in 0..ECHO_ROUND_TRIPS {
                    client.write_all(&buf).await.unwrap();
                    client.read_exact(&mut buf).await.unwrap();
                }
                drop(client);
                server.await.unwrap();
            })
        })
    });
    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let listener = tokio::net::TcpListener::bind(any_port).await.unwrap();
                let addr = listener.local_addr().unwrap();
                let server = tokio::spawn(async move {
                    let (mut conn, _) = listener.accept().await.unwrap();
                    conn.set_nodelay(true).unwrap();
                    let mut buf = [0u8; ECHO_BYTES];
                    while conn.read_exact(&mut buf).await.is_ok() {
                        conn.write_all(&buf).await.unwrap();
                    }
                });
                let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
                client.set_nodelay(true).unwrap();
                let mut buf = [7u8; ECHO_BYTES];
                for _ in 0..ECHO_ROUND_TRIPS {
                    client.write_all(&buf).await.unwrap();
                    client.read_exact(&mut buf).await.unwrap();
                }
                drop(client);
                server.await.unwrap();
            })
        })
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
