//! The reports: table, JSON shape, summary sentences, SVG charts, trace.
//! Built from hand-made result rows: no runtime runs here.

#[cfg(feature = "cli")]
use handspun::report::chart::{comparison_svg, model_color_hex, sweep_svg};
use handspun::report::json::JsonReport;
use handspun::report::summary::{summarize, yardstick_sentence};
use handspun::report::table::render;
use handspun::report::trace::{chrome_trace, Mark, Span, Timeline};
use handspun::workloads::{Model, RunResult, TaskError, Workload, Yardstick};

fn row(
    workload: Workload,
    model: Model,
    workers: usize,
    wall_s: f64,
    sync_wall_s: f64,
) -> RunResult {
    RunResult {
        workload,
        model,
        workers,
        concurrency: workers,
        tasks: 20,
        ok: 20,
        failed: 0,
        wall_s,
        runs: 1,
        wall_min_s: wall_s,
        wall_max_s: wall_s,
        ideal_s: Some(sync_wall_s / workers.min(2) as f64),
        efficiency: Some(sync_wall_s / workers.min(2) as f64 / wall_s),
        speedup_vs_sync: Some(sync_wall_s / wall_s),
        share_of_yardstick: None,
        connections_opened: (workload == Workload::Io).then_some(workers as u64),
        peak_rss_kib: 4096,
        checksum: 42,
        errors: Vec::new(),
    }
}

/// A plausible comparison on 2 cores.
fn sample() -> Vec<RunResult> {
    vec![
        row(Workload::Io, Model::Sync, 1, 12.9, 12.9),
        row(Workload::Io, Model::Threads, 5, 2.7, 12.9),
        row(Workload::Io, Model::EventLoop, 1, 0.25, 12.9),
        row(Workload::Io, Model::Processes, 2, 6.5, 12.9),
        row(Workload::Cpu, Model::Sync, 1, 4.0, 4.0),
        row(Workload::Cpu, Model::Threads, 5, 2.05, 4.0),
        row(Workload::Cpu, Model::EventLoop, 1, 4.02, 4.0),
        row(Workload::Cpu, Model::Processes, 2, 2.1, 4.0),
        row(Workload::Cpu, Model::ThreadsGil, 5, 4.4, 4.0),
        row(Workload::Cpu, Model::EventLoopMt, 2, 2.16, 4.0),
    ]
}

const CONTRACT_FIELDS: [&str; 14] = [
    "workload",
    "model",
    "workers",
    "concurrency",
    "tasks",
    "ok",
    "failed",
    "wall_s",
    "ideal_s",
    "efficiency",
    "speedup_vs_sync",
    "connections_opened",
    "peak_rss_kib",
    "errors",
];

#[test]
fn json_has_the_contract_shape() {
    let results = sample();
    let value: serde_json::Value =
        serde_json::from_str(&JsonReport::new(2, &results).to_json()).unwrap();
    let top: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(top, ["cores", "results", "version"]);
    assert_eq!(value["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(value["cores"], 2);
    let rows = value["results"].as_array().unwrap();
    assert_eq!(rows.len(), results.len());
    for row in rows {
        for field in CONTRACT_FIELDS {
            assert!(row.get(field).is_some(), "missing {field} in {row}");
        }
    }
    assert_eq!(rows[1]["model"], "threads");
    assert_eq!(rows[2]["model"], "event-loop");
    assert_eq!(rows[1]["workload"], "io");
    assert_eq!(rows[1]["connections_opened"], 5);
    assert!(
        rows[4]["connections_opened"].is_null(),
        "cpu opens no connection"
    );
    assert_eq!(rows[1]["wall_s"], 2.7);
}

#[test]
fn json_keeps_every_error() {
    let mut failing = row(Workload::Io, Model::Threads, 5, 2.7, 12.9);
    failing.ok = 19;
    failing.failed = 1;
    failing.errors.push(TaskError {
        task: 3,
        job: "http://127.0.0.1:1/bytes/1024".into(),
        error: "connection refused".into(),
    });
    assert!(failing.adds_up());
    let text = JsonReport::new(2, std::slice::from_ref(&failing)).to_json();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["results"][0]["errors"][0]["task"], 3);
    assert_eq!(
        value["results"][0]["errors"][0]["error"],
        "connection refused"
    );
}

#[test]
fn table_is_aligned_with_units() {
    let text = render(&sample());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + sample().len());
    assert!(lines[0].starts_with("workload") && lines[0].contains("peak RSS"));
    // Right-aligned numbers: every row of a fixed-width table ends in the same column.
    let width = lines[0].chars().count();
    assert!(lines.iter().all(|l| l.chars().count() == width), "{text}");
    assert!(
        lines[1].contains("12.90 s") && lines[1].contains("4.0 MiB"),
        "{}",
        lines[1]
    );
    assert!(
        lines[3].contains("0.250 s") && lines[3].contains("51.60×"),
        "{}",
        lines[3]
    );
}

/// The bare threads of a plausible run on 2 cores: 1.96× sync.
const BARE: Yardstick = Yardstick {
    threads: 2,
    wall_s: 2.04,
    speedup_vs_sync: 1.96,
};

/// Summarizes `results` and `sweep` as on 2 cores, against [`BARE`], and
/// asserts that the text says every one of `phrases`.
fn assert_summary_says(results: &[RunResult], sweep: &[RunResult], phrases: &[&str]) {
    let text = summarize(results, 2, sweep, Some(&BARE)).join("\n");
    for phrase in phrases {
        assert!(text.contains(phrase), "expected `{phrase}` in:\n{text}");
    }
}

/// Sweep rows: io under `threads`, one per (pool size, wall time), each
/// against a one-thread run of 12.9 s.
fn sweep_rows(points: &[(usize, f64)]) -> Vec<RunResult> {
    points
        .iter()
        .map(|&(workers, wall)| row(Workload::Io, Model::Threads, workers, wall, 12.9))
        .collect()
}

#[test]
fn sentences_follow_the_numbers() {
    assert_summary_says(
        &sample(),
        &[],
        &[
            "io: event-loop won, 0.250 s for 20 downloads, 51.6× faster than sync",
            "cpu: threads won",
            "cpu / threads: 1.95× sync with 5 workers, 100% of the speed of bare threads in the same run (1.96× sync): the 90% target is reached",
            "no GIL",
            "cpu / processes: 1.90× sync with 2 workers, 97% of the speed of bare threads in the same run (1.96× sync)",
            "cpu / event-loop: no gain",
            "cpu / threads-gil: 0.91× sync",
            "Python",
        ],
    );

    // Change the numbers, and the sentences change with them.
    let mut slow = sample();
    slow[5] = row(Workload::Cpu, Model::Threads, 5, 3.9, 4.0);
    assert_summary_says(
        &slow,
        &[],
        &[
            "cpu / threads: 1.03× sync with 5 workers, 52% of the speed of bare threads in the same run (1.96× sync): short of the 90% target",
            "cpu: processes won",
        ],
    );
}

#[test]
fn the_cpu_target_uses_the_per_round_pairs_when_measured() {
    // The medians say 1.60 / 1.96 = 82 %, but the pairs (each run against
    // the bare threads just before it) say 93 %: the pairs decide.
    let mut results = sample();
    results[5] = row(Workload::Cpu, Model::Threads, 5, 2.5, 4.0);
    results[5].share_of_yardstick = Some(0.93);
    let text = summarize(&results, 2, &[], Some(&BARE)).join("\n");
    assert!(
        text.contains("cpu / threads: 1.60× sync with 5 workers, 93% of the speed of bare threads run beside it in each round (1.96× sync): the 90% target is reached"),
        "{text}"
    );
    // And a pair-median below 0.9 misses, whatever the medians say.
    results[5] = row(Workload::Cpu, Model::Threads, 5, 2.05, 4.0);
    results[5].share_of_yardstick = Some(0.85);
    let text = summarize(&results, 2, &[], Some(&BARE)).join("\n");
    assert!(
        text.contains("85% of the speed of bare threads run beside it"),
        "{text}"
    );
    assert!(text.contains("short of the 90% target"), "{text}");
    // The JSON carries the share for the rows that have one, null elsewhere.
    let value: serde_json::Value =
        serde_json::from_str(&JsonReport::new(2, &results).to_json()).unwrap();
    let rows = value["results"].as_array().unwrap();
    assert_eq!(rows[5]["share_of_yardstick"], 0.85);
    assert!(rows[4]["share_of_yardstick"].is_null(), "{}", rows[4]);
}

#[test]
fn the_cpu_target_is_relative_to_the_yardstick_of_the_same_run() {
    // 1.60x on two cores is short of 0.9 x 2 cores, but bare threads beside
    // it reached only 1.70x: 94 % of that, so the target is reached.
    let mut results = sample();
    results[5] = row(Workload::Cpu, Model::Threads, 5, 2.5, 4.0);
    let busy = Yardstick {
        speedup_vs_sync: 1.70,
        ..BARE
    };
    let text = summarize(&results, 2, &[], Some(&busy)).join("\n");
    assert!(
        text.contains("cpu / threads: 1.60× sync with 5 workers, 94% of the speed of bare threads in the same run (1.70× sync): the 90% target is reached"),
        "{text}"
    );
    assert!(text.contains("on a machine too busy"), "{text}");
    // Just below 0.9 of the yardstick: missed.
    results[5] = row(Workload::Cpu, Model::Threads, 5, 2.7, 4.0);
    let text = summarize(&results, 2, &[], Some(&busy)).join("\n");
    assert!(
        text.contains(
            "87% of the speed of bare threads in the same run (1.70× sync): the 90% target is missed"
        ),
        "{text}"
    );
    // The same shortfall on an idle machine is the pool's own.
    results[5] = row(Workload::Cpu, Model::Threads, 5, 2.4, 4.0);
    let text = summarize(&results, 2, &[], Some(&BARE)).join("\n");
    assert!(
        text.contains("85% of the speed of bare threads in the same run (1.96× sync)"),
        "{text}"
    );
    assert!(
        text.contains("short of the 90% target — the rest went to starting the threads"),
        "{text}"
    );
    // Without a yardstick there is nothing to judge by, and it says so.
    let text = summarize(&results, 2, &[], None).join("\n");
    assert!(text.contains("no bare-thread yardstick"), "{text}");
    assert!(!text.contains("target is reached"), "{text}");
    // One worker has nothing to run in parallel: no target either.
    results[5] = row(Workload::Cpu, Model::Threads, 1, 4.0, 4.0);
    let text = summarize(&results, 2, &[], Some(&busy)).join("\n");
    assert!(text.contains("with one usable core"), "{text}");
}

#[test]
fn the_yardstick_sentence_says_what_the_machine_allowed_and_how_rows_were_measured() {
    let bare = Yardstick {
        threads: 2,
        wall_s: 2.0,
        speedup_vs_sync: 2.0,
    };
    let sentence = yardstick_sentence(Some(&bare), &sample()).unwrap();
    assert!(sentence.contains("took 2.000 s, 2.00× sync"), "{sentence}");
    assert!(
        sentence.contains("median of 1 round(s), every model and the bare threads taking turns"),
        "{sentence}"
    );
    assert!(
        sentence.contains("bare threads just before each multi-core model"),
        "{sentence}"
    );
    assert!(!sentence.contains("something else"), "{sentence}");

    // What bare threads reached says whether the machine was free: short of
    // 90 % of two cores, something took them; beyond two cores' worth, sync
    // itself was the slow one; a little above 2x is measurement noise.
    for (speedup, warning) in [
        (1.3, Some("something else was using the cores")),
        (2.3, Some("something else slowed sync's runs")),
        (2.08, None),
    ] {
        let measured = Yardstick {
            speedup_vs_sync: speedup,
            ..bare
        };
        let sentence = yardstick_sentence(Some(&measured), &sample()).unwrap();
        match warning {
            Some(warning) => assert!(sentence.contains(warning), "{speedup}: {sentence}"),
            None => assert!(
                !sentence.contains("something else"),
                "{speedup}: {sentence}"
            ),
        }
    }
}

#[test]
fn sentences_report_failures() {
    let mut results = sample();
    results[1].ok = 18;
    results[1].failed = 2;
    results[1].errors = vec![
        TaskError {
            task: 0,
            job: "a".into(),
            error: "timed out".into(),
        },
        TaskError {
            task: 1,
            job: "b".into(),
            error: "reset".into(),
        },
    ];
    assert_summary_says(
        &results,
        &[],
        &["io / threads: 2 of 20 jobs failed (first error: timed out)"],
    );
}

#[test]
fn sweep_sentence_names_where_threads_stop_helping() {
    let sweep = sweep_rows(&[
        (1, 12.9),
        (2, 6.5),
        (5, 2.7),
        (10, 1.4),
        (32, 0.62),
        (64, 0.6),
    ]);
    assert_summary_says(
        &[],
        &sweep,
        &[
            "sweep: 32 threads came within 10% of the best time (0.600 s with 64 threads)",
            "From 5 to 10 threads (the tutorial's advice) the time went from 2.700 s to 1.400 s.",
        ],
    );
}

#[test]
fn sweep_sentence_when_every_size_helps() {
    let sweep = sweep_rows(&[(1, 12.9), (5, 2.6), (10, 1.3), (32, 0.47), (64, 0.28)]);
    assert_summary_says(
        &[],
        &sweep,
        &[
            "sweep: every size helped, up to 64 threads (0.280 s)",
            "32 → 64 threads: 0.470 s → 0.280 s",
        ],
    );
}

/// A small well-formedness check for the XML that plotters writes: every
/// tag closes, in order, and there is one root element.
#[cfg(feature = "cli")]
fn assert_well_formed_xml(text: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let close = rest[open..].find('>').expect("unterminated tag") + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(top, name.trim(), "mismatched closing tag");
            continue;
        }
        let name = tag
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches('/')
            .to_string();
        assert!(!name.is_empty(), "empty tag");
        if stack.is_empty() {
            roots += 1;
        }
        if !tag.ends_with('/') {
            stack.push(name);
        }
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "unbalanced quotes in <{tag}>"
        );
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
    assert_eq!(roots, 1, "one root element");
}

#[cfg(feature = "cli")]
fn rects_filled_with(svg: &str, color: &str) -> usize {
    svg.match_indices("<rect")
        .filter(|(at, _)| {
            let end = svg[*at..].find('>').unwrap() + at;
            svg[*at..end].contains(&format!("fill=\"{color}\""))
        })
        .count()
}

#[cfg(feature = "cli")]
#[test]
fn comparison_chart_is_svg_with_a_bar_per_model_and_its_labels() {
    let results = sample();
    let svg = comparison_svg(&results).unwrap();
    assert!(svg.trim_start().starts_with("<svg"), "{}", &svg[..80]);
    assert_well_formed_xml(&svg);
    for model in Model::ALL {
        let expected = results.iter().filter(|r| r.model == model).count();
        assert_eq!(
            rects_filled_with(&svg, &model_color_hex(model)),
            expected,
            "{model}"
        );
        assert!(
            svg.contains(&format!(">{model}<")) || svg.contains(&format!(">\n{model}\n<")),
            "label {model}"
        );
    }
    // Text is written as <text> elements: captions and value labels.
    assert!(svg.contains("<text"));
    assert!(svg.contains("io: wall time per model"));
    assert!(svg.contains("12.90 s"));
}

#[cfg(feature = "cli")]
#[test]
fn empty_results_make_no_chart() {
    assert!(comparison_svg(&[]).is_err());
    assert!(sweep_svg(&[]).is_err());
}

#[cfg(feature = "cli")]
#[test]
fn sweep_chart_is_well_formed_svg() {
    let sweep: Vec<RunResult> = [1, 2, 4, 8, 16, 32, 64]
        .into_iter()
        .map(|w| row(Workload::Io, Model::Threads, w, 12.9 / w as f64 + 0.1, 12.9))
        .collect();
    let svg = sweep_svg(&sweep).unwrap();
    assert_well_formed_xml(&svg);
    assert!(svg.contains("worker threads") && svg.contains("measured") && svg.contains("ideal"));
    // One dot per pool size.
    assert_eq!(svg.matches("<circle").count(), sweep.len());
}

#[test]
fn trace_has_a_track_per_task_spans_and_ready_marks() {
    let mut run = Timeline::new("io / event-loop", 1_000);
    for task in 0..3u64 {
        run.marks.push(Mark {
            track: format!("task {task}"),
            name: "ready".into(),
            at_us: task * 10,
        });
        run.spans.push(Span {
            track: format!("task {task}"),
            name: "poll".into(),
            start_us: task * 10 + 5,
            dur_us: 3,
        });
    }
    let mut other = Timeline::new("cpu / threads", 9_000);
    other.spans.push(Span {
        track: "worker 0".into(),
        name: "cpu_bound(9)".into(),
        start_us: 0,
        dur_us: 50,
    });
    let text = chrome_trace(&[run, other]).to_string();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let events = value["traceEvents"].as_array().unwrap();
    let named = |pid: u64, name: &str| {
        events
            .iter()
            .any(|e| e["ph"] == "M" && e["pid"] == pid && e["args"]["name"] == name)
    };
    assert!(named(1, "io / event-loop") && named(2, "cpu / threads"));
    assert!(named(1, "task 0") && named(1, "task 2") && named(2, "worker 0"));
    let spans: Vec<_> = events.iter().filter(|e| e["ph"] == "X").collect();
    assert_eq!(spans.len(), 4);
    // Offsets put each run at its place in the whole comparison.
    assert!(spans
        .iter()
        .any(|e| e["pid"] == 1 && e["ts"] == 1_005 && e["dur"] == 3));
    assert!(spans.iter().any(|e| e["pid"] == 2 && e["ts"] == 9_000));
    let marks: Vec<_> = events.iter().filter(|e| e["ph"] == "i").collect();
    assert_eq!(marks.len(), 3);
    assert!(marks.iter().all(|e| e["name"] == "ready" && e["s"] == "t"));
    // Each task has its own thread id within the run.
    let tids: std::collections::HashSet<_> = marks.iter().map(|e| e["tid"].as_u64()).collect();
    assert_eq!(tids.len(), 3);
}

#[test]
fn trace_tracks_are_in_natural_order() {
    let mut run = Timeline::new("io / event-loop", 0);
    for task in [10u64, 2, 1] {
        run.spans.push(Span {
            track: format!("task {task}"),
            name: "poll".into(),
            start_us: task,
            dur_us: 1,
        });
    }
    let value = chrome_trace(&[run]);
    let names: Vec<&str> = value["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["task 1", "task 2", "task 10"]);
}

#[test]
fn a_tie_with_sync_is_not_called_a_win() {
    let results = vec![
        row(Workload::Cpu, Model::Sync, 1, 4.0, 4.0),
        row(Workload::Cpu, Model::EventLoop, 1, 3.95, 4.0),
    ];
    assert_summary_says(&results, &[], &["cpu: no model beat sync by more than 5%"]);
}

#[test]
fn the_gil_sentence_says_slower_only_when_it_was() {
    let mut results = sample();
    results[8] = row(Workload::Cpu, Model::ThreadsGil, 5, 4.1, 4.0);
    assert_summary_says(&results, &[], &["cpu / threads-gil: no gain (0.98× sync)"]);
    assert_summary_says(&sample(), &[], &["cpu / threads-gil: 0.91× sync, slower"]);
}

#[test]
fn a_lone_model_is_not_said_to_win() {
    let results = vec![row(Workload::Io, Model::Sync, 1, 1.6, 1.6)];
    assert_summary_says(
        &results,
        &[],
        &["io: only sync ran: 1.600 s for 20 downloads."],
    );
}

#[test]
fn an_impossible_one_thread_gain_is_called_noise() {
    let results = vec![
        row(Workload::Cpu, Model::Sync, 1, 6.0, 6.0),
        row(Workload::Cpu, Model::EventLoop, 1, 4.0, 6.0),
        row(Workload::Cpu, Model::ThreadsGil, 5, 4.0, 6.0),
    ];
    assert_summary_says(
        &results,
        &[],
        &[
            "cpu / event-loop: 1.50× sync, which one thread cannot gain",
            "cpu / threads-gil: 1.50× sync, which one computing thread",
        ],
    );
}
