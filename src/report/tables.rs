//! The report's tables as plain cells with a tone (pass, fail, better, worse...), built once and
//! rendered by the Markdown and HTML writers, so both show the same numbers.

use super::Report;
use super::stats_table::{self, STATS_COLUMN_MEASURES, STATS_COLUMNS, StatsMeasure, StatsRow};
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
    /// A number (right-aligned) rather than text (left-aligned).
    pub numeric: bool,
    /// More about the cell, shown on hover (the app) or as a tooltip (HTML).
    pub hover: Option<String>,
    /// What Copy puts in a spreadsheet for it: a bare number and its unit (the unit goes into
    /// the column's header, or the row's name), so the cells can be summed.
    pub copy: Option<CopyValue>,
}

/// A cell's number for the clipboard: `157.000` and `ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyValue {
    pub number: String,
    /// `ms`, `%`, `req/s`, `B`; empty for a plain count.
    pub unit: &'static str,
}

impl Cell {
    /// Text with a tone.
    pub fn toned(text: impl Into<String>, tone: Tone) -> Cell {
        Cell {
            text: text.into(),
            tone,
            numeric: false,
            hover: None,
            copy: None,
        }
    }

    pub fn plain(text: impl Into<String>) -> Cell {
        Cell::toned(text, Tone::Plain)
    }

    /// A number, aligned right.
    pub fn number(text: impl Into<String>) -> Cell {
        Cell {
            numeric: true,
            ..Cell::plain(text)
        }
    }

    pub fn code(text: impl Into<String>) -> Cell {
        Cell::toned(text, Tone::Code)
    }

    /// `PASS`, `FAIL`, or `-` when there is no verdict.
    pub fn verdict(passed: Option<bool>) -> Cell {
        match passed {
            Some(true) => Cell::toned("PASS", Tone::Pass),
            Some(false) => Cell::toned("FAIL", Tone::Fail),
            None => Cell::plain("-"),
        }
    }

    /// The number a spreadsheet gets for this cell, and its unit.
    pub fn copy_as(self, number: impl Into<String>, unit: &'static str) -> Cell {
        Cell {
            copy: Some(CopyValue {
                number: number.into(),
                unit,
            }),
            ..self
        }
    }

    fn numeric(self) -> Cell {
        Cell { numeric: true, ..self }
    }

    fn with_hover(self, hover: String) -> Cell {
        Cell {
            hover: Some(hover),
            ..self
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

impl Table {
    /// A table with no title or caption (one the app draws under its own heading).
    pub(crate) fn untitled(headers: &[&str], rows: Vec<Vec<Cell>>) -> Table {
        Table {
            title: None,
            caption: None,
            headers: headers.iter().map(|header| header.to_string()).collect(),
            rows,
        }
    }
}

fn latency(micros: f64, stats: &TaskStats) -> String {
    if stats.requests == 0 { "-".into() } else { format::micros(micros) }
}

/// The guide's results table: metrics down; the baseline and each level across.
pub(crate) fn results_table(report: &Report, index: usize) -> Table {
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
    // A metric row; `measure` gives Copy its bare number where the metric is one of the
    // statistics table's.
    let mut measured_row = |name: &str, measure: Option<StatsMeasure>, value: &dyn Fn(&TaskStats) -> String| {
        let cell = |stats: &TaskStats| stats_cell(value(stats), measure, stats);
        let mut cells = vec![Cell::plain(name)];
        if let Some(baseline) = baseline {
            cells.push(cell(&baseline.total));
        }
        cells.extend(scenario.levels.iter().map(|level| cell(&level.total.stats)));
        rows.push(cells);
    };
    measured_row("Avg latency", Some(StatsMeasure::Avg), &|stats| latency(stats.avg_micros, stats));
    measured_row("p50 latency", Some(StatsMeasure::P50), &|stats| {
        latency(stats.p50_micros as f64, stats)
    });
    measured_row("p95 latency", Some(StatsMeasure::P95), &|stats| {
        latency(stats.p95_micros as f64, stats)
    });
    measured_row("p99 latency", Some(StatsMeasure::P99), &|stats| {
        latency(stats.p99_micros as f64, stats)
    });
    measured_row("Error rate", Some(StatsMeasure::ErrorRate), &|stats| {
        format::error_percent(stats.error_rate_percent())
    });
    measured_row("RPS", Some(StatsMeasure::Rps), &|stats| format::rate(stats.rps));
    measured_row("Requests", Some(StatsMeasure::Requests), &|stats| stats.requests.to_string());
    let mut metric_row = |name: &str, value: &dyn Fn(&TaskStats) -> String| measured_row(name, None, value);
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
    if scenario.levels.iter().any(|level| level.total.stats.chat.is_some()) {
        let tokens = |stats: &TaskStats, value: &dyn Fn(&crate::run::ChatStats) -> Option<f64>| match &stats.chat {
            Some(chat) if stats.requests > 0 => value(chat).map(format::whole).unwrap_or_else(|| "-".into()),
            _ => "-".into(),
        };
        metric_row("Input tokens/s", &|stats| tokens(stats, &|chat| chat.prompt_tokens_per_sec));
        metric_row("Output tokens/s", &|stats| tokens(stats, &|chat| Some(chat.output_tokens_per_sec)));
    }
    if scenario.objectives.is_some() {
        let objective = |stats: &TaskStats, value: &dyn Fn(&crate::run::ObjectiveStats) -> String| match &stats.objectives {
            Some(objectives) if stats.requests > 0 => value(objectives),
            _ => "-".into(),
        };
        metric_row("SLO attainment", &|stats| {
            objective(stats, &|o| format::percent(o.attainment_percent))
        });
        metric_row("Goodput (req/s)", &|stats| objective(stats, &|o| format::rate(o.goodput_per_sec)));
        if scenario.levels.iter().any(|level| level.total.stats.chat.is_some()) {
            metric_row("Token goodput (tokens/s)", &|stats| {
                objective(stats, &|o| format::whole(o.token_goodput_per_sec))
            });
        }
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
    let captions: Vec<String> = [
        baseline.map(|baseline| format!("Baseline: {}.", baseline.source)),
        scenario
            .objectives
            .as_ref()
            .map(|objectives| format!("Objectives per request: {}.", objectives.describe())),
    ]
    .into_iter()
    .flatten()
    .collect();
    Table {
        title: None,
        caption: (!captions.is_empty()).then(|| captions.join(" ")),
        headers,
        rows,
    }
}

/// `+21.5% (< 100%)`, toned by its verdict.
fn degradation_cell(value: Option<f64>, limit: Option<f64>, passed: Option<bool>) -> Cell {
    let Some(value) = value else { return Cell::plain("-") };
    let text = match limit {
        Some(limit) => format!("{} (< {})", format::change_percent(value), format::whole_percent(limit)),
        None => format::change_percent(value),
    };
    let tone = match passed {
        Some(true) => Tone::Pass,
        Some(false) => Tone::Fail,
        None => Tone::Plain,
    };
    Cell::toned(text, tone).numeric()
}

/// A scenario's tables after the results table, in report order: targets, degradation, per
/// task, failures, resources (those with something to show).
pub(crate) fn scenario_tables(report: &Report, index: usize) -> Vec<Table> {
    let scenario = &report.run.scenarios[index];
    [
        capacity_table(scenario),
        targets_table(scenario),
        degradation_table(report, index),
        journeys_table(scenario),
        Some(tasks_table(scenario)),
        failures_table(scenario),
        connections_table(scenario),
        cancelled_table(scenario),
        resources_table(scenario),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A capacity search step by step: each load, whether every target held (and why not), and
/// what the step measured: the curve behind the result.
pub fn capacity_table(scenario: &ScenarioRecord) -> Option<Table> {
    let capacity = scenario.capacity.as_ref()?;
    let optional = |value: Option<String>| Cell::number(value.unwrap_or_else(|| "-".into()));
    let rows = capacity
        .steps
        .iter()
        .zip(&scenario.levels)
        .map(|(step, level)| {
            let stats = &level.total.stats;
            let ttft = stats
                .chat
                .as_ref()
                .filter(|chat| chat.streamed > 0)
                .map(|chat| format::micros(chat.ttft_p95_micros as f64));
            let goodput = stats.objectives.as_ref().map(|objectives| format::rate(objectives.goodput_per_sec));
            let gpu = level
                .resources
                .as_ref()
                .and_then(|peaks| peaks.gpu_util_max_percent)
                .map(format::whole_percent);
            vec![
                Cell::plain(&level.name),
                Cell::number(capacity.axis.format(step.load)),
                Cell::verdict(Some(step.held)),
                Cell::plain(step.why.clone().or_else(|| step.note.clone()).unwrap_or_default()),
                Cell::number(latency(stats.p95_micros as f64, stats)),
                optional(ttft),
                Cell::number(format::rate(stats.rps)),
                optional(goodput),
                optional(gpu),
            ]
        })
        .collect();
    let how = if let Some(stopped) = &capacity.stopped {
        format!("Capacity: unknown. The search stopped: {}.", stopped.describe())
    } else if crate::measure::capacity::CapacitySearch::held_at_max(&capacity.steps, &capacity.rule) {
        format!(
            "Capacity: at least {}: every step held, up to the maximum tried ({}); raise max to search higher.",
            capacity.axis.format(capacity.capacity.unwrap_or(capacity.rule.max)),
            capacity.axis.format(capacity.rule.max)
        )
    } else {
        let found = match capacity.capacity {
            Some(load) => format!("Capacity: {} within every target", capacity.axis.format(load)),
            None => "Capacity: no load held within every target".into(),
        };
        format!(
            "{found}; the search grew the load {}x a step while targets held, then bisected to within {:.0}%{}.",
            capacity.rule.growth,
            capacity.rule.precision * 100.0,
            if capacity.done { "" } else { " (it did not finish)" }
        )
    };
    let precision = format!(
        "{how} Each step starts with no queue left from the one before (arrivals stop between open-model steps until the requests in flight finish); a rate target fails a step only beyond sampling noise."
    );
    Some(Table {
        title: Some("Capacity search".into()),
        caption: Some(precision),
        headers: [
            "Step",
            "Load",
            "Verdict",
            "Why",
            "p95",
            "TTFT p95",
            "RPS",
            "Goodput",
            "GPU util max",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    })
}

/// Every target verdict of the scenario with what was measured.
pub(crate) fn targets_table(scenario: &ScenarioRecord) -> Option<Table> {
    let rows: Vec<Vec<Cell>> = scenario
        .levels
        .iter()
        .flat_map(|level| {
            level.verdicts.iter().map(move |verdict| {
                vec![
                    Cell::plain(&level.name),
                    Cell::code(&verdict.target),
                    Cell::plain(verdict.task.as_deref().unwrap_or("all")),
                    match verdict.observed {
                        Some(value) => {
                            let (number, unit) = verdict.metric.unit().copy(value);
                            Cell::number(verdict.metric.format_value(value)).copy_as(number, unit)
                        }
                        // Nothing measured: an empty cell in a spreadsheet.
                        None => Cell::number("no requests").copy_as(String::new(), ""),
                    },
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
pub(crate) fn degradation_table(report: &Report, index: usize) -> Option<Table> {
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
                    Cell::number(format::micros(row.baseline_p95_micros as f64)),
                    Cell::number(format::micros(row.p95_micros as f64)),
                    degradation_cell(row.degradation_percent, row.limit_percent, row.passed),
                ]
            })
            .collect(),
    })
}

/// Requests their users stopped part way, by level and task, when any were.
pub(crate) fn cancelled_table(scenario: &ScenarioRecord) -> Option<Table> {
    let rows: Vec<Vec<Cell>> = scenario
        .levels
        .iter()
        .flat_map(|level| {
            level.tasks.iter().filter(|task| task.stats.cancelled > 0).map(move |task| {
                let stats = &task.stats;
                let ttft = stats
                    .chat
                    .as_ref()
                    .filter(|chat| chat.ttft_p50_micros > 0)
                    .map(|chat| format::micros(chat.ttft_p50_micros as f64))
                    .unwrap_or_else(|| "-".into());
                vec![
                    Cell::plain(&level.name),
                    Cell::plain(&task.task),
                    Cell::number(stats.cancelled.to_string()),
                    Cell::number(format::whole_percent(stats.cancelled as f64 * 100.0 / stats.requests.max(1) as f64)),
                    Cell::number(ttft),
                ]
            })
        })
        .collect();
    (!rows.is_empty()).then(|| Table {
        title: Some("Cancelled by users".into()),
        caption: Some(
            "Requests stopped part way (cancel_after): counted in requests, not failures, not in the latency columns; their time to first token and tokens so far are counted.".into(),
        ),
        headers: ["Level", "Task", "Cancelled", "Of requests", "TTFT p50 (all)"].map(String::from).to_vec(),
        rows,
    })
}

/// One journey's row as cells: the terminal's text, and for Copy the bare numbers (counts,
/// latency in ms, journeys/s, steps a journey); the tool calls and the time in services copy
/// as their text.
pub(crate) fn journey_cells(name: &str, stats: &crate::run::JourneyStats) -> Vec<Cell> {
    let texts = crate::report::journey_table::journey_row(name, stats);
    let completed = stats.completed > 0;
    let millis = |micros: u64| completed.then(|| crate::measure::MetricUnit::LatencyMicros.copy(micros as f64));
    let copies: [Option<(String, &'static str)>; crate::report::journey_table::JOURNEY_COLUMNS.len()] = [
        None,
        Some((stats.started.to_string(), "")),
        Some((stats.completed.to_string(), "")),
        Some((stats.failed.to_string(), "")),
        millis(stats.latency_p50_micros),
        millis(stats.latency_p95_micros),
        millis(stats.latency_p99_micros),
        // The column is "Journeys/s" already.
        Some((format!("{:.3}", stats.journeys_per_sec), "")),
        (stats.ended() > 0).then(|| (format!("{:.2}", stats.steps_avg), "")),
        None,
        None,
    ];
    let last = texts.len() - 1;
    texts
        .into_iter()
        .zip(copies)
        .enumerate()
        .map(|(column, (text, copy))| {
            let cell = if column == 0 || column == last {
                Cell::plain(text)
            } else {
                Cell::number(text)
            };
            match copy {
                Some((number, unit)) => cell.copy_as(number, unit),
                None => cell,
            }
        })
        .collect()
}

/// Each journey's numbers for each level (the same cells as the terminal and the app), when
/// the scenario has journeys.
pub(crate) fn journeys_table(scenario: &ScenarioRecord) -> Option<Table> {
    let rows: Vec<Vec<Cell>> = scenario
        .levels
        .iter()
        .flat_map(|level| {
            level.journeys.iter().map(move |journey| {
                std::iter::once(Cell::plain(&level.name))
                    .chain(journey_cells(&journey.name, &journey.stats))
                    .collect()
            })
        })
        .collect();
    (!rows.is_empty()).then(|| Table {
        title: Some("Journeys".into()),
        caption: Some(
            "End to end, from the first step's send to the last reply; latency of the completed journeys. Each step is also a row of the per-task table.".into(),
        ),
        headers: std::iter::once("Level")
            .chain(crate::report::journey_table::JOURNEY_COLUMNS)
            .map(String::from)
            .collect(),
        rows,
    })
}

/// A number of the statistics table as a cell: its text, and the bare number Copy gives
/// (`measure`; None for a metric that is not one of the table's).
fn stats_cell(text: String, measure: Option<StatsMeasure>, stats: &TaskStats) -> Cell {
    let shown = Cell::number(text);
    match measure.and_then(|measure| measure.copy(stats)) {
        Some((number, unit)) => shown.copy_as(number, unit),
        None => shown,
    }
}

/// One row of Locust's statistics table as cells: the task's name, then its numbers, each
/// with the number Copy gives (the per-task table, and the Live tab's statistics).
pub(crate) fn stats_cells(row: StatsRow) -> Vec<Cell> {
    row.cells
        .into_iter()
        .zip(STATS_COLUMN_MEASURES)
        .map(|(text, measure)| match measure {
            None => Cell::plain(text),
            Some(measure) => stats_cell(text, Some(measure), &row.stats),
        })
        .collect()
}

/// Locust's per-task numbers for each level, with the level's aggregate (the same cells as the
/// terminal and the app).
pub(crate) fn tasks_table(scenario: &ScenarioRecord) -> Table {
    let rows = scenario
        .levels
        .iter()
        .flat_map(|level| {
            stats_table::level_rows(level)
                .into_iter()
                // The level, then the task's name and numbers.
                .map(move |row| std::iter::once(Cell::plain(&level.name)).chain(stats_cells(row)).collect())
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
pub(crate) fn failures_table(scenario: &ScenarioRecord) -> Option<Table> {
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
                    Cell::number(failure.count.to_string()),
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

/// Per level, requests that needed a new connection or a second send; only when some did.
pub(crate) fn connections_table(scenario: &ScenarioRecord) -> Option<Table> {
    let rows: Vec<Vec<Cell>> = scenario
        .levels
        .iter()
        .filter(|level| level.reconnects > 0 || level.retries > 0)
        .map(|level| {
            vec![
                Cell::plain(&level.name),
                Cell::number(level.total.stats.requests.to_string()),
                Cell::number(level.reconnects.to_string()),
                Cell::number(level.retries.to_string()),
            ]
        })
        .collect();
    (!rows.is_empty()).then(|| Table {
        title: Some("Connections".into()),
        caption: Some(
            "Reconnects: a kept-alive connection was found closed before the request went on it (the server never had the request). \
             Retries: an idempotent request (GET, HEAD, PUT, DELETE, ...) the server closed on without a reply byte was sent once more, timed from the first send. \
             Other requests the server closed on unanswered are failures (closed)."
                .into(),
        ),
        headers: ["Level", "Requests", "Reconnects", "Retries"].map(String::from).to_vec(),
        rows,
    })
}

/// The monitors' peaks per level.
pub(crate) fn resources_table(scenario: &ScenarioRecord) -> Option<Table> {
    let percent = |value: Option<f64>| Cell::number(value.map(format::whole_percent).unwrap_or_else(|| "-".into()));
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

/// A compared number with its change against the baseline's: `412ms -88ms -18% better`, the
/// 95% intervals behind the call on hover.
pub(crate) fn compared_cell(measure: Measure, base: Option<&CompareCell>, cell: Option<&CompareCell>) -> Cell {
    let Some(cell) = cell else { return Cell::number("-") };
    let number = measure.value(cell);
    let value = number.map(|value| measure.format(value)).unwrap_or_else(|| "-".into());
    // Copy gives the cell's own number (the change is the other column's less this one).
    let with_copy = |shown: Cell| match number {
        Some(number) => {
            let (number, unit) = measure.copy(number);
            shown.copy_as(number, unit)
        }
        None => shown,
    };
    with_copy(match base.and_then(|base| delta(measure, base, cell)) {
        Some(change) => Cell::toned(
            format!(
                "{value} {}{} {}",
                measure.format_change(change.absolute),
                change
                    .percent
                    .map(|percent| format!(" {}", format::whole_change_percent(percent)))
                    .unwrap_or_default(),
                change.change.label()
            ),
            change_tone(change.change),
        )
        .numeric()
        .with_hover(change.explain(measure)),
        None => {
            let interval = measure.interval(cell).map(|interval| {
                format!(
                    "95% confidence interval: {} to {}",
                    measure.format(interval.low),
                    measure.format(interval.high)
                )
            });
            let cell = Cell::number(value);
            match interval {
                Some(interval) => cell.with_hover(interval),
                None => cell,
            }
        }
    })
}

fn change_tone(change: Change) -> Tone {
    match change {
        Change::Better => Tone::Better,
        Change::Worse => Tone::Worse,
        Change::Same | Change::Unknown | Change::LoadDiffers | Change::TooFewRequests => Tone::Same,
    }
}

/// The measures of the comparison's summary.
const SUMMARY_MEASURES: [Measure; 4] = [Measure::P95, Measure::ErrorRate, Measure::Rps, Measure::TtftP95];

/// The comparison at a glance: one row per scenario and level (all tasks together), with p95,
/// error rate, throughput and TTFT p95 of each run and each run's verdict.
pub fn comparison_summary_table(comparison: &Comparison) -> Table {
    let aggregated: Vec<_> = comparison.rows.iter().filter(|row| row.task.is_aggregated()).collect();
    let measures: Vec<Measure> = SUMMARY_MEASURES
        .into_iter()
        .filter(|measure| {
            aggregated
                .iter()
                .any(|row| row.cells.iter().flatten().any(|cell| measure.value(cell).is_some()))
        })
        .collect();
    let mut headers = vec!["Scenario".to_string(), "Level".to_string()];
    for measure in &measures {
        headers.extend(comparison.runs.iter().map(|run| format!("{} {}", measure.label(), run.letter)));
    }
    headers.extend(comparison.runs.iter().map(|run| format!("Verdict {}", run.letter)));
    let rows = aggregated
        .iter()
        .map(|row| {
            let base = row.cells.get(comparison.baseline).and_then(Option::as_ref);
            let load = row.load_label(comparison.baseline);
            let mut cells = vec![Cell::plain(&row.scenario), Cell::plain(format!("{} ({load})", row.level_name))];
            for measure in &measures {
                cells.extend(row.cells.iter().enumerate().map(|(index, cell)| {
                    let base = base.filter(|_| index != comparison.baseline);
                    compared_cell(*measure, base, cell.as_ref())
                }));
            }
            cells.extend(
                row.cells
                    .iter()
                    .map(|cell| Cell::verdict(cell.as_ref().and_then(|cell| cell.verdict))),
            );
            cells
        })
        .collect();
    Table {
        title: Some("Summary".into()),
        caption: Some(comparison_caption(comparison)),
        headers,
        rows,
    }
}

/// Said under a comparison table: which levels ran different loads (no better or worse is
/// called for them), and what the intervals are.
pub(crate) fn comparison_caption(comparison: &Comparison) -> String {
    let differing = comparison.load_differences();
    let mut caption = String::new();
    if !differing.is_empty() {
        caption.push_str(&format!(
            "Load differs, so these levels are not compared: {}. ",
            differing.join("; ")
        ));
    }
    caption.push_str(crate::analysis::comparison::INTERVALS_NOTE);
    caption
}

/// The comparison: a row per level, task and measure, a cell per run, then each run's verdict.
pub(crate) fn comparison_table(comparison: &Comparison) -> Table {
    let mut headers = vec!["Scenario / level / task".to_string(), "Measure".to_string()];
    headers.extend(comparison.runs.iter().map(|run| run.letter.clone()));
    let mut rows = Vec::new();
    for row in &comparison.rows {
        let base = row.cells.get(comparison.baseline).and_then(Option::as_ref);
        let place = match row.load_differs(comparison.baseline) {
            true => format!(
                "{} / {} ({}) / {}",
                row.scenario,
                row.level_name,
                row.load_label(comparison.baseline),
                row.task
            ),
            false => format!("{} / {} / {}", row.scenario, row.level_name, row.task),
        };
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
        title: Some("Every task and measure".into()),
        caption: Some(comparison_caption(comparison)),
        headers,
        rows,
    }
}
