//! Locust's statistics table, built once from the numbers and drawn by every face: the
//! terminal (`cli::table`), the app's Live tab (`ui::live`) and the Markdown/HTML report
//! (`report::tables`). One row per task and an Aggregated row; the same columns and the same
//! text everywhere.

use crate::analysis::TaskRow;
use crate::format;
use crate::measure::MetricUnit;
use crate::run::{LevelRecord, TaskStats};

/// The columns, in order.
pub(crate) const STATS_COLUMNS: [&str; 12] = [
    "Task",
    "Requests",
    "Fails",
    "Median",
    "p95",
    "p99",
    "Average",
    "Min",
    "Max",
    "Avg size",
    "RPS",
    "Failures/s",
];

/// One row: which task, and a cell of text per column of [`STATS_COLUMNS`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StatsRow {
    pub task: TaskRow,
    pub cells: [String; STATS_COLUMNS.len()],
    /// The numbers the cells were made from (for Copy).
    pub stats: TaskStats,
}

/// The row of one task (or all tasks together). Latency and size read `-` without requests.
pub(crate) fn stats_row(task: TaskRow, stats: &TaskStats) -> StatsRow {
    let measured = |text: String| if stats.requests == 0 { "-".to_string() } else { text };
    StatsRow {
        cells: [
            task.name().to_string(),
            stats.requests.to_string(),
            format!("{} ({})", stats.failures, crate::format::error_percent(stats.error_rate_percent())),
            measured(format::micros(stats.p50_micros as f64)),
            measured(format::micros(stats.p95_micros as f64)),
            measured(format::micros(stats.p99_micros as f64)),
            measured(format::micros(stats.avg_micros)),
            measured(format::micros(stats.min_micros as f64)),
            measured(format::micros(stats.max_micros as f64)),
            measured(format!("{:.0} B", stats.avg_bytes)),
            crate::format::rate(stats.rps),
            format!("{:.2}", stats.failures_per_sec),
        ],
        task,
        stats: stats.clone(),
    }
}

/// A number of the table, as Copy gives it to a spreadsheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatsMeasure {
    Requests,
    Fails,
    P50,
    P95,
    P99,
    Avg,
    Min,
    Max,
    AvgSize,
    Rps,
    FailuresPerSec,
    ErrorRate,
}

/// What each column of [`STATS_COLUMNS`] holds (None: the task's name).
pub(crate) const STATS_COLUMN_MEASURES: [Option<StatsMeasure>; STATS_COLUMNS.len()] = [
    None,
    Some(StatsMeasure::Requests),
    Some(StatsMeasure::Fails),
    Some(StatsMeasure::P50),
    Some(StatsMeasure::P95),
    Some(StatsMeasure::P99),
    Some(StatsMeasure::Avg),
    Some(StatsMeasure::Min),
    Some(StatsMeasure::Max),
    Some(StatsMeasure::AvgSize),
    Some(StatsMeasure::Rps),
    Some(StatsMeasure::FailuresPerSec),
];

impl StatsMeasure {
    /// The bare number and its unit (latencies in milliseconds); None where the task had no
    /// requests to measure it.
    pub(crate) fn copy(self, stats: &TaskStats) -> Option<(String, &'static str)> {
        let measured = stats.requests > 0;
        let millis = |micros: f64| measured.then(|| MetricUnit::LatencyMicros.copy(micros));
        match self {
            StatsMeasure::Requests => Some((stats.requests.to_string(), "")),
            StatsMeasure::Fails => Some((stats.failures.to_string(), "")),
            StatsMeasure::P50 => millis(stats.p50_micros as f64),
            StatsMeasure::P95 => millis(stats.p95_micros as f64),
            StatsMeasure::P99 => millis(stats.p99_micros as f64),
            StatsMeasure::Avg => millis(stats.avg_micros),
            StatsMeasure::Min => millis(stats.min_micros as f64),
            StatsMeasure::Max => millis(stats.max_micros as f64),
            StatsMeasure::AvgSize => measured.then(|| (format!("{:.0}", stats.avg_bytes), "B")),
            StatsMeasure::Rps => Some((format!("{:.3}", stats.rps), "req/s")),
            StatsMeasure::FailuresPerSec => Some((format!("{:.3}", stats.failures_per_sec), "/s")),
            StatsMeasure::ErrorRate => Some(MetricUnit::Percent.copy(stats.error_rate_percent())),
        }
    }
}

/// A level's table: each task, then the Aggregated row.
pub(crate) fn level_rows(level: &LevelRecord) -> Vec<StatsRow> {
    level
        .tasks
        .iter()
        .map(|task| stats_row(TaskRow::Task(task.task.clone()), &task.stats))
        .chain(std::iter::once(stats_row(TaskRow::Aggregated, &level.total.stats)))
        .collect()
}
