//! `CompareConfig::scheduler`: the event-loop model runs under any
//! scheduler given as a factory, built-in or your own.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use handspun::event_loop::{NewestReady, SchedulerFactory, BUILTIN_SCHEDULERS};
use handspun::workloads::{compare, progress::NoProgress, CompareConfig, Model, Workload};

fn cpu_on_the_loop(scheduler: SchedulerFactory) -> CompareConfig {
    CompareConfig {
        workloads: vec![Workload::Cpu],
        models: vec![Model::Sync, Model::EventLoop],
        cpu_scale: 0.002, // short sums: the wiring is under test, not speed
        cpu_runs: 1,
        scheduler: Some(scheduler),
        ..CompareConfig::default()
    }
}

#[test]
fn the_event_loop_model_runs_under_your_own_scheduler() {
    let builds = Arc::new(AtomicUsize::new(0));
    let counted = builds.clone();
    let mine = SchedulerFactory::new("counted-lifo", move || {
        counted.fetch_add(1, Ordering::SeqCst);
        Box::new(NewestReady::new())
    });
    let comparison = compare(&cpu_on_the_loop(mine), Arc::new(NoProgress)).unwrap();
    assert!(
        builds.load(Ordering::SeqCst) >= 1,
        "the factory was never used"
    );
    let (sync, event_loop) = (&comparison.results[0], &comparison.results[1]);
    assert_eq!(event_loop.failed, 0);
    assert_eq!(sync.checksum, event_loop.checksum);
}

#[test]
fn every_built_in_gives_the_same_sums() {
    for name in BUILTIN_SCHEDULERS {
        let factory = SchedulerFactory::builtin(name).unwrap();
        let comparison = compare(&cpu_on_the_loop(factory), Arc::new(NoProgress)).unwrap();
        let (sync, event_loop) = (&comparison.results[0], &comparison.results[1]);
        assert_eq!(sync.checksum, event_loop.checksum, "{name}");
    }
}

#[test]
fn an_unknown_built_in_lists_the_names() {
    let message = SchedulerFactory::builtin("lottery")
        .unwrap_err()
        .to_string();
    for name in BUILTIN_SCHEDULERS {
        assert!(message.contains(name), "{message}");
    }
}
