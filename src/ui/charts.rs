//! The Live tab's charts: one list of chart specs (a new series is one entry), min/max
//! decimation so an hour-long run draws as fast as a minute-long one, and drawing with
//! egui_plot on one shared time axis with level bands and target lines.

use egui::{Color32, Id};
use egui_plot::{Corner, Legend, Line, Plot, PlotPoints, Span, Text};

use super::live_run::{LevelBand, TargetLine};
use crate::preset::target::Metric;
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
    /// Targets on these metrics are drawn as horizontal lines (converted to the chart's unit).
    pub target_metrics: &'static [Metric],
}

const BLUE: Color32 = Color32::from_rgb(66, 133, 244);
const GREEN: Color32 = Color32::from_rgb(52, 168, 83);
const ORANGE: Color32 = Color32::from_rgb(251, 140, 0);
const RED: Color32 = Color32::from_rgb(229, 57, 53);
const PURPLE: Color32 = Color32::from_rgb(142, 68, 173);

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
    series
        .iter()
        .any(|point| spec.series.iter().any(|line| (line.value)(point).is_some()))
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
) {
    // Two points (low and high) per bucket of two pixels: as many as the screen can show.
    let buckets = if decimated {
        (ui.available_width().max(100.0) as usize) / 2
    } else {
        0
    };
    let lines: Vec<(&SeriesSpec, Vec<[f64; 2]>)> = spec
        .series
        .iter()
        .map(|line| (line, series_points(series, line, window, buckets)))
        .collect();
    let data_max = lines
        .iter()
        .flat_map(|(_, points)| points.iter().map(|point| point[1]))
        .fold(0.0_f64, f64::max);
    // A target far above the data would flatten it against the axis: such a target is still
    // listed in the legend, but the scale follows the data.
    let y_max = targets
        .iter()
        .filter(|target| spec.target_metrics.contains(&target.metric))
        .map(|target| target.threshold / 1000.0)
        .filter(|threshold| data_max == 0.0 || *threshold <= data_max * 3.0)
        .fold(data_max, f64::max);
    let y_top = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };
    let unit = spec.unit;
    Plot::new(spec.id)
        .height(height)
        .link_axis(Id::unique("live-time-axis"), [true, false])
        .link_cursor(Id::unique("live-time-axis"), [true, false])
        .legend(Legend::default().position(Corner::LeftTop))
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_boxed_zoom(false)
        .y_axis_min_width(48.0)
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
                let fill = if index % 2 == 0 {
                    Color32::from_rgba_unmultiplied(128, 128, 128, 18)
                } else {
                    Color32::from_rgba_unmultiplied(128, 128, 128, 40)
                };
                plot.add(Span::new("", band.start_secs..=band.end_secs).fill(fill).border_width(0.0));
                let x = band.start_secs.max(window.start_secs);
                plot.text(Text::new("", [x, y_top].into(), egui::RichText::new(&band.label).small().weak()).anchor(egui::Align2::LEFT_TOP));
            }
            // A target is drawn over the levels it checks, not across the whole chart.
            for target in targets.iter().filter(|target| spec.target_metrics.contains(&target.metric)) {
                let y = target.threshold / 1000.0;
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
            for (line, points) in lines {
                plot.line(Line::new(line.name, PlotPoints::from(points)).color(line.color).width(1.5));
            }
        });
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
