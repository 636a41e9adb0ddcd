//! The one result type every runner fills: a row of the comparison.

#![forbid(unsafe_code)]

use serde::{Serialize, Serializer};

use super::{Model, Workload};

/// A job that failed, kept with its error (a failure is never dropped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskError {
    /// Position of the job in the job list.
    pub task: usize,
    /// What the job was: a URL, or `cpu_bound(N)`.
    pub job: String,
    /// What went wrong, in words.
    pub error: String,
}

/// One row of `handspun compare`: how one model ran one workload.
///
/// Serialized, it is one element of the `results` array of the JSON report;
/// the field names are a contract (shared/WORKLOADS.md). Some fields go
/// beyond the contract's list: `runs`, `wall_min_s`, `wall_max_s`,
/// `checksum` and `errors`.
///
/// - `ideal_s`, `efficiency`: for cpu they need the sync time, so they are
///   `null` when `sync` was not among the models run.
/// - `speedup_vs_sync`: `null` when `sync` was not run.
/// - `connections_opened`: TCP connections the HTTP clients opened; `null`
///   for the cpu workload (it opens none).
/// - `peak_rss_kib`: see [`crate::workloads::rss`] for what it measures per
///   model.
/// - `runs`: how many times the workload ran under this model (cpu: one
///   run per round, 5 rounds by default, `--cpu-runs`; io: 1). The row
///   describes the run of median wall time — or, if any run had a failed
///   job, the first such run, so no failure is hidden. `wall_min_s` and
///   `wall_max_s` give the spread.
/// - `checksum`: io: the wrapping sum of every ok body's checksum; cpu: the
///   wrapping sum of every ok `cpu_bound` result. Equal across models when
///   all jobs are ok.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    /// `io` or `cpu`.
    pub workload: Workload,
    /// The model's command-line name.
    pub model: Model,
    /// Pool size (1 for `sync` and `event-loop`: one thread; the cores for
    /// `event-loop-mt`: a stealing worker each).
    pub workers: usize,
    /// Jobs in flight at most: 1, W, the connection pool limit, W (and for
    /// `event-loop-mt`: W on cpu, the connection pool limit on io).
    pub concurrency: usize,
    /// Jobs in the list.
    pub tasks: usize,
    /// Jobs that completed and passed their check.
    pub ok: usize,
    /// Jobs that did not; `ok + failed == tasks`.
    pub failed: usize,
    /// Measured wall time, seconds.
    #[serde(serialize_with = "micros")]
    pub wall_s: f64,
    /// Times the workload ran under this model; this row is one of them.
    pub runs: usize,
    /// The fastest run's wall time, seconds (`wall_s` when `runs` is 1).
    #[serde(serialize_with = "micros")]
    pub wall_min_s: f64,
    /// The slowest run's wall time, seconds.
    #[serde(serialize_with = "micros")]
    pub wall_max_s: f64,
    /// What a zero-overhead runtime would take, seconds.
    #[serde(serialize_with = "micros_opt")]
    pub ideal_s: Option<f64>,
    /// `ideal_s / wall_s` (1.0 wastes nothing).
    #[serde(serialize_with = "ratio_opt")]
    pub efficiency: Option<f64>,
    /// `sync wall_s / wall_s` for the same workload.
    #[serde(serialize_with = "ratio_opt")]
    pub speedup_vs_sync: Option<f64>,
    /// cpu only, for the multi-core models (`threads`, `processes`,
    /// `event-loop-mt`) when sync ran: the model's speed as a share of the bare threads'
    /// ([`Yardstick`]). In every round the bare threads run just before the
    /// model, so each of its runs has a partner that met the same moment of
    /// the machine; this is the median of `bare wall / model wall` over
    /// those pairs. The target is at least 0.9 (shared/WORKLOADS.md).
    #[serde(serialize_with = "ratio_opt")]
    pub share_of_yardstick: Option<f64>,
    /// TCP connections opened (io only).
    pub connections_opened: Option<u64>,
    /// Peak resident memory of the run, KiB.
    pub peak_rss_kib: u64,
    /// Sum of the ok jobs' checksums or values (see above).
    pub checksum: u64,
    /// Every failed job with its error.
    pub errors: Vec<TaskError>,
}

impl RunResult {
    /// Whether the counts add up: `ok + failed == tasks` and one error kept
    /// per failure.
    pub fn adds_up(&self) -> bool {
        self.ok + self.failed == self.tasks && self.errors.len() == self.failed
    }
}

fn micros<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64((value * 1e6).round() / 1e6)
}

fn micros_opt<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => micros(v, serializer),
        None => serializer.serialize_none(),
    }
}

fn ratio<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64((value * 1e4).round() / 1e4)
}

fn ratio_opt<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => ratio(v, serializer),
        None => serializer.serialize_none(),
    }
}

/// The cpu workload's yardstick: the list run on bare threads (no pool, no
/// queue, a fixed share each; [`bare_threads`](crate::workloads::cpu::bare_threads)),
/// one per core, once in every round beside the models' runs; its median.
/// It shows what the machine itself allowed in parallel while the models
/// ran (a busy neighbour on a shared host, or a clock that drops when every
/// core works, lowers it), so a pool's shortfall can be told from the
/// machine's: a multi-core model's target is a speedup of at least 0.9 ×
/// this one's (shared/WORKLOADS.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Yardstick {
    /// Bare threads used: the core count.
    pub threads: usize,
    /// Median wall time of its runs (one per round), seconds.
    #[serde(serialize_with = "micros")]
    pub wall_s: f64,
    /// `sync wall_s / wall_s`.
    #[serde(serialize_with = "ratio")]
    pub speedup_vs_sync: f64,
}
