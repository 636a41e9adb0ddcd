//! `handspun lab`, run as a user would: the same bytes twice, its files,
//! and exit status 2 with the list of names for an unknown one.

// The binary exists only with the `cli` feature (the default).
#![cfg(feature = "cli")]

use std::path::PathBuf;
use std::process::{Command, Output};

fn handspun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_handspun"))
        .args(args)
        .output()
        .expect("the handspun binary runs")
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("handspun-lab-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn two_runs_print_and_write_the_same_bytes() {
    let dir = scratch("same-bytes");
    let mut outputs = Vec::new();
    for run in 0..2 {
        let json = dir.join(format!("lab{run}.json"));
        let svg = dir.join(format!("lab{run}.svg"));
        let output = handspun(&[
            "lab",
            "--seed",
            "3",
            "--json",
            json.to_str().unwrap(),
            "--plot",
            svg.to_str().unwrap(),
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        outputs.push((
            output.stdout,
            std::fs::read(&json).unwrap(),
            std::fs::read(&svg).unwrap(),
        ));
    }
    assert_eq!(outputs[0], outputs[1]);
    let stdout = String::from_utf8(outputs[0].0.clone()).unwrap();
    for scenario in [
        "mixed",
        "fan-out",
        "greedy",
        "priority-inversion",
        "io-burst",
        "timers",
    ] {
        assert!(stdout.contains(&format!("{scenario}:")), "{stdout}");
    }
    let json: serde_json::Value = serde_json::from_slice(&outputs[0].1).unwrap();
    assert_eq!(json["seed"], 3);
    assert_eq!(json["results"].as_array().unwrap().len(), 36);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn schedulers_and_scenarios_can_be_chosen() {
    let output = handspun(&[
        "lab",
        "--scheduler",
        "fair-share",
        "--scheduler",
        "pct",
        "--scenario",
        "timers",
    ]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.starts_with("timers:"), "{stdout}");
    assert!(stdout.contains("fair-share") && stdout.contains("pct"));
    assert!(!stdout.contains("oldest-ready") && !stdout.contains("mixed:"));
}

#[test]
fn an_unknown_scheduler_exits_2_with_the_names() {
    let output = handspun(&["lab", "--scheduler", "lottery"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for name in [
        "oldest-ready",
        "newest-ready",
        "priority",
        "fair-share",
        "random",
        "pct",
    ] {
        assert!(stderr.contains(name), "{stderr}");
    }
}

#[test]
fn an_unknown_scenario_exits_2_with_the_names() {
    let output = handspun(&["lab", "--scenario", "stampede"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for name in [
        "mixed",
        "fan-out",
        "greedy",
        "priority-inversion",
        "io-burst",
        "timers",
    ] {
        assert!(stderr.contains(name), "{stderr}");
    }
}

#[test]
fn the_chart_must_be_named_svg() {
    let output = handspun(&["lab", "--plot", "chart.png"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn compare_scheduler_takes_a_built_in_name_only() {
    let output = handspun(&["compare", "--scheduler", "lottery"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for name in ["oldest-ready", "newest-ready", "priority", "fair-share"] {
        assert!(stderr.contains(name), "{stderr}");
    }
    // Without the event-loop model there is no loop to schedule.
    let output = handspun(&["compare", "--scheduler", "fair-share", "--models", "sync"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn compare_runs_the_event_loop_under_the_named_scheduler() {
    let output = handspun(&[
        "compare",
        "--workload",
        "cpu",
        "--models",
        "sync,event-loop",
        "--scheduler",
        "fair-share",
        "--cpu-scale",
        "0.01",
        "--cpu-runs",
        "1",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("event-loop"));
}

#[test]
fn an_output_folder_that_does_not_exist_exits_2_under_lab_usage() {
    let output = handspun(&["lab", "--json", "/no/such/folder/lab.json"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/no/such/folder") && stderr.contains("handspun lab"),
        "{stderr}"
    );
}
