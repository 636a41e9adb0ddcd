//! The command line, run as a user would: `target/.../handspun ARGS`.
//! Bad arguments exit 2 with a hint; `compare --quick` runs every model and
//! writes its reports; `download` works with every model against our own
//! slow-site server.

// The binary exists only with the `cli` feature (the default).
#![cfg(feature = "cli")]

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Command, Output};

use handspun::http::server;

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

/// What `compare` printed and the three reports it wrote into a scratch
/// folder of its own (removed on drop).
struct CompareRun {
    stdout: String,
    stderr: String,
    dir: PathBuf,
    json: PathBuf,
    svg: PathBuf,
    trace: PathBuf,
}

impl Drop for CompareRun {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `handspun compare ARGS --json --plot --trace` into a fresh scratch
/// folder and asserts that it succeeded.
fn compare_with_reports(name: &str, args: &[&str]) -> CompareRun {
    let dir = scratch(name);
    let (json, svg, trace) = (dir.join("r.json"), dir.join("c.svg"), dir.join("t.json"));
    let mut all_args = vec!["compare"];
    all_args.extend_from_slice(args);
    all_args.extend([
        "--json",
        json.to_str().unwrap(),
        "--plot",
        svg.to_str().unwrap(),
        "--trace",
        trace.to_str().unwrap(),
    ]);
    let output = handspun(&all_args);
    let run = CompareRun {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: stderr(&output),
        dir,
        json,
        svg,
        trace,
    };
    assert!(
        output.status.success(),
        "{args:?}: {}\n{}",
        run.stderr,
        run.stdout
    );
    run
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
    assert_usage_error(&["compare", "--cpu-runs", "0"], "at least 1");
    assert_usage_error(
        &["download", "--model", "sync", "--repeat", "0", "http://x/"],
        "at least 1",
    );
}

#[test]
fn a_negative_number_gets_the_same_message_with_or_without_equals() {
    for args in [
        &["compare", "--workers", "-1"][..],
        &["compare", "--workers=-1"],
        &["compare", "--cpu-runs", "-3"],
        &[
            "download",
            "--model",
            "threads",
            "--workers",
            "-1",
            "http://x/",
        ],
        &["download", "--model", "sync", "--repeat", "-2", "http://x/"],
    ] {
        assert_usage_error(args, "is not a whole number of at least 1; try e.g. 5");
    }
}

#[test]
fn urls_are_checked_as_arguments() {
    assert_usage_error(
        &["download", "--model", "sync", "ht!tp://nope"],
        "invalid URL `ht!tp://nope`: invalid scheme",
    );
    assert_usage_error(
        &["download", "--model", "sync", "http://127.0.0.1:1/", "nope"],
        "missing scheme",
    );
    if cfg!(feature = "tls") {
        assert_usage_error(
            &["download", "--model", "sync", "ftp://example.com/"],
            "only http:// and https:// are supported",
        );
    } else {
        assert_usage_error(
            &["download", "--model", "sync", "https://example.com/"],
            "only http:// is supported",
        );
    }
}

#[test]
fn workers_with_only_one_thread_models_is_refused() {
    let hint = "--workers sets the pool size of threads, processes and threads-gil";
    for model in ["sync", "event-loop"] {
        assert_usage_error(
            &["download", "--model", model, "--workers", "3", "http://x/"],
            hint,
        );
    }
    assert_usage_error(
        &["compare", "--models", "sync,event-loop", "--workers", "3"],
        "but sync and event-loop run on one thread",
    );
}

#[test]
fn download_help_names_every_pool_model_for_workers() {
    let output = handspun(&["download", "--help"]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    let workers = help.split("--workers").nth(1).expect("--workers in help");
    let workers = workers.split("--repeat").next().unwrap_or_default();
    for model in ["threads", "processes", "threads-gil"] {
        assert!(workers.contains(model), "{model} missing from:\n{workers}");
    }
}

#[test]
fn the_chart_must_be_named_svg() {
    assert_usage_error(
        &["compare", "--workload", "cpu", "--plot", "out.png"],
        "does not end in .svg",
    );
    assert_usage_error(&["compare", "--plot", "chart"], "try e.g. chart.svg");
}

#[test]
fn a_name_that_does_not_resolve_says_so() {
    // `.invalid` never resolves (RFC 6761): the resolver answers at once,
    // no server is ever contacted.
    let output = handspun(&[
        "download",
        "--model",
        "sync",
        "--json",
        "http://nope.invalid/",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let error = summary["errors"][0]["error"].as_str().unwrap();
    assert!(
        error.starts_with("could not resolve the host name `nope.invalid`"),
        "{error}"
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
fn an_output_folder_that_does_not_exist_exits_2_before_measuring() {
    assert_usage_error(
        &[
            "compare",
            "--workload",
            "cpu",
            "--json",
            "/nonexistent-handspun-dir/r.json",
        ],
        "does not exist",
    );
}

#[test]
fn compare_cpu_quick_writes_json_chart_and_trace() {
    let run = compare_with_reports("cpu", &["--workload", "cpu", "--quick", "--models", "sync"]);
    assert!(run.stdout.starts_with("workload"), "{}", run.stdout);
    assert!(run.stdout.contains("cpu: only sync ran"), "{}", run.stdout);

    let report = read_json(&run.json);
    let rows = report["results"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["tasks"], 20);
    assert_eq!(rows[0]["ok"], 20);
    // --quick runs the cpu list 3 times; the row is the median run.
    assert_eq!(rows[0]["runs"], 3);
    let wall = |field: &str| rows[0][field].as_f64().unwrap();
    assert!(wall("wall_min_s") <= wall("wall_s") && wall("wall_s") <= wall("wall_max_s"));
    // The yardstick: bare threads, one per core, against the same sync.
    let bare = &report["cpu_bare_threads"];
    assert_eq!(bare["threads"], report["cores"]);
    assert!(bare["wall_s"].as_f64().unwrap() > 0.0);
    assert!(run.stdout.contains("cpu yardstick: "), "{}", run.stdout);
    assert!(std::fs::read_to_string(&run.svg).unwrap().contains("<svg"));
    let trace = read_json(&run.trace);
    let spans = trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "X")
        .count();
    assert_eq!(spans, 20, "one span per cpu job (of the median run only)");
}

#[test]
fn cpu_runs_sets_the_repetitions() {
    let run = compare_with_reports(
        "runs",
        &[
            "--workload",
            "cpu",
            "--models",
            "processes,threads",
            "--cpu-scale",
            "0.02",
            "--cpu-runs",
            "2",
        ],
    );
    let report = read_json(&run.json);
    let rows = report["results"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        assert_eq!(row["runs"], 2, "{row}");
        assert_eq!(row["ok"], 20, "{row}");
    }
    // Without sync there is no baseline, so no yardstick either.
    assert!(report.get("cpu_bare_threads").is_none(), "{report}");
    assert!(!run.stdout.contains("cpu yardstick"), "{}", run.stdout);
}

#[test]
fn cpu_on_the_event_loop_prints_no_slow_poll_per_task() {
    // At scale 6 each task computes for well over the loop's 100 ms
    // slow-poll threshold (debug build), so a warning per task would show.
    let output = handspun(&[
        "compare",
        "--workload",
        "cpu",
        "--models",
        "event-loop",
        "--cpu-scale",
        "6",
    ]);
    let message = stderr(&output);
    assert!(output.status.success(), "{message}");
    assert!(!message.contains("slow poll"), "{message}");
}

fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

const MODELS: [&str; 6] = [
    "sync",
    "threads",
    "event-loop",
    "processes",
    "threads-gil",
    "event-loop-mt",
];

#[test]
fn compare_quick_runs_every_model_and_its_reports_add_up() {
    let run = compare_with_reports(
        "compare",
        &["--quick", "--requests", "12", "--cpu-scale", "0.05"],
    );
    assert!(
        run.stdout.contains("io: ") && run.stdout.contains("cpu: "),
        "{}",
        run.stdout
    );

    let report = read_json(&run.json);
    let rows = report["results"].as_array().unwrap();
    for row in rows {
        assert_eq!(
            row["ok"].as_u64().unwrap() + row["failed"].as_u64().unwrap(),
            row["tasks"].as_u64().unwrap(),
            "{row}"
        );
        assert_eq!(row["failed"], 0, "{row}");
        assert!(row["wall_s"].as_f64().unwrap() > 0.0);
        assert!(row["peak_rss_kib"].as_u64().unwrap() > 0);
    }
    // Each multi-core cpu row is judged against the yardstick of this run.
    assert!(
        report["cpu_bare_threads"]["speedup_vs_sync"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    for model in ["threads", "processes", "event-loop-mt"] {
        let said = format!("cpu / {model}: ");
        let sentence = run.stdout.lines().find(|line| line.starts_with(&said));
        let sentence = sentence.unwrap_or_else(|| panic!("no `{said}` in:\n{}", run.stdout));
        assert!(
            sentence.contains("of the speed of bare threads run beside it in each round")
                && sentence.contains("90% target"),
            "{sentence}"
        );
        // Judged on the per-round pairs, which the JSON carries.
        let row = rows
            .iter()
            .find(|r| r["workload"] == "cpu" && r["model"] == model)
            .unwrap();
        let share = row["share_of_yardstick"].as_f64().unwrap();
        assert!(share > 0.0, "{row}");
    }
    let sync_cpu = rows
        .iter()
        .find(|r| r["workload"] == "cpu" && r["model"] == "sync")
        .unwrap();
    assert!(sync_cpu["share_of_yardstick"].is_null(), "{sync_cpu}");
    // cpu runs first, but the rows tell the tutorial's story: io, then cpu.
    let first_cpu = rows.iter().position(|r| r["workload"] == "cpu").unwrap();
    assert!(rows[..first_cpu].iter().all(|r| r["workload"] == "io"));
    assert!(rows[first_cpu..].iter().all(|r| r["workload"] == "cpu"));
    assert!(first_cpu > 0, "io rows come first");
    let of = |workload: &str| -> Vec<&serde_json::Value> {
        rows.iter().filter(|r| r["workload"] == workload).collect()
    };
    let io_models: HashSet<&str> = of("io")
        .iter()
        .map(|r| r["model"].as_str().unwrap())
        .collect();
    let cpu_models: HashSet<&str> = of("cpu")
        .iter()
        .map(|r| r["model"].as_str().unwrap())
        .collect();
    assert_eq!(cpu_models, MODELS.into_iter().collect());
    assert!(
        MODELS[..4]
            .iter()
            .chain(&["event-loop-mt"])
            .all(|m| io_models.contains(m)),
        "{io_models:?}"
    );
    // Every model computed the same sums and downloaded the same bodies.
    for workload in ["io", "cpu"] {
        let sums: HashSet<u64> = of(workload)
            .iter()
            .map(|r| r["checksum"].as_u64().unwrap())
            .collect();
        assert_eq!(sums.len(), 1, "{workload} checksums differ: {sums:?}");
    }
    // io: connections are counted; sync reuses one keep-alive connection.
    let sync_io = of("io").into_iter().find(|r| r["model"] == "sync").unwrap();
    assert_eq!(sync_io["connections_opened"], 1);

    let chart = std::fs::read_to_string(&run.svg).unwrap();
    for model in MODELS {
        assert!(
            chart.contains(&format!(">{model}<")) || chart.contains(model),
            "{model} missing from chart"
        );
    }
    let trace = read_json(&run.trace);
    let events = trace["traceEvents"].as_array().unwrap();
    let processes: HashSet<&str> = events
        .iter()
        .filter(|e| e["name"] == "process_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    for model in MODELS {
        assert!(
            processes.contains(format!("cpu / {model}").as_str()),
            "{processes:?}"
        );
    }
    let pid_with_spans: HashSet<u64> = events
        .iter()
        .filter(|e| e["ph"] == "X")
        .map(|e| e["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(pid_with_spans.len(), processes.len(), "every run has spans");
    assert!(
        events
            .iter()
            .any(|e| e["ph"] == "i" && e["name"] == "ready"),
        "event-loop ready marks"
    );
}

#[test]
fn download_works_with_every_model_against_our_server() {
    let site = server::spawn_background("127.0.0.1:0".parse().unwrap()).unwrap();
    let url = format!("http://{}/bytes/300?delay_ms=5", site.addr());
    for model in ["sync", "threads", "event-loop", "processes"] {
        let mut args = vec!["download", "--model", model, "--repeat", "3", &url];
        if model == "threads" || model == "processes" {
            args.extend(["--workers", "2"]);
        }
        let output = handspun(&args);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{model}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            stdout.matches(&format!("Read 300 from {url}")).count(),
            3,
            "{model}: {stdout}"
        );
        assert!(stdout.contains("Downloaded 3 in "), "{model}: {stdout}");

        let output = handspun(&["download", "--model", model, "--json", &url, &url]);
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(summary["model"], model);
        assert_eq!(
            (summary["requests"].as_u64(), summary["ok"].as_u64()),
            (Some(2), Some(2))
        );
        assert_eq!(summary["bytes"], 600);
        assert!(summary["connections_opened"].as_u64().unwrap() >= 1);
        assert!(summary["errors"].as_array().unwrap().is_empty());
    }
}

#[test]
fn failed_downloads_exit_1_and_say_why() {
    let site = server::spawn_background("127.0.0.1:0".parse().unwrap()).unwrap();
    let missing = format!("http://{}/status/404", site.addr());
    let output = handspun(&["download", "--model", "sync", "--json", &missing]);
    assert_eq!(output.status.code(), Some(1));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["failed"], 1);
    assert_eq!(summary["errors"][0]["url"], missing.as_str());
    assert!(summary["errors"][0]["error"]
        .as_str()
        .unwrap()
        .contains("404"));
}

#[test]
fn serve_announces_its_address_serves_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let mut child = Command::new(env!("CARGO_BIN_EXE_handspun"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("handspun serve starts");
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let base = first_line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first_line:?}"))
        .to_string();
    let page = handspun::http::blocking::Session::new()
        .get(&format!("{base}/bytes/26"))
        .unwrap();
    assert_eq!(page.body, b"abcdefghijklmnopqrstuvwxyz");

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    // Bounded wait: the server stops within a few seconds of SIGTERM.
    let pid = child.id().to_string();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait());
    });
    match done_rx.recv_timeout(std::time::Duration::from_secs(10)) {
        Ok(status) => assert!(status.unwrap().success()),
        Err(_) => {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            panic!("handspun serve did not stop on SIGTERM");
        }
    }
}

#[test]
fn serve_refuses_a_connection_cap_the_descriptor_limit_cannot_hold() {
    let output = handspun(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--max-connections",
        "4000000000",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("file descriptors"), "{stderr}");
    let zero = handspun(&["serve", "--max-connections", "0"]);
    assert_eq!(zero.status.code(), Some(2), "a cap of 0 is a bad argument");
}
