//! A bench peer, not a lesson: an echo server on tokio's current-thread runtime, written the way tokio's own README writes one.
//!
//! `benches/python/idle_memory.py` holds 10 000 idle connections against it,
//! beside `handspun serve` and nginx, to put handspun's memory per idle
//! connection next to a runtime people know. Each connection is one task
//! holding a 1 KiB buffer inside its future, as in tokio's README example.
//!
//! Run: `cargo run --release --example peer_tokio_echo -- 127.0.0.1:18556`
//! (prints `listening on ADDR` once it accepts).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18556".to_owned());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(&addr).await?;
        println!("listening on {}", listener.local_addr()?);
        loop {
            let (mut socket, _) = listener.accept().await?;
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                loop {
                    let n = match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    if socket.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    })
}
