//! The experiment: two workloads, six models, one result type.
//!
//! handspun exists to run the *same* work under different concurrency models
//! and show, with measured numbers, what each model buys. This module holds
//! that work and the machinery that runs it. Read it in this order:
//!
//! 1. [`model`]: the six models (`sync`, `threads`, `event-loop`,
//!    `processes`, `threads-gil`, `event-loop-mt`) and the two workloads
//!    (`io`, `cpu`).
//! 2. [`io`]: the job list of downloads (the tutorial's two sites, 80 times
//!    each) and the check every body must pass.
//! 3. [`cpu`]: `cpu_bound(n)`, the sum of squares that must really run.
//! 4. [`ideal`]: what a zero-overhead runtime would take — the yardstick
//!    for `efficiency`.
//! 5. [`fetch`]: one download, judged the same way whoever made it.
//! 6. [`runners`]: one runner per model, all handing back the same
//!    [`runners::Measured`]. This is where the tutorial's ideas live in
//!    code: one session per thread in a thread-local (`threads.rs`), one
//!    task per download sharing a session (`event_loop.rs`), one process
//!    per core with a session each (`processes.rs`), the GIL (`threads.rs`
//!    with `threads-gil`), and an event loop on every core, the
//!    work-stealing runtime (`event_loop_mt.rs`).
//! 7. [`compare`](mod@compare): runs every workload under every model and
//!    fills a [`RunResult`] per pair, against the embedded slow site
//!    ([`site`]). The cpu list runs several rounds, every model once per
//!    round (the row is the median run), beside a bare-threads
//!    [`Yardstick`]; [`download`] is `handspun download`.
//!
//! 8. [`scale`]: `compare --scale`, the io list as it grows to 100 000
//!    downloads, and what each model pays: threads and context switches
//!    ([`usage`]) besides time and memory.
//!
//! Supporting pieces: [`result`] (the row type), [`timeline`] (what ran
//! where, for traces), [`rss`] (peak memory), [`progress`] (how a run
//! reports that it moves on), [`site`] (the slow site, and what the `io_*`
//! examples share).
//!
//! # Example
//!
//! The cpu workload under two models, compared (small numbers, so it is
//! quick):
//!
//! ```
//! use std::sync::Arc;
//! use handspun::workloads::{compare, progress::NoProgress, CompareConfig, Model, Workload};
//!
//! let config = CompareConfig {
//!     workloads: vec![Workload::Cpu],
//!     models: vec![Model::Sync, Model::Threads],
//!     cpu_scale: 0.01,
//!     ..CompareConfig::default()
//! };
//! let comparison = compare(&config, Arc::new(NoProgress)).unwrap();
//! assert_eq!(comparison.results.len(), 2);
//! let (sync, threads) = (&comparison.results[0], &comparison.results[1]);
//! assert_eq!(sync.checksum, threads.checksum); // the same sums, both ways
//! assert!(threads.adds_up() && threads.failed == 0);
//! ```
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
pub mod scale;
pub mod site;
pub mod timeline;
pub mod usage;

pub use compare::{compare, CompareConfig, Comparison};
pub use model::{Model, Workload};
pub use result::{RunResult, TaskError, Yardstick};
