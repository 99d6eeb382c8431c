//! The charts a report draws, as data: lines of `[seconds, value]`, level bands and target
//! lines, built from the one chart catalogue (`catalogue`). The HTML report renders them as
//! SVG, and Runs, Compare and Present draw them with egui.

use super::catalogue::{CHARTS, ChartKind, ChartSpec, SeriesColor};
use crate::analysis::comparison::{Align, LevelSlot, SeriesMeasure, overlay};
use crate::format;
use crate::measure::capacity::CapacityAxis;
use crate::measure::{Metric, MetricUnit, TargetExpr};
use crate::run::{LevelRecord, RunRecord, ScenarioRecord, SeriesPoint};

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub name: String,
    /// The catalogue's colour for it; None: by its place among the chart's lines.
    pub color: Option<SeriesColor>,
    pub points: Vec<[f64; 2]>,
}

/// A horizontal target line over the levels it checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub label: String,
    pub value: f64,
    pub start_secs: f64,
    pub end_secs: f64,
}

/// One chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    pub kind: ChartKind,
    /// Stable id (also the SVG's id in the HTML report).
    pub id: String,
    pub title: String,
    /// The y axis's unit in words.
    pub unit: String,
    pub lines: Vec<Line>,
    pub bands: Vec<LevelSlot>,
    pub thresholds: Vec<Threshold>,
    /// What the x axis is: elapsed seconds, or a capacity search's load.
    pub x_axis: XAxis,
    /// Vertical lines at an x value (a capacity search's answer).
    pub markers: Vec<Marker>,
}

/// A vertical line across a chart, with its words.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub x: f64,
    pub label: String,
}

/// A chart's x axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum XAxis {
    /// Seconds since the run started (m:ss).
    Elapsed,
    /// A capacity search's load: users or arrivals per second.
    Load(CapacityAxis),
}

impl XAxis {
    /// A tick's label: `1:30`, `24 users`, `12.5 req/s`.
    pub fn label(self, value: f64) -> String {
        match self {
            XAxis::Elapsed => format::elapsed(value),
            XAxis::Load(axis) => axis.format(value),
        }
    }
}

/// The charts of one run: every chart of the catalogue ([`CHARTS`]) the run has values for, in
/// its order, with its titles, units, line colours and targets, over the run's level bands.
pub fn run_charts(run: &RunRecord) -> Vec<ChartData> {
    let bands = crate::analysis::comparison::overlay(&[run], SeriesMeasure::Users, Align::Elapsed).1;
    CHARTS
        .iter()
        .filter(|spec| has_values(&run.series, spec))
        .map(|spec| ChartData {
            kind: spec.kind,
            id: spec.id.to_string(),
            title: spec.title.to_string(),
            unit: spec.unit.to_string(),
            lines: spec_lines(spec, &run.series),
            bands: bands.clone(),
            thresholds: thresholds(run, spec.target_metrics, 1.0 / spec.target_scale),
            x_axis: XAxis::Elapsed,
            markers: Vec::new(),
        })
        .collect()
}

/// Whether the run has any value for the chart (chat charts stay out of runs without chat).
pub(crate) fn has_values(series: &[SeriesPoint], spec: &ChartSpec) -> bool {
    series.iter().any(|point| {
        spec.series.iter().any(|line| (line.value)(point).is_some()) || spec.dynamic.is_some_and(|lines| !lines(point).is_empty())
    })
}

/// Where a second's value is drawn: at its end (the second 0-1 is drawn at 1 s).
pub(crate) fn point_x_secs(point: &SeriesPoint) -> f64 {
    f64::from(point.second) + 1.0
}

/// A chart's lines over every second: its fixed lines that have values, then the lines named
/// from the data (one per GPU, container or scraped metric, at most
/// [`MAX_DYNAMIC_LINES`](crate::report::catalogue::MAX_DYNAMIC_LINES), in order of first
/// appearance).
pub(crate) fn spec_lines(spec: &ChartSpec, series: &[SeriesPoint]) -> Vec<Line> {
    let mut lines: Vec<Line> = spec
        .series
        .iter()
        .map(|line| Line {
            name: line.name.to_string(),
            color: Some(line.color),
            points: series
                .iter()
                .filter_map(|point| Some([point_x_secs(point), (line.value)(point)?]))
                .collect(),
        })
        .filter(|line| !line.points.is_empty())
        .collect();
    if let Some(dynamic) = spec.dynamic {
        let mut named: Vec<Line> = Vec::new();
        for point in series {
            for (name, value) in dynamic(point) {
                let x = point_x_secs(point);
                match named.iter().position(|line| line.name == name) {
                    Some(index) => named[index].points.push([x, value]),
                    None if named.len() < crate::report::catalogue::MAX_DYNAMIC_LINES => named.push(Line {
                        name,
                        color: None,
                        points: vec![[x, value]],
                    }),
                    None => {}
                }
            }
        }
        lines.extend(named);
    }
    lines
}

/// A level band as its name is laid out: where it spans, the scenario's name when the band
/// starts one (in a run of several), and the level's name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BandSpan<'a> {
    pub start_secs: f64,
    pub end_secs: f64,
    pub scenario_start: Option<&'a str>,
    pub label: &'a str,
}

/// A band name placed on a chart: at `x_secs`, on `row` 0 (the scenario's, bold) or 1 (the
/// level's), cut with "…" to the room it has.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BandLabel {
    pub x_secs: f64,
    pub row: u8,
    pub text: String,
    pub strong: bool,
}

/// The bands of `slots` (a report's levels): a scenario's name where it starts, when the run
/// has several.
pub(crate) fn slot_spans(slots: &[LevelSlot]) -> Vec<BandSpan<'_>> {
    let several = slots.windows(2).any(|pair| pair[0].scenario != pair[1].scenario);
    slots
        .iter()
        .enumerate()
        .map(|(index, slot)| BandSpan {
            start_secs: slot.start_secs,
            end_secs: slot.end_secs,
            scenario_start: (several && (index == 0 || slots[index - 1].scenario != slot.scenario)).then_some(slot.scenario.as_str()),
            label: &slot.label,
        })
        .collect()
}

/// Where every face writes the band names of a chart showing `window` (seconds) at
/// `pixels_per_sec`, its text about `pixels_per_char` wide: a scenario's name on the top row
/// up to where the next one starts, a level's name on the row below within its band, each cut
/// with "…" to fit, and left out where not even a letter fits. One layout, so no face draws
/// names over each other.
pub(crate) fn band_labels(bands: &[BandSpan<'_>], window: (f64, f64), pixels_per_sec: f64, pixels_per_char: f64) -> Vec<BandLabel> {
    let (start, end) = window;
    let room = |from: f64, to: f64| (((to.min(end) - from) * pixels_per_sec - 6.0) / pixels_per_char).floor();
    let mut labels = Vec::new();
    for (index, band) in bands.iter().enumerate() {
        if band.end_secs < start || band.start_secs > end {
            continue;
        }
        let x = band.start_secs.max(start);
        if let Some(scenario) = band.scenario_start {
            // The scenario's name may run on over its later levels, up to the next scenario.
            let next = bands[index + 1..]
                .iter()
                .find(|later| later.scenario_start.is_some())
                .map_or(end, |later| later.start_secs);
            if let Some(text) = fitted(scenario, room(x, next)) {
                labels.push(BandLabel {
                    x_secs: x,
                    row: 0,
                    text,
                    strong: true,
                });
            }
        }
        if !band.label.is_empty()
            && let Some(text) = fitted(band.label, room(x, band.end_secs))
        {
            labels.push(BandLabel {
                x_secs: x,
                row: 1,
                text,
                strong: false,
            });
        }
    }
    labels
}

/// `text` in at most `chars` characters, cut with "…"; None when not even two letters and the
/// "…" fit.
fn fitted(text: &str, chars: f64) -> Option<String> {
    let count = text.chars().count();
    if chars >= count as f64 {
        return Some(text.to_string());
    }
    if chars < 3.0 {
        return None;
    }
    let kept: String = text.chars().take(chars as usize - 1).collect();
    Some(format!("{}…", kept.trim_end()))
}

/// A capacity search's curve, one point per step by its load: latency (p95, TTFT p95, with the
/// latency targets), and throughput beside goodput and the busiest GPU's utilisation.
pub(crate) fn capacity_charts(scenario: &ScenarioRecord) -> Vec<ChartData> {
    let Some(capacity) = &scenario.capacity else { return Vec::new() };
    let steps: Vec<(f64, &LevelRecord)> = capacity.steps.iter().map(|step| step.load).zip(&scenario.levels).collect();
    let targets = CurveTarget::of_records(&scenario.targets);
    load_curves(
        &scenario.name,
        capacity.axis,
        steps,
        &targets,
        &CurveContext {
            capacity: capacity.capacity,
            objectives: scenario.objectives.as_ref(),
        },
    )
}

/// What a search's curves show beside its steps: its answer (a vertical line) and the
/// objectives one request must meet (lines on the latency chart).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CurveContext<'a> {
    pub capacity: Option<f64>,
    pub objectives: Option<&'a crate::measure::Objectives>,
}

/// A target as a load curve draws it: its metric, its threshold in the metric's unit, its text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CurveTarget {
    pub metric: Metric,
    pub threshold: f64,
    pub text: String,
}

impl CurveTarget {
    /// The targets a run file recorded (those that still parse).
    pub(crate) fn of_records(targets: &[crate::run::TargetRecord]) -> Vec<CurveTarget> {
        targets
            .iter()
            .filter_map(|target| {
                let expr = TargetExpr::parse(&target.expr).ok()?;
                Some(CurveTarget {
                    metric: expr.metric,
                    threshold: expr.threshold,
                    text: target.expr.clone(),
                })
            })
            .collect()
    }
}

/// The load curves of `steps` (each step's load and its level), with the latency targets drawn:
/// what the Live tab draws while a search runs and the report draws after.
pub(crate) fn load_curves(
    name: &str,
    axis: CapacityAxis,
    mut steps: Vec<(f64, &LevelRecord)>,
    targets: &[CurveTarget],
    context: &CurveContext<'_>,
) -> Vec<ChartData> {
    if steps.is_empty() {
        return Vec::new();
    }
    steps.sort_by(|a, b| a.0.total_cmp(&b.0));
    let line = |name: &str, value: &dyn Fn(&LevelRecord) -> Option<f64>| Line {
        name: name.to_string(),
        color: None,
        points: steps.iter().filter_map(|(load, level)| Some([*load, value(level)?])).collect(),
    };
    fn streamed(level: &LevelRecord) -> Option<&crate::run::ChatStats> {
        level.total.stats.chat.as_ref().filter(|chat| chat.streamed > 0)
    }
    // The mean only where a target limits it (the search then stops on it).
    let avg_target = targets.iter().any(|target| target.metric == Metric::Avg);
    let latency_lines: Vec<Line> = [
        line("p95", &|level| {
            (level.total.stats.requests > 0).then(|| level.total.stats.p95_micros as f64 / 1000.0)
        }),
        line("avg", &|level| {
            (avg_target && level.total.stats.requests > 0).then(|| level.total.stats.avg_micros / 1000.0)
        }),
        line("TTFT p95", &|level| {
            streamed(level).map(|chat| chat.ttft_p95_micros as f64 / 1000.0)
        }),
    ]
    .into_iter()
    .filter(|line| !line.points.is_empty())
    .collect();
    let load_lines: Vec<Line> = [
        line("requests/s", &|level| Some(level.total.stats.rps)),
        line("goodput", &|level| {
            level.total.stats.objectives.as_ref().map(|objectives| objectives.goodput_per_sec)
        }),
    ]
    .into_iter()
    .filter(|line| !line.points.is_empty())
    .collect();
    let gpu_lines: Vec<Line> = [line("GPU util % (max)", &|level| level.resources.as_ref()?.gpu_util_max_percent)]
        .into_iter()
        .filter(|line| !line.points.is_empty())
        .collect();
    let end = steps.iter().map(|(load, _)| *load).chain(context.capacity).fold(0.0, f64::max);
    let across = |label: String, value: f64| Threshold {
        label,
        value,
        start_secs: 0.0,
        end_secs: end,
    };
    let mut latency_thresholds: Vec<Threshold> = targets
        .iter()
        .filter(|target| {
            matches!(
                target.metric,
                Metric::Avg | Metric::P50 | Metric::P95 | Metric::P99 | Metric::TtftP50 | Metric::TtftP95
            )
        })
        .map(|target| across(target.text.clone(), target.threshold / 1000.0))
        .collect();
    // The objectives one request must meet, where the chart has their measure.
    if let Some(objectives) = context.objectives {
        let shown = |line: &str| latency_lines.iter().any(|drawn| drawn.name == line);
        if let (Some(ttft), true) = (objectives.ttft_micros, shown("TTFT p95")) {
            latency_thresholds.push(across(
                format!("objective TTFT ≤ {}", format::micros(ttft as f64)),
                ttft as f64 / 1000.0,
            ));
        }
        if let Some(latency) = objectives.latency_micros {
            latency_thresholds.push(across(
                format!("objective latency ≤ {}", format::micros(latency as f64)),
                latency as f64 / 1000.0,
            ));
        }
    }
    let throughput_thresholds: Vec<Threshold> = targets
        .iter()
        .filter(|target| matches!(target.metric, Metric::Rps | Metric::Goodput))
        .map(|target| across(target.text.clone(), target.threshold))
        .collect();
    let gpu_thresholds: Vec<Threshold> = targets
        .iter()
        .filter(|target| target.metric == Metric::GpuUtilMax)
        .map(|target| across(target.text.clone(), target.threshold))
        .collect();
    let markers: Vec<Marker> = context
        .capacity
        .map(|load| Marker {
            x: load,
            label: format!("capacity {}", axis.format(load)),
        })
        .into_iter()
        .collect();
    let axis = XAxis::Load(axis);
    let id = crate::run::library::slug(name);
    let chart = |kind: ChartKind, id: String, title: String, unit: &str, lines: Vec<Line>, thresholds: Vec<Threshold>| ChartData {
        kind,
        id,
        title,
        unit: unit.into(),
        lines,
        bands: Vec::new(),
        thresholds,
        x_axis: axis,
        markers: markers.clone(),
    };
    let mut charts = vec![
        chart(
            ChartKind::CapacityLatency,
            format!("capacity-latency-{id}"),
            format!("{name}: latency by load"),
            "ms",
            latency_lines,
            latency_thresholds,
        ),
        chart(
            ChartKind::CapacityThroughput,
            format!("capacity-throughput-{id}"),
            format!("{name}: throughput by load"),
            "req/s",
            load_lines,
            throughput_thresholds,
        ),
    ];
    if !gpu_lines.is_empty() {
        charts.push(chart(
            ChartKind::CapacityGpu,
            format!("capacity-gpu-{id}"),
            format!("{name}: GPU by load"),
            "%",
            gpu_lines,
            gpu_thresholds,
        ));
    }
    charts
}

/// The comparison's overlay charts: p95, throughput and failures of every run, one line a run
/// named by `labels`, on a common axis.
pub fn overlay_charts(runs: &[&RunRecord], labels: &[String], align: Align) -> Vec<ChartData> {
    [SeriesMeasure::P95, SeriesMeasure::Rps, SeriesMeasure::FailuresPerSec]
        .into_iter()
        .map(|measure| {
            let (lines, bands) = overlay(runs, measure, align);
            let aligned = match align {
                Align::ByLevel => "by level",
                Align::Elapsed => "over elapsed time",
            };
            ChartData {
                kind: ChartKind::Overlay,
                id: format!("compare-{}", crate::run::library::slug(measure.label())),
                title: format!("{} {aligned}, all runs", measure.label()),
                unit: measure.unit().to_string(),
                lines: lines
                    .into_iter()
                    .zip(labels)
                    .map(|(points, name)| Line {
                        name: name.clone(),
                        color: None,
                        points,
                    })
                    .collect(),
                bands,
                thresholds: Vec::new(),
                markers: Vec::new(),
                x_axis: XAxis::Elapsed,
            }
        })
        .collect()
}

/// Targets on `metrics` drawn over the levels they check, scaled from the metric's canonical
/// unit to the chart's. A target on one task is drawn only where the chart is that task's alone
/// (see [`Metric::charted`]).
fn thresholds(run: &RunRecord, metrics: &[Metric], scale: f64) -> Vec<Threshold> {
    let mut found = Vec::new();
    for scenario in &run.scenarios {
        for target in &scenario.targets {
            let Ok(expr) = TargetExpr::parse(&target.expr) else { continue };
            if !metrics.contains(&expr.metric) || matches!(expr.metric.unit(), MetricUnit::Count | MetricUnit::Mean) {
                continue;
            }
            if !expr.metric.charted(target.task.is_some()) {
                continue;
            }
            let label = match (&target.task, &target.journey) {
                (Some(task), _) => format!("{} ({task})", target.expr),
                (None, Some(journey)) => format!("{} ({journey})", target.expr),
                (None, None) => target.expr.clone(),
            };
            for level in &scenario.levels {
                if target.level.is_some_and(|index| index != level.index) {
                    continue;
                }
                found.push(Threshold {
                    label: label.clone(),
                    value: expr.threshold * scale,
                    start_secs: level.started_offset_secs,
                    end_secs: level.started_offset_secs + level.duration_secs(),
                });
            }
        }
    }
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_searchs_curves_keep_one_unit_an_axis_and_mark_its_answer_and_objectives() {
        let run: RunRecord = serde_json::from_str(include_str!("../../tests/fixtures/ui-capacity-run.json")).unwrap();
        let mut scenario = run.scenarios[0].clone();
        // A GPU reading on every step: it gets a chart of its own, in percent.
        for level in &mut scenario.levels {
            let mut resources = level.resources.clone().unwrap_or_default();
            resources.gpu_util_max_percent = Some(40.0);
            level.resources = Some(resources);
        }
        let charts = capacity_charts(&scenario);
        let units: Vec<&str> = charts.iter().map(|chart| chart.unit.as_str()).collect();
        assert_eq!(units, ["ms", "req/s", "%"]);
        for chart in &charts {
            assert_eq!(
                chart.markers,
                [Marker {
                    x: 8.0,
                    label: "capacity 8 users".into()
                }],
                "{}",
                chart.title
            );
            // The axis of each line's points starts at the first step's load, on the load axis.
            assert!(chart.lines.iter().all(|line| line.points.iter().all(|point| point[0] > 0.0)));
        }
        let latency = &charts[0];
        let labels: Vec<&str> = latency.thresholds.iter().map(|threshold| threshold.label.as_str()).collect();
        assert!(labels.contains(&"p95 < 400ms"), "{labels:?}");
        assert!(labels.contains(&"objective TTFT ≤ 300ms"), "{labels:?}");
    }

    #[test]
    fn band_names_fit_their_bands_and_never_overlap() {
        let bands = [
            BandSpan {
                start_secs: 0.0,
                end_secs: 10.0,
                scenario_start: Some("API Gateway baseline"),
                label: "Single user",
            },
            BandSpan {
                start_secs: 10.0,
                end_secs: 12.0,
                scenario_start: Some("API Gateway"),
                label: "Level 1 · 10 users",
            },
            BandSpan {
                start_secs: 12.0,
                end_secs: 60.0,
                scenario_start: None,
                label: "Level 2 · 50 users",
            },
        ];
        // 10 pixels a second, 7 a character.
        let labels = band_labels(&bands, (0.0, 60.0), 10.0, 7.0);
        for (row, expected) in [
            (0, vec!["API Gateway…", "API Gateway"]),
            (1, vec!["Single user", "Level 2 · 50 users"]),
        ] {
            let texts: Vec<&str> = labels
                .iter()
                .filter(|label| label.row == row)
                .map(|label| label.text.as_str())
                .collect();
            assert_eq!(texts, expected, "row {row}");
        }
        // No two names of a row overlap: each ends before the next starts.
        for row in [0, 1] {
            let placed: Vec<&BandLabel> = labels.iter().filter(|label| label.row == row).collect();
            for pair in placed.windows(2) {
                let end = pair[0].x_secs + (pair[0].text.chars().count() as f64 * 7.0 + 6.0) / 10.0;
                assert!(end <= pair[1].x_secs + 1e-9, "{pair:?}");
            }
        }
    }
}
