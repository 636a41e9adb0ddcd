//! The cpu rows: every model runs the list N times, round by round, beside
//! bare threads; each row is its model's median run, and the bare threads'
//! median is the yardstick.
//!
//! One round runs every model once, sync first. Just before each
//! multi-core model (`threads`, `processes`, `event-loop-mt`:
//! [`Model::is_multi_core`]), the list runs on bare threads
//! ([`bare_threads`]: no pool, no queue, one thread per core, a fixed share
//! of the list each), so each of the model's runs has a partner that met
//! the same moment of the machine (a busy neighbour, a host that takes a
//! core for a while). The yardstick says what the machine allowed in
//! parallel during this very run, and a multi-core model's target is
//! relative to it: at least 0.9 of the bare threads' speed
//! (shared/WORKLOADS.md), judged on the median of the per-round pairs
//! ([`RunResult::share_of_yardstick`]); the summary says whether each row
//! reached it.
//!
//! Every run's results are checked against the first run of all — sync's,
//! when sync is among the models: a sum that differs is a failed job.

use std::time::{Duration, Instant};

use super::row::{median_index, typical_run, Row, Spread};
use super::{CompareError, Experiment};
use crate::workloads::cpu::{bare_threads, cpu_bound, cpu_ideal_s, cpu_numbers};
use crate::workloads::result::{RunResult, Yardstick};
use crate::workloads::runners::{self, Measured};
use crate::workloads::timeline::Timeline;
use crate::workloads::{Model, Workload};

/// What the cpu workload measured: a row (with its timeline) per model, in
/// run order, and the yardstick when sync ran.
#[derive(Default)]
pub(super) struct CpuRows {
    pub(super) rows: Vec<(RunResult, Timeline)>,
    pub(super) yardstick: Option<Yardstick>,
}

/// Runs the cpu rounds and makes the rows.
pub(super) fn run(experiment: &Experiment) -> Result<CpuRows, CompareError> {
    let models = experiment.run_order();
    let mut rounds = Rounds::new(experiment, models.len());
    for round in 1..=rounds.count {
        let label = format!("cpu / round {round} of {}", rounds.count);
        let jobs = models.len() * rounds.numbers.len();
        experiment.progress.start(&label, jobs as u64);
        let ran = rounds.run_round(experiment, &models);
        experiment.progress.finish();
        ran?;
    }
    Ok(rounds.into_rows(experiment, &models))
}

/// The rounds so far: every model's runs, and the bare threads' times.
struct Rounds {
    /// The numbers to pass to `cpu_bound`, in order.
    numbers: Vec<u64>,
    /// How many rounds to run ([`CompareConfig::cpu_runs`](super::CompareConfig::cpu_runs)).
    count: usize,
    /// `runs[m]`: model `m`'s runs (in run order), one per round so far.
    runs: Vec<Vec<Measured<u64>>>,
    /// Every bare-thread run's wall time so far; empty unless sync runs
    /// (without sync's time a yardstick means nothing).
    bare: Vec<Duration>,
    /// `shares[m]`: for a multi-core model `m`, `bare wall / model wall` of
    /// each round's pair; empty for the other models.
    shares: Vec<Vec<f64>>,
    /// The first run's model and outcomes, which every run's must equal.
    reference: Option<(Model, Vec<Result<u64, String>>)>,
}

impl Rounds {
    fn new(experiment: &Experiment, models: usize) -> Rounds {
        let numbers = cpu_numbers(experiment.config.cpu_scale);
        // Warm up (page in the code, let the CPU leave its idle clock) so
        // the first model timed, sync, is not charged for it.
        for &n in numbers.iter().take(4) {
            std::hint::black_box(cpu_bound(n));
        }
        Rounds {
            numbers,
            count: experiment.config.cpu_runs.max(1),
            runs: (0..models).map(|_| Vec::new()).collect(),
            bare: Vec::new(),
            shares: (0..models).map(|_| Vec::new()).collect(),
            reference: None,
        }
    }

    /// One round: every model runs the list once, in order; when sync is
    /// among the models, bare threads run just before each multi-core
    /// model (or once at the end, if there is none, for the yardstick).
    fn run_round(&mut self, experiment: &Experiment, models: &[Model]) -> Result<(), CompareError> {
        let yardstick = models.contains(&Model::Sync);
        let cores = experiment.cores;
        for (m, &model) in models.iter().enumerate() {
            let partner = (yardstick && model.is_multi_core()).then(|| self.time_bare(cores));
            let offset_us = experiment.now_us();
            let mut measured =
                runners::run_cpu(model, &self.numbers, &experiment.settings_for(model))?;
            measured.timeline.offset_us = offset_us;
            match &self.reference {
                Some((first, expected)) => check_against(&mut measured.outcomes, *first, expected),
                None => self.reference = Some((model, measured.outcomes.clone())),
            }
            if let Some(bare) = partner {
                let model_wall = measured.wall.max(Duration::from_nanos(1));
                self.shares[m].push(bare.as_secs_f64() / model_wall.as_secs_f64());
            }
            self.runs[m].push(measured);
        }
        if yardstick && !models.iter().copied().any(Model::is_multi_core) {
            self.time_bare(cores);
        }
        Ok(())
    }

    /// Runs the list on bare threads once, records the time and returns it.
    fn time_bare(&mut self, cores: usize) -> Duration {
        let began = Instant::now();
        std::hint::black_box(bare_threads(&self.numbers, cores));
        let wall = began.elapsed();
        self.bare.push(wall);
        wall
    }

    /// Each model's typical run as a row (sync's first: its wall time is
    /// the baseline), and the yardstick.
    fn into_rows(self, experiment: &Experiment, models: &[Model]) -> CpuRows {
        let cores = experiment.cores;
        let mut rows = Vec::with_capacity(models.len());
        let mut sync_wall_s = None;
        for ((&model, mut runs), shares) in models.iter().zip(self.runs).zip(self.shares) {
            let walls: Vec<Duration> = runs.iter().map(|measured| measured.wall).collect();
            let spread = Spread::of(&walls);
            let measured = runs.swap_remove(typical_run(&runs));
            let settings = experiment.settings_for(model);
            if model == Model::Sync {
                sync_wall_s = Some(measured.wall.as_secs_f64());
            }
            let row = Row {
                workload: Workload::Cpu,
                model,
                workers: settings.workers,
                concurrency: match model {
                    Model::Sync | Model::EventLoop => 1,
                    _ => settings.workers,
                },
                ideal_s: sync_wall_s.map(|sync| cpu_ideal_s(model, sync, settings.workers, cores)),
                sync_wall_s,
                spread,
            };
            let numbers = &self.numbers;
            let mut result = row.finish(
                &measured,
                |value| *value,
                |i| format!("cpu_bound({})", numbers[i]),
            );
            result.share_of_yardstick = median(shares);
            let mut timeline = measured.timeline;
            timeline.title = format!("cpu / {model}");
            rows.push((result, timeline));
        }
        let yardstick = sync_wall_s
            .filter(|_| !self.bare.is_empty())
            .map(|sync_wall_s| {
                let wall_s = self.bare[median_index(&self.bare)]
                    .max(Duration::from_nanos(1))
                    .as_secs_f64();
                Yardstick {
                    threads: cores,
                    wall_s,
                    speedup_vs_sync: sync_wall_s / wall_s,
                }
            });
        CpuRows { rows, yardstick }
    }
}

/// The median of `values` (the upper one for an even count); `None` if
/// there are none.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

/// Turns every result that differs from `expected` (what `first` computed)
/// into a failure.
fn check_against(
    outcomes: &mut [Result<u64, String>],
    first: Model,
    expected: &[Result<u64, String>],
) {
    for (outcome, expected) in outcomes.iter_mut().zip(expected) {
        if let (Ok(got), Ok(want)) = (&*outcome, expected) {
            if got != want {
                *outcome = Err(format!("result {got} differs from {first}'s {want}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{check_against, median};
    use crate::workloads::Model;

    #[test]
    fn a_sum_that_differs_from_syncs_is_a_failure() {
        let mut outcomes = vec![Ok(1), Ok(5), Err("boom".to_owned())];
        check_against(&mut outcomes, Model::Sync, &[Ok(1), Ok(4), Ok(9)]);
        assert_eq!(outcomes[0], Ok(1));
        assert_eq!(
            outcomes[1],
            Err("result 5 differs from sync's 4".to_owned())
        );
        assert_eq!(outcomes[2], Err("boom".to_owned()), "a failure stays");
    }

    #[test]
    fn the_median_of_the_pairs_is_the_middle_one() {
        assert_eq!(median(vec![0.95, 0.7, 1.02]), Some(0.95));
        assert_eq!(median(vec![0.9, 1.0]), Some(1.0), "the upper of two");
        assert_eq!(median(Vec::new()), None, "no pairs: no share");
    }
}
