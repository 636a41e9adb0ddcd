//! The `--scale` chart: four panels against the number of downloads (log
//! scale) — wall time, memory added by the run, threads, context switches
//! — one line per model, in the colours of the other charts.

use plotters::prelude::*;

use super::chart::{model_color, ChartError};
use crate::workloads::scale::ScaleRow;
use crate::workloads::Model;

/// Chart width, pixels.
const WIDTH: u32 = 1040;
/// Chart height, pixels.
const HEIGHT: u32 = 760;

/// One panel: its caption, its axis label, whether its axis is
/// logarithmic, and the value of a row it plots.
struct Panel {
    caption: &'static str,
    unit: &'static str,
    log: bool,
    value: fn(&ScaleRow) -> f64,
}

/// The four panels, in reading order (left to right, top to bottom).
const PANELS: [Panel; 4] = [
    Panel {
        caption: "wall time",
        unit: "seconds",
        log: false,
        value: |r| r.wall_s,
    },
    Panel {
        caption: "memory added by the run (peak RSS over the start)",
        unit: "MiB",
        log: false,
        value: |r| r.peak_rss_added_kib as f64 / 1024.0,
    },
    Panel {
        caption: "threads at once (processes: parent + workers)",
        unit: "threads",
        log: true,
        value: |r| (r.peak_threads + r.processes as u64) as f64,
    },
    Panel {
        caption: "context switches (all threads and workers)",
        unit: "switches",
        log: true,
        value: |r| r.ctxt_switches as f64,
    },
];

/// The sweep as SVG.
///
/// # Errors
///
/// [`ChartError::Empty`] when `rows` is empty; [`ChartError::Drawing`]
/// when plotters fails.
pub fn scale_svg(rows: &[ScaleRow]) -> Result<String, ChartError> {
    if rows.is_empty() {
        return Err(ChartError::Empty);
    }
    let mut models: Vec<Model> = Vec::new();
    for row in rows {
        if !models.contains(&row.model) {
            models.push(row.model);
        }
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let areas = root.split_evenly((2, 2));
        for (area, panel) in areas.iter().zip(&PANELS) {
            draw_panel(area, panel, rows, &models)?;
        }
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

fn drawing<E: std::fmt::Display>(error: E) -> ChartError {
    ChartError::Drawing(error.to_string())
}

fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    panel: &Panel,
    rows: &[ScaleRow],
    models: &[Model],
) -> Result<(), ChartError> {
    // A log axis cannot hold zero, and a range needs two ends apart.
    let x_of = |r: &ScaleRow| (r.tasks as f64).max(1.0);
    let y_of = |r: &ScaleRow| {
        let y = (panel.value)(r);
        if panel.log {
            y.max(1.0)
        } else {
            y
        }
    };
    let x_min = rows.iter().map(x_of).fold(f64::INFINITY, f64::min);
    let x_max = rows.iter().map(x_of).fold(0.0, f64::max).max(x_min * 2.0);
    let y_max = rows.iter().map(y_of).fold(0.0, f64::max).max(1e-6);
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(panel.caption, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64);
    let x_range = (x_min / 1.2..x_max * 1.2).log_scale();
    let series = |model: Model| -> Vec<(f64, f64)> {
        rows.iter()
            .filter(|r| r.model == model)
            .map(|r| (x_of(r), y_of(r)))
            .collect()
    };
    macro_rules! draw_on {
        ($chart:expr) => {{
            let mut chart = $chart.map_err(drawing)?;
            chart
                .configure_mesh()
                .light_line_style(WHITE)
                .x_desc("downloads")
                .y_desc(panel.unit)
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| {
                    if panel.log {
                        format!("{y:.0}")
                    } else {
                        format!("{y:.1}")
                    }
                })
                .draw()
                .map_err(drawing)?;
            for &model in models {
                let color = model_color(model);
                let points = series(model);
                chart
                    .draw_series([PathElement::new(points.clone(), color.stroke_width(2))])
                    .map_err(drawing)?
                    .label(model.to_string())
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
                    });
                chart
                    .draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))
                    .map_err(drawing)?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(drawing)?;
        }};
    }
    if panel.log {
        draw_on!(builder.build_cartesian_2d(x_range, (0.5..y_max * 2.0).log_scale()));
    } else {
        draw_on!(builder.build_cartesian_2d(x_range, 0.0..y_max * 1.15));
    }
    Ok(())
}
