//! The HTML report: one self-contained file (inline CSS and SVG charts, nothing fetched at view
//! time) that reads on a phone and prints. Same values as the Markdown report.

use std::fmt::Write as _;

use super::Report;
use super::charts::{ChartData, capacity_charts, overlay_charts, run_charts};
use super::lines::{finding_place, monitors_line, peak_line, verdict_word};
use super::svg::{escape, render};
use super::tables::{Cell, Table, Tone, comparison_summary_table, comparison_table, results_table, scenario_tables};
use crate::format;

const STYLE: &str = r#"
:root { color-scheme: light; --pass: #1a7f37; --fail: #b42318; --muted: #57606a; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1100px; padding: 16px; color: #1f2328; }
h1 { font-size: 1.6em; margin: 0.2em 0; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: 4px; margin-top: 1.6em; }
.meta { color: var(--muted); margin: 0; padding-left: 1.2em; }
.badge { display: inline-block; border-radius: 6px; padding: 2px 10px; margin: 2px; font-weight: 600; color: #fff; }
.pass { background: var(--pass); } .fail { background: var(--fail); } .none { background: var(--muted); }
.better { color: var(--pass); font-weight: 600; } .worse { color: var(--fail); font-weight: 600; } .same { color: var(--muted); }
.table-wrap { overflow-x: auto; margin: 8px 0 16px; }
table { border-collapse: collapse; font-size: 0.92em; min-width: 60%; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; }
td.num { text-align: right; white-space: nowrap; }
details > summary { cursor: pointer; font-weight: 600; margin: 8px 0; }
thead th { background: #f6f8fa; }
figure { margin: 12px 0; break-inside: avoid; overflow-x: auto; } figcaption { font-weight: 600; }
svg.chart { width: 100%; height: auto; background: #fff; border: 1px solid #eaeef2; }
.finding { border-left: 4px solid var(--muted); padding: 4px 12px; margin: 8px 0; break-inside: avoid; }
.finding.warning { border-color: #bf8700; } .finding.critical { border-color: var(--fail); }
.finding ul { margin: 4px 0; color: var(--muted); }
@media (max-width: 600px) { body { font-size: 14px; padding: 8px; } svg.chart { min-width: 620px; } }
@media print { body { max-width: none; } a { color: inherit; } h2 { break-after: avoid; } }
"#;

fn badge(passed: Option<bool>, text: &str) -> String {
    let class = match passed {
        Some(true) => "pass",
        Some(false) => "fail",
        None => "none",
    };
    format!(r#"<span class="badge {class}">{}</span>"#, escape(text))
}

fn cell_html(cell: &Cell) -> String {
    let text = escape(&cell.text);
    match cell.tone {
        Tone::Plain => text,
        Tone::Pass => badge(Some(true), &cell.text),
        Tone::Fail => badge(Some(false), &cell.text),
        Tone::Better => format!(r#"<span class="better">{text}</span>"#),
        Tone::Worse => format!(r#"<span class="worse">{text}</span>"#),
        Tone::Same => format!(r#"<span class="same">{text}</span>"#),
        Tone::Code => format!("<code>{text}</code>"),
    }
}

/// A table as HTML, with its title and caption, scrolling sideways on narrow screens.
fn table(out: &mut String, table: &Table) {
    if let Some(title) = &table.title {
        let _ = write!(out, "<h3>{}</h3>", escape(title));
    }
    if let Some(caption) = &table.caption {
        let _ = write!(out, "<p>{}</p>", escape(caption));
    }
    out.push_str(r#"<div class="table-wrap"><table><thead><tr>"#);
    for header in &table.headers {
        let _ = write!(out, "<th>{}</th>", escape(header));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &table.rows {
        out.push_str("<tr>");
        for cell in row {
            let class = if cell.numeric { r#" class="num""# } else { "" };
            let title = cell
                .hover
                .as_ref()
                .map(|hover| format!(r#" title="{}""#, escape(hover)))
                .unwrap_or_default();
            let _ = write!(out, "<td{class}{title}>{}</td>", cell_html(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
}

fn figure(out: &mut String, chart: &ChartData) {
    let _ = write!(
        out,
        r#"<figure><figcaption>{}</figcaption>{}</figure>"#,
        escape(&chart.title),
        render(chart)
    );
}

/// The whole document.
pub fn render_report(report: &Report) -> String {
    let run = report.run;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Load testing results: {}</title><style>{STYLE}</style></head><body>"#,
        escape(run.display_name())
    );
    let _ = write!(out, "<h1>Load testing results: {}</h1>", escape(run.display_name()));
    let _ = write!(
        out,
        r#"<ul class="meta"><li>Run <code>{}</code>, {} ({}), {}</li><li>Preset {} (<code>{}</code>)</li><li>Load generator {}</li>"#,
        escape(&run.id),
        escape(&format::started_at(&run.started_at)),
        format::duration_secs(run.duration_secs()),
        run.status.label(),
        escape(&run.preset.name),
        escape(&run.preset.source),
        escape(&super::lines::generator_line(run)),
    );
    if !run.tags.is_empty() {
        let _ = write!(out, "<li>Tags: {}</li>", escape(&run.tags.join(", ")));
    }
    if let Some(monitors) = &run.monitors {
        let _ = write!(out, "<li>Monitors: {}</li>", escape(&monitors_line(monitors)));
    }
    out.push_str("</ul>");
    let _ = write!(
        out,
        "<p>{} {}</p>",
        badge(run.passed, verdict_word(run.passed)),
        escape(&report.verdict_line())
    );
    if let Some(reason) = &run.stop_reason {
        let _ = write!(out, "<p>Stopped: {}</p>", escape(reason));
    }
    for warning in &run.warnings {
        let _ = write!(out, "<p class=\"warn\">Warning: {}</p>", escape(warning));
    }
    let _ = write!(
        out,
        "<p>Peak throughput within targets: <strong>{}</strong></p>",
        escape(&peak_line(run))
    );
    if !run.notes.is_empty() {
        let _ = write!(out, "<blockquote>{}</blockquote>", escape(&run.notes));
    }
    // The verdict of each level as a badge.
    for scenario in &run.scenarios {
        let _ = write!(out, "<p><strong>{}</strong>: ", escape(&scenario.name));
        for level in &scenario.levels {
            let passed = crate::analysis::verdicts::all_passed(&level.verdicts);
            let _ = write!(out, "{}", badge(passed, &format!("{} ({})", level.name, level.load.brief())));
        }
        out.push_str("</p>");
    }

    out.push_str("<h2>Findings</h2>");
    if report.findings.is_empty() {
        let _ = write!(out, "<p>{}</p>", escape(super::lines::NO_FINDINGS));
    }
    for finding in &report.findings {
        let _ = write!(
            out,
            r#"<div class="finding {}"><strong>{}</strong> ({}, {}, <code>{}</code>): {}.<ul>"#,
            finding.severity.label(),
            escape(finding.rule.label()),
            finding.severity.label(),
            escape(&finding_place(finding)),
            escape(&finding.metric),
            escape(&finding.summary)
        );
        for line in &finding.evidence {
            let _ = write!(out, "<li>{}</li>", escape(line));
        }
        let _ = write!(out, "</ul>Suggests: {}</div>", escape(&finding.suggestion));
    }

    out.push_str("<h2>Charts</h2>");
    for chart in run_charts(run) {
        figure(&mut out, &chart);
    }
    for (index, scenario) in run.scenarios.iter().enumerate() {
        let _ = write!(
            out,
            "<h2>{}</h2><p>Service <code>{}</code>; tasks: {}.</p>",
            escape(&scenario.name),
            escape(&scenario.base_url),
            escape(&scenario.tasks.join(", "))
        );
        table(&mut out, &results_table(report, index));
        for chart in capacity_charts(scenario) {
            figure(&mut out, &chart);
        }
        for found in scenario_tables(report, index) {
            table(&mut out, &found);
        }
    }

    if let Some(comparison) = &report.comparison {
        out.push_str("<h2>Comparison</h2><ul>");
        for (index, run) in comparison.runs.iter().enumerate() {
            let _ = write!(
                out,
                "<li><strong>{}</strong>{}: {} (<code>{}</code>), {} {}</li>",
                escape(&run.letter),
                if index == comparison.baseline { " (baseline)" } else { "" },
                escape(&run.name),
                escape(&run.id),
                escape(&format::started_at(&run.started_at)),
                badge(run.passed, verdict_word(run.passed))
            );
        }
        out.push_str("</ul>");
        let labels: Vec<String> = comparison.runs.iter().map(|run| format!("{}: {}", run.letter, run.name)).collect();
        for chart in overlay_charts(&report.compared, &labels, crate::analysis::comparison::Align::ByLevel) {
            figure(&mut out, &chart);
        }
        table(&mut out, &comparison_summary_table(comparison));
        out.push_str("<details><summary>Every task and measure</summary>");
        table(&mut out, &comparison_table(comparison));
        out.push_str("</details>");
    }
    out.push_str("</body></html>\n");
    out
}
