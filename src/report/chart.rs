//! The SVG charts: `--plot` (wall time per model, per workload, the ideal
//! marked) and `--sweep` (the io workload's wall time against the number of
//! threads).
//!
//! Drawn with `plotters`' SVG backend and no font library: text goes into
//! the SVG as `<text>` elements and the viewer's default sans-serif font
//! draws it; plotters only estimates text sizes for the layout.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::workloads::{Model, RunResult, Workload};

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// There was nothing to draw.
    #[error("no results to chart")]
    Empty,
    /// plotters failed (it reports its errors as text).
    #[error("drawing the chart failed: {0}")]
    Drawing(String),
}

fn drawing<E: std::fmt::Display>(error: E) -> ChartError {
    ChartError::Drawing(error.to_string())
}

/// The colour of a model's bars (a colour-blind-safe palette).
pub fn model_color(model: Model) -> RGBColor {
    match model {
        Model::Sync => RGBColor(0x55, 0x55, 0x55),
        Model::Threads => RGBColor(0x00, 0x72, 0xB2),
        Model::EventLoop => RGBColor(0x00, 0x9E, 0x73),
        Model::Processes => RGBColor(0xE6, 0x9F, 0x00),
        Model::ThreadsGil => RGBColor(0xCC, 0x79, 0xA7),
        Model::EventLoopMt => RGBColor(0xD5, 0x5E, 0x00),
    }
}

/// The colour of a model's bars as SVG writes it (`#0072B2`).
pub fn model_color_hex(model: Model) -> String {
    let RGBColor(r, g, b) = model_color(model);
    format!("#{r:02X}{g:02X}{b:02X}")
}

/// Panel width per workload, pixels, for up to [`BARS_PER_PANEL`] bars.
const PANEL_WIDTH: u32 = 480;
/// Bars a panel of [`PANEL_WIDTH`] holds with their labels apart; each bar
/// beyond adds [`BAR_WIDTH`] (`event-loop-mt`, the longest label, needs
/// about that much).
const BARS_PER_PANEL: u32 = 5;
/// Width added per bar beyond [`BARS_PER_PANEL`], pixels.
const BAR_WIDTH: u32 = 100;
/// Chart height, pixels.
const HEIGHT: u32 = 420;

/// The comparison chart: one panel per workload, one bar per model (its wall
/// time, labelled), a black line across each bar at its ideal time.
///
/// # Errors
///
/// [`ChartError::Empty`] when `results` is empty; [`ChartError::Drawing`]
/// when plotters fails.
pub fn comparison_svg(results: &[RunResult]) -> Result<String, ChartError> {
    let workloads: Vec<Workload> = Workload::ALL
        .into_iter()
        .filter(|w| results.iter().any(|r| r.workload == *w))
        .collect();
    if workloads.is_empty() {
        return Err(ChartError::Empty);
    }
    let most_bars = workloads
        .iter()
        .map(|w| results.iter().filter(|r| r.workload == *w).count() as u32)
        .max()
        .unwrap_or(0);
    let panel_width = PANEL_WIDTH + most_bars.saturating_sub(BARS_PER_PANEL) * BAR_WIDTH;
    let mut svg = String::new();
    {
        let width = panel_width * workloads.len() as u32;
        let root = SVGBackend::with_string(&mut svg, (width, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let panels = root.split_evenly((1, workloads.len()));
        for (panel, workload) in panels.iter().zip(&workloads) {
            let rows: Vec<&RunResult> =
                results.iter().filter(|r| r.workload == *workload).collect();
            draw_panel(panel, *workload, &rows)?;
        }
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    workload: Workload,
    rows: &[&RunResult],
) -> Result<(), ChartError> {
    let top = rows
        .iter()
        .map(|r| r.wall_s.max(r.ideal_s.unwrap_or(0.0)))
        .fold(0.0_f64, f64::max)
        .max(1e-6)
        * 1.25;
    let slots = rows.len() as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{workload}: wall time per model (black line: ideal)"),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(12)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..slots, 0.0..top)
        .map_err(drawing)?;
    // Bars are labelled with their model above them, so the x axis needs
    // no labels (and any number of bars, even one, lays out the same).
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .x_labels(0)
        .y_desc("seconds")
        .draw()
        .map_err(drawing)?;
    let label = |size: i32| {
        ("sans-serif", size)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Bottom))
    };
    for (i, row) in rows.iter().enumerate() {
        let left = i as f64;
        let color = model_color(row.model);
        chart
            .draw_series([Rectangle::new(
                [(left + 0.12, 0.0), (left + 0.88, row.wall_s)],
                color.filled(),
            )])
            .map_err(drawing)?;
        let above = row.wall_s.max(row.ideal_s.unwrap_or(0.0));
        chart
            .draw_series([
                Text::new(
                    crate::report::table::seconds(row.wall_s),
                    (left + 0.5, above + top * 0.02),
                    label(13),
                ),
                Text::new(
                    row.model.to_string(),
                    (left + 0.5, above + top * 0.08),
                    label(14),
                ),
            ])
            .map_err(drawing)?;
        if let Some(ideal) = row.ideal_s {
            // The ideal: a black line across the bar.
            chart
                .draw_series([PathElement::new(
                    [(left + 0.04, ideal), (left + 0.96, ideal)],
                    BLACK.stroke_width(2),
                )])
                .map_err(drawing)?;
        }
    }
    Ok(())
}

/// The sweep chart: io wall time against thread-pool size (log scale), with
/// the ideal time beside it.
///
/// # Errors
///
/// [`ChartError::Empty`] when `sweep` is empty; [`ChartError::Drawing`]
/// when plotters fails.
pub fn sweep_svg(sweep: &[RunResult]) -> Result<String, ChartError> {
    if sweep.is_empty() {
        return Err(ChartError::Empty);
    }
    let max_workers = sweep.iter().map(|r| r.workers).max().unwrap_or(1).max(2) as f64;
    let top = sweep
        .iter()
        .map(|r| r.wall_s.max(r.ideal_s.unwrap_or(0.0)))
        .fold(0.0_f64, f64::max)
        .max(1e-6)
        * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "io: wall time of {} downloads against threads",
                    sweep[0].tasks
                ),
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d((1.0..max_workers).log_scale(), 0.0..top)
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .x_desc("worker threads")
            .light_line_style(WHITE)
            .y_desc("seconds")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .draw()
            .map_err(drawing)?;
        let color = model_color(Model::Threads);
        let measured: Vec<(f64, f64)> =
            sweep.iter().map(|r| (r.workers as f64, r.wall_s)).collect();
        chart
            .draw_series([PathElement::new(measured.clone(), color.stroke_width(2))])
            .map_err(drawing)?
            .label("measured")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        chart
            .draw_series(measured.iter().map(|&p| Circle::new(p, 4, color.filled())))
            .map_err(drawing)?;
        let ideal: Vec<(f64, f64)> = sweep
            .iter()
            .filter_map(|r| Some((r.workers as f64, r.ideal_s?)))
            .collect();
        chart
            .draw_series([PathElement::new(ideal, BLACK.stroke_width(1))])
            .map_err(drawing)?
            .label("ideal")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(1)));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(drawing)?;
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}
