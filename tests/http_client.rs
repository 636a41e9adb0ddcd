//! The async client (`http::Session`) against our own server: keep-alive
//! reuse, chunked bodies, redirects, timeouts, and the pool limit under a
//! thousand concurrent tasks.

mod util_http;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use handspun::event_loop::{self, EventLoop};
use handspun::http::server::ServerStats;
use handspun::http::{expected_body_byte, ClientConfig, Error, Session, TimeoutKind};
use util_http::{assert_pattern, slow_site, FullAcceptQueue};

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(expected_body_byte).collect()
}

fn run<F: std::future::Future>(future: F) -> F::Output {
    EventLoop::new().unwrap().block_on(future)
}

#[test]
fn keep_alive_reuses_one_connection() {
    let server = slow_site();
    let session = Session::new();
    run(async {
        for len in [10, 1024, 49152] {
            let response = session
                .get(&server.url(&format!("/bytes/{len}")))
                .await
                .unwrap();
            assert_pattern(&response.body, len);
        }
    });
    assert_eq!(session.connections_opened(), 1);
    assert_eq!(ServerStats::get(&server.stats().accepted), 1);
}

#[test]
fn chunked_bodies_are_decoded() {
    let server = slow_site();
    let body = run(async {
        Session::new()
            .get(&server.url("/chunked/100000?chunk_size=777"))
            .await
            .unwrap()
            .body
    });
    assert_pattern(&body, 100_000);
}

#[test]
fn redirects_are_followed_and_loops_refused() {
    let server = slow_site();
    let session = Session::new();
    run(async {
        assert_eq!(
            session.get(&server.url("/redirect/5")).await.unwrap().body,
            b"done"
        );
        assert!(matches!(
            session.get(&server.url("/redirect-loop")).await,
            Err(Error::RedirectLoop { .. })
        ));
        assert!(matches!(
            session.get(&server.url("/redirect/11")).await,
            Err(Error::TooManyRedirects { limit: 10 })
        ));
        let https = session.get("https://127.0.0.1:1/").await;
        if cfg!(feature = "tls") {
            assert!(matches!(https, Err(Error::Connect { .. })), "{https:?}");
        } else {
            assert!(matches!(https, Err(Error::UnsupportedScheme { .. })));
        }
    });
}

#[test]
fn a_slow_response_hits_the_read_timeout() {
    let server = slow_site();
    let session = Session::builder()
        .read_timeout(Duration::from_millis(100))
        .build();
    let result = run(async { session.get(&server.url("/bytes/10?delay_ms=1000")).await });
    assert!(
        matches!(result, Err(Error::Timeout(TimeoutKind::Read))),
        "{result:?}"
    );
}

#[test]
fn a_drip_hits_the_total_timeout() {
    let server = slow_site();
    let session = Session::builder()
        .read_timeout(Duration::from_secs(2))
        .total_timeout(Some(Duration::from_millis(300)))
        .build();
    let result = run(async {
        session
            .get(&server.url("/drip?numbytes=100&duration_ms=5000"))
            .await
    });
    assert!(
        matches!(result, Err(Error::Timeout(TimeoutKind::Total))),
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
    let result = run(async {
        Session::new()
            .get(&format!("http://127.0.0.1:{port}/"))
            .await
    });
    assert!(matches!(result, Err(Error::Connect { .. })), "{result:?}");
}

#[test]
fn a_name_that_does_not_resolve_is_a_resolve_error() {
    // `.invalid` never resolves (RFC 6761): no server is contacted.
    let result = run(async { Session::new().get("http://nope.invalid/").await });
    match result {
        Err(Error::Resolve { host, .. }) => assert_eq!(host, "nope.invalid"),
        other => panic!("expected a resolve error, got {other:?}"),
    }
}

#[test]
fn the_pool_limit_holds_under_a_thousand_concurrent_tasks() {
    const LIMIT: usize = 20;
    let server = slow_site();
    let url = server.url("/bytes/256?delay_ms=2");
    let session = Session::builder().pool_limit(LIMIT).build();
    let most_open = Rc::new(Cell::new(0));
    let ok = run(async {
        let handles: Vec<_> = (0..1000)
            .map(|_| {
                let (session, url, most_open) = (session.clone(), url.clone(), most_open.clone());
                event_loop::spawn(async move {
                    let response = session.get(&url).await;
                    most_open.set(most_open.get().max(session.open_connections()));
                    response.map(|r| r.body == pattern(256)).unwrap_or(false)
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
    });
    assert_eq!(ok, 1000);
    assert!(
        session.connections_opened() <= LIMIT as u64,
        "{}",
        session.connections_opened()
    );
    assert!(most_open.get() <= LIMIT);
    assert!(ServerStats::get(&server.stats().peak_active) <= LIMIT as u64);
}

#[test]
fn tasks_share_one_session_across_hosts() {
    let (a, b) = (slow_site(), slow_site());
    let session = Session::builder().pool_limit(1).build();
    let lens = run(async {
        let mut lens = Vec::new();
        for url in [a.url("/bytes/3"), b.url("/bytes/4"), a.url("/bytes/5")] {
            lens.push(session.get(&url).await.unwrap().body.len());
        }
        lens
    });
    assert_eq!(lens, [3, 4, 5]);
    // With one slot, each change of host closes the idle connection to the other.
    assert_eq!(session.connections_opened(), 3);
    assert_eq!(session.open_connections(), 1);
}

#[test]
fn a_full_accept_queue_is_a_connect_timeout() {
    let unreachable = FullAcceptQueue::new();
    let session = Session::builder()
        .connect_timeout(Duration::from_millis(300))
        .build();
    let result = run(async { session.get(&format!("http://{}/", unreachable.addr)).await });
    assert!(
        matches!(result, Err(Error::Timeout(TimeoutKind::Connect))),
        "{result:?}"
    );
    assert_eq!(session.connections_opened(), 0);
    assert_eq!(
        session.open_connections(),
        0,
        "the failed connect gave its slot back"
    );
}

#[test]
fn a_queued_task_gets_the_slot_when_it_comes_free() {
    let server = slow_site();
    let session = Session::builder().pool_limit(1).build();
    let (slow, fast) = (server.url("/bytes/1?delay_ms=200"), server.url("/bytes/2"));
    let lens = run(async {
        let handles: Vec<_> = [slow, fast]
            .into_iter()
            .map(|url| {
                let session = session.clone();
                event_loop::spawn(async move { session.get(&url).await.map(|r| r.body.len()) })
            })
            .collect();
        let mut lens = Vec::new();
        for handle in handles {
            lens.push(handle.await.unwrap().unwrap());
        }
        lens
    });
    assert_eq!(lens, [1, 2]);
    assert_eq!(
        session.connections_opened(),
        1,
        "the second task reused the first's connection"
    );
}

#[test]
fn tasks_queued_for_a_slot_time_out_and_leave_no_slot_taken() {
    let server = slow_site();
    let session = Session::builder()
        .config(ClientConfig {
            pool_limit: 1,
            total_timeout: Some(Duration::from_millis(50)),
            ..ClientConfig::default()
        })
        .build();
    let url = server.url("/bytes/1?delay_ms=500");
    let results = run(async {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let (session, url) = (session.clone(), url.clone());
                event_loop::spawn(async move { session.get(&url).await })
            })
            .collect();
        let mut results = Vec::new();
        for handle in handles {
            results.push(handle.await.unwrap());
        }
        results
    });
    for result in &results {
        assert!(
            matches!(result, Err(Error::Timeout(TimeoutKind::Total))),
            "{result:?}"
        );
    }
    assert_eq!(session.open_connections(), 0);
}
