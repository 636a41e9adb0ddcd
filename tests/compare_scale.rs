//! The client side at scale: `compare --io-tasks`, `--concurrency` and
//! `--scale`, run as a user would, and the counters `--scale` reads.

// The binary exists only with the `cli` feature (the default).
#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use handspun::http::expected_body_byte;
use handspun::http::server::{fd_limits, RESERVED_FDS};
use handspun::workloads::io::{checksum, io_jobs, SITE_A, SITE_B};
use handspun::workloads::usage::UsageProbe;

fn handspun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_handspun"))
        .args(args)
        .output()
        .expect("the handspun binary runs")
}

/// A scratch folder for one test, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("handspun-scale-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `handspun compare ARGS --json FILE`, asserts success, returns the JSON.
fn compare_json(scratch: &Scratch, args: &[&str]) -> serde_json::Value {
    let json = scratch.path("r.json");
    let mut all = vec!["compare"];
    all.extend_from_slice(args);
    all.extend(["--json", json.to_str().unwrap()]);
    let output = handspun(&all);
    assert!(
        output.status.success(),
        "{args:?}: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    read_json(&json)
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The checksum a correct download of `body_len` bytes adds.
fn body_checksum(body_len: usize) -> u64 {
    let body: Vec<u8> = (0..body_len).map(expected_body_byte).collect();
    checksum(&body)
}

fn rows<'a>(report: &'a serde_json::Value, field: &str) -> &'a Vec<serde_json::Value> {
    report[field].as_array().unwrap()
}

#[test]
fn io_tasks_extends_the_list_for_every_model_sites_alternating() {
    // Seven jobs: A B A B A B A.
    let sites: Vec<_> = io_jobs(7).iter().map(|job| job.site).collect();
    assert_eq!(
        sites,
        [SITE_A, SITE_B, SITE_A, SITE_B, SITE_A, SITE_B, SITE_A]
    );
    let expected = (0..4)
        .map(|_| body_checksum(SITE_A.body_len))
        .chain((0..3).map(|_| body_checksum(SITE_B.body_len)))
        .fold(0u64, u64::wrapping_add);

    let scratch = Scratch::new("io-tasks");
    let models = "sync,threads,event-loop,processes,threads-gil";
    for flag in ["--io-tasks", "--requests"] {
        let report = compare_json(
            &scratch,
            &["--workload", "io", "--models", models, flag, "7"],
        );
        let results = rows(&report, "results");
        assert_eq!(results.len(), 5, "{flag}: a row per model");
        for row in results {
            assert_eq!(row["tasks"], 7, "{flag}: {row}");
            assert_eq!(row["ok"], 7, "{flag}: {row}");
            assert_eq!(
                row["checksum"], expected,
                "{flag}: four A pages, three B: {row}"
            );
        }
    }
}

#[test]
fn concurrency_sets_the_pool_limit_and_the_workers_and_workers_wins_for_pools() {
    let scratch = Scratch::new("concurrency");
    let report = compare_json(
        &scratch,
        &[
            "--workload",
            "io",
            "--models",
            "threads,event-loop,processes",
            "--io-tasks",
            "12",
            "--concurrency",
            "3",
        ],
    );
    for row in rows(&report, "results") {
        assert_eq!(row["concurrency"], 3, "{row}");
        assert_eq!(row["ok"], 12, "{row}");
        let opened = row["connections_opened"].as_u64().unwrap();
        assert!((1..=3).contains(&opened), "at most 3 connections: {row}");
        if row["model"] != "event-loop" {
            assert_eq!(row["workers"], 3, "{row}");
        }
    }

    let report = compare_json(
        &scratch,
        &[
            "--workload",
            "io",
            "--models",
            "threads,event-loop",
            "--io-tasks",
            "6",
            "--concurrency",
            "3",
            "--workers",
            "2",
        ],
    );
    let results = rows(&report, "results");
    let threads = results.iter().find(|r| r["model"] == "threads").unwrap();
    let event_loop = results.iter().find(|r| r["model"] == "event-loop").unwrap();
    assert_eq!(
        (&threads["workers"], &threads["concurrency"]),
        (&2.into(), &2.into())
    );
    assert_eq!(
        event_loop["concurrency"], 3,
        "--concurrency still sets the loop's limit"
    );
}

#[test]
fn a_tiny_scale_sweep_writes_json_and_svg_per_model_and_size() {
    let scratch = Scratch::new("sweep");
    let svg = scratch.path("c.svg");
    let report = compare_json(
        &scratch,
        &[
            "--workload",
            "io",
            "--models",
            "threads,event-loop,processes",
            "--io-tasks",
            "2",
            "--scale",
            "--scale-sizes",
            "10,4",
            "--concurrency",
            "5",
            "--plot",
            svg.to_str().unwrap(),
        ],
    );
    let scale = rows(&report, "scale");
    assert_eq!(scale.len(), 6, "two sizes × three models: {scale:?}");
    let row = |model: &str, tasks: u64| {
        scale
            .iter()
            .find(|r| r["model"] == model && r["tasks"] == tasks)
            .unwrap_or_else(|| panic!("no {model} row at {tasks}"))
    };
    for (i, tasks) in [(0, 4u64), (3, 10)] {
        assert_eq!(scale[i]["tasks"], tasks, "smallest size first");
    }
    for model in ["threads", "event-loop", "processes"] {
        for tasks in [4u64, 10] {
            let r = row(model, tasks);
            let in_flight = tasks.min(5);
            assert_eq!(r["ok"], tasks, "{r}");
            assert_eq!(r["failed"], 0, "{r}");
            assert_eq!(r["concurrency"], in_flight, "{r}");
            let peak = r["server_peak_connections"].as_u64().unwrap();
            assert!(
                (1..=in_flight).contains(&peak),
                "never more than C in flight: {r}"
            );
            for field in ["wall_s", "ideal_s"] {
                assert!(r[field].as_f64().unwrap() > 0.0, "{field}: {r}");
            }
            let peak = r["peak_rss_kib"].as_u64().unwrap();
            let added = r["peak_rss_added_kib"].as_u64().unwrap();
            assert!(peak > 0, "{r}");
            if model != "processes" {
                // One process: what the run added is part of its peak.
                assert!(added <= peak, "{r}");
            }
            let (voluntary, involuntary) = (
                r["ctxt_switches_voluntary"].as_u64().unwrap(),
                r["ctxt_switches_involuntary"].as_u64().unwrap(),
            );
            assert_eq!(r["ctxt_switches"], voluntary + involuntary, "{r}");
            assert!(voluntary > 0, "waiting on sockets blocks somebody: {r}");
            let processes = if model == "processes" { in_flight } else { 0 };
            assert_eq!(r["processes"], processes, "{r}");
        }
    }
    // A thread per download in flight, besides the main and server threads;
    // the loop needs none.
    let threads = |model: &str| row(model, 10)["peak_threads"].as_u64().unwrap();
    assert!(threads("threads") >= 5 + 2, "{:?}", row("threads", 10));
    assert!(threads("event-loop") < threads("threads"));

    let chart = std::fs::read_to_string(scratch.path("c-scale.svg")).unwrap();
    assert!(chart.trim_start().starts_with("<svg"), "{}", &chart[..80]);
    assert!(chart.trim_end().ends_with("</svg>"));
    for label in [
        "threads",
        "event-loop",
        "processes",
        "context switches",
        "downloads",
    ] {
        assert!(chart.contains(label), "the chart names {label}");
    }
}

#[test]
fn a_concurrency_the_descriptors_cannot_hold_is_refused_before_running() {
    let (_, hard) = fd_limits().unwrap();
    let most = (hard - RESERVED_FDS) / 2;
    let too_many = (most + 1).to_string();
    let scratch = Scratch::new("refused");
    let json = scratch.path("r.json");
    let cases: [&[&str]; 2] = [
        &[
            "--workload",
            "io",
            "--models",
            "event-loop",
            "--io-tasks",
            &too_many,
        ],
        &[
            "--workload",
            "cpu",
            "--models",
            "threads",
            "--scale",
            "--scale-sizes",
            &too_many,
        ],
    ];
    for case in cases {
        let mut args = vec!["compare"];
        args.extend_from_slice(case);
        args.extend(["--concurrency", &too_many, "--json", json.to_str().unwrap()]);
        let output = handspun(&args);
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
        assert!(message.contains("file descriptors"), "{message}");
        assert!(
            message.contains(&format!("--concurrency {most} or less")),
            "{message}"
        );
        assert!(!json.exists(), "refused before anything ran");
    }
}

#[test]
fn scale_flags_that_make_no_sense_exit_2() {
    let output = handspun(&["compare", "--scale-sizes", "10"]);
    assert_eq!(output.status.code(), Some(2), "--scale-sizes needs --scale");
    let output = handspun(&["compare", "--models", "sync", "--concurrency", "4"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("one download at a time"));
    let output = handspun(&["compare", "--scale", "--scale-sizes", "0"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn the_usage_probe_counts_every_thread_and_reaped_children() {
    const THREADS: usize = 16;
    let probe = UsageProbe::start();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(THREADS + 1));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let barrier = std::sync::Arc::clone(&barrier);
            std::thread::spawn(move || {
                // Every thread is alive at once until all have arrived...
                barrier.wait();
                // ...and waits once more, blocking, before it ends.
                barrier.wait();
            })
        })
        .collect();
    barrier.wait();
    // Every thread exists now: count them.
    probe.sample();
    let child = Command::new("sleep").arg("0.01").status().unwrap();
    assert!(child.success());
    barrier.wait();
    for worker in workers {
        worker.join().unwrap();
    }
    let usage = probe.finish();
    // The test harness may run other tests' threads beside ours.
    assert!(
        usage.peak_threads > THREADS as u64,
        "{THREADS} threads and this one: {usage:?}"
    );
    assert!(
        usage.own.voluntary >= THREADS as u64,
        "each thread blocked at least once, and ended since: {usage:?}"
    );
    assert!(usage.children.voluntary >= 1, "the child slept: {usage:?}");
}
