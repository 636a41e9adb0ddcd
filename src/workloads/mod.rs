//! The experiment: two workloads, five models, one result type.
//!
//! handspun exists to run the *same* work under different concurrency models
//! and show, with measured numbers, what each model buys. This module holds
//! that work and the machinery that runs it:
//!
//! 1. [`model`]: the five models (`sync`, `threads`, `event-loop`,
//!    `processes`, `threads-gil`) and the two workloads (`io`, `cpu`).
//! 2. [`io`]: the job list of downloads (the tutorial's two sites, 80 times
//!    each) and the check every body must pass.
//! 3. [`cpu`]: `cpu_bound(n)`, the sum of squares that must really run.
//! 4. [`ideal`]: what a zero-overhead runtime would take — the yardstick
//!    for `efficiency`.
//! 5. [`runners`]: one runner per model, all handing back the same
//!    [`runners::Measured`].
//! 6. [`compare`]: runs every workload under every model and fills a
//!    [`RunResult`] per pair.
//!
//! Supporting pieces: [`result`] (the row type), [`timeline`] (what ran
//! where, for traces), [`rss`] (peak memory), [`progress`] (how a run
//! reports that it moves on).
//!
//! The invariant every runner keeps: one outcome per job, in job-list
//! order, so `ok + failed == tasks` always holds and a failure is reported
//! with its error, never dropped.

pub mod compare;
pub mod cpu;
pub mod download;
pub mod fetch;
pub mod ideal;
pub mod io;
pub mod model;
pub mod progress;
pub mod result;
pub mod rss;
pub mod runners;
pub mod timeline;

pub use compare::{compare, CompareConfig, Comparison};
pub use model::{Model, Workload};
pub use result::{RunResult, TaskError};
