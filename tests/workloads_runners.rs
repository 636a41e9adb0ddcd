//! Every runner, called directly. cpu: the same results as `cpu_bound`, in
//! list order, one progress tick and (when tracing) one span per job. io
//! (against our own slow site, with short delays): bodies checked,
//! connections counted, failures kept in place with their error. And
//! `compare` itself on a tiny cpu list: repeated runs, medians, the
//! yardstick.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use handspun::workloads::compare::DEFAULT_POOL_LIMIT;
use handspun::workloads::cpu::cpu_bound;
use handspun::workloads::progress::Progress;
use handspun::workloads::runners::{run_cpu, RunSettings};
use handspun::workloads::Model;

/// Counts what a runner reports.
#[derive(Default)]
struct Counter {
    started: AtomicU64,
    /// Jobs announced: every phase's total.
    announced: AtomicU64,
    advanced: AtomicU64,
    finished: AtomicU64,
}

impl Progress for Counter {
    fn start(&self, _label: &str, total: u64) {
        self.started.fetch_add(1, Ordering::SeqCst);
        self.announced.fetch_add(total, Ordering::SeqCst);
    }
    fn advance(&self, done: u64) {
        self.advanced.fetch_add(done, Ordering::SeqCst);
    }
    fn finish(&self) {
        self.finished.fetch_add(1, Ordering::SeqCst);
    }
}

fn settings(workers: usize, trace: bool, progress: Arc<Counter>) -> RunSettings {
    RunSettings {
        workers,
        pool_limit: DEFAULT_POOL_LIMIT,
        trace,
        progress,
        scheduler: None,
    }
}

/// Small, distinct numbers: the runners' bookkeeping is under test, not speed.
const NUMBERS: [u64; 7] = [10_000, 3, 0, 20_000, 4_097, 1, 12_345];

#[test]
fn the_event_loop_gathers_several_spawn_batches_in_list_order() {
    // More tasks than the runner spawns before it yields the loop (1024),
    // so the gathering spans several batches.
    let numbers: Vec<u64> = (0..3_000).map(|i| i % 97).collect();
    let counter = Arc::new(Counter::default());
    let measured = run_cpu(
        Model::EventLoop,
        &numbers,
        &settings(1, false, Arc::clone(&counter)),
    )
    .unwrap();
    let expected: Vec<Result<u64, String>> = numbers.iter().map(|&n| Ok(cpu_bound(n))).collect();
    assert_eq!(measured.outcomes, expected);
    assert_eq!(counter.advanced.load(Ordering::SeqCst), 3_000);
}

#[test]
fn every_model_computes_the_same_results_in_list_order() {
    let expected: Vec<Result<u64, String>> = NUMBERS.iter().map(|&n| Ok(cpu_bound(n))).collect();
    for model in Model::ALL {
        let counter = Arc::new(Counter::default());
        let measured = run_cpu(model, &NUMBERS, &settings(3, false, Arc::clone(&counter)))
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        assert_eq!(measured.outcomes, expected, "{model}");
        assert_eq!(
            counter.advanced.load(Ordering::SeqCst),
            NUMBERS.len() as u64,
            "{model}"
        );
        assert_eq!(
            measured.connections_opened, None,
            "{model}: cpu opens no connection"
        );
        assert!(measured.peak_rss_kib > 0, "{model}");
        assert!(
            measured.timeline.spans.is_empty(),
            "{model}: no trace unless asked"
        );
    }
}

#[test]
fn tracing_records_a_span_per_job_on_the_models_tracks() {
    for model in Model::ALL {
        let measured = run_cpu(model, &NUMBERS, &settings(2, true, Arc::default())).unwrap();
        let timeline = &measured.timeline;
        assert_eq!(timeline.spans.len(), NUMBERS.len(), "{model}");
        let tracks: std::collections::HashSet<&str> =
            timeline.spans.iter().map(|s| s.track.as_str()).collect();
        let prefix = match model {
            Model::Sync => "main",
            Model::Threads | Model::ThreadsGil | Model::EventLoopMt => "worker ",
            Model::EventLoop => "task ",
            Model::Processes => "process ",
        };
        assert!(
            tracks.iter().all(|t| t.starts_with(prefix)),
            "{model}: {tracks:?}"
        );
        match model {
            // One track per task, each marked ready when spawned.
            Model::EventLoop => {
                assert_eq!(tracks.len(), NUMBERS.len());
                let ready = timeline.marks.iter().filter(|m| m.name == "ready").count();
                assert!(ready >= NUMBERS.len(), "{ready} ready marks");
            }
            // At most one track per worker.
            Model::Threads | Model::ThreadsGil | Model::Processes | Model::EventLoopMt => {
                assert!(tracks.len() <= 2)
            }
            Model::Sync => assert_eq!(tracks.len(), 1),
        }
    }
}

#[test]
fn an_empty_job_list_gives_no_outcomes() {
    for model in Model::ALL {
        let measured = run_cpu(model, &[], &settings(2, false, Arc::default())).unwrap();
        assert!(measured.outcomes.is_empty(), "{model}");
    }
}

mod io {
    use super::*;
    use handspun::http::server;
    use handspun::workloads::fetch::Fetch;
    use handspun::workloads::io::{checksum, io_jobs};
    use handspun::workloads::runners::run_fetches;

    #[test]
    fn every_model_downloads_checks_and_counts_connections() {
        let site = server::spawn_background("127.0.0.1:0".parse().unwrap()).unwrap();
        let base = format!("http://{}", site.addr());
        let fetches: Vec<Fetch> = io_jobs(8)
            .iter()
            .map(|job| Fetch {
                url: job
                    .url(&base)
                    .replace("delay_ms=100", "delay_ms=5")
                    .replace("delay_ms=60", "delay_ms=3"),
                expect_len: Some(job.site.body_len),
            })
            .collect();
        let expected_a: Vec<u8> = (0..49_152)
            .map(handspun::http::expected_body_byte)
            .collect();
        let expected_b: Vec<u8> = (0..1024).map(handspun::http::expected_body_byte).collect();
        for model in Model::ALL {
            let counter = Arc::new(Counter::default());
            let measured = run_fetches(model, &fetches, &settings(2, true, Arc::clone(&counter)))
                .unwrap_or_else(|e| panic!("{model}: {e}"));
            assert_eq!(measured.outcomes.len(), 8, "{model}");
            for (i, outcome) in measured.outcomes.iter().enumerate() {
                let fetched = outcome
                    .as_ref()
                    .unwrap_or_else(|e| panic!("{model} job {i}: {e}"));
                let body = if i % 2 == 0 { &expected_a } else { &expected_b };
                assert_eq!(
                    (fetched.bytes, fetched.checksum),
                    (body.len(), checksum(body)),
                    "{model}"
                );
            }
            assert_eq!(counter.advanced.load(Ordering::SeqCst), 8, "{model}");
            assert!(measured.timeline.spans.len() >= 8, "{model}: spans");
            let opened = measured.connections_opened.expect("io counts connections");
            let most = match model {
                Model::Sync => 1,
                Model::EventLoop | Model::EventLoopMt => 8,
                _ => 2, // one keep-alive connection per worker
            };
            assert!(
                (1..=most).contains(&opened),
                "{model}: {opened} connections"
            );
        }
    }

    #[test]
    fn failed_downloads_are_kept_in_place_with_their_error() {
        let site = server::spawn_background("127.0.0.1:0".parse().unwrap()).unwrap();
        let fetches = vec![
            Fetch {
                url: site.url("/bytes/10"),
                expect_len: Some(10),
            },
            Fetch {
                url: site.url("/bytes/10"),
                expect_len: Some(11),
            },
            Fetch {
                url: site.url("/status/500"),
                expect_len: None,
            },
            Fetch {
                url: "https://127.0.0.1:1/".into(),
                expect_len: None,
            },
        ];
        for model in Model::ALL {
            let measured =
                run_fetches(model, &fetches, &settings(2, false, Arc::default())).unwrap();
            let outcomes = &measured.outcomes;
            assert_eq!(outcomes.len(), 4, "{model}");
            assert!(outcomes[0].is_ok(), "{model}: {:?}", outcomes[0]);
            assert_eq!(
                outcomes[1].as_ref().unwrap_err(),
                "body has 10 bytes, expected 11",
                "{model}"
            );
            assert!(outcomes[2].as_ref().unwrap_err().contains("500"), "{model}");
            assert!(
                outcomes[3].is_err(),
                "{model}: nothing listens on port 1 (and without the tls feature, https is refused)"
            );
        }
    }
}

#[test]
fn compare_runs_the_cpu_list_several_times_and_reports_each_models_median_run() {
    use handspun::workloads::{compare, CompareConfig, Workload};

    let config = CompareConfig {
        workloads: vec![Workload::Cpu],
        models: vec![Model::Threads, Model::Sync],
        workers: Some(2),
        cpu_scale: 0.002, // 10_000-long sums: bookkeeping, not speed
        cpu_runs: 3,
        ..CompareConfig::default()
    };
    let progress = Arc::new(Counter::default());
    let comparison = compare(&config, progress.clone()).unwrap();

    // One progress phase per round, in which each model runs the list
    // once: every job of every run announced and counted.
    assert_eq!(progress.started.load(Ordering::SeqCst), 3);
    assert_eq!(progress.finished.load(Ordering::SeqCst), 3);
    assert_eq!(progress.announced.load(Ordering::SeqCst), 3 * 2 * 20);
    assert_eq!(progress.advanced.load(Ordering::SeqCst), 3 * 2 * 20);

    let models: Vec<Model> = comparison.results.iter().map(|r| r.model).collect();
    assert_eq!(models, [Model::Sync, Model::Threads], "sync runs first");
    for row in &comparison.results {
        assert_eq!(row.runs, 3);
        assert!(row.wall_min_s <= row.wall_s && row.wall_s <= row.wall_max_s);
        assert_eq!((row.ok, row.failed), (20, 0));
        assert!(row.ideal_s.is_some() && row.speedup_vs_sync.is_some());
    }
    assert_eq!(
        comparison.results[0].checksum, comparison.results[1].checksum,
        "threads computed what sync computed"
    );
    let bare = comparison
        .yardstick
        .expect("sync ran, so the yardstick did");
    assert_eq!(bare.threads, comparison.cores);
    assert!(bare.wall_s > 0.0);
}
