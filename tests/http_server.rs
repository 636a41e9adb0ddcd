//! The slow-site server: endpoints, keep-alive, pipelining, graceful
//! shutdown, and hostile clients (slowloris, oversized heads, garbage, too
//! many connections) while a well-behaved client is still served.

mod util_http;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use handspun::http::blocking::Session;
use handspun::http::codec::{Event, ResponseDecoder};
use handspun::http::server::{spawn_background_with, BackgroundServer, ServerConfig, ServerStats};
use handspun::http::{Limits, ResponseHead};
use util_http::{
    assert_pattern, connect, is_closed_by_server, read_responses, slow_site, wait_until, PATIENT,
};

/// A server with a connection cap and a request timeout (short for the
/// slowloris case, generous elsewhere so a busy machine changes nothing).
fn strict_server(max_connections: usize, request_timeout: Duration) -> BackgroundServer {
    spawn_background_with(
        "127.0.0.1:0".parse().unwrap(),
        ServerConfig {
            max_connections,
            request_timeout,
            ..ServerConfig::default()
        },
    )
    .unwrap()
}

#[test]
fn bytes_endpoint_serves_the_pattern_after_its_delay() {
    let server = slow_site();
    let session = Session::new();
    for len in [0, 1, 1024, 49152, 100_000] {
        let response = session
            .get(&server.url(&format!("/bytes/{len}?delay_ms=5")))
            .unwrap();
        assert_eq!(response.status, 200);
        assert_pattern(&response.body, len);
    }
    assert_eq!(session.connections_opened(), 1, "keep-alive");
}

#[test]
fn other_endpoints() {
    let server = slow_site();
    let session = Session::new();
    assert_eq!(session.get(&server.url("/status/418")).unwrap().status, 418);
    assert_eq!(
        session.get(&server.url("/status/302")).unwrap().status,
        200,
        "3xx point at /status/200"
    );
    assert_eq!(session.get(&server.url("/nowhere")).unwrap().status, 404);
    assert_eq!(session.get(&server.url("/bytes/x")).unwrap().status, 400);
    let chunked = session
        .get(&server.url("/chunked/5000?chunk_size=333"))
        .unwrap();
    assert_eq!(chunked.header("transfer-encoding"), Some("chunked"));
    assert_pattern(&chunked.body, 5000);
    let drip = session
        .get(&server.url("/drip?numbytes=20&duration_ms=40"))
        .unwrap();
    assert_pattern(&drip.body, 20);
    assert_eq!(
        session.get(&server.url("/redirect/3")).unwrap().body,
        b"done"
    );
    assert!(session
        .get(&server.url("/"))
        .unwrap()
        .body
        .starts_with(b"handspun slow site"));
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let server = slow_site();
    let mut stream = connect(&server);
    stream
        .write_all(
            b"GET /bytes/3?delay_ms=50 HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /status/404 HTTP/1.1\r\nHost: x\r\n\r\n\
              POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\necho\r\n0\r\n\r\n\
              GET /bytes/5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let (responses, closed) = read_responses(&mut stream, 4);
    let statuses: Vec<u16> = responses.iter().map(|(h, _)| h.status).collect();
    assert_eq!(statuses, [200, 404, 200, 200]);
    assert_eq!(
        responses[0].1, b"abc",
        "the slow first answer still comes first"
    );
    assert_eq!(responses[2].1, b"echo");
    assert_eq!(responses[3].1, b"abcde");
    assert!(closed, "Connection: close on the last request");
}

#[test]
fn head_gets_the_head_without_the_body() {
    let server = slow_site();
    let mut stream = connect(&server);
    stream
        .write_all(b"HEAD /bytes/7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let mut decoder = ResponseDecoder::new(Limits::default());
    decoder.set_request_was_head(true);
    decoder.feed(&raw);
    let Ok(Some(Event::Head(head))) = decoder.next_event() else {
        panic!("no head")
    };
    assert_eq!(head.header("content-length"), Some("7"));
    assert_eq!(decoder.next_event().unwrap(), Some(Event::End));
    assert_eq!(decoder.buffered(), 0, "no body bytes follow");
}

#[test]
fn connection_close_and_http_1_0_close_after_the_response() {
    let server = slow_site();
    for request in [
        &b"GET /bytes/4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"[..],
        b"GET /bytes/4 HTTP/1.0\r\n\r\n",
    ] {
        let mut stream = connect(&server);
        stream.write_all(request).unwrap();
        let (responses, closed) = read_responses(&mut stream, 1);
        assert_eq!(responses[0].1, b"abcd");
        assert_eq!(responses[0].0.header("connection"), Some("close"));
        assert!(closed, "the server closed the connection");
    }
}

#[test]
fn slowloris_gets_408_and_a_close() {
    let server = strict_server(100, Duration::from_millis(300));
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
fn oversize_head_gets_431() {
    let server = strict_server(100, PATIENT);
    let mut stream = connect(&server);
    let mut request = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
    request.resize(70 * 1024, b'a');
    request.extend_from_slice(b"\r\n\r\n");
    let _ = stream.write_all(&request);
    let (responses, closed) = read_responses(&mut stream, 1);
    assert_eq!(responses[0].0.status, 431);
    assert!(closed);
}

#[test]
fn too_many_headers_gets_431() {
    let server = strict_server(100, PATIENT);
    let mut stream = connect(&server);
    let mut request = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..150 {
        request.extend_from_slice(format!("X-{i}: {i}\r\n").as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    stream.write_all(&request).unwrap();
    let (responses, _) = read_responses(&mut stream, 1);
    assert_eq!(responses[0].0.status, 431);
}

#[test]
fn garbage_gets_400() {
    let server = strict_server(100, PATIENT);
    for garbage in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"[..],
        b"HELLO\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    ] {
        let mut stream = connect(&server);
        stream.write_all(garbage).unwrap();
        let (responses, closed) = read_responses(&mut stream, 1);
        assert_eq!(
            responses[0].0.status,
            400,
            "{}",
            String::from_utf8_lossy(garbage)
        );
        assert!(closed);
    }
}

#[test]
fn request_body_over_the_limit_gets_413() {
    let server = strict_server(100, PATIENT);
    let mut stream = connect(&server);
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n")
        .unwrap();
    let (responses, _) = read_responses(&mut stream, 1);
    assert_eq!(responses[0].0.status, 413);
}

#[test]
fn connections_over_the_cap_get_503_when_every_one_is_busy() {
    let server = strict_server(4, PATIENT);
    let mut held = Vec::new();
    for _ in 0..4 {
        // Half a request: the connection is busy reading it, not idle, so
        // the server may not close it to make room.
        let mut stream = connect(&server);
        stream
            .write_all(b"GET /bytes/1 HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .unwrap();
        held.push(stream);
    }
    // Each has read its half request, so none is idle (evictable) any more.
    wait_until("four connections active, none idle", || {
        ServerStats::get(&server.stats().active) == 4 && ServerStats::get(&server.stats().idle) == 0
    });
    let mut extra = connect(&server);
    let (responses, closed) = read_responses(&mut extra, 1);
    assert_eq!(responses[0].0.status, 503);
    assert!(closed);
    assert!(ServerStats::get(&server.stats().rejected) >= 1);
    assert_eq!(ServerStats::get(&server.stats().evicted), 0);
    drop(held);
}

#[test]
fn at_the_cap_an_idle_connection_makes_room_for_a_newcomer() {
    let server = strict_server(2, PATIENT);
    // A connects and never sends a byte; B is an idle keep-alive connection.
    let mut never_sent = connect(&server);
    let mut keep_alive = connect(&server);
    keep_alive
        .write_all(b"GET /bytes/2 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (first, _) = read_responses(&mut keep_alive, 1);
    assert_eq!(first[0].1, b"ab");
    // Both wait in the idle set: A for its first byte, B for its next request.
    wait_until("two connections active, both idle", || {
        ServerStats::get(&server.stats().active) == 2 && ServerStats::get(&server.stats().idle) == 2
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

    // D: now the keep-alive connection idle the longest goes (B, not C).
    let mut fourth = connect(&server);
    fourth
        .write_all(b"GET /bytes/4 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (answer, _) = read_responses(&mut fourth, 1);
    assert_eq!(answer[0].1, b"abcd");
    assert!(
        is_closed_by_server(&mut keep_alive),
        "B was closed to admit D"
    );
    // C is still open and served.
    third
        .write_all(b"GET /bytes/1 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (again, _) = read_responses(&mut third, 1);
    assert_eq!(again[0].1, b"a");
    assert_eq!(ServerStats::get(&server.stats().evicted), 2);
    assert_eq!(ServerStats::get(&server.stats().rejected), 0);
}

#[test]
fn a_good_client_is_served_while_hostile_ones_connect() {
    // Slow hostile clients hold their connections for the whole test.
    let server = strict_server(1000, PATIENT);
    let mut hostile = Vec::new();
    for i in 0..50 {
        let mut stream = connect(&server);
        let _ = match i % 3 {
            0 => stream.write_all(b"GET /bytes/1 HTTP/1.1\r\nHost: x\r\nX-Slow: "),
            1 => stream.write_all(b"\x00\x01\x02 not http\r\n\r\n"),
            _ => Ok(()),
        };
        hostile.push(stream);
    }
    let session = Session::builder()
        .read_timeout(Duration::from_secs(5))
        .build();
    for _ in 0..20 {
        let response = session.get(&server.url("/bytes/1024")).unwrap();
        assert_pattern(&response.body, 1024);
    }
    assert_eq!(session.connections_opened(), 1);
    drop(hostile);
}

#[test]
fn shutdown_lets_in_flight_responses_finish() {
    let server = slow_site();
    let url = server.url("/bytes/2000?delay_ms=300");
    let client = thread::spawn(move || Session::new().get(&url));
    // Wait (bounded) until the server has the request in hand.
    let started = Instant::now();
    while ServerStats::get(&server.stats().requests) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the request never arrived"
        );
        thread::yield_now();
    }
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
fn binds_loopback_by_default() {
    assert!(handspun::http::server::DEFAULT_ADDR.starts_with("127.0.0.1:"));
}

// --- RFC 9112 at the edges ---------------------------------------------------

/// Sends `request` on a fresh connection and reads one response; says
/// whether the server then closed the connection (waiting for the close up
/// to the stream's read timeout: a timeout counts as "still open").
fn exchange(server: &BackgroundServer, request: &[u8]) -> (ResponseHead, Vec<u8>, bool) {
    let mut stream = connect(server);
    stream.write_all(request).unwrap();
    let mut decoder = ResponseDecoder::new(Limits::default());
    let mut buf = [0u8; 4096];
    let (mut head, mut body) = (None, Vec::new());
    loop {
        match decoder.next_event() {
            Ok(Some(Event::Head(h))) => head = Some(h),
            Ok(Some(Event::Data(data))) => body.extend_from_slice(&data),
            Ok(Some(Event::End)) => break,
            Ok(None) => match stream.read(&mut buf) {
                Ok(0) => decoder.feed_eof(),
                Ok(n) => decoder.feed(&buf[..n]),
                Err(e) => panic!("no response to {:?}: {e}", String::from_utf8_lossy(request)),
            },
            Err(e) => panic!(
                "bad response to {:?}: {e}",
                String::from_utf8_lossy(request)
            ),
        }
    }
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let closed = loop {
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => continue, // draining what follows, if anything
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    (head.expect("a head before the end"), body, closed)
}

#[test]
fn both_content_length_and_transfer_encoding_get_400_and_a_close() {
    // Request smuggling: a proxy and this server could disagree on where
    // the body ends, so the request is refused and the connection closed.
    let server = strict_server(100, PATIENT);
    let (head, _, closed) = exchange(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\
          Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /bytes/1 HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert_eq!(head.status, 400);
    assert!(closed, "the connection must close (RFC 9112 §6.1)");
}

#[test]
fn transfer_encoding_in_http_1_0_gets_400_and_a_close() {
    let server = strict_server(100, PATIENT);
    let (head, _, closed) = exchange(
        &server,
        b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
    );
    assert_eq!(head.status, 400);
    assert!(closed);
}

#[test]
fn expect_100_continue_gets_the_go_ahead_before_the_body_is_sent() {
    let server = strict_server(100, PATIENT);
    let mut stream = connect(&server);
    stream
        .write_all(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        )
        .unwrap();
    // The client sends nothing more until the interim response arrives
    // (the stream's read timeout bounds the wait).
    let expected = b"HTTP/1.1 100 Continue\r\n\r\n";
    let mut interim = vec![0u8; expected.len()];
    stream.read_exact(&mut interim).unwrap();
    assert_eq!(interim, expected);
    stream.write_all(b"hello").unwrap();
    let (responses, _) = read_responses(&mut stream, 1);
    assert_eq!(responses[0].0.status, 200);
    assert_eq!(responses[0].1, b"hello");
}

#[test]
fn bytes_that_cannot_be_http_get_400_without_waiting_for_the_head_timeout() {
    // The request timeout is 10 s and the client's read timeout 5 s: only a
    // prompt answer arrives in time.
    let server = strict_server(100, PATIENT);
    for garbage in [
        // The start of a TLS ClientHello, on the plain-text port.
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"[..],
        // HTTP/0.9: a request line without a version.
        b"GET /\r\n",
    ] {
        let (head, _, closed) = exchange(&server, garbage);
        assert_eq!(head.status, 400, "{}", String::from_utf8_lossy(garbage));
        assert!(closed);
    }
}

#[test]
fn a_missing_or_repeated_host_gets_400() {
    let server = strict_server(100, PATIENT);
    for request in [
        &b"GET /bytes/4 HTTP/1.1\r\n\r\n"[..],
        b"GET /bytes/4 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET /bytes/4 HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
    ] {
        let (head, _, _) = exchange(&server, request);
        assert_eq!(head.status, 400, "{}", String::from_utf8_lossy(request));
    }
    // HTTP/1.0 may leave Host out.
    let (head, body, _) = exchange(&server, b"GET /bytes/4 HTTP/1.0\r\n\r\n");
    assert_eq!((head.status, body.as_slice()), (200, &b"abcd"[..]));
}

#[test]
fn an_http_1_0_keep_alive_request_is_told_the_connection_stays_open() {
    let server = strict_server(100, PATIENT);
    let mut stream = connect(&server);
    let request = b"GET /bytes/4 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    stream.write_all(request).unwrap();
    let (first, _) = read_responses(&mut stream, 1);
    assert_eq!(first[0].0.header("connection"), Some("keep-alive"));
    // And it does: a second request on the same connection is answered.
    stream.write_all(request).unwrap();
    let (second, _) = read_responses(&mut stream, 1);
    assert_eq!(second[0].1, b"abcd");
}

#[test]
fn an_absolute_form_target_is_served_like_its_path() {
    let server = strict_server(100, PATIENT);
    let (head, body, _) = exchange(
        &server,
        b"GET http://x/bytes/4?delay_ms=0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!((head.status, body.as_slice()), (200, &b"abcd"[..]));
}
