//! Locust's statistics table, built once from the numbers and drawn by every face: the
//! terminal (`cli::table`), the app's Live tab (`ui::live`) and the Markdown/HTML report
//! (`report::tables`). One row per task and an Aggregated row; the same columns and the same
//! text everywhere.

use crate::analysis::TaskRow;
use crate::format;
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

/// The columns as a spreadsheet takes them: numbers only, each column's unit in its header.
pub(crate) const STATS_COPY_COLUMNS: [&str; 13] = [
    "Task",
    "Requests",
    "Fails",
    "Fail rate (%)",
    "Median (ms)",
    "p95 (ms)",
    "p99 (ms)",
    "Average (ms)",
    "Min (ms)",
    "Max (ms)",
    "Avg size (B)",
    "RPS (req/s)",
    "Failures/s",
];

/// The same row as numbers a spreadsheet can sum (latencies in milliseconds; empty where the
/// task had no requests), in the order of [`STATS_COPY_COLUMNS`].
pub(crate) fn stats_copy_row(task: &TaskRow, stats: &TaskStats) -> [String; STATS_COPY_COLUMNS.len()] {
    let millis = |micros: f64| {
        if stats.requests == 0 {
            String::new()
        } else {
            format!("{:.3}", micros / 1000.0)
        }
    };
    [
        task.name().to_string(),
        stats.requests.to_string(),
        stats.failures.to_string(),
        format!("{:.4}", stats.error_rate_percent()),
        millis(stats.p50_micros as f64),
        millis(stats.p95_micros as f64),
        millis(stats.p99_micros as f64),
        millis(stats.avg_micros),
        millis(stats.min_micros as f64),
        millis(stats.max_micros as f64),
        if stats.requests == 0 {
            String::new()
        } else {
            format!("{:.0}", stats.avg_bytes)
        },
        format!("{:.3}", stats.rps),
        format!("{:.3}", stats.failures_per_sec),
    ]
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

/// How a column (or a results table's metric row) of these numbers copies for a spreadsheet:
/// the bare number and its unit, from the stats; None for a column of text. One table of
/// names, so the statistics, per-task and results tables copy the same numbers.
pub(crate) type CopyOf = fn(&TaskStats) -> Option<(String, &'static str)>;

pub(crate) fn copy_value(column: &str) -> Option<CopyOf> {
    fn millis(stats: &TaskStats, micros: f64) -> Option<(String, &'static str)> {
        (stats.requests > 0).then(|| (format!("{:.3}", micros / 1000.0), "ms"))
    }
    let copy: CopyOf = match column {
        "Requests" => |stats| Some((stats.requests.to_string(), "")),
        "Fails" => |stats| Some((stats.failures.to_string(), "")),
        "Median" | "p50 latency" => |stats| millis(stats, stats.p50_micros as f64),
        "p95" | "p95 latency" => |stats| millis(stats, stats.p95_micros as f64),
        "p99" | "p99 latency" => |stats| millis(stats, stats.p99_micros as f64),
        "Average" | "Avg latency" => |stats| millis(stats, stats.avg_micros),
        "Min" => |stats| millis(stats, stats.min_micros as f64),
        "Max" => |stats| millis(stats, stats.max_micros as f64),
        "Avg size" => |stats| (stats.requests > 0).then(|| (format!("{:.0}", stats.avg_bytes), "B")),
        "RPS" => |stats| Some((format!("{:.3}", stats.rps), "req/s")),
        "Failures/s" => |stats| Some((format!("{:.3}", stats.failures_per_sec), "/s")),
        "Error rate" => |stats| Some((format!("{:.4}", stats.error_rate_percent()), "%")),
        _ => return None,
    };
    Some(copy)
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
