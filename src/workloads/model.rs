//! The six models and the two workloads, and the one name each goes by
//! on the command line, in the table and in the JSON.

#![forbid(unsafe_code)]

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// Gives an enum with an `ALL` list and a `name()` its `Display`, `FromStr`
/// (failing with `$unknown { given }`) and `Serialize`, all through that
/// one name, so the command line, the table and the JSON always agree.
macro_rules! known_by_name {
    ($kind:ty, $unknown:ident) => {
        impl fmt::Display for $kind {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $kind {
            type Err = $unknown;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$kind>::ALL
                    .into_iter()
                    .find(|value| value.name() == s)
                    .ok_or_else(|| $unknown {
                        given: s.to_string(),
                    })
            }
        }

        impl Serialize for $kind {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }
    };
}

/// A concurrency model: what runs the jobs of a workload.
///
/// The command line spells them `sync`, `threads`, `event-loop`,
/// `processes`, `threads-gil` and `event-loop-mt` ([`Model::name`],
/// [`FromStr`]).
///
/// # Examples
///
/// ```
/// use handspun::workloads::Model;
///
/// let model: Model = "event-loop".parse().unwrap();
/// assert_eq!(model, Model::EventLoop);
/// assert_eq!(model.to_string(), "event-loop");
/// assert!("fibers".parse::<Model>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Model {
    /// One thread, one job after another: a plain `for` loop.
    Sync,
    /// The thread pool with W workers (`ThreadPoolExecutor`).
    Threads,
    /// One thread, one event-loop task per job, all gathered (`asyncio`).
    EventLoop,
    /// The process pool with W forked workers (`multiprocessing.Pool`).
    Processes,
    /// The thread pool with a global interpreter lock emulated (CPython's
    /// GIL, switch interval 5 ms): only one worker computes at a time.
    ThreadsGil,
    /// The work-stealing runtime ([`crate::stealing`]), one worker thread
    /// per core, one task per job: an event loop on every core, tokio's
    /// multi-thread runtime in miniature.
    EventLoopMt,
}

impl Model {
    /// Every model, in the order reports list them.
    pub const ALL: [Model; 6] = [
        Model::Sync,
        Model::Threads,
        Model::EventLoop,
        Model::Processes,
        Model::ThreadsGil,
        Model::EventLoopMt,
    ];

    /// The command-line and JSON name of the model.
    pub fn name(self) -> &'static str {
        match self {
            Model::Sync => "sync",
            Model::Threads => "threads",
            Model::EventLoop => "event-loop",
            Model::Processes => "processes",
            Model::ThreadsGil => "threads-gil",
            Model::EventLoopMt => "event-loop-mt",
        }
    }

    /// Whether the model uses a pool whose size `--workers` sets.
    /// `event-loop-mt` has several workers too, but always one per core
    /// (shared/WORKLOADS.md): `--workers` does not size it.
    pub fn has_workers(self) -> bool {
        matches!(self, Model::Threads | Model::Processes | Model::ThreadsGil)
    }

    /// Whether the model can compute on more than one core at once: the
    /// models whose cpu rows are judged against the bare-thread yardstick
    /// (`threads`, `processes`, `event-loop-mt`).
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::workloads::Model;
    ///
    /// assert!(Model::EventLoopMt.is_multi_core());
    /// assert!(!Model::EventLoop.is_multi_core());
    /// assert!(!Model::ThreadsGil.is_multi_core(), "one thread computes at a time");
    /// ```
    pub fn is_multi_core(self) -> bool {
        matches!(self, Model::Threads | Model::Processes | Model::EventLoopMt)
    }
}

/// The error for a model name that is not one of [`Model::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown model `{given}`; choose from sync, threads, event-loop, processes, threads-gil, event-loop-mt"
)]
pub struct UnknownModel {
    /// What was typed.
    pub given: String,
}

/// Which experiment: download pages (`io`) or sum squares (`cpu`).
///
/// # Examples
///
/// ```
/// use handspun::workloads::Workload;
///
/// assert_eq!("cpu".parse::<Workload>().unwrap(), Workload::Cpu);
/// assert_eq!(Workload::Io.to_string(), "io");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Workload {
    /// Download many pages from the slow site (waiting dominates).
    Io,
    /// Sum many squares (computing dominates).
    Cpu,
}

impl Workload {
    /// Both workloads, in report order.
    pub const ALL: [Workload; 2] = [Workload::Io, Workload::Cpu];

    /// The command-line and JSON name of the workload.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Io => "io",
            Workload::Cpu => "cpu",
        }
    }
}

/// The error for a workload name other than `io` or `cpu`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown workload `{given}`; choose from io, cpu, all")]
pub struct UnknownWorkload {
    /// What was typed.
    pub given: String,
}

known_by_name!(Model, UnknownModel);
known_by_name!(Workload, UnknownWorkload);
