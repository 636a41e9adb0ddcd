//! One listener per loop on one port (`SO_REUSEPORT`): the kernel hands
//! each connection to one of them, and every connection of a burst is
//! accepted and served by some loop.
//!
//! How the connections spread over the loops is the kernel's choice (a
//! hash of addresses and ports): the tests count the total, never assert
//! an even spread.

mod util_per_core;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use handspun::event_loop::net::TcpListener;
use handspun::per_core::bind_reuseport;
use util_per_core::{runtime, within_limit};

const LOOPS: usize = 2;
const CONNECTIONS: usize = 200;

#[test]
fn the_listeners_share_one_port() {
    let listeners = bind_reuseport("127.0.0.1:0".parse().unwrap(), 3).unwrap();
    let port = listeners[0].local_addr().unwrap().port();
    assert_ne!(port, 0);
    for listener in &listeners {
        assert_eq!(listener.local_addr().unwrap().port(), port);
    }
    // A plain listener cannot join them: the port is taken.
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    assert!(std::net::TcpListener::bind(addr).is_err());
}

#[test]
fn a_burst_of_connections_is_served_by_the_loops_listeners() {
    within_limit(|| {
        let rt = runtime(LOOPS);
        let listeners = bind_reuseport("127.0.0.1:0".parse().unwrap(), LOOPS).unwrap();
        let addr = listeners[0].local_addr().unwrap();
        let accepted: Vec<Arc<AtomicUsize>> =
            (0..LOOPS).map(|_| Arc::new(AtomicUsize::new(0))).collect();
        let servers: Vec<_> = listeners
            .into_iter()
            .enumerate()
            .map(|(index, listener)| {
                let count = accepted[index].clone();
                rt.spawn_on(index, move || async move {
                    let listener = TcpListener::from_std(listener).unwrap();
                    loop {
                        let (mut conn, _) = listener.accept().await.unwrap();
                        count.fetch_add(1, Ordering::SeqCst);
                        // Answer with the loop that accepted.
                        drop(handspun::event_loop::spawn(async move {
                            let mut byte = [0u8; 1];
                            if conn.read_exact(&mut byte).await.is_ok() {
                                let _ = conn.write_all(&[index as u8]).await;
                            }
                        }));
                    }
                })
                .unwrap()
            })
            .collect();

        let mut served_by = [0usize; LOOPS];
        for _ in 0..CONNECTIONS {
            let mut client = TcpStream::connect(addr).unwrap();
            client
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            client.write_all(b"?").unwrap();
            let mut answer = [0u8; 1];
            client.read_exact(&mut answer).unwrap();
            served_by[answer[0] as usize] += 1;
        }
        let total: usize = accepted.iter().map(|c| c.load(Ordering::SeqCst)).sum();
        assert_eq!(total, CONNECTIONS);
        assert_eq!(served_by.iter().sum::<usize>(), CONNECTIONS);
        for (index, count) in accepted.iter().enumerate() {
            // The accept count and the answers agree loop by loop.
            assert_eq!(count.load(Ordering::SeqCst), served_by[index]);
        }
        eprintln!("connections per loop (the kernel's spread): {served_by:?}");
        // Not an even spread, only that every loop's listener takes part:
        // 200 connections from 200 source ports all hashed to one socket
        // would be a 1 in 2^199 event.
        assert!(served_by.iter().all(|&n| n > 0), "{served_by:?}");
        for server in servers {
            server.abort();
        }
    });
}
