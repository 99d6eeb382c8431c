//! The Live tab's charts: one list of chart specs (a new series is one entry), min/max
//! decimation so an hour-long run draws as fast as a minute-long one, and drawing with
//! egui_plot on one shared time axis with level bands and target lines.

use egui::{Color32, Id};
use egui_plot::{Corner, Legend, Line, Plot, PlotPoints, Span, Text};

use super::live_run::{LevelBand, TargetLine};
use super::palette::{BLUE, GREEN, ORANGE, PURPLE, RED, SERIES, band_fill};
use crate::measure::Metric;
use crate::run::SeriesPoint;

/// One line on a chart.
pub struct SeriesSpec {
    pub name: &'static str,
    pub color: Color32,
    pub value: fn(&SeriesPoint) -> Option<f64>,
}

/// One chart: its series, the unit on its value axis and which targets it draws.
pub struct ChartSpec {
    /// Stable id, used for the persisted "hidden charts" set.
    pub id: &'static str,
    pub title: &'static str,
    pub unit: &'static str,
    pub series: &'static [SeriesSpec],
    /// Targets on these metrics are drawn as horizontal lines, their thresholds divided by
    /// `target_scale` (1000 for latency in ms, 1 for percentages).
    pub target_metrics: &'static [Metric],
    pub target_scale: f64,
    /// Lines whose names come from the data (one per GPU, container or scraped metric).
    pub dynamic: Option<DynamicLines>,
}

/// Named values of one series point, for charts whose lines come from the data.
pub type DynamicLines = fn(&SeriesPoint) -> Vec<(String, f64)>;

const NO_SERIES: &[SeriesSpec] = &[];

/// How many named lines a chart draws at most.
const MAX_DYNAMIC_LINES: usize = 8;

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn millis(micros: Option<u64>) -> Option<f64> {
    micros.map(|micros| micros as f64 / 1000.0)
}

/// Every chart the Live tab can show, in order.
pub const CHARTS: &[ChartSpec] = &[
    ChartSpec {
        id: "load",
        title: "Users and requests/s",
        unit: "",
        series: &[
            SeriesSpec {
                name: "users",
                color: PURPLE,
                value: |point| Some(f64::from(point.users)),
            },
            SeriesSpec {
                name: "requests/s",
                color: BLUE,
                value: |point| Some(point.rps),
            },
        ],
        target_metrics: &[],
        target_scale: 1.0,
        dynamic: None,
    },
    ChartSpec {
        id: "latency",
        title: "Latency",
        unit: "ms",
        series: &[
            SeriesSpec {
                name: "p50",
                color: GREEN,
                value: |point| millis(point.p50_micros),
            },
            SeriesSpec {
                name: "p95",
                color: ORANGE,
                value: |point| millis(point.p95_micros),
            },
            SeriesSpec {
                name: "p99",
                color: RED,
                value: |point| millis(point.p99_micros),
            },
        ],
        target_metrics: &[Metric::P50, Metric::P95, Metric::P99],
        target_scale: 1000.0,
        dynamic: None,
    },
    ChartSpec {
        id: "failures",
        title: "Failures/s",
        unit: "",
        series: &[SeriesSpec {
            name: "failures/s",
            color: RED,
            value: |point| Some(point.failures_per_sec),
        }],
        target_metrics: &[],
        target_scale: 1.0,
        dynamic: None,
    },
    ChartSpec {
        id: "ttft",
        title: "Time to first token (chat)",
        unit: "ms",
        series: &[
            SeriesSpec {
                name: "TTFT p50",
                color: GREEN,
                value: |point| millis(point.ttft_p50_micros),
            },
            SeriesSpec {
                name: "TTFT p95",
                color: ORANGE,
                value: |point| millis(point.ttft_p95_micros),
            },
        ],
        target_metrics: &[Metric::TtftP50, Metric::TtftP95],
        target_scale: 1000.0,
        dynamic: None,
    },
    ChartSpec {
        id: "tokens",
        title: "Output tokens/s (chat)",
        unit: "",
        series: &[SeriesSpec {
            name: "tokens/s",
            color: BLUE,
            value: |point| point.output_tokens_per_sec,
        }],
        target_metrics: &[],
        target_scale: 1.0,
        dynamic: None,
    },
    ChartSpec {
        id: "gpu",
        title: "GPU utilisation and memory (%)",
        unit: "%",
        series: NO_SERIES,
        target_metrics: &[Metric::GpuUtilMax, Metric::GpuMemMax],
        target_scale: 1.0,
        dynamic: Some(|point| {
            let Some(resources) = &point.resources else { return Vec::new() };
            resources
                .gpus
                .iter()
                .flat_map(|gpu| {
                    [
                        (format!("GPU {} util", gpu.index), gpu.util_percent),
                        (format!("GPU {} memory", gpu.index), gpu.mem_used_percent()),
                    ]
                })
                .collect()
        }),
    },
    ChartSpec {
        id: "container-cpu",
        title: "Container CPU (%, 100 = one core)",
        unit: "%",
        series: NO_SERIES,
        target_metrics: &[Metric::ContainerCpuMax],
        target_scale: 1.0,
        dynamic: Some(|point| {
            let Some(resources) = &point.resources else { return Vec::new() };
            resources
                .containers
                .iter()
                .map(|container| (container.name.clone(), container.cpu_percent))
                .collect()
        }),
    },
    ChartSpec {
        id: "container-memory",
        title: "Container memory (MiB)",
        unit: "MiB",
        series: NO_SERIES,
        target_metrics: &[],
        target_scale: 1.0,
        dynamic: Some(|point| {
            let Some(resources) = &point.resources else { return Vec::new() };
            resources
                .containers
                .iter()
                .map(|container| (container.name.clone(), mib(container.mem_bytes)))
                .collect()
        }),
    },
    ChartSpec {
        id: "host",
        title: "Load generator host (%)",
        unit: "%",
        series: &[
            SeriesSpec {
                name: "CPU",
                color: BLUE,
                value: |point| point.resources.as_ref().and_then(|resources| resources.host_cpu()),
            },
            SeriesSpec {
                name: "memory",
                color: PURPLE,
                value: |point| {
                    let host = point.resources.as_ref()?.host.as_ref()?;
                    (host.mem_total_bytes > 0).then(|| host.mem_used_bytes as f64 * 100.0 / host.mem_total_bytes as f64)
                },
            },
        ],
        target_metrics: &[Metric::HostCpuMax],
        target_scale: 1.0,
        dynamic: None,
    },
    ChartSpec {
        id: "target-metrics",
        title: "Target metrics (Prometheus)",
        unit: "",
        series: NO_SERIES,
        target_metrics: &[],
        target_scale: 1.0,
        dynamic: Some(|point| {
            let Some(resources) = &point.resources else { return Vec::new() };
            resources.metrics.iter().map(|metric| (metric.name.clone(), metric.value)).collect()
        }),
    },
];

/// Reduces `points` (sorted by x) to at most about `2 * buckets` points, keeping each bucket's
/// lowest and highest value in x order, so spikes survive and the line's envelope is exact.
pub fn decimate(points: &[[f64; 2]], buckets: usize) -> Vec<[f64; 2]> {
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
pub fn series_points(series: &[SeriesPoint], spec: &SeriesSpec, window: TimeWindow, buckets: usize) -> Vec<[f64; 2]> {
    let first = series.partition_point(|point| f64::from(point.second) + 1.0 < window.start_secs - 1.0);
    let points: Vec<[f64; 2]> = series[first..]
        .iter()
        .take_while(|point| f64::from(point.second) <= window.end_secs + 1.0)
        .filter_map(|point| (spec.value)(point).map(|value| [f64::from(point.second) + 1.0, value]))
        .collect();
    decimate(&points, buckets)
}

/// Whether the run has any value for this chart (chat charts stay hidden without chat tasks).
pub fn has_data(series: &[SeriesPoint], spec: &ChartSpec) -> bool {
    series.iter().any(|point| {
        spec.series.iter().any(|line| (line.value)(point).is_some()) || spec.dynamic.is_some_and(|lines| !lines(point).is_empty())
    })
}

/// The named lines of a dynamic chart inside the window: at most [`MAX_DYNAMIC_LINES`], in
/// order of first appearance, each decimated.
pub fn dynamic_points(series: &[SeriesPoint], lines: DynamicLines, window: TimeWindow, buckets: usize) -> Vec<(String, Vec<[f64; 2]>)> {
    let first = series.partition_point(|point| f64::from(point.second) + 1.0 < window.start_secs - 1.0);
    let mut named: Vec<(String, Vec<[f64; 2]>)> = Vec::new();
    for point in series[first..]
        .iter()
        .take_while(|point| f64::from(point.second) <= window.end_secs + 1.0)
    {
        let x = f64::from(point.second) + 1.0;
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

/// A chart that the data places, not the mouse: no zoom, drag or scroll, the legend top left.
pub fn fixed_plot<'a>(id: impl std::hash::Hash + std::fmt::Debug, height: f32) -> Plot<'a> {
    Plot::new(id)
        .height(height)
        .legend(Legend::default().position(Corner::LeftTop))
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_boxed_zoom(false)
        .y_axis_min_width(48.0)
}

/// What the person asked for beside a chart's title.
pub struct ChartHeader {
    /// Where the title is (with the plot's rect, the area a PNG takes).
    pub title_rect: egui::Rect,
    pub save_png: bool,
    pub copy_data: bool,
}

/// A chart's title with its Save PNG and Copy data buttons.
pub fn chart_header(ui: &mut egui::Ui, title: &str) -> ChartHeader {
    ui.horizontal(|ui| {
        let title_rect = ui.label(egui::RichText::new(title).strong()).rect;
        let save_png = ui
            .small_button("Save PNG")
            .on_hover_text(format!("Save the {title} chart as a PNG image"))
            .clicked();
        let copy_data = ui
            .small_button("Copy data")
            .on_hover_text(format!("Copy the {title} chart's numbers (tab-separated, one row per second)"))
            .clicked();
        ChartHeader {
            title_rect,
            save_png,
            copy_data,
        }
    })
    .inner
}

/// A live chart's numbers over the whole run, every point, as tab-separated text.
pub fn chart_tsv(spec: &ChartSpec, series: &[SeriesPoint]) -> String {
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
    crate::report::tsv::chart(&format!("second (values in {})", spec.unit), &lines)
}

/// Draws one chart.
#[allow(clippy::too_many_arguments)]
pub fn draw(
    ui: &mut egui::Ui,
    spec: &ChartSpec,
    series: &[SeriesPoint],
    bands: &[LevelBand],
    targets: &[TargetLine],
    window: TimeWindow,
    height: f32,
    decimated: bool,
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
        .map(|line| (line.name.to_string(), line.color, series_points(series, line, window, buckets)))
        .collect();
    if let Some(dynamic) = spec.dynamic {
        for (index, (name, points)) in dynamic_points(series, dynamic, window, buckets).into_iter().enumerate() {
            lines.push((name, SERIES[index % SERIES.len()], points));
        }
    }
    let data_max = lines
        .iter()
        .flat_map(|(_, _, points)| points.iter().map(|point| point[1]))
        .fold(0.0_f64, f64::max);
    // A target far above the data would flatten it against the axis: such a target is still
    // listed in the legend, but the scale follows the data.
    let y_max = targets
        .iter()
        .filter(|target| spec.target_metrics.contains(&target.metric))
        .map(|target| target.threshold / spec.target_scale)
        .filter(|threshold| data_max == 0.0 || *threshold <= data_max * 3.0)
        .fold(data_max, f64::max);
    let y_top = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };
    let unit = spec.unit;
    let response = fixed_plot(spec.id, height)
        .link_axis(Id::unique("live-time-axis"), [true, false])
        .link_cursor(Id::unique("live-time-axis"), [true, false])
        .y_grid_spacer(egui_plot::uniform_grid_spacer(|input| {
            // About four labelled lines on a short chart, at 1, 2 or 5 times a power of ten.
            let big = nice_step((input.bounds.1 - input.bounds.0) / 4.0);
            [big / 5.0, big / 2.0, big]
        }))
        .y_axis_formatter(|mark, _range| axis_label(mark.value, mark.step_size))
        .label_formatter(move |hover| {
            use egui_plot::HoverPosition;
            Some(match hover {
                HoverPosition::NearDataPoint { plot_name, position, .. } if !plot_name.is_empty() => {
                    format!("{plot_name}\n{:.0} s: {:.1} {unit}", position.x, position.y)
                }
                HoverPosition::NearDataPoint { position, .. } | HoverPosition::Elsewhere { position } => format!("{:.0} s", position.x),
            })
        })
        .show(ui, |plot| {
            plot.set_plot_bounds_x(window.start_secs..=window.end_secs);
            plot.set_plot_bounds_y(0.0..=y_top);
            for (index, band) in bands.iter().enumerate() {
                if band.end_secs < window.start_secs || band.start_secs > window.end_secs {
                    continue;
                }
                let fill = band_fill(index);
                plot.add(Span::new("", band.start_secs..=band.end_secs).fill(fill).border_width(0.0));
                let x = band.start_secs.max(window.start_secs);
                plot.text(Text::new("", [x, y_top].into(), egui::RichText::new(&band.label).small().weak()).anchor(egui::Align2::LEFT_TOP));
            }
            // A target is drawn over the levels it checks, not across the whole chart.
            for target in targets.iter().filter(|target| spec.target_metrics.contains(&target.metric)) {
                let y = target.threshold / spec.target_scale;
                for band in bands
                    .iter()
                    .filter(|band| band.scenario == target.scenario && target.level.is_none_or(|level| level == band.level))
                {
                    plot.line(
                        Line::new(
                            format!("target {}", target.label),
                            PlotPoints::from(vec![[band.start_secs, y], [band.end_secs, y]]),
                        )
                        .color(RED)
                        .style(egui_plot::LineStyle::dashed_loose())
                        .width(1.0),
                    );
                }
            }
            for (name, color, points) in lines {
                plot.line(Line::new(name, PlotPoints::from(points)).color(color).width(1.5));
            }
        });
    response.response.rect
}

/// An axis value with as many decimals as its grid step needs (0.2, 0.4, not 0, 0).
fn axis_label(value: f64, step: f64) -> String {
    let decimals = if step >= 1.0 || step <= 0.0 {
        0
    } else {
        (-step.log10()).ceil() as usize
    };
    format!("{value:.decimals$}")
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
        assert_eq!(axis_label(0.4, 0.2), "0.4");
        assert_eq!(axis_label(1500.0, 500.0), "1500");
    }

    #[test]
    fn follow_window_keeps_the_last_two_minutes() {
        let window = TimeWindow::new(600.0, false, 120.0);
        assert_eq!((window.start_secs, window.end_secs), (480.0, 600.0));
        let whole = TimeWindow::new(600.0, true, 120.0);
        assert_eq!(whole.start_secs, 0.0);
    }
}
