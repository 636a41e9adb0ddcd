//! Stealing runtime, TCP: many connections at once, served on every worker.

mod util_stealing;

use std::collections::HashSet;
use std::io;

use handspun::stealing::net::{TcpListener, TcpStream};
use handspun::stealing::{self, Runtime};
use util_stealing::{any_port, runtime, thread_name, within_limit};

/// Echo server: one task per connection; returns the worker names that
/// served, once `connections` connections have closed.
async fn echo_server(listener: TcpListener, connections: usize) -> HashSet<String> {
    let mut sessions = Vec::new();
    for _ in 0..connections {
        let (mut conn, _) = listener.accept().await.unwrap();
        sessions.push(stealing::spawn(async move {
            let mut workers = HashSet::new();
            let mut buf = [0u8; 1024];
            loop {
                workers.insert(thread_name());
                match conn.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => conn.write_all(&buf[..n]).await.unwrap(),
                }
            }
            workers
        }));
    }
    let mut workers = HashSet::new();
    for session in sessions {
        workers.extend(session.await.unwrap());
    }
    workers
}

#[test]
fn many_connections_echo_at_once() {
    within_limit(|| {
        let rt = runtime(2);
        let (clients, rounds) = (64usize, 50usize);
        rt.block_on(async {
            let listener = TcpListener::bind(any_port()).unwrap();
            let addr = listener.local_addr().unwrap();
            let server = stealing::spawn(echo_server(listener, clients));
            let joins: Vec<_> = (0..clients)
                .map(|c| {
                    stealing::spawn(async move {
                        let mut stream = TcpStream::connect(addr).await.unwrap();
                        stream.set_nodelay(true).unwrap();
                        for r in 0..rounds {
                            let message = format!("client {c} round {r}");
                            stream.write_all(message.as_bytes()).await.unwrap();
                            let mut reply = vec![0u8; message.len()];
                            stream.read_exact(&mut reply).await.unwrap();
                            assert_eq!(reply, message.as_bytes());
                        }
                    })
                })
                .collect();
            for join in joins {
                join.await.unwrap();
            }
            let workers = server.await.unwrap();
            assert!(!workers.is_empty());
        });
    });
}

#[test]
fn connecting_to_a_closed_port_is_an_error() {
    within_limit(|| {
        let rt = runtime(2);
        let closed = std::net::TcpListener::bind(any_port()).unwrap();
        let addr = closed.local_addr().unwrap();
        drop(closed);
        let result = rt.block_on(TcpStream::connect(addr));
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::ConnectionRefused);
    });
}

#[test]
fn sockets_outside_a_runtime_are_an_error_not_a_panic() {
    let error = TcpListener::bind(any_port()).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::Other);
    // And inside one they work.
    let rt: Runtime = runtime(1);
    rt.block_on(async { TcpListener::bind(any_port()).unwrap() });
}
