//! The Live tab's charts, drawn from the one chart catalogue (`report::catalogue`): min/max
//! decimation so an hour-long run draws as fast as a minute-long one, and drawing with
//! egui_plot on one shared time axis (elapsed m:ss) with level bands, target lines in their
//! series' colours, a legend above the plot that reads the values under the pointer, a
//! crosshair every chart shares, and drag-to-zoom on all charts at once.

use egui::{Color32, RichText};
use egui_plot::{GridInput, GridMark, Line, Plot, PlotPoints, Span, Text, VLine};

use super::chart_png::ChartPicture;
use super::live_run::{LevelBand, TargetLine};
use super::palette::{self, SERIES, band_fill};
use crate::format;
use crate::report::catalogue::MAX_DYNAMIC_LINES;
pub(crate) use crate::report::catalogue::{CHARTS, ChartSpec, DynamicLines, SeriesSpec};
use crate::report::charts::{BandSpan, band_labels, point_x_secs};
use crate::run::SeriesPoint;

/// Reduces `points` (sorted by x) to at most about `2 * buckets` points, keeping each bucket's
/// lowest and highest value in x order, so spikes survive and the line's envelope is exact.
pub(crate) fn decimate(points: &[[f64; 2]], buckets: usize) -> Vec<[f64; 2]> {
    if buckets == 0 || points.len() <= buckets * 2 {
        return points.to_vec();
    }
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let (start, span) = (first[0], (last[0] - first[0]).max(f64::MIN_POSITIVE));
    let mut out = Vec::with_capacity(buckets * 2 + 2);
    let mut index = 0;
    while index < points.len() {
        let bucket = (((points[index][0] - start) / span) * buckets as f64).min(buckets as f64 - 1.0) as usize;
        let (mut low, mut high) = (index, index);
        let mut next = index + 1;
        while next < points.len() && ((((points[next][0] - start) / span) * buckets as f64).min(buckets as f64 - 1.0) as usize) == bucket {
            if points[next][1] < points[low][1] {
                low = next;
            }
            if points[next][1] > points[high][1] {
                high = next;
            }
            next += 1;
        }
        let (a, b) = if low <= high { (low, high) } else { (high, low) };
        out.push(points[a]);
        if b != a {
            out.push(points[b]);
        }
        index = next;
    }
    out
}

/// The x range a chart shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeWindow {
    pub start_secs: f64,
    pub end_secs: f64,
}

impl TimeWindow {
    /// The last `follow_secs` of the run, or all of it.
    pub fn new(elapsed_secs: f64, whole_run: bool, follow_secs: f64) -> TimeWindow {
        let end = elapsed_secs.max(10.0);
        let start = if whole_run { 0.0 } else { (end - follow_secs).max(0.0) };
        TimeWindow {
            start_secs: start,
            end_secs: end,
        }
    }
}

/// The points of one series inside the window (one second of margin each side), decimated.
pub(crate) fn series_points(series: &[SeriesPoint], spec: &SeriesSpec, window: TimeWindow, buckets: usize) -> Vec<[f64; 2]> {
    let first = series.partition_point(|point| f64::from(point.second) + 1.0 < window.start_secs - 1.0);
    let points: Vec<[f64; 2]> = series[first..]
        .iter()
        .take_while(|point| f64::from(point.second) <= window.end_secs + 1.0)
        .filter_map(|point| (spec.value)(point).map(|value| [point_x_secs(point), value]))
        .collect();
    decimate(&points, buckets)
}

/// Whether the run has any value for this chart (chat charts stay hidden without chat tasks).
pub(crate) fn has_data(series: &[SeriesPoint], spec: &ChartSpec) -> bool {
    crate::report::charts::has_values(series, spec)
}

/// The named lines of a dynamic chart inside the window: at most [`MAX_DYNAMIC_LINES`], in
/// order of first appearance, each decimated.
pub(crate) fn dynamic_points(
    series: &[SeriesPoint],
    lines: DynamicLines,
    window: TimeWindow,
    buckets: usize,
) -> Vec<(String, Vec<[f64; 2]>)> {
    let first = series.partition_point(|point| f64::from(point.second) + 1.0 < window.start_secs - 1.0);
    let mut named: Vec<(String, Vec<[f64; 2]>)> = Vec::new();
    for point in series[first..]
        .iter()
        .take_while(|point| f64::from(point.second) <= window.end_secs + 1.0)
    {
        let x = point_x_secs(point);
        for (name, value) in lines(point) {
            match named.iter().position(|(known, _)| *known == name) {
                Some(index) => named[index].1.push([x, value]),
                None if named.len() < MAX_DYNAMIC_LINES => named.push((name, vec![[x, value]])),
                None => {}
            }
        }
    }
    for (_, points) in &mut named {
        *points = decimate(points, buckets);
    }
    named
}

/// What the pointer does to the charts, shared by all of them: the time under it (each chart
/// draws a crosshair there and its legend reads the values at that time), a drag in progress,
/// and the time range a finished drag zoomed every chart to (a double-click resets it).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ChartCursor {
    /// Seconds under the pointer, on any chart.
    pub hover_secs: Option<f64>,
    /// Where a drag started and where it is now (seconds).
    drag: Option<(f64, f64)>,
    /// The range every chart shows instead of following the run.
    pub zoom: Option<TimeWindow>,
    /// What this frame's charts saw, taken in by [`ChartCursor::end_frame`].
    next_hover: Option<f64>,
    /// Whether the run is going on: its legends then read the latest second when the pointer
    /// is elsewhere; after it, only the hovered second's (a value from a minute ago would be
    /// read as the answer).
    pub following: bool,
}

impl ChartCursor {
    /// The range the charts show: the zoom if there is one, else `default`.
    pub fn window(&self, default: TimeWindow) -> TimeWindow {
        self.zoom.unwrap_or(default)
    }

    /// Takes in the pointer over one chart.
    fn observe(&mut self, response: &egui::Response, transform: &egui_plot::PlotTransform) {
        let at = |pos: egui::Pos2| transform.value_from_position(pos).x;
        if let Some(pos) = response.hover_pos() {
            self.next_hover = Some(at(pos));
        }
        let double_clicked = response.double_clicked()
            || (response.hovered()
                && response
                    .ctx
                    .input(|input| input.pointer.button_double_clicked(egui::PointerButton::Primary)));
        if double_clicked {
            self.zoom = None;
            self.drag = None;
            return;
        }
        if response.drag_started()
            && let Some(pos) = response.interact_pointer_pos()
        {
            self.drag = Some((at(pos), at(pos)));
        }
        if response.dragged()
            && let (Some(pos), Some(drag)) = (response.interact_pointer_pos(), self.drag.as_mut())
        {
            drag.1 = at(pos);
        }
        if response.drag_stopped()
            && let Some((start, end)) = self.drag.take()
        {
            let (start, end) = (start.min(end), start.max(end));
            // A wobble of the hand is a click, not a zoom.
            if end - start >= 1.0 {
                self.zoom = Some(TimeWindow {
                    start_secs: start.max(0.0),
                    end_secs: end,
                });
            }
        }
    }

    /// Ends a frame: the hover seen by this frame's charts is the one the next frame draws.
    pub fn end_frame(&mut self) {
        self.hover_secs = self.next_hover.take();
    }
}

/// Round steps for elapsed time on the x axis (seconds).
const TIME_STEPS: [f64; 14] = [
    1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
];

/// Grid marks every `step` across `bounds`.
fn marks(bounds: (f64, f64), step: f64) -> Vec<GridMark> {
    if !(step.is_finite() && step > 0.0 && bounds.0.is_finite() && bounds.1.is_finite()) {
        return Vec::new();
    }
    let first = (bounds.0 / step).ceil() as i64;
    let last = (bounds.1 / step).floor() as i64;
    (first..=last.min(first + 200))
        .map(|index| GridMark {
            value: index as f64 * step,
            step_size: step,
        })
        .collect()
}

/// Elapsed-time marks: a round step (5 s, 30 s, 2 min...) giving about six labels.
fn time_marks(input: GridInput) -> Vec<GridMark> {
    let rough = (input.bounds.1 - input.bounds.0) / 6.0;
    let step = TIME_STEPS
        .into_iter()
        .find(|step| *step >= rough.max(input.base_step_size))
        .unwrap_or(3600.0 * ((rough / 3600.0).ceil()));
    marks(input.bounds, step)
}

/// Value marks at 1, 2 or 5 times a power of ten, about four labelled lines.
fn value_marks(input: GridInput) -> Vec<GridMark> {
    marks(input.bounds, nice_step((input.bounds.1 - input.bounds.0) / 4.0))
}

/// A tick value with its unit: `250 ms`, `40 req/s`, `50%`.
fn tick_label(value: f64, step: f64, unit: &str) -> String {
    format::with_unit(&format::axis_number(value, step), unit)
}

/// A chart's axes: elapsed time as m:ss at round steps, values with their unit at round steps.
pub(crate) fn with_axes<'a>(plot: Plot<'a>, unit: &'a str) -> Plot<'a> {
    plot.x_grid_spacer(time_marks)
        .y_grid_spacer(value_marks)
        .x_axis_formatter(|mark, _| format::elapsed(mark.value))
        .y_axis_formatter(move |mark, _| tick_label(mark.value, mark.step_size, unit))
        .y_axis_min_width(64.0)
}

/// A chart that the data places, not the mouse: egui_plot's own zoom, drag and scroll are off
/// (the Live tab zooms all charts together instead), no legend inside the plot.
pub(crate) fn fixed_plot<'a>(id: impl std::hash::Hash + std::fmt::Debug, height: f32) -> Plot<'a> {
    Plot::new(id)
        .height(height)
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .show_x(false)
        .show_y(false)
}

/// What the person asked for beside a chart's title.
pub(crate) struct ChartHeader {
    pub save_png: bool,
    pub copy_data: bool,
}

/// A chart's title with its Save PNG and Copy data buttons.
pub(crate) fn chart_header(ui: &mut egui::Ui, title: &str) -> ChartHeader {
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new(title).strong());
        let save_png = ui
            .small_button("Save PNG")
            .on_hover_text(format!("Save the {title} chart as a PNG image"))
            .clicked();
        let copy_data = ui
            .small_button("Copy data")
            .on_hover_text(format!("Copy the {title} chart's numbers (tab-separated, one row per second)"))
            .clicked();
        ChartHeader { save_png, copy_data }
    })
    .inner
}

/// A live chart's numbers over the whole run, every point, as tab-separated text.
pub(crate) fn chart_tsv(spec: &ChartSpec, series: &[SeriesPoint]) -> String {
    let window = TimeWindow {
        start_secs: 0.0,
        end_secs: f64::INFINITY,
    };
    let mut lines: Vec<(String, Vec<[f64; 2]>)> = spec
        .series
        .iter()
        .map(|line| (line.name.to_string(), series_points(series, line, window, 0)))
        .collect();
    if let Some(dynamic) = spec.dynamic {
        lines.extend(dynamic_points(series, dynamic, window, 0));
    }
    let unit = if spec.unit.is_empty() { "as scraped" } else { spec.unit };
    crate::report::tsv::chart(&format!("second (values in {unit})"), &lines)
}

/// The value of a line at `secs`: its point nearest in time, within a second.
fn value_at(points: &[[f64; 2]], secs: f64) -> Option<f64> {
    let index = points.partition_point(|point| point[0] < secs);
    [index.checked_sub(1), Some(index)]
        .into_iter()
        .flatten()
        .filter_map(|index| points.get(index))
        .filter(|point| (point[0] - secs).abs() <= 1.0)
        .min_by(|a, b| (a[0] - secs).abs().total_cmp(&(b[0] - secs).abs()))
        .map(|point| point[1])
}

/// A value with the chart's unit, for the legend: `41.3 ms`, `12.0 req/s`, `63%`.
fn legend_value(value: f64, unit: &str) -> String {
    let number = if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    };
    format::with_unit(&number, unit)
}

/// The legend above a chart: a swatch and name per line with its value at the hovered time
/// (or, while the run goes on, its latest; after it, no value), and the targets drawn.
/// Outside the plot, so it never covers data.
fn legend(
    ui: &mut egui::Ui,
    lines: &[(String, Color32, Vec<[f64; 2]>)],
    targets: &[(String, Color32)],
    unit: &str,
    hover: Option<f64>,
    following: bool,
) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 10.0;
        if let Some(secs) = hover {
            ui.label(RichText::new(format!("at {}", format::elapsed(secs))).strong());
        }
        for (name, color, points) in lines {
            let text = match (hover, following) {
                (Some(secs), _) => match value_at(points, secs) {
                    Some(value) => format!("{name} {}", legend_value(value, unit)),
                    None => format!("{name} -"),
                },
                (None, true) => match points.last() {
                    Some(point) => format!("{name} {}", legend_value(point[1], unit)),
                    None => format!("{name} -"),
                },
                (None, false) => name.clone(),
            };
            ui.label(RichText::new("■").color(*color));
            ui.add_space(-8.0);
            ui.label(text);
        }
        for (label, color) in targets {
            ui.label(RichText::new("- -").color(*color).strong());
            ui.add_space(-8.0);
            ui.label(RichText::new(format!("target {label}")).weak());
        }
    });
}

/// Level bands with readable labels: the level's name where its band is wide enough for it,
/// and the scenario's name on the line above where the scenario starts.
fn draw_bands(plot: &mut egui_plot::PlotUi<'_>, bands: &[LevelBand], window: TimeWindow, y_top: f64) {
    for (index, band) in bands.iter().enumerate() {
        if band.end_secs < window.start_secs || band.start_secs > window.end_secs {
            continue;
        }
        plot.add(
            Span::new("", band.start_secs..=band.end_secs)
                .fill(band_fill(index))
                .border_width(0.0),
        );
    }
    let spans: Vec<BandSpan<'_>> = bands
        .iter()
        .map(|band| BandSpan {
            start_secs: band.start_secs,
            end_secs: band.end_secs,
            scenario_start: band.scenario_start.as_deref(),
            label: &band.label,
        })
        .collect();
    draw_band_labels(plot, &spans, (window.start_secs, window.end_secs), y_top, BAND_LABEL_SIZE);
}

/// The band names' text size in the app's charts (Present draws them larger).
pub(crate) const BAND_LABEL_SIZE: f32 = 12.0;

/// Writes the band names where `report::charts::band_labels` places them (every face's
/// layout), two rows under the top of the plot.
pub(crate) fn draw_band_labels(plot: &mut egui_plot::PlotUi<'_>, spans: &[BandSpan<'_>], window: (f64, f64), y_top: f64, text_size: f32) {
    let transform = *plot.transform();
    let pixels_per_sec = transform.dpos_dvalue_x().abs();
    let line_height_value = f64::from(text_size * 1.25) * transform.dvalue_dpos()[1].abs();
    // About seven pixels a character at 12 px.
    for label in band_labels(spans, window, pixels_per_sec, f64::from(text_size) * 0.6) {
        let text = RichText::new(label.text).size(text_size);
        let text = if label.strong { text.strong() } else { text };
        let y = y_top - f64::from(label.row) * line_height_value;
        plot.text(Text::new("", [label.x_secs, y].into(), text).anchor(egui::Align2::LEFT_TOP));
    }
}

/// Draws one chart with its legend; returns the rect of legend and plot (what a PNG shows).
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw(
    ui: &mut egui::Ui,
    spec: &ChartSpec,
    series: &[SeriesPoint],
    bands: &[LevelBand],
    targets: &[TargetLine],
    window: TimeWindow,
    height: f32,
    decimated: bool,
    cursor: &mut ChartCursor,
) -> egui::Rect {
    // Two points (low and high) per bucket of two pixels: as many as the screen can show.
    let buckets = if decimated {
        (ui.available_width().max(100.0) as usize) / 2
    } else {
        0
    };
    let mut lines: Vec<(String, Color32, Vec<[f64; 2]>)> = spec
        .series
        .iter()
        .map(|line| {
            (
                line.name.to_string(),
                palette::series(line.color),
                series_points(series, line, window, buckets),
            )
        })
        .collect();
    if let Some(dynamic) = spec.dynamic {
        for (index, (name, points)) in dynamic_points(series, dynamic, window, buckets).into_iter().enumerate() {
            lines.push((name, SERIES[index % SERIES.len()], points));
        }
    }
    // Each target in its line's colour (a neutral one for lines named from the data).
    let shown_targets: Vec<(&TargetLine, Color32)> = targets
        .iter()
        .filter(|target| spec.target_metrics.contains(&target.metric))
        .filter(|target| {
            bands.iter().any(|band| {
                band.scenario == target.scenario
                    && target.level.is_none_or(|level| level == band.level)
                    && band.end_secs >= window.start_secs
                    && band.start_secs <= window.end_secs
            })
        })
        .map(|target| {
            let color = spec
                .series
                .iter()
                .find(|line| line.target == Some(target.metric))
                .map_or(palette::TARGET, |line| palette::series(line.color));
            (target, color)
        })
        .collect();
    let data_max = lines
        .iter()
        .flat_map(|(_, _, points)| points.iter().map(|point| point[1]))
        .fold(0.0_f64, f64::max);
    // Targets are scaled into view, unless one is so far above the data that the lines would
    // flatten against the axis: the legend still names it.
    let y_max = shown_targets
        .iter()
        .map(|(target, _)| target.threshold / spec.target_scale)
        .filter(|threshold| data_max == 0.0 || *threshold <= data_max * 10.0)
        .fold(data_max, f64::max);
    // Room above the lines for the band labels.
    let y_top = if y_max > 0.0 { y_max * 1.3 } else { 1.0 };
    let mut unique_targets: Vec<(String, Color32)> = Vec::new();
    for (target, color) in &shown_targets {
        if !unique_targets.iter().any(|(label, _)| *label == target.label) {
            unique_targets.push((target.label.clone(), *color));
        }
    }
    let hover = cursor.hover_secs;
    let drag = cursor.drag;
    let crosshair = palette::crosshair(ui.visuals());
    let shown = ui.vertical(|ui| {
        legend(ui, &lines, &unique_targets, spec.unit, hover, cursor.following);
        with_axes(fixed_plot(spec.id, height), spec.unit).show(ui, |plot| {
            plot.set_plot_bounds_x(window.start_secs..=window.end_secs);
            plot.set_plot_bounds_y(0.0..=y_top);
            draw_bands(plot, bands, window, y_top);
            // A target is drawn over the levels it checks, not across the whole chart.
            for (target, color) in &shown_targets {
                let y = target.threshold / spec.target_scale;
                for band in bands
                    .iter()
                    .filter(|band| band.scenario == target.scenario && target.level.is_none_or(|level| level == band.level))
                {
                    plot.line(
                        Line::new("", PlotPoints::from(vec![[band.start_secs, y], [band.end_secs, y]]))
                            .color(*color)
                            .style(egui_plot::LineStyle::dashed_loose())
                            .width(1.5),
                    );
                }
            }
            for (name, color, points) in lines {
                plot.line(Line::new(name, PlotPoints::from(points)).color(color).width(1.5));
            }
            if let Some((start, end)) = drag {
                plot.add(
                    Span::new("", start.min(end)..=start.max(end))
                        .fill(palette::selection_fill())
                        .border_width(0.0),
                );
            }
            if let Some(secs) = hover {
                plot.vline(VLine::new("", secs).color(crosshair).width(1.5));
            }
        })
    });
    let plot = &shown.inner.response;
    // Named for screen readers and tests: "Response time chart".
    plot.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Figure, true, format!("{} chart", spec.title)));
    cursor.observe(plot, &shown.inner.transform);
    shown.response.rect
}

/// A chart to save as PNG: its title above the same drawing as on screen, every point drawn,
/// no crosshair, at the width it has on screen.
#[allow(clippy::too_many_arguments)]
pub(crate) fn picture(
    spec: &'static ChartSpec,
    title: String,
    series: Vec<SeriesPoint>,
    bands: Vec<LevelBand>,
    targets: Vec<TargetLine>,
    window: TimeWindow,
    height: f32,
    width_points: f32,
) -> ChartPicture {
    ChartPicture::new(title.clone(), width_points, move |ui| {
        ui.label(RichText::new(&title).strong());
        draw(
            ui,
            spec,
            &series,
            &bands,
            &targets,
            window,
            height,
            false,
            &mut ChartCursor::default(),
        );
    })
}

/// The smallest of 1, 2, 5 times a power of ten that is at least `rough`.
fn nice_step(rough: f64) -> f64 {
    if !(rough.is_finite() && rough > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|factor| factor * power)
        .find(|step| *step >= rough)
        .unwrap_or(10.0 * power)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimation_keeps_spikes_and_order() {
        let mut points: Vec<[f64; 2]> = (0..3600).map(|x| [f64::from(x), 10.0]).collect();
        points[1234][1] = 900.0;
        points[2345][1] = -5.0;
        let drawn = decimate(&points, 300);
        assert!(drawn.len() <= 600, "{}", drawn.len());
        assert!(drawn.contains(&[1234.0, 900.0]));
        assert!(drawn.contains(&[2345.0, -5.0]));
        assert!(drawn.windows(2).all(|pair| pair[0][0] < pair[1][0]));
        assert_eq!(drawn.first(), Some(&[0.0, 10.0]));
        let short = decimate(&points[..100], 300);
        assert_eq!(short.len(), 100);
    }

    #[test]
    fn grid_steps_are_round_numbers() {
        assert_eq!(nice_step(22.5), 50.0);
        assert_eq!(nice_step(14.0), 20.0);
        assert_eq!(nice_step(0.3), 0.5);
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(tick_label(0.4, 0.2, "ms"), "0.4 ms");
        assert_eq!(tick_label(50.0, 10.0, "%"), "50%");
        assert_eq!(tick_label(1500.0, 500.0, "req/s"), "1500 req/s");
        let labels: Vec<f64> = marks((0.0, 95.0), 20.0).iter().map(|mark| mark.value).collect();
        assert_eq!(labels, [0.0, 20.0, 40.0, 60.0, 80.0]);
    }

    #[test]
    fn a_value_is_read_at_the_nearest_second() {
        let points = [[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [10.0, 99.0]];
        assert_eq!(value_at(&points, 2.2), Some(20.0));
        assert_eq!(value_at(&points, 2.6), Some(30.0));
        assert_eq!(value_at(&points, 6.0), None, "no point within a second");
        assert_eq!(legend_value(41.25, "ms"), "41.2 ms");
        assert_eq!(legend_value(63.0, "%"), "63.0%");
    }

    #[test]
    fn follow_window_keeps_the_last_two_minutes() {
        let window = TimeWindow::new(600.0, false, 120.0);
        assert_eq!((window.start_secs, window.end_secs), (480.0, 600.0));
        let whole = TimeWindow::new(600.0, true, 120.0);
        assert_eq!(whole.start_secs, 0.0);
    }
}
