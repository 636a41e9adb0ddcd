//! The slow-site server on the work-stealing runtime: many keep-alive
//! clients at once, pipelining, a slowloris, the connection cap (idle
//! eviction and 503), and a graceful shutdown.

mod util_http;

use std::io::Write;
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use handspun::http::blocking::Session;
use handspun::http::server::{
    spawn_background_stealing_with, BackgroundServer, ServerConfig, ServerStats,
};
use util_http::{
    assert_pattern, connect, is_closed_by_server, read_responses, wait_until, PATIENT,
};

/// The server on a two-worker stealing runtime.
fn server(max_connections: usize, request_timeout: Duration) -> BackgroundServer {
    let config = ServerConfig {
        max_connections,
        request_timeout,
        ..ServerConfig::default()
    };
    spawn_background_stealing_with("127.0.0.1:0".parse().unwrap(), config, 2).unwrap()
}

#[test]
fn many_concurrent_keep_alive_clients_are_all_answered() {
    const CLIENTS: usize = 40;
    const REQUESTS: usize = 5;
    let server = server(1000, PATIENT);
    let url = server.url("/bytes/3000?delay_ms=5");
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let url = url.clone();
            thread::spawn(move || {
                let session = Session::new();
                let mut bodies = Vec::new();
                for _ in 0..REQUESTS {
                    bodies.push(session.get(&url).map(|r| r.body));
                }
                (bodies, session.connections_opened())
            })
        })
        .collect();
    for client in clients {
        let (bodies, opened) = client.join().unwrap();
        for body in bodies {
            assert_pattern(&body.unwrap(), 3000);
        }
        assert_eq!(opened, 1, "each client kept its one connection");
    }
    assert_eq!(
        ServerStats::get(&server.stats().requests),
        (CLIENTS * REQUESTS) as u64
    );
    assert_eq!(ServerStats::get(&server.stats().accepted), CLIENTS as u64);
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let server = server(100, PATIENT);
    let mut stream = connect(&server);
    stream
        .write_all(
            b"GET /bytes/3?delay_ms=50 HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /bytes/1 HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /bytes/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let (responses, closed) = read_responses(&mut stream, 3);
    let bodies: Vec<&[u8]> = responses.iter().map(|(_, b)| b.as_slice()).collect();
    assert_eq!(bodies, [&b"abc"[..], b"a", b"ab"]);
    assert!(closed);
}

#[test]
fn slowloris_gets_408_and_a_close() {
    let server = server(100, Duration::from_millis(300));
    let mut stream = connect(&server);
    stream
        .write_all(b"GET /bytes/1 HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let (responses, closed) = read_responses(&mut stream, 1);
    assert_eq!(responses[0].0.status, 408);
    assert!(closed);
    assert_eq!(ServerStats::get(&server.stats().timed_out), 1);
}

#[test]
fn garbage_gets_400() {
    let server = server(100, PATIENT);
    let mut stream = connect(&server);
    stream.write_all(b"HELLO THERE\r\n\r\n").unwrap();
    let (responses, closed) = read_responses(&mut stream, 1);
    assert_eq!(responses[0].0.status, 400);
    assert!(closed);
}

#[test]
fn connections_over_the_cap_get_503_when_every_one_is_busy() {
    let config = ServerConfig {
        max_connections: 3,
        // The held responses below are cut at shutdown, not waited for.
        shutdown_grace: Duration::from_millis(100),
        ..ServerConfig::default()
    };
    let server = spawn_background_stealing_with("127.0.0.1:0".parse().unwrap(), config, 2).unwrap();
    let mut held = Vec::new();
    for _ in 0..3 {
        // A request whose answer takes a while: busy responding, so not a
        // candidate for eviction (counted in `requests` once read).
        let mut stream = connect(&server);
        stream
            .write_all(b"GET /bytes/1?delay_ms=5000 HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        held.push(stream);
    }
    wait_until("three requests being answered", || {
        ServerStats::get(&server.stats().requests) == 3
    });
    let mut extra = connect(&server);
    let (responses, closed) = read_responses(&mut extra, 1);
    assert_eq!(responses[0].0.status, 503);
    assert!(closed);
    assert_eq!(ServerStats::get(&server.stats().rejected), 1);
    assert_eq!(ServerStats::get(&server.stats().evicted), 0);
    assert!(ServerStats::get(&server.stats().peak_active) <= 3);
    drop(held);
}

#[test]
fn at_the_cap_an_idle_connection_makes_room_for_a_newcomer() {
    let server = server(2, PATIENT);
    // A never sends a byte; B is an idle keep-alive connection.
    let mut never_sent = connect(&server);
    let mut keep_alive = connect(&server);
    keep_alive
        .write_all(b"GET /bytes/2 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (first, _) = read_responses(&mut keep_alive, 1);
    assert_eq!(first[0].1, b"ab");
    wait_until("both connections idle", || {
        ServerStats::get(&server.stats().idle) == 2
    });
    // C finds the server full: the connection that never sent goes first.
    let mut third = connect(&server);
    third
        .write_all(b"GET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (answer, _) = read_responses(&mut third, 1);
    assert_eq!(
        (answer[0].0.status, answer[0].1.as_slice()),
        (200, &b"abc"[..])
    );
    assert!(
        is_closed_by_server(&mut never_sent),
        "A was closed to admit C"
    );
    assert_eq!(ServerStats::get(&server.stats().evicted), 1);
    assert_eq!(ServerStats::get(&server.stats().rejected), 0);
}

#[test]
fn shutdown_lets_in_flight_responses_finish() {
    let server = server(100, PATIENT);
    let url = server.url("/bytes/2000?delay_ms=300");
    let client = thread::spawn(move || Session::new().get(&url));
    wait_until("the request arrived", || {
        ServerStats::get(&server.stats().requests) == 1
    });
    let addr = server.addr();
    server.shutdown();
    let response = client
        .join()
        .unwrap()
        .expect("the in-flight response finished");
    assert_pattern(&response.body, 2000);
    assert_eq!(response.header("connection"), Some("close"));
    assert!(TcpStream::connect(addr).is_err(), "no longer accepting");
}

#[test]
fn shutdown_closes_idle_keep_alive_connections_at_once() {
    let server = server(100, PATIENT);
    let mut idle = connect(&server);
    idle.write_all(b"GET /bytes/1 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (first, _) = read_responses(&mut idle, 1);
    assert_eq!(first[0].1, b"a");
    idle.set_read_timeout(Some(PATIENT)).unwrap();
    let started = Instant::now();
    server.shutdown();
    assert!(is_closed_by_server(&mut idle));
    // Far sooner than the 30 s idle timeout (a bound, not a measurement).
    assert!(started.elapsed() < PATIENT);
}
