//! The report's tables and charts drawn with egui: the same [`Table`]s and [`ChartData`] the
//! Markdown and HTML reports render, so the app and the reports show the same numbers.

use egui::RichText;
use egui_plot::{Line, PlotPoints, Span};

use super::palette;
use crate::report::charts::{ChartData, XAxis, slot_spans};
use crate::report::tables::{Cell, Table, Tone};

/// One cell: pass/better in green, fail/worse in red (with the words, never colour alone).
pub(crate) fn cell(ui: &mut egui::Ui, cell: &Cell, size: Option<f32>) -> egui::Response {
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
    match &cell.hover {
        Some(hover) => response.on_hover_text(hover),
        None => response,
    }
}

/// The Copy button of a table: puts `text()` (tab-separated rows under a header) on the
/// clipboard, and says "Copied 12 rows" beside it for a moment.
pub(crate) fn copy_button(ui: &mut egui::Ui, what: &str, rows: usize, text: impl FnOnce() -> String) {
    // On one line with what it says, so the table below does not move when it says it.
    ui.horizontal(|ui| {
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
    });
}

/// The shape of a [`pinned_grid`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct GridShape {
    pub columns: usize,
    /// The first columns, which stay where they are while the others scroll sideways.
    pub pinned: usize,
    /// Rows below the header row.
    pub body_rows: usize,
    /// Every row's height in both halves, so they line up: at least the tallest cell's.
    pub row_height: f32,
    pub spacing: egui::Vec2,
    /// Rows that select as a whole: the first column of each row's click area (the columns
    /// before it, such as a check box, keep their clicks). None: no click areas (cells keep
    /// their hover text).
    pub row_clicks_from: Option<usize>,
}

impl GridShape {
    /// A grid of body text and buttons, `pinned` columns pinned.
    pub(crate) fn of_text(ui: &egui::Ui, columns: usize, pinned: usize, body_rows: usize, spacing: [f32; 2]) -> GridShape {
        let text = ui.text_style_height(&egui::TextStyle::Body) + 2.0 * ui.spacing().button_padding.y;
        GridShape {
            columns,
            pinned: pinned.min(columns),
            body_rows,
            row_height: text.max(ui.spacing().interact_size.y),
            spacing: spacing.into(),
            row_clicks_from: None,
        }
    }
}

/// A striped grid whose first columns stay put while the rest scroll sideways, so a narrow
/// window still shows which row is which: two grids side by side, the second in a horizontal
/// scroll area, every row of one height. `draw(ui, row, column)` draws a cell (row 0 is the
/// header). With `row_clicks_from`, returns a click response for each body row, the whole row
/// wide, both halves (else Nones).
pub(crate) fn pinned_grid(
    ui: &mut egui::Ui,
    id: &str,
    shape: GridShape,
    mut draw: impl FnMut(&mut egui::Ui, usize, usize) -> egui::Response,
) -> Vec<Option<egui::Response>> {
    let mut rows: Vec<Option<egui::Response>> = vec![None; shape.body_rows];
    let mut half = |ui: &mut egui::Ui, part: usize, columns: std::ops::Range<usize>| {
        let mut rects = vec![egui::Rect::NOTHING; shape.body_rows];
        egui::Grid::new((id, part))
            .striped(true)
            .spacing(shape.spacing)
            .min_row_height(shape.row_height)
            .show(ui, |ui| {
                for row in 0..=shape.body_rows {
                    for column in columns.clone() {
                        let response = draw(ui, row, column);
                        if row > 0 && shape.row_clicks_from.is_some_and(|from| column >= from) {
                            rects[row - 1] = rects[row - 1].union(response.rect);
                        }
                    }
                    ui.end_row();
                }
            });
        for (row, rect) in rects.into_iter().enumerate() {
            if !rect.is_positive() {
                continue;
            }
            let rect = rect.expand2(shape.spacing * 0.5);
            let response = ui.interact(rect, ui.scope_id().with((id, part, row)), egui::Sense::click());
            rows[row] = Some(match rows[row].take() {
                Some(other) => other | response,
                None => response,
            });
        }
    };
    ui.horizontal_top(|ui| {
        ui.spacing_mut().item_spacing.x = shape.spacing.x;
        if shape.pinned > 0 {
            half(ui, 0, 0..shape.pinned);
        }
        if shape.pinned < shape.columns {
            egui::ScrollArea::horizontal()
                .id_salt((id, "scrolled"))
                .show(ui, |ui| half(ui, 1, shape.pinned..shape.columns));
        }
    });
    rows
}

/// A table with its title and caption, as a striped grid (its first column pinned while the
/// rest scroll sideways); Copy puts it on the clipboard as tab-separated text.
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
    table_grid(ui, &format!("{id:?}"), table, [14.0, 3.0]);
    ui.add_space(6.0);
}

/// A table's headers and cells as a striped grid, its first column pinned while the rest
/// scroll sideways.
pub(crate) fn table_grid(ui: &mut egui::Ui, id: &str, table: &Table, spacing: [f32; 2]) {
    let shape = GridShape::of_text(ui, table.headers.len(), 1, table.rows.len(), spacing);
    pinned_grid(ui, id, shape, |ui, row, column| match row {
        0 => ui.label(RichText::new(&table.headers[column]).strong()),
        _ => match table.rows[row - 1].get(column) {
            Some(item) => cell(ui, item, None),
            None => ui.label(""),
        },
    });
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
pub(super) fn verdict_label(ui: &mut egui::Ui, passed: Option<bool>) -> egui::Response {
    match passed {
        Some(true) => ui.colored_label(palette::PASS, "passed"),
        Some(false) => ui.colored_label(palette::FAIL, "failed"),
        None => ui
            .label("no targets")
            .on_hover_text("No target checked this run, so it has no verdict. Add targets to its scenarios (Editor > Targets, or [[scenario.target]] in the preset) to judge it."),
    }
}
