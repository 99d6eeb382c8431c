//! The report's tables and charts drawn with egui: the same [`Table`]s and [`ChartData`] the
//! Markdown and HTML reports render, so the app and the reports show the same numbers.

use egui::RichText;
use egui_plot::{Line, PlotPoints, Span};

use super::palette;
use crate::report::charts::{ChartData, XAxis, slot_spans};
use crate::report::tables::{Cell, Table, Tone};

/// One cell: pass/better in green, fail/worse in red (with the words, never colour alone).
pub(crate) fn cell(ui: &mut egui::Ui, cell: &Cell, size: Option<f32>) {
    let mut text = RichText::new(&cell.text);
    if let Some(size) = size {
        text = text.size(size);
    }
    let text = match cell.tone {
        Tone::Plain => text,
        Tone::Pass | Tone::Better => text.color(palette::PASS).strong(),
        Tone::Fail | Tone::Worse => text.color(palette::FAIL).strong(),
        Tone::Same => text.weak(),
        Tone::Code => text.monospace(),
    };
    let response = ui.label(text);
    if let Some(hover) = &cell.hover {
        response.on_hover_text(hover);
    }
}

/// The Copy button of a table: puts `text()` (tab-separated rows under a header) on the
/// clipboard, and says "Copied 12 rows" beside it for a moment.
pub(crate) fn copy_button(ui: &mut egui::Ui, what: &str, rows: usize, text: impl FnOnce() -> String) {
    let id = ui.scope_id().with(("copied", what));
    let response = ui
        .small_button("Copy")
        .on_hover_text(format!("Copy the {what} table (tab-separated, for a spreadsheet)"));
    let now = ui.input(|input| input.time);
    if response.clicked() {
        ui.ctx().copy_text(text());
        ui.data_mut(|data| data.insert_temp(id, now));
    }
    const SHOWN_SECS: f64 = 2.5;
    if let Some(at) = ui.data(|data| data.get_temp::<f64>(id)) {
        if now - at < SHOWN_SECS {
            let rows = if rows == 1 { "1 row".to_string() } else { format!("{rows} rows") };
            ui.label(RichText::new(format!("Copied {rows}")).color(palette::PASS));
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs_f64(SHOWN_SECS - (now - at)));
        } else {
            ui.data_mut(|data| data.remove::<f64>(id));
        }
    }
}

/// A table with its title and caption, as a striped grid; Copy puts it on the clipboard as
/// tab-separated text.
pub(crate) fn table(ui: &mut egui::Ui, id: impl std::hash::Hash + std::fmt::Debug, table: &Table) {
    ui.horizontal(|ui| {
        if let Some(title) = &table.title {
            ui.label(RichText::new(title).strong());
        }
        let what = table.title.as_deref().unwrap_or("table");
        copy_button(ui, what, table.rows.len(), || crate::report::tsv::table(table));
    });
    if let Some(caption) = &table.caption {
        ui.label(RichText::new(caption).weak());
    }
    egui::Grid::new(id).striped(true).spacing([14.0, 3.0]).show(ui, |ui| {
        for header in &table.headers {
            ui.label(RichText::new(header).strong());
        }
        ui.end_row();
        for row in &table.rows {
            for item in row {
                cell(ui, item, None);
            }
            ui.end_row();
        }
    });
    ui.add_space(6.0);
}

/// Draws a report chart with egui_plot: a legend above it (one swatch per line, then the
/// targets), level bands with their names, one line per series, target lines; `highlight`
/// shades one band more strongly (the level being presented). Returns the rect of legend and
/// plot.
pub(crate) fn chart(ui: &mut egui::Ui, data: &ChartData, height: f32, line_width: f32, highlight: Option<usize>) -> egui::Rect {
    let y_max = data
        .lines
        .iter()
        .flat_map(|line| line.points.iter().map(|point| point[1]))
        .chain(data.thresholds.iter().map(|threshold| threshold.value))
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let y_top = y_max * 1.25;
    // The catalogue's colour for a line (the Live tab's), else by its place (runs compared).
    let color = |index: usize| {
        data.lines[index]
            .color
            .map_or(palette::RUNS[index % palette::RUNS.len()], palette::series)
    };
    // Band names a little smaller than the axes' text (which is the body text: Present makes
    // it larger for a room).
    let band_label_size = (egui::TextStyle::Body.resolve(ui.style()).size - 2.0).max(super::charts::BAND_LABEL_SIZE);
    ui.vertical(|ui| {
        ui.horizontal_wrapped(|ui| {
            for (index, line) in data.lines.iter().enumerate() {
                ui.label(RichText::new("■").color(color(index)));
                ui.add_space(-6.0);
                ui.label(&line.name);
            }
            for marker in &data.markers {
                ui.label(RichText::new("|").color(palette::CAPACITY_MARKER).strong());
                ui.add_space(-6.0);
                ui.label(RichText::new(&marker.label).color(palette::CAPACITY_MARKER));
            }
            let mut seen: Vec<&str> = Vec::new();
            for threshold in &data.thresholds {
                if !seen.contains(&threshold.label.as_str()) {
                    seen.push(&threshold.label);
                    ui.label(RichText::new("- -").color(palette::TARGET).strong());
                    ui.add_space(-6.0);
                    ui.label(RichText::new(format!("target {}", threshold.label)).weak());
                }
            }
        });
        let plot = super::charts::with_axes(
            super::charts::fixed_plot(("report-chart", &data.id, &data.title), height),
            &data.unit,
        );
        // A capacity curve's x axis is the search's load, not time.
        let plot = match data.x_axis {
            XAxis::Elapsed => plot,
            XAxis::Load(axis) => plot
                .x_grid_spacer(egui_plot::log_grid_spacer(10))
                .x_axis_formatter(move |mark, _| axis.format(mark.value)),
        };
        // A load axis starts at zero and ends past the last step (or the answer), not around
        // the first point egui would centre on.
        let x_range = match data.x_axis {
            XAxis::Load(_) => {
                let x_end = data
                    .lines
                    .iter()
                    .flat_map(|line| line.points.iter().map(|point| point[0]))
                    .chain(data.markers.iter().map(|marker| marker.x))
                    .fold(0.0_f64, f64::max)
                    .max(1.0);
                Some(0.0..=x_end * 1.1)
            }
            XAxis::Elapsed => None,
        };
        plot.show(ui, |plot| {
            plot.set_plot_bounds_y(0.0..=y_top);
            if let Some(range) = x_range.clone() {
                plot.set_plot_bounds_x(range);
            }
            for (index, band) in data.bands.iter().enumerate() {
                let alpha = if highlight == Some(index) {
                    90
                } else if index % 2 == 0 {
                    10
                } else {
                    48
                };
                plot.add(
                    Span::new("", band.start_secs..=band.end_secs)
                        .fill(palette::grey_fill(alpha))
                        .border_width(0.0),
                );
            }
            let bounds = plot.plot_bounds();
            super::charts::draw_band_labels(
                plot,
                &slot_spans(&data.bands),
                (bounds.min()[0], bounds.max()[0]),
                y_top,
                band_label_size,
            );
            for threshold in &data.thresholds {
                plot.line(
                    Line::new(
                        "",
                        PlotPoints::from(vec![[threshold.start_secs, threshold.value], [threshold.end_secs, threshold.value]]),
                    )
                    .color(palette::TARGET)
                    .style(egui_plot::LineStyle::dashed_loose())
                    .width(1.5),
                );
            }
            for (index, line) in data.lines.iter().enumerate() {
                plot.line(
                    Line::new(line.name.clone(), PlotPoints::from(line.points.clone()))
                        .color(color(index))
                        .width(line_width),
                );
                // A search's steps are measurements at a load, each a marker on its curve.
                if x_range.is_some() {
                    plot.points(
                        egui_plot::Points::new("", PlotPoints::from(line.points.clone()))
                            .color(color(index))
                            .radius(line_width + 2.5),
                    );
                }
            }
            for marker in &data.markers {
                plot.vline(
                    egui_plot::VLine::new("", marker.x)
                        .color(palette::CAPACITY_MARKER)
                        .width(2.0)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
                plot.text(
                    egui_plot::Text::new(
                        "",
                        [marker.x, y_top * 0.97].into(),
                        RichText::new(format!(" {}", marker.label)).strong(),
                    )
                    .color(palette::CAPACITY_MARKER)
                    .anchor(egui::Align2::LEFT_TOP),
                );
            }
        });
    })
    .response
    .rect
}

/// A run's verdict as one coloured word: passed, failed, or no targets.
pub(super) fn verdict_label(ui: &mut egui::Ui, passed: Option<bool>) {
    match passed {
        Some(true) => ui.colored_label(palette::PASS, "passed"),
        Some(false) => ui.colored_label(palette::FAIL, "failed"),
        None => ui
            .label("no targets")
            .on_hover_text("No target checked this run, so it has no verdict. Add targets to its scenarios (Editor > Targets, or [[scenario.target]] in the preset) to judge it."),
    };
}
