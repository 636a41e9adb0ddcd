//! Runs one body of `benches/multi.rs` (`mt_yield_many` or `mt_ping_pong`)
//! N times on one runtime, without criterion: a process to count things in
//! (system calls with `strace -c`, context switches with `perf stat`, calls
//! of one function with a uprobe). How `docs/multi_thread.md` counted them.
//!
//! ```sh
//! cargo run --release --example stealing_probe -- handspun yield 100
//! cargo run --release --example stealing_probe -- tokio ping-pong 400
//! ```
//!
//! The bodies and constants are copies of the bench's; keep them in step.
use handspun::stealing::Runtime;
use std::time::Instant;

const YIELD_TASKS: usize = 1_000;
const YIELDS: usize = 100;
const PING_PONG_PAIRS: usize = 8;
const PING_PONGS: usize = 1_000;

mod on_handspun {
    pub use handspun::event_loop::channel::mpsc;
    pub use handspun::event_loop::yield_now;
    pub use handspun::stealing::spawn;
}
mod on_tokio {
    pub use tokio::sync::mpsc;
    pub use tokio::task::{spawn, yield_now};
}

macro_rules! bodies {
    () => {
        pub async fn yield_many() {
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
        }
        pub async fn ping_pong() {
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
        }
    };
}

/// The bodies on handspun's work-stealing runtime.
mod hs {
    use super::*;
    use on_handspun as rt;
    bodies!();
}
/// The bodies on tokio's multi-thread runtime.
mod tk {
    use super::*;
    use on_tokio as rt;
    bodies!();
}

const USAGE: &str = "usage: stealing_probe handspun|tokio yield|ping-pong ITERATIONS";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(which), Some(bench), Some(Ok(n))) = (
        args.first().map(String::as_str),
        args.get(1).map(String::as_str),
        args.get(2).map(|n| n.parse::<u32>()),
    ) else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    if !matches!(bench, "yield" | "ping-pong") || !matches!(which, "handspun" | "tokio") {
        eprintln!("{USAGE}");
        std::process::exit(2);
    }
    let start = Instant::now();
    match which {
        "handspun" => {
            let rt = Runtime::builder()
                .workers(2)
                .build()
                .expect("a handspun stealing runtime");
            for _ in 0..n {
                rt.block_on(async {
                    match bench {
                        "yield" => handspun::stealing::spawn(hs::yield_many()).await.unwrap(),
                        _ => handspun::stealing::spawn(hs::ping_pong()).await.unwrap(),
                    }
                });
            }
        }
        _ => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime");
            for _ in 0..n {
                rt.block_on(async {
                    match bench {
                        "yield" => tokio::spawn(tk::yield_many()).await.unwrap(),
                        _ => tokio::spawn(tk::ping_pong()).await.unwrap(),
                    }
                });
            }
        }
    }
    eprintln!(
        "{which} {bench} x{n}: {:?} per iteration",
        start.elapsed() / n.max(1)
    );
}
