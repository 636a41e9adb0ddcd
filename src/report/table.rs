//! The table `handspun compare` prints: one aligned row per workload × model.

use std::fmt::Write as _;

use crate::workloads::RunResult;

/// Formats seconds with a precision that suits their size.
///
/// # Examples
///
/// ```
/// use handspun::report::table::seconds;
/// assert_eq!(seconds(12.8), "12.80 s");
/// assert_eq!(seconds(0.2), "0.200 s");
/// assert_eq!(seconds(0.0042), "4.2 ms");
/// ```
pub fn seconds(s: f64) -> String {
    if s >= 10.0 {
        format!("{s:.2} s")
    } else if s >= 0.1 {
        format!("{s:.3} s")
    } else {
        format!("{:.1} ms", s * 1e3)
    }
}

/// Formats KiB as MiB.
pub(crate) fn memory(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".to_string())
}

/// The table as text, one line per row plus a header, columns aligned,
/// numbers right-aligned.
///
/// # Examples
///
/// ```
/// use handspun::report::table::render;
///
/// let text = render(&[]);
/// assert!(text.starts_with("workload"));
/// ```
pub fn render(results: &[RunResult]) -> String {
    const HEADERS: [&str; 13] = [
        "workload", "model", "workers", "conc", "tasks", "ok", "failed", "wall", "ideal", "eff",
        "vs sync", "conns", "peak RSS",
    ];
    // The first two columns are words (left-aligned); the rest are numbers.
    const TEXT_COLUMNS: usize = 2;
    let rows: Vec<[String; 13]> = results
        .iter()
        .map(|r| {
            [
                r.workload.to_string(),
                r.model.to_string(),
                r.workers.to_string(),
                r.concurrency.to_string(),
                r.tasks.to_string(),
                r.ok.to_string(),
                r.failed.to_string(),
                seconds(r.wall_s),
                or_dash(r.ideal_s.map(seconds)),
                or_dash(r.efficiency.map(|e| format!("{e:.2}"))),
                or_dash(r.speedup_vs_sync.map(|s| format!("{s:.2}×"))),
                or_dash(r.connections_opened.map(|c| c.to_string())),
                memory(r.peak_rss_kib),
            ]
        })
        .collect();
    align(HEADERS, rows, TEXT_COLUMNS)
}

/// Lays out `rows` under `headers`, columns aligned: the first
/// `text_columns` to the left (words), the others to the right (numbers).
pub(crate) fn align<const N: usize>(
    headers: [&str; N],
    rows: Vec<[String; N]>,
    text_columns: usize,
) -> String {
    let widths: Vec<usize> = (0..N)
        .map(|column| {
            rows.iter()
                .map(|row| row[column].chars().count())
                .chain([headers[column].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    let lines = std::iter::once(headers.map(String::from)).chain(rows);
    for line in lines {
        let mut out = String::new();
        for (column, cell) in line.iter().enumerate() {
            let width = widths[column];
            let pad = width - cell.chars().count();
            if column > 0 {
                out.push_str("  ");
            }
            if column < text_columns {
                let _ = write!(out, "{cell}{}", " ".repeat(pad));
            } else {
                let _ = write!(out, "{}{cell}", " ".repeat(pad));
            }
        }
        text.push_str(out.trim_end());
        text.push('\n');
    }
    text
}
