//! Every runner on the cpu workload: same results as `cpu_bound`, in list
//! order, one progress tick and (when tracing) one span per job.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use handspun::workloads::cpu::cpu_bound;
use handspun::workloads::progress::Progress;
use handspun::workloads::runners::{run_cpu, RunSettings};
use handspun::workloads::Model;

/// Counts what a runner reports.
#[derive(Default)]
struct Counter {
    started: AtomicU64,
    advanced: AtomicU64,
    finished: AtomicU64,
}

impl Progress for Counter {
    fn start(&self, _label: &str, _total: u64) {
        self.started.fetch_add(1, Ordering::SeqCst);
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
        pool_limit: 100,
        trace,
        progress,
    }
}

/// Small, distinct numbers: the runners' bookkeeping is under test, not speed.
const NUMBERS: [u64; 7] = [10_000, 3, 0, 20_000, 4_097, 1, 12_345];

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
            Model::Threads | Model::ThreadsGil => "worker ",
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
            Model::Threads | Model::ThreadsGil | Model::Processes => assert!(tracks.len() <= 2),
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
