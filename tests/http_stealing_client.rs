//! The async client on the work-stealing runtime (`http::stealing::Session`):
//! one session shared by tasks on two workers — keep-alive reuse, the pool
//! limit, timeouts, a stale connection retried, redirects, and bad peers
//! that get typed errors.

mod util_http;
mod util_stealing;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use handspun::http::server::{spawn_background_stealing_with, ServerConfig, ServerStats};
use handspun::http::stealing::Session;
use handspun::http::{Error, TimeoutKind};
use handspun::stealing;
use util_http::{assert_pattern, ok_response, read_request, send, slow_site, TestServer};
use util_stealing::{runtime, within_limit};

/// Runs `future` on a fresh two-worker runtime, within the test time limit.
fn run<F>(future: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    within_limit(move || runtime(2).block_on(future))
}

#[test]
fn a_session_and_its_get_future_can_move_between_threads() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let session = Session::new();
    send_sync(&session);
    send(&session.get("http://127.0.0.1:1/"));
}

#[test]
fn keep_alive_reuses_one_connection() {
    let server = slow_site();
    let urls: Vec<String> = [10, 1024, 49152]
        .iter()
        .map(|len| server.url(&format!("/bytes/{len}")))
        .collect();
    let session = Session::new();
    let bodies = run({
        let session = session.clone();
        async move {
            let mut bodies = Vec::new();
            for url in urls {
                // Each request on a task of its own, which may run on
                // either worker: the pooled connection moves with it.
                let session = session.clone();
                let body = stealing::spawn(async move { session.get(&url).await.unwrap().body })
                    .await
                    .unwrap();
                bodies.push(body);
            }
            bodies
        }
    });
    for (body, len) in bodies.iter().zip([10, 1024, 49152]) {
        assert_pattern(body, len);
    }
    assert_eq!(session.connections_opened(), 1);
    assert_eq!(ServerStats::get(&server.stats().accepted), 1);
}

#[test]
fn the_pool_limit_holds_with_tasks_on_every_worker() {
    const LIMIT: usize = 8;
    const TASKS: usize = 300;
    let server = slow_site();
    let url = server.url("/bytes/256?delay_ms=2");
    let session = Session::builder().pool_limit(LIMIT).build();
    let most_open = Arc::new(AtomicUsize::new(0));
    let ok = run({
        let (session, most_open) = (session.clone(), most_open.clone());
        async move {
            let handles: Vec<_> = (0..TASKS)
                .map(|_| {
                    let (session, url, most_open) =
                        (session.clone(), url.clone(), most_open.clone());
                    stealing::spawn(async move {
                        let response = session.get(&url).await;
                        most_open.fetch_max(session.open_connections(), Ordering::Relaxed);
                        response.is_ok_and(|r| r.body.len() == 256)
                    })
                })
                .collect();
            let mut ok = 0;
            for handle in handles {
                if handle.await.unwrap() {
                    ok += 1;
                }
            }
            ok
        }
    });
    assert_eq!(ok, TASKS);
    assert!(session.connections_opened() <= LIMIT as u64);
    assert!(most_open.load(Ordering::Relaxed) <= LIMIT);
    assert!(ServerStats::get(&server.stats().peak_active) <= LIMIT as u64);
}

#[test]
fn a_slow_response_hits_the_read_timeout() {
    let server = slow_site();
    let url = server.url("/bytes/10?delay_ms=2000");
    let session = Session::builder()
        .read_timeout(Duration::from_millis(100))
        .build();
    let result = run(async move { session.get(&url).await });
    assert!(
        matches!(result, Err(Error::Timeout(TimeoutKind::Read))),
        "{result:?}"
    );
}

#[test]
fn queued_tasks_time_out_and_leave_no_slot_taken() {
    let server = slow_site();
    let url = server.url("/bytes/1?delay_ms=500");
    let session = Session::builder()
        .pool_limit(1)
        .total_timeout(Some(Duration::from_millis(50)))
        .build();
    let results = run({
        let session = session.clone();
        async move {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    let (session, url) = (session.clone(), url.clone());
                    stealing::spawn(async move { session.get(&url).await })
                })
                .collect();
            let mut results = Vec::new();
            for handle in handles {
                results.push(handle.await.unwrap());
            }
            results
        }
    });
    for result in &results {
        assert!(
            matches!(result, Err(Error::Timeout(TimeoutKind::Total))),
            "{result:?}"
        );
    }
    assert_eq!(session.open_connections(), 0);
}

#[test]
fn redirects_are_followed_on_the_embedded_stealing_server() {
    let server =
        spawn_background_stealing_with("127.0.0.1:0".parse().unwrap(), ServerConfig::default(), 2)
            .unwrap();
    let (ok, looped) = (server.url("/redirect/3"), server.url("/redirect-loop"));
    let (body, loop_result) = run(async move {
        let session = Session::new();
        let body = session.get(&ok).await.unwrap().body;
        (body, session.get(&looped).await)
    });
    assert_eq!(body, b"done");
    assert!(
        matches!(loop_result, Err(Error::RedirectLoop { .. })),
        "{loop_result:?}"
    );
}

#[test]
fn a_pooled_connection_the_server_closed_is_retried_on_a_new_one() {
    // The first connection answers once and closes without saying so; the
    // second answers normally.
    let peer = TestServer::start(|mut stream, index| {
        if read_request(&mut stream).is_some() {
            send(&mut stream, &ok_response(format!("conn{index}").as_bytes()));
        }
        if index > 0 {
            while read_request(&mut stream).is_some() {
                send(&mut stream, &ok_response(b"again"));
            }
        }
    });
    let url = peer.url("/");
    let session = Session::new();
    let bodies = run({
        let session = session.clone();
        async move {
            let first = session.get(&url).await.unwrap().body;
            // Whether the close has arrived yet or not, the pooled
            // connection fails before a byte of the answer: a retry.
            let second = session.get(&url).await.unwrap().body;
            (first, second)
        }
    });
    assert_eq!(bodies.0, b"conn0");
    assert_eq!(bodies.1, b"conn1");
    assert_eq!(session.connections_opened(), 2);
}

#[test]
fn a_peer_that_does_not_speak_http_gets_a_typed_error() {
    let peer = TestServer::start(|mut stream, _| {
        if read_request(&mut stream).is_some() {
            send(&mut stream, b"SSH-2.0-OpenSSH_9.6\r\n\r\n");
        }
    });
    let url = peer.url("/");
    let result = run(async move { Session::new().get(&url).await });
    assert!(matches!(result, Err(Error::Parse(_))), "{result:?}");
}

#[test]
fn a_body_cut_short_is_a_typed_error() {
    let peer = TestServer::start(|mut stream, _| {
        if read_request(&mut stream).is_some() {
            send(
                &mut stream,
                b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a few bytes",
            );
        }
    });
    let url = peer.url("/");
    let result = run(async move { Session::new().get(&url).await });
    assert!(
        matches!(result, Err(Error::UnexpectedEof { .. })),
        "{result:?}"
    );
}

#[test]
fn a_refused_connection_is_a_connect_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let result = run(async move { Session::new().get(&url).await });
    assert!(matches!(result, Err(Error::Connect { .. })), "{result:?}");
}

#[cfg(feature = "tls")]
#[test]
fn https_runs_on_the_stealing_runtime_on_both_sides() {
    use handspun::http::tls::{TlsClientConfig, TlsServerConfig};

    let made = TlsServerConfig::self_signed(&["127.0.0.1".into()]).unwrap();
    let config = ServerConfig {
        tls: Some(made.config),
        ..ServerConfig::default()
    };
    let server = spawn_background_stealing_with("127.0.0.1:0".parse().unwrap(), config, 2).unwrap();
    let url = format!("https://{}/bytes/40000", server.addr());
    let session = Session::builder()
        .tls(TlsClientConfig::from_ca_pem(made.cert_pem.as_bytes()).unwrap())
        .pool_limit(2)
        .build();
    let bodies = run({
        let session = session.clone();
        async move {
            let handles: Vec<_> = (0..6)
                .map(|_| {
                    let (session, url) = (session.clone(), url.clone());
                    stealing::spawn(async move { session.get(&url).await.unwrap().body })
                })
                .collect();
            let mut bodies = Vec::new();
            for handle in handles {
                bodies.push(handle.await.unwrap());
            }
            bodies
        }
    });
    for body in &bodies {
        assert_pattern(body, 40000);
    }
    assert!(session.connections_opened() <= 2);
}
