//! The command line, run as a user would: `target/.../handspun ARGS`.
//! Bad arguments exit 2 with a hint; `compare --quick` writes its reports.

use std::path::PathBuf;
use std::process::{Command, Output};

fn handspun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_handspun"))
        .args(args)
        .output()
        .expect("the handspun binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("handspun-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn assert_usage_error(args: &[&str], hint: &str) {
    let output = handspun(args);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
    assert!(
        message.contains(hint),
        "{args:?}: expected `{hint}` in:\n{message}"
    );
}

#[test]
fn unknown_model_exits_2_and_lists_the_models() {
    assert_usage_error(&["compare", "--models", "sync,fibers"], "choose from sync");
    assert_usage_error(
        &["download", "--model", "asyncio", "http://127.0.0.1:1/"],
        "event-loop",
    );
}

#[test]
fn bad_numbers_exit_2_with_an_example() {
    assert_usage_error(&["compare", "--workers", "0"], "at least 1");
    assert_usage_error(&["compare", "--requests", "many"], "at least 1");
    assert_usage_error(&["compare", "--cpu-scale", "-2"], "try e.g.");
    assert_usage_error(
        &["download", "--model", "sync", "--repeat", "0", "http://x/"],
        "at least 1",
    );
}

#[test]
fn bad_workload_and_missing_arguments_exit_2() {
    assert_usage_error(&["compare", "--workload", "disk"], "io");
    assert_usage_error(&["download", "--model", "sync"], "URL");
    assert_usage_error(&["download", "http://127.0.0.1:1/"], "--model");
    assert_usage_error(&["fly"], "--help");
    assert_usage_error(&[], "Usage");
}

#[test]
fn compare_cpu_quick_writes_json_chart_and_trace() {
    let dir = scratch("cpu");
    let json = dir.join("results.json");
    let svg = dir.join("chart.svg");
    let trace = dir.join("trace.json");
    let output = handspun(&[
        "compare",
        "--workload",
        "cpu",
        "--quick",
        "--models",
        "sync",
        "--json",
        json.to_str().unwrap(),
        "--plot",
        svg.to_str().unwrap(),
        "--trace",
        trace.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}\n{stdout}", stderr(&output));
    assert!(stdout.starts_with("workload"), "{stdout}");
    assert!(stdout.contains("cpu: sync won"), "{stdout}");

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let rows = report["results"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["tasks"], 20);
    assert_eq!(rows[0]["ok"], 20);
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    let trace: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    let spans = trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "X")
        .count();
    assert_eq!(spans, 20, "one span per cpu job");
    let _ = std::fs::remove_dir_all(&dir);
}
