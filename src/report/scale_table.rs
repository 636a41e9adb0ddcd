//! The `--scale` table: one aligned row per (size, model) of the sweep.

use super::table::{align, memory, seconds};
use crate::workloads::scale::ScaleRow;

/// The sweep as text, one line per row plus a header.
///
/// # Examples
///
/// ```
/// use handspun::report::scale_table::render;
///
/// let text = render(&[]);
/// assert!(text.starts_with("model"));
/// ```
pub fn render(rows: &[ScaleRow]) -> String {
    const HEADERS: [&str; 13] = [
        "model", "tasks", "conc", "ok", "failed", "wall", "ideal", "peak RSS", "added", "threads",
        "procs", "switches", "per task",
    ];
    let cells: Vec<[String; 13]> = rows
        .iter()
        .map(|r| {
            [
                r.model.to_string(),
                r.tasks.to_string(),
                r.concurrency.to_string(),
                r.ok.to_string(),
                r.failed.to_string(),
                seconds(r.wall_s),
                seconds(r.ideal_s),
                memory(r.peak_rss_kib),
                memory(r.peak_rss_added_kib),
                r.peak_threads.to_string(),
                r.processes.to_string(),
                r.ctxt_switches.to_string(),
                format!("{:.2}", r.ctxt_switches_per_task()),
            ]
        })
        .collect();
    align(HEADERS, cells, 1)
}
