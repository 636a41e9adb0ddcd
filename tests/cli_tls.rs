//! `handspun serve --tls-self-signed` and `handspun download --ca-file`, end to end.

#![cfg(all(feature = "tls", feature = "cli"))]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The first line of `reader`, or a panic after 10 s.
fn first_line(reader: impl std::io::Read + Send + 'static) -> String {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(reader).read_line(&mut line);
        let _ = tx.send(line);
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("handspun serve printed its line in time")
}

#[test]
fn serve_tls_self_signed_is_downloaded_with_its_ca_file() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_handspun"))
        .args(["serve", "--addr", "127.0.0.1:0", "--tls-self-signed"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("handspun serve starts");
    let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let _server = Server(child);
    let listening = first_line(stdout);
    let base = listening
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {listening:?}"))
        .to_string();
    assert!(base.starts_with("https://"), "{base}");
    let wrote = first_line(stderr);
    let pem = wrote
        .split_whitespace()
        .find(|word| word.ends_with(".pem"))
        .unwrap_or_else(|| panic!("no PEM path in {wrote:?}"))
        .to_string();

    let url = format!("{base}/bytes/26");
    let download = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_handspun"))
            .args(["download", "--model", "event-loop", "--json"])
            .args(extra)
            .arg(&url)
            .output()
            .unwrap()
    };
    let trusted = download(&["--ca-file", &pem]);
    let summary: serde_json::Value = serde_json::from_slice(&trusted.stdout).unwrap();
    assert_eq!(
        (summary["ok"].as_u64(), summary["bytes"].as_u64()),
        (Some(1), Some(26))
    );

    // Without the CA file the certificate is refused, and says how to fix it.
    let refused = download(&[]);
    assert_eq!(refused.status.code(), Some(1));
    let summary: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    let error = summary["errors"][0]["error"].as_str().unwrap();
    assert!(error.contains("--ca-file"), "{error}");
    let _ = std::fs::remove_file(&pem);
}

#[test]
fn a_missing_ca_file_is_an_error_before_any_download() {
    let output = Command::new(env!("CARGO_BIN_EXE_handspun"))
        .args([
            "download",
            "--model",
            "sync",
            "--ca-file",
            "/no/such/ca.pem",
        ])
        .arg("https://127.0.0.1:1/")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/no/such/ca.pem"));
}

#[test]
fn compare_tls_runs_the_io_workload_over_https() {
    let json =
        std::env::temp_dir().join(format!("handspun-compare-tls-{}.json", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_handspun"))
        .args(["compare", "--workload", "io", "--quick", "--tls"])
        .args(["--models", "sync,event-loop,processes", "--json"])
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let _ = std::fs::remove_file(&json);
    assert_eq!(report["tls"], true, "the report says the io ran over https");
    let rows = report["results"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for row in rows {
        assert_eq!(row["failed"], 0, "{row}");
        assert!(row["ok"].as_u64().unwrap() > 0, "{row}");
    }
}
