//! Helpers for the HTTP tests: a tiny std::net server whose every connection
//! runs a scripted handler (well-behaved or deliberately broken), the slow
//! site on a free port, a host that never answers a connect, a check of
//! the slow site's body pattern, and raw clients for the server tests
//! (connect, read pipelined responses, wait for a counter).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use handspun::http::codec::{Event, ResponseDecoder};
use handspun::http::expected_body_byte;
use handspun::http::server::{spawn_background, BackgroundServer};
use handspun::http::{Limits, ResponseHead};

/// How long any handler socket call may block: keeps every test bounded
/// even if a client misbehaves.
pub const HANDLER_SOCKET_TIMEOUT: Duration = Duration::from_secs(5);

/// A scripted server on 127.0.0.1. Each accepted connection runs
/// `handler(stream, index)` on its own thread. Dropping it stops accepting.
pub struct TestServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
    acceptor: Option<JoinHandle<()>>,
}

impl TestServer {
    pub fn start<F>(handler: F) -> TestServer
    where
        F: Fn(TcpStream, usize) + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a test port");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let handler = Arc::new(handler);
        let acceptor = {
            let (stop, accepted) = (stop.clone(), accepted.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    stream
                        .set_read_timeout(Some(HANDLER_SOCKET_TIMEOUT))
                        .unwrap();
                    stream
                        .set_write_timeout(Some(HANDLER_SOCKET_TIMEOUT))
                        .unwrap();
                    let index = accepted.fetch_add(1, Ordering::SeqCst);
                    let handler = handler.clone();
                    thread::spawn(move || handler(stream, index));
                }
            })
        };
        TestServer {
            addr,
            stop,
            accepted,
            acceptor: Some(acceptor),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so it sees `stop`.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Reads one request head (through its empty line); returns its target, or
/// `None` when the client closed or sent nothing for too long. Reads one
/// byte at a time so no byte of a following request is swallowed.
pub fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 * 1024 || stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    text.split_whitespace().nth(1).map(str::to_string)
}

/// Writes all of `bytes`, ignoring errors (the client may have hung up).
pub fn send(stream: &mut TcpStream, bytes: &[u8]) {
    let _ = stream.write_all(bytes);
}

/// A well-formed keep-alive response with `body`.
pub fn ok_response(body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// Waits (bounded) for the client to close: reads until EOF or timeout.
pub fn drain_until_closed(stream: &mut TcpStream) {
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

/// The slow site (handspun's own server) on a free port of 127.0.0.1.
pub fn slow_site() -> BackgroundServer {
    spawn_background("127.0.0.1:0".parse().unwrap()).expect("start the slow site")
}

/// Asserts `body` is the slow site's `len`-byte pattern (without printing
/// megabytes when it is not).
pub fn assert_pattern(body: &[u8], len: usize) {
    assert_eq!(body.len(), len, "body length");
    let first_wrong = body
        .iter()
        .enumerate()
        .position(|(i, &b)| b != expected_body_byte(i));
    assert_eq!(first_wrong, None, "first byte that breaks the pattern");
}

/// A listener that never accepts, its accept queue filled: the kernel then
/// drops new SYNs, so a connect to [`addr`](Self::addr) hangs, which is what
/// an unreachable host looks like. Connects hang while it lives.
pub struct FullAcceptQueue {
    /// Where connects hang.
    pub addr: SocketAddr,
    /// The connections that filled the queue (kept open).
    pub filled: Vec<TcpStream>,
    /// Never accepts; kept open so the queue stays full.
    _listener: TcpListener,
}

impl FullAcceptQueue {
    /// Binds a listener and connects to it until a connect times out
    /// (bounded to 10 000 connections).
    pub fn new() -> FullAcceptQueue {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a test port");
        let addr = listener.local_addr().unwrap();
        let mut filled = Vec::new();
        while filled.len() < 10_000 {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                Ok(stream) => filled.push(stream),
                Err(_) => break,
            }
        }
        FullAcceptQueue {
            addr,
            filled,
            _listener: listener,
        }
    }
}

// ---- Raw clients of a background server (both runtimes' server tests) ----

/// Generous waits: a busy machine must change no outcome.
pub const PATIENT: Duration = Duration::from_secs(10);

/// A plain TCP connection to `server`, every call bounded by 5 s.
pub fn connect(server: &BackgroundServer) -> TcpStream {
    let stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
}

/// Reads `count` responses from `stream` (or fewer if it closes), each as
/// its head and body; `closed` tells whether EOF followed.
pub fn read_responses(
    stream: &mut TcpStream,
    count: usize,
) -> (Vec<(ResponseHead, Vec<u8>)>, bool) {
    let mut decoder = ResponseDecoder::new(Limits::default());
    let mut responses = Vec::new();
    let mut current: Option<(ResponseHead, Vec<u8>)> = None;
    let mut buf = [0u8; 4096];
    loop {
        while let Ok(Some(event)) = decoder.next_event() {
            match event {
                Event::Head(head) => current = Some((head, Vec::new())),
                Event::Data(data) => current.as_mut().unwrap().1.extend_from_slice(&data),
                Event::End => responses.push(current.take().unwrap()),
            }
        }
        if responses.len() == count {
            // Is the connection closed now? Peek without waiting long.
            stream
                .set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            let closed = matches!(stream.read(&mut buf), Ok(0) | Err(_)) && decoder.is_idle();
            return (responses, closed);
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => {
                decoder.feed_eof();
                if let Ok(Some(Event::End)) = decoder.next_event() {
                    responses.push(current.take().unwrap());
                }
                return (responses, true);
            }
            Ok(n) => decoder.feed(&buf[..n]),
        }
    }
}

/// Spins (yielding) until `done` holds; fails after [`PATIENT`].
pub fn wait_until(what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < PATIENT, "never: {what}");
        thread::yield_now();
    }
}

/// Whether the server closed `stream` (waits up to its read timeout).
pub fn is_closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    }
}
