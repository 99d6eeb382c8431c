//! The report's tables as plain cells with a tone (pass, fail, better, worse...), built once and
//! rendered by the Markdown and HTML writers, so both show the same numbers.

use super::Report;
use super::stats_table::{self, STATS_COLUMNS};
use crate::analysis::comparison::{Change, CompareCell, Comparison, Measure, delta};
use crate::format;
use crate::run::{ScenarioRecord, TaskStats};

/// How a cell should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Pass,
    Fail,
    Better,
    Worse,
    Same,
    /// A target expression or other literal text.
    Code,
}

/// One table cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub text: String,
    pub tone: Tone,
}

impl Cell {
    pub fn plain(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            tone: Tone::Plain,
        }
    }

    pub fn code(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            tone: Tone::Code,
        }
    }

    /// `PASS`, `FAIL`, or `-` when there is no verdict.
    pub fn verdict(passed: Option<bool>) -> Cell {
        match passed {
            Some(true) => Cell {
                text: "PASS".into(),
                tone: Tone::Pass,
            },
            Some(false) => Cell {
                text: "FAIL".into(),
                tone: Tone::Fail,
            },
            None => Cell::plain("-"),
        }
    }
}

/// A titled table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub title: Option<String>,
    /// A sentence under the title.
    pub caption: Option<String>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

fn latency(micros: f64, stats: &TaskStats) -> String {
    if stats.requests == 0 { "-".into() } else { format::micros(micros) }
}

/// The guide's results table: metrics down; the baseline and each level across.
pub fn results_table(report: &Report, index: usize) -> Table {
    let scenario = &report.run.scenarios[index];
    let baseline = report.baselines.get(index).and_then(Option::as_ref);
    let mut headers = vec!["Metric".to_string()];
    if baseline.is_some() {
        headers.push("Baseline".into());
    }
    headers.extend(
        scenario
            .levels
            .iter()
            .map(|level| format!("{} ({})", level.name, level.load.brief())),
    );
    let mut rows = Vec::new();
    let mut metric_row = |name: &str, value: &dyn Fn(&TaskStats) -> String| {
        let mut cells = vec![Cell::plain(name)];
        if let Some(baseline) = baseline {
            cells.push(Cell::plain(value(&baseline.total)));
        }
        cells.extend(scenario.levels.iter().map(|level| Cell::plain(value(&level.total.stats))));
        rows.push(cells);
    };
    metric_row("Avg latency", &|stats| latency(stats.avg_micros, stats));
    metric_row("p50 latency", &|stats| latency(stats.p50_micros as f64, stats));
    metric_row("p95 latency", &|stats| latency(stats.p95_micros as f64, stats));
    metric_row("p99 latency", &|stats| latency(stats.p99_micros as f64, stats));
    metric_row("Error rate", &|stats| format!("{:.2}%", stats.error_rate_percent()));
    metric_row("RPS", &|stats| format!("{:.1}", stats.rps));
    metric_row("Requests", &|stats| stats.requests.to_string());
    let streamed = |stats: &TaskStats| {
        stats
            .chat
            .as_ref()
            .filter(|chat| chat.streamed > 0)
            .map(|chat| chat.ttft_p95_micros)
    };
    if scenario.levels.iter().any(|level| streamed(&level.total.stats).is_some()) {
        metric_row("TTFT p95", &|stats| {
            streamed(stats)
                .map(|micros| format::micros(micros as f64))
                .unwrap_or_else(|| "-".into())
        });
    }
    let degradation = report.degradation.get(index).map(Vec::as_slice).unwrap_or_default();
    if !degradation.is_empty() {
        let mut cells = vec![Cell::plain("p95 degradation"), Cell::plain("-")];
        for level in &scenario.levels {
            let row = degradation.iter().find(|row| row.level == level.index && row.task.is_aggregated());
            cells.push(match row {
                Some(row) => degradation_cell(row.degradation_percent, row.limit_percent, row.passed),
                None => Cell::plain("-"),
            });
        }
        rows.push(cells);
    }
    Table {
        title: None,
        caption: baseline.map(|baseline| format!("Baseline: {}.", baseline.source)),
        headers,
        rows,
    }
}

/// `+21.5% (< 100%)`, toned by its verdict.
fn degradation_cell(value: Option<f64>, limit: Option<f64>, passed: Option<bool>) -> Cell {
    let Some(value) = value else { return Cell::plain("-") };
    let text = match limit {
        Some(limit) => format!("{value:+.1}% (< {limit:.0}%)"),
        None => format!("{value:+.1}%"),
    };
    Cell {
        text,
        tone: match passed {
            Some(true) => Tone::Pass,
            Some(false) => Tone::Fail,
            None => Tone::Plain,
        },
    }
}

/// A scenario's tables after the results table, in report order: targets, degradation, per
/// task, failures, resources (those with something to show).
pub fn scenario_tables(report: &Report, index: usize) -> Vec<Table> {
    let scenario = &report.run.scenarios[index];
    [
        targets_table(scenario),
        degradation_table(report, index),
        Some(tasks_table(scenario)),
        failures_table(scenario),
        resources_table(scenario),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Every target verdict of the scenario with what was measured.
pub fn targets_table(scenario: &ScenarioRecord) -> Option<Table> {
    let rows: Vec<Vec<Cell>> = scenario
        .levels
        .iter()
        .flat_map(|level| {
            level.verdicts.iter().map(move |verdict| {
                vec![
                    Cell::plain(&level.name),
                    Cell::code(&verdict.target),
                    Cell::plain(verdict.task.as_deref().unwrap_or("all")),
                    Cell::plain(
                        verdict
                            .observed
                            .map(|value| verdict.metric.format_value(value))
                            .unwrap_or_else(|| "no requests".into()),
                    ),
                    Cell::verdict(Some(verdict.passed)),
                ]
            })
        })
        .collect();
    (!rows.is_empty()).then(|| Table {
        title: Some("Targets".into()),
        caption: None,
        headers: ["Level", "Target", "Task", "Observed", "Result"].map(String::from).to_vec(),
        rows,
    })
}

/// Degradation per level and task (only when some task has its own row).
pub fn degradation_table(report: &Report, index: usize) -> Option<Table> {
    let rows = report.degradation.get(index)?;
    if rows.iter().all(|row| row.task.is_aggregated()) {
        return None;
    }
    Some(Table {
        title: Some("Degradation against the baseline".into()),
        caption: Some("Degradation % = (p95 now - p95 baseline) / p95 baseline x 100.".into()),
        headers: ["Level", "Task", "Baseline p95", "p95", "Degradation"].map(String::from).to_vec(),
        rows: rows
            .iter()
            .map(|row| {
                vec![
                    Cell::plain(format!("{} ({})", row.level_name, row.load)),
                    Cell::plain(row.task.name()),
                    Cell::plain(format::micros(row.baseline_p95_micros as f64)),
                    Cell::plain(format::micros(row.p95_micros as f64)),
                    degradation_cell(row.degradation_percent, row.limit_percent, row.passed),
                ]
            })
            .collect(),
    })
}

/// Locust's per-task numbers for each level, with the level's aggregate (the same cells as the
/// terminal and the app).
pub fn tasks_table(scenario: &ScenarioRecord) -> Table {
    let rows = scenario
        .levels
        .iter()
        .flat_map(|level| {
            stats_table::level_rows(level).into_iter().map(move |row| {
                std::iter::once(Cell::plain(&level.name))
                    .chain(row.cells.into_iter().map(Cell::plain))
                    .collect()
            })
        })
        .collect();
    Table {
        title: Some("Per task".into()),
        caption: None,
        headers: std::iter::once("Level").chain(STATS_COLUMNS).map(String::from).collect(),
        rows,
    }
}

/// Failures by level, task, kind and message.
pub fn failures_table(scenario: &ScenarioRecord) -> Option<Table> {
    let rows: Vec<Vec<Cell>> = scenario
        .levels
        .iter()
        .flat_map(|level| {
            level.failures.iter().map(move |failure| {
                vec![
                    Cell::plain(&level.name),
                    Cell::plain(&failure.task),
                    Cell::plain(failure.kind.to_string()),
                    Cell::plain(&failure.message),
                    Cell::plain(failure.count.to_string()),
                ]
            })
        })
        .collect();
    (!rows.is_empty()).then(|| Table {
        title: Some("Failures".into()),
        caption: None,
        headers: ["Level", "Task", "Kind", "Message", "Count"].map(String::from).to_vec(),
        rows,
    })
}

/// The monitors' peaks per level.
pub fn resources_table(scenario: &ScenarioRecord) -> Option<Table> {
    let percent = |value: Option<f64>| Cell::plain(value.map(|value| format!("{value:.0}%")).unwrap_or_else(|| "-".into()));
    let rows: Vec<Vec<Cell>> = scenario
        .levels
        .iter()
        .filter_map(|level| {
            let peaks = level.resources.as_ref()?;
            Some(vec![
                Cell::plain(&level.name),
                percent(peaks.gpu_util_max_percent),
                percent(peaks.gpu_mem_max_percent),
                percent(peaks.container_cpu_max_percent),
                percent(peaks.host_cpu_max_percent),
            ])
        })
        .collect();
    let warnings: Vec<String> = scenario
        .levels
        .iter()
        .flat_map(|level| level.warnings.iter().map(move |warning| format!("{}: {warning}", level.name)))
        .collect();
    (!rows.is_empty()).then(|| Table {
        title: Some("Resources".into()),
        caption: (!warnings.is_empty()).then(|| format!("Warnings: {}", warnings.join("; "))),
        headers: ["Level", "GPU util max", "GPU memory max", "Container CPU max", "Host CPU max"]
            .map(String::from)
            .to_vec(),
        rows,
    })
}

/// A compared number with its change against the baseline's: `412ms -88ms -18% better`.
pub fn compared_cell(measure: Measure, base: Option<&CompareCell>, cell: Option<&CompareCell>) -> Cell {
    let Some(cell) = cell else { return Cell::plain("-") };
    let value = measure.value(cell).map(|value| measure.format(value)).unwrap_or_else(|| "-".into());
    match base.and_then(|base| delta(measure, base, cell)) {
        Some(change) => Cell {
            text: format!(
                "{value} {}{} {}",
                measure.format_change(change.absolute),
                change.percent.map(|percent| format!(" {percent:+.0}%")).unwrap_or_default(),
                change.change.label()
            ),
            tone: match change.change {
                Change::Better => Tone::Better,
                Change::Worse => Tone::Worse,
                Change::Same => Tone::Same,
            },
        },
        None => Cell::plain(value),
    }
}

/// The comparison: a row per level, task and measure, a cell per run, then each run's verdict.
pub fn comparison_table(comparison: &Comparison) -> Table {
    let mut headers = vec!["Scenario / level / task".to_string(), "Measure".to_string()];
    headers.extend(comparison.runs.iter().map(|run| run.letter.clone()));
    let mut rows = Vec::new();
    for row in &comparison.rows {
        let base = row.cells.get(comparison.baseline).and_then(Option::as_ref);
        let place = format!("{} / {} / {}", row.scenario, row.level_name, row.task);
        for measure in Measure::ALL {
            if row.cells.iter().flatten().all(|cell| measure.value(cell).is_none()) {
                continue;
            }
            let mut cells = vec![Cell::plain(&place), Cell::plain(measure.label())];
            cells.extend(row.cells.iter().enumerate().map(|(index, cell)| {
                let base = base.filter(|_| index != comparison.baseline);
                compared_cell(measure, base, cell.as_ref())
            }));
            rows.push(cells);
        }
        let mut verdicts = vec![Cell::plain(&place), Cell::plain("verdict")];
        verdicts.extend(
            row.cells
                .iter()
                .map(|cell| Cell::verdict(cell.as_ref().and_then(|cell| cell.verdict))),
        );
        rows.push(verdicts);
    }
    Table {
        title: None,
        caption: None,
        headers,
        rows,
    }
}
