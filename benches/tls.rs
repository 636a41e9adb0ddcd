//! TLS costs: a full handshake against a resumed one, alone and under a real `GET`.
//!
//! Two groups (figures in docs/benchmarks/tls.md):
//!
//! - `tls_handshake`: rustls client and server shaking hands in memory, no
//!   socket — the cryptography alone. `full` runs a client with resumption
//!   off; `resumed` a client whose session cache holds a ticket from the
//!   same server, so the certificate is neither sent nor checked.
//! - `https_get`: one `GET /bytes/1` from handspun's blocking client to
//!   handspun's TLS server over loopback, on a `new_connection_full`
//!   (TCP + full handshake), a `new_connection_resumed` (TCP + resumed
//!   handshake) or a `keep_alive` connection (no handshake at all).
//!
//! Run: `cargo bench --bench tls` (add `-- --warm-up-time 1 --measurement-time 3`
//! for a quicker pass).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use handspun::http::blocking::Session;
use handspun::http::server::{spawn_background_with, ServerConfig};
use handspun::http::tls::{TlsClientConfig, TlsServerConfig};
use rustls::client::Resumption;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConnection, HandshakeKind, RootCertStore, ServerConnection};

/// A self-signed certificate for `127.0.0.1` and its key, PEM.
fn certificate() -> (String, String) {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    (made.cert.pem(), made.signing_key.serialize_pem())
}

/// rustls configurations for both sides; `resume` turns the client's
/// session cache on or off.
fn rustls_pair(
    cert: &str,
    key: &str,
    resume: bool,
) -> (Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cert = CertificateDer::from_pem_slice(cert.as_bytes()).unwrap();
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    let mut client = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.resumption = if resume {
        Resumption::in_memory_sessions(256)
    } else {
        Resumption::disabled()
    };
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    (Arc::new(client), Arc::new(server))
}

/// One handshake in memory, including the session tickets the server sends
/// after it; how it went.
fn handshake(
    client: &Arc<rustls::ClientConfig>,
    server: &Arc<rustls::ServerConfig>,
) -> Option<HandshakeKind> {
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut client = ClientConnection::new(client.clone(), name).unwrap();
    let mut server = ServerConnection::new(server.clone()).unwrap();
    let mut wire = Vec::with_capacity(8 * 1024);
    while client.is_handshaking() || server.is_handshaking() || server.wants_write() {
        while client.wants_write() {
            wire.clear();
            client.write_tls(&mut wire).unwrap();
            server.read_tls(&mut wire.as_slice()).unwrap();
            server.process_new_packets().unwrap();
        }
        while server.wants_write() {
            wire.clear();
            server.write_tls(&mut wire).unwrap();
            client.read_tls(&mut wire.as_slice()).unwrap();
            client.process_new_packets().unwrap();
        }
    }
    client.handshake_kind()
}

fn tls_handshake(c: &mut Criterion) {
    let (cert, key) = certificate();
    let mut group = c.benchmark_group("tls_handshake");

    let (client, server) = rustls_pair(&cert, &key, false);
    assert_eq!(handshake(&client, &server), Some(HandshakeKind::Full));
    group.bench_function("full", |b| {
        b.iter(|| black_box(handshake(&client, &server)))
    });

    let (client, server) = rustls_pair(&cert, &key, true);
    handshake(&client, &server);
    assert_eq!(handshake(&client, &server), Some(HandshakeKind::Resumed));
    group.bench_function("resumed", |b| {
        b.iter(|| black_box(handshake(&client, &server)))
    });
    group.finish();
}

fn https_get(c: &mut Criterion) {
    let made = TlsServerConfig::self_signed(&["127.0.0.1".into()]).unwrap();
    let config = ServerConfig {
        tls: Some(made.config),
        ..ServerConfig::default()
    };
    let server = spawn_background_with("127.0.0.1:0".parse().unwrap(), config).unwrap();
    let url = format!("https://{}/bytes/1", server.addr());
    let trust = || TlsClientConfig::from_ca_pem(made.cert_pem.as_bytes()).unwrap();
    let mut group = c.benchmark_group("https_get");

    // A new session cache each time: every handshake is full.
    group.bench_function("new_connection_full", |b| {
        b.iter_batched(
            || Session::builder().tls(trust()).max_idle_per_host(0).build(),
            |session| black_box(session.get(&url).unwrap()),
            BatchSize::SmallInput,
        )
    });

    // One cache, no idle connection kept: a new connection that resumes.
    let session = Session::builder().tls(trust()).max_idle_per_host(0).build();
    session.get(&url).unwrap();
    group.bench_function("new_connection_resumed", |b| {
        b.iter(|| black_box(session.get(&url).unwrap()))
    });
    assert!(session.tls_resumptions() > 0, "the handshakes resumed");

    let session = Session::builder().tls(trust()).build();
    session.get(&url).unwrap();
    group.bench_function("keep_alive", |b| {
        b.iter(|| black_box(session.get(&url).unwrap()))
    });
    assert_eq!(
        session.connections_opened(),
        1,
        "one connection, kept alive"
    );
    group.finish();
}

criterion_group!(benches, tls_handshake, https_get);
criterion_main!(benches);
