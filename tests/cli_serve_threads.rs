//! `handspun serve --threads N --runtime per-core|stealing`, run as a user
//! would: one listening line, pages served by the threads, a clean exit on
//! SIGTERM; and `--threads` refused where it does not apply.

// The binary exists only with the `cli` feature (the default).
#![cfg(feature = "cli")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn handspun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_handspun"))
        .args(args)
        .output()
        .expect("the handspun binary runs")
}

/// Kills the server if the test fails before it stopped it.
struct Server(Option<Child>);

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn serve_per_core_answers_and_stops_on_sigterm() {
    serve_answers_and_stops_on_sigterm("per-core");
}

#[test]
fn serve_stealing_answers_and_stops_on_sigterm() {
    serve_answers_and_stops_on_sigterm("stealing");
}

/// Starts `serve --threads 2 --runtime RUNTIME`, fetches 40 pages on fresh
/// connections, and stops it with SIGTERM.
fn serve_answers_and_stops_on_sigterm(runtime: &str) {
    let child = Command::new(env!("CARGO_BIN_EXE_handspun"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--threads",
            "2",
            "--runtime",
            runtime,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("handspun serve starts");
    let mut server = Server(Some(child));
    let child = server.0.as_mut().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first_line = String::new();
    stdout.read_line(&mut first_line).unwrap();
    let base = first_line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first_line:?}"))
        .to_string();

    // A fresh session, so a fresh connection, per page: per-core, the
    // kernel spreads them over both loops' listeners; stealing, whichever
    // worker is free takes each.
    for n in 1..=40 {
        let page = handspun::http::blocking::Session::new()
            .get(&format!("http://{base}/bytes/{n}"))
            .unwrap();
        assert_eq!(page.body.len(), n);
    }

    let pid = child.id().to_string();
    let term = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(term.success());
    let mut child = server.0.take().unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let status = child.wait();
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut rest);
        let _ = done_tx.send((status, rest));
    });
    match done_rx.recv_timeout(Duration::from_secs(20)) {
        Ok((status, rest)) => {
            assert!(status.unwrap().success());
            // The listening line was printed once, not once per loop.
            assert!(!rest.contains("listening on"), "{rest}");
        }
        Err(_) => {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            panic!("handspun serve --runtime {runtime} did not stop on SIGTERM");
        }
    }
}

#[test]
fn threads_without_a_multi_threaded_runtime_is_a_usage_error() {
    for args in [
        &["serve", "--threads", "2"][..],
        &["serve", "--threads", "2", "--runtime", "single"][..],
    ] {
        let output = handspun(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--runtime per-core"), "{stderr}");
    }
}

#[test]
fn bad_threads_and_runtime_values_are_usage_errors() {
    for runtime in ["per-core", "stealing"] {
        let zero = handspun(&["serve", "--runtime", runtime, "--threads", "0"]);
        assert_eq!(zero.status.code(), Some(2), "{runtime}");
    }
    let unknown = handspun(&["serve", "--runtime", "green-threads"]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("per-core"), "{stderr}");
    assert!(stderr.contains("stealing"), "{stderr}");
}
