//! The `--json` report: `{"version", "cores", "results": [...]}`, plus
//! `cpu_bare_threads` when the cpu workload ran with `sync`, `scale`
//! with `--scale`, and `"tls": true` with `--tls`.
//!
//! The field names are a contract (shared/WORKLOADS.md): tools read them.
//! Each element of `results` is a serialized [`RunResult`];
//! `cpu_bare_threads` (beyond the contract) is a serialized [`Yardstick`];
//! each element of `scale` (beyond the contract too, listed in
//! `docs/benchmarks/scale.md`) is a serialized [`ScaleRow`].

use std::path::Path;

use serde::Serialize;

use crate::workloads::scale::ScaleRow;
use crate::workloads::{RunResult, Yardstick};

/// The whole JSON document.
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    /// handspun's version (`CARGO_PKG_VERSION`).
    pub version: &'static str,
    /// Cores available to the run.
    pub cores: usize,
    /// One row per (workload, model).
    pub results: &'a [RunResult],
    /// The cpu workload on bare threads, if measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_bare_threads: Option<&'a Yardstick>,
    /// The `--scale` rows, if the sweep ran.
    #[serde(skip_serializing_if = "<[ScaleRow]>::is_empty")]
    pub scale: &'a [ScaleRow],
    /// Whether the io workload ran over https (`--tls`); left out when not.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tls: bool,
}

impl<'a> JsonReport<'a> {
    /// The report for these results, from a machine with `cores` cores.
    pub fn new(cores: usize, results: &'a [RunResult]) -> JsonReport<'a> {
        JsonReport {
            version: env!("CARGO_PKG_VERSION"),
            cores,
            results,
            cpu_bare_threads: None,
            scale: &[],
            tls: false,
        }
    }

    /// Adds the cpu yardstick ([`Comparison::yardstick`](crate::workloads::Comparison::yardstick)).
    pub fn with_yardstick(mut self, yardstick: Option<&'a Yardstick>) -> JsonReport<'a> {
        self.cpu_bare_threads = yardstick;
        self
    }

    /// Adds the `--scale` rows ([`Comparison::scale`](crate::workloads::Comparison::scale));
    /// none leaves the `scale` field out.
    pub fn with_scale(mut self, scale: &'a [ScaleRow]) -> JsonReport<'a> {
        self.scale = scale;
        self
    }

    /// Records that the io workload ran over https (`compare --tls`).
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::report::json::JsonReport;
    ///
    /// let plain: serde_json::Value = serde_json::from_str(&JsonReport::new(2, &[]).to_json()).unwrap();
    /// assert!(plain.get("tls").is_none());
    /// let tls = JsonReport::new(2, &[]).with_tls(true).to_json();
    /// let tls: serde_json::Value = serde_json::from_str(&tls).unwrap();
    /// assert_eq!(tls["tls"], true);
    /// ```
    pub fn with_tls(mut self, tls: bool) -> JsonReport<'a> {
        self.tls = tls;
        self
    }

    /// The report as pretty-printed JSON.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::report::json::JsonReport;
    ///
    /// let text = JsonReport::new(2, &[]).to_json();
    /// let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    /// assert_eq!(value["cores"], 2);
    /// assert!(value["results"].as_array().unwrap().is_empty());
    /// ```
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .expect("a report of numbers and strings always serializes")
    }

    /// Writes the report to `path`.
    ///
    /// # Errors
    ///
    /// The file system's error when the file cannot be written.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_json() + "\n")
    }
}
