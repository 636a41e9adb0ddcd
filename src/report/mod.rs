//! Turning measured runs into something a person (or a script) can read.
//!
//! A comparison ([`crate::workloads::Comparison`]) is a list of result rows
//! plus, optionally, timelines. This module only *presents* them; it never
//! measures anything. Its parts, in reading order:
//!
//! 1. [`table`]: the aligned table `handspun compare` prints, with units.
//! 2. [`summary`]: the sentences below the table, computed from the numbers:
//!    which model won each workload, by how much, and why.
//! 3. [`json`]: the `--json` report (`{"version", "cores", "results"}`), a
//!    contract scripts read.
//! 4. [`chart`]: the `--plot` SVG (grouped bars with the ideal marked) and
//!    the `--sweep` chart. Behind the `cli` feature: it needs `plotters`.
//! 5. [`trace`]: the `--trace` Chrome/Perfetto trace, one track per task,
//!    worker thread or worker process.
//! 6. [`scale_table`] and [`scale_chart`]: the `--scale` sweep as a table
//!    and as an SVG of four panels (wall time, peak memory, threads,
//!    context switches against downloads, one line per model).

#![forbid(unsafe_code)]

#[cfg(feature = "cli")]
pub mod chart;
pub mod json;
#[cfg(feature = "cli")]
pub mod scale_chart;
pub mod scale_table;
pub mod summary;
pub mod table;
pub mod trace;
