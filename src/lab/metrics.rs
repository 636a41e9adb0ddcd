//! The figures the lab reads from one simulated run's trace: makespan,
//! polls, ready-wait, fairness and starvation.

#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::event_loop::{TraceEvent, TraceKind};

/// What one scheduler did on one scenario. Every duration is virtual time,
/// so every figure is exact and the same on any machine.
///
/// A *ready stretch* is one span during which a task was ready but not
/// running: from its spawn, or from its wake-up (or the end of the poll in
/// which it woke itself), to the start of its next poll. A task whose timer
/// is due is not ready until the loop parks and fires the timer: that
/// lateness belongs to the loop's batch, not to the scheduler, and is not
/// counted here.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use handspun::event_loop::{self, OldestReady};
/// use handspun::lab::Figures;
/// use handspun::sim;
///
/// // Two tasks of one 1 ms slice each, first in first out.
/// let run = sim::run_with(OldestReady::new(), || async {
///     let a = event_loop::spawn(async { sim::work(Duration::from_millis(1)) });
///     let b = event_loop::spawn(async { sim::work(Duration::from_millis(1)) });
///     a.await.unwrap();
///     b.await.unwrap();
/// });
/// let figures = Figures::measure(&run.trace, run.elapsed);
/// assert_eq!(figures.makespan, Duration::from_millis(2));
/// assert_eq!(figures.polls, 2);
/// assert_eq!(figures.max_ready_wait, Duration::from_millis(1)); // b waited for a
/// assert_eq!(figures.longest_starvation, 1); // b watched one poll of a
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    /// Virtual time from the start of the run to its end.
    pub makespan: Duration,
    /// Polls of tasks (the run's own body not counted).
    pub polls: u64,
    /// Tasks spawned.
    pub tasks: u64,
    /// Ready stretches measured (the ready-wait figures are over these).
    pub stretches: u64,
    /// The mean length of a ready stretch.
    pub mean_ready_wait: Duration,
    /// The 99th percentile (nearest rank) of the ready stretches.
    pub p99_ready_wait: Duration,
    /// The longest ready stretch.
    pub max_ready_wait: Duration,
    /// Jain's fairness index over tasks of the share of its *wanting* time
    /// that each task held the thread: `x = busy / (busy + ready-wait)`.
    /// 1 when every task got the same share; `1/n` when one task got all
    /// of it. Tasks that never ran and never waited are left out; with
    /// none left, 1.
    pub jain: f64,
    /// Longest starvation: the most polls of other tasks that one task
    /// watched during a single ready stretch.
    pub longest_starvation: u64,
}

/// One task's bookkeeping while the trace is read.
#[derive(Debug, Default)]
struct Task {
    /// When the current ready stretch began, and the poll count then.
    ready_since: Option<(Instant, u64)>,
    /// Start of the poll in progress.
    polling_since: Option<Instant>,
    /// It woke itself during the poll in progress.
    woke_while_polled: bool,
    busy: Duration,
    waited: Duration,
}

impl Figures {
    /// Reads the figures from a simulated run's trace (`sim::Run::trace`)
    /// and its virtual length (`sim::Run::elapsed`).
    ///
    /// A trace that is not from a simulated run gives figures too, but
    /// machine-dependent ones.
    pub fn measure(trace: &[TraceEvent], makespan: Duration) -> Figures {
        // Ordered by id, so the fairness sum adds in the same order every run.
        let mut tasks: BTreeMap<u64, Task> = BTreeMap::new();
        let mut stretches: Vec<Duration> = Vec::new();
        let mut polls: u64 = 0;
        let mut spawned: u64 = 0;
        let mut longest_starvation: u64 = 0;
        for event in trace {
            let task = tasks.entry(event.task).or_default();
            match event.kind {
                TraceKind::Spawned => {
                    spawned += 1;
                    task.ready_since = Some((event.at, polls));
                }
                TraceKind::Ready => {
                    if task.polling_since.is_some() {
                        task.woke_while_polled = true;
                    } else {
                        task.ready_since = Some((event.at, polls));
                    }
                }
                TraceKind::PollStart => {
                    if let Some((since, polls_then)) = task.ready_since.take() {
                        let wait = event.at.saturating_duration_since(since);
                        task.waited += wait;
                        stretches.push(wait);
                        longest_starvation = longest_starvation.max(polls - polls_then);
                    }
                    task.polling_since = Some(event.at);
                    polls += 1;
                }
                TraceKind::PollEnd => {
                    if let Some(start) = task.polling_since.take() {
                        task.busy += event.at.saturating_duration_since(start);
                    }
                    if std::mem::take(&mut task.woke_while_polled) {
                        task.ready_since = Some((event.at, polls));
                    }
                }
                TraceKind::Done => task.ready_since = None,
            }
        }
        let shares: Vec<f64> = tasks
            .values()
            .filter(|task| task.busy + task.waited > Duration::ZERO)
            .map(|task| task.busy.as_secs_f64() / (task.busy + task.waited).as_secs_f64())
            .collect();
        let total: Duration = stretches.iter().sum();
        let count = stretches.len() as u64;
        stretches.sort_unstable();
        Figures {
            makespan,
            polls,
            tasks: spawned,
            stretches: count,
            mean_ready_wait: mean(total, count),
            p99_ready_wait: nearest_rank(&stretches, 99),
            max_ready_wait: stretches.last().copied().unwrap_or_default(),
            jain: jain_index(&shares),
            longest_starvation,
        }
    }
}

/// `total / count` to the nanosecond (rounded down); zero for no samples.
fn mean(total: Duration, count: u64) -> Duration {
    if count == 0 {
        return Duration::ZERO;
    }
    let nanos = total.as_nanos() / u128::from(count);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// The `percent`-th percentile of `sorted`, nearest-rank method: the
/// smallest sample with at least `percent`% of the samples at or below it.
/// Zero for no samples.
fn nearest_rank(sorted: &[Duration], percent: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// Jain's fairness index (Jain, Chiu and Hawe, 1984):
/// `(Σx)² / (n · Σx²)`; 1 for no samples or all zeros.
///
/// # Examples
///
/// ```
/// use handspun::lab::jain_index;
///
/// assert_eq!(jain_index(&[0.5, 0.5, 0.5]), 1.0);
/// assert_eq!(jain_index(&[1.0, 0.0, 0.0, 0.0]), 0.25);
/// ```
pub fn jain_index(samples: &[f64]) -> f64 {
    let sum: f64 = samples.iter().sum();
    let squares: f64 = samples.iter().map(|x| x * x).sum();
    if samples.is_empty() || squares == 0.0 {
        return 1.0;
    }
    sum * sum / (samples.len() as f64 * squares)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_picks_the_smallest_sample_covering_the_percent() {
        let ms = Duration::from_millis;
        let samples: Vec<Duration> = (1..=100).map(ms).collect();
        assert_eq!(nearest_rank(&samples, 99), ms(99));
        assert_eq!(nearest_rank(&samples[..10], 99), ms(10));
        assert_eq!(nearest_rank(&[], 99), Duration::ZERO);
    }

    #[test]
    fn mean_of_nothing_is_zero() {
        assert_eq!(mean(Duration::from_secs(1), 0), Duration::ZERO);
        assert_eq!(mean(Duration::from_nanos(7), 2), Duration::from_nanos(3));
    }
}
