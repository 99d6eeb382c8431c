//! The charts a report draws, as data: lines of `[seconds, value]`, level bands and target
//! lines. The HTML report renders them as SVG; the same list decides what "every chart" is.

use crate::analysis::comparison::{Align, LevelSlot, SeriesMeasure, overlay};
use crate::format;
use crate::measure::capacity::CapacityAxis;
use crate::measure::{Metric, MetricUnit, TargetExpr};
use crate::run::{LevelRecord, RunRecord, ScenarioRecord, SeriesPoint};

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub name: String,
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

/// The charts of one run: load, latency, failures, and (when the run has them) time to first
/// token, output tokens and resources.
pub fn run_charts(run: &RunRecord) -> Vec<ChartData> {
    let bands = crate::analysis::comparison::overlay(&[run], SeriesMeasure::Users, Align::Elapsed).1;
    let series = &run.series;
    let line = |name: &str, value: &dyn Fn(&SeriesPoint) -> Option<f64>| Line {
        name: name.to_string(),
        points: series
            .iter()
            .filter_map(|point| Some([point.second as f64, value(point)?]))
            .collect(),
    };
    let millis = |micros: Option<u64>| micros.map(|micros| micros as f64 / 1000.0);
    let mut charts = vec![
        ChartData {
            id: "throughput".into(),
            title: "Throughput".into(),
            unit: "req/s".into(),
            lines: vec![line("requests/s", &|point| Some(point.requests.rps))],
            bands: bands.clone(),
            thresholds: thresholds(run, &[Metric::Rps], 1.0),
            x_axis: XAxis::Elapsed,
        },
        ChartData {
            id: "latency".into(),
            title: "Response time".into(),
            unit: "ms".into(),
            lines: vec![
                line("p50", &|point| millis(point.requests.p50_micros)),
                line("p95", &|point| millis(point.requests.p95_micros)),
                line("p99", &|point| millis(point.requests.p99_micros)),
            ],
            bands: bands.clone(),
            thresholds: thresholds(run, &[Metric::P50, Metric::P95, Metric::P99], 1.0 / 1000.0),
            x_axis: XAxis::Elapsed,
        },
        ChartData {
            id: "users".into(),
            title: "Users".into(),
            unit: "users".into(),
            lines: vec![line("users", &|point| Some(point.users as f64))],
            bands: bands.clone(),
            thresholds: Vec::new(),
            x_axis: XAxis::Elapsed,
        },
        ChartData {
            id: "failures".into(),
            title: "Failures".into(),
            unit: "failures/s".into(),
            lines: vec![line("failures/s", &|point| Some(point.requests.failures_per_sec))],
            bands: bands.clone(),
            thresholds: Vec::new(),
            x_axis: XAxis::Elapsed,
        },
    ];
    if series.iter().any(|point| point.requests.ttft_p95_micros.is_some()) {
        charts.push(ChartData {
            id: "ttft".into(),
            title: "Time to first token".into(),
            unit: "ms".into(),
            lines: vec![
                line("TTFT p50", &|point| millis(point.requests.ttft_p50_micros)),
                line("TTFT p95", &|point| millis(point.requests.ttft_p95_micros)),
            ],
            bands: bands.clone(),
            thresholds: thresholds(run, &[Metric::TtftP50, Metric::TtftP95], 1.0 / 1000.0),
            x_axis: XAxis::Elapsed,
        });
    }
    if series.iter().any(|point| point.requests.goodput_per_sec.is_some()) {
        charts.push(ChartData {
            id: "goodput".into(),
            title: "Goodput (requests within the objectives)".into(),
            unit: "req/s".into(),
            lines: vec![
                line("requests/s", &|point| point.requests.goodput_per_sec.map(|_| point.requests.rps)),
                line("goodput", &|point| point.requests.goodput_per_sec),
            ],
            bands: bands.clone(),
            thresholds: thresholds(run, &[Metric::Goodput], 1.0),
            x_axis: XAxis::Elapsed,
        });
    }
    if series.iter().any(|point| point.requests.output_tokens_per_sec.is_some()) {
        charts.push(ChartData {
            id: "tokens".into(),
            title: "Tokens".into(),
            unit: "tokens/s".into(),
            // Input tokens only where the run counted them (older files did not).
            lines: [
                line("output tokens/s", &|point| point.requests.output_tokens_per_sec),
                line("input tokens/s", &|point| point.requests.prompt_tokens_per_sec),
            ]
            .into_iter()
            .filter(|line| !line.points.is_empty())
            .collect(),
            bands: bands.clone(),
            thresholds: Vec::new(),
            x_axis: XAxis::Elapsed,
        });
    }
    let resource_lines: Vec<Line> = [
        line("GPU util % (max)", &|point| point.resources.as_ref()?.gpu_util_max()),
        line("GPU memory % (max)", &|point| point.resources.as_ref()?.gpu_mem_max()),
        line("container CPU % (max)", &|point| point.resources.as_ref()?.container_cpu_max()),
        line("host CPU %", &|point| point.resources.as_ref()?.host_cpu()),
    ]
    .into_iter()
    .filter(|line| !line.points.is_empty())
    .collect();
    if !resource_lines.is_empty() {
        charts.push(ChartData {
            id: "resources".into(),
            title: "Resources".into(),
            unit: "%".into(),
            lines: resource_lines,
            bands,
            thresholds: thresholds(
                run,
                &[Metric::GpuUtilMax, Metric::GpuMemMax, Metric::ContainerCpuMax, Metric::HostCpuMax],
                1.0,
            ),
            x_axis: XAxis::Elapsed,
        });
    }
    charts
}

/// A capacity search's curve, one point per step by its load: latency (p95, TTFT p95, with the
/// latency targets), and throughput beside goodput and the busiest GPU's utilisation.
pub fn capacity_charts(scenario: &ScenarioRecord) -> Vec<ChartData> {
    let Some(capacity) = &scenario.capacity else { return Vec::new() };
    let steps: Vec<(f64, &LevelRecord)> = capacity.steps.iter().map(|step| step.load).zip(&scenario.levels).collect();
    let targets = CurveTarget::of_records(&scenario.targets);
    load_curves(&scenario.name, capacity.axis, steps, &targets)
}

/// A target as a load curve draws it: its metric, its threshold in the metric's unit, its text.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveTarget {
    pub metric: Metric,
    pub threshold: f64,
    pub text: String,
}

impl CurveTarget {
    /// The targets a run file recorded (those that still parse).
    pub fn of_records(targets: &[crate::run::TargetRecord]) -> Vec<CurveTarget> {
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
pub fn load_curves(name: &str, axis: CapacityAxis, mut steps: Vec<(f64, &LevelRecord)>, targets: &[CurveTarget]) -> Vec<ChartData> {
    if steps.is_empty() {
        return Vec::new();
    }
    steps.sort_by(|a, b| a.0.total_cmp(&b.0));
    let line = |name: &str, value: &dyn Fn(&LevelRecord) -> Option<f64>| Line {
        name: name.to_string(),
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
        line("GPU util % (max)", &|level| level.resources.as_ref()?.gpu_util_max_percent),
    ]
    .into_iter()
    .filter(|line| !line.points.is_empty())
    .collect();
    let end = steps.iter().map(|(load, _)| *load).fold(0.0, f64::max);
    let latency_thresholds = targets
        .iter()
        .filter(|target| {
            matches!(
                target.metric,
                Metric::Avg | Metric::P50 | Metric::P95 | Metric::P99 | Metric::TtftP50 | Metric::TtftP95
            )
        })
        .map(|target| Threshold {
            label: target.text.clone(),
            value: target.threshold / 1000.0,
            start_secs: 0.0,
            end_secs: end,
        })
        .collect();
    let axis = XAxis::Load(axis);
    let id = crate::run::library::slug(name);
    vec![
        ChartData {
            id: format!("capacity-latency-{id}"),
            title: format!("{name}: latency by load"),
            unit: "ms".into(),
            lines: latency_lines,
            bands: Vec::new(),
            thresholds: latency_thresholds,
            x_axis: axis,
        },
        ChartData {
            id: format!("capacity-throughput-{id}"),
            title: format!("{name}: throughput by load"),
            unit: "req/s, %".into(),
            lines: load_lines,
            bands: Vec::new(),
            thresholds: Vec::new(),
            x_axis: axis,
        },
    ]
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
                id: format!("compare-{}", crate::run::library::slug(measure.label())),
                title: format!("{} {aligned}, all runs", measure.label()),
                unit: measure.unit().to_string(),
                lines: lines
                    .into_iter()
                    .zip(labels)
                    .map(|(points, name)| Line {
                        name: name.clone(),
                        points,
                    })
                    .collect(),
                bands,
                thresholds: Vec::new(),
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
            if !metrics.contains(&expr.metric) || expr.metric.unit() == MetricUnit::Count {
                continue;
            }
            if !expr.metric.charted(target.task.is_some()) {
                continue;
            }
            let label = match &target.task {
                Some(task) => format!("{} ({task})", target.expr),
                None => target.expr.clone(),
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
