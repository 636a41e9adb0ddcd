//! In-memory streams and listeners in simulated runs.

use std::net::SocketAddr;

use handspun::event_loop::{self, perfetto_json, TaskOptions};
use handspun::sim::net::{Listener, Stream};
use handspun::sim::{self, Policy};

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// A server that answers every client with its message uppercased, and
/// three clients; returns what each client got back.
async fn upper_server_and_three_clients() -> Vec<String> {
    let listener = Listener::bind(addr("10.0.0.1:7")).unwrap();
    let server = event_loop::spawn_named("server", async move {
        for _ in 0..3 {
            let (mut stream, _) = listener.accept().await.unwrap();
            event_loop::spawn_named("session", async move {
                let mut line = Vec::new();
                let mut buf = [0; 3];
                loop {
                    let n = stream.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    line.extend_from_slice(&buf[..n]);
                }
                stream.write_all(&line.to_ascii_uppercase()).await.unwrap();
            });
        }
    });
    let clients: Vec<_> = ["one", "two", "three"]
        .into_iter()
        .map(|text| {
            event_loop::spawn_with(TaskOptions::new().name(text), async move {
                let mut stream = Stream::connect(addr("10.0.0.1:7")).await.unwrap();
                stream.write_all(text.as_bytes()).await.unwrap();
                stream.shutdown();
                let mut reply = vec![0; text.len()];
                stream.read_exact(&mut reply).await.unwrap();
                String::from_utf8(reply).unwrap()
            })
        })
        .collect();
    let mut replies = Vec::new();
    for client in clients {
        replies.push(client.await.unwrap());
    }
    server.await.unwrap();
    replies
}

#[test]
fn network_code_runs_in_a_simulation_under_any_schedule() {
    for seed in 0..30 {
        let run = sim::run(&Policy::Random { seed }, upper_server_and_three_clients);
        assert_eq!(run.outcome.unwrap(), ["ONE", "TWO", "THREE"], "seed {seed}");
    }
}

#[test]
fn a_simulated_network_run_is_repeatable() {
    let policy = Policy::Pct {
        seed: 4,
        depth: 2,
        steps: 40,
    };
    let first = sim::run(&policy, upper_server_and_three_clients);
    let again = sim::run(&policy, upper_server_and_three_clients);
    assert_eq!(first.schedule, again.schedule);
    assert_eq!(
        perfetto_json(&first.trace).to_string(),
        perfetto_json(&again.trace).to_string()
    );
}

#[test]
fn connecting_to_nobody_is_refused_and_an_address_binds_once() {
    let run = sim::run(&Policy::Random { seed: 0 }, || async {
        let refused = Stream::connect(addr("10.0.0.2:1")).await.unwrap_err();
        let _first = Listener::bind(addr("10.0.0.2:1")).unwrap();
        let in_use = Listener::bind(addr("10.0.0.2:1")).unwrap_err();
        (refused.kind(), in_use.kind())
    });
    assert_eq!(
        run.outcome.unwrap(),
        (
            std::io::ErrorKind::ConnectionRefused,
            std::io::ErrorKind::AddrInUse
        )
    );
}

#[test]
fn dropping_a_stream_is_end_of_file_for_its_peer() {
    let run = sim::run(&Policy::Random { seed: 0 }, || async {
        let listener = Listener::bind(addr("10.0.0.3:9")).unwrap();
        let client = event_loop::spawn(async {
            let mut stream = Stream::connect(addr("10.0.0.3:9")).await.unwrap();
            stream.write_all(b"bye").await.unwrap();
            stream.local_addr()
        });
        let (mut stream, peer) = listener.accept().await.unwrap();
        let client_addr = client.await.unwrap();
        let mut all = Vec::new();
        let mut buf = [0; 8];
        loop {
            match stream.read(&mut buf).await.unwrap() {
                0 => break,
                n => all.extend_from_slice(&buf[..n]),
            }
        }
        (all, peer == client_addr, stream.peer_addr() == peer)
    });
    assert_eq!(run.outcome.unwrap(), (b"bye".to_vec(), true, true));
}

#[test]
fn each_run_starts_with_no_listener() {
    let bind = || async { Listener::bind(addr("10.0.0.4:1")).map(drop).is_ok() };
    // The first run's listener is dropped with its body; a leaked one would
    // not matter either: each run starts afresh.
    assert_eq!(
        sim::run(&Policy::Random { seed: 0 }, bind).outcome,
        Ok(true)
    );
    let leak = || async { std::mem::forget(Listener::bind(addr("10.0.0.4:2")).unwrap()) };
    assert!(sim::run(&Policy::Random { seed: 0 }, leak).outcome.is_ok());
    let again = || async { Listener::bind(addr("10.0.0.4:2")).map(drop).is_ok() };
    assert_eq!(
        sim::run(&Policy::Random { seed: 0 }, again).outcome,
        Ok(true)
    );
}
