//! Terminal tables: Locust's per-task stats table for a level, its failures, and the target
//! verdicts with observed values beside thresholds.

use std::fmt::Write as _;

use crate::format;
use crate::report::journey_table::{JOURNEY_COLUMNS, journey_row};
use crate::report::stats_table::{self, STATS_COLUMNS};
use crate::run::{ChatStats, LevelRecord, RunRecord, TokenCountSource, Verdict};

/// Where a chat row's token counts came from: `usage`, or output and prompt apart when they
/// differ (`chunks, prompt tokenizer`).
fn tokens_from(chat: &ChatStats) -> String {
    match chat.prompt_token_source {
        TokenCountSource::None => chat.token_source.label().to_string(),
        prompt if prompt == chat.token_source => prompt.label().to_string(),
        prompt => format!("{}, prompt {}", chat.token_source.label(), prompt.label()),
    }
}

/// The stats table, failures and verdicts of one level.
pub(crate) fn level_report(scenario: &str, level: &LevelRecord) -> String {
    let mut out = String::new();
    // A level counted in requests may end within a second: say how much within.
    let secs = level.duration_secs();
    let length = if secs < 1.0 {
        format::duration(std::time::Duration::from_secs_f64(secs.max(0.0)))
    } else {
        format!("{secs:.1}s")
    };
    let _ = writeln!(out, "\n{scenario} / {} ({}) - {length}", level.name, level.load);
    let rows = stats_table::level_rows(level);
    // Journey steps are named `journey / step`: the column grows to show them whole.
    let name_width = rows
        .iter()
        .map(|row| format::display_width(&row.cells[0]))
        .max()
        .unwrap_or(0)
        .clamp(STATS_WIDTHS[0], MAX_NAME_WIDTH);
    let _ = writeln!(out, "{}", text_row(&STATS_COLUMNS.map(String::from), name_width));
    for row in &rows {
        if row.task.is_aggregated() {
            let _ = writeln!(
                out,
                "{}",
                "-".repeat(name_width + STATS_WIDTHS[1..].iter().sum::<usize>() + STATS_WIDTHS.len() - 1)
            );
        }
        let _ = writeln!(out, "{}", text_row(&row.cells, name_width));
    }
    let chat_rows: Vec<_> = level
        .tasks
        .iter()
        .filter_map(|task| task.stats.chat.as_ref().map(|chat| (task.task.as_str(), chat)))
        .collect();
    if !chat_rows.is_empty() {
        let _ = writeln!(
            out,
            "{} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>10} {:>10} {:>10}  Tokens from",
            format::pad_end("Chat", name_width),
            "Replies",
            "TTFB p95",
            "TTFT p50",
            "TTFT p95",
            "ITL p50",
            "ITL p95",
            "tok/s p50",
            "Out tokens",
            "Out tok/s",
            "In tok/s"
        );
        for (name, chat) in chat_rows {
            let streamed = |micros: u64| {
                if chat.streamed == 0 {
                    "-".to_string()
                } else {
                    format::micros(micros as f64)
                }
            };
            let _ = writeln!(
                out,
                "{} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9.1} {:>10} {:>10.1} {:>10}  {}",
                format::pad_end(&format::truncate(name, name_width), name_width),
                chat.replies,
                format::micros(chat.ttfb_p95_micros as f64),
                streamed(chat.ttft_p50_micros),
                streamed(chat.ttft_p95_micros),
                streamed(chat.itl_p50_micros),
                streamed(chat.itl_p95_micros),
                chat.tokens_per_sec_p50,
                chat.output_tokens,
                chat.output_tokens_per_sec,
                chat.prompt_tokens_per_sec.map(format::rate).unwrap_or_else(|| "-".into()),
                tokens_from(chat)
            );
        }
    }
    if !level.journeys.is_empty() {
        let journey_width = level
            .journeys
            .iter()
            .map(|journey| format::display_width(&journey.name))
            .max()
            .unwrap_or(0)
            .clamp(STATS_WIDTHS[0], MAX_NAME_WIDTH);
        let header = JOURNEY_COLUMNS.map(String::from);
        let _ = writeln!(out, "{}", journey_line(&header, journey_width));
        for journey in &level.journeys {
            let _ = writeln!(out, "{}", journey_line(&journey_row(&journey.name, &journey.stats), journey_width));
        }
    }
    let total = &level.total.stats;
    if let Some(objectives) = &total.objectives {
        let tokens = if total.chat.is_some() {
            format!(", token goodput {} tokens/s", format::rate(objectives.token_goodput_per_sec))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "Objectives: {} of {} requests met every objective: SLO attainment {}, goodput {}{tokens}",
            objectives.met,
            total.requests,
            format::percent(objectives.attainment_percent),
            format::req_rate(objectives.goodput_per_sec)
        );
    }
    if !total.failure_classes.is_empty() || total.limited > 0 || total.sandbox_violations > 0 {
        let mut parts: Vec<String> = total
            .failure_classes
            .iter()
            .map(|(class, count)| {
                format!(
                    "{class} {count} ({})",
                    format::error_percent(*count as f64 * 100.0 / total.requests.max(1) as f64)
                )
            })
            .collect();
        if total.limited > 0 {
            parts.push(format!("limited {} (allowed by hard_* targets)", total.limited));
        }
        if total.sandbox_violations > 0 {
            parts.push(format!("sandbox violations {}", total.sandbox_violations));
        }
        let _ = writeln!(out, "Failure classes: {}", parts.join(", "));
    }
    if level.late_starts > 0 {
        let _ = writeln!(out, "Open model: {} requests could not start on schedule", level.late_starts);
    }
    if let Some(line) = crate::report::lines::resends(level) {
        let _ = writeln!(out, "{line}");
    }
    if let Some(line) = crate::report::lines::cancelled(total) {
        let _ = writeln!(out, "{line}");
    }
    if total.unfinished > 0 {
        let _ = writeln!(
            out,
            "Unfinished: {} requests were still open when the run ended (neither finished nor timed out; not in the numbers above)",
            total.unfinished
        );
    }
    if total.generator_failures > 0 {
        let _ = writeln!(
            out,
            "Load generator: {} failures were this machine's (no file descriptors or local ports left), not the service's",
            total.generator_failures
        );
    }
    if !level.failures.is_empty() {
        let _ = writeln!(out, "Failures:");
        for failure in &level.failures {
            let _ = writeln!(
                out,
                "  {:>7}x  {:<16} {:<12} {}",
                failure.count,
                failure.task,
                failure.kind,
                format::one_line(&failure.message)
            );
        }
    }
    if let Some(peaks) = &level.resources {
        let mut parts = Vec::new();
        for (name, value) in [
            ("GPU util max", peaks.gpu_util_max_percent),
            ("GPU memory max", peaks.gpu_mem_max_percent),
            ("container CPU max", peaks.container_cpu_max_percent),
            ("host CPU max", peaks.host_cpu_max_percent),
        ] {
            if let Some(value) = value {
                parts.push(format!("{name} {value:.0}%"));
            }
        }
        let _ = writeln!(out, "Resources: {}", parts.join(", "));
    }
    for warning in &level.warnings {
        let _ = writeln!(out, "Warning: {warning}");
    }
    if !level.verdicts.is_empty() {
        let _ = writeln!(out, "Targets:");
        for verdict in &level.verdicts {
            let _ = writeln!(out, "  {}", verdict_line(verdict));
        }
    }
    out
}

/// Column widths of the stats table in the terminal; the task name's is the least it takes.
const STATS_WIDTHS: [usize; STATS_COLUMNS.len()] = [22, 9, 16, 8, 8, 8, 8, 8, 8, 9, 8, 10];

/// The widest the name column grows; longer names are cut.
const MAX_NAME_WIDTH: usize = 48;

/// Column widths of the journeys table after the name (the last, the service shares, is
/// left-aligned and unpadded).
const JOURNEY_WIDTHS: [usize; JOURNEY_COLUMNS.len() - 2] = [8, 9, 15, 8, 8, 8, 10, 5, 26];

/// One line of the journeys table.
fn journey_line(cells: &[String; JOURNEY_COLUMNS.len()], name_width: usize) -> String {
    let mut line = format::pad_end(&format::truncate(&cells[0], name_width), name_width);
    for (cell, width) in cells[1..cells.len() - 1].iter().zip(JOURNEY_WIDTHS) {
        let _ = write!(line, " {}", format::pad_start(cell, width));
    }
    let _ = write!(line, "  {}", cells[cells.len() - 1]);
    line
}

/// One line of the stats table: the task name left-aligned in `name_width`, numbers
/// right-aligned.
fn text_row(cells: &[String; STATS_COLUMNS.len()], name_width: usize) -> String {
    let mut line = String::new();
    for (index, (cell, width)) in cells.iter().zip(STATS_WIDTHS).enumerate() {
        if index == 0 {
            line.push_str(&format::pad_end(&format::truncate(cell, name_width), name_width));
        } else {
            let _ = write!(line, " {}", format::pad_start(cell, width));
        }
    }
    line
}

/// `PASS  p95 < 2s  (query)  observed 1.24s`.
pub(crate) fn verdict_line(verdict: &Verdict) -> String {
    let mark = if verdict.passed { "PASS" } else { "FAIL" };
    let task = verdict.scope_label();
    let observed = match verdict.observed {
        Some(value) => verdict.metric.format_value(value),
        None => verdict.nothing_measured().into(),
    };
    format!("{mark}  {}{task}  observed {observed}", verdict.target)
}

/// The closing summary: every level's verdicts and the run's outcome.
pub(crate) fn run_summary(record: &RunRecord) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\nRun {} ({})", record.id, record.status.label());
    if let Some(reason) = &record.stop_reason {
        let _ = writeln!(out, "  {reason}");
    }
    for warning in &record.warnings {
        let _ = writeln!(out, "  Warning: {warning}");
    }
    if let Some(total) = &record.total {
        let _ = writeln!(
            out,
            "  {} requests, {} failures ({}), p95 {}",
            total.stats.requests,
            total.stats.failures,
            format::error_percent(total.stats.error_rate_percent()),
            if total.stats.requests == 0 {
                "-".into()
            } else {
                format::micros(total.stats.p95_micros as f64)
            }
        );
    }
    // A capacity search's steps are its evidence, not the run's checks: its result is.
    for scenario in &record.scenarios {
        let Some(capacity) = &scenario.capacity else { continue };
        let held = capacity.steps.iter().filter(|step| step.held).count();
        let at_max = crate::measure::capacity::CapacitySearch::held_at_max(&capacity.steps, &capacity.rule);
        let found = match capacity.capacity {
            _ if capacity.stopped.is_some() || at_max => capacity.answer(),
            Some(load) => format!("{} within every target", capacity.axis.format(load)),
            None => "no load within every target".into(),
        };
        let _ = writeln!(
            out,
            "  {}: capacity search {found} ({} steps, {held} held{})",
            scenario.name,
            capacity.steps.len(),
            if capacity.done { "" } else { "; not finished" }
        );
        for verdict in &capacity.verdicts {
            let observed = verdict
                .observed
                .map(|value| capacity.axis.format(value))
                .unwrap_or_else(|| "none".into());
            let word = if verdict.passed { "PASS" } else { "FAIL" };
            let _ = writeln!(out, "    {word}  {}  observed {observed}", verdict.target);
        }
    }
    let (passed, failed): (Vec<&Verdict>, Vec<&Verdict>) = record
        .scenarios
        .iter()
        .filter(|scenario| scenario.capacity.is_none())
        .flat_map(|scenario| scenario.levels.iter().flat_map(|level| level.verdicts.iter()))
        .partition(|verdict| verdict.passed);
    match record.passed {
        // Only capacity searches: their lines above are the verdict.
        Some(true) if passed.is_empty() => {}
        Some(true) => {
            let _ = writeln!(out, "  All {} target checks passed.", passed.len());
        }
        Some(false) => {
            let _ = writeln!(out, "  {} of {} target checks failed:", failed.len(), failed.len() + passed.len());
            for scenario in record.scenarios.iter().filter(|scenario| scenario.capacity.is_none()) {
                for level in &scenario.levels {
                    for verdict in level.verdicts.iter().filter(|verdict| !verdict.passed) {
                        let _ = writeln!(out, "    {} / {}: {}", scenario.name, level.name, verdict_line(verdict));
                    }
                }
            }
        }
        None => {
            let _ = writeln!(out, "  No targets defined.");
        }
    }
    let findings = crate::analysis::findings::find(record);
    if !findings.is_empty() {
        let _ = writeln!(out, "\nFindings:");
        out.push_str(&findings_text(&findings));
    }
    out
}

/// Findings as indented lines: what, where, the numbers, and what it suggests.
pub(crate) fn findings_text(findings: &[crate::run::Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        let place = crate::report::lines::finding_place(finding);
        let _ = writeln!(
            out,
            "  {:<8} {} ({place}): {}",
            finding.severity.label().to_uppercase(),
            finding.rule.label(),
            finding.summary
        );
        for line in &finding.evidence {
            let _ = writeln!(out, "             {line}");
        }
        let _ = writeln!(out, "           -> {}", finding.suggestion);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_in_chinese_keeps_the_columns_in_line() {
        // Four CJK characters take eight terminal columns: padded by characters, the row
        // shifted its numbers four columns to the right.
        let mut cells: [String; STATS_COLUMNS.len()] = std::array::from_fn(|index| format!("{index}"));
        cells[0] = "聊天补全 chat".to_string();
        let wide = text_row(&cells, 22);
        cells[0] = "chat completion".to_string();
        let plain = text_row(&cells, 22);
        assert_eq!(format::display_width(&wide), format::display_width(&plain), "{wide}\n{plain}");
        assert!(wide.ends_with(&plain[22..]), "{wide}\n{plain}");
        // Cut to fit: a wide character is never split, and the cut stays within the column.
        let long = "聊".repeat(30);
        assert!(format::display_width(&format::truncate(&long, 22)) <= 22);
        assert_eq!(format::display_width(&format::pad_end(&format::truncate(&long, 22), 22)), 22);
    }
}
