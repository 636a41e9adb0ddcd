//! The scheduler lab: every figure checked on a run small enough to work
//! out by hand, determinism (two runs, the same bytes), and a scheduler
//! that loses tasks reported as a failure, not a hang.

use std::time::Duration;

use handspun::event_loop::{self, NewestReady, OldestReady, ReadyTask, Scheduler, TaskMeta};
use handspun::lab::{jain_index, Contender, Figures, Lab, LabError, Scenario};
use handspun::sim::{self, SimError};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Two tasks, `a` spawned first, each computing three slices of 1 ms and
/// yielding between them. Returns the figures of the run under `scheduler`.
fn two_tasks(scheduler: impl Scheduler + 'static) -> Figures {
    let run = sim::run_with(scheduler, || async {
        let worker = || async {
            for slice in 0..3 {
                sim::work(ms(1));
                if slice < 2 {
                    event_loop::yield_now().await;
                }
            }
        };
        let a = event_loop::spawn_named("a", worker());
        let b = event_loop::spawn_named("b", worker());
        a.await.unwrap();
        b.await.unwrap();
    });
    assert_eq!(run.outcome, Ok(()));
    Figures::measure(&run.trace, run.elapsed)
}

#[test]
fn round_robin_figures_match_the_hand_computation() {
    // a 0-1, b 1-2, a 2-3, b 3-4, a 4-5, b 5-6.
    // Ready stretches: a 0, 1, 1; b 1, 1, 1 (5 ms over 6 stretches).
    let f = two_tasks(OldestReady::new());
    assert_eq!(f.makespan, ms(6));
    assert_eq!(f.polls, 6);
    assert_eq!(f.tasks, 2);
    assert_eq!(f.stretches, 6);
    assert_eq!(f.mean_ready_wait, Duration::from_nanos(833_333));
    assert_eq!(f.p99_ready_wait, ms(1));
    assert_eq!(f.max_ready_wait, ms(1));
    // Shares of wanting time: a 3/(3+2), b 3/(3+3).
    assert_eq!(f.jain, jain_index(&[0.6, 0.5]));
    assert!((f.jain - 1.21 / 1.22).abs() < 1e-12);
    // Every stretch watched exactly one poll of the other task.
    assert_eq!(f.longest_starvation, 1);
}

#[test]
fn last_in_first_out_figures_match_the_hand_computation() {
    // b (newest) runs all three slices, 0-3; then a, 3-6.
    // Ready stretches: b 0, 0, 0; a 3, 0, 0.
    let f = two_tasks(NewestReady::new());
    assert_eq!(f.makespan, ms(6));
    assert_eq!(f.polls, 6);
    assert_eq!(f.mean_ready_wait, Duration::from_micros(500));
    assert_eq!(f.p99_ready_wait, ms(3));
    assert_eq!(f.max_ready_wait, ms(3));
    // b got the thread whenever it wanted it (1), a half the time.
    assert_eq!(f.jain, jain_index(&[0.5, 1.0]));
    assert!((f.jain - 0.9).abs() < 1e-12);
    // a watched b's three polls before its first.
    assert_eq!(f.longest_starvation, 3);
}

#[test]
fn sleeping_is_not_waiting_for_the_thread() {
    let run = sim::run_with(OldestReady::new(), || async {
        let sleeper = event_loop::spawn(async {
            event_loop::sleep(ms(5)).await;
            sim::work(ms(1));
        });
        sleeper.await.unwrap();
    });
    let f = Figures::measure(&run.trace, run.elapsed);
    assert_eq!(f.makespan, ms(6));
    assert_eq!(f.polls, 2);
    assert_eq!(f.max_ready_wait, Duration::ZERO);
    assert_eq!(f.jain, 1.0);
    assert_eq!(f.longest_starvation, 0);
}

#[test]
fn jain_index_spans_one_over_n_to_one() {
    assert_eq!(jain_index(&[]), 1.0);
    assert_eq!(jain_index(&[0.0, 0.0]), 1.0);
    assert_eq!(jain_index(&[0.3, 0.3]), 1.0);
    assert_eq!(jain_index(&[1.0, 0.0]), 0.5);
    assert_eq!(jain_index(&[1.0, 1.0, 0.0, 0.0]), 0.5);
}

#[test]
fn two_runs_give_the_same_bytes() {
    let first = Lab::new().seed(7).run().unwrap();
    let second = Lab::new().seed(7).run().unwrap();
    assert_eq!(first, second);
    assert_eq!(first.table(), second.table());
    assert_eq!(first.to_json().to_string(), second.to_json().to_string());
    assert_eq!(first.svg(), second.svg());
    assert_eq!(first.rows.len(), 6 * 6);
}

#[test]
fn the_seed_moves_only_the_seeded_policies() {
    let scenarios = [Scenario::Greedy];
    let a = Lab::new().scenarios(&scenarios).seed(1).run().unwrap();
    let b = Lab::new().scenarios(&scenarios).seed(2).run().unwrap();
    for name in ["oldest-ready", "newest-ready", "priority", "fair-share"] {
        assert_eq!(
            a.figures(name, Scenario::Greedy),
            b.figures(name, Scenario::Greedy)
        );
    }
    assert_ne!(
        a.figures("random", Scenario::Greedy),
        b.figures("random", Scenario::Greedy)
    );
}

#[test]
fn each_scenario_shows_what_it_is_built_to_show() {
    let report = Lab::new().run().unwrap();
    let f = |name: &str, scenario| *report.figures(name, scenario).unwrap();
    // Greedy: under LIFO the greedy task (spawned last) keeps the thread.
    assert!(
        f("newest-ready", Scenario::Greedy).max_ready_wait
            > f("oldest-ready", Scenario::Greedy).max_ready_wait * 10
    );
    // Priority inversion: strict priority starves `low`, which holds the
    // lock `high` needs; FIFO does not.
    assert!(
        f("priority", Scenario::PriorityInversion).max_ready_wait
            > f("oldest-ready", Scenario::PriorityInversion).max_ready_wait * 10
    );
    // Every policy that keeps the thread busy has the same makespan where
    // nothing sleeps between slices.
    for name in [
        "oldest-ready",
        "newest-ready",
        "priority",
        "fair-share",
        "random",
        "pct",
    ] {
        assert_eq!(
            f(name, Scenario::FanOut).makespan,
            f("oldest-ready", Scenario::FanOut).makespan
        );
    }
    // io-burst: FIFO serves the burst evenly.
    assert!(f("oldest-ready", Scenario::IoBurst).jain > f("newest-ready", Scenario::IoBurst).jain);
}

#[test]
fn a_custom_scheduler_joins_the_lab() {
    let mine = Contender::new("mine", "FIFO under another name", |_| {
        Box::new(OldestReady::new())
    });
    let report = Lab::new()
        .enter(mine)
        .select(&["oldest-ready", "mine"])
        .unwrap()
        .scenarios(&[Scenario::Mixed])
        .run()
        .unwrap();
    assert_eq!(report.rows.len(), 2);
    assert_eq!(
        report.figures("mine", Scenario::Mixed),
        report.figures("oldest-ready", Scenario::Mixed)
    );
}

#[test]
fn unknown_names_list_the_known_ones() {
    let error = Lab::new().select(&["lottery"]).unwrap_err();
    assert!(matches!(error, LabError::UnknownScheduler { .. }));
    let message = error.to_string();
    for name in [
        "oldest-ready",
        "newest-ready",
        "priority",
        "fair-share",
        "random",
        "pct",
    ] {
        assert!(message.contains(name), "{message}");
    }
    let message = handspun::lab::scenario("nope").unwrap_err().to_string();
    for scenario in Scenario::ALL {
        assert!(message.contains(scenario.name()), "{message}");
    }
}

/// Accepts tasks and never gives them back.
struct BlackHole(Vec<ReadyTask>);

impl Scheduler for BlackHole {
    fn push(&mut self, task: ReadyTask, _meta: TaskMeta) {
        self.0.push(task);
    }
    fn pop(&mut self) -> Option<ReadyTask> {
        None
    }
    fn len(&self) -> usize {
        0
    }
}

#[test]
fn a_scheduler_that_loses_tasks_fails_the_run_instead_of_hanging() {
    let hole = Contender::new("black-hole", "loses every task", |_| {
        Box::new(BlackHole(Vec::new()))
    });
    let error = Lab::new()
        .enter(hole)
        .select(&["black-hole"])
        .unwrap()
        .scenarios(&[Scenario::FanOut])
        .run()
        .unwrap_err();
    match error {
        LabError::Failed {
            scheduler,
            scenario,
            error,
        } => {
            assert_eq!(scheduler, "black-hole");
            assert_eq!(scenario, Scenario::FanOut);
            assert!(matches!(error, SimError::Deadlock { .. }), "{error}");
        }
        other => panic!("expected a failed run, got {other}"),
    }
}
