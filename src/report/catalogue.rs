//! The one list of charts of a run's seconds ([`CHARTS`], one [`ChartSpec`] per [`ChartKind`]):
//! titles, units, lines, their colours and the targets each draws. The Live tab, Runs,
//! Compare, Present and the HTML report all take their charts from here (the Live tab draws
//! the specs over the seconds it has, windowed and decimated; the others draw
//! [`run_charts`](super::charts::run_charts)' `ChartData` built from them), so a run looks the
//! same everywhere.

use crate::measure::Metric;
use crate::run::SeriesPoint;

/// Which chart: every chart of a run's seconds, and the capacity curves and comparison
/// overlays built from other numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartKind {
    Throughput,
    Latency,
    Goodput,
    Users,
    Failures,
    Ttft,
    Tokens,
    /// Journeys ended each second, by outcome.
    Journeys,
    /// Journeys' end-to-end latency each second.
    JourneyLatency,
    Gpu,
    ContainerCpu,
    ContainerMemory,
    Host,
    TargetMetrics,
    /// A capacity search's latency by load.
    CapacityLatency,
    /// A capacity search's throughput (requests/s, goodput) by load.
    CapacityThroughput,
    /// A capacity search's busiest GPU by load (its own chart: one unit per axis).
    CapacityGpu,
    /// One measure of several runs on a common axis.
    Overlay,
}

impl ChartKind {
    /// The spec of a chart of a run's seconds (None for curves and overlays).
    pub fn spec(self) -> Option<&'static ChartSpec> {
        CHARTS.iter().find(|spec| spec.kind == self)
    }
}

/// A line's colour, as every face names it; each maps it to its own palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesColor {
    Blue,
    Purple,
    Green,
    Red,
    /// Latency percentiles, told apart from each other and from the meaning colours.
    P50,
    P95,
    P99,
}

/// One line on a chart.
pub struct SeriesSpec {
    pub name: &'static str,
    pub color: SeriesColor,
    pub value: fn(&SeriesPoint) -> Option<f64>,
    /// The metric whose targets are drawn in this line's colour.
    pub target: Option<Metric>,
}

/// One chart: its series, the unit on its value axis and which targets it draws.
pub struct ChartSpec {
    pub kind: ChartKind,
    /// Stable id: the app's "hidden charts" setting, the HTML report's element ids.
    pub id: &'static str,
    pub title: &'static str,
    /// The value axis's unit, after each number: `ms`, `req/s`, `%`, `MiB`.
    pub unit: &'static str,
    pub series: &'static [SeriesSpec],
    /// Targets on these metrics are drawn as horizontal lines, their thresholds divided by
    /// `target_scale` (1000 for latency in ms, 1 for percentages).
    pub target_metrics: &'static [Metric],
    pub target_scale: f64,
    /// Lines whose names come from the data (one per GPU, container or scraped metric).
    pub dynamic: Option<DynamicLines>,
    /// Whether the chart can show one task alone (requests, latency, tokens), or only the whole
    /// run (users, monitors).
    pub per_task: bool,
}

/// Named values of one series point, for charts whose lines come from the data.
pub(crate) type DynamicLines = fn(&SeriesPoint) -> Vec<(String, f64)>;

const NO_SERIES: &[SeriesSpec] = &[];

/// How many named lines a chart draws at most.
pub(crate) const MAX_DYNAMIC_LINES: usize = 8;

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn millis(micros: Option<u64>) -> Option<f64> {
    micros.map(|micros| micros as f64 / 1000.0)
}

/// Every chart of a run's seconds, in the order every face shows them.
pub const CHARTS: &[ChartSpec] = &[
    ChartSpec {
        kind: ChartKind::Throughput,
        id: "throughput",
        title: "Throughput",
        unit: "req/s",
        series: &[SeriesSpec {
            name: "requests/s",
            color: SeriesColor::Blue,
            value: |point| Some(point.requests.rps),
            target: Some(Metric::Rps),
        }],
        target_metrics: &[Metric::Rps],
        target_scale: 1.0,
        dynamic: None,
        per_task: true,
    },
    ChartSpec {
        kind: ChartKind::Latency,
        id: "latency",
        title: "Response time",
        unit: "ms",
        series: &[
            SeriesSpec {
                name: "p50",
                color: SeriesColor::P50,
                value: |point| millis(point.requests.p50_micros),
                target: Some(Metric::P50),
            },
            SeriesSpec {
                name: "p95",
                color: SeriesColor::P95,
                value: |point| millis(point.requests.p95_micros),
                target: Some(Metric::P95),
            },
            SeriesSpec {
                name: "p99",
                color: SeriesColor::P99,
                value: |point| millis(point.requests.p99_micros),
                target: Some(Metric::P99),
            },
        ],
        target_metrics: &[Metric::P50, Metric::P95, Metric::P99],
        target_scale: 1000.0,
        dynamic: None,
        per_task: true,
    },
    ChartSpec {
        kind: ChartKind::Goodput,
        id: "goodput",
        title: "Goodput",
        unit: "req/s",
        // Requests first, so goodput draws over them where every request was good.
        series: &[
            // Beside goodput only: a scenario without objectives has no goodput chart.
            SeriesSpec {
                name: "requests/s",
                color: SeriesColor::Blue,
                value: |point| point.requests.goodput_per_sec.map(|_| point.requests.rps),
                target: None,
            },
            SeriesSpec {
                name: "goodput",
                color: SeriesColor::Green,
                value: |point| point.requests.goodput_per_sec,
                target: Some(Metric::Goodput),
            },
        ],
        target_metrics: &[Metric::Goodput],
        target_scale: 1.0,
        dynamic: None,
        per_task: true,
    },
    ChartSpec {
        kind: ChartKind::Users,
        id: "users",
        title: "Users",
        unit: "users",
        series: &[SeriesSpec {
            name: "users",
            color: SeriesColor::Purple,
            value: |point| Some(f64::from(point.users)),
            target: None,
        }],
        target_metrics: &[],
        target_scale: 1.0,
        dynamic: None,
        per_task: false,
    },
    ChartSpec {
        kind: ChartKind::Failures,
        id: "failures",
        title: "Failures",
        unit: "failures/s",
        series: &[SeriesSpec {
            name: "failures/s",
            color: SeriesColor::Red,
            value: |point| Some(point.requests.failures_per_sec),
            target: None,
        }],
        target_metrics: &[],
        target_scale: 1.0,
        dynamic: None,
        per_task: true,
    },
    ChartSpec {
        kind: ChartKind::Ttft,
        id: "ttft",
        title: "Time to first token (chat)",
        unit: "ms",
        series: &[
            SeriesSpec {
                name: "TTFT p50",
                color: SeriesColor::P50,
                value: |point| millis(point.requests.ttft_p50_micros),
                target: Some(Metric::TtftP50),
            },
            SeriesSpec {
                name: "TTFT p95",
                color: SeriesColor::P95,
                value: |point| millis(point.requests.ttft_p95_micros),
                target: Some(Metric::TtftP95),
            },
        ],
        target_metrics: &[Metric::TtftP50, Metric::TtftP95],
        target_scale: 1000.0,
        dynamic: None,
        per_task: true,
    },
    ChartSpec {
        kind: ChartKind::Tokens,
        id: "tokens",
        title: "Tokens (chat)",
        unit: "tokens/s",
        series: &[
            SeriesSpec {
                name: "output",
                color: SeriesColor::Blue,
                value: |point| point.requests.output_tokens_per_sec,
                target: None,
            },
            SeriesSpec {
                name: "input",
                color: SeriesColor::Purple,
                value: |point| point.requests.prompt_tokens_per_sec,
                target: None,
            },
        ],
        target_metrics: &[],
        target_scale: 1.0,
        dynamic: None,
        per_task: true,
    },
    ChartSpec {
        kind: ChartKind::Journeys,
        id: "journeys",
        title: "Journeys",
        unit: "journeys/s",
        series: &[
            SeriesSpec {
                name: "completed/s",
                color: SeriesColor::Green,
                value: |point| point.journeys.as_ref().map(|journeys| journeys.completed_per_sec),
                target: Some(Metric::JourneysPerSec),
            },
            SeriesSpec {
                name: "failed/s",
                color: SeriesColor::Red,
                value: |point| point.journeys.as_ref().map(|journeys| journeys.failed_per_sec),
                target: None,
            },
        ],
        target_metrics: &[Metric::JourneysPerSec],
        target_scale: 1.0,
        dynamic: None,
        per_task: false,
    },
    ChartSpec {
        kind: ChartKind::JourneyLatency,
        id: "journey-latency",
        title: "Journey time (end to end)",
        unit: "ms",
        series: &[
            SeriesSpec {
                name: "journey p50",
                color: SeriesColor::P50,
                value: |point| millis(point.journeys.as_ref()?.p50_micros),
                target: Some(Metric::JourneyP50),
            },
            SeriesSpec {
                name: "journey p95",
                color: SeriesColor::P95,
                value: |point| millis(point.journeys.as_ref()?.p95_micros),
                target: Some(Metric::JourneyP95),
            },
        ],
        target_metrics: &[Metric::JourneyP50, Metric::JourneyP95, Metric::JourneyP99],
        target_scale: 1000.0,
        dynamic: None,
        per_task: false,
    },
    ChartSpec {
        kind: ChartKind::Gpu,
        id: "gpu",
        title: "GPU utilisation and memory",
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
        per_task: false,
    },
    ChartSpec {
        kind: ChartKind::ContainerCpu,
        id: "container-cpu",
        title: "Container CPU (100% = one core)",
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
        per_task: false,
    },
    ChartSpec {
        kind: ChartKind::ContainerMemory,
        id: "container-memory",
        title: "Container memory",
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
        per_task: false,
    },
    ChartSpec {
        kind: ChartKind::Host,
        id: "host",
        title: "Load generator host",
        unit: "%",
        series: &[
            SeriesSpec {
                name: "CPU",
                color: SeriesColor::Blue,
                value: |point| point.resources.as_ref().and_then(|resources| resources.host_cpu()),
                target: Some(Metric::HostCpuMax),
            },
            SeriesSpec {
                name: "memory",
                color: SeriesColor::Purple,
                value: |point| {
                    let host = point.resources.as_ref()?.host.as_ref()?;
                    (host.mem_total_bytes > 0).then(|| host.mem_used_bytes as f64 * 100.0 / host.mem_total_bytes as f64)
                },
                target: None,
            },
        ],
        target_metrics: &[Metric::HostCpuMax],
        target_scale: 1.0,
        dynamic: None,
        per_task: false,
    },
    ChartSpec {
        kind: ChartKind::TargetMetrics,
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
        per_task: false,
    },
];
