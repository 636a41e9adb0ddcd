//! An echo server and thousands of clients, all on one thread.
//!
//! The server accepts connections and spawns one task per connection; each
//! task reads what arrives and writes it back. In the same loop, N client
//! tasks connect, send a few messages, and check the echoes. Nothing blocks:
//! whenever a socket has nothing to give, its task parks and the loop runs
//! another one. Each connection costs a small task (a few hundred bytes),
//! not an OS thread with its own stack.
//!
//! Run: `cargo run --release --example echo_server -- [CLIENTS] [ROUNDS]`
//! (defaults: 5000 clients, 10 rounds each).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use handspun::event_loop::net::{TcpListener, TcpStream};
use handspun::event_loop::{self, EventLoop};

/// Serves one connection: echo until the peer closes.
async fn echo(mut conn: TcpStream) {
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if conn.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// One client: connect, then `rounds` times send a message and read it back.
async fn client(addr: SocketAddr, id: usize, rounds: usize) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(addr).await?;
    let message = format!("hello from client {id:05}\n");
    let mut back = vec![0u8; message.len()];
    for _ in 0..rounds {
        stream.write_all(message.as_bytes()).await?;
        stream.read_exact(&mut back).await?;
        if back != message.as_bytes() {
            return Err(std::io::Error::other("echo mismatch"));
        }
    }
    Ok(())
}

/// Raises the soft limit on open files as far as the hard limit allows:
/// every connection needs two descriptors here (client and server side).
fn raise_open_file_limit(want: u64) -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit struct.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 1024;
    }
    if limit.rlim_cur < want {
        limit.rlim_cur = want.min(limit.rlim_max);
        // SAFETY: `limit` is a valid rlimit struct; raising the soft limit up
        // to the hard limit needs no privilege.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return 1024;
        }
    }
    limit.rlim_cur
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let wanted: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let limit = raise_open_file_limit(2 * wanted as u64 + 64);
    let clients = wanted.min((limit.saturating_sub(64) / 2) as usize);
    if clients < wanted {
        println!("open-file limit {limit}: running {clients} clients instead of {wanted}");
    }

    let mut ev = EventLoop::new()?;
    let start = Instant::now();
    let (ok, failed) = ev.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0".parse().expect("valid address"))?;
        let addr = listener.local_addr()?;
        println!("echo server on {addr}; {clients} clients x {rounds} round trips, one thread");
        let server = event_loop::spawn_named("acceptor", async move {
            while let Ok((conn, _peer)) = listener.accept().await {
                event_loop::spawn_named("connection", echo(conn));
            }
        });
        let handles: Vec<_> = (0..clients)
            .map(|id| event_loop::spawn_named("client", client(addr, id, rounds)))
            .collect();
        let (mut ok, mut failed) = (0, 0);
        for handle in handles {
            match event_loop::timeout(Duration::from_secs(60), handle).await {
                Ok(Ok(Ok(()))) => ok += 1,
                _ => failed += 1,
            }
        }
        server.abort();
        std::io::Result::Ok((ok, failed))
    })?;
    let elapsed = start.elapsed();
    let stats = ev.stats();
    println!(
        "{ok} clients ok, {failed} failed, {} round trips in {:.3}s ({:.0} per second)",
        ok * rounds,
        elapsed.as_secs_f64(),
        (ok * rounds) as f64 / elapsed.as_secs_f64()
    );
    println!(
        "loop: {} tasks spawned, {} polls, {} turns, {} slow polls",
        stats.spawned, stats.polls, stats.turns, stats.slow_polls
    );
    if failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}
