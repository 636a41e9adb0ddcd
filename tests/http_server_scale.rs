//! As many connections as the machine allows, on one thread: the slow-site
//! server holds 19 000 connections from clients in other processes, answers
//! every one, and still serves a newcomer.
//!
//! A file of its own, with one test, because the server's connections count
//! against this process's descriptor limit. The clients run in child
//! processes — this same test binary, started again with [`CLIENT`] set — so
//! their descriptors count against their own limits, and they connect from
//! several loopback addresses (127.0.0.2, .3, ...) so that no source address
//! runs out of ephemeral ports.

#![allow(unsafe_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::fd::FromRawFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use handspun::http::blocking::Session;
use handspun::http::server::{
    connection_capacity, raise_fd_limit, spawn_background_with, ServerConfig, ServerStats,
};

/// Set in a child process: `ADDR COUNT FIRST_SOURCE` (connect COUNT times to
/// ADDR, from 127.0.0.FIRST_SOURCE on).
const CLIENT: &str = "HANDSPUN_SCALE_CLIENT";
/// What a child prints once all its connections were answered (libtest may
/// print the test's name on the same line first).
const READY: &str = "handspun-scale-client-ready";
/// Connections per child process, and per source address.
const PER_CHILD: usize = 4_750;
const PER_SOURCE: usize = 2_500;
/// The goal; fewer only if this machine's descriptor limit allows fewer.
const GOAL: usize = 19_000;
const THIS_TEST: &str = "holds_every_connection_the_limit_allows_and_still_serves_a_newcomer";

#[test]
fn holds_every_connection_the_limit_allows_and_still_serves_a_newcomer() {
    if let Ok(spec) = std::env::var(CLIENT) {
        return hold_connections(&spec);
    }
    let limit = raise_fd_limit().unwrap();
    // Leave room for the test harness and the newcomer.
    let target = GOAL.min(connection_capacity(limit).saturating_sub(100));
    assert!(
        target >= 1_000,
        "a descriptor limit of {limit} is too low for this test"
    );
    let server = spawn_background_with(
        "127.0.0.1:0".parse().unwrap(),
        ServerConfig {
            max_connections: target + 50,
            request_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(120),
            ..ServerConfig::default()
        },
    )
    .unwrap();

    let mut children = Vec::new();
    let mut started = 0;
    while started < target {
        let count = PER_CHILD.min(target - started);
        let first_source = 2 + started / PER_SOURCE;
        let child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", THIS_TEST, "--nocapture", "--test-threads=1"])
            .env(CLIENT, format!("{} {count} {first_source}", server.addr()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        children.push(child);
        started += count;
    }
    // Each child prints READY once every one of its connections was
    // answered; it keeps them open until its stdin closes.
    let mut outputs = Vec::new();
    for child in &mut children {
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains(READY) {
            line.clear();
            let read = stdout.read_line(&mut line).unwrap();
            assert!(read > 0, "a client process ended before it was ready");
        }
        outputs.push(stdout);
    }
    let stats = server.stats();
    assert!(
        ServerStats::get(&stats.active) >= target as u64,
        "{} active, {target} expected",
        ServerStats::get(&stats.active)
    );
    assert!(ServerStats::get(&stats.requests) >= target as u64);
    assert_eq!(ServerStats::get(&stats.rejected), 0);

    // With all of them held, a newcomer is still served.
    let response = Session::builder()
        .read_timeout(Duration::from_secs(10))
        .build()
        .get(&server.url("/bytes/5"))
        .unwrap();
    assert_eq!(response.body, b"abcde");

    for (mut child, mut stdout) in children.into_iter().zip(outputs) {
        drop(child.stdin.take()); // lets it go
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        assert!(child.wait().unwrap().success(), "{rest}");
    }
}

/// The child's side: open the connections, have each answered, report
/// READY, hold them until stdin closes.
fn hold_connections(spec: &str) {
    let mut parts = spec.split(' ');
    let server: SocketAddr = parts.next().unwrap().parse().unwrap();
    let count: usize = parts.next().unwrap().parse().unwrap();
    let first_source: usize = parts.next().unwrap().parse().unwrap();
    raise_fd_limit().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut held = Vec::with_capacity(count);
    for i in 0..count {
        assert!(Instant::now() < deadline, "connecting took too long");
        let source = Ipv4Addr::new(127, 0, 0, (first_source + i / PER_SOURCE) as u8);
        let mut stream = connect_from(source, server);
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stream
            .write_all(b"GET /bytes/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        held.push(stream);
    }
    // Every connection gets its answer (a short response: one read).
    for stream in &mut held {
        let mut buf = [0u8; 512];
        let n = stream.read(&mut buf).unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK"), "{:?}", &buf[..n]);
        assert!(buf[..n].ends_with(b"\r\n\r\na"));
    }
    println!("{READY}");
    std::io::stdout().flush().unwrap();
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    drop(held);
}

/// A TCP connection to `server` whose local address is `source` (any port),
/// made with the plain system calls, since std cannot bind before connecting.
fn connect_from(source: Ipv4Addr, server: SocketAddr) -> TcpStream {
    let SocketAddr::V4(server) = server else {
        panic!("the server listens on IPv4")
    };
    let sockaddr = |ip: Ipv4Addr, port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(ip).to_be(),
        },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: plain socket(2) with constant arguments; the result is checked.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
    // SAFETY: `fd` is a socket this function just opened and owns; the
    // TcpStream takes ownership and closes it on drop.
    let stream = unsafe { TcpStream::from_raw_fd(fd) };
    let local = sockaddr(source, 0);
    let remote = sockaddr(*server.ip(), server.port());
    // SAFETY: `local` is a valid sockaddr_in of length `len`, alive across the call.
    let bound = unsafe { libc::bind(fd, (&local as *const libc::sockaddr_in).cast(), len) };
    assert_eq!(
        bound,
        0,
        "bind {source}: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: as above, for `remote`; a blocking connect on a loopback address.
    let connected = unsafe { libc::connect(fd, (&remote as *const libc::sockaddr_in).cast(), len) };
    assert_eq!(connected, 0, "connect: {}", std::io::Error::last_os_error());
    stream
}
