//! The Markdown report: the results document the guide asks for (`LOAD_TESTING_RESULTS.md`):
//! per scenario the guide's "Metric | Baseline | Level 1 | ..." table, the targets with what
//! was measured, degradation against the baseline, failures and resources; then the findings
//! and, with `--compare`, the comparison table.

use std::fmt::Write as _;

use super::Report;
use super::tables::{Cell, Table, Tone, comparison_summary_table, comparison_table, results_table, scenario_tables};
use crate::format;

/// User text (titles, notes, names, servers' messages) as Markdown shows it: a `<` that would
/// open an HTML tag (`<script>`) is escaped, as the HTML report escapes it; `p95 < 2s` stays.
fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' if chars
                .peek()
                .is_some_and(|next| next.is_ascii_alphabetic() || matches!(next, '/' | '!' | '?')) =>
            {
                out.push_str("&lt;")
            }
            '&' if chars.peek().is_some_and(|next| next.is_ascii_alphanumeric() || *next == '#') => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

fn cell_text(cell: &Cell) -> String {
    let escaped = cell.text.replace('|', "\\|").replace('\n', " ");
    match cell.tone {
        Tone::Fail | Tone::Worse => format!("**{}**", text(&escaped)),
        Tone::Code => format!("`{escaped}`"),
        _ => text(&escaped),
    }
}

/// A table as Markdown, with its title (at `heading` level) and caption.
pub(crate) fn table(out: &mut String, table: &Table, heading: &str) {
    if let Some(title) = &table.title {
        let _ = writeln!(out, "{heading} {}\n", text(title));
    }
    if let Some(caption) = &table.caption {
        let _ = writeln!(out, "{}\n", text(caption));
    }
    let _ = writeln!(out, "| {} |", table.headers.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(table.headers.len()));
    for row in &table.rows {
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
}

/// The whole document.
pub fn render(report: &Report) -> String {
    let run = report.run;
    let mut out = String::new();
    let _ = writeln!(out, "# Load testing results: {}\n", text(run.display_name()));
    let _ = writeln!(
        out,
        "- **Run**: `{}`, {} ({}), {}",
        run.id,
        format::started_at(&run.started_at),
        format::duration_secs(run.duration_secs()),
        run.status.label()
    );
    let _ = writeln!(out, "- **Preset**: {} (`{}`)", text(&run.preset.name), run.preset.source);
    let _ = writeln!(out, "- **Load generator**: {}", super::lines::generator_line(run));
    if !run.tags.is_empty() {
        let _ = writeln!(out, "- **Tags**: {}", text(&run.tags.join(", ")));
    }
    if let Some(monitors) = &run.monitors {
        let _ = writeln!(out, "- **Monitors**: {}", super::lines::monitors_line(monitors));
    }
    let _ = writeln!(
        out,
        "- **Verdict**: **{}**: {}",
        super::lines::verdict_word(run.passed),
        report.verdict_line()
    );
    if let Some(reason) = &run.stop_reason {
        let _ = writeln!(out, "- **Stopped**: {}", text(reason));
    }
    for warning in &run.warnings {
        let _ = writeln!(out, "- **Warning**: {}", text(warning));
    }
    let _ = writeln!(out, "- **Peak throughput within targets**: {}", super::lines::peak_line(run));
    if !run.notes.is_empty() {
        let _ = writeln!(out, "\n> {}", text(&run.notes).replace('\n', "\n> "));
    }
    out.push('\n');

    for (index, scenario) in run.scenarios.iter().enumerate() {
        let _ = writeln!(out, "## {}\n", text(&scenario.name));
        let _ = writeln!(
            out,
            "Service: `{}`; tasks: {}.\n",
            scenario.base_url,
            text(&scenario.tasks.join(", "))
        );
        table(&mut out, &results_table(report, index), "###");
        for found in scenario_tables(report, index) {
            table(&mut out, &found, "###");
        }
    }
    findings_section(&mut out, report);
    if let Some(comparison) = &report.comparison {
        let _ = writeln!(out, "## Comparison\n");
        for (index, run) in comparison.runs.iter().enumerate() {
            let role = if index == comparison.baseline { " (baseline)" } else { "" };
            let _ = writeln!(
                out,
                "- **{}**{role}: {} (`{}`), {}, {}",
                run.letter,
                text(&run.name),
                run.id,
                format::started_at(&run.started_at),
                super::lines::verdict_word(run.passed)
            );
        }
        out.push('\n');
        table(&mut out, &comparison_summary_table(comparison), "###");
        table(&mut out, &comparison_table(comparison), "###");
    }
    out
}

fn findings_section(out: &mut String, report: &Report) {
    let _ = writeln!(out, "## Findings\n");
    if report.findings.is_empty() {
        let _ = writeln!(out, "{}\n", super::lines::NO_FINDINGS);
        return;
    }
    for finding in &report.findings {
        let _ = writeln!(
            out,
            "- **{}** ({}, {}, `{}`): {}.",
            finding.rule.label(),
            finding.severity.label(),
            text(&super::lines::finding_place(finding)),
            finding.metric,
            text(&finding.summary)
        );
        for line in &finding.evidence {
            let _ = writeln!(out, "  - {}", text(line));
        }
        let _ = writeln!(out, "  - Suggests: {}", finding.suggestion);
    }
    out.push('\n');
}
