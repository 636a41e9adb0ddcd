//! https:// end to end: both clients against the TLS server, and every kind
//! of bad TLS a client or the server can meet, each a typed error within a
//! timeout. Certificates are made here with rcgen; hostile peers are
//! std::net threads (`util_http::TestServer`).

#![cfg(feature = "tls")]

mod util_http;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use handspun::event_loop::EventLoop;
use handspun::http::server::{spawn_background_with, BackgroundServer, ServerConfig};
use handspun::http::tls::{TlsClientConfig, TlsServerConfig};
use handspun::http::{blocking, Error, Response, Session, TimeoutKind, TlsError};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use util_http::{send, slow_site, TestServer};

/// Every client wait in these tests: short, so a hang fails fast.
const CLIENT_WAIT: Duration = Duration::from_secs(3);

/// A certificate authority made for one test.
struct Ca {
    /// Signs leaf certificates.
    issuer: Issuer<'static, KeyPair>,
    /// Its certificate, PEM: what a client trusts.
    pem: String,
}

impl Ca {
    fn new() -> Ca {
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        // A name of its own: two CAs with one name would look like one
        // CA whose signature is wrong.
        let name = format!("handspun test CA {}", MADE.fetch_add(1, Ordering::Relaxed));
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        Ca {
            issuer: Issuer::new(params, key),
            pem,
        }
    }

    /// A leaf certificate for `names`, as (certificate PEM, key PEM).
    fn leaf(&self, names: &[&str], expired: bool) -> (String, String) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        if expired {
            params.not_before = rcgen::date_time_ymd(2001, 1, 1);
            params.not_after = rcgen::date_time_ymd(2002, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    /// A server configuration with a leaf for `names` signed by this CA.
    fn server(&self, names: &[&str], expired: bool) -> TlsServerConfig {
        let (cert, key) = self.leaf(names, expired);
        TlsServerConfig::from_pem(cert.as_bytes(), key.as_bytes()).unwrap()
    }

    /// A client configuration trusting only this CA.
    fn client(&self) -> TlsClientConfig {
        TlsClientConfig::from_ca_pem(self.pem.as_bytes()).unwrap()
    }
}

/// The slow site over TLS on a free port.
fn tls_site(tls: TlsServerConfig, request_timeout: Duration) -> BackgroundServer {
    let config = ServerConfig {
        tls: Some(tls),
        request_timeout,
        ..ServerConfig::default()
    };
    spawn_background_with("127.0.0.1:0".parse().unwrap(), config).expect("start the TLS site")
}

/// `https://ADDR/path` for a server.
fn https(server: &BackgroundServer, path: &str) -> String {
    format!("https://{}{}", server.addr(), path)
}

/// Client settings every test shares: short waits.
fn builder<S>(tls: TlsClientConfig) -> handspun::http::ClientBuilder<S> {
    handspun::http::ClientBuilder::<S>::default()
        .tls(tls)
        .connect_timeout(CLIENT_WAIT)
        .read_timeout(CLIENT_WAIT)
        .total_timeout(Some(CLIENT_WAIT * 2))
}

/// Fetches `url` with the blocking client and then the async one, with the
/// same settings; both results.
fn both(tls: TlsClientConfig, url: &str) -> [Result<Response, Error>; 2] {
    let sync = builder::<blocking::Session>(tls.clone()).build().get(url);
    let mut event_loop = EventLoop::new().unwrap();
    let session = builder::<Session>(tls).build();
    let evented = event_loop.block_on(async { session.get(url).await });
    [sync, evented]
}

/// Asserts both clients failed with a TLS error matching `expected`.
fn assert_tls_error(results: [Result<Response, Error>; 2], expected: fn(&TlsError) -> bool) {
    for (client, result) in ["blocking", "async"].iter().zip(results) {
        match result {
            Err(Error::Tls { error, .. }) if expected(&error) => {}
            other => panic!("{client} client: unexpected {other:?}"),
        }
    }
}

#[test]
fn both_clients_fetch_over_tls_and_keep_the_connection_alive() {
    let ca = Ca::new();
    let server = tls_site(ca.server(&["127.0.0.1"], false), Duration::from_secs(10));
    let url = https(&server, "/bytes/5000");

    let session = builder::<blocking::Session>(ca.client()).build();
    for _ in 0..3 {
        let response = session.get(&url).unwrap();
        util_http::assert_pattern(&response.body, 5000);
    }
    assert_eq!(session.connections_opened(), 1, "keep-alive over TLS");

    let mut event_loop = EventLoop::new().unwrap();
    let session = builder::<Session>(ca.client()).build();
    let lengths = event_loop.block_on(async {
        let mut lengths = Vec::new();
        for _ in 0..3 {
            lengths.push(session.get(&url).await.unwrap().body.len());
        }
        lengths
    });
    assert_eq!(lengths, [5000; 3]);
    assert_eq!(session.connections_opened(), 1, "keep-alive over TLS");
}

#[test]
fn a_second_connection_resumes_the_tls_session() {
    let ca = Ca::new();
    let server = tls_site(ca.server(&["127.0.0.1"], false), Duration::from_secs(10));
    let url = https(&server, "/bytes/10");

    // No idle connection is kept, so every request opens a new one.
    let session = builder::<blocking::Session>(ca.client())
        .max_idle_per_host(0)
        .build();
    for _ in 0..3 {
        session.get(&url).unwrap();
    }
    assert_eq!(session.connections_opened(), 3);
    assert_eq!(session.tls_resumptions(), 2, "the first handshake is full");

    let mut event_loop = EventLoop::new().unwrap();
    let session = builder::<Session>(ca.client()).max_idle_per_host(0).build();
    event_loop.block_on(async {
        for _ in 0..3 {
            session.get(&url).await.unwrap();
        }
    });
    assert_eq!(session.connections_opened(), 3);
    assert_eq!(session.tls_resumptions(), 2, "the first handshake is full");
}

#[test]
fn a_private_ca_is_trusted_from_a_pem_file() {
    let ca = Ca::new();
    let server = tls_site(ca.server(&["localhost"], false), Duration::from_secs(10));
    let path = std::env::temp_dir().join(format!("handspun-ca-{}.pem", std::process::id()));
    std::fs::write(&path, &ca.pem).unwrap();
    let tls = TlsClientConfig::from_ca_file(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let url = format!("https://localhost:{}/bytes/3", server.addr().port());
    for result in both(tls, &url) {
        assert_eq!(result.unwrap().body, b"abc");
    }
}

#[test]
fn an_unknown_ca_is_refused() {
    let (ca, other) = (Ca::new(), Ca::new());
    let server = tls_site(ca.server(&["127.0.0.1"], false), Duration::from_secs(10));
    let results = both(other.client(), &https(&server, "/"));
    assert_tls_error(results, |e| *e == TlsError::UnknownIssuer);
}

#[test]
fn an_expired_certificate_is_refused() {
    let ca = Ca::new();
    let server = tls_site(ca.server(&["127.0.0.1"], true), Duration::from_secs(10));
    let results = both(ca.client(), &https(&server, "/"));
    assert_tls_error(results, |e| *e == TlsError::Expired);
}

#[test]
fn a_certificate_for_another_host_is_refused() {
    let ca = Ca::new();
    let server = tls_site(ca.server(&["other.test"], false), Duration::from_secs(10));
    let results = both(ca.client(), &https(&server, "/"));
    assert_tls_error(results, |e| *e == TlsError::WrongHost);
}

#[test]
fn a_self_signed_certificate_needs_its_ca_file() {
    let made = TlsServerConfig::self_signed(&["127.0.0.1".into()]).unwrap();
    let server = tls_site(made.config, Duration::from_secs(10));
    let url = https(&server, "/bytes/2");
    // Mozilla's roots do not know it...
    let results = both(TlsClientConfig::webpki_roots(), &url);
    assert_tls_error(results, |e| *e == TlsError::UnknownIssuer);
    // ...its own PEM, given as the CA, does.
    let tls = TlsClientConfig::from_ca_pem(made.cert_pem.as_bytes()).unwrap();
    for result in both(tls, &url) {
        assert_eq!(result.unwrap().body, b"ab");
    }
}

#[test]
fn a_plaintext_server_behind_https_is_not_tls() {
    let server = slow_site();
    let url = format!("https://{}/", server.addr());
    let results = both(TlsClientConfig::webpki_roots(), &url);
    assert_tls_error(results, |e| *e == TlsError::NotTls);
}

#[test]
fn a_tls_server_behind_http_is_named_and_answers_at_once() {
    let ca = Ca::new();
    // A long request timeout: the answer must not wait for it.
    let server = tls_site(ca.server(&["127.0.0.1"], false), Duration::from_secs(60));
    let began = Instant::now();
    for result in both(ca.client(), &server.url("/")) {
        assert!(
            matches!(result, Err(Error::UnexpectedTls)),
            "unexpected {result:?}"
        );
    }
    assert!(began.elapsed() < Duration::from_secs(30), "not prompt");
}

#[test]
fn a_stalled_handshake_times_out() {
    // Accepts, reads the ClientHello, and never answers.
    let server = TestServer::start(|mut stream, _| {
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    });
    let url = format!("https://{}/", server.addr());
    let tls = TlsClientConfig::webpki_roots();
    let sync = blocking::Session::builder()
        .tls(tls.clone())
        .connect_timeout(Duration::from_millis(300))
        .build()
        .get(&url);
    let mut event_loop = EventLoop::new().unwrap();
    let session = Session::builder()
        .tls(tls)
        .connect_timeout(Duration::from_millis(300))
        .build();
    let evented = event_loop.block_on(async { session.get(&url).await });
    for result in [sync, evented] {
        assert!(
            matches!(result, Err(Error::Timeout(TimeoutKind::Connect))),
            "unexpected {result:?}"
        );
    }
}

/// A rustls server configuration for the hand-written TLS peers below.
fn rustls_server(ca: &Ca) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let (cert, key) = ca.leaf(&["127.0.0.1", "localhost"], false);
    let cert = CertificateDer::from_pem_slice(cert.as_bytes()).unwrap();
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let mut config = config;
    config.alpn_protocols = vec![b"http/1.1".to_vec(), b"h2".to_vec()];
    Arc::new(config)
}

/// A TLS peer that answers one request with a body framed by the end of
/// the stream, then closes — with `close_notify` or without. The body
/// says which ALPN protocol was agreed and which name the client sent (SNI).
fn until_close_server(ca: &Ca, clean: bool) -> TestServer {
    let config = rustls_server(ca);
    TestServer::start(move |tcp, _| {
        let conn = rustls::ServerConnection::new(config.clone()).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match tls.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => return,
            }
        }
        let alpn = String::from_utf8_lossy(tls.conn.alpn_protocol().unwrap_or(b"none"));
        let sni = tls.conn.server_name().unwrap_or("none");
        let body = format!("alpn={alpn} sni={sni}");
        let head = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
        let _ = tls.write_all(&[&head[..], body.as_bytes()].concat());
        let _ = tls.flush();
        if clean {
            tls.conn.send_close_notify();
            let _ = tls.conn.complete_io(&mut tls.sock);
        }
        // Dropped: the TCP connection closes.
    })
}

#[test]
fn a_stream_cut_without_close_notify_is_truncation() {
    let ca = Ca::new();
    let cut = until_close_server(&ca, false);
    let results = both(ca.client(), &format!("https://{}/", cut.addr()));
    assert_tls_error(results, |e| *e == TlsError::Truncated);

    // The same response ended properly is a page; and both clients asked
    // for http/1.1 by ALPN (though h2 was on offer) and sent the host name.
    let clean = until_close_server(&ca, true);
    let url = format!("https://localhost:{}/", clean.addr().port());
    for result in both(ca.client(), &url) {
        assert_eq!(result.unwrap().body, b"alpn=http/1.1 sni=localhost");
    }
}

#[test]
fn garbage_records_are_a_protocol_error() {
    let server = TestServer::start(|mut stream, _| {
        let mut hello = [0u8; 512];
        let _ = stream.read(&mut hello);
        // A handshake record header, then bytes that are no handshake message.
        send(
            &mut stream,
            &[22, 3, 3, 0, 8, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4],
        );
        let mut sink = [0u8; 512];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    });
    let results = both(
        TlsClientConfig::webpki_roots(),
        &format!("https://{}/", server.addr()),
    );
    assert_tls_error(results, |e| matches!(e, TlsError::Protocol(_)));
}

/// Reads from `stream` until the server closes it (or 5 s pass); the bytes.
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return received,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return received,
            Err(e) => panic!("the server did not close the connection: {e}"),
        }
    }
}

#[test]
fn the_tls_server_closes_plain_http_at_once_with_an_alert() {
    let ca = Ca::new();
    let server = tls_site(ca.server(&["127.0.0.1"], false), Duration::from_secs(60));
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let answer = read_until_closed(&mut stream);
    assert_eq!(answer.first(), Some(&21), "a TLS alert record: {answer:?}");
}

#[test]
fn the_tls_server_closes_a_stalled_handshake_after_the_request_timeout() {
    let ca = Ca::new();
    let server = tls_site(ca.server(&["127.0.0.1"], false), Duration::from_millis(200));
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    // Nothing sent: the handshake never starts.
    assert!(read_until_closed(&mut stream).is_empty());
    // A ClientHello cut short stalls the same way.
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream.write_all(&[22, 3, 1, 0, 200, 1]).unwrap();
    let answer = read_until_closed(&mut stream);
    assert!(answer.is_empty() || answer[0] == 21, "{answer:?}");
}

#[test]
fn bad_pem_input_is_a_setup_error() {
    assert!(matches!(
        TlsClientConfig::from_ca_pem(
            b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"
        ),
        Err(Error::TlsSetup { .. })
    ));
    assert!(matches!(
        TlsServerConfig::from_pem(b"", b""),
        Err(Error::TlsSetup { .. })
    ));
    let ca = Ca::new();
    let (cert, _) = ca.leaf(&["a.test"], false);
    let (_, other_key) = ca.leaf(&["b.test"], false);
    assert!(matches!(
        TlsServerConfig::from_pem(cert.as_bytes(), other_key.as_bytes()),
        Err(Error::TlsSetup { .. })
    ));
}

#[test]
fn a_pooled_tls_connection_the_server_closed_is_replaced() {
    use handspun::http::server::ServerStats;

    let ca = Ca::new();
    let config = ServerConfig {
        tls: Some(ca.server(&["127.0.0.1"], false)),
        idle_timeout: Duration::from_millis(50),
        ..ServerConfig::default()
    };
    let server = spawn_background_with("127.0.0.1:0".parse().unwrap(), config).unwrap();
    let url = https(&server, "/bytes/8");
    // Waits (bounded) until the server has closed every connection.
    let until_all_closed = || {
        let until = Instant::now() + Duration::from_secs(5);
        while ServerStats::get(&server.stats().active) > 0 {
            assert!(
                Instant::now() < until,
                "the idle timeout did not close the connection"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    };

    let session = builder::<blocking::Session>(ca.client()).build();
    session.get(&url).unwrap();
    until_all_closed();
    assert_eq!(session.get(&url).unwrap().body, b"abcdefgh");
    assert_eq!(session.connections_opened(), 2);
    assert_eq!(session.tls_resumptions(), 1);

    let mut event_loop = EventLoop::new().unwrap();
    let session = builder::<Session>(ca.client()).build();
    event_loop.block_on(async { session.get(&url).await.unwrap() });
    until_all_closed();
    // The async pool does not check idle connections: the request goes out
    // on the closed one, meets the server's close_notify, and is retried.
    let body = event_loop.block_on(async { session.get(&url).await.unwrap().body });
    assert_eq!(body, b"abcdefgh");
    assert_eq!(session.connections_opened(), 2);
}
