//! The model `event-loop-mt` (the work-stealing runtime, a worker per
//! core) in the experiment: its runners, its cpu rows paired with bare
//! threads, its io rows (the single loop's pool limit, https too, the
//! `--scale` sweep), its JSON, its summary sentences (the twist), its bar
//! in the chart, and the command line that asks for it. Small lists: the
//! bookkeeping is under test, never the speed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use handspun::report::json::JsonReport;
use handspun::report::summary::summarize;
use handspun::workloads::compare::{cores, DEFAULT_POOL_LIMIT};
use handspun::workloads::cpu::cpu_bound;
use handspun::workloads::progress::{NoProgress, Progress};
use handspun::workloads::runners::{run_cpu, RunSettings};
use handspun::workloads::{compare, CompareConfig, Model, RunResult, Workload, Yardstick};

/// Counts the jobs a runner reports done.
#[derive(Default)]
struct Done(AtomicU64);

impl Progress for Done {
    fn start(&self, _label: &str, _total: u64) {}
    fn advance(&self, done: u64) {
        self.0.fetch_add(done, Ordering::SeqCst);
    }
    fn finish(&self) {}
}

fn settings(workers: usize, trace: bool, progress: Arc<dyn Progress>) -> RunSettings {
    RunSettings {
        workers,
        pool_limit: DEFAULT_POOL_LIMIT,
        trace,
        progress,
        scheduler: None,
    }
}

#[test]
fn the_model_is_named_event_loop_mt_everywhere() {
    let model: Model = "event-loop-mt".parse().unwrap();
    assert_eq!(model, Model::EventLoopMt);
    assert_eq!(model.to_string(), "event-loop-mt");
    assert_eq!(
        serde_json::to_value(model).unwrap(),
        serde_json::json!("event-loop-mt")
    );
    assert!(Model::ALL.contains(&model), "in the default list");
    assert!(model.is_multi_core());
    assert!(!model.has_workers(), "--workers does not size it");
    let unknown = "event-loop-st".parse::<Model>().unwrap_err();
    assert!(unknown.to_string().contains("event-loop-mt"), "{unknown}");
}

#[test]
fn cpu_tasks_run_on_the_stealing_workers_in_list_order() {
    let numbers: Vec<u64> = (0..200).map(|i| i * 37 % 5_000).collect();
    let done = Arc::new(Done::default());
    let measured = run_cpu(
        Model::EventLoopMt,
        &numbers,
        &settings(2, true, done.clone()),
    )
    .unwrap();
    let expected: Vec<Result<u64, String>> = numbers.iter().map(|&n| Ok(cpu_bound(n))).collect();
    assert_eq!(measured.outcomes, expected);
    assert_eq!(done.0.load(Ordering::SeqCst), 200);
    // A span per task, on the track of one of the two workers (each task is
    // polled once: it never awaits, so it never moves).
    let spans = &measured.timeline.spans;
    assert_eq!(spans.len(), 200);
    for span in spans {
        assert!(
            span.track == "worker 0" || span.track == "worker 1",
            "{}",
            span.track
        );
    }
    assert!(spans.iter().any(|s| s.name == "cpu_bound(37)"));
}

#[test]
fn compare_pairs_the_cpu_row_with_bare_threads_and_matches_sync() {
    let config = CompareConfig {
        workloads: vec![Workload::Cpu],
        models: vec![Model::EventLoopMt, Model::Sync],
        cpu_scale: 0.002,
        cpu_runs: 3,
        ..CompareConfig::default()
    };
    let comparison = compare(&config, Arc::new(NoProgress)).unwrap();
    let models: Vec<Model> = comparison.results.iter().map(|r| r.model).collect();
    assert_eq!(models, [Model::Sync, Model::EventLoopMt], "sync runs first");
    let (sync, mt) = (&comparison.results[0], &comparison.results[1]);
    assert_eq!(mt.checksum, sync.checksum, "the same sums as sync");
    assert_eq!((mt.ok, mt.failed, mt.runs), (20, 0, 3));
    assert_eq!(mt.workers, cores(), "one worker per core");
    assert_eq!(mt.concurrency, cores());
    // Ideal: sync's time over the cores it can use.
    let ideal = mt.ideal_s.unwrap();
    let expected = sync.wall_s / cores() as f64;
    assert!((ideal - expected).abs() < 1e-9, "{ideal} vs {expected}");
    // Judged as threads and processes are: against bare threads run just
    // before it in every round.
    assert!(mt.share_of_yardstick.unwrap() > 0.0);
    assert!(sync.share_of_yardstick.is_none());
    assert!(comparison.yardstick.is_some());

    let json: serde_json::Value =
        serde_json::from_str(&JsonReport::new(comparison.cores, &comparison.results).to_json())
            .unwrap();
    let row = &json["results"][1];
    assert_eq!(row["model"], "event-loop-mt");
    assert_eq!(row["workload"], "cpu");
    assert_eq!(row["workers"], cores());
    assert!(row["share_of_yardstick"].as_f64().unwrap() > 0.0, "{row}");
    let fields = |i: usize| -> Vec<String> {
        json["results"][i]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(fields(1), fields(0), "the fields every other row has");
}

#[test]
fn compare_downloads_the_io_list_with_the_single_loops_pool_limit() {
    let config = CompareConfig {
        workloads: vec![Workload::Io],
        models: vec![Model::EventLoopMt, Model::Sync],
        requests: 6,
        pool_limit: 3,
        trace: true,
        ..CompareConfig::default()
    };
    let comparison = compare(&config, Arc::new(NoProgress)).unwrap();
    let models: Vec<Model> = comparison.results.iter().map(|r| r.model).collect();
    assert_eq!(models, [Model::Sync, Model::EventLoopMt]);
    let (sync, mt) = (&comparison.results[0], &comparison.results[1]);
    assert_eq!((mt.ok, mt.failed, mt.tasks), (6, 0, 6), "{:?}", mt.errors);
    assert_eq!(mt.checksum, sync.checksum, "the same bodies as sync");
    assert_eq!(mt.workers, cores());
    assert_eq!(mt.concurrency, 3, "the pool limit, as the single loop's");
    let opened = mt.connections_opened.unwrap();
    assert!((1..=3).contains(&opened), "{opened} connections, limit 3");
    assert!(mt.share_of_yardstick.is_none(), "io has no yardstick");
    assert!(mt.ideal_s.unwrap() > 0.0 && mt.speedup_vs_sync.unwrap() > 0.0);
    // The trace: a track per download (it may move between workers).
    let timeline = &comparison.timelines[1];
    assert_eq!(timeline.title, "io / event-loop-mt");
    assert_eq!(timeline.spans.len(), 6);
    for (i, span) in timeline.spans.iter().enumerate() {
        assert_eq!(span.track, format!("task {i}"));
        assert!(span.name.starts_with("GET http://"), "{}", span.name);
    }
}

#[cfg(feature = "tls")]
#[test]
fn the_io_list_over_https_works_on_the_stealing_runtime_too() {
    let config = CompareConfig {
        workloads: vec![Workload::Io],
        models: vec![Model::Sync, Model::EventLoopMt],
        requests: 4,
        tls: true,
        ..CompareConfig::default()
    };
    let comparison = compare(&config, Arc::new(NoProgress)).unwrap();
    let (sync, mt) = (&comparison.results[0], &comparison.results[1]);
    assert_eq!((mt.ok, mt.failed), (4, 0), "{:?}", mt.errors);
    assert_eq!(mt.checksum, sync.checksum);
}

/// A hand-made cpu row: `wall_s` against a sync of `sync_wall_s`.
fn cpu_row(model: Model, workers: usize, wall_s: f64, sync_wall_s: f64) -> RunResult {
    RunResult {
        workload: Workload::Cpu,
        model,
        workers,
        concurrency: workers,
        tasks: 20,
        ok: 20,
        failed: 0,
        wall_s,
        runs: 5,
        wall_min_s: wall_s,
        wall_max_s: wall_s,
        ideal_s: Some(sync_wall_s / workers.min(2) as f64),
        efficiency: Some(sync_wall_s / workers.min(2) as f64 / wall_s),
        speedup_vs_sync: Some(sync_wall_s / wall_s),
        share_of_yardstick: None,
        connections_opened: None,
        peak_rss_kib: 4096,
        checksum: 7,
        errors: Vec::new(),
    }
}

const BARE: Yardstick = Yardstick {
    threads: 2,
    wall_s: 0.0255,
    speedup_vs_sync: 1.96,
};

fn sentence_about(results: &[RunResult], prefix: &str) -> String {
    summarize(results, 2, &[], Some(&BARE))
        .into_iter()
        .find(|s| s.starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` sentence"))
}

#[test]
fn the_cpu_sentence_judges_the_target_and_tells_the_twist_from_the_numbers() {
    let mut mt = cpu_row(Model::EventLoopMt, 2, 0.026, 0.05);
    mt.share_of_yardstick = Some(0.97);
    let results = [
        cpu_row(Model::Sync, 1, 0.05, 0.05),
        cpu_row(Model::EventLoop, 1, 0.0505, 0.05),
        mt,
    ];
    let sentence = sentence_about(&results, "cpu / event-loop-mt: ");
    for phrase in [
        "1.92× sync with 2 workers, 97% of the speed of bare threads run beside it in each round (1.96× sync): the 90% target is reached",
        "an event loop with more threads does speed up CPU work when the work is split into tasks — 20 tasks on 2 workers, 1.92× sync (the single loop: 0.99× sync)",
        "a task that never yields still holds its thread",
        // sync's 50 ms over 20 sums: what each task held its worker for.
        "about 2.5 ms each",
    ] {
        assert!(sentence.contains(phrase), "expected `{phrase}` in:\n{sentence}");
    }

    // Other numbers, other words: short of the target, no single loop.
    let mut mt = cpu_row(Model::EventLoopMt, 2, 0.04, 0.05);
    mt.share_of_yardstick = Some(0.64);
    let results = [cpu_row(Model::Sync, 1, 0.05, 0.05), mt];
    let sentence = sentence_about(&results, "cpu / event-loop-mt: ");
    assert!(
        sentence.contains("1.25× sync with 2 workers, 64% of the speed")
            && sentence.contains("short of the 90% target")
            && sentence.contains("starting the workers")
            && sentence.contains("does speed up CPU work")
            && sentence.contains("about 2.5 ms each")
            && !sentence.contains("single loop"),
        "{sentence}"
    );

    // No gain in this run: the twist does not claim one.
    let mut mt = cpu_row(Model::EventLoopMt, 2, 0.051, 0.05);
    mt.share_of_yardstick = Some(0.95);
    let results = [cpu_row(Model::Sync, 1, 0.05, 0.05), mt];
    let sentence = sentence_about(&results, "cpu / event-loop-mt: ");
    assert!(
        sentence.contains("but this run does not show it — 20 tasks on 2 workers, 0.98× sync, where bare threads got 1.96×: the cores were free, and the runtime did not turn them into speed")
            && !sentence.contains("does speed up")
            && sentence.contains("a task that never yields still holds its thread"),
        "{sentence}"
    );
    // On a machine too busy even for bare threads, it says so instead.
    let busy = Yardstick {
        speedup_vs_sync: 1.02,
        ..BARE
    };
    let text = summarize(&results, 2, &[], Some(&busy)).join("\n");
    assert!(
        text.contains("0.98× sync, and bare threads 1.02×: the cores were not free for anyone"),
        "{text}"
    );
}

#[test]
fn the_io_sentence_sets_the_model_beside_the_single_loop() {
    let io = |model: Model, workers: usize, wall_s: f64| RunResult {
        workload: Workload::Io,
        concurrency: 100,
        connections_opened: Some(100),
        share_of_yardstick: None,
        ..cpu_row(model, workers, wall_s, 12.8)
    };
    let results = [
        io(Model::Sync, 1, 12.8),
        io(Model::EventLoop, 1, 0.21),
        io(Model::EventLoopMt, 2, 0.2),
    ];
    let sentence = sentence_about(&results, "io / event-loop-mt: ");
    assert!(
        sentence.contains("64.0× sync")
            && sentence.contains("on 2 worker threads, against 61.0× for the single loop")
            && sentence.contains("up to 100 downloads waited at once over 100 connection(s)"),
        "{sentence}"
    );
}

#[cfg(feature = "cli")]
#[test]
fn the_chart_has_a_labelled_bar_for_the_model() {
    use handspun::report::chart::{comparison_svg, model_color_hex};

    let results = [
        cpu_row(Model::Sync, 1, 0.05, 0.05),
        cpu_row(Model::EventLoopMt, 2, 0.026, 0.05),
    ];
    let svg = comparison_svg(&results).unwrap();
    let color = model_color_hex(Model::EventLoopMt);
    assert_ne!(color, model_color_hex(Model::EventLoop), "its own colour");
    assert!(
        svg.contains(&format!("fill=\"{color}\"")),
        "a bar in {color}"
    );
    assert!(svg.contains("event-loop-mt"), "its label");
}

/// The command line, run as a user would.
#[cfg(feature = "cli")]
mod cli {
    use std::process::{Command, Output};

    fn handspun(args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_handspun"))
            .args(args)
            .output()
            .expect("the handspun binary runs")
    }

    /// Runs `handspun compare ARGS --json FILE`, which must succeed, and
    /// gives back its stdout and the JSON report.
    fn compare_json(tag: &str, args: &[&str]) -> (String, serde_json::Value) {
        let dir = std::env::temp_dir().join(format!("handspun-mt-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let json = dir.join("r.json");
        let mut full = vec!["compare"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["--json", json.to_str().unwrap()]);
        let output = handspun(&full);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        (String::from_utf8_lossy(&output.stdout).into_owned(), report)
    }

    fn assert_usage_error(args: &[&str], hint: &str) {
        let output = handspun(args);
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
        assert!(
            message.contains(hint),
            "{args:?}: expected `{hint}` in:\n{message}"
        );
    }

    #[test]
    fn workers_cannot_size_it_and_the_message_says_why() {
        assert_usage_error(
            &["compare", "--models", "event-loop-mt", "--workers", "3"],
            "but event-loop-mt always has one worker per core; drop --workers",
        );
        assert_usage_error(
            &[
                "compare",
                "--models",
                "sync,event-loop-mt",
                "--workers",
                "3",
            ],
            "but sync runs on one thread, and event-loop-mt always has one worker per core",
        );
    }

    #[test]
    fn the_scheduler_flag_is_the_single_loops_only() {
        assert_usage_error(
            &[
                "compare",
                "--models",
                "sync,event-loop-mt",
                "--scheduler",
                "newest-ready",
            ],
            "event-loop-mt has no pluggable scheduler",
        );
    }

    #[test]
    fn a_tiny_scale_sweep_runs_it_with_a_worker_per_core() {
        let (_, report) = compare_json(
            "scale",
            &[
                "--workload",
                "io",
                "--models",
                "event-loop-mt",
                "--io-tasks",
                "2",
                "--scale",
                "--scale-sizes",
                "6",
                "--concurrency",
                "4",
            ],
        );
        let scale = report["scale"].as_array().unwrap();
        assert_eq!(scale.len(), 1, "{scale:?}");
        let row = &scale[0];
        assert_eq!(row["model"], "event-loop-mt", "{row}");
        assert_eq!(
            (row["tasks"].as_u64(), row["ok"].as_u64()),
            (Some(6), Some(6))
        );
        assert_eq!(
            row["concurrency"], 4,
            "--concurrency is its pool limit: {row}"
        );
        assert_eq!(row["workers"], report["cores"], "a worker per core: {row}");
        let peak = row["server_peak_connections"].as_u64().unwrap();
        assert!(
            (1..=4).contains(&peak),
            "never more than C in flight: {row}"
        );
        let io = &report["results"][0];
        assert_eq!(
            (io["model"].as_str(), io["ok"].as_u64()),
            (Some("event-loop-mt"), Some(2))
        );
    }

    #[test]
    fn models_accepts_it_and_the_json_has_its_cpu_row() {
        let (stdout, report) = compare_json(
            "cpu",
            &[
                "--workload",
                "cpu",
                "--quick",
                "--cpu-scale",
                "0.02",
                "--models",
                "sync,event-loop-mt",
            ],
        );
        let rows = report["results"].as_array().unwrap();
        let mt = rows.iter().find(|r| r["model"] == "event-loop-mt").unwrap();
        assert_eq!(mt["workers"], report["cores"], "{mt}");
        assert_eq!(mt["ok"], 20, "{mt}");
        assert!(mt["share_of_yardstick"].as_f64().unwrap() > 0.0, "{mt}");
        assert!(stdout.contains("event-loop-mt"), "a table row: {stdout}");
        assert!(
            stdout.contains("cpu / event-loop-mt: ") && stdout.contains("The twist: "),
            "{stdout}"
        );
    }

    #[test]
    fn download_runs_with_it_too() {
        let site =
            handspun::http::server::spawn_background("127.0.0.1:0".parse().unwrap()).unwrap();
        let url = site.url("/bytes/300?delay_ms=5");
        let output = handspun(&["download", "--model", "event-loop-mt", "--json", &url, &url]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(summary["model"], "event-loop-mt");
        assert_eq!(
            (summary["ok"].as_u64(), summary["bytes"].as_u64()),
            (Some(2), Some(600))
        );
        assert_usage_error(
            &[
                "download",
                "--model",
                "event-loop-mt",
                "--workers",
                "2",
                &url,
            ],
            "event-loop-mt always has one worker per core",
        );
    }
}
