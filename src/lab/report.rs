//! `LabReport`: the lab's results as a text table, as JSON, and as an SVG
//! chart — all byte-identical from run to run.

#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{json, Value};

use super::metrics::Figures;
use super::scenarios::Scenario;

/// One scheduler's figures on one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The scheduler's name.
    pub scheduler: String,
    /// The scenario.
    pub scenario: Scenario,
    /// What it did.
    pub figures: Figures,
}

/// Everything one [`Lab::run`](super::Lab::run) measured.
#[derive(Debug, Clone, PartialEq)]
pub struct LabReport {
    /// The seed of the seeded policies.
    pub seed: u64,
    /// The schedulers, in order: name and description.
    pub schedulers: Vec<(String, String)>,
    /// The scenarios, in order.
    pub scenarios: Vec<Scenario>,
    /// One row per scenario and scheduler, scenario by scenario.
    pub rows: Vec<Row>,
}

/// One panel of the chart: its title, the figure it draws, and whether
/// bars are shares of the scenario's worst value (else drawn as they are,
/// on a 0–1 scale).
type Panel = (&'static str, fn(&Figures) -> f64, bool);

/// Colours of the chart's bars, one per scheduler in order (then again).
const PALETTE: [&str; 8] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f",
];

/// A duration as milliseconds with three decimals (to the microsecond,
/// rounded down).
fn ms(d: Duration) -> String {
    let micros = d.as_micros();
    format!("{}.{:03}", micros / 1_000, micros % 1_000)
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl LabReport {
    /// The figures of `scheduler` on `scenario`, if they were measured.
    pub fn figures(&self, scheduler: &str, scenario: Scenario) -> Option<&Figures> {
        self.rows
            .iter()
            .find(|row| row.scheduler == scheduler && row.scenario == scenario)
            .map(|row| &row.figures)
    }

    /// The rows of one scenario, in scheduler order.
    fn rows_of(&self, scenario: Scenario) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(move |row| row.scenario == scenario)
    }

    /// A plain-text table per scenario. Times in virtual milliseconds.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::lab::{Lab, Scenario};
    ///
    /// let report = Lab::new().scenarios(&[Scenario::FanOut]).run().unwrap();
    /// let table = report.table();
    /// assert!(table.starts_with("fan-out:"));
    /// assert!(table.contains("fair-share"));
    /// ```
    pub fn table(&self) -> String {
        let mut out = String::new();
        for (i, &scenario) in self.scenarios.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let _ = writeln!(out, "{scenario}: {}", scenario.about());
            let _ = writeln!(
                out,
                "{:<14} {:>12} {:>7} {:>10} {:>10} {:>10} {:>6} {:>8}",
                "scheduler",
                "makespan ms",
                "polls",
                "mean wait",
                "p99 wait",
                "max wait",
                "jain",
                "starved"
            );
            for row in self.rows_of(scenario) {
                let f = &row.figures;
                let _ = writeln!(
                    out,
                    "{:<14} {:>12} {:>7} {:>10} {:>10} {:>10} {:>6.3} {:>8}",
                    row.scheduler,
                    ms(f.makespan),
                    f.polls,
                    ms(f.mean_ready_wait),
                    ms(f.p99_ready_wait),
                    ms(f.max_ready_wait),
                    f.jain,
                    f.longest_starvation
                );
            }
        }
        out
    }

    /// The same figures as a JSON document (durations in nanoseconds).
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::lab::{Lab, Scenario};
    ///
    /// let report = Lab::new().scenarios(&[Scenario::FanOut]).run().unwrap();
    /// let json = report.to_json();
    /// assert_eq!(json["results"].as_array().unwrap().len(), 6);
    /// assert!(json["results"][0]["p99_ready_wait_ns"].is_u64());
    /// ```
    pub fn to_json(&self) -> Value {
        let schedulers: Vec<Value> = self
            .schedulers
            .iter()
            .map(|(name, about)| json!({ "name": name, "about": about }))
            .collect();
        let scenarios: Vec<Value> = self
            .scenarios
            .iter()
            .map(|s| json!({ "name": s.name(), "about": s.about() }))
            .collect();
        let results: Vec<Value> = self
            .rows
            .iter()
            .map(|row| {
                let f = &row.figures;
                json!({
                    "scheduler": row.scheduler,
                    "scenario": row.scenario.name(),
                    "makespan_ns": nanos(f.makespan),
                    "polls": f.polls,
                    "tasks": f.tasks,
                    "ready_stretches": f.stretches,
                    "mean_ready_wait_ns": nanos(f.mean_ready_wait),
                    "p99_ready_wait_ns": nanos(f.p99_ready_wait),
                    "max_ready_wait_ns": nanos(f.max_ready_wait),
                    "jain": f.jain,
                    "longest_starvation_polls": f.longest_starvation,
                })
            })
            .collect();
        json!({
            "seed": self.seed,
            "time": "virtual (simulated loop)",
            "schedulers": schedulers,
            "scenarios": scenarios,
            "results": results,
        })
    }

    /// An SVG chart: for each scenario, one bar per scheduler of its p99
    /// ready-wait (as a share of the scenario's worst) and of its Jain
    /// index. Written by hand, so it depends on no font or library.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::lab::{Lab, Scenario};
    ///
    /// let report = Lab::new().scenarios(&[Scenario::Greedy]).run().unwrap();
    /// let svg = report.svg();
    /// assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    /// ```
    pub fn svg(&self) -> String {
        const BAR: f64 = 14.0;
        const GROUP_GAP: f64 = 26.0;
        const PANEL_HEIGHT: f64 = 170.0;
        const LEFT: f64 = 50.0;
        const TOP: f64 = 60.0;
        let per_group = self.schedulers.len().max(1) as f64;
        let group_width = per_group * BAR + GROUP_GAP;
        let width = LEFT + group_width * self.scenarios.len().max(1) as f64 + 20.0;
        let legend_y = TOP + 2.0 * (PANEL_HEIGHT + 50.0);
        let height = legend_y + 20.0 * self.schedulers.len() as f64 + 20.0;
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" font-family="sans-serif" font-size="11">"#
        );
        let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
        let _ = writeln!(
            svg,
            r#"<text x="{LEFT}" y="20" font-size="14">handspun lab: scheduler × scenario (virtual time, seed {})</text>"#,
            self.seed
        );
        let panels: [Panel; 2] = [
            (
                "p99 ready-wait, share of the worst scheduler on the scenario (lower is better)",
                |f| f.p99_ready_wait.as_secs_f64(),
                true,
            ),
            (
                "Jain's fairness index of thread time (higher is better)",
                |f| f.jain,
                false,
            ),
        ];
        for (p, (title, value, relative)) in panels.iter().enumerate() {
            let base = TOP + p as f64 * (PANEL_HEIGHT + 50.0) + PANEL_HEIGHT;
            let _ = writeln!(
                svg,
                r#"<text x="{LEFT}" y="{:.0}" font-size="12">{title}</text>"#,
                base - PANEL_HEIGHT - 12.0
            );
            let _ = writeln!(
                svg,
                r#"<line x1="{LEFT}" y1="{base:.0}" x2="{:.0}" y2="{base:.0}" stroke="black"/>"#,
                width - 20.0
            );
            for (g, &scenario) in self.scenarios.iter().enumerate() {
                let x0 = LEFT + g as f64 * group_width + GROUP_GAP / 2.0;
                let worst = self
                    .rows_of(scenario)
                    .map(|row| value(&row.figures))
                    .fold(0.0_f64, f64::max);
                for (s, row) in self.rows_of(scenario).enumerate() {
                    let raw = value(&row.figures);
                    let share = if *relative {
                        if worst > 0.0 {
                            raw / worst
                        } else {
                            0.0
                        }
                    } else {
                        raw
                    };
                    let h = share * PANEL_HEIGHT;
                    let _ = writeln!(
                        svg,
                        r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{}"><title>{} on {scenario}: {}</title></rect>"#,
                        x0 + s as f64 * BAR,
                        base - h,
                        BAR - 2.0,
                        PALETTE[s % PALETTE.len()],
                        escape(&row.scheduler),
                        if *relative {
                            format!("{} ms", ms(row.figures.p99_ready_wait))
                        } else {
                            format!("{raw:.3}")
                        }
                    );
                }
                let _ = writeln!(
                    svg,
                    r#"<text x="{:.1}" y="{:.0}" text-anchor="middle">{scenario}</text>"#,
                    x0 + per_group * BAR / 2.0,
                    base + 14.0
                );
            }
        }
        for (s, (name, about)) in self.schedulers.iter().enumerate() {
            let y = legend_y + 20.0 * s as f64;
            let _ = writeln!(
                svg,
                r#"<rect x="{LEFT}" y="{:.0}" width="12" height="12" fill="{}"/><text x="{:.0}" y="{:.0}">{}: {}</text>"#,
                y - 10.0,
                PALETTE[s % PALETTE.len()],
                LEFT + 18.0,
                y,
                escape(name),
                escape(about)
            );
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// Escapes text for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
