//! The journeys table, built once from the numbers and drawn by every face (the terminal, the
//! app's Live tab, the Markdown/HTML report): one row per journey with how many started,
//! completed and failed, the end-to-end latency of the completed ones, the steps and tool
//! calls they took, and where their time went.

use crate::format;
use crate::run::JourneyStats;

/// The columns, in order.
pub(crate) const JOURNEY_COLUMNS: [&str; 11] = [
    "Journey",
    "Started",
    "Completed",
    "Failed",
    "Median",
    "p95",
    "p99",
    "Journeys/s",
    "Steps",
    "Tool calls",
    "Time in services",
];

/// One journey's row: a cell of text per column of [`JOURNEY_COLUMNS`]. Latency reads `-`
/// until a journey completed.
pub(crate) fn journey_row(name: &str, stats: &JourneyStats) -> [String; JOURNEY_COLUMNS.len()] {
    let measured = |micros: u64| {
        if stats.completed == 0 {
            "-".to_string()
        } else {
            format::micros(micros as f64)
        }
    };
    let tool_calls = match stats.tool_calls_per_journey() {
        Some(per_journey) if stats.tool_errors > 0 => {
            format!("{} ({per_journey:.2}/journey, {} tool errors)", stats.tool_calls, stats.tool_errors)
        }
        Some(per_journey) => format!("{} ({per_journey:.2}/journey)", stats.tool_calls),
        None => "-".to_string(),
    };
    let shares = if stats.service_share_percent.is_empty() {
        "-".to_string()
    } else {
        stats
            .service_share_percent
            .iter()
            .map(|(service, share)| format!("{service} {}", format::whole_percent(*share)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let failed_share = format::error_percent(100.0 - stats.success_rate_percent().unwrap_or(100.0));
    let failed = match stats.cancelled {
        0 => format!("{} ({failed_share})", stats.failed),
        cancelled => format!("{} ({failed_share}), {cancelled} cancelled", stats.failed),
    };
    [
        name.to_string(),
        stats.started.to_string(),
        match stats.slo_attainment_percent() {
            Some(attainment) => format!("{} ({} met objectives)", stats.completed, format::whole_percent(attainment)),
            None => stats.completed.to_string(),
        },
        failed,
        measured(stats.latency_p50_micros),
        measured(stats.latency_p95_micros),
        measured(stats.latency_p99_micros),
        format::rate(stats.journeys_per_sec),
        if stats.ended() == 0 {
            "-".to_string()
        } else {
            format!("{:.1}", stats.steps_avg)
        },
        tool_calls,
        shares,
    ]
}
