//! The blocking client against scripted servers: keep-alive, retries,
//! redirects, and a deliberately broken server whose every kind of bad
//! response must give its own typed error, within its timeout, with bounded memory.

mod util_http;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use handspun::http::blocking::Session;
use handspun::http::{Error, Limits, ParseError, TimeoutKind};
use util_http::{drain_until_closed, ok_response, read_request, send, FullAcceptQueue, TestServer};

/// A 1 MiB body limit, and clocks generous enough that a busy machine
/// never turns a broken response into a timeout.
fn session() -> Session {
    Session::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(10))
        .total_timeout(Some(Duration::from_secs(20)))
        .limits(Limits {
            max_body_bytes: 1024 * 1024,
            ..Limits::default()
        })
        .build()
}

/// Short clocks, for the cases that are meant to time out.
fn impatient_session() -> Session {
    Session::builder()
        .read_timeout(Duration::from_millis(500))
        .total_timeout(Some(Duration::from_secs(2)))
        .build()
}

/// A server that reads one request and answers every connection with `reply`.
fn one_reply(reply: &'static [u8]) -> TestServer {
    TestServer::start(move |mut stream, _| {
        if read_request(&mut stream).is_some() {
            send(&mut stream, reply);
            drain_until_closed(&mut stream);
        }
    })
}

fn get_error(server: &TestServer, path: &str) -> Error {
    get_error_with(&session(), server, path)
}

fn get_error_with(session: &Session, server: &TestServer, path: &str) -> Error {
    match session.get(&server.url(path)) {
        Err(e) => e,
        Ok(response) => panic!("expected an error, got status {}", response.status),
    }
}

// ------------------------------------------------------------ well-behaved

/// Answers every request on a connection, keep-alive, until the client closes.
fn keep_alive_server() -> TestServer {
    TestServer::start(|mut stream, _| {
        while let Some(target) = read_request(&mut stream) {
            send(&mut stream, &ok_response(target.as_bytes()));
        }
    })
}

#[test]
fn keep_alive_reuses_one_connection() {
    let server = keep_alive_server();
    let session = Session::new();
    for i in 0..5 {
        let response = session.get(&server.url(&format!("/page/{i}"))).unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(response.body, format!("/page/{i}").as_bytes());
    }
    assert_eq!(session.connections_opened(), 1);
    assert_eq!(server.accepted(), 1);
}

#[test]
fn connection_close_is_honoured() {
    let server = TestServer::start(|mut stream, _| {
        if read_request(&mut stream).is_some() {
            send(
                &mut stream,
                b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
            );
        }
    });
    let session = Session::new();
    for _ in 0..3 {
        assert_eq!(session.get(&server.url("/")).unwrap().body, b"ok");
    }
    assert_eq!(session.connections_opened(), 3);
}

#[test]
fn chunked_and_close_delimited_bodies_are_read_whole() {
    let chunked = one_reply(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n");
    assert_eq!(
        Session::new().get(&chunked.url("/")).unwrap().body,
        b"hello, world"
    );

    let until_close = TestServer::start(|mut stream, _| {
        if read_request(&mut stream).is_some() {
            send(&mut stream, b"HTTP/1.0 200 OK\r\n\r\nall of it");
        }
    });
    assert_eq!(
        Session::new().get(&until_close.url("/")).unwrap().body,
        b"all of it"
    );
}

#[test]
fn a_get_is_retried_once_when_a_pooled_connection_was_closed() {
    // The first connection answers one request, then takes the next request
    // and closes without a word (an idle timeout racing the request).
    let server = TestServer::start(|mut stream, index| {
        if read_request(&mut stream).is_some() {
            send(&mut stream, &ok_response(b"first"));
        }
        if index == 0 {
            read_request(&mut stream);
            return;
        }
        while read_request(&mut stream).is_some() {
            send(&mut stream, &ok_response(b"again"));
        }
    });
    let session = Session::new();
    assert_eq!(session.get(&server.url("/")).unwrap().body, b"first");
    assert_eq!(session.get(&server.url("/")).unwrap().body, b"first");
    assert_eq!(session.connections_opened(), 2);
}

#[test]
fn redirects_are_followed_relative_and_absolute() {
    let server = TestServer::start(|mut stream, _| {
        while let Some(target) = read_request(&mut stream) {
            let reply = match target.as_str() {
                "/start" => {
                    b"HTTP/1.1 302 Found\r\nLocation: /dir/next\r\nContent-Length: 0\r\n\r\n"
                        .to_vec()
                }
                "/dir/next" => {
                    b"HTTP/1.1 301 Moved\r\nLocation: last\r\nContent-Length: 0\r\n\r\n".to_vec()
                }
                "/dir/last" => ok_response(b"arrived"),
                _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
            };
            send(&mut stream, &reply);
        }
    });
    let session = Session::new();
    let response = session.get(&server.url("/start")).unwrap();
    assert_eq!(
        (response.status, response.body.as_slice()),
        (200, &b"arrived"[..])
    );
    assert_eq!(
        session.connections_opened(),
        1,
        "redirects reuse the connection"
    );
}

/// `/hop/n` redirects to `/hop/n+1` forever.
fn endless_redirects() -> TestServer {
    TestServer::start(|mut stream, _| {
        while let Some(target) = read_request(&mut stream) {
            let n: usize = target.trim_start_matches("/hop/").parse().unwrap_or(0);
            let reply = format!(
                "HTTP/1.1 302 Found\r\nLocation: /hop/{}\r\nContent-Length: 0\r\n\r\n",
                n + 1
            );
            send(&mut stream, reply.as_bytes());
        }
    })
}

#[test]
fn ten_redirects_are_allowed_and_the_eleventh_is_refused() {
    let server = endless_redirects();
    let ten = Session::builder().max_redirects(10).build();
    assert!(matches!(
        ten.get(&server.url("/hop/0")),
        Err(Error::TooManyRedirects { limit: 10 })
    ));
    let eleven = Session::builder().max_redirects(11).build();
    assert!(matches!(
        eleven.get(&server.url("/hop/0")),
        Err(Error::TooManyRedirects { limit: 11 })
    ));
}

#[test]
#[cfg(not(feature = "tls"))]
fn https_is_an_unsupported_scheme_not_a_hang() {
    let error = Session::new().get("https://127.0.0.1:1/").unwrap_err();
    assert!(matches!(error, Error::UnsupportedScheme { ref scheme } if scheme == "https"));
    assert!(error.to_string().contains("only http://"));
}

#[test]
#[cfg(feature = "tls")]
fn https_to_a_closed_port_is_a_connect_error_not_a_hang() {
    let error = Session::new().get("https://127.0.0.1:1/").unwrap_err();
    assert!(matches!(error, Error::Connect { .. }), "{error:?}");
}

#[test]
fn a_refused_connection_is_a_connect_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = session()
        .get(&format!("http://127.0.0.1:{port}/"))
        .unwrap_err();
    assert!(matches!(error, Error::Connect { .. }), "{error:?}");
}

#[test]
fn a_name_that_does_not_resolve_is_a_resolve_error() {
    // `.invalid` never resolves (RFC 6761): no server is contacted.
    let error = session().get("http://nope.invalid:8080/").unwrap_err();
    match &error {
        Error::Resolve { host, .. } => assert_eq!(host, "nope.invalid"),
        other => panic!("expected a resolve error, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .starts_with("could not resolve the host name `nope.invalid`: "),
        "{error}"
    );
}

#[test]
fn invalid_urls_are_rejected() {
    for url in [
        "127.0.0.1/x",
        "http://",
        "http://host:99999/",
        "http://u@host/",
        "http://a b/",
    ] {
        assert!(
            matches!(Session::new().get(url), Err(Error::InvalidUrl { .. })),
            "{url}"
        );
    }
}

// -------------------------------------------------- the broken server's menu

/// What a broken server does after its reply.
#[derive(Debug, Clone, Copy)]
enum Then {
    /// Keeps the connection open until the client hangs up: the client
    /// must see the problem in the bytes alone.
    Waits,
    /// Closes the connection: the client must see the message cut off.
    Closes,
}

/// One broken reply and the typed error it must give.
struct BrokenReply {
    /// What the case shows (printed when it fails).
    name: &'static str,
    /// The whole reply the server sends to the first request.
    reply: &'static [u8],
    /// What the server does after sending it.
    then: Then,
    /// Whether the client's error is the right one.
    expected: fn(&Error) -> bool,
}

/// Each entry gets its own server and a fresh session.
const BROKEN_REPLIES: &[BrokenReply] = &[
    BrokenReply {
        name: "bad status line",
        reply: b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
        then: Then::Waits,
        expected: |e| matches!(e, Error::Parse(ParseError::Status)),
    },
    BrokenReply {
        name: "not HTTP at all",
        reply: b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
        then: Then::Waits,
        expected: |e| matches!(e, Error::Parse(ParseError::Version)),
    },
    BrokenReply {
        name: "header without colon",
        reply: b"HTTP/1.1 200 OK\r\nContent-Length 0\r\n\r\n",
        then: Then::Waits,
        expected: |e| matches!(e, Error::Parse(ParseError::HeaderName)),
    },
    BrokenReply {
        name: "declared body over the limit",
        reply: b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\naaaa",
        then: Then::Waits,
        expected: |e| matches!(e, Error::BodyTooLarge { limit: 1048576 }),
    },
    BrokenReply {
        name: "body shorter than Content-Length, then close",
        reply: b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
        then: Then::Closes,
        expected: |e| matches!(e, Error::UnexpectedEof { during: "body" }),
    },
    BrokenReply {
        name: "body longer than Content-Length",
        reply: b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello and more",
        then: Then::Waits,
        expected: |e| matches!(e, Error::ExcessData),
    },
    BrokenReply {
        name: "two conflicting Content-Lengths",
        reply: b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
        then: Then::Waits,
        expected: |e| {
            matches!(
                e,
                Error::ConflictingContentLength {
                    first: 5,
                    second: 7
                }
            )
        },
    },
    BrokenReply {
        name: "negative Content-Length",
        reply: b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        then: Then::Waits,
        expected: |e| matches!(e, Error::InvalidContentLength { value } if value == "-1"),
    },
    BrokenReply {
        name: "invalid chunk size",
        reply: b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\nhello\r\n0\r\n\r\n",
        then: Then::Waits,
        expected: |e| matches!(e, Error::InvalidChunkSize { line } if line == "xyz\\r"),
    },
    BrokenReply {
        name: "chunk without its CRLF",
        reply: b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
        then: Then::Waits,
        expected: |e| matches!(e, Error::InvalidChunkedEncoding { .. }),
    },
    BrokenReply {
        name: "unsupported transfer encoding",
        reply: b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        then: Then::Waits,
        expected: |e| matches!(e, Error::UnsupportedTransferEncoding { .. }),
    },
    BrokenReply {
        name: "chunked stream cut off",
        reply:
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10\r\nonly part",
        then: Then::Closes,
        expected: |e| matches!(e, Error::UnexpectedEof { during: "body" }),
    },
    BrokenReply {
        name: "head cut off",
        reply: b"HTTP/1.1 200 OK\r\nContent-Len",
        then: Then::Closes,
        expected: |e| matches!(e, Error::UnexpectedEof { during: "head" }),
    },
    BrokenReply {
        name: "redirect without Location",
        reply: b"HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n",
        then: Then::Waits,
        expected: |e| matches!(e, Error::InvalidRedirect { status: 302 }),
    },
    BrokenReply {
        name: "redirect to https",
        reply:
            b"HTTP/1.1 301 Moved\r\nLocation: https://example.test/\r\nContent-Length: 0\r\n\r\n",
        then: Then::Waits,
        // With TLS the redirect is followed, to a name that does not resolve.
        expected: |e| {
            if cfg!(feature = "tls") {
                matches!(e, Error::Resolve { .. } | Error::Connect { .. })
            } else {
                matches!(e, Error::UnsupportedScheme { .. })
            }
        },
    },
];

#[test]
fn every_broken_reply_gives_its_own_typed_error() {
    for case in BROKEN_REPLIES {
        let server = match case.then {
            Then::Waits => one_reply(case.reply),
            Then::Closes => reply_and_close(case.reply),
        };
        let error = get_error(&server, "/");
        assert!((case.expected)(&error), "{}: got {error:?}", case.name);
    }
}

/// A server that answers every connection's first request with `reply`,
/// then closes it.
fn reply_and_close(reply: &'static [u8]) -> TestServer {
    TestServer::start(move |mut stream, _| {
        if read_request(&mut stream).is_some() {
            send(&mut stream, reply);
        }
    })
}

#[test]
fn too_many_headers() {
    let server = TestServer::start(|mut stream, _| {
        if read_request(&mut stream).is_some() {
            let mut reply = b"HTTP/1.1 200 OK\r\n".to_vec();
            for i in 0..101 {
                reply.extend_from_slice(format!("X-Header-{i}: {i}\r\n").as_bytes());
            }
            reply.extend_from_slice(b"Content-Length: 0\r\n\r\n");
            send(&mut stream, &reply);
            drain_until_closed(&mut stream);
        }
    });
    let error = get_error(&server, "/");
    assert!(
        matches!(error, Error::TooManyHeaders { limit: 100 }),
        "{error:?}"
    );
}

/// A server that streams `prefix` then endless filler, and reports how many
/// bytes it managed to write before the client hung up.
fn endless(prefix: &'static [u8], filler: &'static [u8]) -> (TestServer, mpsc::Receiver<usize>) {
    let (written_tx, written_rx) = mpsc::channel();
    let server = TestServer::start(move |mut stream, _| {
        if read_request(&mut stream).is_none() {
            return;
        }
        let mut written = 0;
        let mut out: &[u8] = prefix;
        // Bounded: stops at 256 MiB even if the client never hangs up.
        while written < 256 << 20 {
            match stream.write(out) {
                Ok(n) if n > 0 => written += n,
                _ => break,
            }
            out = filler;
        }
        let _ = written_tx.send(written);
    });
    (server, written_rx)
}

/// Asserts the client hung up long before the server's 256 MiB: it did not
/// buffer what the server sent (socket buffers hold a few MiB at most).
fn assert_bounded(written: &mpsc::Receiver<usize>) {
    let written = written
        .recv_timeout(Duration::from_secs(10))
        .expect("the server finished");
    assert!(
        written < 32 << 20,
        "the client kept reading: {written} bytes"
    );
}

#[test]
fn endless_replies_are_refused_with_bounded_memory() {
    /// (what the case shows, the reply's start, the filler repeated after
    /// it, whether the client's error is the right one)
    type Endless = (
        &'static str,
        &'static [u8],
        &'static [u8],
        fn(&Error) -> bool,
    );
    let cases: [Endless; 3] = [
        (
            "oversize header",
            b"HTTP/1.1 200 OK\r\nX-Huge: ",
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            |e| matches!(e, Error::HeaderTooLarge { limit: 65536 }),
        ),
        (
            "endless chunked body",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"10\r\n0123456789abcdef\r\n",
            |e| matches!(e, Error::BodyTooLarge { limit: 1048576 }),
        ),
        (
            "endless close-delimited body",
            b"HTTP/1.1 200 OK\r\n\r\n",
            b"0123456789abcdef0123456789abcdef",
            |e| matches!(e, Error::BodyTooLarge { limit: 1048576 }),
        ),
    ];
    for (name, prefix, filler, expected) in cases {
        let (server, written) = endless(prefix, filler);
        let error = get_error(&server, "/");
        assert!(expected(&error), "{name}: got {error:?}");
        assert_bounded(&written);
    }
}

#[test]
fn closed_without_a_byte_on_a_fresh_connection() {
    let server = TestServer::start(|mut stream, _| {
        read_request(&mut stream);
    });
    let error = get_error(&server, "/");
    assert!(matches!(error, Error::ConnectionClosed), "{error:?}");
}

#[test]
fn a_server_that_goes_quiet_is_a_read_timeout() {
    for (name, reply) in [
        ("never answers", &b""[..]),
        (
            "stalls mid-body",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
        ),
    ] {
        let server = one_reply(reply);
        let error = get_error_with(&impatient_session(), &server, "/");
        assert!(
            matches!(error, Error::Timeout(TimeoutKind::Read)),
            "{name}: got {error:?}"
        );
    }
}

#[test]
fn slow_drip_runs_into_the_total_timeout() {
    // One byte every 50 ms: each read succeeds well within the 500 ms read
    // timeout, but 10_000 bytes would take 500 s; the 2 s total stops it.
    let server = TestServer::start(|mut stream, _| {
        if read_request(&mut stream).is_some() {
            send(
                &mut stream,
                b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n",
            );
            for _ in 0..200 {
                if stream.write_all(b"a").is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(50));
            }
        }
    });
    let error = get_error_with(&impatient_session(), &server, "/");
    assert!(
        matches!(error, Error::Timeout(TimeoutKind::Total)),
        "{error:?}"
    );
}

#[test]
fn connection_reset() {
    // Closing a socket with unread input makes the kernel send RST, not FIN.
    let server = TestServer::start(|mut stream, _| {
        let mut first = [0u8; 1];
        let _ = stream.read_exact(&mut first);
        drop(stream);
    });
    let error = get_error(&server, "/");
    assert!(
        matches!(&error, Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "{error:?}"
    );
}

#[test]
fn redirect_loop() {
    let server = TestServer::start(|mut stream, _| {
        while let Some(target) = read_request(&mut stream) {
            let next = if target == "/a" { "/b" } else { "/a" };
            let reply =
                format!("HTTP/1.1 302 Found\r\nLocation: {next}\r\nContent-Length: 0\r\n\r\n");
            send(&mut stream, reply.as_bytes());
        }
    });
    assert!(
        matches!(get_error(&server, "/a"), Error::RedirectLoop { ref url } if url.ends_with("/a"))
    );
}

#[test]
fn errors_explain_themselves() {
    let server =
        one_reply(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello");
    let text = get_error(&server, "/").to_string();
    assert_eq!(text, "conflicting Content-Length headers: 5 and 7");
}

#[test]
fn a_full_accept_queue_is_a_connect_timeout() {
    let unreachable = FullAcceptQueue::new();
    let session = Session::builder()
        .connect_timeout(Duration::from_millis(300))
        .build();
    let error = session
        .get(&format!("http://{}/", unreachable.addr))
        .unwrap_err();
    assert!(
        matches!(error, Error::Timeout(TimeoutKind::Connect)),
        "{error:?} after {} connections",
        unreachable.filled.len()
    );
    assert_eq!(session.connections_opened(), 0);
}
