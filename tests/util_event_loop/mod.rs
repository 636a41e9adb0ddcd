//! Helpers for the event-loop tests: a free local port and an echo server.

#![allow(dead_code)]

use std::net::SocketAddr;

use handspun::event_loop::{self, net::TcpListener};

/// Port 0 on 127.0.0.1: the kernel picks a free port at bind time.
pub fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Serves echo on `listener` forever: one task per connection, which
/// writes back what it reads until the peer closes or an error occurs.
pub async fn echo_server(listener: TcpListener) {
    loop {
        let (mut conn, _) = listener.accept().await.unwrap();
        event_loop::spawn(async move {
            let mut buf = [0u8; 1024];
            while let Ok(n @ 1..) = conn.read(&mut buf).await {
                if conn.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        });
    }
}
