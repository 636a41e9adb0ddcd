//! One row of the comparison: a measured run (the typical one of several,
//! for cpu) counted into a [`RunResult`].

use std::time::Duration;

use crate::workloads::result::{RunResult, TaskError};
use crate::workloads::runners::Measured;
use crate::workloads::{Model, Workload};

/// The parts of a result row known before the run's outcomes are counted.
/// The fields mean what [`RunResult`]'s fields of the same names do.
pub(super) struct Row {
    pub(super) workload: Workload,
    pub(super) model: Model,
    pub(super) workers: usize,
    pub(super) concurrency: usize,
    /// The zero-overhead time, when known (for cpu, once sync has run).
    pub(super) ideal_s: Option<f64>,
    /// Sync's wall time (the run's own, for sync), when known.
    pub(super) sync_wall_s: Option<f64>,
    /// The runs this row stands for.
    pub(super) spread: Spread,
}

impl Row {
    /// Counts the run's outcomes (already checked against sync's, for cpu)
    /// into a result. `value` is what a job adds to the checksum;
    /// `describe(i)` names job `i` in an error.
    pub(super) fn finish<T>(
        self,
        measured: &Measured<T>,
        value: impl Fn(&T) -> u64,
        describe: impl Fn(usize) -> String,
    ) -> RunResult {
        let wall_s = measured.wall.max(Duration::from_nanos(1)).as_secs_f64();
        let mut checksum = 0u64;
        let mut errors = Vec::new();
        let outcomes = &measured.outcomes;
        for (task, outcome) in outcomes.iter().enumerate() {
            match outcome {
                Ok(v) => checksum = checksum.wrapping_add(value(v)),
                Err(error) => errors.push(TaskError {
                    task,
                    job: describe(task),
                    error: error.clone(),
                }),
            }
        }
        RunResult {
            workload: self.workload,
            model: self.model,
            workers: self.workers,
            concurrency: self.concurrency,
            tasks: outcomes.len(),
            ok: outcomes.len() - errors.len(),
            failed: errors.len(),
            wall_s,
            runs: self.spread.runs,
            wall_min_s: self.spread.min.as_secs_f64(),
            wall_max_s: self.spread.max.as_secs_f64(),
            ideal_s: self.ideal_s,
            efficiency: self.ideal_s.map(|ideal| ideal / wall_s),
            speedup_vs_sync: self.sync_wall_s.map(|sync| sync / wall_s),
            share_of_yardstick: None,
            connections_opened: measured.connections_opened,
            peak_rss_kib: measured.peak_rss_kib,
            checksum,
            errors,
        }
    }
}

/// How many runs a row stands for, and the fastest and slowest of them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Spread {
    pub(super) runs: usize,
    pub(super) min: Duration,
    pub(super) max: Duration,
}

impl Spread {
    /// The spread of these wall times.
    pub(super) fn of(walls: &[Duration]) -> Spread {
        Spread {
            runs: walls.len(),
            min: walls.iter().copied().min().unwrap_or_default(),
            max: walls.iter().copied().max().unwrap_or_default(),
        }
    }
}

/// Which of several runs of one workload a row reports: the first run with
/// a failed job, if any (a failure is never hidden behind a clean run);
/// otherwise the run of median wall time ([`median_index`]).
pub(super) fn typical_run<T>(runs: &[Measured<T>]) -> usize {
    let failed = |measured: &Measured<T>| measured.outcomes.iter().any(Result::is_err);
    if let Some(index) = runs.iter().position(failed) {
        return index;
    }
    let walls: Vec<Duration> = runs.iter().map(|measured| measured.wall).collect();
    median_index(&walls)
}

/// The position of the median of `walls` (the upper median for an even
/// count): the one rule for a typical run, used by the rows and the
/// yardstick alike.
///
/// # Panics
///
/// When `walls` is empty.
pub(super) fn median_index(walls: &[Duration]) -> usize {
    let mut by_wall: Vec<usize> = (0..walls.len()).collect();
    by_wall.sort_by_key(|&i| walls[i]);
    by_wall[by_wall.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::timeline::Timeline;

    fn run(wall_ms: u64, failed: bool) -> Measured<u64> {
        let outcome = if failed {
            Err("boom".to_owned())
        } else {
            Ok(1)
        };
        Measured {
            wall: Duration::from_millis(wall_ms),
            outcomes: vec![Ok(1), outcome],
            connections_opened: None,
            peak_rss_kib: 1,
            workers_rss_growth_kib: 0,
            timeline: Timeline::default(),
        }
    }

    #[test]
    fn the_typical_run_is_the_median_by_wall_time() {
        let runs = [
            run(30, false),
            run(10, false),
            run(50, false),
            run(20, false),
            run(40, false),
        ];
        assert_eq!(typical_run(&runs), 0, "30 ms is the median of 10..50");
        assert_eq!(typical_run(&runs[..2]), 0, "the upper median of two");
        assert_eq!(typical_run(&runs[1..2]), 0);
    }

    #[test]
    fn a_run_with_a_failure_is_never_hidden_behind_a_clean_one() {
        let runs = [run(30, false), run(10, false), run(50, true), run(20, true)];
        assert_eq!(typical_run(&runs), 2, "the first failing run");
    }

    #[test]
    fn the_spread_covers_every_run() {
        let spread = Spread::of(&[3, 1, 2].map(Duration::from_millis));
        assert_eq!(spread.runs, 3);
        assert_eq!(spread.min, Duration::from_millis(1));
        assert_eq!(spread.max, Duration::from_millis(3));
    }
}
